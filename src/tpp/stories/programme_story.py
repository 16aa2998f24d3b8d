"""The main job's story: programmes that one vote starts and that then run themselves.

A GAP vote sets the bounds and the calendar; one TPP vote creates three programmes (a stream
to the builders' Safe, LP staking rewards on two pools); a hundred participants stake, withdraw
and claim; the guardian's Safe halts and resumes one programme and the steward's Safe turns a
dial, each a Safe transaction two of its three owners sign (`Stack.act`); the evaluation
window opens and delegates vote one slate (CONTINUE the stream, ITERATE the big pool at a
lower rate, let the small pool fall to its default STOP); the second epoch runs and the
programmes stop by themselves. A keeper calls `advance()` every simulated day.

`tpp demo`, the end-to-end test and the anvil test run this one function.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from tpp.base.vocab import ADMITTER_ADMIN_ROLE, THROTTLE, TOKEN_MINTER_ROLE, Outcome, State, dial_id
from tpp.model import kinds
from tpp.model.programme import DialSpec, ProgrammeSpec
from tpp.system.stack import DAY, WAD, Stack, StackConfig, deploy_stack

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
    kind: str  # "stream" | "staking"
    epoch_cap: int
    default_outcome: str
    decimals: int = 18  # of the stake token, for staking programmes


PROGRAMMES = (
    PlannedProgramme("builders-stream", "stream", 3_000_000 * WAD, "CONTINUE"),
    PlannedProgramme("eth-pool", "staking", 6_000_000 * WAD, "CONTINUE"),
    PlannedProgramme("usdc-pool", "staking", 1_500_000 * WAD, "STOP", decimals=6),
)
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


def _specs(plan, start, end, safe, steward, guardian, stake_tokens) -> list[ProgrammeSpec]:
    specs = []
    for p in plan:
        target = stake_tokens[p.name].address if kinds.get(p.kind).stakes else safe
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
) -> DemoResult:
    """Run the demo story on `chain`. `on_moment` narrates, `on_day` ticks progress, and a
    `recorder` (tpp.events.EventRecorder) may be given labels for the new contracts."""
    config = config or DemoConfig()
    rng = random.Random(config.seed)
    moments: list[Moment] = []

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
    specs = _specs(PROGRAMMES, start, end, safe, steward, stack.guardian, stake_tokens)
    first_index = factory.programme_count()
    stack.tpp_vote(
        [
            (token, "grantRole", (TOKEN_MINTER_ROLE, budget.address)),
            (budget, "grantRole", (ADMITTER_ADMIN_ROLE, factory.address)),
            (factory, "create_programmes", ([s.as_tuple() for s in specs],)),
        ],
        "TPP-1: builders stream 3m, ETH pool 6m and USDC pool 1.5m TPP per 30-day epoch, two epochs each",
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
        f"TPP-1 executed: one vote created 3 programmes; aggregate scheduled rate "
        f"{budget.rate_at(start) / WAD:.2f} TPP/s of {THRESHOLD / WAD:.0f}",
    )

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

        # The evaluation window: delegates vote one slate for every programme due.
        if not slate_done and all(last_states[n] == "EVALUATING" for n in programmes):
            say("window", "Evaluation window open for all three programmes; one slate goes to vote")
            stack.tpp_vote(
                [
                    (programmes["builders-stream"], "decide", (Outcome.CONTINUE, 0)),
                    (programmes["eth-pool"], "decide", (Outcome.ITERATE, ITERATED_CAP)),
                ],
                "TPP-2 slate: CONTINUE builders-stream; ITERATE eth-pool at 4.8m TPP per epoch; "
                "usdc-pool takes its default (STOP)",
            )
            slate_done = True
            say(
                "vote",
                "TPP-2 executed: builders-stream CONTINUE, eth-pool ITERATE (-20% rate); usdc-pool left to its default STOP",
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
    say("end", "All programmes stopped by themselves; participants claimed what they earned")
    kinds_by_name = {p.name: p.kind for p in PROGRAMMES}
    return DemoResult(
        stack, programmes, mechanisms, stake_tokens, safe, steward, participants, moments, samples, start, actions, kinds_by_name
    )
