"""Two in-process EVM engines behind one small interface, and lean contract handles over them.

The simulator sends hundreds of thousands of transactions, so the per-call cost outside the
EVM matters as much as the EVM itself. This module gives `tpp.chain` two more backends:

- `RevmEngine`: revm (Rust) through the `pyrevm` package, the simulator's default;
- `PyEvmEngine`: py-evm through titanoboa's environment, executing raw calldata.

Both run the same bytecode: Vyper contracts compiled once by the Vyper compiler (cached on disk
by source hash, `compiled`) and the OpenZeppelin artifacts compiled by solc at setup. Contract
handles (`Contract`) encode arguments with precomputed selectors, encode static argument
types by hand (eth_abi only for dynamic ones) and decode simple results directly; they accept
the same calling convention as titanoboa's handles (`handle.fn(*args, sender=...)`,
`handle.fn.prepare_calldata(*args)`), so the deploy and governance code of tpp runs unchanged on
every backend.

Determinism: actor addresses derive from their names, contract addresses from the deployer's
nonce (deployments bump it, calls do not, on both engines), the gas price is zero, and block
time and number are set explicitly, so one scenario gives the same logs on both engines.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import eth_abi
import eth_abi.exceptions
import rlp
from eth_utils import keccak, to_checksum_address

ENGINES = ("revm", "pyevm")
# Gas every call and deployment may use, the same on both engines (a block's worth).
GAS_LIMIT = 30_000_000
# revm reports a failed call as text; the revert data follows "output: 0x".
_ERROR_SELECTOR = keccak(text="Error(string)")[:4]
_PANIC_SELECTOR = keccak(text="Panic(uint256)")[:4]


class Reverted(Exception):
    """A call or deployment failed; `reason` is the revert string (e.g. "budget: paused")."""

    def __init__(self, reason: str, data: bytes = b"", where: str = ""):
        self.reason = reason
        self.data = data
        self.where = where  # "Contract.function" when a handle made the call
        super().__init__(f"{where}: {reason}" if where else reason)


@dataclass(frozen=True)
class RawLog:
    address: str  # checksummed
    topics: tuple[bytes, ...]
    data: bytes


def revert_reason(data: bytes) -> str:
    """The readable reason in revert data: Error(string), Panic(uint256), or the raw bytes."""
    if data[:4] == _ERROR_SELECTOR:
        try:
            return eth_abi.decode(["string"], data[4:])[0]
        except Exception:  # noqa: BLE001 - malformed revert data is shown raw below
            pass
    if data[:4] == _PANIC_SELECTOR and len(data) >= 36:
        return f"panic 0x{int.from_bytes(data[4:36], 'big'):02x}"
    return "reverted without a reason" if not data else f"reverted with 0x{data.hex()}"


def actor_address(name: str) -> str:
    """The address of a role-named actor: the same on every engine, derived from the name."""
    return to_checksum_address(keccak(b"tpp actor: " + name.encode())[12:])


def create_address(sender: str, nonce: int) -> str:
    """The address a CREATE from `sender` at `nonce` gets."""
    return to_checksum_address(keccak(rlp.encode([bytes.fromhex(sender[2:]), nonce]))[12:])


# --- engines ------------------------------------------------------------------------------


class RevmEngine:
    """revm through pyrevm. Calls from an externally owned account do not bump its nonce;
    deployments do, as on py-evm."""

    name = "revm"

    def __init__(self, timestamp: int, chain_id: int = 1):
        import pyrevm

        self._pyrevm = pyrevm
        self.evm = pyrevm.EVM(env=pyrevm.Env(cfg=pyrevm.CfgEnv(chain_id=chain_id)))
        self._number = 1
        self._timestamp = timestamp
        self._sync_block()

    def _sync_block(self) -> None:
        self.evm.set_block_env(self._pyrevm.BlockEnv(number=self._number, timestamp=self._timestamp))

    @property
    def timestamp(self) -> int:
        return self._timestamp

    @property
    def block_number(self) -> int:
        return self._number

    def set_block(self, timestamp: int, number: int) -> None:
        self._timestamp, self._number = timestamp, number
        self._sync_block()

    def set_balance(self, address: str, wei: int) -> None:
        self.evm.set_balance(address, wei)

    def balance(self, address: str) -> int:
        return self.evm.get_balance(address)

    def nonce(self, address: str) -> int:
        return self.evm.basic(address).nonce

    def deploy(self, sender: str, initcode: bytes) -> str:
        try:
            address = self.evm.deploy(sender, initcode, gas=GAS_LIMIT)
        except RuntimeError as exc:
            raise _revm_failure(exc) from None
        return to_checksum_address(address)

    def transact(self, sender: str, to: str, data: bytes) -> tuple[bytes, list]:
        evm = self.evm
        try:
            out = evm.message_call(sender, to, data, gas=GAS_LIMIT)
        except RuntimeError as exc:
            raise _revm_failure(exc) from None
        return out, evm.result.logs

    def call(self, sender: str, to: str, data: bytes) -> bytes:
        try:
            return self.evm.message_call(sender, to, data, gas=GAS_LIMIT, is_static=True)
        except RuntimeError as exc:
            raise _revm_failure(exc) from None

    @staticmethod
    def raw_logs(logs: list) -> list[RawLog]:
        return [RawLog(to_checksum_address(log.address), tuple(bytes.fromhex(t[2:]) for t in log.topics), log.data[1]) for log in logs]

    @contextlib.contextmanager
    def anchor(self) -> Iterator[None]:
        checkpoint = self.evm.snapshot()
        timestamp, number = self._timestamp, self._number
        try:
            yield
        finally:
            self.evm.revert(checkpoint)
            self.set_block(timestamp, number)


def _revm_failure(exc: RuntimeError) -> Reverted:
    text = str(exc)
    marker = "output: 0x"
    if text.startswith("Revert") and marker in text:
        hex_data = text.split(marker, 1)[1].split()[0].rstrip("},")
        data = bytes.fromhex(hex_data)
        return Reverted(revert_reason(data), data)
    return Reverted(f"halted: {text}")


class PyEvmEngine:
    """py-evm through a fresh titanoboa environment, fed raw calldata (no titanoboa handles)."""

    name = "pyevm"

    def __init__(self, timestamp: int):
        import boa

        self.env = boa.Env()
        self.env.evm.patch.timestamp = timestamp
        self.env.evm.patch.block_number = 1

    @property
    def timestamp(self) -> int:
        return int(self.env.evm.patch.timestamp)

    @property
    def block_number(self) -> int:
        return int(self.env.evm.patch.block_number)

    def set_block(self, timestamp: int, number: int) -> None:
        self.env.evm.patch.timestamp = timestamp
        self.env.evm.patch.block_number = number

    def set_balance(self, address: str, wei: int) -> None:
        self.env.set_balance(address, wei)

    def balance(self, address: str) -> int:
        return self.env.get_balance(address)

    def nonce(self, address: str) -> int:
        return self.env.evm.vm.state.get_nonce(bytes.fromhex(address[2:]))

    def deploy(self, sender: str, initcode: bytes) -> str:
        from boa.vm.py_evm import titanoboa_computation  # noqa: F401 - boa's computation hooks

        try:
            address, _ = self.env.deploy_code(sender=sender, bytecode=initcode, gas=GAS_LIMIT)
        except Exception as exc:  # noqa: BLE001 - titanoboa raises its own error types
            # titanoboa puts the revert data itself (or an object carrying it) first.
            first = exc.args[0] if exc.args else b""
            data = first if isinstance(first, (bytes, bytearray)) else getattr(first, "output", b"") or b""
            raise Reverted(revert_reason(bytes(data)) if data else f"deployment failed: {exc}", bytes(data)) from None
        return to_checksum_address(str(address))

    def _execute(self, sender: str, to: str, data: bytes, modifying: bool):
        computation = self.env.execute_code(to_address=to, sender=sender, data=data, gas=GAS_LIMIT, is_modifying=modifying)
        if computation.is_error:
            output = bytes(computation.output or b"")
            raise Reverted(revert_reason(output) if output or _is_revert(computation) else f"halted: {computation.error}", output)
        return computation

    def transact(self, sender: str, to: str, data: bytes) -> tuple[bytes, list]:
        computation = self._execute(sender, to, data, True)
        return computation.output, computation.get_log_entries()

    def call(self, sender: str, to: str, data: bytes) -> bytes:
        return self._execute(sender, to, data, False).output

    @staticmethod
    def raw_logs(entries: Sequence) -> list[RawLog]:
        return [
            RawLog(to_checksum_address(address), tuple(t.to_bytes(32, "big") for t in topics), data)
            for address, topics, data in entries
        ]

    @contextlib.contextmanager
    def anchor(self) -> Iterator[None]:
        with self.env.anchor():
            yield


def _is_revert(computation) -> bool:
    return type(computation.error).__name__ == "Revert"


def make_engine(name: str, timestamp: int):
    if name == "revm":
        return RevmEngine(timestamp)
    if name == "pyevm":
        return PyEvmEngine(timestamp)
    raise ValueError(f"evm: unknown engine {name!r} (choose {' or '.join(ENGINES)})")


# --- argument and result coding -----------------------------------------------------------


def abi_type(param: dict) -> str:
    """The canonical ABI type of one ABI input or output, tuples spelled out for eth_abi."""
    kind = param["type"]
    if kind.startswith("tuple"):
        return f"({','.join(abi_type(c) for c in param['components'])}){kind[len('tuple'):]}"
    return kind


def _address_word(value: Any) -> bytes:
    if not isinstance(value, str):
        value = str(value.address) if hasattr(value, "address") else str(value)
    if len(value) != 42 or not value.startswith("0x"):
        raise TypeError(f"not an address: {value!r}")
    return bytes.fromhex(value[2:]).rjust(32, b"\0")


def _bool_word(value: bool) -> bytes:
    if not isinstance(value, bool):
        raise TypeError(f"not a bool: {value!r}")
    return b"\0" * 31 + (b"\1" if value else b"\0")


def _int_encoder(bits: int, signed: bool) -> Callable[[Any], bytes]:
    low, high = (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if signed else (0, (1 << bits) - 1)
    kind = f"{'int' if signed else 'uint'}{bits}"

    def encode(value: int) -> bytes:
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            raise TypeError(f"not a {kind}: {value!r}")
        return value.to_bytes(32, "big", signed=signed)

    return encode


def _fixed_bytes_encoder(size: int) -> Callable[[Any], bytes]:
    def encode(value: bytes) -> bytes:
        if not isinstance(value, (bytes, bytearray)) or len(value) > size:
            raise TypeError(f"not a bytes{size}: {value!r}")
        return bytes(value).ljust(32, b"\0")

    return encode


def _static_encoder(kind: str) -> Callable[[Any], bytes] | None:
    """A hand encoder for a static scalar type, checking the value's type and range; None for
    the types eth_abi encodes (dynamic types, arrays, tuples)."""
    if "[" in kind or "(" in kind:
        return None
    if kind == "address":
        return _address_word
    if kind == "bool":
        return _bool_word
    if kind.startswith("uint"):
        return _int_encoder(int(kind[4:] or 256), False)
    if kind.startswith("int"):
        return _int_encoder(int(kind[3:] or 256), True)
    if kind.startswith("bytes") and kind != "bytes":
        return _fixed_bytes_encoder(int(kind[5:]))
    return None


def plain(value: Any) -> Any:
    """Contract handles become their address; sequences are converted element by element."""
    if hasattr(value, "address") and not isinstance(value, (str, bytes)):
        return str(value.address)
    if isinstance(value, (list, tuple)):
        return type(value)(plain(v) for v in value)
    return value


def _decoder(types: list[str]) -> Callable[[bytes], Any]:
    """Result decoder; `None` for no outputs. Callers check that a result has at least one
    word before decoding (no code at the address returns nothing)."""
    if not types:
        return lambda out: None
    if len(types) == 1:
        kind = types[0]
        if kind.startswith("uint") and "[" not in kind:
            return lambda out: int.from_bytes(out[:32], "big")
        if kind == "bool":
            return lambda out: out[31] == 1
        if kind == "address":
            return lambda out: to_checksum_address(out[12:32])
        return lambda out: _convert(eth_abi.decode(types, out)[0])
    return lambda out: _convert(eth_abi.decode(types, out))


def _convert(value: Any) -> Any:
    """Addresses checksummed, nested tuples and lists kept, as titanoboa returns them."""
    if isinstance(value, str) and len(value) == 42 and value.startswith("0x"):
        return to_checksum_address(value)
    if isinstance(value, tuple):
        return tuple(_convert(v) for v in value)
    if isinstance(value, list):
        return [_convert(v) for v in value]
    return value


class Function:
    """One function of a contract (all its overloads, told apart by argument count)."""

    def __init__(self, contract: "Contract", abis: list[dict]):
        self.contract = contract
        self.name = abis[0]["name"]
        self._by_arity: dict[int, tuple] = {}
        for abi in abis:
            types = [abi_type(p) for p in abi["inputs"]]
            selector = keccak(text=f"{self.name}({','.join(types)})")[:4]
            encoders = [_static_encoder(t) for t in types]
            fast = None if None in encoders else encoders
            view = abi.get("stateMutability") in ("view", "pure")
            outputs = [abi_type(p) for p in abi.get("outputs", [])]
            self._by_arity[len(types)] = (selector, types, fast, view, _decoder(outputs), bool(outputs))

    def _resolve(self, args: tuple) -> tuple:
        try:
            return self._by_arity[len(args)]
        except KeyError:
            counts = " or ".join(str(n) for n in sorted(self._by_arity))
            raise TypeError(f"{self.contract._contract_name}.{self.name} takes {counts} arguments, got {len(args)}") from None

    def prepare_calldata(self, *args: Any) -> bytes:
        selector, types, fast, _, _, _ = self._resolve(args)
        return self._encode(selector, types, fast, args)

    def _encode(self, selector: bytes, types: list[str], fast, args: tuple) -> bytes:
        try:
            if fast is not None:
                return selector + b"".join(enc(a) for enc, a in zip(fast, args))
            return selector + eth_abi.encode(types, [plain(a) for a in args])
        except (TypeError, ValueError, OverflowError, eth_abi.exceptions.EncodingError) as exc:
            raise TypeError(f"{self.contract._contract_name}.{self.name}({','.join(types)}): {exc}") from None

    def __call__(self, *args: Any, sender: Any = None) -> Any:
        selector, types, fast, view, decode, returns = self._resolve(args)
        data = self._encode(selector, types, fast, args)
        contract = self.contract
        chain = contract._chain
        who = chain.sender if sender is None else (sender if isinstance(sender, str) else str(sender))
        try:
            out = chain.engine.call(who, contract.address, data) if view else chain.transact(who, contract.address, data)
        except Reverted as exc:
            raise Reverted(exc.reason, exc.data, f"{contract._contract_name}.{self.name}") from None
        if returns and len(out) < 32:
            raise Reverted(f"no result (is there a {contract._contract_name} at {contract.address}?)", out, f"{contract._contract_name}.{self.name}")
        return decode(out)


class Contract:
    """A handle on a deployed contract, bound to a `FastChain`."""

    def __init__(self, chain: "FastChain", name: str, abi: list[dict], address: str):
        # Underscored: a contract's own functions (`name()` of an ERC-20) become attributes.
        self._chain = chain
        self._contract_name = name
        self._abi = abi
        self.address = to_checksum_address(address)
        groups: dict[str, list[dict]] = {}
        for item in abi:
            if item.get("type") == "function":
                groups.setdefault(item["name"], []).append(item)
        for fn_name, items in groups.items():
            if fn_name in ("address", "decode_log"):
                raise ValueError(f"evm: {name} has a function {fn_name!r}, which the handle needs for itself")
            setattr(self, fn_name, Function(self, items))
        self._events = {
            keccak(text=f"{e['name']}({','.join(abi_type(p) for p in e['inputs'])})"): e
            for e in abi
            if e.get("type") == "event"
        }

    def __repr__(self) -> str:
        return f"<{self._contract_name} at {self.address}>"

    def decode_log(self, log: RawLog) -> tuple[str, dict[str, Any]] | None:
        """(event name, arguments) of one of this contract's logs, or None if not its event."""
        event = self._events.get(log.topics[0]) if log.topics else None
        if event is None:
            return None
        indexed = [p for p in event["inputs"] if p.get("indexed")]
        plain = [p for p in event["inputs"] if not p.get("indexed")]
        values = dict(zip((p["name"] for p in plain), eth_abi.decode([abi_type(p) for p in plain], log.data)))
        for param, topic in zip(indexed, log.topics[1:]):
            kind = abi_type(param)
            values[param["name"]] = eth_abi.decode([kind], topic)[0] if _static_encoder(kind) else topic
        return event["name"], {p["name"]: _convert(values[p["name"]]) for p in event["inputs"]}


