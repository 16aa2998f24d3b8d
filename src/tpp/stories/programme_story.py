"""The main job's story: programmes that one vote starts and that then run themselves.

A GAP vote sets the bounds and the calendar; one TPP vote creates a portfolio of all five
mechanism kinds: a stream to the builders' Safe, LP staking rewards on two pools, a KPI
competition stream (two protocols compete to hold ETH LP depth; one only deposits around the
keeper's readings), impact checkpoints (every 10 days the scorer runs `tpp checkpoint score`
on an index of the chain and posts the root; participants claim) and a research bounty
(researchers submit, the judges' Safe scores and marks a finding filed twice as a duplicate).
A hundred participants stake, withdraw and claim; the guardian's Safe halts and resumes one
programme and the steward's Safe turns a dial, each a Safe transaction two of its three
owners sign (`Stack.act`); the evaluation window opens and delegates vote one slate (CONTINUE
the stream, ITERATE the big pool at a lower rate; the small pool and the three new
mechanisms fall to their default STOP); the second epoch runs and the programmes stop by
themselves. A keeper calls `advance()` every simulated day.

`tpp demo`, the end-to-end test and the anvil test run this one function.
"""

from __future__ import annotations

import json
import random
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tpp.base.errors import UserError
from tpp.base.vocab import ADMITTER_ADMIN_ROLE, THROTTLE, TOKEN_MINTER_ROLE, Outcome, State, dial_id
from tpp.model import kinds
from tpp.model.kinds import bounty as bounty_kind
from tpp.model.kinds import checkpoints as checkpoints_kind
from tpp.model.kinds import kpi_stream as kpi_kind
from tpp.model.programme import DialSpec, ProgrammeSpec
from tpp.system.stack import DAY, WAD, Stack, StackConfig, deploy_stack
from tpp.workflow.checkpoints import load_rules, score_checkpoint, write_score
from tpp.workflow.deployments import Deployments, record_programme, record_stack
from tpp.workflow.index import LogRecorder, LogSource, RpcLogs, index_chain
from tpp.workflow.provenance import IndexData

THRESHOLD = 10 * WAD  # tokens per second, all programmes together
ALLOCATION = 100_000_000 * WAD
MAX_SHARE_BPS = 5_000
CYCLE = 30 * DAY
WINDOW = 7 * DAY
LOAD_LIMIT = 8
EPOCHS = 2


@dataclass(frozen=True)
class PlannedProgramme:
    name: str
    kind: str  # a registered mechanism kind
    epoch_cap: int
    default_outcome: str
    decimals: int = 18  # of the stake token, for staking programmes


PROGRAMMES = (
    PlannedProgramme("builders-stream", "stream", 3_000_000 * WAD, "CONTINUE"),
    PlannedProgramme("eth-pool", "staking", 6_000_000 * WAD, "CONTINUE"),
    PlannedProgramme("usdc-pool", "staking", 1_500_000 * WAD, "STOP", decimals=6),
    PlannedProgramme("eth-depth", "kpi_stream", 900_000 * WAD, "STOP"),
    PlannedProgramme("builder-impact", "checkpoints", 900_000 * WAD, "STOP"),
    PlannedProgramme("research", "bounty", 600_000 * WAD, "STOP"),
)
# The KPI stream: who holds at least KPI_DEPTH of the ETH pool's LP token, read at least
# every KPI_GAP. Protocol A holds it throughout; protocol B only deposits around the keeper's
# daily reading, and A takes a reading right after B withdraws.
KPI_DEPTH = 5_000 * WAD
KPI_GAP = 2 * DAY
# Impact checkpoints: every 10 days; a root can be challenged for 2 days (0.1 ETH bond). The
# rules: stakes into the ETH pool count; shares follow the LP staked; at most 10% each.
CHECKPOINT_PERIOD = 10 * DAY
CHECKPOINT_WINDOW = 2 * DAY
CHECKPOINT_BOND = WAD // 10
CHECKPOINT_RULES = """\
# The builder-impact programme's scoring rules (named by TPP-1): stakes into the ETH pool.
[scoring]
activity = "{lp}"            # the ETH pool's LP token
counterparties = ["{pool}"]  # transfers into the pool: stakes
min_transactions = 1
min_active_days = 1
metric = "volume"
max_share = "10%"
"""
# The research bounty: submissions close 7 days before the epoch ends; a duplicate keeps 90 %
# per extra filing; a 0.01 ETH deposit per submission. Researchers' findings and the points the
# judges' Safe gives them (the sybils file one finding twice; it is scored like Carol's).
SCORING_PERIOD = 7 * DAY
RESEARCH_DEPOSIT = WAD // 100
FINDINGS = (("researcher-alice", 80), ("researcher-bob", 40), ("researcher-carol", 60), ("sybil-1", 60), ("sybil-2", 60))
SUBMIT_DAY = 3
JUDGING_DAY = 25
ITERATED_CAP = 4_800_000 * WAD  # the slate lowers the eth-pool's rate by 20 %
HALT_DAYS = (12, 14)  # guardian halts the eth-pool on day 12 and resumes it on day 14
DIAL_DAY = 16  # the steward slows the stream to 90 %
DIAL_VALUE = 9_000
DIAL_REASON = "milestone 2 slipped: stream slowed to 90% until the review"


