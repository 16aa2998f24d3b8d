"""The programme layer on a chain: the shared implementations every programme, mechanism and
epoch minter is a clone of, the factory, and handles on what it created."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tpp.model import kinds

if TYPE_CHECKING:
    from tpp.chain import Chain

__all__ = ["ProgrammeLayer", "created_programmes", "deploy_programme_layer", "mechanism_handle"]


@dataclass
class ProgrammeLayer:
    """The shared implementations and the factory."""

    minter_implementation: Any
    programme_implementation: Any
    mechanism_implementations: dict[str, Any]  # kind name -> implementation
    factory: Any
    # The Hats-compatible registry programmes check guardian and steward hats against: a real
    # Hats deployment on a network, or tpp's MinimalHats stand-in locally (Hats is on no registry).
    hats: Any = None

    @property
    def stream_implementation(self) -> Any:
        return self.mechanism_implementations["stream"]

    @property
    def staking_implementation(self) -> Any:
        return self.mechanism_implementations["staking"]


def deploy_programme_layer(
    chain: Chain, budget: Any, token: Any, executor: str, *, hats: str | None = None, sender: str | None = None
) -> ProgrammeLayer:
    """Deploy the implementations every programme, mechanism and epoch minter is a clone of
    (one per registered mechanism kind), and the factory that only `executor` (the TPP
    executor) can drive."""
    minter = chain.deploy("EpochMinter", budget.address, sender=sender)
    # Without a Hats deployment to point at, the layer brings the minimal stand-in (not Hats).
    hats_handle = chain.at("MinimalHats", hats) if hats else chain.deploy("MinimalHats", sender=sender)
    programme = chain.deploy("Programme", budget.address, executor, minter.address, hats_handle.address, sender=sender)
    handles = {"token": token, "budget": budget}
    ordered = sorted(kinds.all_kinds(), key=lambda k: k.code)
    implementations = {k.name: chain.deploy(k.contract, *k.implementation_args(handles), sender=sender) for k in ordered}
    factory = chain.deploy(
        "ProgrammeFactory",
        budget.address,
        executor,
        programme.address,
        [implementations[k.name].address for k in ordered],
        sender=sender,
    )
    return ProgrammeLayer(minter, programme, implementations, factory, hats_handle)


def created_programmes(chain: Chain, factory: Any, first_index: int = 0) -> list[tuple[Any, str]]:
    """(programme handle, mechanism address) for every programme the factory created from
    `first_index`."""
    out = []
    for index in range(first_index, factory.programme_count()):
        programme = chain.at("Programme", factory.programme_at(index))
        out.append((programme, str(programme.mechanism())))
    return out


def mechanism_handle(chain: Chain, kind: str, address: str) -> Any:
    """A handle on a mechanism of kind `kind` (a registered kind name)."""
    return kinds.get(kind).handle(chain, address)
