"""What one simulation run records: the plain data the metrics and reports are computed from.

The runner fills a `Trace` while the agents act on the chain; nothing here touches the chain,
so metrics can be checked by hand on a tiny trace and recomputed from a saved one. Amounts
are integers in wei (tokens and LP tokens alike, 18 decimals unless the trace says
otherwise); prices are floats in USD; times are unix seconds.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

# Agent kinds that receive emission (delegates, keepers and the market do not).
RECIPIENT_KINDS = (
    "loyal_lp",
    "mercenary",
    "sybil",
    "whale",
    "kpi_holder",
    "kpi_flash",
    "builder",
    "wash_trader",
    "researcher",
    "duplicate_filer",
)


@dataclass(frozen=True)
class ProgrammeInfo:
    name: str
    kind: str  # a mechanism kind ("stream", "staking", "kpi_stream", "checkpoints", "bounty")
    address: str  # the Programme (lifecycle controller)
    mechanism: str  # the LinearStream or StakingRewards clone


@dataclass(frozen=True)
class Participant:
    """One address an agent controls."""

    address: str
    population: str  # the scenario's name for the agent population ("farmers", "whales"...)
    kind: str  # one of RECIPIENT_KINDS
    owner: str  # who controls it: a sybil's addresses share one owner; otherwise the address


@dataclass(frozen=True)
class ProgrammeSample:
    state: str  # SCHEDULED, RUNNING, EVALUATING, PAUSED, STOPPED, KILLED
    minted: int  # wei minted for this programme so far, all epochs (moves when someone claims)
    staked: int  # LP wei staked at the sample time (0 for streams)
    stakers: int  # addresses with a stake at the sample time
    emitting: bool  # an epoch is live, started, not ended and not halted
    emitted: int  # wei emitted so far: minted, plus accrued to recipients and not yet minted
    held: int = 0  # kpi_stream: candidates holding the KPI at the sample (bit i: candidate i)


@dataclass(frozen=True)
class Sample:
    """The world at the end of one step."""

    time: int
    price: float  # USD per token
    lp_value: float  # USD per LP token
    minted_total: int  # wei the Budget has minted, all programmes
    scheduled_total: int  # wei the Budget's schedule allows by `time` (scheduled supply)
    threshold: int  # wei per second in force (the GAP-set inflation threshold)
    programmes: dict[str, ProgrammeSample]


@dataclass(frozen=True)
class Window:
    """One evaluation window of one programme epoch: a decision asked of delegates."""

    programme: str
    opens: int
    closes: int  # the epoch end
    delegates: int  # delegates who could have voted
    attendees: int  # delegates who showed up and voted
    turnout: float  # share of the delegates' voting power that voted (0..1)
    outcome: str  # what the programme did at the epoch end: the decision, or the default
    decided: bool  # True if a vote decided it, False if the default outcome applied


@dataclass
class Trace:
    scenario: str
    seed: int
    engine: str  # "revm" or "pyevm"
    params: dict[str, Any]  # the sweep parameters of this run (dotted key -> value as written)
    start: int
    step: int  # seconds per step
    horizon: int  # seconds simulated
    programmes: list[ProgrammeInfo]
    participants: list[Participant]
    samples: list[Sample] = field(default_factory=list)
    # programme -> address -> wei captured (claimed plus still claimable at the end)
    rewards: dict[str, dict[str, int]] = field(default_factory=dict)
    windows: list[Window] = field(default_factory=list)
    # programme -> time its emission stopped for good (STOPPED or KILLED), None if it did not
    stopped_at: dict[str, int | None] = field(default_factory=dict)
    # checkpoints: programme -> owner -> true impact (wei of activity it sent to the app)
    impact: dict[str, dict[str, int]] = field(default_factory=dict)
    # bounty: programme -> owner -> submissions it filed
    submissions: dict[str, dict[str, int]] = field(default_factory=dict)
    transactions: int = 0  # transactions the agents, keeper and delegates sent
    decimals: int = 18

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
