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

from tpp.base import units
from tpp.base.errors import UserError
from tpp.base.vocab import ADMITTER_ADMIN_ROLE, TOKEN_MINTER_ROLE, ZERO_ADDRESS, Outcome, State
from tpp.chain import Chain, Reverted
from tpp.model import kinds
from tpp.model.kinds import bounty as bounty_kind
from tpp.model.kinds import checkpoints as checkpoints_kind
from tpp.model.kinds import kpi_stream as kpi_kind
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
from tpp.sim.pluralistic import BountyJudges, Builder, CheckpointScorer, KpiCandidate, Researcher
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
    # The step's time on the run's grid; `now` is the chain's, which a vote or (on anvil) the
    # seconds each block takes move a little past it. The pluralistic agents plan on the grid.
    t: int = 0
    step: int = DAY
    # The operators of the pluralistic mechanisms: programme -> its scorer or judges.
    operators: dict[str, Any] = field(default_factory=dict)
    # Checkpoints: the activity transfers not yet scored, (time, sender, to, wei), and each
    # owner's true impact (wei it sent to the app); bounties: what each submission is (content
    # hash -> (finding, points, chance a duplicate is detected)) and submissions per owner.
    activity: dict[str, list[tuple[int, str, str, int]]] = field(default_factory=dict)
    impact: dict[str, dict[str, int]] = field(default_factory=dict)
    findings: dict[str, dict[bytes, tuple[str, int, float]]] = field(default_factory=dict)
    submissions: dict[str, dict[str, int]] = field(default_factory=dict)

    def claim(self, view: ProgrammeView, address: str) -> None:
        """A staker's claim (what it captured is read off the chain at the end: Agent.rewards)."""
        view.mechanism.claim(sender=address)

    def send_activity(self, view: ProgrammeView, sender: str, to: str, amount: int, owner: str) -> None:
        """One activity transfer of a checkpoint programme's token, recorded for its scorer."""
        if amount <= 0:
            return
        view.stake_token.transfer(to, amount, sender=sender)
        self.activity.setdefault(view.name, []).append((self.now, sender, to, amount))
        if to == view.app:
            impacts = self.impact.setdefault(view.name, {})
            impacts[owner] = impacts.get(owner, 0) + amount


@dataclass
class RunResult:
    trace: Trace
    chain: Chain
    world: World
    agents: list[Agent]
    setup_transactions: int  # votes, roles and funding before the first step (on anvil, deployments too)


# Agent kinds that hold a token the simulator deploys for their programme's kind, and what it is.
_TOKEN_KINDS = {"staking": "LP", "kpi_stream": "KPI", "checkpoints": "ACT"}


def _kpi_players(scenario, name: str, chain: Chain) -> list[tuple[str, str]]:
    """(treasury, vault) of each KPI candidate of programme `name`, in candidate order: the
    agents of its populations, population by population (the scenario checks the count)."""
    out = []
    for population in scenario.populations:
        if population.programme == name:
            for i in range(population.count):
                base = f"{population.name}-{i}"
                out.append((chain.actor(base), chain.actor(f"{base}-vault")))
    return out


