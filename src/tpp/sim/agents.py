"""Agents: small policies that read the world's state and send real transactions.

Each agent acts once per step through `act(world)`. Reads that every agent needs (a
programme's state, reward rate and total stake, the token price) are read from the chain once
per step into `world.views` and `world.market`; what an agent sends is a real call to the real
contracts on the chain (stake, withdraw, claim, advance, and governor votes).

Reward APR, the number every farming decision turns on: the USD value of what the programme
emits in a year at the current rate and price, over the USD value of the stake it is shared
among (LP tokens x LP value). An agent asking "what would I get" counts its own capital in.
"""

from __future__ import annotations

import math
import random
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tpp.base.vocab import FINAL_STATES as _FINAL
from tpp.chain import Reverted

if TYPE_CHECKING:
    from tpp.sim.runner import World

YEAR = 365 * 86_400
WAD = 10**18
FINAL_STATES = tuple(sorted(s.name for s in _FINAL))


@dataclass
class ProgrammeView:
    """What a step's agents know about one programme (read once per step)."""

    name: str
    kind: str
    programme: Any  # Programme handle
    mechanism: Any  # the mechanism's handle (LinearStream, StakingRewards, KpiStream, …)
    # The token agents hold for it: the LP token (staking), the KPI asset (kpi_stream), the
    # activity token (checkpoints); None for streams and bounties.
    stake_token: Any = None
    state: str = "SCHEDULED"
    epoch: int = 0
    epoch_start: int = 0
    epoch_end: int = 0
    window_length: int = 0
    reward_rate: float = 0.0  # wei per second emitted now (0 unless emitting)
    halted: bool = False
    total_staked: int = 0
    emitting: bool = False
    held: int = 0  # kpi_stream: the candidates holding the KPI now (bit i: candidate i)
    app: str = ""  # checkpoints: the app whose incoming transfers count as impact
    scoring_period: int = 0  # bounty: seconds before the epoch end when submissions close
    deposit: int = 0  # bounty: native wei each submission posts

    def apr(self, price: float, lp_value: float, extra_stake: int = 0) -> float:
        """Reward APR (fraction) for the stake plus `extra_stake` LP wei; inf if nothing is
        staked and something is emitted."""
        if not self.emitting or self.reward_rate <= 0:
            return 0.0
        stake = self.total_staked + extra_stake
        if stake <= 0 or lp_value <= 0:
            return math.inf
        return self.reward_rate * YEAR * price / (stake * lp_value)


class Market:
    """Token price and LP value: a seeded geometric Brownian motion, or a pinned price path.

    LP value follows the price as a constant-product pool against a stable asset does: it
    moves with the square root of the price ratio.
    """

    def __init__(
        self,
        price: float,
        volatility: float,
        drift: float,
        lp_value: float,
        step: int,
        seed: int,
        path: tuple[float, ...] | None = None,
    ):
        self.price0, self.lp_value0 = price, lp_value
        self.price, self.lp_value = price, lp_value
        self.sigma, self.mu = volatility, drift
        self.dt = step / YEAR
        self.path = path
        self.k = 0
        self.rng = random.Random(f"{seed}/market")

    def step(self) -> None:
        self.k += 1
        if self.path is not None:
            self.price = self.path[min(self.k, len(self.path) - 1)]
        else:
            z = self.rng.gauss(0.0, 1.0)
            self.price *= math.exp((self.mu - self.sigma**2 / 2) * self.dt + self.sigma * math.sqrt(self.dt) * z)
        self.lp_value = self.lp_value0 * math.sqrt(self.price / self.price0)


@dataclass
class Position:
    """One address an agent stakes from."""

    address: str
    capital: int  # LP wei it holds to stake
    staked: int = 0


class Agent(ABC):
    """Base: one or more addresses in one staking programme, claiming every `claim_every`."""

    kind = "agent"

    def __init__(self, population, positions: list[Position], programme: str, rng: random.Random):
        self.population = population.name
        self.params = population
        self.positions = positions
        self.programme = programme
        self.rng = rng
        self.next_claim = 0

    @property
    def staked(self) -> bool:
        return any(p.staked for p in self.positions)

    def enter(self, world: World, view: ProgrammeView) -> None:
        for p in self.positions:
            if p.capital and not p.staked:
                view.mechanism.stake(p.capital, sender=p.address)
                p.staked = p.capital
                view.total_staked += p.capital
        self.next_claim = world.now + self.params.claim_every

    def leave(self, world: World, view: ProgrammeView) -> None:
        for p in self.positions:
            if p.staked:
                if not view.halted:
                    world.claim(view, p.address)
                view.mechanism.withdraw(p.staked, sender=p.address)
                view.total_staked -= p.staked
                p.staked = 0

    def claim_if_due(self, world: World, view: ProgrammeView) -> None:
        if world.now >= self.next_claim and not view.halted:
            for p in self.positions:
                if p.staked:
                    world.claim(view, p.address)
            self.next_claim = world.now + self.params.claim_every

    @abstractmethod
    def act(self, world: World) -> None:
        """One step of this agent's policy."""

    def before(self, world: World) -> None:
        """What the agent does before the keeper's readings of a step (most agents: nothing)."""
        return None

    def after(self, world: World) -> None:
        """What the agent does after every agent acted in a step (most agents: nothing)."""
        return None

    def rewards(self, world: World) -> dict[str, int]:
        """Wei each of its addresses captured: what it holds of the token (an agent's addresses
        receive it from their one programme only, and never send it on), plus what it could
        still claim. Read from the chain, not from what the claims returned: on a node,
        titanoboa computes a transaction's return value on its fork of the previous block."""
        view = world.views[self.programme]
        token = world.stack.token
        out = {}
        for p in self.positions:
            total = token.balanceOf(p.address) + view.mechanism.earned(p.address)
            if total:
                out[p.address] = total
        return out