@dataclass
class DemoConfig:
    participants: int = 100
    seed: int = 2026
    # Per-day chances of each participant action.
    p_stake: float = 0.25
    p_withdraw: float = 0.04
    p_claim: float = 0.12


@dataclass
class Moment:
    time: int
    kind: str
    text: str

    @property
    def date(self) -> str:
        return datetime.fromtimestamp(self.time, tz=UTC).strftime("%Y-%m-%d")


@dataclass
class DaySample:
    time: int
    total_minted: int
    scheduled_supply: int
    rate: int
    threshold: int
    minted: dict[str, int]
    states: dict[str, str]


@dataclass
class Participant:
    name: str
    address: str
    pool: str
    lp: int  # stake-token units held at the start
    joins_on: int  # first day it may act


@dataclass
class DemoResult:
    stack: Stack
    programmes: dict[str, Any]
    mechanisms: dict[str, Any]
    stake_tokens: dict[str, Any]
    safe: str
    steward: str
    participants: list[Participant]
    moments: list[Moment]
    samples: list[DaySample]
    first_start: int
    actions: dict[str, int] = field(default_factory=dict)
    kinds: dict[str, str] = field(default_factory=dict)  # programme -> mechanism kind
    # Who else holds what a mechanism paid (KPI treasuries, researchers), and the checkpoint scores.
    payees: dict[str, list[str]] = field(default_factory=dict)
    scores: list[Path] = field(default_factory=list)


def _specs(
    plan,
    start,
    end,
    safe,
    steward,
    guardian,
    stake_tokens,
    targets: Mapping[str, str] | None = None,
    params: Mapping[str, bytes] | None = None,
) -> list[ProgrammeSpec]:
    """The specs of `plan`: a staking programme's target is its stake token, `targets` names
    the others' (default: the builders' Safe); `params` holds the kinds' parameters."""
    specs = []
    for p in plan:
        target = stake_tokens[p.name].address if kinds.get(p.kind).stakes else (targets or {}).get(p.name, safe)
        dials = (DialSpec(THROTTLE, 10_000, 5_000, 10_000, 1_000, 7 * DAY),) if p.kind == "stream" else ()
        specs.append(
            ProgrammeSpec(
                kind=p.kind,
                target=target,
                epoch_cap=p.epoch_cap,
                first_start=start,
                first_end=end,
                epoch_duration=CYCLE,
                window_length=WINDOW,
                guardian=guardian,
                default_outcome=p.default_outcome,
                max_epochs=EPOCHS,
                iterate_cap_bps=3_000,
                steward=steward if p.kind == "stream" else "0x" + "00" * 20,
                metadata_uri=f"ipfs://tpp-demo/{p.name}/research-questions-and-kpis",
                dials=dials,
                params=(params or {}).get(p.name, b""),
            )
        )
    return specs


