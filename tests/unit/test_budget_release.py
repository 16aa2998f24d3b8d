"""Budget.release: a minter that ends early or leaves cap unused gives it back.

Defect (issue item 6): KILL, STOP and unused cap released nothing — `committed`, `max_rate`,
`headroom`, `scheduled_supply` and the window load stayed as if every epoch would mint its
whole cap, so the published supply curve overstated what could ever be minted and unused cap
still consumed the lifetime allocation. Here an EOA stands in for an admitted minter (the
Budget keys everything by the caller), so each rule is checked on the Budget alone; the
programme paths (close, retire) are in test_programme_release.py.
"""

import boa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.fixtures.budget import CYCLE, DAY, WAD, now
from tests.fixtures.helpers import warp_to


def events(contract, name):
    return [e for e in contract.get_logs() if type(e).__name__ == name]


def rate(cap, start, end):
    return -(-cap // (end - start))


@pytest.fixture
def boundary_epoch(budget):
    """(start, end): starts tomorrow, ends on the next cycle boundary after a full cycle."""
    start = now() + DAY
    return start, budget.next_cycle_boundary(start + CYCLE - 1)


def test_release_mid_epoch_returns_cap_rate_and_load(budget, tpp_executor, recipient, boundary_epoch):
    start, end = boundary_epoch
    minter = boa.env.generate_address("m")
    cap = 90 * WAD
    committed = budget.committed()
    load = budget.window_load(end)
    mid = start + (end - start) // 3
    base_rate, base_supply = budget.rate_at(mid), budget.scheduled_supply(mid)
    budget.admit(minter, cap, start, end, sender=tpp_executor)
    room_before = budget.headroom(now() + 2 * DAY, end)
    warp_to(mid)
    budget.mint(recipient, cap // 10, sender=minter)
    budget.release(0, sender=minter)
    (log,) = events(budget, "EpochReleased")
    assert (log.minter, log.kept, log.released, log.released_at) == (minter, cap // 10, cap - cap // 10, mid)
    # Allocation: only what was minted stays committed.
    assert budget.committed() == committed + cap // 10
    # Rate: gone from the release on, kept before it (history is not rewritten).
    assert budget.rate_at(mid - 1) == base_rate + rate(cap, start, end)
    assert budget.rate_at(mid) == base_rate and budget.max_rate(mid, mid + 1) == base_rate
    # Load: the epoch no longer ends on that boundary, so its decision leaves the window.
    assert budget.window_load(end) == load
    # Supply curve: unchanged before the release, the kept total from it on.
    assert (
        budget.scheduled_supply(mid - 1) - budget.scheduled_supply(start)
        <= cap * (mid - 1 - start) // (end - start) + base_supply
    )
    assert budget.scheduled_supply(mid) == base_supply + cap // 10
    assert budget.unlocked_of(minter, end) == cap // 10
    assert budget.released_of(minter) == (True, cap // 10, mid)
    assert budget.headroom(mid + DAY, end) >= room_before
    with boa.reverts("budget: above released total"):
        budget.mint(recipient, 1, sender=minter)


def test_release_keeps_what_is_owed_mintable(budget, tpp_executor, recipient, token, boundary_epoch):
    """A minter retired with tokens still owed (a kill while the Budget is paused) keeps exactly
    that much mintable, with no deadline, and not a wei more."""
    start, end = boundary_epoch
    minter = boa.env.generate_address("m")
    cap = 90 * WAD
    budget.admit(minter, cap, start, end, sender=tpp_executor)
    mid = start + (end - start) // 2
    warp_to(mid)
    owed = budget.unlocked_of(minter, mid)
    budget.release(owed + 5 * WAD, sender=minter)  # asks for more than unlocked: capped
    assert budget.released_of(minter) == (True, owed, mid)
    assert budget.scheduled_supply(end + 10 * CYCLE) >= owed
    warp_to(end + 10 * CYCLE)
    budget.mint(recipient, owed, sender=minter)
    assert token.balanceOf(recipient) >= owed
    with boa.reverts("budget: above released total"):
        budget.mint(recipient, 1, sender=minter)


def test_release_after_the_end_returns_unused_cap_only(budget, tpp_executor, recipient, boundary_epoch):
    """Released after its end (a normal close with cap unused): the allocation gets the unused
    cap back; the window already happened, so its load stays; the past rate stays."""
    start, end = boundary_epoch
    minter = boa.env.generate_address("m")
    cap = 90 * WAD
    committed = budget.committed()
    budget.admit(minter, cap, start, end, sender=tpp_executor)
    load = budget.window_load(end)
    warp_to(end + DAY)
    budget.mint(recipient, cap // 2, sender=minter)
    budget.release(0, sender=minter)
    assert budget.committed() == committed + cap // 2
    assert budget.window_load(end) == load
    assert budget.rate_at(end - 1) == rate(cap, start, end)
    assert budget.scheduled_supply(end) == cap  # the past as it was
    assert budget.scheduled_supply(end + DAY) == cap // 2


def test_release_before_the_start_frees_everything(budget, tpp_executor, boundary_epoch):
    start, end = boundary_epoch
    minter = boa.env.generate_address("m")
    committed = budget.committed()
    load = budget.window_load(end)
    budget.admit(minter, 90 * WAD, start, end, sender=tpp_executor)
    budget.release(0, sender=minter)
    assert budget.committed() == committed
    assert budget.window_load(end) == load
    assert budget.rate_at(start) == 0 and budget.max_rate(start, end) == 0
    assert budget.scheduled_supply(end) == 0


def test_a_second_release_only_lowers(budget, tpp_executor, recipient, boundary_epoch):
    start, end = boundary_epoch
    minter = boa.env.generate_address("m")
    cap = 90 * WAD
    committed = budget.committed()
    budget.admit(minter, cap, start, end, sender=tpp_executor)
    mid = start + (end - start) // 2
    warp_to(mid)
    owed = budget.unlocked_of(minter, mid)
    budget.release(owed, sender=minter)
    warp_to(mid + DAY)
    budget.release(owed * 2, sender=minter)  # cannot raise it again
    assert budget.released_of(minter) == (True, owed, mid)
    budget.mint(recipient, owed // 2, sender=minter)
    budget.release(0, sender=minter)
    assert budget.released_of(minter) == (True, owed // 2, mid)
    assert budget.committed() == committed + owed // 2
    assert budget.rate_at(mid) == 0  # the rate was taken off once, not twice


def test_only_an_admitted_minter_releases_and_only_its_own(budget, tpp_executor, stranger, boundary_epoch):
    start, end = boundary_epoch
    minter = boa.env.generate_address("m")
    budget.admit(minter, 90 * WAD, start, end, sender=tpp_executor)
    for caller in (stranger, tpp_executor):
        with boa.reverts("budget: minter not admitted"):
            budget.release(0, sender=caller)
    assert budget.released_of(minter) == (False, 0, 0)


def test_release_works_while_paused(budget, tpp_executor, guardian, boundary_epoch):
    """Releasing only lowers, so the emergency brake does not block it."""
    start, end = boundary_epoch
    minter = boa.env.generate_address("m")
    committed = budget.committed()
    budget.admit(minter, 90 * WAD, start, end, sender=tpp_executor)
    budget.pause(sender=guardian)
    budget.release(0, sender=minter)
    budget.unpause(sender=guardian)
    assert budget.committed() == committed


def test_released_room_is_admissible_again(budget, gap_executor, tpp_executor, boundary_epoch):
    """What a release frees can be admitted at once: the headroom is the truth."""
    start, end = boundary_epoch
    budget.set_max_share(10_000, sender=gap_executor)
    budget.set_allocation(budget.committed() + 90 * WAD, sender=gap_executor)
    a, b = boa.env.generate_address("a"), boa.env.generate_address("b")
    budget.admit(a, 90 * WAD, start, end, sender=tpp_executor)
    with boa.reverts("budget: allocation exceeded"):
        budget.admit(b, 90 * WAD, start, end, sender=tpp_executor)
    budget.release(0, sender=a)
    budget.admit(b, 90 * WAD, start, end, sender=tpp_executor)


# --- the released schedule, as a property ------------------------------------------------------


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    cap=st.integers(1, 10**24),
    length=st.integers(1, 5_000),
    steps=st.lists(
        st.tuples(st.sampled_from(["warp", "mint", "release"]), st.integers(0, 6_000), st.integers(0, 10**24)),
        min_size=1,
        max_size=8,
    ),
)
def test_released_schedule_never_claims_less_than_minted_nor_more_than_kept(budget, tpp_executor, recipient, cap, length, steps):
    """Random warps, mints and releases on one epoch: the Budget never lets the minter mint past
    what it kept, the committed allocation is exactly what can still be minted plus what was,
    the supply curve at every past instant stays at or above what had been minted by then, and
    the rate is gone from the first release on."""
    start = now() + 10
    end = start + length
    minter = boa.env.generate_address("prop")
    committed0 = budget.committed()
    budget.admit(minter, cap, start, end, sender=tpp_executor)
    minted, kept, released_at = 0, None, None
    history = [(now(), 0)]

    def linear(t):
        return 0 if t < start else cap if t >= end else cap * (t - start) // (end - start)

    for action, seconds, amount in steps:
        t = now()
        if action == "warp":
            boa.env.time_travel(seconds=seconds + 1)
            continue
        if action == "mint":
            limit = linear(t) if kept is None else min(linear(t), kept)
            amount = min(amount, cap)
            if t < start:
                with boa.reverts("budget: epoch not started"):
                    budget.mint(recipient, amount, sender=minter)
            elif minted + amount > limit:
                with boa.reverts():
                    budget.mint(recipient, amount, sender=minter)
            else:
                budget.mint(recipient, amount, sender=minter)
                minted += amount
                history.append((t, minted))
        else:
            new_kept = minted + min(amount, linear(t) - minted)
            kept = new_kept if kept is None else min(kept, new_kept)
            released_at = t if released_at is None else released_at
            budget.release(amount, sender=minter)
            assert budget.released_of(minter) == (True, kept, released_at)
        effective = cap if kept is None else kept
        assert budget.committed() == committed0 + effective
        for when, minted_then in history:
            assert budget.unlocked_of(minter, when) >= minted_then
        if released_at is not None:
            assert budget.rate_at(max(released_at, start)) == 0 or released_at >= end
            assert budget.unlocked_of(minter, released_at + 10**6) == kept
