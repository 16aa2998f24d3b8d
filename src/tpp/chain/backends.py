"""One `Chain` API, one subclass per backend.

- `EmbeddedChain`: titanoboa's in-process py-evm (the default);
- `AnvilChain`: a local anvil node over JSON-RPC (titanoboa's network env);
- `RpcChain`: any other JSON-RPC endpoint (no local actors, no time travel);
- `RevmChain` / `PyEvmChain`: the simulator's lean engines (`tpp.chain.engines`) with lean
  handles (`tpp.chain.handles`).

Each chain owns its environment, and every handle it returns is bound to that environment, so
no module global decides where a call goes. The rest of tpp is written once against `Chain`
and contract handles and runs unchanged on every backend. Construct with the class methods of
`Chain` (`Chain.embedded()`, `Chain.anvil()`, `Chain.rpc(url)`, `Chain.revm()`, …).
"""

from __future__ import annotations

import abc
import contextlib
import functools
import json
import urllib.error
import warnings
from collections.abc import Iterator
from typing import Any, ClassVar

import boa
import eth_abi
from boa.network import NetworkEnv
from boa.rpc import EthereumRPC
from eth_account import Account
from eth_utils import keccak

from tpp.base.errors import UserError
from tpp.chain import _boa_compat
from tpp.chain.abi import abi_type, plain
from tpp.chain.anvil import AnvilError, AnvilNode, rpc_call
from tpp.chain.artifacts import load_artifact, vyper_compiled, vyper_deployer
from tpp.chain.engines import ENGINES, PyEvmEngine, RevmEngine, actor_address
from tpp.chain.errors import ChainUnreachable, Reverted, reverted_from, reverted_with
from tpp.chain.handles import EngineEnv

__all__ = [
    "ACTOR_FUNDING",
    "EMBEDDED_GENESIS",
    "AnvilChain",
    "Chain",
    "EmbeddedChain",
    "EngineChain",
    "NetworkChain",
    "PyEvmChain",
    "RevmChain",
    "RpcChain",
    "actor_key",
]

# Programmes, mechanisms and epoch minters are EIP-1167 clones created inside calls: their
# code is the proxy's, not the implementation's, which titanoboa warns about on every one.
warnings.filterwarnings("ignore", message="casted bytecode does not match")

_boa_compat.install()

# Embedded-chain genesis time: 2026-01-01T00:00:00Z, so demo dates read like real ones.
EMBEDDED_GENESIS = 1_767_225_600
# Gas limit sent with network transactions: the node's estimate plus the larger of a fixed
# headroom (enough for a mint through the minter, the Budget and the token) and a share of it.
GAS_HEADROOM_PERCENT = 25
GAS_HEADROOM_FIXED = 250_000
# Ether each local actor is funded with (wei), enough for any test or demo run.
ACTOR_FUNDING = 10**24


def actor_key(name: str) -> bytes:
    """Deterministic private key for a role-named local actor (devnets and tests only)."""
    return keccak(b"tpp local actor: " + name.encode())


