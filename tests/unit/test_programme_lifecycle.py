"""Programme lifecycle: every transition, every outcome, every revert of the controller.

Time line of the default programme (make_spec): the first epoch runs [S, E] with E on a
decision-cycle boundary, the evaluation window is [E - 14 days, E), the default outcome is
CONTINUE, at most 3 epochs, ITERATE may move the cap by 20 %, one throttle dial.
"""

import boa
import eth_abi
import pytest
from eth_utils import keccak

from tests.fixtures.budget import CYCLE, DAY, now
from tests.fixtures.helpers import events, streamed, warp_to
from tests.fixtures.programmes import EPOCH_CAP
from tpp.base.vocab import ADMITTER_ROLE, THROTTLE, Outcome, State, dial_id
from tpp.base.vocab import ZERO_ADDRESS as ZERO
from tpp.chain import Chain
from tpp.model.programme import DialSpec

SCHEDULED, RUNNING, EVALUATING, PAUSED, STOPPED, KILLED = (
    State[name] for name in ("SCHEDULED", "RUNNING", "EVALUATING", "PAUSED", "STOPPED", "KILLED")
)
STOP, CONTINUE, ITERATE, PAUSE, KILL = (Outcome[name] for name in ("STOP", "CONTINUE", "ITERATE", "PAUSE", "KILL"))
WINDOW = 14 * DAY
THROTTLE_ID = dial_id(THROTTLE)
RATE_SCALE = 10**18

# A Chainlink AggregatorV3 stand-in (8 decimals, always fresh) whose answer the test sets;
# tests/unit/test_oracle_feed.py has one that can misbehave.
ORACLE_SOURCE = """
# pragma version ~=0.4.3
answer: public(int256)

@external
def set_answer(new_answer: int256):
    self.answer = new_answer

@external
@view
def latestRoundData() -> (uint80, int256, uint256, uint256, uint80):
    return 7, self.answer, block.timestamp, block.timestamp, 7

@external
@view
def decimals() -> uint8:
    return 8
"""
# The stand-in's unit: an answer of 1 is 10**8; a threshold of 1 is 10**18 (18 decimals).
FEED_UNIT, THRESHOLD_UNIT = 10**8, 10**18


# --- helpers -------------------------------------------------------------------------------


def transitions(contract, call_via=None):
    """(epoch, old_state, new_state, reason) of every Transition in that last call."""
    return [(log.epoch, log.old_state, log.new_state, log.reason) for log in events(contract, "Transition", call_via)]


ERROR_STRING = keccak(text="Error(string)")[:4]


def revert_reason(function, *args, sender):
    """The reason string a call reverts with, read from the raw return data. Used where
    titanoboa's error report itself fails (it cannot decode an unset String local of
    Programme.initialize's frame), so `boa.reverts` cannot be used."""
    computation = boa.env.execute_code(to_address=function.contract.address, sender=sender, data=function.prepare_calldata(*args))
    assert computation.is_error, "call did not revert"
    output = bytes(computation.output)
    assert output[:4] == ERROR_STRING, output
    return eth_abi.decode(["string"], output[4:])[0]


PROGRAMME_VIEWS = (
    "state",
    "epoch",
    "epoch_start",
    "epoch_end",
    "pending_outcome",
    "pending_cap",
    "paused_at",
    "halted",
    "max_pause",
    "comparator",
    "epoch_cap",
    "epoch_duration",
    "window_length",
    "default_outcome",
    "max_epochs",
    "iterate_cap_bps",
    "minter",
    "mechanism",
    "guardian",
    "steward",
    "oracle",
    "oracle_max_age",
    "oracle_threshold",
    "next_transition",
    "pause_condition_met",
)


def snapshot(programme, mechanism, budget):
    """Every view of the programme, its mechanism, its minter and the Budget that a transition
    could change."""
    views = {name: getattr(programme, name)() for name in PROGRAMME_VIEWS}
    views["dial"] = programme.dial(THROTTLE_ID)
    minter = Chain.current().at("EpochMinter", programme.minter())
    views["minter.paused"] = minter.paused()
    views["minter.closed"] = minter.closed()
    views["mechanism"] = (
        mechanism.minter(),
        mechanism.epoch_start(),
        mechanism.epoch_end(),
        mechanism.rate(),
        mechanism.halted(),
        mechanism.throttle_bps(),
        mechanism.accrued(),
        mechanism.minted_current(),
    )
    views["budget"] = (budget.epoch_count(), budget.committed())
    return views


# --- fixtures ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def epoch1(first_epoch):
    return first_epoch


@pytest.fixture(scope="module")
def stream_programme(create, make_spec, safe):
    """stream_programme(**overrides) -> (programme, stream) of a fresh stream programme."""

    def make(**overrides):
        ((programme, mechanism),) = create(make_spec("stream", safe, **overrides))
        return programme, mechanism

    return make


@pytest.fixture(scope="module")
def oracle():
    return boa.loads(ORACLE_SOURCE, name="AggregatorStandIn")


@pytest.fixture(scope="module")
def minter_at(chain):
    return lambda address: chain.at("EpochMinter", address)


@pytest.fixture
def in_window(stream_programme, epoch1):
    """A default programme advanced into its first evaluation window."""
    programme, stream = stream_programme()
    start, end = epoch1
    warp_to(end - WINDOW)
    assert programme.advance() == EVALUATING
    return programme, stream


# --- creation ------------------------------------------------------------------------------


def test_creation_logs_programme_created_and_schedules_first_epoch(factory, make_spec, safe, tpp_executor, epoch1, budget, chain):
    start, end = epoch1
    (address,) = factory.create_programmes([make_spec("stream", safe).as_tuple()], sender=tpp_executor)
    programme = chain.at("Programme", address)
    assert transitions(programme, factory) == [(1, 0, SCHEDULED, "programme created")]
    (opened,) = events(programme, "EpochOpened", factory)
    assert (opened.epoch, opened.cap, opened.start, opened.end) == (1, EPOCH_CAP, start, end)
    assert opened.minter == programme.minter()
    assert (programme.state(), programme.epoch(), programme.epoch_start(), programme.epoch_end()) == (
        SCHEDULED,
        1,
        start,
        end,
    )
    assert budget.schedule_of(programme.minter()) == (EPOCH_CAP, start, end)
    assert programme.next_transition() == (RUNNING, start)


def test_creation_at_start_time_is_running_at_once(factory, make_spec, safe, tpp_executor, epoch1, chain):
    start, end = epoch1
    spec = make_spec("stream", safe, first_start=now())
    (address,) = factory.create_programmes([spec.as_tuple()], sender=tpp_executor)
    programme = chain.at("Programme", address)
    assert transitions(programme, factory) == [(1, 0, RUNNING, "programme created")]
    assert programme.state() == RUNNING


# --- SCHEDULED -> RUNNING -> EVALUATING ----------------------------------------------------


def test_scheduled_becomes_running_at_start(stream_programme, epoch1):
    programme, _ = stream_programme()
    start, end = epoch1
    warp_to(start - 1)
    assert programme.advance() == SCHEDULED
    assert transitions(programme) == []
    warp_to(start)
    assert programme.advance() == RUNNING
    assert transitions(programme) == [(1, SCHEDULED, RUNNING, "epoch started")]
    assert programme.next_transition() == (EVALUATING, end - WINDOW)


