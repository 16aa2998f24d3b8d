"""One simulation run: a scenario's programmes, created by real votes on a fresh chain, met by
its agent populations step by step; returns the `Trace` the metrics are computed from.

The set-up is the whole loop in miniature: the stack is deployed with the scenario's global
parameters, one TPP vote on the real OpenZeppelin governor grants the Budget its minting
power and creates every programme, and from then on the only hands on the contracts are the
agents', the keeper's and the delegates' (whose decisions are votes too).

A run is a pure function of (scenario, seed, engine): random streams are seeded per component
from the run's seed, agents act in a seeded order, and both engines execute the same bytecode.
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tpp.base.vocab import ADMITTER_ADMIN_ROLE, TOKEN_MINTER_ROLE, ZERO_ADDRESS, Outcome, State
from tpp.chain import Chain, Reverted
from tpp.model import kinds
from tpp.sim.agents import (
    FINAL_STATES,
    Agent,
    DelegateState,
    Keeper,
    LoyalLP,
    Market,
    Mercenary,
    Position,
    ProgrammeView,
    Whale,
    rule_outcome,
    spread_capital,
)
from tpp.sim.trace import Participant, ProgrammeInfo, ProgrammeSample, Sample, Trace, Window
from tpp.system.governance import GovernanceError
from tpp.system.programmes import mechanism_handle
from tpp.system.stack import BudgetParams, Call, StackConfig, deploy_stack

DAY = 86_400
RATE_SCALE = 10**18  # emission.vy: mechanism rates are wei * RATE_SCALE per second
BPS = 10_000
# How long before the first programme starts the chain begins: room for the set-up votes.
LEAD_TIME = 2 * DAY
MAX_UINT = 2**256 - 1


@dataclass
class World:
    """The chain and what every agent reads this step."""

    chain: Chain
    stack: Any
    market: Market
    views: dict[str, ProgrammeView]
    now: int = 0
    claims: dict[tuple[str, str], int] = field(default_factory=dict)  # (programme, address) -> wei

    def claim(self, view: ProgrammeView, address: str) -> int:
        paid = view.mechanism.claim(sender=address)
        if paid:
            key = (view.name, address)
            self.claims[key] = self.claims.get(key, 0) + paid
        return paid


@dataclass
class RunResult:
    trace: Trace
    chain: Chain
    world: World
    agents: list[Agent]
    setup_transactions: int  # votes, roles and funding before the first step (deployments not counted)


def _chain_spec(p, stake_tokens: dict[str, Any], chain: Chain, stack) -> Any:
    """The on-chain spec with the simulator's own actors in place of placeholder addresses."""
    spec = p.to_chain()
    target = stake_tokens[p.name].address if kinds.get(p.kind).stakes else chain.actor(f"{p.name}-recipient")
    return dataclasses.replace(
        spec,
        target=str(target),
        guardian=stack.guardian,
        steward=chain.actor("steward") if spec.steward != ZERO_ADDRESS else ZERO_ADDRESS,
        # The simulator has no price feed contract: a PAUSE ends by vote or by max_pause.
        oracle=ZERO_ADDRESS,
        comparator=None,
        threshold=0,
        oracle_max_age=0,
    )