class Chain(abc.ABC):
    """A backend: accounts, time, contracts. Subclasses say how each is done."""

    #: "embedded", "anvil", "rpc", "revm" or "pyevm": for messages and records.
    backend: ClassVar[str] = ""
    #: Whether local votes, local actors and time travel are available (devnet-like chains).
    is_local: ClassVar[bool] = True
    #: The simulator's lean engines (no titanoboa handles, no simulation of single calls).
    fast: ClassVar[bool] = False

    def __init__(self, env: Any, url: str | None = None):
        self.env = env
        self.url = url
        self.node: AnvilNode | None = None
        self._actors: dict[str, str] = {}
        self._previous: list[Any] = []

    def __repr__(self) -> str:
        return f"<{type(self).__name__}{' ' + self.url if self.url else ''}>"

    # --- construction ------------------------------------------------------------------

    @staticmethod
    def embedded(genesis: int = EMBEDDED_GENESIS) -> EmbeddedChain:
        """A fresh in-process EVM (py-evm through titanoboa), made the current one."""
        env = boa.Env()
        env.evm.patch.timestamp = genesis
        return EmbeddedChain(env).activate()

    @staticmethod
    def current() -> EmbeddedChain:
        """Wrap titanoboa's current embedded environment (tests: the pytest plugin anchors it)."""
        return EmbeddedChain(boa.env)

    @staticmethod
    def anvil(node: AnvilNode | None = None, url: str | None = None) -> AnvilChain:
        """A chain on an anvil node: `node` (owned: `close()` stops it), an already running one
        at `url` (not owned, e.g. the devnet), or a new one on a free loopback port."""
        if url is not None:
            return AnvilChain.connect(url)
        node = node or AnvilNode().start()
        chain = AnvilChain.connect(node.url)
        chain.node = node
        return chain

    @staticmethod
    def rpc(url: str) -> RpcChain:
        """Any JSON-RPC endpoint; accounts are added with `add_account`."""
        return RpcChain.connect(url)

    @staticmethod
    def revm(genesis: int = EMBEDDED_GENESIS, record_logs: bool = False) -> RevmChain:
        """A fresh in-process revm (Rust EVM through pyrevm) with lean handles: the simulator's
        default engine."""
        return RevmChain(EngineEnv(RevmEngine(genesis), record_logs))

    @staticmethod
    def pyevm(genesis: int = EMBEDDED_GENESIS, record_logs: bool = False) -> PyEvmChain:
        """A fresh in-process py-evm driven like `revm` (raw calldata, lean handles), so the two
        engines run the same code path and can be compared."""
        return PyEvmChain(EngineEnv(PyEvmEngine(genesis), record_logs))

    @staticmethod
    def engine(name: str, genesis: int = EMBEDDED_GENESIS, record_logs: bool = False) -> EngineChain:
        """`revm` or `pyevm` by name."""
        if name not in ENGINES:
            raise ValueError(f"chain: unknown engine {name!r} (choose {' or '.join(ENGINES)})")
        return Chain.revm(genesis, record_logs) if name == "revm" else Chain.pyevm(genesis, record_logs)

    # --- activation (titanoboa's notion of the current env, for code that uses it) ------

    def activate(self) -> Any:
        """Make this chain titanoboa's current env (a no-op for the lean engines)."""
        return self

    def __enter__(self) -> Any:
        self._previous.append(boa.env)
        return self.activate()

    def __exit__(self, *exc: object) -> None:
        if self._previous:
            boa.set_env(self._previous.pop())

    def close(self) -> None:
        """Stop the node this chain owns (if any)."""
        if self.node is not None:
            self.node.stop()

    # --- accounts ----------------------------------------------------------------------

    def actor(self, name: str) -> str:
        """Address of a role-named actor ("steward", "delegate-3"), able to send transactions."""
        if name not in self._actors:
            self._actors[name] = self._new_actor(name)
        return self._actors[name]

    def _new_actor(self, name: str) -> str:
        raise UserError(f"chain: no local actor {name!r} on {self.backend}; add a keystore account instead")

    def fund(self, address: str, wei: int) -> None:
        """Set an account's native balance (local chains only: deposits and bonds in stories)."""
        raise UserError(f"chain: cannot set balances on {self.backend}")

    def transaction_count(self) -> int:
        """Transactions sent on this chain so far (the simulator's count of agent actions)."""
        raise UserError(f"chain: {self.backend} does not count its transactions")

    def add_account(self, account: Any) -> str:
        """Add a signing account (eth_account LocalAccount) to a network chain."""
        raise TypeError(f"chain: {self.backend} has no signing accounts")

    def set_sender(self, address: str) -> None:
        self.env.eoa = address

    @property
    def sender(self) -> str:
        return str(self.env.eoa)

    def chain_id(self) -> int:
        return int(self.env.get_chain_id())

    # --- time --------------------------------------------------------------------------

    @abc.abstractmethod
    def now(self) -> int:
        """Timestamp of the latest block (in-process: of the block being built)."""

    def warp(self, seconds: int) -> int:
        """Move chain time forward by `seconds` (and mine a block); returns the new time."""
        if seconds < 0:
            raise ValueError("chain: time only moves forward")
        self._warp(seconds)
        return self.now()

    def _warp(self, seconds: int) -> None:
        raise UserError(f"chain: time travel needs the embedded chain or anvil, not {self.backend}")

    def warp_to(self, timestamp: int) -> int:
        """Move chain time forward to `timestamp` (no-op if already there or later)."""
        now = self.now()
        if timestamp > now:
            return self.warp(timestamp - now)
        return now

    def refresh(self) -> None:
        """Read the latest state from now on (network: re-fork the node's latest block, which
        another sender may have changed since the last transaction)."""
        # In-process backends always read their own latest state; NetworkChain re-forks.
        return None

    # --- contracts ---------------------------------------------------------------------

    def deploy(self, name: str, *args: Any, sender: str | None = None) -> Any:
        """Deploy one of tpp's Vyper contracts."""
        kwargs = {"sender": sender} if sender else {}
        with boa.swap_env(self.env):
            return vyper_deployer(name).deploy(*args, **kwargs)

    def at(self, name: str, address: str) -> Any:
        """Handle on a deployed tpp Vyper contract (or a minimal proxy of one)."""
        with warnings.catch_warnings(), boa.swap_env(self.env):
            # Programmes, mechanisms and epoch minters are EIP-1167 clones: their code is the
            # proxy's, not the implementation's, which titanoboa would warn about.
            warnings.filterwarnings("ignore", message="casted bytecode does not match")
            return vyper_deployer(name).at(str(address))

    def deploy_artifact(self, name: str, *args: Any, sender: Any = None) -> Any:
        """Deploy an artifact of the registry — the OpenZeppelin build (TppToken, TppGovernor, …)
        or a prebuilt one (Safe, SafeProxyFactory, …) — with constructor `args` (contract handles
        may stand for addresses)."""
        artifact = load_artifact(name)
        initcode = artifact["bytecode"] + _constructor_args(name, artifact["abi"], args)
        kwargs = {} if sender is None else {"sender": str(plain(sender))}
        address, _ = self.env.deploy_code(bytecode=initcode, **kwargs)
        return self.artifact_at(name, str(address))

    def artifact_at(self, name: str, address: Any) -> Any:
        """A handle on a deployed registry artifact (OpenZeppelin or Safe), e.g. the Safe ABI
        at a Safe proxy's address."""
        with boa.swap_env(self.env):
            return _artifact_factory(name).at(str(plain(address)))

    def next_create_addresses(self, sender: Any, count: int) -> list[str]:
        """The addresses `sender`'s next `count` CREATE deployments will get (nonce untouched)."""
        who = self.env._get_sender(None if sender is None else str(plain(sender)))
        with self.env._anchor():
            return [str(self.env.evm.generate_create_address(who)) for _ in range(count)]

    def simulate(self, to: Any, data: bytes, sender: Any, value: int = 0) -> bytes:
        """Run one call from `sender` on the latest state and undo it; returns its return data,
        or raises `Reverted` with the reason and the revert data. Nothing is signed or sent, so
        `sender` may be any address (on revm an externally owned one: revm refuses a sender
        with code, as EIP-3607 says)."""
        # The in-process EVM of titanoboa's env (a network env's is a fork of the node's latest
        # block), called past any hook on the env (the event recorder records no simulation).
        computation = boa.Env.execute_code(
            self.env, to_address=str(plain(to)), sender=str(plain(sender)), value=value, data=bytes(data), simulate=True
        )
        output = bytes(computation.output or b"")
        if computation.is_error:
            reverted = reverted_with(output) if output else Reverted(f"halted: {type(computation.error).__name__}")
            raise reverted
        return output

    @contextlib.contextmanager
    def anchor(self) -> Iterator[None]:
        """Everything done inside is undone on exit (in-process: state anchor; anvil: snapshot)."""
        with self.env.anchor():
            yield

    @contextlib.contextmanager
    def reverts(self) -> Iterator[None]:
        """Inside, a refusal by the chain raises `Reverted(reason)` whatever the backend."""
        try:
            yield
        except Reverted:
            raise
        except Exception as exc:
            reverted = reverted_from(exc)
            if reverted is None:
                raise
            raise reverted from None


