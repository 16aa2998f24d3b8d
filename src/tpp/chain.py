"""One API over every backend: the embedded EVM (titanoboa / py-evm, the default), a local
anvil node, any RPC URL, and the simulator's two lean in-process engines (revm, and py-evm fed
raw calldata; see `tpp.evm`).

A `Chain` owns an environment: titanoboa's, or a `tpp.evm.FastChain`. While it is active
(`with chain:` or `chain.activate()`), contract handles returned by `deploy` / `at` send their
calls to it, so the rest of tpp is written once against contract handles and runs unchanged on
every backend.
"""

from __future__ import annotations

import contextlib
import functools
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boa
from boa.network import NetworkEnv
from boa.rpc import EthereumRPC
from eth_account import Account
from eth_utils import keccak

from tpp import _boa_compat, evm, governance
from tpp.anvil import AnvilNode, rpc_call

# Programmes, mechanisms and epoch minters are EIP-1167 clones created inside calls: their
# code is the proxy's, not the implementation's, which titanoboa warns about on every one.
warnings.filterwarnings("ignore", message="casted bytecode does not match")

_boa_compat.install()

CONTRACTS_DIR = Path(__file__).parent / "contracts"
VYPER_CONTRACTS = (
    "CappedMinter",
    "Budget",
    "EpochMinter",
    "Programme",
    "LinearStream",
    "StakingRewards",
    "ProgrammeFactory",
    "testing/StakeToken",
)

# Embedded-chain genesis time: 2026-01-01T00:00:00Z, so demo dates read like real ones.
EMBEDDED_GENESIS = 1_767_225_600
# Gas limit sent with network transactions: the node's estimate plus the larger of a fixed
# headroom (enough for a mint through the minter, the Budget and the token) and a share of it.
GAS_HEADROOM_PERCENT = 25
GAS_HEADROOM_FIXED = 250_000
# Ether each anvil actor is funded with (wei), enough for any test or demo run.
ACTOR_FUNDING = 10**24


@functools.cache
def vyper_deployer(name: str):
    """The compiled deployer for one of tpp's Vyper contracts (compiled once per process)."""
    if name not in VYPER_CONTRACTS:
        raise KeyError(f"unknown contract {name!r}; tpp ships {', '.join(VYPER_CONTRACTS)}")
    return boa.load_partial(str(CONTRACTS_DIR / f"{name}.vy"))


def actor_key(name: str) -> bytes:
    """Deterministic private key for a role-named local actor (devnets and tests only)."""
    return keccak(b"tpp local actor: " + name.encode())


