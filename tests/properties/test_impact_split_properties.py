"""The checkpoint split that `tpp checkpoint score` and the simulator's scorer share
(`tpp.model.impact`), over random weights, awards and caps: it never assigns more than the
award, never more than the cap to one account, nothing to a zero weight, never less to a
larger weight than to a smaller one; and when the cap binds nobody, the dust left is under one
wei per account."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from tpp.model import impact

weights = st.dictionaries(st.text("abcdefgh", min_size=1, max_size=3), st.integers(0, 10**24), min_size=1, max_size=12)


@given(weights, st.integers(0, 10**27), st.integers(1, 10_000))
def test_split_respects_award_cap_and_order(ws, award, cap_bps):
    cap = award * cap_bps // 10_000
    out = impact.split(award, ws, cap)
    assert set(out) == set(ws)
    assert sum(out.values()) <= award
    assert all(0 <= v <= cap for v in out.values())
    assert all(out[a] == 0 for a, w in ws.items() if w == 0)
    ranked = sorted(ws, key=lambda a: ws[a])
    assert all(out[x] <= out[y] for x, y in zip(ranked, ranked[1:]) if ws[x] < ws[y])
    positive = [a for a, w in ws.items() if w > 0]
    if positive and cap * len(positive) >= award and max(out.values()) < cap:
        assert award - sum(out.values()) < len(positive)


@given(
    st.lists(st.tuples(st.integers(0, 20), st.sampled_from("abcd"), st.sampled_from(["app", "b", "c"]), st.integers(1, 10**6)))
)
def test_tally_counts_only_the_period_the_counterparties_and_the_unexcluded(transfers):
    # times are days; a transfer counts from day 5 (inclusive) to day 15 (exclusive)
    rows = [(day * 86_400, sender, to, value) for day, sender, to, value in transfers]
    people = impact.tally(rows, start=5 * 86_400, end=15 * 86_400, counterparties={"app"}, excluded={"d"}, min_active_days=2)
    for account, activity in people.items():
        mine = [r for r in rows if r[1] == account and r[2] == "app" and 5 * 86_400 <= r[0] < 15 * 86_400]
        assert account != "d"
        assert activity.transactions == len(mine)
        assert activity.volume == sum(r[3] for r in mine)
        assert activity.eligible == (len({r[0] // 86_400 for r in mine}) >= 2)
    counted = {r[1] for r in rows if r[2] == "app" and 5 * 86_400 <= r[0] < 15 * 86_400 and r[1] != "d"}
    assert set(people) == counted
