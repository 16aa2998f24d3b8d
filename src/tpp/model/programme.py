"""The on-chain shape of one programme (`programme_spec.vy`), as plain frozen dataclasses."""

from __future__ import annotations

from dataclasses import dataclass, field

from tpp.base.vocab import ZERO_ADDRESS, Comparator, Outcome, dial_id
from tpp.model import kinds

__all__ = ["DialSpec", "ProgrammeSpec"]


@dataclass(frozen=True)
class DialSpec:
    """One dial a steward may move: bounds inclusive, largest step, seconds between moves."""

    name: str
    initial: int
    lower: int
    upper: int
    step: int
    cooldown: int

    def as_tuple(self) -> tuple[bytes, int, int, int, int, int]:
        return (dial_id(self.name), self.initial, self.lower, self.upper, self.step, self.cooldown)


@dataclass(frozen=True)
class ProgrammeSpec:
    """Everything a programme is created with (mirrors `programme_spec.ProgrammeSpec`)."""

    kind: str  # a registered mechanism kind ("stream", "staking")
    target: str  # the kind's target: stream recipient, stake token, …
    epoch_cap: int  # wei per full-length epoch
    first_start: int
    first_end: int
    epoch_duration: int
    window_length: int
    guardian: str
    default_outcome: str = "STOP"
    max_epochs: int = 1
    iterate_cap_bps: int = 0
    steward: str = ZERO_ADDRESS
    oracle: str = ZERO_ADDRESS
    comparator: str | None = None
    threshold: int = 0  # an 18-decimal fixed-point number (THRESHOLD_DECIMALS), whatever the feed's decimals
    max_pause: int = 0
    oracle_max_age: int = 0  # seconds: the oldest oracle answer that counts (required with an oracle)
    guardian_hat: int = 0  # a hat whose wearers act as the guardian (then `guardian` is the zero address)
    steward_hat: int = 0  # a hat whose wearers act as the steward (then `steward` is the zero address)
    metadata_uri: str = ""
    dials: tuple[DialSpec, ...] = field(default_factory=tuple)
    params: bytes = b""  # the mechanism's own parameters, ABI-encoded by its kind (empty for most)

    def as_tuple(self) -> tuple:
        """The struct as `ProgrammeFactory.create_programmes` takes it."""
        return (
            kinds.get(self.kind).code,
            self.target,
            self.epoch_cap,
            self.first_start,
            self.first_end,
            self.epoch_duration,
            self.window_length,
            Outcome[self.default_outcome],
            self.max_epochs,
            self.iterate_cap_bps,
            self.steward,
            self.guardian,
            self.oracle,
            Comparator.from_symbol(self.comparator) if self.comparator else Comparator.NONE,
            self.threshold,
            self.max_pause,
            self.oracle_max_age,
            self.guardian_hat,
            self.steward_hat,
            self.metadata_uri,
            [d.as_tuple() for d in self.dials],
            self.params,
        )
