"""ResearchBounty's invariants over random epochs: researchers submit, judges give points and
mark duplicates. At the epoch's end: each author is credited exactly emission x weight / Σ
weights (the model below), Σ credited == Σ minted <= the epoch's emission, nothing is minted
when nobody earned points; and splitting: the same epoch with one finding's duplicates filed
once instead never pays that finding's authors less in total."""

from __future__ import annotations

import boa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.fixtures.budget import DAY
from tests.fixtures.helpers import streamed, warp_to
from tests.fixtures.programmes import EPOCH_CAP
from tests.unit.test_research_bounty import DEPOSIT, bounty_spec

RESEARCHERS = 5
WAD18 = 10**18

findings = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=100),  # the finding's points
        st.lists(st.integers(min_value=0, max_value=RESEARCHERS - 1), min_size=1, max_size=4),  # who files it
    ),
    min_size=1,
    max_size=6,
)


def model(emitted: int, decay: int, entries: list[tuple[int, int]]) -> list[int]:
    """Awards per submission for (points of its finding, members of its finding) entries."""
    weights = []
    for points, n in entries:
        factor = WAD18
        for _ in range(n - 1):
            factor = factor * decay // 10_000
        weights.append(points * factor // n)
    whole = sum(weights)
    return [emitted * w // whole if whole else 0 for w in weights]


def run_epoch(create, make_spec, judge, people, first_epoch, tpp_executor, plan, decay):
    """Runs one epoch of `plan` (findings, each filed by some researchers); returns the bounty
    and, per finding, its authors' total award."""
    ((programme, mech),) = create(bounty_spec(make_spec, judge, decay=decay))
    start, end = first_epoch
    warp_to(start)
    programme.advance(sender=tpp_executor)
    warp_to(start + DAY)
    entries = []
    for points, filers in plan:
        first = None
        for who in filers:
            i = mech.submit(bytes([len(entries) + 1]) * 32, sender=people[who], value=DEPOSIT)
            if first is None:
                first = i
                mech.score(i, points, sender=judge)
            else:
                mech.mark_duplicate(i, first, sender=judge)
            entries.append((points, len(filers), who))
    warp_to(end)
    programme.advance(sender=tpp_executor)
    return mech, entries, streamed(EPOCH_CAP, start, end, end - start)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(plan=findings, decay=st.sampled_from([0, 5_000, 9_000, 9_999]))
def test_awards_follow_the_weights_and_splitting_never_pays(
    plan, decay, chain, create, make_spec, first_epoch, tpp_executor, token
):
    judge = chain.actor("prop-judge")
    people = [chain.actor(f"prop-researcher-{i}") for i in range(RESEARCHERS)]
    for p in people:
        boa.env.set_balance(p, 100 * DEPOSIT)
    with boa.env.anchor():
        mech, entries, emitted = run_epoch(create, make_spec, judge, people, first_epoch, tpp_executor, plan, decay)
        awards = model(emitted, decay, [(p, n) for p, n, _ in entries])
        expected: dict[str, int] = {}
        for (_, _, who), award in zip(entries, awards):
            expected[people[who]] = expected.get(people[who], 0) + award
        for p in people:
            assert mech.owed(p) == expected.get(p, 0)
        assert mech.total_minted() == sum(awards) == token.balanceOf(mech.address) <= emitted
        assert mech.minted_before() == mech.total_minted() and mech.forfeited() == 0  # the old epoch minted what it awarded
        if all(points == 0 for points, _ in plan):
            assert mech.total_minted() == 0
    # Splitting never pays: for each finding filed n > 1 times, the same epoch with that
    # finding filed once (by its first filer) pays its authors at least as much in total. The
    # counterfactual is computed with the model, which matched the contract exactly above (and
    # matches it again below on the epoch with every finding filed once).
    entries_model = [(points, len(filers)) for points, filers in plan for _ in filers]
    split = _per_finding(plan, model(emitted, decay, entries_model))
    for f, (points, filers) in enumerate(plan):
        if len(filers) > 1:
            alone = [(pt, 1 if g == f else len(fl)) for g, (pt, fl) in enumerate(plan) for _ in (fl[:1] if g == f else fl)]
            once = _per_finding([(pt, fl[:1] if g == f else fl) for g, (pt, fl) in enumerate(plan)], model(emitted, decay, alone))
            assert split[f] <= once[f]
            if points > 0 and decay < 10_000:
                assert split[f] < once[f] or once[f] == 0
    plan_once = [(points, filers[:1]) for points, filers in plan]
    with boa.env.anchor():
        mech, entries, _ = run_epoch(create, make_spec, judge, people, first_epoch, tpp_executor, plan_once, decay)
        awards = model(emitted, decay, [(p, n) for p, n, _ in entries])
        for (_, _, who), award in zip(entries, awards):
            assert mech.owed(people[who]) >= award


def _per_finding(plan, awards):
    out, k = [], 0
    for _, filers in plan:
        out.append(sum(awards[k : k + len(filers)]))
        k += len(filers)
    return out
