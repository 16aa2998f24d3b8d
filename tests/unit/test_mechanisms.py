"""Mechanisms: LinearStream (one recipient) and StakingRewards (pro rata among stakers).

Exact amounts: the emission clock accrues `rate * seconds // 1e18` wei per tick (rate =
cap * 1e18 // epoch length), and every mechanism call ticks it. The Python model below replays
those integer ticks and shares each tick among stakers as exact fractions, so a claim can be
compared with the real-number amount it should pay.
"""

from fractions import Fraction

import boa
import pytest

from tests.fixtures.budget import CYCLE, DAY, WAD, now
from tests.fixtures.helpers import events, warp_to
from tests.fixtures.programmes import EPOCH_CAP
from tpp.base.vocab import THROTTLE, Outcome, State, dial_id

RATE_SCALE = 10**18
WINDOW_OPEN = 14 * DAY  # the default programme's evaluation window


# --- helpers -------------------------------------------------------------------------------


def tick(cap, start, end, seconds):
    """Wei one tick of the emission clock accrues over `seconds` of an epoch [start, end]."""
    return cap * RATE_SCALE // (end - start) * seconds // RATE_SCALE


class StakingModel:
    """Replays the emission clock's ticks and shares each one exactly among the stakers."""

    def __init__(self, cap, start, end):
        self.epoch(cap, start, end)
        self.balances = {}
        self.owed = {}  # exact reward since the staker's last claim
        self.settlements = {}  # stakes and withdrawals since the staker's last claim

    def epoch(self, cap, start, end):
        self.rate = cap * RATE_SCALE // (end - start)
        self.start, self.end, self.last = start, end, max(now(), start)

    def tick(self, t):
        t0, t1 = max(self.last, self.start), min(t, self.end)
        amount = self.rate * (t1 - t0) // RATE_SCALE if t1 > t0 else 0
        self.last = t
        total = sum(self.balances.values())
        if total:
            for who, balance in self.balances.items():
                self.owed[who] = self.owed.get(who, 0) + Fraction(amount * balance, total)
            return amount
        return 0  # dropped: nobody was staked

    def _settle(self, who, t):
        self.tick(t)
        if self.balances.get(who):
            self.settlements[who] = self.settlements.get(who, 0) + 1

    def stake(self, who, amount, t):
        self._settle(who, t)
        self.balances[who] = self.balances.get(who, 0) + amount

    def withdraw(self, who, amount, t):
        self._settle(who, t)
        self.balances[who] -= amount

    def claim(self, who, t):
        """The exact amount accrued since the staker's last claim."""
        self.tick(t)
        self.settlements[who] = 0
        owed, self.owed[who] = self.owed.get(who, Fraction(0)), Fraction(0)
        return owed


def assert_fair(paid, exact, settlements=1):
    """A claim never pays more than what exactly accrued since the staker's last claim and
    loses less than 1 wei, however many stakes and withdrawals settled the staker in between:
    the contract keeps settlements unrounded and floors only the payout."""
    assert paid <= exact, (paid, exact)
    assert exact - paid < 1, (paid, exact, settlements)


# --- fixtures ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def epoch1(first_epoch):
    return first_epoch


@pytest.fixture(scope="module")
def minter_at(chain):
    return lambda address: chain.at("EpochMinter", address)


@pytest.fixture(scope="module")
def stream_programme(create, make_spec, safe):
    def make(**overrides):
        ((programme, stream),) = create(make_spec("stream", safe, **overrides))
        return programme, stream

    return make


@pytest.fixture(scope="module")
def staking_programme(create, make_spec, lp_token):
    def make(stake_token=None, **overrides):
        ((programme, staking),) = create(make_spec("staking", (stake_token or lp_token).address, **overrides))
        return programme, staking

    return make


@pytest.fixture(scope="module")
def stakers():
    return [boa.env.generate_address(name) for name in ("alice", "bob", "carol")]


@pytest.fixture(scope="module")
def fund(deployer):
    """fund(stake_token, staking, who, amount): mint stake tokens to `who` and approve."""

    def run(stake_token, staking, who, amount):
        stake_token.mint(who, amount, sender=deployer)
        stake_token.approve(staking.address, amount, sender=who)

    return run


# --- LinearStream --------------------------------------------------------------------------