@functools.cache
def _artifact_factory(name: str) -> Any:
    return boa.loads_abi(json.dumps(load_artifact(name)["abi"]), name=name)


def _constructor_args(name: str, abi: list[dict[str, Any]], args: tuple[Any, ...]) -> bytes:
    constructor = next((item for item in abi if item["type"] == "constructor"), None)
    types = [abi_type(p) for p in constructor["inputs"]] if constructor else []
    if len(args) != len(types):
        raise TypeError(f"chain: {name} constructor takes {len(types)} arguments ({', '.join(types)}), got {len(args)}")
    return eth_abi.encode(types, [plain(a) for a in args]) if types else b""


class EmbeddedChain(Chain):
    """titanoboa's in-process py-evm."""

    backend = "embedded"

    def activate(self) -> EmbeddedChain:
        boa.set_env(self.env)
        return self

    def _new_actor(self, name: str) -> str:
        return str(self.env.generate_address(name))

    def fund(self, address: str, wei: int) -> None:
        self.env.set_balance(address, wei)

    def chain_id(self) -> int:
        return int(self.env.evm.patch.chain_id)

    def now(self) -> int:
        return int(self.env.evm.patch.timestamp)

    def _warp(self, seconds: int) -> None:
        # One block per 12 seconds, at least one block, like a post-merge chain.
        self.env.evm.patch.timestamp += seconds
        self.env.evm.patch.block_number += max(1, seconds // 12)


class NetworkChain(Chain):
    """A JSON-RPC node through titanoboa's network env."""

    backend = "rpc"
    is_local = False

    @classmethod
    def connect(cls, url: str) -> Any:
        """Connect to the node at `url`; an unreachable node raises ChainUnreachable (one line
        naming the URL), not a transport traceback."""
        try:
            rpc_call(url, "eth_chainId", timeout=10.0)
        except (urllib.error.URLError, ConnectionError, OSError, ValueError, AnvilError) as exc:
            reason = getattr(exc, "reason", None) or exc
            raise ChainUnreachable(f"{url}: the node did not answer ({reason}); is it running, and is the URL right?") from None
        env = NetworkEnv(EthereumRPC(url))
        # titanoboa prints every broadcast; tpp reports what it does itself.
        env._suppress_debug_tt = True
        chain = cls(env, url)
        chain._install_fork_reset()
        chain._install_gas_headroom()
        return chain.activate()

    def _install_fork_reset(self) -> None:
        # titanoboa forks the node before every transaction and by default caches what it
        # reads on disk, keyed by chain id and block number. Every fresh anvil has chain id
        # 31337 and the same block numbers, so a cache left by an earlier node would serve
        # stale nonces and storage: keep the fork cache in memory only.
        env = self.env

        def reset_fork(block_identifier: str = "latest") -> None:
            env.fork_rpc(env._rpc, reset_traces=False, block_identifier=block_identifier, cache_dir=None)

        env._reset_fork = reset_fork
        env._reset_fork()

    def _install_gas_headroom(self) -> None:
        # A transaction is estimated against the latest block but mined in the next one, a
        # second or more later; time-driven code (accrual, unlocks) may then take a path that
        # writes more storage — a claim estimated in the second its accrual was last counted
        # has nothing to mint, and then mints through three contracts once mined. Leave
        # headroom for that path, as any careful sender does (unused gas is not charged).
        rpc = self.env._rpc
        fetch = rpc.fetch

        def fetch_with_headroom(method: str, params: Any) -> Any:
            result = fetch(method, params)
            if method == "eth_estimateGas":
                estimate = int(result, 16)
                return hex(estimate + max(GAS_HEADROOM_FIXED, estimate * GAS_HEADROOM_PERCENT // 100))
            return result

        rpc.fetch = fetch_with_headroom

    def activate(self) -> NetworkChain:
        boa.set_env(self.env)
        return self

    def add_account(self, account: Any) -> str:
        self.env.add_account(account)
        return str(account.address)

    def now(self) -> int:
        block = rpc_call(str(self.url), "eth_getBlockByNumber", ["latest", False])
        return int(block["timestamp"], 16)

    def refresh(self) -> None:
        self.env._reset_fork()

    def simulate(self, to: Any, data: bytes, sender: Any, value: int = 0) -> bytes:
        # On a fork of the latest block, so the revert data is at hand (a node's eth_call error
        # keeps only its message).
        self.env._reset_fork()
        return super().simulate(to, data, sender, value)


class RpcChain(NetworkChain):
    """Any JSON-RPC endpoint: a real chain, with a real governor. No local actors, no time
    travel; accounts come from a keystore or TPP_PRIVATE_KEY."""

    backend = "rpc"


class AnvilChain(NetworkChain):
    """A local anvil node: local actors funded by `anvil_setBalance`, time travel by
    `evm_increaseTime`, anchors by snapshots."""

    backend = "anvil"
    is_local = True

    warps = 0  # blocks mined by time travel, not by a transaction

    def _new_actor(self, name: str) -> str:
        account = Account.from_key(actor_key(name))
        self.env.add_account(account)
        rpc_call(str(self.url), "anvil_setBalance", [account.address, hex(ACTOR_FUNDING)])
        return str(account.address)

    def transaction_count(self) -> int:
        # anvil mines one block per transaction; time travel mines one block more.
        return int(rpc_call(str(self.url), "eth_blockNumber", []), 16) - self.warps

    def fund(self, address: str, wei: int) -> None:
        rpc_call(str(self.url), "anvil_setBalance", [address, hex(wei)])
        self.env._reset_fork()

    def _warp(self, seconds: int) -> None:
        rpc_call(str(self.url), "evm_increaseTime", [seconds])
        rpc_call(str(self.url), "evm_mine", [])
        self.warps += 1
        self.env._reset_fork()


class EngineChain(Chain):
    """One of the simulator's lean in-process engines. `env` is an `EngineEnv`."""

    fast = True
    env: EngineEnv

    def _new_actor(self, name: str) -> str:
        address = actor_address(name)
        self.env.engine.set_balance(address, ACTOR_FUNDING)
        return address

    def fund(self, address: str, wei: int) -> None:
        self.env.engine.set_balance(address, wei)

    def transaction_count(self) -> int:
        return self.env.transactions

    def set_sender(self, address: str) -> None:
        self.env.sender = address

    @property
    def sender(self) -> str:
        return self.env.sender

    def chain_id(self) -> int:
        return 1

    def now(self) -> int:
        return int(self.env.engine.timestamp)

    def _warp(self, seconds: int) -> None:
        engine = self.env.engine
        engine.set_block(engine.timestamp + seconds, engine.block_number + max(1, seconds // 12))

    def deploy(self, name: str, *args: Any, sender: str | None = None) -> Any:
        bytecode, abi = vyper_compiled(name)
        return self.env.deploy_contract(name.split("/")[-1], bytecode, abi, args, sender)

    def at(self, name: str, address: str) -> Any:
        return self.env.contract(name.split("/")[-1], vyper_compiled(name)[1], str(address))

    def deploy_artifact(self, name: str, *args: Any, sender: Any = None) -> Any:
        artifact = load_artifact(name)
        initcode = artifact["bytecode"] + _constructor_args(name, artifact["abi"], args)
        address = self.env.deploy_code(bytes(initcode), None if sender is None else str(plain(sender)))
        return self.env.contract(name, artifact["abi"], address)

    def artifact_at(self, name: str, address: Any) -> Any:
        return self.env.contract(name, load_artifact(name)["abi"], str(plain(address)))

    def next_create_addresses(self, sender: Any, count: int) -> list[str]:
        return self.env.next_create_addresses(None if sender is None else str(plain(sender)), count)

    def simulate(self, to: Any, data: bytes, sender: Any, value: int = 0) -> bytes:
        if value:
            raise ValueError(f"chain: the {self.backend} engine sends no value with calls")
        with self.env.engine.anchor():
            out, _ = self.env.engine.transact(str(plain(sender)), str(plain(to)), bytes(data))
        return bytes(out)

    @contextlib.contextmanager
    def anchor(self) -> Iterator[None]:
        with self.env.engine.anchor():
            yield


class RevmChain(EngineChain):
    """revm through pyrevm: the simulator's default engine."""

    backend = "revm"


class PyEvmChain(EngineChain):
    """py-evm fed raw calldata through the same lean handles as `RevmChain`."""

    backend = "pyevm"
