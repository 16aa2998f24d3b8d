"""Budget: every global parameter bounded on chain, and the delegate-load limit enforced.

Bounds (the Python spec checker mirrors them; see `_globals_from` in tpp/specs/spec.py):

| parameter           | accepted                    | refused one past it with              |
|---------------------|-----------------------------|---------------------------------------|
| inflation_threshold | 0 .. 2**200 - 1 wei/s       | "budget: threshold too large"         |
| allocation          | 0 .. 2**208 - 1 wei         | "budget: allocation too large"        |
| max_share_bps       | 1 .. 10_000                 | "budget: zero share" / "... above 100%" |
| cycle_genesis       | 0 .. 32_503_680_000 (3000)  | "budget: genesis too late"            |
| cycle_length        | 1 .. 315_576_000 (10 years) | "budget: zero cycle length" / "budget: cycle too long" |
| window_length       | 1 .. cycle_length           | "budget: zero window length" / "budget: window longer than cycle" |
| load_limit          | 1 .. 1_000                  | "budget: zero load limit" / "budget: load limit too large" |

Load rule: an admitted epoch whose end `e` is a decision-cycle boundary is one decision in the
evaluation window that closes at `e`; an admission that would make the epochs ending at `e`
more than `load_limit` reverts "budget: window load above limit".
"""

import boa
import pytest

from tests.fixtures.budget import (
    ALLOCATION,
    CYCLE,
    DAY,
    LOAD_LIMIT,
    MAX_SHARE_BPS,
    THRESHOLD,
    WAD,
    WINDOW,
    now,
)
from tpp.base.vocab import State
from tpp.chain.artifacts import vyper_deployer

MAX_THRESHOLD = 2**200 - 1
MAX_ALLOCATION = 2**208 - 1
MAX_GENESIS = 32_503_680_000  # 3000-01-01T00:00:00Z
MAX_CYCLE = 315_576_000  # ten years of 365.25 days
MAX_LOAD_LIMIT = 1_000
UINT48_MAX = 2**48 - 1


def events(contract, name):
    return [e for e in contract.get_logs() if type(e).__name__ == name]


def constructor_args(token, gap_executor, tpp_executor, guardian, **overrides):
    args = dict(
        inflation_threshold=THRESHOLD,
        allocation=ALLOCATION,
        max_share_bps=MAX_SHARE_BPS,
        cycle_genesis=now(),
        cycle_length=CYCLE,
        window_length=WINDOW,
        load_limit=LOAD_LIMIT,
    )
    args.update(overrides)
    return [token.address, gap_executor, tpp_executor, guardian, *args.values()]


# --- the bounds, at the edge ------------------------------------------------------------

# (setter, arguments at the bound, arguments one past it, reason, views read back at the bound)
EDGES = [
    ("set_inflation_threshold", (MAX_THRESHOLD,), (MAX_THRESHOLD + 1,), "budget: threshold too large"),
    ("set_allocation", (MAX_ALLOCATION,), (MAX_ALLOCATION + 1,), "budget: allocation too large"),
    ("set_max_share", (1,), (0,), "budget: zero share"),
    ("set_max_share", (10_000,), (10_001,), "budget: share above 100%"),
    ("set_decision_cycle", (MAX_GENESIS, CYCLE, WINDOW), (MAX_GENESIS + 1, CYCLE, WINDOW), "budget: genesis too late"),
    ("set_decision_cycle", (0, CYCLE, WINDOW), None, None),
    ("set_decision_cycle", (0, MAX_CYCLE, WINDOW), (0, MAX_CYCLE + 1, WINDOW), "budget: cycle too long"),
    ("set_decision_cycle", (0, 1, 1), (0, 0, 1), "budget: zero cycle length"),
    ("set_decision_cycle", (0, CYCLE, 1), (0, CYCLE, 0), "budget: zero window length"),
    ("set_decision_cycle", (0, CYCLE, CYCLE), (0, CYCLE, CYCLE + 1), "budget: window longer than cycle"),
    ("set_decision_cycle", (0, MAX_CYCLE, MAX_CYCLE), (0, MAX_CYCLE, MAX_CYCLE + 1), "budget: window longer than cycle"),
    ("set_load_limit", (1,), (0,), "budget: zero load limit"),
    ("set_load_limit", (MAX_LOAD_LIMIT,), (MAX_LOAD_LIMIT + 1,), "budget: load limit too large"),
]
VIEWS = {
    "set_inflation_threshold": ("inflation_threshold",),
    "set_allocation": ("allocation",),
    "set_max_share": ("max_share_bps",),
    "set_decision_cycle": ("cycle_genesis", "cycle_length", "window_length"),
    "set_load_limit": ("load_limit",),
}
# Constructor argument index of each setter's first argument.
CONSTRUCTOR_INDEX = {
    "set_inflation_threshold": 4,
    "set_allocation": 5,
    "set_max_share": 6,
    "set_decision_cycle": 7,
    "set_load_limit": 10,
}


