"""The one ABI codec of tpp: calldata, results, events and revert data, from the contracts' own
ABIs (`tpp.chain.artifacts` holds them).

Every part of tpp that encodes or decodes goes through here: the lean contract handles of the
fast engines (`tpp.chain.handles`), the governor payloads of `tpp propose` (encoded from the
ABI, decoded back for the text delegates read), the event recorder and the revert reasons every
backend raises. Static scalar arguments are encoded by hand, with type and range checks, because
the simulator encodes hundreds of thousands of calls; everything else goes through eth_abi.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import eth_abi
import eth_abi.exceptions
from eth_utils import keccak, to_checksum_address

__all__ = [
    "ErrorTable",
    "EventDecoder",
    "FunctionAbi",
    "abi_type",
    "convert",
    "functions_of",
    "plain",
    "revert_reason",
    "static_encoder",
]

_ERROR_SELECTOR = keccak(text="Error(string)")[:4]
_PANIC_SELECTOR = keccak(text="Panic(uint256)")[:4]


def abi_type(param: Mapping[str, Any]) -> str:
    """The canonical ABI type of one ABI input or output, tuples spelled out for eth_abi."""
    kind = str(param["type"])
    if kind.startswith("tuple"):
        return f"({','.join(abi_type(c) for c in param['components'])}){kind[len('tuple') :]}"
    return kind


def plain(value: Any) -> Any:
    """Contract handles become their address; sequences are converted element by element."""
    if hasattr(value, "address") and not isinstance(value, (str, bytes)):
        return str(value.address)
    if isinstance(value, (list, tuple)):
        return type(value)(plain(v) for v in value)
    return value


@functools.lru_cache(maxsize=1 << 16)
def checksum(address: str) -> str:
    """EIP-55 checksum of a 0x address, remembered: decoding logs meets the same few
    addresses again and again, and eth_utils' checksum costs a keccak and its validation."""
    return to_checksum_address(address)


def convert(value: Any) -> Any:
    """Decoded values as titanoboa returns them: addresses checksummed, tuples and lists kept."""
    if isinstance(value, str) and len(value) == 42 and value.startswith("0x"):
        return checksum(value)
    if isinstance(value, tuple):
        return tuple(convert(v) for v in value)
    if isinstance(value, list):
        return [convert(v) for v in value]
    return value


# --- hand encoders for static scalars ---------------------------------------------------------


def _address_word(value: Any) -> bytes:
    if not isinstance(value, str):
        value = str(value.address) if hasattr(value, "address") else str(value)
    if len(value) != 42 or not value.startswith("0x"):
        raise TypeError(f"not an address: {value!r}")
    return bytes.fromhex(value[2:]).rjust(32, b"\0")


def _bool_word(value: Any) -> bytes:
    if not isinstance(value, bool):
        raise TypeError(f"not a bool: {value!r}")
    return b"\0" * 31 + (b"\1" if value else b"\0")