def _populations(scenario, chain: Chain, views: dict[str, ProgrammeView], seed: int) -> tuple[list[Agent], list[Participant]]:
    agents: list[Agent] = []
    participants: list[Participant] = []
    step = scenario.step
    for population in scenario.populations:
        rng = random.Random(f"{seed}/population/{population.name}")
        for i in range(population.count):
            base = f"{population.name}-{i}"
            capital = spread_capital(rng, population.capital, population.spread)
            if population.kind == "sybil":
                n = population.addresses
                names = [f"{base}-{j}" for j in range(n)]
                positions = [Position(chain.actor(name), capital // n) for name in names]
            else:
                positions = [Position(chain.actor(base), capital)]
            owner = positions[0].address
            for position in positions:
                participants.append(Participant(position.address, population.name, population.kind, owner))
            if population.kind == "loyal_lp":
                offset = rng.randrange(0, population.join_within + 1, step) if population.join_within else 0
                agent: Agent = LoyalLP(population, positions, population.programme, rng, scenario.start + offset)
            elif population.kind in ("mercenary", "sybil"):
                agent = Mercenary(population, positions, population.programme, rng, kind=population.kind)
            else:
                agent = Whale(population, positions, population.programme, rng)
            agents.append(agent)
    return agents, participants


def setup(
    scenario, engine: str, seed: int, record_logs: bool = False
) -> tuple[World, list[Agent], list[Participant], list[DelegateState], Keeper | None, int]:
    """Deploy the stack, vote the programmes in, fund the agents."""
    g = scenario.globals
    chain = Chain.engine(engine, genesis=scenario.start - LEAD_TIME, record_logs=record_logs)
    delegates = {f"delegate-{i}": scenario.delegates.voting_power for i in range(scenario.delegates.count)}
    params = BudgetParams(
        g.inflation_threshold, g.allocation, g.max_share_bps, g.cycle_genesis, g.cycle_length, g.window_length, g.load_limit
    )
    with contextlib.redirect_stdout(io.StringIO()):
        # No Safes: no agent acts as a guardian or a steward, so every run saves their deployments.
        stack = deploy_stack(chain, StackConfig(delegates=delegates, budget=params, safes=None))
    deployer = stack.deployer

    stake_tokens = {
        p.name: chain.deploy("testing/StakeToken", f"{p.name[:20]} LP", "LP", 18, sender=deployer)
        for p in scenario.programmes
        if kinds.get(p.kind).stakes
    }
    specs = [_chain_spec(p, stake_tokens, chain, stack) for p in scenario.programmes]
    budget, token, factory = stack.budget, stack.token, stack.factory
    first = factory.programme_count()
    stack.tpp_vote(
        [
            (token, "grantRole", (TOKEN_MINTER_ROLE, budget.address)),
            (budget, "grantRole", (ADMITTER_ADMIN_ROLE, factory.address)),
            (factory, "create_programmes", ([s.as_tuple() for s in specs],)),
        ],
        f"TPP: {scenario.name}: create {', '.join(p.name for p in scenario.programmes)}",
    )
    views = {}
    for offset, p in enumerate(scenario.programmes):
        programme = chain.at("Programme", factory.programme_at(first + offset))
        mechanism = mechanism_handle(chain, p.kind, programme.mechanism())
        views[p.name] = ProgrammeView(p.name, p.kind, programme, mechanism, stake_tokens.get(p.name))

    m = scenario.market
    market = Market(m.price, m.volatility, m.drift, m.lp_value, scenario.step, seed, m.path)
    world = World(chain, stack, market, views, now=chain.now())
    agents, participants = _populations(scenario, chain, views, seed)
    for agent in agents:
        view = views[agent.programme]
        for position in agent.positions:
            view.stake_token.mint(position.address, position.capital, sender=deployer)
            view.stake_token.approve(view.mechanism.address, MAX_UINT, sender=position.address)
    voters = [DelegateState(address, scenario.delegates.voting_power) for address in stack.delegates]
    keeper = Keeper(chain.actor("keeper"), scenario.keeper.interval, scenario.start) if scenario.keeper.enabled else None
    setup_transactions = chain.env.transactions
    return world, agents, participants, voters, keeper, setup_transactions


def _read_view(view: ProgrammeView, now: int) -> None:
    p, m = view.programme, view.mechanism
    view.state = State.label(p.state())
    view.halted = p.halted()
    view.epoch = p.epoch()
    view.window_length = p.window_length()
    start, end = m.epoch_start(), m.epoch_end()
    view.epoch_start, view.epoch_end = start, end
    live = view.state not in FINAL_STATES and view.state != "PAUSED" and start <= now < end and not view.halted
    view.emitting = live
    rate, throttle = m.rate(), m.throttle_bps()
    view.reward_rate = rate * throttle / BPS / RATE_SCALE if live else 0.0
    if kinds.get(view.kind).stakes:
        view.total_staked = m.total_staked()


def _emitted(view: ProgrammeView, now: int) -> int:
    """Wei the programme has emitted by `now`: minted in earlier epochs, accrued in this one,
    and what accrued since the mechanism last counted (emission.vy `_pending_of`; a staking
    pool with nobody staked accrues nothing)."""
    m = view.mechanism
    emitted = m.minted_before() + m.accrued()
    if view.halted or (kinds.get(view.kind).stakes and view.total_staked == 0):
        return emitted
    t0 = max(m.last_update(), view.epoch_start)
    t1 = min(now, view.epoch_end)
    if t1 > t0:
        emitted += m.rate() * (t1 - t0) * m.throttle_bps() // BPS // RATE_SCALE
    return emitted


class _Delegation:
    """Evaluation windows: who shows up, what they vote, and the slate they put through the
    real Token governor."""

    def __init__(self, scenario, world: World, voters: list[DelegateState], seed: int):
        self.scenario = scenario
        self.world = world
        self.voters = voters
        self.rng = random.Random(f"{seed}/delegates")
        self.handled: set[tuple[str, int]] = set()  # (programme, epoch) windows already voted on
        self.windows: list[Window] = []
        # Emission value and TVL over each programme's current epoch, for the KPI.
        self.epoch_usd: dict[str, float] = {}
        self.epoch_tvl_seconds: dict[str, float] = {}
        self.last_emitted: dict[str, int] = {}
        self.epoch_seen: dict[str, int] = {}
        # A vote takes the voting delay, the voting period and the timelock delay (plus a
        # minute for the calls between): delegates only start one that can execute in time.
        governance = world.stack.governance
        self.vote_seconds = (
            governance.tpp_governor.votingDelay()
            + governance.tpp_governor.votingPeriod()
            + governance.tpp_timelock.getMinDelay()
            + 60
        )
        self.open: dict[tuple[str, int], tuple[ProgrammeView, int, int]] = {}  # asked, not voted

    def observe(self, view: ProgrammeView, emitted: int, step: int) -> None:
        """Accumulate the KPI inputs of the current epoch (called once per step with what the
        programme has emitted so far)."""
        if self.epoch_seen.get(view.name) != view.epoch:
            self.epoch_seen[view.name] = view.epoch
            self.epoch_usd[view.name] = 0.0
            self.epoch_tvl_seconds[view.name] = 0.0
        m = self.world.market
        delta = emitted - self.last_emitted.get(view.name, 0)
        self.last_emitted[view.name] = emitted
        self.epoch_usd[view.name] += delta / 1e18 * m.price
        self.epoch_tvl_seconds[view.name] += view.total_staked / 1e18 * m.lp_value * step

    def kpi(self, name: str) -> float:
        """Reward APR paid so far this epoch: USD emitted per USD of TVL, annualised."""
        tvl_seconds = self.epoch_tvl_seconds.get(name, 0.0)
        if tvl_seconds <= 0:
            return float("inf") if self.epoch_usd.get(name, 0.0) > 0 else 0.0
        return self.epoch_usd[name] / tvl_seconds * 365 * DAY

    def _asks(self, view: ProgrammeView) -> bool:
        """Whether the programme's current epoch asks delegates for a decision (the last epoch
        stops anyway; kinds without stakers are left to their default, having no KPI here)."""
        if not kinds.get(view.kind).stakes or view.epoch == 0 or view.state in FINAL_STATES or view.state == "PAUSED":
            return False
        return view.epoch < view.programme.max_epochs()

    def close_windows(self, closed_by: int) -> None:
        """Windows that closed without a vote (nobody could vote in time): the default applied."""
        for key, (view, opens, closes) in list(self.open.items()):
            if closes < closed_by:
                del self.open[key]
                self.handled.add(key)
                default = Outcome.label(view.programme.default_outcome())
                self.windows.append(Window(view.name, opens, closes, len(self.voters), 0, 0.0, default, False))

    def act(self) -> int:
        world, now = self.world, self.world.now
        self.close_windows(closed_by=now + 1)
        due = []
        for view in world.views.values():
            key = (view.name, view.epoch)
            if key in self.handled or key in self.open or not self._asks(view):
                continue
            opens = view.epoch_end - view.window_length
            if now >= opens or view.epoch_end - now <= self.scenario.step:
                # Open now, or opening before the next step: the decision is asked.
                self.open[key] = (view, opens, view.epoch_end)
        for key, (view, opens, closes) in list(self.open.items()):
            if opens <= now and now + self.vote_seconds < closes:
                del self.open[key]
                self.handled.add(key)
                due.append(view)
        if not due:
            return 0
        d = self.scenario.delegates
        attendees = [v for v in self.voters if self.rng.random() < d.attendance]
        total_votes = sum(v.votes for v in self.voters)
        calls: list[Call] = []
        # (view, attending, turnout, preferred, default, voted) of each decision asked
        records: list[tuple[ProgrammeView, int, float, str, str, bool]] = []
        voters_for: set[str] = set()
        for view in due:
            self.handled.add((view.name, view.epoch))
            deciding = [v for v in attendees if v.budget_left(now, d.decisions_per_month) > 0]
            preferred = rule_outcome(self.kpi(view.name), d.rule)
            cap = view.programme.epoch_cap()
            bound = cap * view.programme.iterate_cap_bps() // BPS
            new_cap = 0
            if preferred == "ITERATE":
                change = cap * abs(d.rule.iterate_by_bps) // BPS
                change = min(change, bound)
                new_cap = cap - change if d.rule.iterate_by_bps < 0 else cap + change
                if change == 0 or new_cap == 0:
                    preferred = "CONTINUE"  # no room to iterate: keep it as it is
            for v in deciding:
                v.decisions.append(now)
            votes = sum(v.votes for v in deciding)
            default = Outcome.label(view.programme.default_outcome())
            records.append((view, len(deciding), votes / total_votes if total_votes else 0.0, preferred, default, bool(deciding)))
            if deciding:
                calls.append((view.programme, "decide", (Outcome[preferred], new_cap)))
                voters_for.update(v.address for v in deciding)
        decided = False
        if calls:
            description = f"slate at {now}: " + ", ".join(f"{r[0].name} {r[3]}" for r in records if r[5])
            try:
                with contextlib.redirect_stdout(io.StringIO()):
                    world.stack.tpp_vote(calls, description, voters=sorted(voters_for))
                decided = True
            except GovernanceError:
                decided = False  # defeated (no quorum): every default applies
            except Reverted:
                decided = False  # the slate could not execute (say, a window closed): defaults apply
        for view, attending, turnout, preferred, default, voted in records:
            took = decided and voted
            self.windows.append(
                Window(
                    view.name,
                    view.epoch_end - view.window_length,
                    view.epoch_end,
                    len(self.voters),
                    attending,
                    turnout,
                    preferred if took else default,
                    took,
                )
            )
        world.now = world.chain.now()
        return 1 if calls else 0


def run_scenario(
    scenario,
    *,
    seed: int | None = None,
    engine: str | None = None,
    record_logs: bool = False,
    on_step: Callable[[int, int], None] | None = None,
    params: dict | None = None,
    on_chain: Callable[[Chain], None] | None = None,
) -> RunResult:
    """Run `scenario` once (its seed and engine unless given); `on_step(k, steps)` ticks
    progress, `on_chain(chain)` is handed the run's chain once it is set up (to watch it).

    The run's handles stay bound to its own chain; no other chain is touched."""
    return _run(scenario, seed, engine, record_logs, on_step, params, on_chain)


def _run(scenario, seed, engine, record_logs, on_step, params, on_chain) -> RunResult:
    seed = scenario.seed if seed is None else seed
    engine = engine or scenario.engine
    world, agents, participants, voters, keeper, setup_transactions = setup(scenario, engine, seed, record_logs)
    chain, stack = world.chain, world.stack
    if on_chain is not None:
        on_chain(chain)
    budget = stack.budget
    order_rng = random.Random(f"{seed}/order")
    delegation = _Delegation(scenario, world, voters, seed)
    trace = Trace(
        scenario=scenario.name,
        seed=seed,
        engine=engine,
        params=dict(params if params is not None else getattr(scenario, "overrides", {}) or {}),
        start=scenario.start,
        step=scenario.step,
        horizon=scenario.horizon,
        programmes=[ProgrammeInfo(v.name, v.kind, v.programme.address, v.mechanism.address) for v in world.views.values()],
        participants=participants,
    )
    steps = scenario.steps
    agent_order = list(agents)

    for k in range(steps + 1):
        t = scenario.start + k * scenario.step
        chain.warp_to(t)
        world.now = chain.now()
        if k:
            world.market.step()
        if keeper is not None:
            keeper.act(world)
        for view in world.views.values():
            _read_view(view, world.now)
        order_rng.shuffle(agent_order)
        for agent in agent_order:
            agent.act(world)
        delegation.act()
        trace.samples.append(_sample(world, budget, agents, delegation, trace, t))
        if on_step:
            on_step(k, steps)

    # What every participant captured: claimed, plus what it could still claim.
    rewards: dict[str, dict[str, int]] = {name: {} for name in world.views}
    for agent in agents:
        view = world.views[agent.programme]
        for position in agent.positions:
            claimed = world.claims.get((view.name, position.address), 0)
            total = claimed + view.mechanism.earned(position.address)
            if total:
                rewards[view.name][position.address] = total
    trace.rewards = rewards
    delegation.close_windows(closed_by=trace.samples[-1].time + 1)
    trace.windows = delegation.windows
    trace.stopped_at = {name: _stopped_at(trace, view) for name, view in world.views.items()}
    trace.transactions = chain.env.transactions - setup_transactions
    return RunResult(trace, chain, world, agents, setup_transactions)


def _stopped_at(trace: Trace, view: ProgrammeView) -> int | None:
    """When the programme's emission stopped for the rest of the run: the end of its last
    epoch if that is where it ended, else the first sample after it last emitted. None if it
    was still emitting at the end (or never emitted)."""
    emitting = [s.programmes[view.name].emitting for s in trace.samples]
    if not any(emitting) or emitting[-1]:
        return None
    last = max(i for i, e in enumerate(emitting) if e)
    after = trace.samples[last + 1].time
    if view.epoch_end and trace.samples[last].time < view.epoch_end <= after:
        return view.epoch_end
    return after


def _sample(world: World, budget, agents: list[Agent], delegation: _Delegation, trace: Trace, t: int) -> Sample:
    """The world at the end of step time `t`. Chain time may be a little later (a vote takes
    about an hour of chain time); the sample keeps the step's time so runs share one grid."""
    now = world.now
    stakers: dict[str, int] = dict.fromkeys(world.views, 0)
    for agent in agents:
        stakers[agent.programme] += sum(1 for p in agent.positions if p.staked)
    programmes = {}
    for name, view in world.views.items():
        _read_view(view, now)
        emitted = _emitted(view, now)
        delegation.observe(view, emitted, trace.step)
        programmes[name] = ProgrammeSample(
            view.state, view.mechanism.total_minted(), view.total_staked, stakers[name], view.emitting, emitted
        )
    return Sample(
        t,
        world.market.price,
        world.market.lp_value,
        budget.total_minted(),
        budget.scheduled_supply(now),
        budget.inflation_threshold(),
        programmes,
    )
