"""Budget.hold: room an admitter (a programme) holds for the epochs it will admit later.

Defect (issue 10, item 7): when several programmes ended on one boundary and the Budget had
room for only some, the order of permissionless advance() calls decided which continued. The
fix takes the room for every later epoch when the programme is created (in the vote): a rate
from its latest epoch's end on, with no end, and a reserve of the allocation. Its later epochs
are carved out of the hold without any room check, so continuations never compete. Here an EOA
with ADMITTER_ROLE stands in for a programme (the Budget keys holds by the caller); the
programme paths are in test_programme_lifecycle.py and tests/properties/test_continuation_order.py.
"""

import boa
import pytest

from tests.fixtures.budget import CYCLE, DAY, THRESHOLD, WAD, now
from tests.fixtures.helpers import warp_to
from tpp.base.vocab import ADMITTER_ROLE

UINT48 = 2**48 - 1
CAP = 90_000 * WAD


def rate(cap, start, end):
    return -(-cap // (end - start))


def events(contract, name):
    return [e for e in contract.get_logs() if type(e).__name__ == name]


@pytest.fixture
def holder(budget, tpp_executor):
    account = boa.env.generate_address("holder")
    budget.grantRole(ADMITTER_ROLE, account, sender=tpp_executor)
    return account


@pytest.fixture
def first(budget, holder):
    """(minter, start, end) of the holder's first epoch: tomorrow to the boundary a cycle on."""
    start = now() + DAY
    end = budget.next_cycle_boundary(start + CYCLE - 1)
    minter = boa.env.generate_address("first")
    budget.admit(minter, CAP, start, end, sender=holder)
    return minter, start, end


def held_rate():
    return -(-CAP // CYCLE)


def test_a_hold_runs_from_the_latest_end_on_and_counts_in_committed(budget, holder, first):
    _, start, end = first
    committed = budget.committed()
    far = end + 40 * CYCLE
    before = budget.max_rate(end, far)
    budget.hold(held_rate(), 3 * CAP, sender=holder)
    (log,) = events(budget, "HoldSet")
    assert (log.holder, log.rate, log.reserve, log.held_from) == (holder, held_rate(), 3 * CAP, end)
    assert budget.hold_of(holder) == (held_rate(), 3 * CAP, end)
    assert budget.reserve_of(holder) == 3 * CAP
    assert budget.committed() == committed + 3 * CAP
    assert budget.max_rate(end, far) == before + held_rate()
    assert budget.max_rate(UINT48 - 1, UINT48) == before + held_rate()  # no end
    # The epoch itself is not changed, and the published schedule shows admitted epochs only.
    assert budget.rate_at(end) == budget.rate_at(end - 1) - rate(CAP, start, end)


def test_nothing_to_hold_after_without_an_admitted_epoch(budget, holder):
    with boa.reverts("budget: no admitted epoch to hold after"):
        budget.hold(1, 0, sender=holder)


def test_raising_a_hold_needs_the_admitter_role(budget, holder, first, stranger, tpp_executor):
    with boa.reverts("access_control: account is missing role"):
        budget.hold(1, 0, sender=stranger)
    budget.hold(held_rate(), CAP, sender=holder)
    budget.revokeRole(ADMITTER_ROLE, holder, sender=tpp_executor)
    with boa.reverts("access_control: account is missing role"):
        budget.hold(held_rate() + 1, CAP, sender=holder)
    # Giving room back never needs the role: a programme must always be able to end.
    budget.hold(0, 0, sender=holder)
    assert budget.hold_of(holder)[:2] == (0, 0)


def test_raising_is_refused_once_closed_lowering_is_not(budget, holder, first, guardian, gap_executor):
    """A pause does not stop a hold (it mints and admits nothing, and a vote continuing a
    programme during an emergency must be recorded); a closed Budget takes no new room."""
    budget.hold(held_rate(), 2 * CAP, sender=holder)
    budget.pause(sender=guardian)
    budget.hold(held_rate(), 3 * CAP, sender=holder)
    budget.hold(held_rate(), CAP, sender=holder)
    budget.unpause(sender=guardian)
    budget.close(sender=gap_executor)
    with boa.reverts("budget: closed"):
        budget.hold(held_rate() + 1, CAP, sender=holder)
    budget.hold(0, 0, sender=holder)
    assert budget.hold_of(holder)[:2] == (0, 0)


def test_a_hold_is_checked_against_the_threshold_for_ever(budget, holder, first, tpp_executor, gap_executor):
    """A hold has no end, so an epoch admitted by anyone far after the holder's end binds it."""
    _, _, end = first
    late_start = end + 20 * CYCLE
    other = boa.env.generate_address("late")
    budget.admit(other, CAP, late_start, late_start + CYCLE, sender=tpp_executor)
    peak = budget.max_rate(end, UINT48)
    budget.set_inflation_threshold(peak + held_rate() - 1, sender=gap_executor)
    committed = budget.committed()
    with boa.reverts("budget: rate above threshold"):
        budget.hold(held_rate(), CAP, sender=holder)
    assert (budget.hold_of(holder)[:2], budget.committed(), budget.max_rate(end, UINT48)) == ((0, 0), committed, peak)
    budget.set_inflation_threshold(peak + held_rate(), sender=gap_executor)
    budget.hold(held_rate(), CAP, sender=holder)


def test_a_reserve_is_checked_against_the_allocation(budget, holder, first, gap_executor):
    budget.set_allocation(budget.committed() + 2 * CAP - 1, sender=gap_executor)
    with boa.reverts("budget: allocation exceeded"):
        budget.hold(held_rate(), 2 * CAP, sender=holder)
    budget.hold(held_rate(), 2 * CAP - 1, sender=holder)
    assert budget.committed() == budget.allocation()


def test_held_room_is_taken_for_everyone_else(budget, holder, first, tpp_executor, gap_executor):
    """Another admission after the holder's end is checked with the held rate counted, so a
    newcomer cannot take the room a continuation needs; before the end it is free."""
    _, _, end = first
    budget.hold(held_rate(), CAP, sender=holder)
    budget.set_inflation_threshold(budget.max_rate(end, UINT48), sender=gap_executor)
    newcomer = boa.env.generate_address("newcomer")
    with boa.reverts("budget: rate above threshold"):
        budget.admit(newcomer, CAP, end, end + CYCLE, sender=tpp_executor)
    assert budget.headroom(end, end + CYCLE) == 0
    budget.hold(0, 0, sender=holder)
    budget.admit(newcomer, CAP, end, end + CYCLE, sender=tpp_executor)


def test_the_holders_next_epoch_is_carved_out_of_its_hold_without_room_checks(budget, holder, first, gap_executor):
    """With the Budget squeezed to nothing (threshold 0, allocation at committed, share 1 bps),
    the holder's next epoch inside its hold is still admitted: its rate and cap were checked
    when the hold was raised."""
    _, _, end = first
    budget.hold(held_rate(), 2 * CAP, sender=holder)
    committed = budget.committed()
    budget.set_inflation_threshold(0, sender=gap_executor)
    budget.set_allocation(committed, sender=gap_executor)
    budget.set_max_share(1, sender=gap_executor)
    warp_to(end)
    minter = boa.env.generate_address("second")
    next_end = end + CYCLE
    budget.admit(minter, CAP, end, next_end, sender=holder)
    assert budget.schedule_of(minter) == (CAP, end, next_end)
    assert budget.committed() == committed  # the cap came out of the reserve
    assert budget.hold_of(holder) == (held_rate(), CAP, next_end)
    # Over the epoch the breakpoints carry its own rate; after it, the hold goes on.
    assert budget.max_rate(end, next_end) == rate(CAP, end, next_end)
    assert budget.max_rate(next_end, UINT48) == held_rate()


def test_an_epoch_beyond_the_hold_is_checked_for_the_excess(budget, holder, first, gap_executor):
    _, _, end = first
    budget.hold(held_rate(), CAP // 2, sender=holder)
    budget.set_allocation(budget.committed(), sender=gap_executor)
    warp_to(end)
    with boa.reverts("budget: allocation exceeded"):
        budget.admit(boa.env.generate_address("big"), CAP, end, end + CYCLE, sender=holder)
    budget.set_allocation(budget.committed() + CAP // 2, sender=gap_executor)
    with boa.reverts("budget: share above limit"):  # the excess takes all that is left
        budget.admit(boa.env.generate_address("big"), CAP, end, end + CYCLE, sender=holder)
    budget.set_max_share(10_000, sender=gap_executor)
    budget.admit(boa.env.generate_address("big"), CAP, end, end + CYCLE, sender=holder)
    assert budget.reserve_of(holder) == 0


def test_a_faster_epoch_is_checked_for_the_rate_above_the_hold(budget, holder, first, gap_executor):
    _, _, end = first
    budget.hold(held_rate(), CAP, sender=holder)
    budget.set_inflation_threshold(budget.max_rate(end, UINT48), sender=gap_executor)
    warp_to(end)
    with boa.reverts("budget: rate above threshold"):
        budget.admit(boa.env.generate_address("fast"), CAP, end, end + CYCLE // 2, sender=holder)


def test_a_holders_epoch_cannot_start_before_its_latest_end(budget, holder, first):
    _, start, end = first
    budget.hold(held_rate(), CAP, sender=holder)
    with boa.reverts("budget: epoch before the holder's latest end"):
        budget.admit(boa.env.generate_address("overlap"), CAP, end - DAY, end + CYCLE, sender=holder)


def test_lowering_a_hold_frees_rate_and_reserve_from_the_latest_end(budget, holder, first):
    _, _, end = first
    before = budget.max_rate(end, UINT48)
    committed = budget.committed()
    budget.hold(held_rate(), 2 * CAP, sender=holder)
    budget.hold(held_rate() // 2, CAP, sender=holder)
    assert budget.max_rate(end, UINT48) == before + held_rate() // 2
    assert budget.committed() == committed + CAP
    budget.hold(0, 0, sender=holder)
    assert (budget.max_rate(end, UINT48), budget.committed()) == (before, committed)
    # Setting the same hold again changes nothing and logs nothing.
    budget.hold(0, 0, sender=holder)
    assert events(budget, "HoldSet") == []


def test_the_breakpoints_view_rebuilds_the_rate_admissions_are_checked_against(budget, holder, first, tpp_executor):
    _, start, end = first
    budget.hold(held_rate(), CAP, sender=holder)
    budget.admit(boa.env.generate_address("other"), CAP // 3, start + DAY, end + 2 * CYCLE, sender=tpp_executor)
    words = budget.rate_breakpoints()
    points = [(w >> 200, w & (2**200 - 1)) for w in words]
    assert [t for t, _ in points] == sorted(t for t, _ in points)
    for (t, r), nxt in zip(points, [t for t, _ in points[1:]] + [UINT48], strict=True):
        if t >= now() and nxt > t:
            assert budget.max_rate(t, nxt) == r
    assert points[-1][0] == UINT48
    assert dict(points)[end] == held_rate() + rate(CAP // 3, start + DAY, end + 2 * CYCLE)
    assert max(r for _, r in points) <= THRESHOLD


def test_a_hold_is_bounded_to_its_storage_word(budget, holder, first):
    """Reserve, time and rate share one word: a rate above 2**80 - 1 or a reserve above
    2**128 - 1 is refused by name rather than truncated."""
    with boa.reverts("budget: held rate above uint80"):
        budget.hold(2**80, 0, sender=holder)
    with boa.reverts("budget: reserve above uint128"):
        budget.hold(0, 2**128, sender=holder)
