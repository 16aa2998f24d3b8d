"""KpiStream's invariants over random readings: candidates move in and out of the KPI, time
passes in random steps (some longer than the maximum gap), anyone pokes or claims. After every
step: what was credited is exactly what was paid plus what is owed, never more than the
minter unlocked; each reading pays exactly the candidates that held the KPI at it and at the
reading before, only when the two are at most `max_gap` apart, and nothing otherwise."""

from __future__ import annotations

import boa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.fixtures.helpers import events, warp_to
from tests.unit.test_kpi_stream import HOUR, THRESHOLD, fund, kpi_spec
from tpp.model.kinds.kpi_stream import KpiCandidate

MAX_GAP = 6 * HOUR
steps = st.lists(
    st.tuples(
        st.sampled_from(["poke", "claim", "toggle"]),
        st.integers(min_value=0, max_value=2),  # which candidate
        st.integers(min_value=0, max_value=9 * HOUR),  # seconds first
    ),
    min_size=1,
    max_size=25,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(plan=steps)
def test_credits_follow_the_readings_and_never_exceed_the_unlock(
    plan, chain, create, make_spec, lp_token, deployer, first_epoch, tpp_executor, budget
):
    with boa.env.anchor():
        protocols = [chain.actor(f"prop-protocol-{i}") for i in range(3)]
        payees = [chain.actor(f"prop-payee-{i}") for i in range(3)]
        candidates = [KpiCandidate(payees[i], "balance", subject=protocols[i], threshold=THRESHOLD) for i in range(3)]
        ((programme, stream),) = create(kpi_spec(make_spec, lp_token.address, candidates, max_gap=MAX_GAP))
        start, end = first_epoch
        warp_to(start)
        programme.advance(sender=tpp_executor)
        holding = [False, False, False]
        previous: tuple[int, int] | None = None  # (time, mask) of the last reading
        for action, who, wait in plan:
            warp_to(min(end - 1, boa.env.evm.patch.timestamp + wait))
            if action == "toggle":
                holding[who] = not holding[who]
                fund(lp_token, deployer, protocols[who], THRESHOLD if holding[who] else 0)
                continue
            before = [stream.owed(i) + stream.paid(i) for i in range(3)]
            if action == "poke":
                stream.poke()
            else:
                stream.claim(who)
            (reading,) = events(stream, "Reading")
            now = boa.env.evm.patch.timestamp
            mask = sum(1 << i for i in range(3) if holding[i])
            assert reading.held_mask == mask
            expected = previous[1] & mask if previous is not None and now - previous[0] <= MAX_GAP else 0
            assert reading.paid_mask == expected
            if expected == 0:
                assert reading.amount == 0  # nothing paid for an interval without two valid readings
            holders = bin(expected).count("1")
            share = reading.amount // holders if holders else 0
            for i in range(3):
                credited = stream.owed(i) + stream.paid(i) - before[i]
                assert credited == (share if expected >> i & 1 else 0)
            previous = (now, mask)
            paid = sum(stream.paid(i) for i in range(3))
            owed = sum(stream.owed(i) for i in range(3))
            assert paid + owed == stream.accrued()
            assert stream.accrued() <= budget.unlocked_of(stream.minter(), now)
            assert stream.total_minted() == paid