def test_running_becomes_evaluating_when_window_opens(stream_programme, epoch1):
    programme, _ = stream_programme()
    start, end = epoch1
    warp_to(start)
    programme.advance()
    warp_to(end - WINDOW - 1)
    assert programme.advance() == RUNNING
    assert transitions(programme) == []
    warp_to(end - WINDOW)
    assert programme.advance() == EVALUATING
    assert transitions(programme) == [(1, RUNNING, EVALUATING, "evaluation window opened")]
    assert programme.next_transition() == (RUNNING, end)


# --- decide --------------------------------------------------------------------------------


def test_decide_only_by_the_executor(in_window, stranger, guardian, steward):
    programme, _ = in_window
    for caller in (stranger, guardian, steward):
        with boa.reverts("programme: caller is not the executor"):
            programme.decide(STOP, 0, sender=caller)
        with boa.reverts("programme: caller is not the executor"):
            programme.decide(KILL, 0, sender=caller)


@pytest.mark.parametrize("when", ["before start", "at start", "just before window", "at epoch end"])
def test_decide_outside_the_window_reverts(stream_programme, epoch1, tpp_executor, when):
    programme, _ = stream_programme()
    start, end = epoch1
    warp_to({"before start": start - 1, "at start": start, "just before window": end - WINDOW - 1, "at epoch end": end}[when])
    with boa.reverts("programme: not in evaluation window"):
        programme.decide(STOP, 0, sender=tpp_executor)


def test_decide_advances_first(stream_programme, epoch1, tpp_executor):
    programme, _ = stream_programme()
    start, end = epoch1
    warp_to(end - WINDOW)  # nobody called advance(): the stored state is still SCHEDULED
    programme.decide(STOP, 0, sender=tpp_executor)
    assert transitions(programme) == [
        (1, SCHEDULED, RUNNING, "epoch started"),
        (1, RUNNING, EVALUATING, "evaluation window opened"),
    ]
    (decided,) = events(programme, "Decided")
    assert (decided.epoch, decided.outcome, decided.new_cap, decided.decided_at) == (1, STOP, 0, end - WINDOW)
    assert programme.state() == EVALUATING
    assert programme.pending_outcome() == STOP
    assert programme.next_transition() == (STOPPED, end)


@pytest.mark.parametrize("outcome", [0, 6, 255])
def test_decide_unknown_outcome_reverts(in_window, tpp_executor, outcome):
    programme, _ = in_window
    with boa.reverts("programme: unknown outcome"):
        programme.decide(outcome, 0, sender=tpp_executor)


def test_last_decision_before_end_stands_continue_over_stop(in_window, tpp_executor, epoch1):
    programme, _ = in_window
    start, end = epoch1
    programme.decide(STOP, 0, sender=tpp_executor)
    warp_to(end - 1)
    programme.decide(CONTINUE, 0, sender=tpp_executor)
    assert programme.pending_outcome() == CONTINUE
    warp_to(end)
    assert programme.advance() == RUNNING
    assert transitions(programme) == [(2, EVALUATING, RUNNING, "decided: continue")]
    assert programme.pending_outcome() == 0


