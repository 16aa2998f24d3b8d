"""The foundation story, run on any chain: votes set the bounds, one vote admits three
epochs, minting follows the linear unlock, and an admission over the threshold is refused.

`tpp demo`, the end-to-end test and the anvil integration test all run this one function,
so what the demo shows is what the tests check.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from tpp.chain import Reverted
from tpp.system.stack import DAY, TOKEN_MINTER_ROLE, WAD, BudgetParams, Call, Stack, StackConfig, deploy_stack

# GAP-set bounds: 10 tokens per second at most, 100m tokens over the Budget's life, an epoch
# may take half of what is left, 30-day cycles whose last 7 days are the evaluation window.
THRESHOLD = 10 * WAD
ALLOCATION = 100_000_000 * WAD
CYCLE = 30 * DAY
WINDOW = 7 * DAY
# The three programme epochs one TPP vote admits (name, mechanism actor, cap); together
# 9.26 tokens/s, under the 10/s threshold. A fourth of 5m would take the rate to 11.2/s.
EPOCHS = (
    ("liquidity", "lp-rewards", 10_000_000 * WAD),
    ("builders", "builders-multisig", 8_000_000 * WAD),
    ("research", "research-stream", 6_000_000 * WAD),
)
FOURTH_CAP = 5_000_000 * WAD
# Days into the epoch at which the mechanisms mint what has unlocked.
MINT_DAYS = (3, 10, 17, 24, 30)
# Seconds before a minter's expiry that the last mint is sent on a real node.
NETWORK_MARGIN = 60


@dataclass
class Moment:
    """One narrated step: when (chain time), what kind, and a sentence."""

    time: int
    kind: str
    text: str
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def date(self) -> str:
        return datetime.fromtimestamp(self.time, tz=UTC).strftime("%Y-%m-%d %H:%M")


@dataclass
class Sample:
    """Supply picture at one instant."""

    time: int
    total_minted: int
    scheduled_supply: int
    rate: int


@dataclass
class StoryResult:
    stack: Stack
    minters: dict[str, Any]
    mechanisms: dict[str, str]
    epoch: tuple[int, int]
    moments: list[Moment]
    samples: list[Sample]
    refused_reason: str


def run_foundation_story(
    chain,
    on_moment: Callable[[Moment], None] | None = None,
    config: StackConfig | None = None,
) -> StoryResult:
    """Run the story on `chain`; `on_moment` is called after each step (for progress)."""
    moments: list[Moment] = []

    def say(kind: str, text: str, **data) -> None:
        moment = Moment(chain.now(), kind, text, data)
        moments.append(moment)
        if on_moment:
            on_moment(moment)

    stack = deploy_stack(chain, config or StackConfig(budget=BudgetParams()))
    budget = stack.budget
    say(
        "deploy",
        "Stack deployed: token, Token and GovOps governors with their timelocks, Budget "
        "(threshold 0, allocation 0: nothing admissible before a vote)",
    )

    # 1. A GAP vote sets the global bounds and the decision calendar.
    genesis = chain.now() - chain.now() % DAY + 2 * DAY
    stack.gap_vote(
        [
            (budget, "set_inflation_threshold", (THRESHOLD,)),
            (budget, "set_allocation", (ALLOCATION,)),
            (budget, "set_decision_cycle", (genesis, CYCLE, WINDOW)),
        ],
        "GAP-1: inflation threshold 10 TPP/s, lifetime allocation 100m TPP, 30-day decision cycle",
    )
    say(
        "vote",
        "GAP-1 executed: threshold 10 TPP/s, allocation 100m TPP, 30-day cycles with a 7-day evaluation window",
        threshold=THRESHOLD,
        allocation=ALLOCATION,
    )

    # 2. One TPP vote gives the Budget the token's minter role and admits three epochs.
    start = budget.next_cycle_boundary(chain.now() + DAY)
    end = start + CYCLE
    mechanisms = {name: chain.actor(actor) for name, actor, _ in EPOCHS}
    minters = {
        name: chain.deploy("CappedMinter", budget.address, stack.tpp_executor.address, cap, start, end, True)
        for name, _, cap in EPOCHS
    }
    calls: list[Call] = [(stack.token, "grantRole", (TOKEN_MINTER_ROLE, budget.address))]
    for name, _, cap in EPOCHS:
        calls.append((budget, "admit", (minters[name].address, cap, start, end)))
    for name, _, _ in EPOCHS:
        minter = minters[name]
        calls.append((minter, "grantRole", (minter.MINTER_ROLE(), mechanisms[name])))
    stack.tpp_vote(calls, "TPP-1: three programmes (liquidity 10m, builders 8m, research 6m TPP) for one 30-day epoch")
    say(
        "vote",
        f"TPP-1 executed in one vote: Budget may mint; 3 epochs admitted, aggregate rate "
        f"{budget.rate_at(start) / WAD:.2f} TPP/s of 10",
        rate=budget.rate_at(start),
    )

    # 3. A fourth admission over the threshold is refused, even with a passing vote.
    fourth = chain.deploy("CappedMinter", budget.address, stack.tpp_executor.address, FOURTH_CAP, start, end, True)
    refused_reason = ""
    try:
        with chain.reverts():
            stack.tpp_vote(
                [(budget, "admit", (fourth.address, FOURTH_CAP, start, end))],
                "TPP-2: a fourth 5m TPP programme in the same epoch",
            )
    except Reverted as exc:
        refused_reason = exc.reason
    if not refused_reason:
        raise AssertionError("story: the fourth admission was expected to be refused")
    say(
        "refused",
        f"TPP-2 passed the vote but its execution reverted: {refused_reason!r} "
        f"(headroom left: {budget.headroom(start, end) / WAD:,.0f} TPP)",
        reason=refused_reason,
    )

    # 4. The epoch runs; each mechanism mints what has unlocked, no more.
    samples: list[Sample] = []
    chain.warp_to(start)
    say("epoch", "Epoch 1 starts: emission unlocks per second")
    for day in MINT_DAYS:
        target = start + day * DAY
        if chain.backend != "embedded":
            # On a real node a transaction lands a second or more after the block the call was
            # built on, and the minters expire at `end` (inclusive): mint a little before it.
            target = min(target, end - NETWORK_MARGIN)
        chain.warp_to(target)
        for name in minters:
            minter = minters[name]
            amount = minter.mintable_now()
            if amount:
                minter.mint(mechanisms[name], amount, sender=mechanisms[name])
        now = chain.now()
        sample = Sample(now, budget.total_minted(), budget.scheduled_supply(now), budget.rate_at(now))
        samples.append(sample)
        say(
            "mint",
            f"Day {day}: {sample.total_minted / WAD:,.0f} TPP minted of {sample.scheduled_supply / WAD:,.0f} scheduled",
            minted=sample.total_minted,
        )
    return StoryResult(stack, minters, mechanisms, (start, end), moments, samples, refused_reason)