def test_stream_claim_by_anyone_pays_the_recipient_what_accrued(
    stream_programme, epoch1, stranger, safe, token, budget, minter_at
):
    programme, stream = stream_programme()
    start, end = epoch1
    minter = minter_at(programme.minter())
    warp_to(start + 7 * DAY + 12_345)
    expected = tick(EPOCH_CAP, start, end, 7 * DAY + 12_345)
    assert stream.claimable() == expected
    assert stream.claim(sender=stranger) == expected
    (claimed,) = events(stream, "Claimed")
    assert (claimed.recipient, claimed.caller, claimed.amount) == (safe, stranger, expected)
    assert token.balanceOf(safe) == expected
    assert budget.minted_by(minter.address) == minter.minted() == expected
    assert stream.accrued() == stream.minted_current() == stream.total_paid() == expected
    # Within the minter's own (floored) linear unlock, at most 1 wei under it.
    assert 0 <= minter.unlocked_at(now()) - expected <= 1
    assert stream.claim(sender=stranger) == 0
    assert events(stream, "Claimed") == []
    assert token.balanceOf(safe) == expected


def test_stream_pays_nothing_before_start(stream_programme, epoch1, stranger, safe, token):
    programme, stream = stream_programme()
    start, end = epoch1
    for t in (now(), start - 1, start):
        warp_to(t)
        assert stream.claimable() == 0
        assert stream.claim(sender=stranger) == 0
    assert token.balanceOf(safe) == 0


def test_stream_stops_at_the_epoch_end(stream_programme, epoch1, stranger, safe, token):
    programme, stream = stream_programme(default_outcome="STOP")
    start, end = epoch1
    warp_to(end + 5 * DAY)
    stream.claim(sender=stranger)
    assert token.balanceOf(safe) == tick(EPOCH_CAP, start, end, end - start)
    assert EPOCH_CAP - token.balanceOf(safe) <= 1
    warp_to(end + 10 * DAY)
    assert stream.claimable() == 0


def test_settle_is_the_programmes_and_pays_what_can_be_minted(stream_programme, staking_programme, epoch1, stranger, safe, token):
    """settle() may forfeit what cannot be minted now, so nobody but the programme may call
    it (a stranger could otherwise make a Budget pause cost the recipient its accrual)."""
    programme, stream = stream_programme()
    _, staking = staking_programme()
    start, end = epoch1
    warp_to(start + DAY)
    for mechanism in (stream, staking):
        with boa.reverts("mechanism: caller is not the programme"):
            mechanism.settle(sender=stranger)
    stream.settle(sender=programme.address)
    assert token.balanceOf(safe) == tick(EPOCH_CAP, start, end, DAY)
    assert stream.forfeited() == 0


def test_stream_epochs_carry_over(stream_programme, epoch1, stranger, safe, token, budget, minter_at):
    programme, stream = stream_programme()
    start, end = epoch1
    old_minter = programme.minter()
    warp_to(start + 30 * DAY)
    first = stream.claim(sender=stranger)
    warp_to(end)
    programme.advance()
    # start_epoch paid out the rest of the old epoch before switching.
    (claimed,) = events(stream, "Claimed", call_via=programme)
    rest = tick(EPOCH_CAP, start, end, 60 * DAY)
    assert (claimed.recipient, claimed.caller, claimed.amount) == (safe, programme.address, rest)
    assert token.balanceOf(safe) == first + rest
    assert budget.minted_by(old_minter) == first + rest
    assert stream.minted_before() == first + rest
    assert (stream.minter(), stream.accrued(), stream.minted_current()) == (programme.minter(), 0, 0)
    warp_to(end + 10 * DAY)
    second = stream.claim(sender=stranger)
    assert second == tick(EPOCH_CAP, end, end + CYCLE, 10 * DAY)
    assert budget.minted_by(programme.minter()) == second
    assert budget.minted_by(old_minter) == first + rest
    assert stream.total_paid() == stream.total_minted() == token.balanceOf(safe) == first + rest + second


