"""Mechanism kinds as plug-ins.

Everything the Python side knows about one kind lives in one module of this package: its code
on chain, its contract and how its implementation is deployed, its spec field and rules, how
the simulator feeds it, and the labels metrics and reports use. This file is the one place
they are registered (`_MODULES`): adding a kind is its module, its contract and its tests.

A kind module may import only `tpp.base` and this package; what it needs from a chain or a
simulation it is handed (duck-typed), so the specs can ask the registry without loading an EVM.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["ZERO_ADDRESS", "MechanismKind", "abi_address", "abi_word", "all_kinds", "by_code", "get", "names", "word_address"]

ZERO_ADDRESS = "0x" + "00" * 20


def abi_word(value: int) -> bytes:
    """One ABI word: an unsigned integer, big-endian, 32 bytes (the kinds' `params` blobs)."""
    return int(value).to_bytes(32, "big")


def abi_address(value: str) -> bytes:
    """One ABI word holding an address (0x-prefixed hex, left-padded)."""
    return bytes(12) + bytes.fromhex(value.removeprefix("0x").rjust(40, "0"))


def word_address(word: int, what: str) -> str:
    """The address an ABI word holds (ValueError naming `what` if its high bits are set)."""
    if word >> 160:
        raise ValueError(f"{what} is not an address")
    return "0x" + word.to_bytes(20, "big").hex()


@dataclass(frozen=True)
class MechanismKind:
    """One mechanism kind, as every layer of tpp sees it."""

    name: str  # as specs write it: kind = "stream"
    code: int  # programme_spec.vy's kind code
    contract: str  # the Vyper contract whose clones the factory creates
    title: str  # one line for summaries and `tpp init`
    noun: str  # how messages name one programme of the kind ("a stream", "a staking programme")
    plural: str
    # The spec field that holds the mechanism's target, what it is, and how summaries say it.
    target_field: str
    target_hint: str
    target_label: str
    # Constructor arguments of the shared implementation, from the stack's handles
    # (`{"token": …, "budget": …}`).
    implementation_args: Callable[[Mapping[str, Any]], tuple[Any, ...]] = lambda handles: ()
    # Simulator: participants stake an LP token into the mechanism (and emission accrues only
    # while something is staked); delegates judge the programme by the reward APR it pays.
    stakes: bool = False

    def handle(self, chain: Any, address: str) -> Any:
        """A handle on one of this kind's mechanisms on `chain`."""
        return chain.at(self.contract, address)


# The plug-ins, in kind-code order. Adding a kind: its module here, its contract, its tests.
_MODULES = (
    "tpp.model.kinds.stream",
    "tpp.model.kinds.staking",
    "tpp.model.kinds.kpi_stream",
    "tpp.model.kinds.checkpoints",
    "tpp.model.kinds.bounty",
)


def _load() -> dict[str, MechanismKind]:
    registry: dict[str, MechanismKind] = {}
    for module in _MODULES:
        kind = importlib.import_module(module).KIND
        if kind.name in registry or any(k.code == kind.code for k in registry.values()):
            raise RuntimeError(f"kinds: {module} registers {kind.name!r} / code {kind.code} twice")
        registry[kind.name] = kind
    codes = sorted(k.code for k in registry.values())
    if codes != list(range(1, len(codes) + 1)):
        # The factory holds one implementation per code, code k at index k - 1.
        raise RuntimeError(f"kinds: codes must be 1..{len(codes)} without gaps, got {codes}")
    return registry


_REGISTRY = _load()


def get(name: str) -> MechanismKind:
    """The kind named `name` (KeyError names the known ones)."""
    try:
        return _REGISTRY[name]
    except KeyError:
        raise KeyError(f"unknown mechanism kind {name!r} (known: {', '.join(_REGISTRY)})") from None


def by_code(code: int) -> MechanismKind:
    for kind in _REGISTRY.values():
        if kind.code == int(code):
            return kind
    raise KeyError(f"unknown mechanism kind code {code}")


def names() -> tuple[str, ...]:
    return tuple(_REGISTRY)


def all_kinds() -> Iterator[MechanismKind]:
    return iter(_REGISTRY.values())