class LoyalLP(Agent):
    """Stakes once it has joined and stays through epochs, also after emission stops."""

    kind = "loyal_lp"

    def __init__(self, population, positions, programme, rng, join_at: int):
        super().__init__(population, positions, programme, rng)
        self.join_at = join_at

    def act(self, world: World) -> None:
        view = world.views[self.programme]
        if not self.staked:
            if world.now >= self.join_at and view.state not in FINAL_STATES:
                self.enter(world, view)
            return
        self.claim_if_due(world, view)


class Mercenary(Agent):
    """Enters when the APR it would get beats its hurdle; leaves when the APR falls below its
    exit level or emission stops. A sybil is a mercenary splitting one budget over many
    addresses (kind "sybil")."""

    kind = "mercenary"

    def __init__(self, population, positions, programme, rng, kind: str = "mercenary"):
        super().__init__(population, positions, programme, rng)
        self.kind = kind

    def act(self, world: World) -> None:
        view = world.views[self.programme]
        price, lp_value = world.market.price, world.market.lp_value
        if not self.staked:
            capital = sum(p.capital for p in self.positions)
            if view.emitting and view.apr(price, lp_value, capital) > self.params.hurdle:
                self.enter(world, view)
            return
        if not view.emitting or view.apr(price, lp_value) < self.params.exit_below:
            self.leave(world, view)
            return
        self.claim_if_due(world, view)


class Whale(Agent):
    """Moves in late: stakes a large position `arrive_before_end` before an epoch ends, takes
    the rewards of the last days and leaves once the epoch is over."""

    kind = "whale"
    entered_for: int = 0  # the epoch end it entered for

    def act(self, world: World) -> None:
        view = world.views[self.programme]
        if not self.staked:
            if view.emitting and view.epoch_end - world.now <= self.params.arrive_before_end:
                self.enter(world, view)
                self.entered_for = view.epoch_end
            return
        if world.now >= self.entered_for or not view.emitting:
            self.leave(world, view)


@dataclass
class DelegateState:
    address: str
    votes: int  # wei of voting power
    decisions: list[int] = field(default_factory=list)  # times of decisions taken (rolling month)

    def budget_left(self, now: int, per_month: int) -> int:
        month_ago = now - 30 * 86_400
        self.decisions = [t for t in self.decisions if t > month_ago]
        return max(0, per_month - len(self.decisions))


def rule_outcome(apr: float, rule) -> str:
    """What a delegate votes for a programme whose KPI (reward APR paid so far) is `apr`."""
    if apr <= rule.continue_below:
        return "CONTINUE"
    if apr >= rule.stop_above:
        return "STOP"
    return "ITERATE"


class Keeper:
    """Calls `advance()` on every programme whose next transition is due, and takes a reading
    of every emitting KPI stream, every `interval`."""

    def __init__(self, address: str, interval: int, start: int):
        self.address = address
        self.interval = interval
        self.next_run = start
        self.reading_due = False

    def read(self, world: World) -> int:
        """The round's KPI readings (after the agents' `before`: a flash depositor's moment)."""
        if not self.reading_due:
            return 0
        self.reading_due = False
        sent = 0
        for view in world.views.values():
            if view.kind == "kpi_stream" and view.emitting:
                view.mechanism.poke(sender=self.address)
                sent += 1
        return sent

    def act(self, world: World) -> int:
        # On the step grid: chain time runs a little past it (a vote; on anvil, every block),
        # and a round planned from chain time could then miss the step it is due at.
        if world.t < self.next_run:
            return 0
        self.next_run = world.t + self.interval
        self.reading_due = True
        sent = 0
        for view in world.views.values():
            state, when = view.programme.next_transition()
            if state and when <= world.now:
                try:
                    with world.chain.reverts():
                        view.programme.advance(sender=self.address)
                    sent += 1
                except Reverted:
                    pass  # nothing the keeper can do; the programme stays as it is
        return sent


def spread_capital(rng: random.Random, capital: int, spread: float) -> int:
    """`capital` varied uniformly within +-`spread` (a fraction), whole wei."""
    if spread <= 0:
        return capital
    return max(1, int(capital * (1 + rng.uniform(-spread, spread))))


__all__ = [
    "Agent",
    "DelegateState",
    "Keeper",
    "LoyalLP",
    "Market",
    "Mercenary",
    "Position",
    "ProgrammeView",
    "Whale",
    "rule_outcome",
    "spread_capital",
]
