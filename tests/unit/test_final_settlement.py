"""Final settlement: every path into STOPPED settles the epoch, a guardian halt or not.

A guardian halt pauses the epoch minter. KILL and an epoch switch (CONTINUE, ITERATE, a
resume) unpause it to settle what accrued before the halt; the paths into STOPPED used to
leave it paused for good, so what accrued before the halt could never be claimed (a stream's
`claim` reverted, a staker was paid 0 while `earned` stayed) and `unhalt`/`kill` reverted
"programme: ended". Each path is driven here with a halt in force, for a stream and for a
staking programme: after STOPPED the recipient gets exactly what accrued up to the halt
(within 1 wei), stakers get their `earned`, and nothing more is ever paid.

Time line (make_spec, tests/fixtures): first epoch [S, E] with E on a 90-day cycle boundary,
14-day windows; the guardian halts at S + 10 days.
"""

import boa
import pytest

from tests.fixtures.budget import CYCLE, DAY, WAD
from tests.fixtures.helpers import events, streamed, warp_to
from tests.fixtures.programmes import EPOCH_CAP
from tpp.base.vocab import ADMITTER_ROLE, Outcome, State

STOPPED, PAUSED, EVALUATING = State["STOPPED"], State["PAUSED"], State["EVALUATING"]
PAUSE = Outcome["PAUSE"]
WINDOW = 14 * DAY
HALT_AFTER = 10 * DAY
RATE_SCALE = 10**18
STAKE = 10 * WAD
# Later than any claim grace the epoch minters used to have (30 days): they have none now.
LATE = 60 * DAY


# --- the four paths into STOPPED, each with the guardian's halt in force -----------------------
# Each takes (programme, ctx) after the halt and leaves the programme STOPPED; `ctx` holds the
# fixtures it needs. They return the reason logged with the STOPPED transition.


def _default_stop(programme, ctx):
    warp_to(ctx["end"])
    assert programme.advance() == STOPPED
    return "default: stop"


def _last_epoch(programme, ctx):
    warp_to(ctx["end"])
    assert programme.advance() == STOPPED
    return "last epoch ended"


def _pause_expiry(programme, ctx):
    warp_to(ctx["end"] - WINDOW)
    programme.decide(PAUSE, 0, sender=ctx["tpp_executor"])
    warp_to(ctx["end"])
    assert programme.advance() == PAUSED
    warp_to(ctx["end"] + 20 * DAY)
    assert programme.advance() == STOPPED
    return "pause expired"


def _failed_admission(programme, ctx):
    # A refusal for lack of room waits (see test_budget_release.py); a programme the TPP
    # executor no longer lets admit epochs is refused for good and stops.
    ctx["budget"].revokeRole(ADMITTER_ROLE, programme.address, sender=ctx["tpp_executor"])
    warp_to(ctx["end"])
    assert programme.advance() == STOPPED
    return "access_control: account is missing role"


PATHS = {
    "default stop": (dict(default_outcome="STOP"), _default_stop),
    "last epoch": (dict(max_epochs=1), _last_epoch),
    "pause expiry": (dict(max_pause=20 * DAY), _pause_expiry),
    "failed admission": (dict(), _failed_admission),
}


@pytest.fixture
def ctx(first_epoch, tpp_executor, gap_executor, budget, guardian):
    start, end = first_epoch
    return dict(start=start, end=end, tpp_executor=tpp_executor, gap_executor=gap_executor, budget=budget, guardian=guardian)


@pytest.fixture
def staker(lp_token, deployer):
    alice = boa.env.generate_address("alice")
    lp_token.mint(alice, STAKE, sender=deployer)
    return alice


def _assert_ended(programme, ctx):
    """The programme is final; the guardian and the executor have nothing left to do."""
    with boa.reverts("programme: ended"):
        programme.unhalt(sender=ctx["guardian"])
    with boa.reverts("programme: ended"):
        programme.kill(sender=ctx["tpp_executor"])


@pytest.mark.parametrize("path", list(PATHS))
def test_stream_recipient_gets_what_accrued_before_the_halt(create, make_spec, safe, token, stranger, ctx, path):
    overrides, reach_stop = PATHS[path]
    ((programme, stream),) = create(make_spec("stream", safe, **overrides))
    start, end = ctx["start"], ctx["end"]
    warp_to(start + HALT_AFTER)
    programme.halt(sender=ctx["guardian"])
    accrued = stream.claimable()
    assert abs(accrued - streamed(EPOCH_CAP, start, end, HALT_AFTER)) <= 1
    reason = reach_stop(programme, ctx)
    assert [log.reason for log in events(programme, "Transition")][-1] == reason
    assert programme.state() == STOPPED
    # Claiming after the stop must work (it used to revert: the minter stayed paused).
    stream.claim(sender=stranger)
    assert abs(token.balanceOf(safe) - accrued) <= 1
    assert token.balanceOf(safe) <= accrued
    assert stream.claimable() == 0 and stream.forfeited() == 0
    # Nothing beyond: later claims pay nothing.
    warp_to(end + CYCLE)
    assert stream.claim(sender=stranger) == 0
    assert token.balanceOf(safe) == stream.total_paid() <= accrued
    _assert_ended(programme, ctx)


