"""The one artifact registry of tpp: every contract tpp deploys or reads, by name, with its ABI
and bytecode — its own Vyper contracts, the compiled OpenZeppelin governance stand-in and the
prebuilt Safe contracts — and the node toolchain (anvil).

Vyper contracts (``src/tpp/contracts``) are compiled once by the Vyper compiler and cached
under ``<build>/vyper/<source digest>/`` (so sweep workers and `tpp propose` do not compile
again). The Solidity sources live in ``src/tpp/contracts/governance``;
``scripts/compile_oz.mjs`` compiles them with the npm ``solc`` into
``<build>/oz/artifacts.json``. That build is cached by a source hash that this module computes
the same way as the script, so a fresh build costs no node start-up; a missing or stale one
runs the script.

Safe's contracts (``@safe-global/safe-contracts``, pinned in ``package-lock.json``) come
prebuilt: the package ships Hardhat artifacts (``abi``, ``bytecode``, ``deployedBytecode``) of
exactly what Safe released, so they are read as they are and nothing is compiled.
`load_artifact` serves both kinds in one shape, and the chain layer deploys either by name.

``python -m tpp.chain.artifacts`` ensures the artifacts and prints a one-line summary (``make setup``
calls it).
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import platform
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from tpp.chain.abi import ErrorTable

__all__ = [
    "ARTIFACT_NAMES",
    "CONTRACTS_DIR",
    "NPM_ARTIFACTS",
    "SAFE_PACKAGE",
    "VYPER_CONTRACTS",
    "abi_of",
    "all_abis",
    "anvil_binary",
    "anvil_executable",
    "build_dir",
    "ensure_oz_artifacts",
    "error_table",
    "load_artifact",
    "load_oz",
    "oz_dir",
    "oz_source_hash",
    "package_version",
    "repo_root",
    "vyper_compiled",
    "vyper_deployer",
]

# The contracts tpp deploys from the OpenZeppelin build.
ARTIFACT_NAMES = ("TppToken", "TppGovernor", "TimelockController")

# Prebuilt artifacts shipped by npm packages, read as they are (Hardhat's artifact format):
# name -> (package, path inside the package). Safe 1.4.1: the singletons every Safe proxy
# delegates to (`Safe`, and `SafeL2`, which also logs each transaction for indexers), the proxy
# factory, the proxy itself (its creation code predicts CREATE2 addresses), MultiSendCallOnly
# (batches of plain calls, the one a Safe delegatecalls for a Transaction Builder batch) and
# the fallback handler Safe's own deployments set up (EIP-1271, token callbacks) and
# SimulateTxAccessor (a Safe transaction tried in the Safe's own context, then undone).
SAFE_PACKAGE = "@safe-global/safe-contracts"
_SAFE_BUILD = "build/artifacts/contracts"
# The Ethereum Attestation Service (EAS and its SchemaRegistry) as deployed on mainnet, from
# the package's deployment records: what AttestationGate reads attestations from.
EAS_PACKAGE = "@ethereum-attestation-service/eas-contracts"
NPM_ARTIFACTS: dict[str, tuple[str, str]] = {
    "EAS": (EAS_PACKAGE, "deployments/mainnet/EAS.json"),
    "SchemaRegistry": (EAS_PACKAGE, "deployments/mainnet/SchemaRegistry.json"),
    "Safe": (SAFE_PACKAGE, f"{_SAFE_BUILD}/Safe.sol/Safe.json"),
    "SafeL2": (SAFE_PACKAGE, f"{_SAFE_BUILD}/SafeL2.sol/SafeL2.json"),
    "SafeProxyFactory": (SAFE_PACKAGE, f"{_SAFE_BUILD}/proxies/SafeProxyFactory.sol/SafeProxyFactory.json"),
    "SafeProxy": (SAFE_PACKAGE, f"{_SAFE_BUILD}/proxies/SafeProxy.sol/SafeProxy.json"),
    "MultiSendCallOnly": (SAFE_PACKAGE, f"{_SAFE_BUILD}/libraries/MultiSendCallOnly.sol/MultiSendCallOnly.json"),
    "SimulateTxAccessor": (SAFE_PACKAGE, f"{_SAFE_BUILD}/accessors/SimulateTxAccessor.sol/SimulateTxAccessor.json"),
    "CompatibilityFallbackHandler": (
        SAFE_PACKAGE,
        f"{_SAFE_BUILD}/handler/CompatibilityFallbackHandler.sol/CompatibilityFallbackHandler.json",
    ),
}

# tpp's own Vyper contracts, by the name the registry knows them (a path under contracts/).
CONTRACTS_DIR = Path(__file__).resolve().parents[1] / "contracts"
VYPER_CONTRACTS = (
    "CappedMinter",
    "Budget",
    "EpochMinter",
    "Programme",
    "LinearStream",
    "StakingRewards",
    "KpiStream",
    "ImpactCheckpoints",
    "ResearchBounty",
    "gates/HatGate",
    "gates/MerkleGate",
    "gates/AttestationGate",
    "gates/GateSet",
    "ProgrammeFactory",
    "MinimalHats",
    "testing/StakeToken",
)

_COMPILE_SCRIPT = Path("scripts") / "compile_oz.mjs"
_SOURCE_DIR = Path("src") / "tpp" / "contracts" / "governance"
_SETUP_HINT = "run `make setup` (or `npm ci` in the repository root)"

# (path, mtime_ns) -> parsed artifacts.json, so repeated loads in one process are free.
_loaded: dict[tuple[str, int], dict[str, Any]] = {}


def repo_root() -> Path:
    """The repository root: the directory holding ``scripts/compile_oz.mjs``."""
    root = Path(__file__).resolve().parents[3]
    if not (root / _COMPILE_SCRIPT).is_file():
        raise RuntimeError(
            f"artifacts: {root / _COMPILE_SCRIPT} not found; tpp must run from a source "
            "checkout (pip install -e .) to build the OpenZeppelin stand-in"
        )
    return root


def build_dir() -> Path:
    """Where build outputs go: ``$TPP_BUILD_DIR`` if set, else ``<repo>/build``."""
    override = os.environ.get("TPP_BUILD_DIR")
    if override:
        return Path(override).resolve()
    return repo_root() / "build"


def oz_dir() -> Path:
    """``<build>/oz``: artifacts.json, source-hash.txt, meta.json."""
    return build_dir() / "oz"


def _node_modules() -> Path:
    return repo_root() / "node_modules"


def _package_version(package: str) -> str:
    manifest = _node_modules() / package / "package.json"
    if not manifest.is_file():
        raise RuntimeError(f"artifacts: npm package {package} not found in {_node_modules()}; {_SETUP_HINT}")
    return json.loads(manifest.read_text())["version"]


def package_version(package: str) -> str:
    """The installed version of an npm package tpp uses ("1.4.1" for Safe's contracts)."""
    return _package_version(package)


def oz_source_hash() -> str:
    """The source hash ``scripts/compile_oz.mjs`` writes to ``source-hash.txt``.

    sha256 over labelled, length-prefixed fields: the solc and @openzeppelin/contracts package
    versions, every ``.sol`` file of ours (by repo-relative path, sorted), and the script.
    """
    root = repo_root()
    digest = hashlib.sha256()

    def feed(label: str, data: bytes) -> None:
        digest.update(f"{label}\0{len(data)}\0".encode())
        digest.update(data)

    feed("solc", _package_version("solc").encode())
    feed("openzeppelin", _package_version("@openzeppelin/contracts").encode())
    for source in sorted((root / _SOURCE_DIR).glob("*.sol"), key=lambda p: p.name):
        feed(source.relative_to(root).as_posix(), source.read_bytes())
    feed("script", (root / _COMPILE_SCRIPT).read_bytes())
    return digest.hexdigest()


def _is_fresh(out: Path) -> bool:
    hash_file = out / "source-hash.txt"
    if not (hash_file.is_file() and (out / "artifacts.json").is_file()):
        return False
    return hash_file.read_text().strip() == oz_source_hash()


def ensure_oz_artifacts(*, quiet: bool = True) -> Path:
    """Return the path of ``artifacts.json``, compiling first when it is missing or stale.

    Raises RuntimeError (naming the fix) when node or the npm packages are missing, or when
    the compile fails (with the compiler's messages).
    """
    out = oz_dir()
    if _is_fresh(out):
        return out / "artifacts.json"
    node = shutil.which("node")
    if node is None:
        raise RuntimeError(
            f"artifacts: `node` not found on PATH (node 20+ compiles the OpenZeppelin stand-in); install it, then {_SETUP_HINT}"
        )
    root = repo_root()
    env = dict(os.environ, TPP_BUILD_DIR=str(build_dir()))
    proc = subprocess.run(
        [node, str(root / _COMPILE_SCRIPT)],
        cwd=root,
        env=env,
        stdout=subprocess.PIPE if quiet else None,  # not quiet: the script's progress streams through
        stderr=subprocess.PIPE,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        detail = (proc.stderr.strip() or (proc.stdout or "").strip())[-4000:]
        if proc.returncode == 2:  # the script's "toolchain missing" exit code
            hint = _SETUP_HINT
        else:
            hint = f"fix the Solidity sources in {_SOURCE_DIR.as_posix()}"
        raise RuntimeError(f"artifacts: compiling the OpenZeppelin stand-in failed ({hint}):\n{detail}")
    if not _is_fresh(out):
        raise RuntimeError(f"artifacts: {_COMPILE_SCRIPT} finished but {out} is not up to date")
    return out / "artifacts.json"


def _load_all() -> dict[str, Any]:
    path = ensure_oz_artifacts()
    key = (str(path), path.stat().st_mtime_ns)
    if key not in _loaded:
        _loaded.clear()
        _loaded[key] = json.loads(path.read_text())
    return _loaded[key]


def load_oz(name: str) -> dict[str, Any]:
    """One compiled contract: ``{"name", "abi", "bytecode", "deployed_bytecode"}``.

    ``bytecode`` (init code, without constructor arguments) and ``deployed_bytecode`` are bytes.
    """
    artifacts = _load_all()
    if name not in artifacts:
        known = ", ".join(sorted(artifacts))
        raise KeyError(f"artifacts: no compiled contract named {name!r} (have: {known})")
    entry = artifacts[name]
    return {
        "name": name,
        "abi": entry["abi"],
        "bytecode": bytes.fromhex(entry["bytecode"].removeprefix("0x")),
        "deployed_bytecode": bytes.fromhex(entry["deployedBytecode"].removeprefix("0x")),
    }


@functools.cache
def _load_npm(name: str) -> dict[str, Any]:
    package, inner = NPM_ARTIFACTS[name]
    _package_version(package)  # names the fix when the package is not installed
    path = _node_modules() / package / inner
    try:
        entry = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise RuntimeError(f"artifacts: cannot read {path} ({exc}); {_SETUP_HINT}") from exc
    if entry.get("linkReferences"):
        raise RuntimeError(f"artifacts: {name} needs libraries linked, which tpp does not do ({path})")
    return {
        "name": name,
        "abi": entry["abi"],
        "bytecode": bytes.fromhex(entry["bytecode"].removeprefix("0x")),
        "deployed_bytecode": bytes.fromhex(entry["deployedBytecode"].removeprefix("0x")),
    }


def load_artifact(name: str) -> dict[str, Any]:
    """One contract tpp deploys from outside its Vyper sources, by name: an OpenZeppelin build
    artifact ("TppToken", "TppGovernor", "TimelockController") or a prebuilt npm artifact
    ("Safe", "SafeProxyFactory", …), as ``{"name", "abi", "bytecode", "deployed_bytecode"}``."""
    if name in NPM_ARTIFACTS:
        return _load_npm(name)
    return load_oz(name)


# --- tpp's Vyper contracts ------------------------------------------------------------------------


def _check_vyper_name(name: str) -> None:
    if name not in VYPER_CONTRACTS:
        raise KeyError(f"unknown contract {name!r}; tpp ships {', '.join(VYPER_CONTRACTS)}")


@functools.cache
def vyper_deployer(name: str) -> Any:
    """titanoboa's deployer for one of tpp's Vyper contracts (compiled once per process). The
    import is local because loading titanoboa costs seconds that `tpp check` and `--help`
    should not pay."""
    _check_vyper_name(name)
    import boa

    return boa.load_partial(str(CONTRACTS_DIR / f"{name}.vy"))


@functools.cache
def _sources_digest() -> str:
    import snekmate
    import vyper

    digest = hashlib.sha256(vyper.__version__.encode())
    for root in (CONTRACTS_DIR, Path(next(iter(snekmate.__path__)))):
        for path in sorted(root.rglob("*.vy*")):
            digest.update(str(path.relative_to(root)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


@functools.cache
def vyper_compiled(name: str) -> tuple[bytes, list[dict[str, Any]]]:
    """(init bytecode, ABI) of one of tpp's Vyper contracts, compiled by the Vyper compiler once
    and cached under build/vyper/<source digest>/ so other processes do not compile again."""
    _check_vyper_name(name)
    cache_file = build_dir() / "vyper" / _sources_digest() / f"{name.replace('/', '__')}.json"
    try:
        data = json.loads(cache_file.read_text())
        return bytes.fromhex(data["bytecode"]), data["abi"]
    except (OSError, ValueError, KeyError):
        pass  # not cached yet (or damaged): compile below
    from vyper.compiler.output import build_abi_output

    compiler_data = vyper_deployer(name).compiler_data
    bytecode, abi = compiler_data.bytecode, build_abi_output(compiler_data)
    try:
        cache_file.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache_file.with_suffix(f".{os.getpid()}.tmp")  # workers may compile at once
        tmp.write_text(json.dumps({"bytecode": bytecode.hex(), "abi": abi}))
        tmp.replace(cache_file)
    except OSError:
        pass  # a read-only checkout still works; it compiles in every process
    return bytes(bytecode), abi


# --- every contract by name ------------------------------------------------------------------------


def abi_of(name: str) -> list[dict[str, Any]]:
    """The ABI of a tpp Vyper contract ("Budget", "testing/StakeToken"), an OpenZeppelin
    artifact ("TppToken", "TppGovernor", "TimelockController") or a Safe contract ("Safe", …)."""
    if name in ARTIFACT_NAMES or name in NPM_ARTIFACTS:
        return load_artifact(name)["abi"]
    return vyper_compiled(name)[1]


def all_abis() -> dict[str, list[dict[str, Any]]]:
    """Every ABI tpp knows, keyed by contract name. The OpenZeppelin token comes first: where
    an event signature is shared (Transfer, Approval, RoleGranted), the governance token's field
    names are the ones readers expect. Safe's contracts follow (their events share no signature
    with tpp's)."""
    abis = {name: abi_of(name) for name in ARTIFACT_NAMES}
    abis.update({name: abi_of(name) for name in NPM_ARTIFACTS})
    for name in VYPER_CONTRACTS:
        abis[name.split("/")[-1]] = abi_of(name)
    return abis


# Custom errors a Vyper contract raises with raw_revert: Vyper 0.4 cannot declare them, so they
# are missing from its ABI. CappedMinter raises ZkCappedMinterV2's own, byte for byte.
_RAISED_WITHOUT_ABI: dict[str, list[dict[str, Any]]] = {
    "CappedMinter": [
        {"type": "error", "name": f"ZkCappedMinterV2__{name}", "inputs": inputs}
        for name, inputs in (
            ("CapExceeded", [{"name": "minter", "type": "address"}, {"name": "amount", "type": "uint256"}]),
            ("CannotGrantDefaultAdmin", []),
            ("ContractClosed", []),
            ("NotStarted", []),
            ("Expired", []),
            ("InvalidTime", []),
        )
    ],
}


@functools.cache
def error_table() -> ErrorTable:
    """Custom errors of every known contract (the governor's and timelock's above all, and
    those tpp's Vyper contracts raise without an ABI entry)."""
    return ErrorTable.from_abis({**all_abis(), **{f"{k} (raised)": v for k, v in _RAISED_WITHOUT_ABI.items()}})


def anvil_binary() -> Path:
    """``node_modules/.bin/anvil`` from the npm package @foundry-rs/anvil."""
    anvil = _node_modules() / ".bin" / "anvil"
    if not anvil.exists():
        raise RuntimeError(f"artifacts: anvil not found at {anvil} (npm package @foundry-rs/anvil); {_SETUP_HINT}")
    return anvil


def anvil_executable() -> Path:
    """The platform's anvil binary itself (from the npm package's per-platform dependency),
    else the npm launcher. Run the binary: the launcher (`node_modules/.bin/anvil`, a Node.js
    script) passes SIGTERM on and exits at once, so a caller waiting for the launcher returns
    while anvil still serves its port and has not written its --state file."""
    launcher = anvil_binary()
    machine = {"x86_64": "amd64", "aarch64": "arm64", "arm64": "arm64"}.get(platform.machine(), platform.machine())
    system = {"Linux": "linux", "Darwin": "darwin"}.get(platform.system(), platform.system().lower())
    native = launcher.resolve().parent.parent.parent / f"anvil-{system}-{machine}" / "bin" / "anvil"
    if not native.exists():
        native = launcher.parent.parent / "@foundry-rs" / f"anvil-{system}-{machine}" / "bin" / "anvil"
    return native if native.exists() else launcher


def main() -> int:
    try:
        path = ensure_oz_artifacts(quiet=False)
        sizes = {name: len(load_oz(name)["deployed_bytecode"]) for name in ARTIFACT_NAMES}
        prebuilt = {name: len(load_artifact(name)["deployed_bytecode"]) for name in NPM_ARTIFACTS}
        safe_version = package_version(SAFE_PACKAGE)
    except (RuntimeError, KeyError) as exc:
        print(exc, file=sys.stderr)  # noqa: T201 - `python -m tpp.chain.artifacts` reports on the terminal
        return 2
    summary = ", ".join(f"{name} {size:,} B" for name, size in sizes.items())
    short = (path.parent / "source-hash.txt").read_text().strip()[:12]
    print(f"oz artifacts ({short}): {summary} -> {path}")  # noqa: T201 - as above
    safes = ", ".join(f"{name} {size:,} B" for name, size in prebuilt.items())
    print(f"safe {safe_version} artifacts (prebuilt, {SAFE_PACKAGE}): {safes}")  # noqa: T201 - as above
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