def test_last_decision_before_end_stands_stop_over_iterate(in_window, tpp_executor, epoch1):
    programme, _ = in_window
    start, end = epoch1
    programme.decide(ITERATE, EPOCH_CAP + EPOCH_CAP // 10, sender=tpp_executor)
    programme.decide(STOP, 0, sender=tpp_executor)
    warp_to(end)
    assert programme.advance() == STOPPED
    assert transitions(programme) == [(1, EVALUATING, STOPPED, "decided: stop")]
    assert programme.epoch_cap() == EPOCH_CAP


def test_iterate_then_continue_keeps_the_cap(in_window, tpp_executor, epoch1, minter_at):
    programme, _ = in_window
    start, end = epoch1
    programme.decide(ITERATE, EPOCH_CAP + EPOCH_CAP // 10, sender=tpp_executor)
    programme.decide(CONTINUE, 0, sender=tpp_executor)
    warp_to(end)
    programme.advance()
    assert programme.epoch_cap() == EPOCH_CAP
    assert minter_at(programme.minter()).CAP() == EPOCH_CAP


# --- outcomes at epoch end -----------------------------------------------------------------


def test_default_stop(stream_programme, epoch1, budget):
    programme, _ = stream_programme(default_outcome="STOP")
    start, end = epoch1
    warp_to(end - WINDOW)
    programme.advance()
    assert programme.next_transition() == (STOPPED, end)
    warp_to(end - 1)
    assert programme.advance() == EVALUATING
    warp_to(end)
    assert programme.advance() == STOPPED
    assert transitions(programme) == [(1, EVALUATING, STOPPED, "default: stop")]
    assert programme.epoch() == 1
    assert budget.epoch_count() == 1
    assert programme.next_transition() == (0, 0)


def _assert_next_epoch(programme, stream, budget, minter_at, old_minter, epoch, cap, start, end):
    minter = programme.minter()
    assert minter != old_minter
    assert (programme.epoch(), programme.epoch_start(), programme.epoch_end()) == (epoch, start, end)
    assert budget.schedule_of(minter) == (cap, start, end)
    assert minter_at(minter).CAP() == cap
    assert stream.minter() == minter
    assert (stream.epoch_start(), stream.epoch_end()) == (start, end)
    assert budget.next_cycle_boundary(end - 1) == end  # ends on a decision-cycle boundary


def test_default_continue_opens_the_next_epoch(stream_programme, epoch1, budget, minter_at):
    programme, stream = stream_programme()
    start, end = epoch1
    old_minter = programme.minter()
    warp_to(end - WINDOW)
    programme.advance()
    warp_to(end)
    assert programme.advance() == RUNNING
    assert transitions(programme) == [(2, EVALUATING, RUNNING, "default: continue")]
    (opened,) = events(programme, "EpochOpened")
    assert (opened.epoch, opened.cap, opened.start, opened.end) == (2, EPOCH_CAP, end, end + CYCLE)
    _assert_next_epoch(programme, stream, budget, minter_at, old_minter, 2, EPOCH_CAP, end, end + CYCLE)
    assert budget.epoch_count() == 2
    assert programme.state() == RUNNING
    assert programme.next_transition() == (EVALUATING, end + CYCLE - WINDOW)


def test_decided_stop(in_window, tpp_executor, epoch1):
    programme, _ = in_window
    start, end = epoch1
    programme.decide(STOP, 0, sender=tpp_executor)
    warp_to(end)
    assert programme.advance() == STOPPED
    assert transitions(programme) == [(1, EVALUATING, STOPPED, "decided: stop")]


def test_decided_continue_on_a_default_stop_programme(stream_programme, epoch1, tpp_executor, budget, minter_at):
    programme, stream = stream_programme(default_outcome="STOP")
    start, end = epoch1
    old_minter = programme.minter()
    warp_to(end - 1)
    programme.decide(CONTINUE, 0, sender=tpp_executor)
    assert programme.next_transition() == (RUNNING, end)
    warp_to(end)
    assert programme.advance() == RUNNING
    assert transitions(programme) == [(2, EVALUATING, RUNNING, "decided: continue")]
    _assert_next_epoch(programme, stream, budget, minter_at, old_minter, 2, EPOCH_CAP, end, end + CYCLE)


@pytest.mark.parametrize("delta_bps", [2_000, 500, -2_000, 0])
def test_decided_iterate_applies_the_new_cap(in_window, tpp_executor, epoch1, budget, minter_at, delta_bps):
    programme, stream = in_window
    start, end = epoch1
    old_minter = programme.minter()
    new_cap = EPOCH_CAP + EPOCH_CAP * delta_bps // 10_000
    programme.decide(ITERATE, new_cap, sender=tpp_executor)
    (decided,) = events(programme, "Decided")
    assert (decided.outcome, decided.new_cap) == (ITERATE, new_cap)
    assert programme.pending_cap() == new_cap
    warp_to(end)
    assert programme.advance() == RUNNING
    assert transitions(programme) == [(2, EVALUATING, RUNNING, "decided: iterate")]
    assert programme.epoch_cap() == new_cap
    _assert_next_epoch(programme, stream, budget, minter_at, old_minter, 2, new_cap, end, end + CYCLE)
    assert stream.rate() == new_cap * RATE_SCALE // CYCLE


@pytest.mark.parametrize("new_cap", [EPOCH_CAP * 12 // 10 + 1, EPOCH_CAP * 8 // 10 - 1, 1, 2**111])
def test_iterate_outside_bounds_reverts(in_window, tpp_executor, new_cap):
    programme, _ = in_window
    with boa.reverts("programme: iterate outside bounds"):
        programme.decide(ITERATE, new_cap, sender=tpp_executor)


@pytest.mark.parametrize("new_cap", [0, 2**112])
def test_iterate_bad_cap_reverts(in_window, tpp_executor, new_cap):
    programme, _ = in_window
    with boa.reverts("programme: bad iterate cap"):
        programme.decide(ITERATE, new_cap, sender=tpp_executor)


def test_iterate_with_zero_bound_only_keeps_the_cap(stream_programme, epoch1, tpp_executor):
    programme, _ = stream_programme(iterate_cap_bps=0)
    start, end = epoch1
    warp_to(end - WINDOW)
    with boa.reverts("programme: iterate outside bounds"):
        programme.decide(ITERATE, EPOCH_CAP + 1, sender=tpp_executor)
    programme.decide(ITERATE, EPOCH_CAP, sender=tpp_executor)
    assert programme.pending_outcome() == ITERATE


def test_last_epoch_ends_the_programme(stream_programme, epoch1):
    programme, _ = stream_programme(max_epochs=2)
    start, end = epoch1
    warp_to(end)
    programme.advance()
    assert programme.epoch() == 2
    warp_to(end + CYCLE - WINDOW)
    programme.advance()
    assert programme.next_transition() == (STOPPED, end + CYCLE)
    warp_to(end + CYCLE)
    assert programme.advance() == STOPPED
    assert transitions(programme) == [(2, EVALUATING, STOPPED, "last epoch ended")]


@pytest.mark.parametrize("outcome", [CONTINUE, ITERATE])
def test_continue_or_iterate_in_the_only_epoch_stops(stream_programme, epoch1, tpp_executor, budget, outcome):
    programme, _ = stream_programme(max_epochs=1)
    start, end = epoch1
    warp_to(end - WINDOW)
    programme.decide(outcome, EPOCH_CAP if outcome == ITERATE else 0, sender=tpp_executor)
    assert programme.next_transition() == (STOPPED, end)
    warp_to(end)
    assert programme.advance() == STOPPED
    assert transitions(programme) == [(1, EVALUATING, STOPPED, "last epoch ended")]
    assert budget.epoch_count() == 1


# --- admission at CONTINUE: out of the room the programme holds ----------------------------


@pytest.mark.parametrize(
    "squeeze",
    [
        lambda budget, gap: budget.set_inflation_threshold(0, sender=gap),
        lambda budget, gap: budget.set_allocation(0, sender=gap),
        lambda budget, gap: budget.set_max_share(1, sender=gap),
    ],
    ids=["threshold", "allocation", "share"],
)
def test_a_full_budget_at_the_boundary_cannot_stop_a_continuation(stream_programme, epoch1, budget, gap_executor, squeeze):
    """Defect: a Budget with no room at the boundary used to STOP the programme for good (and
    then, in a first fix, made it wait for whichever advance() came first once a GAP made room).
    Now the room for every later epoch is held when the programme is created, so a GAP that
    squeezes the Budget afterwards binds new programmes, not this continuation."""
    programme, stream = stream_programme()
    start, end = epoch1
    rate, reserve, held_from = budget.hold_of(programme.address)
    assert (rate, reserve, held_from) == (-(-EPOCH_CAP // CYCLE), 2 * EPOCH_CAP, end)
    warp_to(end - WINDOW)
    programme.advance()
    squeeze(budget, gap_executor)
    warp_to(end)
    assert programme.advance() == RUNNING
    assert transitions(programme) == [(2, EVALUATING, RUNNING, "default: continue")]
    assert events(programme, "AdmissionDeferred") == []
    assert (programme.epoch(), programme.epoch_start(), programme.epoch_end()) == (2, end, end + CYCLE)
    assert budget.schedule_of(programme.minter()) == (EPOCH_CAP, end, end + CYCLE)
    assert budget.hold_of(programme.address) == (rate, EPOCH_CAP, end + CYCLE)


def test_the_last_epoch_gives_the_held_room_back(stream_programme, epoch1, budget):
    """Opening the last epoch lowers the hold to nothing: no epoch follows it."""
    programme, _ = stream_programme(max_epochs=2)
    start, end = epoch1
    committed = budget.committed()
    first_minter = programme.minter()
    warp_to(end)
    assert programme.advance() == RUNNING
    assert budget.hold_of(programme.address) == (0, 0, end + CYCLE)
    # The reserve became the second epoch's cap; only the first epoch's unminted rounding came back.
    assert budget.committed() == committed - (EPOCH_CAP - budget.minted_by(first_minter))
    assert budget.max_rate(end + CYCLE, end + 10 * CYCLE) == 0


def test_resume_vote_with_a_full_budget_resumes(stream_programme, epoch1, budget, gap_executor, tpp_executor):
    """A paused programme keeps its held room: a full Budget does not block the vote that resumes it."""
    programme, _ = stream_programme()
    start, end = epoch1
    warp_to(end - WINDOW)
    programme.decide(PAUSE, 0, sender=tpp_executor)
    warp_to(end)
    programme.advance()
    budget.set_inflation_threshold(0, sender=gap_executor)
    budget.set_allocation(0, sender=gap_executor)
    warp_to(end + 10 * DAY)
    programme.resume(sender=tpp_executor)
    assert (programme.state(), programme.epoch(), programme.epoch_start()) == (RUNNING, 2, end + 10 * DAY)
    assert budget.schedule_of(programme.minter())[0] == EPOCH_CAP * (CYCLE - 10 * DAY) // CYCLE


def test_iterate_up_needs_room_in_the_vote_that_decides_it(stream_programme, epoch1, budget, gap_executor, tpp_executor):
    """A higher ITERATE cap is more than was held: the Budget checks the extra when the vote is
    executed (so it is ordered by governance, not by keepers) and refuses it with its rule."""
    programme, _ = stream_programme()
    start, end = epoch1
    rate, reserve, _ = budget.hold_of(programme.address)
    warp_to(end - WINDOW)
    budget.set_allocation(budget.committed(), sender=gap_executor)
    with boa.reverts("budget: allocation exceeded"):
        programme.decide(ITERATE, EPOCH_CAP * 11 // 10, sender=tpp_executor)
    budget.set_allocation(budget.committed() * 2, sender=gap_executor)
    budget.set_inflation_threshold(budget.max_rate(end, end + CYCLE), sender=gap_executor)
    with boa.reverts("budget: rate above threshold"):
        programme.decide(ITERATE, EPOCH_CAP * 11 // 10, sender=tpp_executor)
    assert programme.pending_outcome() == 0
    budget.set_inflation_threshold(10**30, sender=gap_executor)
    programme.decide(ITERATE, EPOCH_CAP * 11 // 10, sender=tpp_executor)
    assert budget.hold_of(programme.address)[:2] == (-(-(EPOCH_CAP * 11 // 10) // CYCLE), 2 * (EPOCH_CAP * 11 // 10))
    # A lower cap needs nothing more: the hold is lowered when the epoch opens.
    programme.decide(ITERATE, EPOCH_CAP * 9 // 10, sender=tpp_executor)
    warp_to(end)
    assert programme.advance() == RUNNING
    assert budget.schedule_of(programme.minter())[0] == EPOCH_CAP * 9 // 10
    assert budget.hold_of(programme.address)[:2] == (-(-(EPOCH_CAP * 9 // 10) // CYCLE), EPOCH_CAP * 9 // 10)
    assert rate > 0 and reserve == 2 * EPOCH_CAP


def test_a_stop_decision_gives_the_room_back_and_a_later_continue_asks_again(
    stream_programme, epoch1, budget, gap_executor, tpp_executor
):
    programme, _ = stream_programme()
    start, end = epoch1
    committed = budget.committed()
    warp_to(end - WINDOW)
    programme.decide(STOP, 0, sender=tpp_executor)
    assert budget.hold_of(programme.address)[:2] == (0, 0)
    assert budget.committed() == committed - 2 * EPOCH_CAP
    assert budget.max_rate(end, end + CYCLE) == 0
    budget.set_allocation(budget.committed(), sender=gap_executor)
    with boa.reverts("budget: allocation exceeded"):
        programme.decide(CONTINUE, 0, sender=tpp_executor)
    budget.set_allocation(committed, sender=gap_executor)
    programme.decide(CONTINUE, 0, sender=tpp_executor)
    assert budget.committed() == committed
    warp_to(end)
    assert programme.advance() == RUNNING


@pytest.mark.parametrize("how", ["default stop", "kill"])
def test_the_end_of_a_programme_gives_the_held_room_back(stream_programme, epoch1, budget, tpp_executor, how):
    programme, _ = stream_programme(default_outcome="STOP" if how == "default stop" else "CONTINUE")
    start, end = epoch1
    warp_to(start + DAY)
    if how == "kill":
        programme.kill(sender=tpp_executor)
    else:
        warp_to(end)
        assert programme.advance() == STOPPED
    assert budget.hold_of(programme.address)[:2] == (0, 0)
    assert budget.max_rate(end, end + 10 * CYCLE) == 0
    assert budget.reserve_of(programme.address) == 0


def test_admission_refused_for_good_stops_with_the_budget_reason(stream_programme, epoch1, budget, tpp_executor):
    """A refusal that no GAP can lift by making room (the TPP executor took back the
    programme's right to admit epochs) stops the programme with the Budget's reason."""
    programme, stream = stream_programme()
    start, end = epoch1
    budget.revokeRole(ADMITTER_ROLE, programme.address, sender=tpp_executor)
    warp_to(end)
    assert programme.advance() == STOPPED
    assert transitions(programme)[-1] == (1, EVALUATING, STOPPED, "access_control: account is missing role")
    assert budget.epoch_count() == 1


# --- Budget paused at epoch end ------------------------------------------------------------


def test_budget_paused_at_epoch_end_makes_the_transition_wait(stream_programme, epoch1, budget, guardian):
    programme, stream = stream_programme()
    start, end = epoch1
    warp_to(end - WINDOW)
    programme.advance()
    budget.pause(sender=guardian)
    warp_to(end + 2 * DAY)
    before = snapshot(programme, stream, budget)
    assert programme.advance() == EVALUATING
    assert transitions(programme) == []
    assert snapshot(programme, stream, budget) == before
    budget.unpause(sender=guardian)
    assert programme.advance() == RUNNING
    assert transitions(programme) == [(2, EVALUATING, RUNNING, "default: continue")]
    # Opened late: starts now, ends on the same boundary, cap prorated.
    assert (programme.epoch(), programme.epoch_start(), programme.epoch_end()) == (2, end + 2 * DAY, end + CYCLE)
    assert budget.schedule_of(programme.minter()) == (EPOCH_CAP * (CYCLE - 2 * DAY) // CYCLE, end + 2 * DAY, end + CYCLE)


def test_budget_paused_at_epoch_end_keeps_the_decision(stream_programme, epoch1, budget, guardian, tpp_executor):
    """A transition waiting on a paused Budget keeps the decision: after unpause the decided
    outcome applies, not the default (it once cleared the decision before waiting)."""
    programme, _ = stream_programme(default_outcome="STOP")
    start, end = epoch1
    warp_to(end - WINDOW)
    programme.decide(CONTINUE, 0, sender=tpp_executor)
    budget.pause(sender=guardian)
    warp_to(end)
    programme.advance()
    assert programme.pending_outcome() == CONTINUE
    budget.unpause(sender=guardian)
    assert programme.advance() == RUNNING
    assert transitions(programme) == [(2, EVALUATING, RUNNING, "decided: continue")]


def test_no_decision_after_epoch_end_while_budget_paused(stream_programme, epoch1, budget, guardian, tpp_executor):
    """While the Budget is paused the state stays EVALUATING past the epoch end, but the window
    is over: decide() also checks the clock."""
    programme, _ = stream_programme()
    start, end = epoch1
    warp_to(end - WINDOW)
    programme.advance()
    budget.pause(sender=guardian)
    warp_to(end + DAY)
    with boa.reverts("programme: not in evaluation window"):
        programme.decide(STOP, 0, sender=tpp_executor)


# --- PAUSE ---------------------------------------------------------------------------------


def _pause_at_end(programme, tpp_executor, end):
    warp_to(end - WINDOW)
    programme.decide(PAUSE, 0, sender=tpp_executor)
    assert programme.next_transition() == (PAUSED, end)
    warp_to(end)
    assert programme.advance() == PAUSED
    assert transitions(programme) == [(1, EVALUATING, PAUSED, "decided: pause")]
    assert programme.paused_at() == end


def test_pause_then_resume_by_vote(stream_programme, epoch1, tpp_executor, stranger, budget, minter_at, safe, token):
    programme, stream = stream_programme()
    start, end = epoch1
    old_minter = programme.minter()
    _pause_at_end(programme, tpp_executor, end)
    assert programme.next_transition() == (0, 0)  # no oracle, no max pause: waits for a vote
    warp_to(end + 5 * DAY)
    assert programme.advance() == PAUSED
    with boa.reverts("programme: caller is not the executor"):
        programme.resume(sender=stranger)
    programme.resume(sender=tpp_executor)
    assert transitions(programme) == [(2, PAUSED, RUNNING, "resumed by vote")]
    cap = EPOCH_CAP * (CYCLE - 5 * DAY) // CYCLE
    _assert_next_epoch(programme, stream, budget, minter_at, old_minter, 2, cap, end + 5 * DAY, end + CYCLE)
    # The old epoch was paid out in full when the new one opened.
    assert token.balanceOf(safe) == streamed(EPOCH_CAP, start, end, end - start)
    with boa.reverts("programme: not paused"):
        programme.resume(sender=tpp_executor)


def test_resume_when_not_paused_reverts(in_window, tpp_executor):
    programme, _ = in_window
    with boa.reverts("programme: not paused"):
        programme.resume(sender=tpp_executor)


def test_resume_while_budget_paused_reverts(stream_programme, epoch1, tpp_executor, budget, guardian):
    programme, _ = stream_programme()
    start, end = epoch1
    _pause_at_end(programme, tpp_executor, end)
    budget.pause(sender=guardian)
    with boa.reverts("programme: budget paused"):
        programme.resume(sender=tpp_executor)


def test_resume_in_the_last_epoch_stops(stream_programme, epoch1, tpp_executor):
    programme, _ = stream_programme(max_epochs=1)
    start, end = epoch1
    _pause_at_end(programme, tpp_executor, end)
    programme.resume(sender=tpp_executor)
    assert transitions(programme) == [(1, PAUSED, STOPPED, "last epoch ended")]
    assert programme.state() == STOPPED


@pytest.mark.parametrize(
    "comparator, threshold, not_met, met",
    [(">", 100, 100, 101), (">=", 100, 99, 100), ("<", 5, 5, 4), ("<=", 100, 101, 100)],
)
def test_pause_ends_when_the_oracle_condition_holds(
    stream_programme, epoch1, tpp_executor, oracle, budget, comparator, threshold, not_met, met
):
    oracle.set_answer(not_met * FEED_UNIT)
    programme, _ = stream_programme(
        oracle=oracle.address,
        comparator=comparator,
        threshold=threshold * THRESHOLD_UNIT,
        max_pause=60 * DAY,
        oracle_max_age=DAY,
    )
    start, end = epoch1
    _pause_at_end(programme, tpp_executor, end)
    warp_to(end + 3 * DAY)
    assert not programme.pause_condition_met()
    assert programme.advance() == PAUSED
    assert transitions(programme) == []
    oracle.set_answer(met * FEED_UNIT)
    assert programme.pause_condition_met()
    assert programme.advance() == RUNNING
    assert transitions(programme) == [(2, PAUSED, RUNNING, "pause condition met")]
    assert (programme.epoch(), programme.epoch_start(), programme.epoch_end()) == (2, end + 3 * DAY, end + CYCLE)
    assert programme.epoch_cap() == EPOCH_CAP
    assert budget.schedule_of(programme.minter())[0] == EPOCH_CAP * (CYCLE - 3 * DAY) // CYCLE


def test_oracle_without_code_never_ends_a_pause(stream_programme, epoch1, tpp_executor, stranger):
    programme, _ = stream_programme(oracle=stranger, comparator="<=", threshold=10**30 * THRESHOLD_UNIT, oracle_max_age=DAY)
    start, end = epoch1
    _pause_at_end(programme, tpp_executor, end)
    warp_to(end + 200 * DAY)
    assert not programme.pause_condition_met()
    assert programme.advance() == PAUSED


def test_comparator_without_an_oracle_reads_zero(stream_programme):
    """A comparator given without an oracle means nothing: it is not stored, and `comparator()`
    says 0 as documented (it used to echo the spec's value)."""
    programme, _ = stream_programme(comparator=">=")
    assert programme.oracle() == ZERO and programme.comparator() == 0


def test_pause_expires_after_max_pause(stream_programme, epoch1, tpp_executor):
    programme, _ = stream_programme(max_pause=20 * DAY)
    start, end = epoch1
    _pause_at_end(programme, tpp_executor, end)
    assert programme.next_transition() == (STOPPED, end + 20 * DAY)
    warp_to(end + 20 * DAY - 1)
    assert programme.advance() == PAUSED
    warp_to(end + 20 * DAY)
    assert programme.advance() == STOPPED
    assert transitions(programme) == [(1, PAUSED, STOPPED, "pause expired")]
    with boa.reverts("programme: not paused"):
        programme.resume(sender=tpp_executor)


# --- KILL ----------------------------------------------------------------------------------


KILL_POINTS = {
    "scheduled": lambda start, end: start - DAY,
    "running": lambda start, end: start + 10 * DAY,
    "evaluating": lambda start, end: end - DAY,
    "paused": None,
}


def assert_ended(programme, tpp_executor, guardian, steward):
    """A final programme refuses kill, decisions, halts and dial moves."""
    with boa.reverts("programme: ended"):
        programme.kill(sender=tpp_executor)
    with boa.reverts("programme: ended"):
        programme.decide(KILL, 0, sender=tpp_executor)
    with boa.reverts("programme: not in evaluation window"):
        programme.decide(CONTINUE, 0, sender=tpp_executor)
    with boa.reverts("programme: ended"):
        programme.halt(sender=guardian)
    with boa.reverts("programme: ended"):
        programme.move_dial(THROTTLE_ID, 9_000, "too late", sender=steward)


@pytest.mark.parametrize("how", ["kill", "decide"])
@pytest.mark.parametrize("where", list(KILL_POINTS))
def test_kill_at_any_time_is_immediate_and_final(
    stream_programme, epoch1, tpp_executor, minter_at, safe, token, guardian, steward, budget, how, where
):
    programme, stream = stream_programme()
    start, end = epoch1
    if where == "paused":
        _pause_at_end(programme, tpp_executor, end)
        warp_to(end + DAY)
    else:
        warp_to(KILL_POINTS[where](start, end))
        programme.advance()
    old_state = programme.state()
    paid_until = min(max(now(), start), end)
    if how == "kill":
        programme.kill(sender=tpp_executor)
    else:
        programme.decide(KILL, 0, sender=tpp_executor)
    assert transitions(programme) == [(1, old_state, KILLED, "killed")]
    assert programme.state() == KILLED
    minter = minter_at(programme.minter())
    assert minter.closed()
    assert stream.halted()
    # The kill settled what had streamed so far; nothing more is paid afterwards.
    assert token.balanceOf(safe) == streamed(EPOCH_CAP, start, end, paid_until - start)
    warp_to(end + 2 * CYCLE)
    assert programme.advance() == KILLED
    assert transitions(programme) == []
    assert stream.claimable() == 0
    assert programme.next_transition() == (0, 0)
    assert_ended(programme, tpp_executor, guardian, steward)
    with boa.reverts("programme: not paused"):
        programme.resume(sender=tpp_executor)
    assert budget.epoch_count() == 1


def test_kill_only_by_the_executor(stream_programme, stranger, guardian, steward):
    programme, _ = stream_programme()
    for caller in (stranger, guardian, steward):
        with boa.reverts("programme: caller is not the executor"):
            programme.kill(sender=caller)


def test_stopped_is_final(stream_programme, epoch1, tpp_executor, guardian, steward, budget):
    programme, stream = stream_programme(default_outcome="STOP")
    start, end = epoch1
    warp_to(end)
    assert programme.advance() == STOPPED
    before = snapshot(programme, stream, budget)
    warp_to(end + 3 * CYCLE)
    assert programme.advance() == STOPPED
    assert transitions(programme) == []
    assert snapshot(programme, stream, budget) == before
    assert_ended(programme, tpp_executor, guardian, steward)
    with boa.reverts("programme: ended"):
        programme.unhalt(sender=guardian)


# --- advance() is idempotent ---------------------------------------------------------------


IDEMPOTENCE_POINTS = {
    "before start": lambda s, e: s - DAY,
    "at start": lambda s, e: s,
    "running": lambda s, e: s + 10 * DAY,
    "window opens": lambda s, e: e - WINDOW,
    "at end": lambda s, e: e,
    "late keeper": lambda s, e: e + 20 * DAY,
    "very late keeper": lambda s, e: e + CYCLE + 3 * DAY,
}


@pytest.mark.parametrize("when", list(IDEMPOTENCE_POINTS))
def test_advance_twice_changes_nothing_the_second_time(stream_programme, epoch1, budget, when):
    programme, stream = stream_programme()
    start, end = epoch1
    target = IDEMPOTENCE_POINTS[when](start, end)
    if target > end:
        warp_to(end)
        stream.claim()  # within the old minter's claim grace (see the late-keeper bug test)
    warp_to(target)
    programme.advance()
    first = snapshot(programme, stream, budget)
    programme.advance()
    assert transitions(programme) == []
    assert snapshot(programme, stream, budget) == first


@pytest.mark.parametrize("outcome", [STOP, PAUSE, ITERATE])
def test_advance_twice_after_a_decision(stream_programme, epoch1, budget, tpp_executor, outcome):
    programme, stream = stream_programme(max_pause=30 * DAY)
    start, end = epoch1
    warp_to(end - WINDOW)
    programme.decide(outcome, EPOCH_CAP * 11 // 10 if outcome == ITERATE else 0, sender=tpp_executor)
    warp_to(end + DAY)
    programme.advance()
    first = snapshot(programme, stream, budget)
    programme.advance()
    assert transitions(programme) == []
    assert snapshot(programme, stream, budget) == first


# --- late keeper ---------------------------------------------------------------------------


def test_late_keeper_opens_a_prorated_epoch_on_the_same_boundary(stream_programme, epoch1, budget, minter_at, safe, token):
    programme, stream = stream_programme()
    start, end = epoch1
    old_minter = programme.minter()
    late = end + 10 * DAY
    warp_to(late)
    assert programme.advance() == RUNNING
    assert transitions(programme) == [
        (1, SCHEDULED, RUNNING, "epoch started"),
        (1, RUNNING, EVALUATING, "evaluation window opened"),
        (2, EVALUATING, RUNNING, "default: continue"),
    ]
    cap = EPOCH_CAP * (CYCLE - 10 * DAY) // CYCLE
    _assert_next_epoch(programme, stream, budget, minter_at, old_minter, 2, cap, late, end + CYCLE)
    assert programme.epoch_cap() == EPOCH_CAP  # the configured cap is unchanged; only this epoch is prorated
    assert token.balanceOf(safe) == streamed(EPOCH_CAP, start, end, end - start)


def test_keeper_late_into_the_next_window_opens_an_epoch_to_the_boundary_after(stream_programme, epoch1):
    """Late into the next window, less than a window is left before the next boundary: the
    epoch runs on to the boundary after (it used to open straight into its window, ending on
    the near boundary)."""
    programme, stream = stream_programme()
    start, end = epoch1
    warp_to(end)
    stream.claim()  # within the old minter's claim grace (see the late-keeper bug test)
    late = end + CYCLE - WINDOW + DAY
    warp_to(late)
    assert programme.advance() == RUNNING
    assert [t[2:] for t in transitions(programme)][-1:] == [(RUNNING, "default: continue")]
    assert (programme.epoch(), programme.epoch_start(), programme.epoch_end()) == (2, late, end + 2 * CYCLE)


# --- too-short epochs ------------------------------------------------------------------------
# An epoch that would be shorter than its evaluation window runs to the following boundary
# (Programme._aligned_end): a late advance() one second before a boundary used to open a
# one-second epoch with a dust cap, using up one of max_epochs and a decision window.


@pytest.mark.parametrize("left", [1, DAY, WINDOW - 1])
def test_late_advance_shortly_before_a_boundary_runs_to_the_next_one(stream_programme, epoch1, budget, minter_at, left):
    programme, stream = stream_programme()
    start, end = epoch1
    old_minter = programme.minter()
    late = end + CYCLE - left
    warp_to(late)
    assert programme.advance() == RUNNING
    assert transitions(programme)[-1] == (2, EVALUATING, RUNNING, "default: continue")
    cap = EPOCH_CAP * (left + CYCLE) // CYCLE  # prorated over its length: the configured rate
    _assert_next_epoch(programme, stream, budget, minter_at, old_minter, 2, cap, late, end + 2 * CYCLE)
    assert stream.rate() == cap * RATE_SCALE // (left + CYCLE)
    assert programme.epoch_cap() == EPOCH_CAP
    assert programme.next_transition() == (EVALUATING, end + 2 * CYCLE - WINDOW)


def test_an_epoch_exactly_one_window_long_is_not_stretched(stream_programme, epoch1, budget, minter_at):
    programme, stream = stream_programme()
    start, end = epoch1
    old_minter = programme.minter()
    late = end + CYCLE - WINDOW
    warp_to(late)
    assert programme.advance() == EVALUATING
    _assert_next_epoch(programme, stream, budget, minter_at, old_minter, 2, EPOCH_CAP * WINDOW // CYCLE, late, end + CYCLE)


def test_resume_shortly_before_a_boundary_runs_to_the_next_one(stream_programme, epoch1, tpp_executor, budget, minter_at):
    programme, stream = stream_programme()
    start, end = epoch1
    old_minter = programme.minter()
    _pause_at_end(programme, tpp_executor, end)
    late = end + CYCLE - 1
    warp_to(late)
    programme.resume(sender=tpp_executor)
    assert transitions(programme) == [(2, PAUSED, RUNNING, "resumed by vote")]
    cap = EPOCH_CAP * (CYCLE + 1) // CYCLE
    _assert_next_epoch(programme, stream, budget, minter_at, old_minter, 2, cap, late, end + 2 * CYCLE)


def test_a_stretched_epoch_uses_one_epoch_and_one_decision(stream_programme, epoch1, tpp_executor):
    """The remainder folded into the next cycle costs no extra epoch: with max_epochs = 2 the
    stretched second epoch still runs its whole length, with one window at its end."""
    programme, stream = stream_programme(max_epochs=2)
    start, end = epoch1
    warp_to(end + CYCLE - 1)
    assert programme.advance() == RUNNING
    assert programme.next_transition() == (EVALUATING, end + 2 * CYCLE - WINDOW)
    warp_to(end + 2 * CYCLE - WINDOW)
    assert programme.advance() == EVALUATING
    programme.decide(STOP, 0, sender=tpp_executor)
    warp_to(end + 2 * CYCLE)
    assert programme.advance() == STOPPED
    assert programme.epoch() == 2


def test_keeper_months_late_still_advances_and_pays_everything(stream_programme, epoch1, safe, token):
    """Defect: a keeper later than the old minter's 30-day claim grace forfeited everything
    epoch 1 owed. Epoch minters now mint until their programme closes them: the late switch
    pays the whole epoch, forfeits nothing, and closes the old minter."""
    programme, stream = stream_programme()
    start, end = epoch1
    old_minter = programme.minter()
    warp_to(end + 31 * DAY)
    assert programme.advance() == RUNNING
    assert programme.epoch() == 2
    assert stream.forfeited() == 0
    assert token.balanceOf(safe) == streamed(EPOCH_CAP, start, end, end - start)
    assert EPOCH_CAP - token.balanceOf(safe) <= 1
    assert Chain.current().at("EpochMinter", old_minter).closed()


# --- guardian halt -------------------------------------------------------------------------


def test_halt_and_unhalt_only_by_the_guardian(stream_programme, stranger, tpp_executor, steward):
    programme, _ = stream_programme()
    for caller in (stranger, tpp_executor, steward):
        with boa.reverts("programme: caller is not the guardian"):
            programme.halt(sender=caller)
        with boa.reverts("programme: caller is not the guardian"):
            programme.unhalt(sender=caller)


def test_halt_stops_accrual_and_pauses_the_minter(stream_programme, epoch1, guardian, minter_at, safe, token, stranger):
    programme, stream = stream_programme()
    start, end = epoch1
    minter = minter_at(programme.minter())
    warp_to(start + 10 * DAY)
    programme.halt(sender=guardian)
    (halt,) = events(programme, "GuardianHalt")
    assert (halt.epoch, halt.guardian, halt.halted) == (1, guardian, True)
    assert programme.halted() and stream.halted() and minter.paused()
    with boa.reverts("programme: already halted"):
        programme.halt(sender=guardian)
    accrued = streamed(EPOCH_CAP, start, end, 10 * DAY)
    warp_to(start + 30 * DAY)
    assert stream.claimable() == accrued  # nothing accrued over the halted stretch
    programme.unhalt(sender=guardian)
    (unhalt,) = events(programme, "GuardianHalt")
    assert unhalt.halted is False
    assert not programme.halted() and not stream.halted() and not minter.paused()
    with boa.reverts("programme: not halted"):
        programme.unhalt(sender=guardian)
    warp_to(start + 40 * DAY)
    stream.claim(sender=stranger)
    assert token.balanceOf(safe) == accrued + streamed(EPOCH_CAP, start, end, 10 * DAY)


def test_halt_carries_into_the_next_epoch(stream_programme, epoch1, guardian, minter_at, stranger, safe, token):
    programme, stream = stream_programme()
    start, end = epoch1
    warp_to(end - DAY)
    stream.claim(sender=stranger)
    programme.halt(sender=guardian)
    warp_to(end + DAY)
    assert programme.advance() == RUNNING
    assert programme.epoch() == 2
    assert programme.halted() and stream.halted()
    new_minter = minter_at(programme.minter())
    assert new_minter.paused()
    warp_to(end + 10 * DAY)
    assert stream.claimable() == 0
    programme.unhalt(sender=guardian)
    assert not new_minter.paused() and not stream.halted()
    paid = token.balanceOf(safe)
    warp_to(end + 20 * DAY)
    stream.claim(sender=stranger)
    cap = EPOCH_CAP * (CYCLE - DAY) // CYCLE
    assert token.balanceOf(safe) - paid == streamed(cap, end + DAY, end + CYCLE, 10 * DAY)


def test_halt_with_unclaimed_accrual_does_not_block_the_epoch_end(stream_programme, epoch1, guardian):
    """A guardian halt does not block the epoch end: the programme lets the old minter settle
    what accrued before the halt, closes it, and the halt carries into the new epoch."""
    programme, stream = stream_programme()
    start, end = epoch1
    old_minter = programme.minter()
    warp_to(start + 10 * DAY)
    programme.halt(sender=guardian)
    warp_to(end)
    assert programme.advance() == RUNNING
    assert programme.epoch() == 2 and programme.halted()
    # The ten days before the halt were paid to the recipient at the switch; none after.
    assert stream.total_minted() == streamed(EPOCH_CAP, start, end, 10 * DAY)
    assert stream.forfeited() == 0
    old = Chain.current().at("EpochMinter", old_minter)
    assert old.closed() and not old.paused()
    assert Chain.current().at("EpochMinter", programme.minter()).paused()


# --- dials ---------------------------------------------------------------------------------


def test_move_dial_only_by_the_steward(stream_programme, stranger, guardian, tpp_executor):
    programme, _ = stream_programme()
    for caller in (stranger, guardian, tpp_executor):
        with boa.reverts("programme: caller is not the steward"):
            programme.move_dial(THROTTLE_ID, 9_000, "no", sender=caller)


def test_move_dial_logs_and_reaches_the_mechanism(stream_programme, steward):
    programme, stream = stream_programme()
    assert programme.dial(THROTTLE_ID) == (10_000, 5_000, 10_000, 1_000, 7 * DAY, 0)
    programme.move_dial(THROTTLE_ID, 9_000, "emission ahead of KPI", sender=steward)
    (moved,) = events(programme, "DialMoved")
    assert (moved.name, moved.old_value, moved.new_value, moved.steward, moved.reason) == (
        THROTTLE_ID,
        10_000,
        9_000,
        steward,
        "emission ahead of KPI",
    )
    assert programme.dial(THROTTLE_ID) == (9_000, 5_000, 10_000, 1_000, 7 * DAY, now())
    assert stream.throttle_bps() == 9_000


@pytest.mark.parametrize("value", [4_999, 10_001, 0, 2**32])
def test_move_dial_outside_bounds_reverts(stream_programme, steward, value):
    programme, _ = stream_programme(dials=(DialSpec(THROTTLE, 6_000, 5_000, 10_000, 10_000, 0),))
    with boa.reverts("programme: dial outside bounds"):
        programme.move_dial(THROTTLE_ID, value, "", sender=steward)


def test_move_dial_step_too_large_reverts(stream_programme, steward):
    programme, _ = stream_programme()
    with boa.reverts("programme: dial step too large"):
        programme.move_dial(THROTTLE_ID, 8_999, "", sender=steward)
    programme.move_dial(THROTTLE_ID, 9_000, "", sender=steward)


def test_move_dial_cooldown(stream_programme, steward):
    programme, _ = stream_programme()
    programme.move_dial(THROTTLE_ID, 9_000, "first", sender=steward)
    moved_at = now()
    with boa.reverts("programme: dial cooling down"):
        programme.move_dial(THROTTLE_ID, 10_000, "again", sender=steward)
    warp_to(moved_at + 7 * DAY - 1)
    with boa.reverts("programme: dial cooling down"):
        programme.move_dial(THROTTLE_ID, 10_000, "again", sender=steward)
    warp_to(moved_at + 7 * DAY)
    programme.move_dial(THROTTLE_ID, 8_000, "again", sender=steward)
    assert programme.dial(THROTTLE_ID)[0] == 8_000


def test_move_unknown_dial_reverts(stream_programme, steward):
    programme, _ = stream_programme()
    with boa.reverts("programme: unknown dial"):
        programme.move_dial(dial_id("boost_bps"), 1, "", sender=steward)


def test_throttle_scales_emission(stream_programme, epoch1, steward, safe, token, stranger):
    programme, stream = stream_programme(dials=(DialSpec(THROTTLE, 10_000, 0, 10_000, 10_000, 0),))
    start, end = epoch1
    warp_to(start + 10 * DAY)
    stream.claim(sender=stranger)
    full = token.balanceOf(safe)
    assert full == streamed(EPOCH_CAP, start, end, 10 * DAY)
    programme.move_dial(THROTTLE_ID, 2_500, "quarter speed", sender=steward)
    warp_to(start + 20 * DAY)
    stream.claim(sender=stranger)
    quarter = token.balanceOf(safe) - full
    assert quarter == streamed(EPOCH_CAP, start, end, 10 * DAY, throttle_bps=2_500)
    assert abs(4 * quarter - full) <= 4
    programme.move_dial(THROTTLE_ID, 0, "off", sender=steward)
    warp_to(start + 30 * DAY)
    assert stream.claimable() == 0


# --- initialize ----------------------------------------------------------------------------

U32 = 2**32 - 1
INVALID_SPECS = [
    ("zero cap", lambda c: dict(epoch_cap=0), "programme: zero cap"),
    ("cap above uint112", lambda c: dict(epoch_cap=2**112), "programme: cap above uint112"),
    ("start in the past", lambda c: dict(first_start=c["now"] - 1), "programme: start in the past"),
    ("start at end", lambda c: dict(first_start=c["end"]), "programme: start not before end"),
    ("end off cycle", lambda c: dict(first_end=c["end"] + 1), "programme: epoch end off cycle"),
    ("end before boundary", lambda c: dict(first_end=c["end"] - DAY), "programme: epoch end off cycle"),
    ("zero duration", lambda c: dict(epoch_duration=0), "programme: bad epoch duration"),
    ("zero window", lambda c: dict(window_length=0), "programme: zero window"),
    ("window longer than epoch", lambda c: dict(epoch_duration=10 * DAY), "programme: window longer than epoch"),
    (
        "window outside shared window",
        lambda c: dict(window_length=c["budget_window"] + 1),
        "programme: window outside shared window",
    ),
    ("default iterate", lambda c: dict(default_outcome="ITERATE"), "programme: default must be stop or continue"),
    ("default pause", lambda c: dict(default_outcome="PAUSE"), "programme: default must be stop or continue"),
    ("default kill", lambda c: dict(default_outcome="KILL"), "programme: default must be stop or continue"),
    ("default none", lambda c: dict(default_outcome="NONE"), "programme: default must be stop or continue"),
    ("zero max epochs", lambda c: dict(max_epochs=0), "programme: bad max epochs"),
    ("max epochs above uint16", lambda c: dict(max_epochs=2**16), "programme: bad max epochs"),
    ("iterate bound above 100%", lambda c: dict(iterate_cap_bps=10_001), "programme: iterate bound above 100%"),
    ("zero guardian", lambda c: dict(guardian=ZERO), "programme: zero guardian"),
    ("oracle without comparator", lambda c: dict(oracle=c["stranger"], oracle_max_age=DAY), "programme: bad comparator"),
    ("oracle without max age", lambda c: dict(oracle=c["stranger"], comparator=">="), "programme: bad oracle max age"),
    (
        "oracle max age beyond uint48",
        lambda c: dict(oracle=c["stranger"], comparator=">=", oracle_max_age=2**48),
        "programme: bad oracle max age",
    ),
    ("max pause beyond uint48", lambda c: dict(max_pause=2**48), "programme: time beyond uint48"),
    (
        "dial below bounds",
        lambda c: dict(dials=(DialSpec(THROTTLE, 4_000, 5_000, 10_000, 1, 0),)),
        "programme: dial outside bounds",
    ),
    ("dial above uint32", lambda c: dict(dials=(DialSpec(THROTTLE, 10_000, 0, U32 + 1, 1, 0),)), "programme: dial above uint32"),
    (
        "dial step above upper",
        lambda c: dict(dials=(DialSpec(THROTTLE, 10_000, 0, 10_000, 10_001, 0),)),
        "programme: dial above uint32",
    ),
    (
        "duplicate dial",
        lambda c: dict(dials=(DialSpec(THROTTLE, 10_000, 0, 10_000, 1, 0), DialSpec(THROTTLE, 9_000, 0, 10_000, 1, 0))),
        "programme: duplicate dial",
    ),
    ("dials without steward", lambda c: dict(steward=ZERO), "programme: dials need a steward"),
    ("dial the mechanism lacks", lambda c: dict(dials=(DialSpec("boost_bps", 1, 0, 2, 1, 0),)), "mechanism: unknown dial"),
    ("cap above the Budget share", lambda c: dict(epoch_cap=c["share"] + 1), "budget: share above limit"),
    ("zero recipient", lambda c: dict(target=ZERO), "stream: zero recipient"),
]


@pytest.mark.parametrize("case, overrides, reason", INVALID_SPECS, ids=[case for case, _, _ in INVALID_SPECS])
def test_initialize_rejects_nonsense(factory, make_spec, safe, epoch1, budget, stranger, tpp_executor, case, overrides, reason):
    start, end = epoch1
    context = dict(
        now=now(),
        start=start,
        end=end,
        budget_window=budget.window_length(),
        stranger=stranger,
        share=budget.allocation() * budget.max_share_bps() // 10_000,
    )
    fields = overrides(context)
    spec = make_spec("stream", fields.pop("target", safe), **fields)
    assert revert_reason(factory.create_programmes, [spec.as_tuple()], sender=tpp_executor) == reason
    assert factory.programme_count() == 0
    assert budget.epoch_count() == 0


def test_initialize_without_dials_needs_no_steward(factory, make_spec, safe, budget, tpp_executor):
    spec = make_spec("stream", safe, window_length=budget.window_length(), dials=(), steward=ZERO)
    factory.create_programmes([spec.as_tuple()], sender=tpp_executor)
    assert factory.programme_count() == 1


def test_a_clone_cannot_be_initialised_twice(stream_programme, make_spec, safe, stranger, tpp_executor, layer):
    programme, stream = stream_programme()
    spec = make_spec("stream", safe).as_tuple()
    for caller in (stranger, tpp_executor):
        with boa.reverts("programme: already initialized"):
            programme.initialize(spec, stream.address, sender=caller)
    with boa.reverts("programme: already initialized"):
        layer.programme_implementation.initialize(spec, stream.address, sender=stranger)


# --- next_transition -----------------------------------------------------------------------


def test_next_transition_walks_the_lifecycle(stream_programme, epoch1, tpp_executor):
    programme, _ = stream_programme(max_pause=10 * DAY, max_epochs=2)
    start, end = epoch1
    assert programme.next_transition() == (RUNNING, start)
    warp_to(start)
    programme.advance()
    assert programme.next_transition() == (EVALUATING, end - WINDOW)
    warp_to(end - WINDOW)
    programme.advance()
    assert programme.next_transition() == (RUNNING, end)  # default CONTINUE
    programme.decide(STOP, 0, sender=tpp_executor)
    assert programme.next_transition() == (STOPPED, end)
    programme.decide(PAUSE, 0, sender=tpp_executor)
    assert programme.next_transition() == (PAUSED, end)
    programme.decide(ITERATE, EPOCH_CAP, sender=tpp_executor)
    assert programme.next_transition() == (RUNNING, end)
    programme.decide(PAUSE, 0, sender=tpp_executor)
    warp_to(end + DAY)
    programme.advance()
    assert programme.next_transition() == (STOPPED, end + DAY + 10 * DAY)
    programme.resume(sender=tpp_executor)
    assert programme.next_transition() == (EVALUATING, end + CYCLE - WINDOW)
    warp_to(end + CYCLE - WINDOW)
    programme.advance()
    assert programme.next_transition() == (STOPPED, end + CYCLE)  # the last epoch
    warp_to(end + CYCLE)
    programme.advance()
    assert programme.next_transition() == (0, 0)


def test_a_programme_that_stops_by_default_holds_room_only_once_a_vote_continues_it(
    stream_programme, epoch1, budget, gap_executor, tpp_executor
):
    """Holding room for a programme expected to stop would keep it from newcomers until some
    keeper applied the stop; so the vote that continues it takes the room, checked then."""
    programme, _ = stream_programme(default_outcome="STOP")
    start, end = epoch1
    assert budget.hold_of(programme.address) == (0, 0, end)
    warp_to(end - WINDOW)
    committed = budget.committed()
    budget.set_allocation(committed, sender=gap_executor)
    with boa.reverts("budget: allocation exceeded"):
        programme.decide(CONTINUE, 0, sender=tpp_executor)
    budget.set_allocation(committed + EPOCH_CAP, sender=gap_executor)
    programme.decide(CONTINUE, 0, sender=tpp_executor)
    # One more epoch: after it, the programme stops by default again.
    assert budget.hold_of(programme.address)[:2] == (-(-EPOCH_CAP // CYCLE), EPOCH_CAP)
    budget.set_allocation(0, sender=gap_executor)
    warp_to(end)
    assert programme.advance() == RUNNING
    # The next epoch stops by default again: nothing is held after it until another vote.
    assert budget.hold_of(programme.address)[:2] == (0, 0)
    assert budget.committed() <= committed + EPOCH_CAP
