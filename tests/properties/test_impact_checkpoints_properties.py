"""ImpactCheckpoints' invariants over random histories: the scorer posts roots of random sizes
(some above what the checkpoint allows), anyone challenges, the executor resolves by keeping
or lowering, accounts claim, time passes in random steps. After every step: Σ claimed <= the
final root's total <= Σ minted <= the minter's unlock; the contract holds exactly what was
minted in and not paid out; each account holds exactly what it claimed; a posted root never
exceeds the emission up to its checkpoint (the post reverts otherwise); a dispute can only
freeze or lower a root; a root pays nothing before it is final."""

from __future__ import annotations

import boa
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from tests.fixtures.budget import DAY
from tests.fixtures.helpers import streamed, warp_to
from tests.fixtures.programmes import EPOCH_CAP
from tests.unit.test_impact_checkpoints import checkpoint_spec
from tpp.model.merkle import MerkleTree

PERIOD = 10 * DAY
WINDOW = 2 * DAY
BOND = 10**15
ACCOUNTS = 4

steps = st.lists(
    st.one_of(
        # Waits around the period and the window, so checkpoints pass and windows close often.
        st.tuples(st.just("wait"), st.sampled_from([3600, DAY, WINDOW, WINDOW + 1, PERIOD - 1, PERIOD, PERIOD + WINDOW])),
        st.tuples(st.just("post"), st.integers(min_value=0, max_value=12_000)),  # share of the allowance, bps
        st.tuples(st.just("challenge"), st.just(0)),
        st.tuples(st.just("resolve"), st.integers(min_value=0, max_value=10_000)),  # share of the pending total kept
        st.tuples(st.just("claim"), st.integers(min_value=0, max_value=ACCOUNTS - 1)),
        st.tuples(st.just("finalise"), st.just(0)),
    ),
    min_size=1,
    max_size=30,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(plan=steps)
@example(
    plan=[
        ("wait", 11 * DAY),
        ("post", 8_000),
        ("challenge", 0),
        ("resolve", 5_000),
        ("claim", 1),
        ("wait", 10 * DAY),
        ("post", 11_000),
        ("post", 9_000),
        ("wait", 3 * DAY),
        ("claim", 3),
        ("claim", 3),
    ]
)
def test_roots_never_pay_more_than_the_emission_and_disputes_only_lower(
    plan, chain, create, make_spec, first_epoch, tpp_executor, budget, token
):
    with boa.env.anchor():
        scorer = chain.actor("prop-scorer")
        challenger = chain.actor("prop-challenger")
        boa.env.set_balance(challenger, 100 * BOND)
        people = [chain.actor(f"prop-impact-{i}") for i in range(ACCOUNTS)]
        ((programme, cp),) = create(checkpoint_spec(make_spec, scorer, period=PERIOD, window=WINDOW, bond=BOND))
        start, end = first_epoch
        warp_to(start)
        programme.advance(sender=tpp_executor)
        trees: dict[bytes, MerkleTree] = {}
        cumulative = [0] * ACCOUNTS  # what the last posted tree gave each account
        for action, arg in plan:
            now = boa.env.evm.patch.timestamp
            final_before = cp.root_total()
            if action == "wait":
                warp_to(min(end - 1, now + arg))
            elif action == "post":
                latest = cp.latest_checkpoint()
                # The emission up to the checkpoint, as one tick would floor it; the contract's
                # ticks floor each step, so it may count up to a wei per tick less.
                exact = streamed(EPOCH_CAP, start, end, latest - start) if latest else 0
                allowance = max(0, exact - len(plan))
                target = allowance * arg // 10_000 if arg <= 10_000 else exact + 1 + exact * (arg - 10_000) // 10_000
                delta = max(0, target - sum(cumulative))
                grown = [c + delta * (i + 1) // 10 for i, c in enumerate(cumulative)]
                grown[0] += max(0, target - sum(grown))  # the total lands on the target (or stays)
                tree = MerkleTree.build(cp.address, dict(zip(people, grown)))
                posted = cp.pending_since()
                due = posted != 0 and not cp.frozen() and now >= posted + WINDOW  # post_root finalises it first
                blocked = posted != 0 and not due
                covered = cp.pending_checkpoint() if due else cp.root_checkpoint()
                if blocked or latest <= covered or tree.total > allowance:
                    with boa.reverts():
                        cp.post_root(tree.root, tree.total, b"", b"", sender=scorer)
                else:
                    cp.post_root(tree.root, tree.total, b"", b"", sender=scorer)
                    event("a root posted")
                    assert cp.pending_total() == tree.total <= cp.checkpoint_emission() <= exact
                    trees[bytes(tree.root)] = tree
                    cumulative = grown
            elif action == "challenge":
                if cp.pending_since() != 0 and not cp.frozen() and now < cp.pending_since() + WINDOW:
                    cp.challenge(sender=challenger, value=BOND)
                    assert cp.frozen()
                else:
                    with boa.reverts():
                        cp.challenge(sender=challenger, value=BOND)
            elif action == "resolve":
                if cp.frozen():
                    kept = max(final_before, cp.pending_total() * arg // 10_000)
                    old = trees[bytes(cp.pending_root())]
                    lowered = dict(zip(old.accounts, old.amounts))
                    cut = old.total - kept
                    for account in list(lowered)[::-1]:  # lower the accounts from the last one
                        take = min(cut, lowered[account] - token.balanceOf(account))
                        lowered[account] -= take
                        cut -= take
                    if cut == 0:
                        tree = MerkleTree.build(cp.address, lowered)
                        pending_total = cp.pending_total()
                        with boa.reverts("checkpoints: a resolution cannot raise the total"):
                            cp.resolve(tree.root, pending_total + 1, sender=tpp_executor)
                        cp.resolve(tree.root, tree.total, sender=tpp_executor)
                        event("a challenge resolved")
                        assert cp.root_total() == tree.total <= pending_total
                        trees[bytes(tree.root)] = tree
                        cumulative = [lowered[p] for p in people]
                else:
                    with boa.reverts():
                        cp.resolve(b"\1" * 32, 0, sender=tpp_executor)
            elif action == "claim":
                account = people[arg]
                cp.finalise()
                tree = trees.get(bytes(cp.root()))
                owed = tree.amount(account) - token.balanceOf(account) if tree else 0
                if tree and owed > 0:
                    assert cp.claim(account, tree.amount(account), tree.proof(account)) == owed
                    event("a claim paid")
                else:
                    with boa.reverts():
                        cp.claim(account, cumulative[arg], [])
            else:
                cp.finalise()
            now = boa.env.evm.patch.timestamp
            minted = cp.total_minted()
            assert cp.total_claimed() <= cp.root_total() <= minted <= budget.unlocked_of(cp.minter(), now)
            assert cp.root_total() >= final_before  # never lowered below what was final
            assert token.balanceOf(cp.address) == minted - cp.total_claimed()
            assert sum(token.balanceOf(p) for p in people) == cp.total_claimed()
            for p in people:
                assert token.balanceOf(p) == cp.claimed(p)
            if cp.checkpoint_at():
                exact = streamed(EPOCH_CAP, start, end, cp.checkpoint_at() - start)
                assert exact - len(plan) <= cp.checkpoint_emission() <= exact
