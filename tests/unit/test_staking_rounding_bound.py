"""StakingRewards' rounding bound at its total-stake limit (see the header of StakingRewards.vy).

Each tick adds floor(amount * 1e36 / total_staked) to the accumulator, so a staker holding
`balance` loses less than balance / 1e36 wei per tick to that floor, and its payout floors once
(less than 1 wei). A claim after k ticks therefore pays at most E, the staker's exact pro-rata
share of what those ticks accrued, and more than E - 1 - Σ_ticks balance / 1e36. `stake` keeps
total_staked at most 1e30 units, so that is more than E - 1 - k / 1e6 wei: floor(E), or one wei
less, for up to a million ticks, and no tick of at least 1 wei is lost to the accumulator
(each adds at least 1e6). A stake that would take the total above the limit reverts. (Without
the limit: above 1e36 units a tick can withhold whole wei, and one worth less than
total_staked / 1e36 wei credits nobody while it is still minted.)

The stakes here sit right at the limit, then one unit under it (where the accumulator's steps
have remainders), at a tiny rate over a long epoch: 10 million wei over 360 days, a third of a
wei per second, so a tick accrues from nothing to a few thousand wei. Both for a 6- and an
18-decimal stake token: the limit is in units, whatever the decimals.
"""

import random
from fractions import Fraction

import boa
import pytest

from tests.fixtures.budget import now

MAX_TOTAL_STAKE = 10**30  # StakingRewards._MAX_TOTAL_STAKE
ACC_SCALE = 10**36  # StakingRewards._ACC_SCALE
RATE_SCALE = 10**18  # emission._RATE_SCALE
LIMIT = "staking: total stake above limit"
TINY_CAP = 10**7  # wei over the whole epoch
EPOCH_CYCLES = 4  # the epoch lasts four 90-day cycles
ROUNDS = 240  # ticks driven by the test


@pytest.fixture(scope="module", params=[6, 18], ids=["6-decimals", "18-decimals"])
def stake_token(request, lp6_token, lp_token):
    token = lp6_token if request.param == 6 else lp_token
    assert token.decimals() == request.param
    return token


@pytest.fixture(scope="module")
def stakers():
    return [boa.env.generate_address(name) for name in ("alice", "bob", "carol")]


@pytest.fixture
def fund(stake_token, deployer):
    def run(staking, who, amount):
        stake_token.mint(who, amount, sender=deployer)
        stake_token.approve(staking.address, amount, sender=who)

    return run


def warp(seconds):
    boa.env.time_travel(seconds=seconds)


def test_stakes_up_to_the_limit_and_not_above(create, make_spec, stake_token, stakers, fund):
    ((programme, staking),) = create(make_spec("staking", stake_token.address))
    alice, bob, carol = stakers
    for who in stakers:
        fund(staking, who, MAX_TOTAL_STAKE + 1)
    with boa.reverts(LIMIT):
        staking.stake(MAX_TOTAL_STAKE + 1, sender=alice)
    staking.stake(MAX_TOTAL_STAKE - 1, sender=alice)
    with boa.reverts(LIMIT):
        staking.stake(2, sender=bob)
    staking.stake(1, sender=bob)
    assert staking.total_staked() == MAX_TOTAL_STAKE  # right at the limit
    with boa.reverts(LIMIT):
        staking.stake(1, sender=carol)
    # The limit is on the total: a withdrawal makes room again.
    staking.withdraw(1, sender=alice)
    staking.stake(1, sender=carol)
    assert staking.total_staked() == MAX_TOTAL_STAKE
    assert [staking.balanceOf(who) for who in stakers] == [MAX_TOTAL_STAKE - 2, 1, 1]


class Share:
    """One staker's exact share of the ticks since its last claim, and the bound of what
    rounding may withhold from it."""

    def __init__(self, balance):
        self.balance = balance
        self.exact = Fraction(0)
        self.slack = Fraction(0)  # Σ balance / 1e36 over the ticks since the last claim
        self.ticks = 0

    def tick(self, amount, total):
        if amount:
            self.exact += Fraction(amount * self.balance, total)
            self.slack += Fraction(self.balance, ACC_SCALE)
            self.ticks += 1

    def claimed(self, paid):
        exact, floored = self.exact, self.exact.numerator // self.exact.denominator
        assert paid <= exact, (paid, exact)
        assert exact - paid < 1 + self.slack, (paid, exact, self.slack)
        # The "1 wei per claim": with total_staked <= 1e30, slack < ticks / 1e6 <= 1 here.
        assert self.slack <= Fraction(self.ticks, 10**6) <= 1
        assert paid >= floored - 1, (paid, exact)
        self.exact, self.slack, self.ticks = Fraction(0), Fraction(0), 0


def test_claims_at_the_limit_stay_within_the_bound(create, make_spec, budget, first_epoch, stake_token, stakers, fund, token):
    cycle = budget.cycle_length()
    start = first_epoch[0]
    end = start + EPOCH_CYCLES * cycle
    spec = make_spec("staking", stake_token.address, epoch_cap=TINY_CAP, first_end=end, epoch_duration=EPOCH_CYCLES * cycle)
    ((programme, staking),) = create(spec)
    assert staking.rate() == TINY_CAP * RATE_SCALE // (end - start) < RATE_SCALE  # under a wei per second
    alice, bob, carol = stakers
    stakes = {alice: MAX_TOTAL_STAKE - 3, bob: 2, carol: 1}
    for who, amount in stakes.items():
        fund(staking, who, amount)
    warp(start - now())
    for who, amount in stakes.items():
        staking.stake(amount, sender=who)
    assert staking.total_staked() == MAX_TOTAL_STAKE
    shares = {who: Share(amount) for who, amount in stakes.items()}
    rng = random.Random(stake_token.decimals())
    claims = 0

    def ticked(call, *args, **kwargs):
        """Make a call that ticks the clock; the accumulator steps by exactly
        floor(amount * 1e36 / total), at least 1e6 per wei; share the tick exactly."""
        total, accrued, rpt = staking.total_staked(), staking.accrued(), staking.reward_per_token()
        result = call(*args, **kwargs)
        amount = staking.accrued() - accrued
        assert staking.reward_per_token() - rpt == amount * ACC_SCALE // total
        assert amount * ACC_SCALE // total >= amount * 10**6
        for share in shares.values():
            share.tick(amount, total)
        return result

    for round_ in range(ROUNDS):
        if round_ == ROUNDS // 2:
            # One unit under the limit: 1e36 / (1e30 - 1) is no longer whole.
            ticked(staking.withdraw, 1, sender=carol)
            shares[carol].balance -= 1
            assert staking.total_staked() == MAX_TOTAL_STAKE - 1
        warp(rng.choice([1, 2, rng.randint(3, 600), rng.randint(600, 20_000)]))
        if rng.random() < 0.15:
            who = rng.choice(stakers)
            paid = ticked(staking.claim, sender=who)
            shares[who].claimed(paid)
            claims += 1
        else:
            ticked(staking.drip)
    for who in stakers:
        shares[who].claimed(ticked(staking.claim, sender=who))
    assert claims > 20 and token.balanceOf(alice) > 0
    assert now() < end  # all within the one long epoch
    assert sum(token.balanceOf(who) for who in stakers) == staking.total_paid() <= staking.total_minted()