@pytest.mark.parametrize("path", list(PATHS))
def test_staker_gets_what_was_earned_before_the_halt(create, make_spec, lp_token, token, staker, ctx, path):
    overrides, reach_stop = PATHS[path]
    ((programme, staking),) = create(make_spec("staking", lp_token.address, **overrides))
    start, end = ctx["start"], ctx["end"]
    lp_token.approve(staking.address, STAKE, sender=staker)
    staking.stake(STAKE, sender=staker)  # before the start: earns from the first second
    warp_to(start + HALT_AFTER)
    programme.halt(sender=ctx["guardian"])
    earned = staking.earned(staker)
    assert abs(earned - streamed(EPOCH_CAP, start, end, HALT_AFTER)) <= 1
    reach_stop(programme, ctx)
    assert programme.state() == STOPPED
    assert staking.earned(staker) == earned
    # The claim pays everything earned (it used to pay 0: nothing could be dripped).
    assert staking.claim(sender=staker) == earned
    assert token.balanceOf(staker) == earned
    assert staking.earned(staker) == 0 and staking.forfeited() == 0
    # Nothing beyond, and the stake is still withdrawable.
    warp_to(end + CYCLE)
    assert staking.earned(staker) == 0
    assert staking.claim(sender=staker) == 0
    assert token.balanceOf(staker) == earned
    staking.withdraw(STAKE, sender=staker)
    assert lp_token.balanceOf(staker) == STAKE
    _assert_ended(programme, ctx)


# --- settlement at the stop, without a halt ---------------------------------------------------


def test_stop_settles_the_stream_at_once(create, make_spec, safe, token, ctx):
    """The advance that stops the programme pays the recipient what is owed and closes the
    minter: nothing more is ever paid."""
    ((programme, stream),) = create(make_spec("stream", safe, default_outcome="STOP"))
    start, end = ctx["start"], ctx["end"]
    warp_to(end + DAY)
    owed = stream.claimable()
    assert programme.advance() == STOPPED
    assert token.balanceOf(safe) == owed == streamed(EPOCH_CAP, start, end, end - start)
    assert stream.claimable() == 0
    warp_to(end + LATE)
    assert stream.claim() == 0 and token.balanceOf(safe) == owed


def test_stop_long_after_the_end_still_pays_everything(create, make_spec, safe, token, ctx):
    """A keeper 60 days late: the epoch minter has no deadline, so what accrued by the end is
    paid in full when the programme stops (it used to be forfeited after a 30-day grace)."""
    ((programme, stream),) = create(make_spec("stream", safe, default_outcome="STOP"))
    start, end = ctx["start"], ctx["end"]
    warp_to(end + LATE)
    owed = stream.claimable()
    assert owed == streamed(EPOCH_CAP, start, end, end - start)
    assert programme.advance() == STOPPED
    assert events(stream, "Forfeited", call_via=programme) == []
    assert stream.forfeited() == 0 and stream.claimable() == 0
    assert token.balanceOf(safe) == owed


def test_budget_pause_outlasting_the_epoch_forfeits_nothing(create, make_spec, safe, token, ctx):
    """A Budget pause from before the epoch's end until 60 days after it: nothing could be
    minted meanwhile, and nothing is lost — the stream is paid in full once the guardian
    unpauses, and the programme continues into its next epoch."""
    ((programme, stream),) = create(make_spec("stream", safe))
    start, end = ctx["start"], ctx["end"]
    warp_to(end - DAY)
    ctx["budget"].pause(sender=ctx["guardian"])
    warp_to(end + LATE)
    assert programme.advance() == EVALUATING  # the switch waits for the Budget
    ctx["budget"].unpause(sender=ctx["guardian"])
    programme.advance()
    assert programme.epoch() == 2
    assert stream.forfeited() == 0
    assert token.balanceOf(safe) == streamed(EPOCH_CAP, start, end, end - start)


def test_stop_waits_for_a_paused_budget_instead_of_forfeiting(create, make_spec, safe, token, ctx):
    """Settling while the Budget is paused would forfeit what is owed: the stop waits for the
    Budget's guardian, as an epoch switch does, and then pays in full."""
    ((programme, stream),) = create(make_spec("stream", safe, default_outcome="STOP"))
    start, end = ctx["start"], ctx["end"]
    ctx["budget"].pause(sender=ctx["guardian"])
    warp_to(end)
    assert programme.advance() == EVALUATING
    assert stream.forfeited() == 0
    ctx["budget"].unpause(sender=ctx["guardian"])
    assert programme.advance() == STOPPED
    assert token.balanceOf(safe) == streamed(EPOCH_CAP, start, end, end - start)
    assert stream.forfeited() == 0


def test_staking_stop_drips_what_stakers_earned(create, make_spec, lp_token, token, staker, ctx):
    ((programme, staking),) = create(make_spec("staking", lp_token.address, default_outcome="STOP"))
    end = ctx["end"]
    lp_token.approve(staking.address, STAKE, sender=staker)
    staking.stake(STAKE, sender=staker)
    warp_to(end)
    earned = staking.earned(staker)
    assert programme.advance() == STOPPED
    assert staking.held() >= earned
    assert token.balanceOf(staking.address) == staking.held()
    warp_to(end + LATE)
    assert staking.claim(sender=staker) == earned
