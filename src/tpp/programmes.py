"""Programmes from Python: specs as the factory takes them, the programme layer's deployment,
and readable names for states and outcomes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from eth_utils import keccak

if TYPE_CHECKING:  # the chain layer loads the EVM; specs and plans need only the shapes here
    from tpp.chain import Chain

ZERO = "0x0000000000000000000000000000000000000000"

STATES = {0: "NONE", 1: "SCHEDULED", 2: "RUNNING", 3: "EVALUATING", 4: "PAUSED", 5: "STOPPED", 6: "KILLED"}
STATE = {name: code for code, name in STATES.items()}
OUTCOMES = {0: "NONE", 1: "STOP", 2: "CONTINUE", 3: "ITERATE", 4: "PAUSE", 5: "KILL"}
OUTCOME = {name: code for code, name in OUTCOMES.items()}
KINDS = {"stream": 1, "staking": 2}
COMPARATORS = {">": 1, ">=": 2, "<": 3, "<=": 4}
THROTTLE = "throttle_bps"
# Seconds after an epoch's end during which its minter still mints what unlocked by the end.
DEFAULT_CLAIM_GRACE = 30 * 86_400

ADMITTER_ADMIN_ROLE = keccak(b"ADMITTER_ADMIN_ROLE")


def dial_id(name: str) -> bytes:
    return keccak(text=name)


@dataclass(frozen=True)
class DialSpec:
    name: str
    initial: int
    lower: int
    upper: int
    step: int
    cooldown: int

    def as_tuple(self) -> tuple:
        return (dial_id(self.name), self.initial, self.lower, self.upper, self.step, self.cooldown)


@dataclass(frozen=True)
class ProgrammeSpec:
    """Everything a programme is created with (mirrors `programme_spec.ProgrammeSpec`)."""

    kind: str  # "stream" or "staking"
    target: str  # stream recipient, or stake token
    epoch_cap: int  # wei per full-length epoch
    first_start: int
    first_end: int
    epoch_duration: int
    window_length: int
    guardian: str
    default_outcome: str = "STOP"
    max_epochs: int = 1
    iterate_cap_bps: int = 0
    steward: str = ZERO
    oracle: str = ZERO
    comparator: str | None = None
    threshold: int = 0
    max_pause: int = 0
    metadata_uri: str = ""
    dials: tuple[DialSpec, ...] = field(default_factory=tuple)

    def as_tuple(self) -> tuple:
        return (
            KINDS[self.kind],
            self.target,
            self.epoch_cap,
            self.first_start,
            self.first_end,
            self.epoch_duration,
            self.window_length,
            OUTCOME[self.default_outcome],
            self.max_epochs,
            self.iterate_cap_bps,
            self.steward,
            self.guardian,
            self.oracle,
            COMPARATORS[self.comparator] if self.comparator else 0,
            self.threshold,
            self.max_pause,
            self.metadata_uri,
            [d.as_tuple() for d in self.dials],
        )


@dataclass
class ProgrammeLayer:
    """The shared implementations and the factory."""

    minter_implementation: Any
    programme_implementation: Any
    stream_implementation: Any
    staking_implementation: Any
    factory: Any


def deploy_programme_layer(
    chain: Chain, budget: Any, token: Any, executor: str, *, claim_grace: int = DEFAULT_CLAIM_GRACE, sender: str | None = None
) -> ProgrammeLayer:
    """Deploy the implementations every programme, mechanism and epoch minter is a clone of,
    and the factory that only `executor` (the TPP executor) can drive."""
    minter = chain.deploy("EpochMinter", budget.address, claim_grace, sender=sender)
    programme = chain.deploy("Programme", budget.address, executor, minter.address, sender=sender)
    stream = chain.deploy("LinearStream", sender=sender)
    staking = chain.deploy("StakingRewards", token.address, sender=sender)
    factory = chain.deploy(
        "ProgrammeFactory", budget.address, executor, programme.address, stream.address, staking.address, sender=sender
    )
    return ProgrammeLayer(minter, programme, stream, staking, factory)


def created_programmes(chain: Chain, factory: Any, first_index: int = 0) -> list[tuple[Any, Any]]:
    """(programme, mechanism) handles for every programme the factory created from `first_index`."""
    out = []
    for index in range(first_index, factory.programme_count()):
        programme = chain.at("Programme", factory.programme_at(index))
        mechanism_address = programme.mechanism()
        out.append((programme, mechanism_address))
    return out


def mechanism_handle(chain: Chain, kind: str, address: str):
    return chain.at("LinearStream" if kind == "stream" else "StakingRewards", address)