def _chain_spec(p, scenario, tokens: dict[str, Any], chain: Chain, stack) -> Any:
    """The on-chain spec with the simulator's own actors in place of placeholder addresses.
    Eligibility gates are dropped: the simulator's agents are all eligible (gates are tested in
    tests/unit/test_gates.py and the mechanisms' own tests)."""
    spec = p.to_chain()
    params = spec.params
    if p.kind == "staking":
        target, params = tokens[p.name].address, b""
    elif p.kind == "kpi_stream":
        max_gap, candidates = kpi_kind.decode_params(spec.params)
        players = _kpi_players(scenario, p.name, chain)
        played = [dataclasses.replace(c, recipient=treasury, subject=vault) for c, (treasury, vault) in zip(candidates, players)]
        target, params = tokens[p.name].address, kpi_kind.encode_params(max_gap, played)
    elif p.kind == "checkpoints":
        period, window, bond, _gate = checkpoints_kind.decode_params(spec.params)
        target, params = chain.actor(f"{p.name}-scorer"), checkpoints_kind.encode_params(period, window, bond)
    elif p.kind == "bounty":
        period, decay, deposit, _hat, _gate, _judges = bounty_kind.decode_params(spec.params)
        target, params = chain.actor(f"{p.name}-judge"), bounty_kind.encode_params(period, decay, deposit)
    else:
        target = chain.actor(f"{p.name}-recipient")
    return dataclasses.replace(
        spec,
        target=str(target),
        params=params,
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
    candidates: dict[str, int] = {}  # KPI stream -> candidates given out so far
    step = scenario.step
    for population in scenario.populations:
        rng = random.Random(f"{seed}/population/{population.name}")
        for i in range(population.count):
            base = f"{population.name}-{i}"
            capital = spread_capital(rng, population.capital, population.spread)
            if population.addresses > 1:  # sybils, wash traders, duplicate filers
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
            elif population.kind == "whale":
                agent = Whale(population, positions, population.programme, rng)
            elif population.kind in ("kpi_holder", "kpi_flash"):
                index = candidates.get(population.programme, 0)
                candidates[population.programme] = index + 1
                agent = KpiCandidate(population, positions, population.programme, rng, index, chain.actor(f"{base}-vault"))
            elif population.kind in ("builder", "wash_trader"):
                agent = Builder(population, positions, population.programme, rng)
            else:
                agent = Researcher(population, positions, population.programme, rng)
            agents.append(agent)
    return agents, participants


def _chain(engine: str, genesis: int, record_logs: bool) -> Chain:
    """A fresh chain for one run: an in-process engine at `genesis`, or a new anvil node on a
    free loopback port moved forward to it (anvil's clock starts at the real time)."""
    if engine != "anvil":
        return Chain.engine(engine, genesis=genesis, record_logs=record_logs)
    if record_logs:
        raise UserError("the simulator records logs on its in-process engines only (revm, pyevm), not on anvil")
    chain = Chain.anvil()
    if chain.now() > genesis:
        chain.close()
        raise UserError(
            f"anvil's clock is past the run's set-up time ({units.format_date(genesis)}) and cannot go back; "
            "start the scenario later, or run it on revm or pyevm"
        )
    chain.warp_to(genesis)
    return chain


def setup(
    scenario, engine: str, seed: int, record_logs: bool = False, chain: Chain | None = None
) -> tuple[World, list[Agent], list[Participant], list[DelegateState], Keeper | None, int]:
    """Deploy the stack, vote the programmes in, fund the agents (on `chain`, else a fresh one)."""
    g = scenario.globals
    chain = chain if chain is not None else _chain(engine, scenario.start - LEAD_TIME, record_logs)
    delegates = {f"delegate-{i}": scenario.delegates.voting_power for i in range(scenario.delegates.count)}
    params = BudgetParams(
        g.inflation_threshold, g.allocation, g.max_share_bps, g.cycle_genesis, g.cycle_length, g.window_length, g.load_limit
    )
    with contextlib.redirect_stdout(io.StringIO()):
        # No Safes: no agent acts as a guardian or a steward, so every run saves their deployments.
        stack = deploy_stack(chain, StackConfig(delegates=delegates, budget=params, safes=None))
    deployer = stack.deployer

    stake_tokens = {
        p.name: chain.deploy(
            "testing/StakeToken", f"{p.name[:20]} {_TOKEN_KINDS[p.kind]}", _TOKEN_KINDS[p.kind], 18, sender=deployer
        )
        for p in scenario.programmes
        if p.kind in _TOKEN_KINDS
    }
    specs = [_chain_spec(p, scenario, stake_tokens, chain, stack) for p in scenario.programmes]
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
        view = ProgrammeView(p.name, p.kind, programme, mechanism, stake_tokens.get(p.name))
        if p.kind == "checkpoints":
            view.app = chain.actor(f"{p.name}-app")
        elif p.kind == "bounty":
            view.scoring_period, view.deposit = mechanism.scoring_period(), mechanism.deposit()
        views[p.name] = view

    m = scenario.market
    market = Market(m.price, m.volatility, m.drift, m.lp_value, scenario.step, seed, m.path)
    world = World(chain, stack, market, views, now=chain.now(), step=scenario.step)
    agents, participants = _populations(scenario, chain, views, seed)
    for agent in agents:
        view = views[agent.programme]
        _equip(agent, view, scenario, chain, deployer)
    for p in scenario.programmes:
        view = views[p.name]
        if p.kind == "checkpoints":
            window = view.mechanism.dispute_window()
            world.operators[p.name] = CheckpointScorer(view, chain.actor(f"{p.name}-scorer"), scenario.scoring[p.name], window)
            world.impact[p.name] = {a.positions[0].address: 0 for a in agents if a.programme == p.name}
        elif p.kind == "bounty":
            world.operators[p.name] = BountyJudges(view, chain.actor(f"{p.name}-judge"), random.Random(f"{seed}/judges/{p.name}"))
    voters = [DelegateState(address, scenario.delegates.voting_power) for address in stack.delegates]
    keeper = Keeper(chain.actor("keeper"), scenario.keeper.interval, scenario.start) if scenario.keeper.enabled else None
    setup_transactions = chain.transaction_count()
    return world, agents, participants, voters, keeper, setup_transactions


def _equip(agent: Agent, view: ProgrammeView, scenario, chain: Chain, deployer: str) -> None:
    """Give an agent what it needs: LP to stake (approved), KPI asset to hold, activity tokens
    for every step it may send, or native wei for its bounty deposits."""
    kind = view.kind
    for position in agent.positions:
        if kind == "staking":
            view.stake_token.mint(position.address, position.capital, sender=deployer)
            view.stake_token.approve(view.mechanism.address, MAX_UINT, sender=position.address)
        elif kind == "kpi_stream":
            view.stake_token.mint(position.address, position.capital, sender=deployer)
        elif kind == "checkpoints":
            per_step = position.capital * scenario.step // DAY
            view.stake_token.mint(position.address, per_step * (scenario.steps + 1), sender=deployer)
        elif kind == "bounty":
            p = next(q for q in scenario.programmes if q.name == view.name)
            epochs = scenario.horizon // min(p.epoch_duration, p.first_end - p.first_start) + 2
            chain.fund(position.address, view.deposit * agent.params.findings * epochs + 10**18)


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
    elif view.kind == "kpi_stream":
        view.held = m.held_mask()


def _emitted(view: ProgrammeView, now: int) -> int:
    """Wei the programme has emitted by `now`: minted in earlier epochs, accrued in this one,
    and what accrued since the mechanism last counted (emission.vy `_pending_of`; a staking
    pool with nobody staked accrues nothing)."""
    m = view.mechanism
    if view.kind == "kpi_stream":  # only what was credited to holders counts; the rest is never minted
        return m.total_minted() + sum(m.owed(i) for i in range(m.candidate_count()))
    if view.kind == "bounty":  # only what was awarded is minted, at each epoch's end
        return m.total_minted()
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
                with contextlib.redirect_stdout(io.StringIO()), world.chain.reverts():
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
    if engine != "anvil":
        return _run_on(_chain(engine, scenario.start - LEAD_TIME, record_logs), scenario, seed, engine, on_step, params, on_chain)
    # A node of its own, stopped however the run ends; titanoboa's current env (which
    # connecting to the node replaced) is put back.
    previous = Chain.current()
    chain = None
    try:
        chain = _chain(engine, scenario.start - LEAD_TIME, record_logs)
        return _run_on(chain, scenario, seed, engine, on_step, params, on_chain)
    finally:
        if chain is not None:
            chain.close()
        previous.activate()


def _run_on(chain: Chain, scenario, seed: int, engine: str, on_step, params, on_chain) -> RunResult:
    with contextlib.redirect_stdout(io.StringIO()) if engine == "anvil" else contextlib.nullcontext():
        world, agents, participants, voters, keeper, setup_transactions = setup(scenario, engine, seed, chain=chain)
    stack = world.stack
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
        # titanoboa prints every transaction it sends to a node: keep that off the user's screen.
        with contextlib.redirect_stdout(io.StringIO()) if engine == "anvil" else contextlib.nullcontext():
            _step(world, keeper, agent_order, order_rng, delegation, k, t)
            trace.samples.append(_sample(world, budget, agents, delegation, trace, t))
        if on_step:
            on_step(k, steps)

    # What every participant captured: claimed, plus what it could still claim.
    rewards: dict[str, dict[str, int]] = {name: {} for name in world.views}
    for agent in agents:
        rewards[agent.programme].update(agent.rewards(world))
    trace.rewards = rewards
    trace.impact = {name: dict(values) for name, values in world.impact.items()}
    trace.submissions = {name: dict(values) for name, values in world.submissions.items()}
    delegation.close_windows(closed_by=trace.samples[-1].time + 1)
    trace.windows = delegation.windows
    trace.stopped_at = {name: _stopped_at(trace, view) for name, view in world.views.items()}
    trace.transactions = chain.transaction_count() - setup_transactions
    return RunResult(trace, chain, world, agents, setup_transactions)


def _step(world: World, keeper: Keeper | None, agent_order: list[Agent], order_rng, delegation, k: int, t: int) -> None:
    """One step at time `t`: the keeper's transitions, the views, every agent's `before`, the
    keeper's KPI readings, every agent's `act` then `after`, the operators, the delegates."""
    chain = world.chain
    chain.warp_to(t)
    world.now = chain.now()
    world.t = t
    if k:
        world.market.step()
    if keeper is not None:
        keeper.act(world)
    for view in world.views.values():
        _read_view(view, world.now)
    order_rng.shuffle(agent_order)
    for agent in agent_order:
        agent.before(world)
    if keeper is not None:
        keeper.read(world)
    for agent in agent_order:
        agent.act(world)
    for agent in agent_order:
        agent.after(world)
    for operator in world.operators.values():
        operator.act(world)
    delegation.act()


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
            view.state, view.mechanism.total_minted(), view.total_staked, stakers[name], view.emitting, emitted, view.held
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