def _safes_text(stack: Stack) -> str:
    """ "guardian 2 of 3, steward 2 of 3, recipient 1 of 2" (or "none")."""
    seats = [f"{role} {seat.threshold} of {len(seat.owners)}" for role, seat in stack.seats.items()]
    return ", ".join(seats) or "none"


def _by(stack: Stack, role: str) -> str:
    """How `role` acts: " (Safe, 2 of 3 owners signed)", or "" for a plain actor."""
    seat = stack.seats.get(role)
    return f" (Safe, {seat.threshold} of {len(seat.owners)} owners signed)" if seat else ""


def run_programme_story(
    chain,
    config: DemoConfig | None = None,
    on_moment: Callable[[Moment], None] | None = None,
    on_day: Callable[[int], None] | None = None,
    recorder=None,
    logs: LogSource | None = None,
    workdir: Path | None = None,
) -> DemoResult:
    """Run the demo story on `chain`. `on_moment` narrates, `on_day` ticks progress, and a
    `recorder` (tpp.events.EventRecorder) may be given labels for the new contracts. The
    checkpoint scorer indexes the chain from `logs` (default: a LogRecorder attached now on
    the embedded chain, the node's RPC otherwise) into `workdir` (default: a temporary
    folder), where its rules and scores are written too."""
    config = config or DemoConfig()
    rng = random.Random(config.seed)
    moments: list[Moment] = []
    own_logs = None
    if logs is None:
        if getattr(chain, "url", None):
            logs = RpcLogs(str(chain.url))
        else:
            own_logs = LogRecorder(chain)
            own_logs.attach()
            logs = own_logs
    workdir = Path(workdir) if workdir is not None else Path(tempfile.mkdtemp(prefix="tpp-story-"))
    try:
        return _run(chain, config, rng, moments, on_moment, on_day, recorder, logs, workdir)
    finally:
        if own_logs is not None:
            own_logs.detach()