def _int_encoder(bits: int, signed: bool) -> Callable[[Any], bytes]:
    low, high = (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if signed else (0, (1 << bits) - 1)
    kind = f"{'int' if signed else 'uint'}{bits}"

    def encode(value: Any) -> bytes:
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            raise TypeError(f"not a {kind}: {value!r}")
        return int(value).to_bytes(32, "big", signed=signed)

    return encode


def _fixed_bytes_encoder(size: int) -> Callable[[Any], bytes]:
    def encode(value: Any) -> bytes:
        if not isinstance(value, (bytes, bytearray)) or len(value) > size:
            raise TypeError(f"not a bytes{size}: {value!r}")
        return bytes(value).ljust(32, b"\0")

    return encode


def static_encoder(kind: str) -> Callable[[Any], bytes] | None:
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


def _decoder(types: list[str]) -> Callable[[bytes], Any]:
    """Result decoder. Callers check that a result has at least one word before decoding (no
    code at the address returns nothing)."""
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
        return lambda out: convert(eth_abi.decode(types, out)[0])
    return lambda out: convert(eth_abi.decode(types, out))


# --- functions ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class FunctionAbi:
    """One function of one contract's ABI: its selector, how to encode a call to it, and how to
    read its calldata and result back."""

    contract: str
    name: str
    inputs: tuple[Mapping[str, Any], ...]
    outputs: tuple[Mapping[str, Any], ...] = ()
    mutability: str = "nonpayable"
    types: tuple[str, ...] = field(init=False)
    selector: bytes = field(init=False)
    _fast: tuple[Callable[[Any], bytes], ...] | None = field(init=False, repr=False)
    _decode: Callable[[bytes], Any] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        types = tuple(abi_type(p) for p in self.inputs)
        object.__setattr__(self, "types", types)
        object.__setattr__(self, "selector", keccak(text=f"{self.name}({','.join(types)})")[:4])
        encoders = [static_encoder(t) for t in types]
        fast = None if any(e is None for e in encoders) else tuple(e for e in encoders if e is not None)
        object.__setattr__(self, "_fast", fast)
        object.__setattr__(self, "_decode", _decoder([abi_type(p) for p in self.outputs]))

    @classmethod
    def from_abi(cls, contract: str, item: Mapping[str, Any]) -> FunctionAbi:
        return cls(
            contract,
            str(item["name"]),
            tuple(item.get("inputs", ())),
            tuple(item.get("outputs", ())),
            str(item.get("stateMutability", "nonpayable")),
        )

    @property
    def signature(self) -> str:
        return f"{self.name}({','.join(self.types)})"

    @property
    def is_view(self) -> bool:
        return self.mutability in ("view", "pure")

    @property
    def returns(self) -> bool:
        return bool(self.outputs)

    def encode(self, *args: Any) -> bytes:
        """Calldata for a call with `args` (contract handles stand for their address); a value
        of the wrong type or out of range raises TypeError naming the function."""
        fast = self._fast
        try:
            if fast is not None:
                return self.selector + b"".join([enc(a) for enc, a in zip(fast, args)])
            return self.selector + eth_abi.encode(list(self.types), [plain(a) for a in args])
        except (TypeError, ValueError, OverflowError, eth_abi.exceptions.EncodingError) as exc:
            raise TypeError(f"{self.contract}.{self.signature}: {exc}") from None

    def decode_result(self, out: bytes) -> Any:
        return self._decode(out)

    def decode_input(self, data: bytes) -> dict[str, Any]:
        """The arguments of calldata `data` (selector included) by parameter name."""
        values = eth_abi.decode(list(self.types), bytes(data)[4:])
        return {str(p["name"]): v for p, v in zip(self.inputs, values, strict=True)}


def functions_of(contract: str, abi: Iterable[Mapping[str, Any]]) -> dict[str, list[FunctionAbi]]:
    """name -> overloads of every function in `abi`."""
    out: dict[str, list[FunctionAbi]] = {}
    for item in abi:
        if item.get("type") == "function":
            out.setdefault(str(item["name"]), []).append(FunctionAbi.from_abi(contract, item))
    return out


# --- events -------------------------------------------------------------------------------------


def _topic_bytes(topic: Any) -> bytes:
    return bytes(topic) if isinstance(topic, (bytes, bytearray)) else int(topic).to_bytes(32, "big")


def _by_hash(abis: Mapping[str, Sequence[Mapping[str, Any]]], kind: str, size: int) -> dict[bytes, Mapping[str, Any]]:
    """ABI items of one `kind` ("event", "error") keyed by the first `size` bytes of their
    signature's keccak (32 for a topic, 4 for a selector); the first definition wins on a clash,
    which is safe: the same signature means the same layout."""
    out: dict[bytes, Mapping[str, Any]] = {}
    for abi in abis.values():
        for item in abi:
            if item.get("type") == kind:
                signature = f"{item['name']}({','.join(abi_type(i) for i in item['inputs'])})"
                out.setdefault(keccak(text=signature)[:size], item)
    return out


@dataclass
class EventDecoder:
    """topic0 -> event ABI over many contracts' ABIs (the first definition wins on a clash,
    which is safe: the same signature means the same layout)."""

    events: dict[bytes, Mapping[str, Any]] = field(default_factory=dict)

    @classmethod
    def from_abis(cls, abis: Mapping[str, Sequence[Mapping[str, Any]]]) -> EventDecoder:
        return cls(_by_hash(abis, "event", 32))

    def decode(self, address: str | bytes, topics: Sequence[Any], data: bytes) -> dict[str, Any] | None:
        """{"event", "address", "args"} for a log whose event is known, else None. Topics may be
        ints or 32-byte strings. Indexed dynamic values are hashes and shown as hex."""
        if not topics:
            return None
        raw_topics = [_topic_bytes(t) for t in topics]
        item = self.events.get(raw_topics[0])
        if item is None:
            return None
        indexed = [i for i in item["inputs"] if i.get("indexed")]
        unindexed = [i for i in item["inputs"] if not i.get("indexed")]
        if len(indexed) != len(raw_topics) - 1:
            return None  # same name and types but a different indexing: not this event
        args: dict[str, Any] = {}
        for param, raw in zip(indexed, raw_topics[1:], strict=True):
            kind = abi_type(param)
            if static_encoder(kind) is None:
                args[param["name"]] = "0x" + raw.hex()  # dynamic indexed values are hashed
            else:
                args[param["name"]] = _topic_value(kind, raw)
        values = eth_abi.decode([abi_type(p) for p in unindexed], bytes(data)) if unindexed else ()
        for param, value in zip(unindexed, values, strict=True):
            args[param["name"]] = convert(value)
        ordered = {p["name"]: args[p["name"]] for p in item["inputs"]}
        where = "0x" + bytes(address).hex() if isinstance(address, (bytes, bytearray)) else str(address)
        return {"event": item["name"], "address": checksum(where), "args": ordered}


def _topic_value(kind: str, raw: bytes) -> Any:
    """One indexed static value, as eth_abi would decode it (and `convert` present it), read
    straight from its 32-byte topic for the common types: logs are decoded by the thousand."""
    if kind == "address" and not any(raw[:12]):
        return checksum("0x" + raw[12:].hex())
    if kind.startswith("uint") and kind[4:].isdigit() and int(raw.hex(), 16) < 1 << int(kind[4:]):
        return int.from_bytes(raw, "big")
    if kind == "bytes32":
        return bytes(raw)
    return convert(eth_abi.decode([kind], raw)[0])  # anything else (and malformed topics): eth_abi's rules


# --- revert data --------------------------------------------------------------------------------


@dataclass
class ErrorTable:
    """Custom errors (Solidity `error X(...)`) by selector, from many ABIs, so revert data such
    as OpenZeppelin's `GovernorUnexpectedProposalState(...)` reads as words."""

    errors: dict[bytes, Mapping[str, Any]] = field(default_factory=dict)

    @classmethod
    def from_abis(cls, abis: Mapping[str, Sequence[Mapping[str, Any]]]) -> ErrorTable:
        return cls(_by_hash(abis, "error", 4))

    def decode(self, data: bytes) -> tuple[str, dict[str, Any]] | None:
        item = self.errors.get(bytes(data[:4]))
        if item is None:
            return None
        try:
            values = eth_abi.decode([abi_type(p) for p in item["inputs"]], bytes(data[4:]))
        except (eth_abi.exceptions.DecodingError, ValueError):
            return None
        return str(item["name"]), {str(p["name"]): convert(v) for p, v in zip(item["inputs"], values, strict=True)}


def _show(value: Any) -> str:
    if isinstance(value, (bytes, bytearray)):
        return "0x" + bytes(value).hex()
    return str(value)


def revert_reason(data: bytes, errors: ErrorTable | None = None) -> str:
    """The readable reason in revert data: Error(string), Panic(uint256), a known custom error
    ("GovernorUnexpectedProposalState(proposalId=…, current=7, expectedStates=0x…)"), or the raw
    bytes."""
    data = bytes(data)
    if data[:4] == _ERROR_SELECTOR:
        try:
            return str(eth_abi.decode(["string"], data[4:])[0])
        except (eth_abi.exceptions.DecodingError, ValueError, UnicodeDecodeError):
            pass  # malformed: shown raw below
    if data[:4] == _PANIC_SELECTOR and len(data) >= 36:
        return f"panic 0x{int.from_bytes(data[4:36], 'big'):02x}"
    if errors is not None and len(data) >= 4:
        known = errors.decode(data)
        if known is not None:
            name, args = known
            return f"{name}({', '.join(f'{k}={_show(v)}' for k, v in args.items())})"
    return "reverted without a reason" if not data else f"reverted with 0x{data.hex()}"
