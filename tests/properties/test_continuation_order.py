"""Who calls first decides nothing: programmes ending on one boundary, in any order.

Defect (issue 10, item 7): when several programmes ended on one boundary and the Budget had
room for only some, the order of permissionless `advance()` calls decided which continued
(and the losers stopped for good). Property, over random portfolios ending on one boundary,
random decisions in their window, a GAP squeezing the Budget (threshold, allocation, share)
after the votes and a newcomer admission attempted somewhere among the keepers' calls: every
order of the calls gives the same result programme by programme (state, epoch, interval, cap,
what it holds), whether or not the newcomer got in; every programme whose outcome is a
continuation continued — none waits and none stops; and when the newcomer's attempt had the
same fate in both orders, the Budget ends the same too (committed, the rate curve). The
newcomer's fate itself may differ: room a stop gives back returns when a keeper applies it,
so a vote executed before that sees less room (and can be executed again later).

Each example runs the same calls in two random orders, each in its own `boa.env.anchor()`
(titanoboa's pytest plugin already runs every example in one), from the same instant.
"""

import re

import boa
from boa.contracts.base_evm_contract import BoaError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.fixtures.budget import CYCLE, DAY, WAD, now
from tests.fixtures.helpers import warp_to
from tests.fixtures.programmes import EPOCH_CAP
from tpp.base.vocab import Outcome, State

STOP, CONTINUE, ITERATE, PAUSE = (Outcome[name] for name in ("STOP", "CONTINUE", "ITERATE", "PAUSE"))
WINDOW = 14 * DAY
UINT48 = 2**48 - 1