def _run(chain, config, rng, moments, on_moment, on_day, recorder, logs, workdir) -> DemoResult:

    def say(kind: str, text: str) -> None:
        moment = Moment(chain.now(), kind, text)
        moments.append(moment)
        if on_moment:
            on_moment(moment)

    stack = deploy_stack(chain, StackConfig())
    budget, token, factory = stack.budget, stack.token, stack.factory
    if recorder is not None:
        for role, held_by in stack.safes.items():
            recorder.label(held_by.address, f"{role} Safe")
    say(
        "deploy",
        "Local stack deployed: token, Token and GovOps governors with timelocks, Budget, "
        "programme factory (no bounds yet: nothing can be minted before a vote); "
        f"Safes: {_safes_text(stack)}",
    )

    # GAP-1: bounds and calendar.
    genesis = chain.now() - chain.now() % DAY + 2 * DAY
    stack.gap_vote(
        [
            (budget, "set_inflation_threshold", (THRESHOLD,)),
            (budget, "set_allocation", (ALLOCATION,)),
            (budget, "set_max_share", (MAX_SHARE_BPS,)),
            (budget, "set_decision_cycle", (genesis, CYCLE, WINDOW)),
            (budget, "set_load_limit", (LOAD_LIMIT,)),
        ],
        "GAP-1: threshold 10 TPP/s, allocation 100m TPP, 30-day decision cycle with a 7-day window",
    )
    say(
        "vote",
        "GAP-1 executed: inflation threshold 10 TPP/s, allocation 100m TPP, an epoch may "
        "take half of what is left, 30-day cycles ending in a shared 7-day evaluation window",
    )

    # TPP-1: one vote creates the whole portfolio.
    safe = stack.recipient  # the builders' Safe: the stream's recipient
    steward = stack.steward
    deployer = stack.deployer
    stake_tokens = {}
    for p in PROGRAMMES:
        if kinds.get(p.kind).stakes:
            symbol = "ETHLP" if p.decimals == 18 else "USDLP"
            stake_tokens[p.name] = chain.deploy("testing/StakeToken", f"{p.name} LP", symbol, p.decimals, sender=deployer)
    start = budget.next_cycle_boundary(chain.now() + DAY)
    end = start + CYCLE
    eth_lp = stake_tokens["eth-pool"]
    protocols = {k: chain.actor(f"protocol-{k}") for k in "ab"}
    treasuries = {k: chain.actor(f"protocol-{k}-treasury") for k in "ab"}
    scorer = chain.actor("impact-scorer")
    candidates = [kpi_kind.KpiCandidate(treasuries[k], "balance", subject=protocols[k], threshold=KPI_DEPTH) for k in "ab"]
    targets = {"eth-depth": str(eth_lp.address), "builder-impact": scorer, "research": steward}
    params = {
        "eth-depth": kpi_kind.encode_params(KPI_GAP, candidates),
        "builder-impact": checkpoints_kind.encode_params(CHECKPOINT_PERIOD, CHECKPOINT_WINDOW, CHECKPOINT_BOND),
        "research": bounty_kind.encode_params(SCORING_PERIOD, 9_000, RESEARCH_DEPOSIT),
    }
    specs = _specs(PROGRAMMES, start, end, safe, steward, stack.guardian, stake_tokens, targets, params)
    first_index = factory.programme_count()
    stack.tpp_vote(
        [
            (token, "grantRole", (TOKEN_MINTER_ROLE, budget.address)),
            (budget, "grantRole", (ADMITTER_ADMIN_ROLE, factory.address)),
            (factory, "create_programmes", ([s.as_tuple() for s in specs],)),
        ],
        "TPP-1: builders stream 3m, ETH pool 6m and USDC pool 1.5m TPP per 30-day epoch, two epochs each; "
        "one epoch each of a KPI competition for ETH LP depth (900k), impact checkpoints (900k) and a research bounty (600k)",
    )
    programmes, mechanisms = {}, {}
    for offset, p in enumerate(PROGRAMMES):
        programme = chain.at("Programme", factory.programme_at(first_index + offset))
        programmes[p.name] = programme
        mechanisms[p.name] = kinds.get(p.kind).handle(chain, programme.mechanism())
        if recorder is not None:
            recorder.label(programme.address, p.name)
            recorder.label(programme.mechanism(), f"{p.name} mechanism")
    say(
        "vote",
        f"TPP-1 executed: one vote created {len(PROGRAMMES)} programmes of {len({p.kind for p in PROGRAMMES})} mechanism kinds; "
        f"aggregate scheduled rate {budget.rate_at(start) / WAD:.2f} TPP/s of {THRESHOLD / WAD:.0f}",
    )
    eth_lp.mint(protocols["a"], KPI_DEPTH, sender=deployer)  # protocol A holds the depth throughout
    impact = Checkpointing(chain, stack, logs, workdir, mechanisms["builder-impact"], scorer, programmes, mechanisms, say)
    impact.write_rules(eth_lp, mechanisms["eth-pool"])
    researchers = {name: chain.actor(name) for name, _ in FINDINGS}
    for address in researchers.values():
        chain.fund(address, 10 * RESEARCH_DEPOSIT)

    # Participants: LP holders of the two pools, some joining late.
    participants = []
    pools = [p.name for p in PROGRAMMES if kinds.get(p.kind).stakes]
    for i in range(config.participants):
        pool = pools[0] if rng.random() < 0.7 else pools[1]
        unit = 10 ** stake_tokens[pool].decimals()
        address = chain.actor(f"participant-{i:03d}")
        lp = rng.randint(1, 1_000) * unit
        stake_tokens[pool].mint(address, lp, sender=deployer)
        stake_tokens[pool].approve(mechanisms[pool].address, 2**256 - 1, sender=address)
        joins_on = 0 if rng.random() < 0.8 else rng.randint(5, 45)
        participants.append(Participant(f"participant-{i:03d}", address, pool, lp, joins_on))
    say("setup", f"{len(participants)} participants hold LP tokens of the two pools; a fifth join later")

    keeper = chain.actor("keeper")
    samples: list[DaySample] = []
    actions = {"stake": 0, "withdraw": 0, "claim": 0, "advance": 0}
    last_states = {name: State.label(programmes[name].state()) for name in programmes}
    slate_done = False
    total_days = EPOCHS * CYCLE // DAY + 1

    for day in range(total_days + 1):
        chain.warp_to(start + day * DAY)
        # The keeper moves every programme through what is due.
        for name, programme in programmes.items():
            programme.advance(sender=keeper)
            actions["advance"] += 1
            state = State.label(programme.state())
            if state != last_states[name]:
                say("state", f"{name}: {last_states[name]} -> {state} (epoch {programme.epoch()})")
                last_states[name] = state

        if day == HALT_DAYS[0]:
            stack.act("guardian", programmes["eth-pool"], "halt")
            say(
                "guardian",
                f"Guardian{_by(stack, 'guardian')} halts the eth-pool: its emission stops at once (an oracle flagged a pool exploit)",
            )
        if day == HALT_DAYS[1]:
            stack.act("guardian", programmes["eth-pool"], "unhalt")
            say(
                "guardian",
                f"Guardian{_by(stack, 'guardian')} lifts the halt: eth-pool emission resumes; the halted days are never minted",
            )
        if day == DIAL_DAY:
            stack.act("steward", programmes["builders-stream"], "move_dial", dial_id(THROTTLE), DIAL_VALUE, DIAL_REASON)
            say("dial", f"Steward{_by(stack, 'steward')} turns the builders-stream throttle 100% -> 90%: {DIAL_REASON!r}")

        # The KPI competition: the keeper reads every day; protocol B deposits just before
        # and withdraws just after, and protocol A reads again while B is out.
        kpi = mechanisms["eth-depth"]
        if last_states["eth-depth"] in ("RUNNING", "EVALUATING") and day < CYCLE // DAY:
            eth_lp.mint(protocols["b"], KPI_DEPTH, sender=deployer)
            kpi.poke(sender=keeper)
            eth_lp.transfer(deployer, KPI_DEPTH, sender=protocols["b"])
            kpi.poke(sender=protocols["a"])
            actions["kpi readings"] = actions.get("kpi readings", 0) + 2
            if day == 1:
                say(
                    "kpi",
                    "eth-depth: protocol A holds 5,000 ETHLP; protocol B deposits just before the keeper's daily reading "
                    "and withdraws after, and A reads again at once: B never holds the KPI at two readings in a row",
                )

        # Impact checkpoints: score and post every 10 days (and at the epoch end), claim after
        # the dispute window.
        impact.on_day()

        # The research bounty: submissions early in the epoch, the judges' Safe scores later.
        research = mechanisms["research"]
        if day == SUBMIT_DAY:
            for name, _ in FINDINGS:
                finding = "finding: " + ("the same wash-trading pattern" if name.startswith("sybil") else name)
                research.submit(_content(researchers[name], finding), sender=researchers[name], value=RESEARCH_DEPOSIT)
            say("bounty", f"research: {len(FINDINGS)} submissions registered (two addresses file one finding)")
        if day == JUDGING_DAY:
            for index, (_, points) in enumerate(FINDINGS):
                if not FINDINGS[index][0].startswith("sybil") or index == _first_sybil():
                    stack.act("steward", research, "score", index, points)
            for index, (name, _) in enumerate(FINDINGS):
                if name.startswith("sybil") and index != _first_sybil():
                    stack.act("steward", research, "mark_duplicate", index, _first_sybil())
            say(
                "bounty",
                f"research: the judges{_by(stack, 'steward')} score the submissions and mark the second "
                "filing of the sybils' finding as a duplicate (together they keep 90% of its weight)",
            )

        # The evaluation window: delegates vote one slate for every programme due.
        if not slate_done and all(last_states[n] == "EVALUATING" for n in programmes):
            say("window", f"Evaluation window open for all {len(programmes)} programmes; one slate goes to vote")
            stack.tpp_vote(
                [
                    (programmes["builders-stream"], "decide", (Outcome.CONTINUE, 0)),
                    (programmes["eth-pool"], "decide", (Outcome.ITERATE, ITERATED_CAP)),
                ],
                "TPP-2 slate: CONTINUE builders-stream; ITERATE eth-pool at 4.8m TPP per epoch; "
                "usdc-pool, eth-depth, builder-impact and research take their default (STOP)",
            )
            slate_done = True
            say(
                "vote",
                "TPP-2 executed: builders-stream CONTINUE, eth-pool ITERATE (-20% rate); usdc-pool, eth-depth, "
                "builder-impact and research left to their default STOP",
            )

        # Participants act.
        if day < total_days:
            halted = {name: programmes[name].halted() for name in pools}
            for person in participants:
                if day < person.joins_on:
                    continue
                mechanism = mechanisms[person.pool]
                staked = mechanism.balanceOf(person.address)
                roll = rng.random()
                if staked == 0:
                    if roll < config.p_stake:
                        amount = max(1, int(person.lp * rng.uniform(0.2, 1.0)))
                        mechanism.stake(amount, sender=person.address)
                        actions["stake"] += 1
                elif roll < config.p_withdraw:
                    amount = staked if rng.random() < 0.5 else max(1, staked // 2)
                    mechanism.withdraw(amount, sender=person.address)
                    actions["withdraw"] += 1
                elif roll < config.p_withdraw + config.p_claim and not halted[person.pool]:
                    # While halted the minter is paused: a claim that needs a drip would
                    # revert, so participants wait for the guardian like real users would.
                    mechanism.claim(sender=person.address)
                    actions["claim"] += 1
            if day % 7 == 0:
                mechanisms["builders-stream"].claim(sender=keeper)
                actions["claim"] += 1

        now = chain.now()
        samples.append(
            DaySample(
                now,
                budget.total_minted(),
                budget.scheduled_supply(now),
                budget.rate_at(now),
                budget.inflation_threshold(),
                {name: mechanisms[name].total_minted() for name in programmes},
                {name: last_states[name] for name in programmes},
            )
        )
        if on_day:
            on_day(day)

    # Everyone collects what they earned: stream, and every staker's rewards.
    mechanisms["builders-stream"].claim(sender=keeper)
    for person in participants:
        if mechanisms[person.pool].earned(person.address):
            mechanisms[person.pool].claim(sender=person.address)
            actions["claim"] += 1
    kpi = mechanisms["eth-depth"]
    for index in range(kpi.candidate_count()):
        if kpi.owed(index):
            kpi.claim(index, sender=keeper)
    say(
        "kpi",
        f"eth-depth paid protocol A {kpi.paid(0) / WAD:,.0f} TPP for holding the depth and protocol B, "
        f"the depositor around readings, {kpi.paid(1) / WAD:,.0f} TPP",
    )
    research = mechanisms["research"]
    awards = {name: int(research.owed(address)) for name, address in researchers.items()}
    for name, address in researchers.items():
        if awards[name]:
            research.claim(address, sender=keeper)
        if research.deposits(address):
            research.withdraw_deposit(sender=address)
    sybils = sum(v for k, v in awards.items() if k.startswith("sybil"))
    say(
        "bounty",
        "research paid "
        + ", ".join(f"{name.removeprefix('researcher-')} {amount / WAD:,.0f}" for name, amount in awards.items())
        + f" TPP: the one finding filed from two addresses earned {sybils / WAD:,.0f} TPP together, "
        f"less than carol's equal finding filed once",
    )
    impact.finish()
    say("end", "All programmes stopped by themselves; participants claimed what they earned")
    kinds_by_name = {p.name: p.kind for p in PROGRAMMES}
    payees = {"eth-depth": list(treasuries.values()), "research": list(researchers.values())}
    return DemoResult(
        stack,
        programmes,
        mechanisms,
        stake_tokens,
        safe,
        steward,
        participants,
        moments,
        samples,
        start,
        actions,
        kinds_by_name,
        payees,
        impact.scores,
    )


def _content(author: str, text: str) -> bytes:
    return bounty_kind.content_hash(author, text)


def _first_sybil() -> int:
    return next(i for i, (name, _) in enumerate(FINDINGS) if name.startswith("sybil"))


class Checkpointing:
    """The builder-impact programme's scorer and claimers: at each checkpoint (every
    CHECKPOINT_PERIOD of the epoch, and its end) the scorer brings its index of the chain up to
    date, runs the same scoring `tpp checkpoint score` runs, writes the score and posts the
    root; after the dispute window a keeper claims every account's amount."""

    def __init__(self, chain, stack, logs, workdir: Path, mechanism, scorer, programmes, mechanisms, say):
        self.chain, self.stack, self.logs, self.workdir = chain, stack, logs, workdir
        self.mechanism, self.scorer, self.say = mechanism, scorer, say
        self.programmes, self.mechanisms = programmes, mechanisms
        self.index = workdir / "scorer-index.sqlite"
        self.rules = workdir / "builder-impact.rules.toml"
        self.previous: dict[str, Any] | None = None
        self.scores: list[Path] = []
        self.unclaimed: dict[str, Any] | None = None
        self.posted_at = 0

    def write_rules(self, lp, pool) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        for stale in (self.index, self.index.with_name(self.index.name + "-wal"), self.index.with_name(self.index.name + "-shm")):
            stale.unlink(missing_ok=True)
        self.rules.write_text(CHECKPOINT_RULES.format(lp=lp.address, pool=pool.address))

    def on_day(self) -> None:
        now = self.chain.now()
        if self.unclaimed is not None and now >= self.posted_at + CHECKPOINT_WINDOW:
            self._claim()
        latest = self.mechanism.latest_checkpoint()
        done = int(self.previous["checkpoint"]) if self.previous else 0
        if latest and latest > done and self.unclaimed is None and self.mechanism.pending_since() == 0:
            self._score(latest)

    def finish(self) -> None:
        if self.unclaimed is not None:
            self.chain.warp_to(max(self.chain.now(), self.posted_at + CHECKPOINT_WINDOW))
            self._claim()

    def _score(self, checkpoint: int) -> None:
        deployments = record_stack(Deployments(chain_id=self.chain.chain_id()), self.stack)
        for name, programme in self.programmes.items():
            record_programme(deployments, name, str(programme.address), str(self.mechanisms[name].address), _KINDS[name])
        index_chain(self.logs, deployments, self.index, confirmations=0)
        try:
            result = score_checkpoint(
                IndexData.load(self.index), "builder-impact", load_rules(self.rules), checkpoint, self.previous
            )
        except UserError as exc:
            self.say("checkpoint", f"builder-impact: no root at {datetime.fromtimestamp(checkpoint, tz=UTC):%Y-%m-%d}: {exc}")
            return
        path = write_score(result, self.workdir / "scores")
        self.scores.append(path)
        self.mechanism.post_root(result.tree.root, result.tree.total, result.rules_hash, result.data_hash, sender=self.scorer)
        eligible = sum(1 for p in result.participants if p.eligible)
        self.say(
            "checkpoint",
            f"builder-impact: the scorer posts checkpoint {len(self.scores)}'s root for {eligible} stakers "
            f"({result.award / WAD:,.0f} TPP this checkpoint, {result.tree.total / WAD:,.0f} TPP cumulative); "
            "anyone can recompute it from the chain (`tpp checkpoint verify`)",
        )
        self.previous = json.loads(path.read_text())
        self.unclaimed = self.previous
        self.posted_at = self.chain.now()

    def _claim(self) -> None:
        if self.unclaimed is None:
            return
        keeper = self.chain.actor("keeper")
        paid = 0
        for leaf in self.unclaimed["leaves"]:
            owed = int(leaf["cumulative"]) - int(self.mechanism.claimed(leaf["account"]))
            if owed > 0:
                proof = [bytes.fromhex(p[2:]) for p in leaf["proof"]]
                paid += self.mechanism.claim(leaf["account"], int(leaf["cumulative"]), proof, sender=keeper)
        self.unclaimed = None
        self.say("checkpoint", f"builder-impact: the dispute window passed unchallenged; {paid / WAD:,.0f} TPP claimed")


_KINDS = {p.name: p.kind for p in PROGRAMMES}