def _edge_id(edge):
    setter, at, _, reason = edge
    return f"{setter}-{reason or 'no lower bound'}-{at}"


@pytest.mark.parametrize("setter, at_bound, past_bound, reason", EDGES, ids=[_edge_id(e) for e in EDGES])
def test_setter_accepts_the_bound_and_refuses_one_past_it(budget, gap_executor, setter, at_bound, past_bound, reason):
    getattr(budget, setter)(*at_bound, sender=gap_executor)
    assert tuple(getattr(budget, view)() for view in VIEWS[setter]) == at_bound
    if past_bound is None:
        return
    with boa.reverts(reason):
        getattr(budget, setter)(*past_bound, sender=gap_executor)
    # Nothing changed: the value at the bound stands.
    assert tuple(getattr(budget, view)() for view in VIEWS[setter]) == at_bound


@pytest.mark.parametrize("setter, at_bound, past_bound, reason", EDGES, ids=[_edge_id(e) for e in EDGES])
def test_constructor_accepts_the_bound_and_refuses_one_past_it(
    token, gap_executor, tpp_executor, guardian, setter, at_bound, past_bound, reason
):
    index = CONSTRUCTOR_INDEX[setter]
    args = constructor_args(token, gap_executor, tpp_executor, guardian)
    args[index : index + len(at_bound)] = at_bound
    deployed = vyper_deployer("Budget").deploy(*args)
    assert tuple(getattr(deployed, view)() for view in VIEWS[setter]) == at_bound
    if past_bound is None:
        return
    args[index : index + len(past_bound)] = past_bound
    with boa.reverts(reason):
        vyper_deployer("Budget").deploy(*args)


def test_extreme_cycle_is_refused_so_programmes_keep_uint48_times(budget, gap_executor):
    """The issue's case: a GAP setting cycle_length = 2**48 made every programme's next epoch
    end beyond uint48, so advance(), decide() and the guardian's halt() reverted."""
    genesis = budget.cycle_genesis()
    with boa.reverts("budget: cycle too long"):
        budget.set_decision_cycle(genesis, 2**48, WINDOW, sender=gap_executor)
    with boa.reverts("budget: genesis too late"):
        budget.set_decision_cycle(UINT48_MAX, CYCLE, WINDOW, sender=gap_executor)
    assert (budget.cycle_genesis(), budget.cycle_length()) == (genesis, CYCLE)


def test_largest_calendar_keeps_every_boundary_within_uint48(budget, gap_executor):
    """At the largest genesis and cycle, ~890,000 cycles fit before uint48 runs out."""
    budget.set_decision_cycle(MAX_GENESIS, MAX_CYCLE, MAX_CYCLE, sender=gap_executor)
    assert budget.next_cycle_boundary(now()) == MAX_GENESIS
    hundred_years = MAX_GENESIS + 100 * 365 * DAY
    assert budget.next_cycle_boundary(hundred_years) <= MAX_GENESIS + 11 * MAX_CYCLE
    assert (UINT48_MAX - MAX_GENESIS) // MAX_CYCLE > 890_000


def test_largest_allocation_still_admits(budget, gap_executor, tpp_executor):
    """Before the bound an allocation near 2**256 made the share rule overflow (a bare revert)."""
    budget.set_allocation(MAX_ALLOCATION, sender=gap_executor)
    budget.set_max_share(10_000, sender=gap_executor)
    start = now() + DAY
    budget.admit(boa.env.generate_address("epoch"), 1_000 * WAD, start, start + 10 * DAY, sender=tpp_executor)
    assert budget.committed() == 1_000 * WAD
    assert budget.headroom(start, start + 10 * DAY) > 0