# --- a chain over an engine ---------------------------------------------------------------


class FastChain:
    """Accounts, time, deployment and lean handles over one engine; counts transactions and
    keeps every log in order when `record_logs` is on."""

    def __init__(self, engine, record_logs: bool = False):
        self.engine = engine
        self.sender = actor_address("deployer")
        self.transactions = 0
        self.record_logs = record_logs
        self.logs: list[RawLog] = []

    def transact(self, sender: str, to: str, data: bytes) -> bytes:
        out, logs = self.engine.transact(sender, to, data)
        self.transactions += 1
        if self.record_logs and logs:
            self.logs.extend(self.engine.raw_logs(logs))
        return out

    def deploy_code(self, initcode: bytes, sender: str | None = None) -> str:
        address = self.engine.deploy(sender or self.sender, initcode)
        return address

    def contract(self, name: str, abi: list[dict], address: str) -> Contract:
        return Contract(self, name, abi, address)

    def deploy_contract(self, name: str, bytecode: bytes, abi: list[dict], args: Sequence[Any], sender: str | None = None) -> Contract:
        ctor = next((item for item in abi if item.get("type") == "constructor"), None)
        types = [abi_type(p) for p in ctor["inputs"]] if ctor else []
        if len(args) != len(types):
            raise TypeError(f"{name} constructor takes {len(types)} arguments ({', '.join(types)}), got {len(args)}")
        initcode = bytes(bytecode) + (eth_abi.encode(types, [plain(a) for a in args]) if types else b"")
        return self.contract(name, abi, self.deploy_code(initcode, sender))

    def next_create_addresses(self, sender: str | None, count: int) -> list[str]:
        who = sender or self.sender
        nonce = self.engine.nonce(who)
        return [create_address(who, nonce + i) for i in range(count)]