# --- only the programme ---------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["stream", "staking"])
def test_only_the_programme_drives_a_mechanism(
    stream_programme, staking_programme, stranger, tpp_executor, guardian, steward, epoch1, kind
):
    programme, mechanism = (stream_programme if kind == "stream" else staking_programme)()
    start, end = epoch1
    for caller in (stranger, tpp_executor, guardian, steward):
        with boa.reverts("mechanism: caller is not the programme"):
            mechanism.start_epoch(caller, end, end + CYCLE, EPOCH_CAP, sender=caller)
        with boa.reverts("mechanism: caller is not the programme"):
            mechanism.set_halted(True, sender=caller)
        with boa.reverts("mechanism: caller is not the programme"):
            mechanism.set_dial(dial_id(THROTTLE), 0, sender=caller)
    with boa.reverts("mechanism: already initialized"):
        mechanism.initialize(stranger, stranger, b"", sender=stranger)
    assert mechanism.programme() == programme.address


# --- StakingRewards: nothing staked, nothing minted ---------------------------------------


def test_time_with_nothing_staked_is_never_minted(staking_programme, epoch1, lp_token, fund, stakers, budget, minter_at):
    programme, staking = staking_programme()
    start, end = epoch1
    alice = stakers[0]
    minter = programme.minter()
    fund(lp_token, staking, alice, 5 * WAD)
    model = StakingModel(EPOCH_CAP, start, end)
    warp_to(start + 10 * DAY)  # [start, +10d): nothing staked
    staking.stake(5 * WAD, sender=alice)
    model.stake(alice, 5 * WAD, now())
    warp_to(start + 40 * DAY)
    staking.withdraw(5 * WAD, sender=alice)
    model.withdraw(alice, 5 * WAD, now())
    warp_to(start + 50 * DAY)  # [+40d, +50d): nothing staked
    lp_token.approve(staking.address, 5 * WAD, sender=alice)
    staking.stake(5 * WAD, sender=alice)
    model.stake(alice, 5 * WAD, now())
    warp_to(end)
    programme.advance()  # the new epoch drips what the old one owes
    model.tick(now())
    minted = budget.minted_by(minter)
    assert minted == staking.minted_before() == tick(EPOCH_CAP, start, end, 30 * DAY) + tick(EPOCH_CAP, start, end, 40 * DAY)
    full_stream = tick(EPOCH_CAP, start, end, end - start)
    unstaked = tick(EPOCH_CAP, start, end, 20 * DAY)
    assert minted < full_stream
    assert abs((full_stream - minted) - unstaked) <= 2  # one floor per tick
    assert minter_at(minter).minted() == minted
    paid = staking.claim(sender=alice)
    assert_fair(paid, model.claim(alice, now()))


# --- StakingRewards: pro rata, join times, rounding ------------------------------------------


def test_pro_rata_between_stakers_with_different_amounts_and_join_times(
    staking_programme, epoch1, lp_token, fund, stakers, token
):
    programme, staking = staking_programme()
    start, end = epoch1
    alice, bob = stakers[:2]
    fund(lp_token, staking, alice, 3 * WAD)
    fund(lp_token, staking, bob, WAD)
    model = StakingModel(EPOCH_CAP, start, end)
    warp_to(start)
    staking.stake(3 * WAD, sender=alice)
    model.stake(alice, 3 * WAD, now())
    warp_to(start + 30 * DAY)
    staking.stake(WAD, sender=bob)
    model.stake(bob, WAD, now())
    assert staking.earned(bob) == 0  # nothing for the time before bob staked
    warp_to(start + 60 * DAY)
    a = staking.claim(sender=alice)
    b = staking.claim(sender=bob)
    exact_a, exact_b = model.claim(alice, now()), model.claim(bob, now())
    first, second = tick(EPOCH_CAP, start, end, 30 * DAY), tick(EPOCH_CAP, start, end, 30 * DAY)
    assert exact_a == first + Fraction(3 * second, 4)
    assert exact_b == Fraction(second, 4)
    assert_fair(a, exact_a)
    assert_fair(b, exact_b)
    assert (token.balanceOf(alice), token.balanceOf(bob)) == (a, b)
    assert abs(3 * b - (a - first)) <= 4  # bob's share of the shared stretch is a third of alice's


def test_nobody_is_paid_for_time_before_they_staked(staking_programme, epoch1, lp_token, fund, stakers, token):
    programme, staking = staking_programme()
    start, end = epoch1
    alice, bob = stakers[:2]
    fund(lp_token, staking, alice, WAD)
    fund(lp_token, staking, bob, WAD)
    warp_to(start)
    staking.stake(WAD, sender=alice)
    warp_to(start + 45 * DAY)
    staking.stake(WAD, sender=bob)
    assert staking.earned(bob) == 0
    assert staking.claim(sender=bob) == 0
    assert token.balanceOf(bob) == 0
    warp_to(start + 45 * DAY + 100)
    # 100 seconds at half the rate.
    assert staking.earned(bob) == tick(EPOCH_CAP, start, end, 100) // 2