@dataclass
class Chain:
    """A backend plus the titanoboa environment that talks to it."""

    backend: str
    env: Any
    url: str | None = None
    node: AnvilNode | None = None
    _actors: dict[str, str] = field(default_factory=dict)
    _previous_env: Any = None

    # --- construction ------------------------------------------------------------------

    @classmethod
    def embedded(cls, genesis: int = EMBEDDED_GENESIS) -> "Chain":
        """A fresh in-process EVM (py-evm through titanoboa)."""
        env = boa.Env()
        env.evm.patch.timestamp = genesis
        chain = cls(backend="embedded", env=env)
        return chain.activate()

    @classmethod
    def current(cls) -> "Chain":
        """Wrap titanoboa's current embedded environment (tests: the pytest plugin anchors it)."""
        return cls(backend="embedded", env=boa.env)

    @classmethod
    def anvil(cls, node: AnvilNode | None = None, url: str | None = None) -> "Chain":
        """A chain on an anvil node: `node` (owned: `close()` stops it), an already running one
        at `url` (not owned, e.g. the devnet), or a new one on a free loopback port."""
        if url is not None:
            return cls._network(url, backend="anvil")
        node = node or AnvilNode().start()
        chain = cls._network(node.url, backend="anvil")
        chain.node = node
        return chain

    @classmethod
    def revm(cls, genesis: int = EMBEDDED_GENESIS, record_logs: bool = False) -> "Chain":
        """A fresh in-process revm (Rust EVM through pyrevm) with lean handles: the simulator's
        default engine."""
        return cls(backend="revm", env=evm.FastChain(evm.RevmEngine(genesis), record_logs)).activate()

    @classmethod
    def pyevm(cls, genesis: int = EMBEDDED_GENESIS, record_logs: bool = False) -> "Chain":
        """A fresh in-process py-evm driven like `revm` (raw calldata, lean handles), so the two
        engines run the same code path and can be compared."""
        return cls(backend="pyevm", env=evm.FastChain(evm.PyEvmEngine(genesis), record_logs)).activate()

    @classmethod
    def engine(cls, name: str, genesis: int = EMBEDDED_GENESIS, record_logs: bool = False) -> "Chain":
        """`revm` or `pyevm` by name."""
        if name not in evm.ENGINES:
            raise ValueError(f"chain: unknown engine {name!r} (choose {' or '.join(evm.ENGINES)})")
        return getattr(cls, name)(genesis, record_logs)

    @property
    def fast(self) -> bool:
        """True on the lean engines (`revm`, `pyevm`), False on titanoboa-driven backends."""
        return isinstance(self.env, evm.FastChain)

    @classmethod
    def rpc(cls, url: str) -> "Chain":
        """Any JSON-RPC endpoint; accounts are added with `add_account`."""
        return cls._network(url, backend="rpc")

    @classmethod
    def _network(cls, url: str, backend: str) -> "Chain":
        env = NetworkEnv(EthereumRPC(url))
        # titanoboa prints every broadcast; tpp reports what it does itself.
        env._suppress_debug_tt = True

        # titanoboa forks the node before every transaction and by default caches what it
        # reads on disk, keyed by chain id and block number. Every fresh anvil has chain id
        # 31337 and the same block numbers, so a cache left by an earlier node would serve
        # stale nonces and storage: keep the fork cache in memory only.
        def reset_fork(block_identifier="latest"):
            env.fork_rpc(env._rpc, reset_traces=False, block_identifier=block_identifier, cache_dir=None)

        env._reset_fork = reset_fork
        env._reset_fork()

        # A transaction is estimated against the latest block but mined in the next one, a
        # second or more later; time-driven code (accrual, unlocks) may then take a path that
        # writes more storage — a claim estimated in the second its accrual was last counted
        # has nothing to mint, and then mints through three contracts once mined. Leave
        # headroom for that path, as any careful sender does (unused gas is not charged).
        rpc = env._rpc
        fetch = rpc.fetch

        def fetch_with_headroom(method, params):
            result = fetch(method, params)
            if method == "eth_estimateGas":
                estimate = int(result, 16)
                return hex(estimate + max(GAS_HEADROOM_FIXED, estimate * GAS_HEADROOM_PERCENT // 100))
            return result

        rpc.fetch = fetch_with_headroom
        chain = cls(backend=backend, env=env, url=url)
        return chain.activate()

    # --- activation --------------------------------------------------------------------

    def activate(self) -> "Chain":
        """Make this chain the current one (titanoboa's environment, or the active fast chain
        that governance deploys through)."""
        if self.fast:
            evm.set_active(self.env)
        else:
            boa.set_env(self.env)
            evm.set_active(None)
        return self

    def __enter__(self) -> "Chain":
        self._previous_env = (boa.env, evm.active())
        return self.activate()

    def __exit__(self, *exc) -> None:
        if self._previous_env is not None:
            boa_env, fast = self._previous_env
            boa.set_env(boa_env)
            evm.set_active(fast)

    def close(self) -> None:
        if self.node is not None:
            self.node.stop()

    # --- accounts ----------------------------------------------------------------------

    def actor(self, name: str) -> str:
        """Address of a role-named actor ("steward", "delegate-3"), able to send transactions.

        Embedded: a titanoboa alias. anvil: a deterministic key, funded with ether.
        """
        if name in self._actors:
            return self._actors[name]
        if self.fast:
            address = evm.actor_address(name)
            self.env.engine.set_balance(address, ACTOR_FUNDING)
        elif self.backend == "embedded":
            address = str(self.env.generate_address(name))
        elif self.backend == "anvil":
            account = Account.from_key(actor_key(name))
            self.env.add_account(account)
            rpc_call(self.url, "anvil_setBalance", [account.address, hex(ACTOR_FUNDING)])
            address = account.address
        else:
            raise RuntimeError(
                f"chain: no local actor {name!r} on an RPC chain; add a keystore account instead"
            )
        self._actors[name] = address
        return address

    def add_account(self, account) -> str:
        """Add a signing account (eth_account LocalAccount) to a network chain."""
        self.env.add_account(account)
        return account.address

    def set_sender(self, address: str) -> None:
        if self.fast:
            self.env.sender = address
        else:
            self.env.eoa = address

    # --- time --------------------------------------------------------------------------

    def now(self) -> int:
        """Timestamp of the latest block (embedded: of the block being built)."""
        if self.fast:
            return self.env.engine.timestamp
        if self.backend == "embedded":
            return int(self.env.evm.patch.timestamp)
        block = rpc_call(self.url, "eth_getBlockByNumber", ["latest", False])
        return int(block["timestamp"], 16)

    def warp(self, seconds: int) -> int:
        """Move chain time forward by `seconds` (and mine a block); returns the new time."""
        if seconds < 0:
            raise ValueError("chain: time only moves forward")
        if self.fast:
            engine = self.env.engine
            engine.set_block(engine.timestamp + seconds, engine.block_number + max(1, seconds // 12))
        elif self.backend == "embedded":
            # One block per 12 seconds, at least one block, like a post-merge chain.
            self.env.evm.patch.timestamp += seconds
            self.env.evm.patch.block_number += max(1, seconds // 12)
        elif self.backend == "anvil":
            rpc_call(self.url, "evm_increaseTime", [seconds])
            rpc_call(self.url, "evm_mine", [])
            self.env._reset_fork()
        else:
            raise RuntimeError("chain: time travel needs the embedded chain or anvil")
        return self.now()

    def warp_to(self, timestamp: int) -> int:
        """Move chain time forward to `timestamp` (no-op if already there or later)."""
        now = self.now()
        if timestamp > now:
            return self.warp(timestamp - now)
        return now

    # --- contracts ---------------------------------------------------------------------

    def deploy(self, name: str, *args, sender: str | None = None):
        """Deploy one of tpp's Vyper contracts."""
        if self.fast:
            bytecode, abi = evm.compiled(name)
            return self.env.deploy_contract(name.split("/")[-1], bytecode, abi, args, sender)
        kwargs = {"sender": sender} if sender else {}
        return vyper_deployer(name).deploy(*args, **kwargs)

    def at(self, name: str, address: str):
        """Handle on a deployed tpp Vyper contract (or a minimal proxy of one)."""
        if self.fast:
            return self.env.contract(name.split("/")[-1], evm.compiled(name)[1], str(address))
        with warnings.catch_warnings():
            # Programmes, mechanisms and epoch minters are EIP-1167 clones: their code is the
            # proxy's, not the implementation's, which titanoboa would warn about.
            warnings.filterwarnings("ignore", message="casted bytecode does not match")
            return vyper_deployer(name).at(address)

    def deploy_artifact(self, name: str, *args, sender: str | None = None):
        """Deploy a compiled OpenZeppelin-based artifact (TppToken, TppGovernor, ...)."""
        return governance.deploy_artifact(name, *args, sender=sender)

    def artifact_at(self, name: str, address: str):
        return governance.at_artifact(name, address)

    @contextlib.contextmanager
    def anchor(self):
        """Everything done inside is undone on exit (embedded: state anchor; anvil: snapshot)."""
        with (self.env.engine.anchor() if self.fast else self.env.anchor()):
            yield
