"""A programme's epochs tell the Budget the truth when they end (issue items 2, 3 and 6).

- Closing an epoch minter (the next epoch opens, STOP, KILL) releases the cap it did not mint:
  the allocation gets it back, the rate leaves the breakpoints from that second on, a decision
  that will no longer happen leaves its window, and the supply curve drops to what was minted.
- A kill while the Budget is paused used to forfeit what accrued (the settlement's mint was
  refused): it now retires the minter instead, keeping exactly what the mechanism owes
  mintable, with no deadline, so the recipient or the stakers are paid once the Budget's
  guardian unpauses — and not a wei more.

Time line (make_spec, tests/fixtures): first epoch [S, E] with E on a 90-day cycle boundary,
14-day windows, default CONTINUE, 3 epochs.
"""

import boa
import pytest

from tests.fixtures.budget import CYCLE, DAY, WAD
from tests.fixtures.helpers import events, streamed, warp_to
from tests.fixtures.programmes import EPOCH_CAP
from tpp.base.vocab import THROTTLE, State, dial_id
from tpp.chain import Chain

KILLED, STOPPED, RUNNING = State["KILLED"], State["STOPPED"], State["RUNNING"]
RATE_SCALE = 10**18
STAKE = 10 * WAD


def rate(cap, start, end):
    return -(-cap // (end - start))


@pytest.fixture
def epoch1(first_epoch):
    return first_epoch


@pytest.fixture
def staker(lp_token, deployer):
    alice = boa.env.generate_address("alice")
    lp_token.mint(alice, 2 * STAKE, sender=deployer)
    return alice


@pytest.fixture
def second_staker(lp_token, deployer):
    bob = boa.env.generate_address("bob")
    lp_token.mint(bob, 2 * STAKE, sender=deployer)
    return bob


def test_kill_mid_epoch_releases_the_rest_of_the_epoch(create, make_spec, safe, budget, tpp_executor, token, epoch1):
    start, end = epoch1
    ((programme, stream),) = create(make_spec("stream", safe))
    minter = programme.minter()
    committed = budget.committed()
    load = budget.window_load(end)
    kill_at = start + 30 * DAY
    base_rate = budget.rate_at(kill_at) - rate(EPOCH_CAP, start, end)
    held_rate = budget.hold_of(programme.address)[0]
    later = budget.max_rate(end, end + CYCLE)
    warp_to(kill_at)
    programme.kill(sender=tpp_executor)
    paid = token.balanceOf(safe)
    assert paid == streamed(EPOCH_CAP, start, end, 30 * DAY)
    (released,) = events(budget, "EpochReleased", call_via=programme)
    assert (released.minter, released.kept, released.released) == (minter, paid, EPOCH_CAP - paid)
    # The rest of the epoch and the reserve held for the two later epochs both come back.
    assert budget.committed() == committed - (EPOCH_CAP - paid) - 2 * EPOCH_CAP
    (hold,) = events(budget, "HoldSet", call_via=programme)
    assert (hold.holder, hold.rate, hold.reserve) == (programme.address, 0, 0)
    assert budget.max_rate(end, end + CYCLE) == later - held_rate
    assert budget.rate_at(kill_at) == base_rate
    assert budget.window_load(end) == load - 1
    assert budget.unlocked_of(minter, end) == paid
    assert budget.released_of(minter) == (True, paid, kill_at)


def test_stop_with_a_throttle_returns_the_unused_cap(create, make_spec, safe, budget, steward, token, epoch1):
    """A throttled epoch mints less than its cap; the unused part returns to the allocation
    when the programme stops (and the curve drops to what was minted)."""
    start, end = epoch1
    ((programme, stream),) = create(make_spec("stream", safe, default_outcome="STOP"))
    minter = programme.minter()
    committed = budget.committed()
    warp_to(start)
    programme.move_dial(dial_id(THROTTLE), 9_000, "halve it slowly", sender=steward)
    warp_to(end)
    assert programme.advance() == STOPPED
    paid = token.balanceOf(safe)
    assert paid < EPOCH_CAP
    assert budget.committed() == committed - (EPOCH_CAP - paid)  # stops by default: it held nothing
    assert budget.scheduled_supply(end + DAY) - budget.scheduled_supply(end - 1) <= paid
    assert budget.released_of(minter) == (True, paid, end)


def test_continue_releases_the_old_epochs_unused_cap(create, make_spec, safe, budget, steward, token, epoch1):
    start, end = epoch1
    ((programme, stream),) = create(make_spec("stream", safe))
    old = programme.minter()
    warp_to(start)
    programme.move_dial(dial_id(THROTTLE), 9_000, "", sender=steward)
    warp_to(end)
    assert programme.advance() == RUNNING
    kept = budget.released_of(old)
    assert kept[0] and kept[1] == token.balanceOf(safe) < EPOCH_CAP
    assert Chain.current().at("EpochMinter", old).closed()


def test_kill_while_the_budget_is_paused_keeps_what_the_stream_owes(
    create, make_spec, safe, budget, guardian, tpp_executor, token, epoch1
):
    """Defect: the kill's settlement mint was refused by the paused Budget and what accrued was
    forfeited. Now the minter is retired with exactly what is owed, paid after the unpause."""
    start, end = epoch1
    ((programme, stream),) = create(make_spec("stream", safe))
    minter = Chain.current().at("EpochMinter", programme.minter())
    warp_to(start + 20 * DAY)
    budget.pause(sender=guardian)
    warp_to(start + 30 * DAY)
    programme.kill(sender=tpp_executor)
    assert programme.state() == KILLED
    owed = streamed(EPOCH_CAP, start, end, 30 * DAY)
    assert stream.forfeited() == 0 and stream.claimable() == owed
    assert not minter.closed() and minter.CAP() == owed
    assert budget.released_of(minter.address) == (True, owed, start + 30 * DAY)
    # No deadline: the guardian unpauses months later and the stream is paid in full.
    warp_to(end + 3 * CYCLE)
    budget.unpause(sender=guardian)
    assert stream.claim() == owed
    assert token.balanceOf(safe) == owed
    assert stream.claim() == 0 and stream.claimable() == 0
    with boa.reverts():
        minter.mint(safe, 1, sender=stream.address)


def test_kill_while_the_budget_is_paused_pays_every_staker_their_own_share(
    create, make_spec, lp_token, budget, guardian, tpp_executor, token, staker, second_staker, epoch1
):
    """Two stakers, the Budget paused, then a kill: each staker is paid exactly their earned
    after the unpause, in either claiming order, and nobody is paid from the other's share."""
    start, end = epoch1
    ((programme, staking),) = create(make_spec("staking", lp_token.address))
    for who, amount in ((staker, STAKE), (second_staker, 2 * STAKE)):
        lp_token.approve(staking.address, amount, sender=who)
    warp_to(start)
    staking.stake(STAKE, sender=staker)
    warp_to(start + 10 * DAY)
    staking.stake(2 * STAKE, sender=second_staker)
    warp_to(start + 20 * DAY)
    staking.drip()  # some of it is held already, the rest is still to be minted
    budget.pause(sender=guardian)
    warp_to(start + 30 * DAY)
    programme.kill(sender=tpp_executor)
    earned = {who: staking.earned(who) for who in (staker, second_staker)}
    assert staking.forfeited() == 0
    warp_to(end + CYCLE)
    # Before the unpause the second staker may be paid from what is held, but never more
    # than their own share; the first staker's share is still there afterwards.
    budget.unpause(sender=guardian)
    for who in (second_staker, staker):
        assert staking.claim(sender=who) == earned[who]
        assert token.balanceOf(who) == earned[who]
    whole = streamed(EPOCH_CAP, start, end, 30 * DAY)
    assert whole - sum(earned.values()) <= 2
    for who, amount in ((staker, STAKE), (second_staker, 2 * STAKE)):
        staking.withdraw(amount, sender=who)