def test_programme_runs_on_at_the_largest_cycle(budget, gap_executor, create, make_spec, safe, chain):
    """advance() and halt() keep working with the longest cycle a GAP may set."""
    genesis = budget.cycle_genesis()
    budget.set_decision_cycle(genesis, MAX_CYCLE, WINDOW, sender=gap_executor)
    start = budget.next_cycle_boundary(now())
    end = start + MAX_CYCLE
    ((programme, _),) = create(
        make_spec("stream", safe, first_start=start, first_end=end, epoch_duration=MAX_CYCLE, epoch_cap=MAX_CYCLE * WAD // 1_000)
    )
    boa.env.time_travel(seconds=end - now())
    assert State.label(programme.advance()) == "RUNNING"
    assert programme.epoch() == 2
    assert programme.epoch_end() == end + MAX_CYCLE <= UINT48_MAX
    programme.halt(sender=programme.guardian())
    assert programme.halted()


# --- the delegate-load limit --------------------------------------------------------------


@pytest.fixture(scope="module")
def boundary(budget):
    """A decision-cycle boundary two cycles ahead, and the start of an epoch ending on it."""
    b = budget.next_cycle_boundary(now()) + CYCLE
    return b


def _admit(budget, tpp_executor, end, start=None, name="epoch"):
    minter = boa.env.generate_address(name)
    budget.admit(minter, WAD, start if start is not None else now() + DAY, end, sender=tpp_executor)
    return minter


def test_window_load_up_to_the_limit_then_refused(budget, gap_executor, tpp_executor, boundary):
    budget.set_load_limit(3, sender=gap_executor)
    for i in range(3):
        _admit(budget, tpp_executor, boundary, name=f"decision-{i}")
        assert budget.window_load(boundary) == i + 1
    with boa.reverts("budget: window load above limit"):
        _admit(budget, tpp_executor, boundary, name="one too many")
    assert budget.window_load(boundary) == 3
    assert budget.epoch_count() == 3
    # The neighbouring windows are their own.
    _admit(budget, tpp_executor, boundary + CYCLE, name="next window")
    _admit(budget, tpp_executor, boundary - CYCLE, name="previous window")
    assert (budget.window_load(boundary - CYCLE), budget.window_load(boundary + CYCLE)) == (1, 1)


def test_default_limit_admits_eight_decisions_per_window(budget, tpp_executor, boundary):
    assert budget.load_limit() == LOAD_LIMIT == 8
    for i in range(8):
        _admit(budget, tpp_executor, boundary, name=f"decision-{i}")
    with boa.reverts("budget: window load above limit"):
        _admit(budget, tpp_executor, boundary, name="ninth")


def test_epochs_ending_off_the_cycle_are_not_decisions_of_a_window(budget, gap_executor, tpp_executor, boundary):
    budget.set_load_limit(1, sender=gap_executor)
    off = boundary - 1
    for i in range(3):
        _admit(budget, tpp_executor, off, name=f"off-{i}")
    assert budget.window_load(off) == 3  # counted, but no window closes at `off`
    _admit(budget, tpp_executor, boundary, name="on")
    with boa.reverts("budget: window load above limit"):
        _admit(budget, tpp_executor, boundary, name="on again")


def test_genesis_is_a_boundary(budget, gap_executor, tpp_executor):
    genesis = now() + 30 * DAY
    budget.set_decision_cycle(genesis, CYCLE, WINDOW, sender=gap_executor)
    budget.set_load_limit(1, sender=gap_executor)
    _admit(budget, tpp_executor, genesis, name="at genesis")
    with boa.reverts("budget: window load above limit"):
        _admit(budget, tpp_executor, genesis, name="again at genesis")


def test_lowering_the_limit_keeps_admitted_epochs_and_binds_new_ones(budget, gap_executor, tpp_executor, boundary):
    minters = [_admit(budget, tpp_executor, boundary, name=f"decision-{i}") for i in range(4)]
    budget.set_load_limit(2, sender=gap_executor)
    # Admitted epochs keep their schedule; the window now carries more than the limit.
    assert budget.window_load(boundary) == 4
    assert all(budget.schedule_of(m)[2] == boundary for m in minters)
    with boa.reverts("budget: window load above limit"):
        _admit(budget, tpp_executor, boundary, name="fifth")
    budget.set_load_limit(5, sender=gap_executor)
    _admit(budget, tpp_executor, boundary, name="fifth")
    assert budget.window_load(boundary) == 5


def test_moving_the_calendar_counts_earlier_epochs_ending_on_a_new_boundary(budget, gap_executor, tpp_executor, boundary):
    """The count is kept per end time: when a calendar change makes an end a boundary, the
    epochs already ending there are its window's decisions (as the spec checker counts them)."""
    budget.set_load_limit(2, sender=gap_executor)
    off = boundary + DAY
    for i in range(3):
        _admit(budget, tpp_executor, off, name=f"off-{i}")
    budget.set_decision_cycle(off, CYCLE, WINDOW, sender=gap_executor)
    with boa.reverts("budget: window load above limit"):
        _admit(budget, tpp_executor, off, name="now on a boundary")
    # The old boundary is off the new calendar: no window closes there any more.
    for i in range(3):
        _admit(budget, tpp_executor, boundary, name=f"old boundary-{i}")


def test_headroom_is_zero_for_a_full_window(budget, gap_executor, tpp_executor, boundary):
    budget.set_load_limit(1, sender=gap_executor)
    start = now() + DAY
    assert budget.headroom(start, boundary) > 0
    _admit(budget, tpp_executor, boundary, start=start, name="the one decision")
    assert budget.headroom(start, boundary) == 0
    assert budget.headroom(start, boundary - 1) > 0  # off the cycle, no window to fill


def test_load_refusal_is_checked_before_anything_is_written(budget, gap_executor, tpp_executor, boundary):
    budget.set_load_limit(1, sender=gap_executor)
    _admit(budget, tpp_executor, boundary, name="first")
    committed, count = budget.committed(), budget.epoch_count()
    start = now() + DAY
    rate_before = budget.max_rate(start, boundary)
    with boa.reverts("budget: window load above limit"):
        _admit(budget, tpp_executor, boundary, start=start, name="second")
    assert (budget.committed(), budget.epoch_count(), budget.max_rate(start, boundary)) == (committed, count, rate_before)


def test_a_continuation_whose_window_is_full_ends_on_the_next_window_with_room(
    budget, gap_executor, tpp_executor, create, make_spec, safe, first_epoch
):
    """The load limit binds continuations too, but a full window must not stop or stall a
    programme: its next epoch runs on to the first later boundary whose window has room, at the
    same rate (its cap prorated over the longer epoch, out of the reserve it holds)."""
    _, end = first_epoch
    ((programme, _),) = create(make_spec("stream", safe, max_epochs=3))
    cap = programme.epoch_cap()
    budget.set_load_limit(1, sender=gap_executor)
    _admit(budget, tpp_executor, end + CYCLE, name="takes the next window")
    boa.env.time_travel(seconds=end - now())
    assert State.label(programme.advance()) == "RUNNING"
    assert (programme.epoch(), programme.epoch_start(), programme.epoch_end()) == (2, end, end + 2 * CYCLE)
    assert budget.schedule_of(programme.minter()) == (2 * cap, end, end + 2 * CYCLE)
    assert budget.window_load(end + CYCLE) == 1 and budget.window_load(end + 2 * CYCLE) == 1
    # The reserve (two caps) is used up: nothing is held after this epoch, so it is the last.
    assert budget.hold_of(programme.address)[:2] == (0, 0)


def test_a_continuation_with_no_window_in_reach_waits_for_the_load_limit(
    budget, gap_executor, tpp_executor, create, make_spec, safe, first_epoch
):
    """With every window it could end in full, the continuation waits (logged, retried on every
    advance) instead of stopping: a GAP can raise the limit."""
    _, end = first_epoch
    ((programme, _),) = create(make_spec("stream", safe, max_epochs=2))
    budget.set_load_limit(1, sender=gap_executor)
    for k in range(1, 6):
        _admit(budget, tpp_executor, end + k * CYCLE, name=f"takes window {k}")
    boa.env.time_travel(seconds=end - now())
    assert State.label(programme.advance()) == "EVALUATING"
    (deferred,) = events(programme, "AdmissionDeferred")
    assert (deferred.epoch, deferred.start, deferred.end) == (1, end, end + 5 * CYCLE)
    assert deferred.reason == "budget: window load above limit"
    assert programme.epoch() == 1
    budget.set_load_limit(2, sender=gap_executor)
    assert State.label(programme.advance()) == "RUNNING"
    assert (programme.epoch(), programme.epoch_end()) == (2, end + CYCLE)