# --- Vyper contracts compiled once ---------------------------------------------------------

CONTRACTS_DIR = Path(__file__).parent / "contracts"


@cache
def _sources_digest() -> str:
    import vyper

    digest = hashlib.sha256(vyper.__version__.encode())
    import snekmate

    for root in (CONTRACTS_DIR, Path(next(iter(snekmate.__path__)))):
        for path in sorted(root.rglob("*.vy*")):
            digest.update(str(path.relative_to(root)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


@cache
def compiled(name: str) -> tuple[bytes, list[dict]]:
    """(init bytecode, ABI) of one of tpp's Vyper contracts, compiled by the Vyper compiler once
    and cached under build/vyper/<source digest>/ so sweep workers do not compile again."""
    from tpp.artifacts import build_dir

    cache_file = build_dir() / "vyper" / _sources_digest() / f"{name.replace('/', '__')}.json"
    try:
        data = json.loads(cache_file.read_text())
        return bytes.fromhex(data["bytecode"]), data["abi"]
    except (OSError, ValueError, KeyError):
        pass
    from vyper.compiler.output import build_abi_output

    from tpp.chain import vyper_deployer

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


# --- the active fast chain (what governance deploys through when it is not titanoboa) -------

_active: list[FastChain | None] = [None]


def active() -> FastChain | None:
    return _active[0]


def set_active(chain: FastChain | None) -> None:
    _active[0] = chain