ROUNDING_SCHEDULE = [
    # (seconds after start, staker index, action, amount)
    (0, 0, "stake", 7),
    (1, 1, "stake", 10**18 + 3),
    (3_601, 2, "stake", 333_333_333_333_333_333),
    (86_399, 0, "claim", None),
    (86_400 * 3 + 17, 1, "claim", None),
    (86_400 * 5, 2, "withdraw", 111_111_111_111_111_111),
    (86_400 * 9 + 1, 2, "claim", None),
    (86_400 * 9 + 2, 0, "claim", None),
    (86_400 * 20 + 12_345, 1, "claim", None),
    (86_400 * 33, 0, "stake", 5),
    (86_400 * 41 + 7, 2, "claim", None),
    (86_400 * 41 + 8, 0, "claim", None),
    (86_400 * 89, 1, "claim", None),
]


@pytest.mark.parametrize("decimals", [18, 6])
def test_each_claim_is_within_one_wei_and_never_above(
    staking_programme, epoch1, lp_token, lp6_token, fund, stakers, token, decimals
):
    stake_token = lp_token if decimals == 18 else lp6_token
    programme, staking = staking_programme(stake_token=stake_token)
    start, end = epoch1
    model = StakingModel(EPOCH_CAP, start, end)
    scale = 1 if decimals == 18 else 10**12  # the same stakes in 6-decimal units (the 7-wei stake stays 7)
    for who in stakers:
        fund(stake_token, staking, who, 2 * 10**18)
    claims = 0
    for offset, index, action, amount in ROUNDING_SCHEDULE:
        who = stakers[index]
        warp_to(start + offset)
        if action == "stake":
            units = max(amount // scale, 1) if amount > 10 else amount
            staking.stake(units, sender=who)
            model.stake(who, units, now())
        elif action == "withdraw":
            units = amount // scale
            staking.withdraw(units, sender=who)
            model.withdraw(who, units, now())
        else:
            before = token.balanceOf(who)
            paid = staking.claim(sender=who)
            assert token.balanceOf(who) - before == paid
            assert_fair(paid, model.claim(who, now()), 1)
            claims += 1
    assert claims == 8
    assert staking.total_paid() <= staking.total_minted()


def test_a_claim_after_a_withdrawal_loses_at_most_one_wei(staking_programme, epoch1, lp_token, fund, stakers):
    """Settlements at stake and withdraw do not round: a claim after a withdrawal still loses
    at most 1 wei (a per-settlement floor once lost 1.12 wei here)."""
    programme, staking = staking_programme()
    start, end = epoch1
    model = StakingModel(EPOCH_CAP, start, end)
    alice, bob, carol = stakers
    for who in stakers:
        fund(lp_token, staking, who, 10**18 + 3)
    for offset, who, amount in ((0, alice, 7), (1, bob, 10**18 + 3), (3_601, carol, 333_333_333_333_333_333)):
        warp_to(start + offset)
        staking.stake(amount, sender=who)
        model.stake(who, amount, now())
    for offset, who in ((86_399, alice), (86_400 * 3 + 17, bob)):
        warp_to(start + offset)
        staking.claim(sender=who)
        model.claim(who, now())
    warp_to(start + 5 * DAY)
    staking.withdraw(111_111_111_111_111_111, sender=carol)
    model.withdraw(carol, 111_111_111_111_111_111, now())
    warp_to(start + 9 * DAY + 1)
    paid = staking.claim(sender=carol)
    assert_fair(paid, model.claim(carol, now()))


def test_six_decimal_stake_token_tiny_and_large_stakes(staking_programme, epoch1, lp6_token, fund, stakers, token):
    programme, staking = staking_programme(stake_token=lp6_token)
    assert lp6_token.decimals() == 6
    start, end = epoch1
    alice, bob, carol = stakers
    model = StakingModel(EPOCH_CAP, start, end)
    for who, amount in ((alice, 1), (bob, 1_000_000), (carol, 987_654_321_000)):
        fund(lp6_token, staking, who, amount)
    warp_to(start)
    for who, amount in ((alice, 1), (bob, 1_000_000), (carol, 987_654_321_000)):
        staking.stake(amount, sender=who)
        model.stake(who, amount, now())
    warp_to(start + 13 * DAY + 1)
    for who in (alice, bob, carol):
        paid = staking.claim(sender=who)
        exact = model.claim(who, now())
        assert_fair(paid, exact)
    assert token.balanceOf(alice) > 0  # one unit of a 6-decimal token still earns


# --- StakingRewards: tokens, kill, epochs, drip ---------------------------------------------


def test_stake_token_is_not_the_reward_token(staking_programme, epoch1, lp_token, fund, stakers, token):
    programme, staking = staking_programme()
    start, end = epoch1
    alice = stakers[0]
    assert staking.stake_token() == lp_token.address
    assert staking.REWARD_TOKEN() == token.address
    fund(lp_token, staking, alice, 4 * WAD)
    warp_to(start)
    staking.stake(4 * WAD, sender=alice)
    (staked,) = events(staking, "Staked")
    assert (staked.staker, staked.amount) == (alice, 4 * WAD)
    assert (lp_token.balanceOf(staking.address), lp_token.balanceOf(alice)) == (4 * WAD, 0)
    warp_to(start + 10 * DAY)
    paid = staking.claim(sender=alice)
    (reward,) = events(staking, "RewardPaid")
    assert (reward.staker, reward.amount) == (alice, paid)
    assert paid > 0 and token.balanceOf(alice) == paid
    assert lp_token.balanceOf(staking.address) == staking.total_staked() == 4 * WAD
    assert token.balanceOf(staking.address) == staking.held()
    staking.withdraw(4 * WAD, sender=alice)
    (withdrawn,) = events(staking, "Withdrawn")
    assert (withdrawn.staker, withdrawn.amount) == (alice, 4 * WAD)
    assert lp_token.balanceOf(alice) == 4 * WAD
    assert token.balanceOf(alice) == paid


@pytest.mark.parametrize("when", ["killed", "stopped", "halted"])
def test_withdraw_is_always_possible(staking_programme, epoch1, lp_token, fund, stakers, token, tpp_executor, guardian, when):
    programme, staking = staking_programme(default_outcome="STOP")
    start, end = epoch1
    alice = stakers[0]
    fund(lp_token, staking, alice, 2 * WAD)
    warp_to(start)
    staking.stake(2 * WAD, sender=alice)
    warp_to(start + 10 * DAY)
    if when == "killed":
        programme.kill(sender=tpp_executor)
        assert programme.state() == State["KILLED"]
    elif when == "halted":
        programme.halt(sender=guardian)
    else:
        warp_to(end)
        assert programme.advance() == State["STOPPED"]
    earned = staking.earned(alice)
    warp_to(now() + 30 * DAY)
    assert staking.earned(alice) == earned  # nothing accrues after the end, the kill or the halt
    staking.withdraw(2 * WAD, sender=alice)
    assert lp_token.balanceOf(alice) == 2 * WAD
    assert staking.total_staked() == 0
    if when == "killed":
        # The kill dripped what had accrued, so the claim is a plain transfer from the contract.
        assert staking.claim(sender=alice) == earned
        assert token.balanceOf(alice) == earned
        assert earned > 0


def test_stakers_carry_over_to_the_next_epoch(staking_programme, epoch1, lp_token, fund, stakers, token, budget):
    programme, staking = staking_programme()
    start, end = epoch1
    alice = stakers[0]
    model = StakingModel(EPOCH_CAP, start, end)
    fund(lp_token, staking, alice, WAD)
    warp_to(start)
    staking.stake(WAD, sender=alice)
    model.stake(alice, WAD, now())
    warp_to(end)
    programme.advance()
    model.tick(now())
    at_switch = staking.earned(alice)
    new_minter = programme.minter()
    model.epoch(EPOCH_CAP, end, end + CYCLE)
    warp_to(end + 10 * DAY)
    assert staking.earned(alice) > at_switch  # no re-stake needed
    assert staking.balanceOf(alice) == WAD
    paid = staking.claim(sender=alice)
    assert_fair(paid, model.claim(alice, now()))
    assert budget.minted_by(new_minter) == tick(EPOCH_CAP, end, end + CYCLE, 10 * DAY)
    assert paid > tick(EPOCH_CAP, start, end, end - start)


def test_drip_mints_into_the_contract_and_claims_are_transfers(
    staking_programme, epoch1, lp_token, fund, stakers, token, budget, stranger
):
    programme, staking = staking_programme()
    start, end = epoch1
    alice, bob = stakers[:2]
    fund(lp_token, staking, alice, WAD)
    fund(lp_token, staking, bob, 3 * WAD)
    warp_to(start)
    staking.stake(WAD, sender=alice)
    staking.stake(3 * WAD, sender=bob)
    warp_to(start + 10 * DAY)
    amount = staking.drip(sender=stranger)
    (dripped,) = events(staking, "Dripped")
    assert (dripped.caller, dripped.amount) == (stranger, amount)
    assert amount == tick(EPOCH_CAP, start, end, 10 * DAY)
    assert token.balanceOf(staking.address) == staking.held() == amount
    assert budget.total_minted() == amount
    supply = token.totalSupply()
    paid = staking.claim(sender=alice) + staking.claim(sender=bob)
    assert budget.total_minted() == amount  # the claims minted nothing
    assert token.totalSupply() == supply
    assert staking.held() == amount - paid
    assert token.balanceOf(staking.address) == amount - paid
    assert amount - paid <= 2  # dust from flooring
    assert staking.drip(sender=stranger) == 0  # nothing new accrued in this block
    # Later, a claim larger than what is held drips first.
    warp_to(start + 20 * DAY)
    staking.claim(sender=alice)
    assert budget.total_minted() == amount + tick(EPOCH_CAP, start, end, 10 * DAY)


def test_paid_within_minted_within_caps(staking_programme, epoch1, lp_token, fund, stakers, token, budget, tpp_executor):
    programme, staking = staking_programme()
    start, end = epoch1
    for index, who in enumerate(stakers):
        fund(lp_token, staking, who, (index + 1) * WAD)
    minters = [programme.minter()]
    steps = [
        (start, lambda: staking.stake(WAD, sender=stakers[0])),
        (start + DAY, lambda: staking.stake(2 * WAD, sender=stakers[1])),
        (start + 20 * DAY, lambda: staking.claim(sender=stakers[0])),
        (start + 50 * DAY, lambda: staking.stake(3 * WAD, sender=stakers[2])),
        (end - WINDOW_OPEN, lambda: programme.decide(Outcome["ITERATE"], EPOCH_CAP * 11 // 10, sender=tpp_executor)),
        (end + DAY, programme.advance),
        (end + 2 * DAY, lambda: minters.append(programme.minter())),
        (end + 30 * DAY, lambda: staking.withdraw(2 * WAD, sender=stakers[1])),
        (end + 60 * DAY, lambda: staking.claim(sender=stakers[2])),
        (end + CYCLE, programme.advance),
        (end + CYCLE + DAY, lambda: [staking.claim(sender=who) for who in stakers]),
    ]
    for t, step in steps:
        warp_to(t)
        step()
        paid = sum(token.balanceOf(who) for who in stakers)
        assert paid == staking.total_paid() <= staking.total_minted()
    minters.append(programme.minter())
    caps = {m: budget.schedule_of(m)[0] for m in minters}
    for minter, cap in caps.items():
        assert budget.minted_by(minter) <= cap
    assert staking.total_minted() == sum(budget.minted_by(m) for m in caps) <= sum(caps.values())
    assert caps[minters[1]] == EPOCH_CAP * 11 // 10 * (CYCLE - DAY) // CYCLE


def test_staking_reverts(staking_programme, epoch1, lp_token, fund, stakers):
    programme, staking = staking_programme()
    alice, bob = stakers[:2]
    fund(lp_token, staking, alice, WAD)
    with boa.reverts("staking: zero amount"):
        staking.stake(0, sender=alice)
    with boa.reverts("staking: zero amount"):
        staking.withdraw(0, sender=alice)
    with boa.reverts("staking: amount above stake"):
        staking.withdraw(1, sender=alice)
    staking.stake(WAD, sender=alice)
    with boa.reverts("staking: amount above stake"):
        staking.withdraw(WAD + 1, sender=alice)
    with boa.reverts("staking: amount above stake"):
        staking.withdraw(1, sender=bob)
    assert staking.claim(sender=bob) == 0