programme_draws = st.fixed_dictionaries(
    {
        "cap": st.integers(1, 8).map(lambda k: k * EPOCH_CAP // 4),
        "max_epochs": st.integers(1, 4),
        "default": st.sampled_from(["CONTINUE", "STOP"]),
        "decision": st.sampled_from([None, STOP, CONTINUE, PAUSE, "up", "down"]),
    }
)
squeezes = st.sampled_from(["threshold", "allocation", "share", "all", "none"])


def _decide(programme, draw, tpp_executor):
    """The vote in the window; a higher ITERATE may be refused by the Budget (then no decision)."""
    decision = draw["decision"]
    if decision is None:
        return None
    if decision in ("up", "down"):
        cap = programme.epoch_cap()
        new_cap = cap * 12 // 10 if decision == "up" else cap * 8 // 10
        try:
            programme.decide(ITERATE, new_cap, sender=tpp_executor)
        except BoaError as error:
            assert "budget: " in str(error)
            return None
        return ITERATE
    programme.decide(decision, 0, sender=tpp_executor)
    return decision


def _squeeze(budget, how, gap_executor):
    if how in ("threshold", "all"):
        budget.set_inflation_threshold(budget.max_rate(now(), UINT48), sender=gap_executor)
    if how in ("allocation", "all"):
        budget.set_allocation(budget.committed(), sender=gap_executor)
    if how in ("share", "all"):
        budget.set_max_share(1, sender=gap_executor)


REASON = re.compile(r"<((?:budget|pausable|access_control): [^>]+)>")


def _run(order, programmes, budget, tpp_executor, end, minter):
    """Advance the programmes (and try the newcomer `minter`, index -1) in `order`; the resulting picture."""
    newcomer = None
    for index in order:
        if index == -1:
            try:
                budget.admit(minter, EPOCH_CAP, now(), end + CYCLE, sender=tpp_executor)
                newcomer = "admitted"
            except BoaError as error:
                found = REASON.search(str(error))
                newcomer = found.group(1) if found else "refused without a reason"
        else:
            programmes[index].advance()
    picture = []
    for programme in programmes:
        minter = programme.minter()
        picture.append(
            (
                programme.state(),
                programme.epoch(),
                programme.epoch_start(),
                programme.epoch_end(),
                budget.schedule_of(minter),
                budget.hold_of(programme.address),
            )
        )
    curve = tuple(budget.max_rate(t, t + CYCLE) for t in (end, end + CYCLE, end + 2 * CYCLE, end + 3 * CYCLE))
    return picture, (budget.committed(), curve), newcomer


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    draws=st.lists(programme_draws, min_size=2, max_size=4),
    squeeze=squeezes,
    late=st.integers(0, 3 * DAY),
    data=st.data(),
)
def test_the_order_of_calls_at_a_crowded_boundary_decides_nothing(
    draws, squeeze, late, data, create, make_spec, safe, budget, gap_executor, tpp_executor, first_epoch
):
    start, end = first_epoch
    specs = [
        make_spec("stream", safe, epoch_cap=d["cap"], max_epochs=d["max_epochs"], default_outcome=d["default"]) for d in draws
    ]
    budget.set_max_share(10_000, sender=gap_executor)
    programmes = [programme for programme, _ in create(*specs)]
    warp_to(end - WINDOW)
    outcomes = []
    for programme, draw in zip(programmes, draws, strict=True):
        programme.advance()
        outcomes.append(_decide(programme, draw, tpp_executor))
    _squeeze(budget, squeeze, gap_executor)
    warp_to(end + late)

    calls = list(range(len(programmes))) + [-1]
    first = data.draw(st.permutations(calls), label="first order")
    second = data.draw(st.permutations(calls), label="second order")
    minter = boa.env.generate_address("newcomer")
    with boa.env.anchor():
        result_a = _run(first, programmes, budget, tpp_executor, end, minter)
    with boa.env.anchor():
        result_b = _run(second, programmes, budget, tpp_executor, end, minter)
    pictures_a, budget_a, newcomer_a = result_a
    pictures_b, budget_b, newcomer_b = result_b
    assert pictures_a == pictures_b
    # A newcomer's vote sees the room keepers have given back so far (a stop's unused cap and
    # held room return when a keeper applies the stop): its fate may depend on when it comes,
    # the programmes' never does. With the same fate, the Budget ends up the same.
    if newcomer_a == newcomer_b:
        assert budget_a == budget_b

    picture, newcomer = pictures_a, newcomer_a
    for draw, outcome, (state, epoch, epoch_start, epoch_end, _, _) in zip(draws, outcomes, picture, strict=True):
        applied = outcome or Outcome[draw["default"]]
        if applied in (CONTINUE, ITERATE) and draw["max_epochs"] > 1:
            assert (State(state), epoch, epoch_start) == (State.RUNNING, 2, end + late), (draw, outcome)
            assert epoch_end > end + late
        elif applied == PAUSE:
            assert State(state) == State.PAUSED
        else:
            assert State(state) == State.STOPPED
    assert newcomer is not None


def test_a_newcomer_cannot_take_the_room_a_continuation_holds(
    create, make_spec, safe, budget, gap_executor, tpp_executor, first_epoch
):
    """The concrete case: two programmes end on one boundary; a GAP lowers the threshold to
    what is held; a newcomer's admission for the next cycle is refused before and after the
    keepers' calls, and both programmes continue whichever advances first."""
    start, end = first_epoch
    (a, _), (b, _) = create(make_spec("stream", safe), make_spec("stream", safe, epoch_cap=EPOCH_CAP // 2))
    budget.set_inflation_threshold(budget.max_rate(end, UINT48), sender=gap_executor)
    warp_to(end)
    newcomer = boa.env.generate_address("newcomer")
    with boa.reverts("budget: rate above threshold"):
        budget.admit(newcomer, 1_000 * WAD, end, end + CYCLE, sender=tpp_executor)
    assert b.advance() == State.RUNNING
    with boa.reverts("budget: rate above threshold"):
        budget.admit(newcomer, 1_000 * WAD, end, end + CYCLE, sender=tpp_executor)
    assert a.advance() == State.RUNNING
    assert (a.epoch(), b.epoch()) == (2, 2)
