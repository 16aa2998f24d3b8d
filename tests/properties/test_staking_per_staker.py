"""No staker is ever paid out of another staker's accrual: StakingRewards under a real
programme, as a hypothesis state machine with an exact per-staker model.

Each run creates one staking programme (the real factory, Budget and token of tests/fixtures;
30-day decision cycles with 10-day windows; CONTINUE or STOP by default, at most 3 epochs, a
PAUSE of at most 20 days) and lets role-named actors act at random: three stakers stake,
withdraw and claim; anyone drips and advances; the TPP executor decides (STOP, CONTINUE,
ITERATE, PAUSE), resumes and kills, also while the Budget is paused; the guardian halts and
lifts halts and pauses and unpauses the Budget; the steward moves the throttle dial; the clock
moves by small and large steps, onto the instants that matter, and through Budget pauses that
outlast an epoch's end by more than the 30-day claim grace epoch minters used to have.

The model (`Ledger`) keeps each staker's entitlement exactly (fractions.Fraction): the integral
over time of (their stake / the total stake) x the emission rate accruing, which is
`rate() * throttle_bps / 10_000 / 1e18` wei per second inside the epoch window (`rate()` read
when each epoch opens, checked against cap * 1e18 // length), and nothing while halted,
outside epochs, after the programme's end or with nothing staked. The contract rounds in
three places, each time in its own favour:
- the emission clock's tick floors what accrued since the last tick (emission.vy): less than
  1 wei per tick, of which a staker's part is less than balance / total_staked;
- the accumulator floors each tick's `amount * 1e36 // total_staked` (StakingRewards.vy): less
  than balance / 1e36 wei per tick for a staker;
- a payout floors the staker's settled reward, and so does `earned()`: less than 1 wei each.
The model replays the contract's ticks (a tick sets `last_update` to now; every change of a
stake, the halt, the throttle or the epoch ticks first), so for every staker, after every step:
  (a) paid + earned <= entitlement: nobody is paid for time before they joined, nor any of
      another staker's share;
  (b) entitlement - (paid + earned) < Σ_ticks balance / total_staked + Σ_ticks balance / 1e36
      + paying claims + 1 (the rounding above, summed over the staker's own ticks and claims);
  (c) the stakers were paid at most what was minted into the contract, which holds the rest;
and at teardown, once the Budget is unpaused and the programme final (it runs to its end, or
is killed):
  (d) every staker's claim pays all they are entitled to, within (b)'s bound: nothing
      stranded beyond that rounding, and nothing forfeited (`forfeited() == 0`).

The tests at the bottom reproduce the defect directly: a forfeited epoch (a kill while the
Budget is paused; a settlement after the old claim grace, through a long Budget pause or a
late keeper) left stakers' `earned` counting what was never minted, paid first come, first
served from `held`, including the next epoch's emission owed to other stakers.
"""

import sys
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, ClassVar

import boa
import pytest
from boa.contracts.base_evm_contract import BoaError
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule, run_state_machine_as_test

from tests.fixtures.budget import DAY, WAD, now
from tpp.base.vocab import ZERO_ADDRESS, Outcome, State, dial_id

FINAL = (State["STOPPED"], State["KILLED"])
PAUSED = State["PAUSED"]
STOP, CONTINUE, ITERATE, PAUSE = (Outcome[name] for name in ("STOP", "CONTINUE", "ITERATE", "PAUSE"))
BPS = 10_000
RATE_SCALE = 10**18  # emission.vy's fixed-point scale of `rate`
ACC_SCALE = 10**36  # StakingRewards.vy's accumulator scale
THROTTLE_ID = dial_id("throttle_bps")
STAKERS = ("alice", "bob", "carol")
STAKE_FUNDS = 1_000 * WAD  # stake tokens each staker starts with
# The decision calendar of these runs: 30-day cycles (one epoch each), 10-day windows.
CYCLE = 30 * DAY
WINDOW = 10 * DAY
MAX_PAUSE = 20 * DAY
# The claim grace epoch minters used to have: a settlement later than this forfeited.
OLD_GRACE = 30 * DAY
# Most transitions the teardown applies to bring a programme to its end.
TEARDOWN_STEPS = 16


def attempt(fn, *args, **kwargs):
    """Call fn: (its result, None) if it succeeded, else (None, its revert reason)."""
    try:
        return fn(*args, **kwargs), None
    except BoaError as error:
        return None, error.stack_trace.last_frame.pretty_vm_reason or "<no reason>"


def warp(seconds):
    boa.env.time_travel(seconds=max(seconds, 1))


def floor(x: Fraction) -> int:
    return x.numerator // x.denominator


# --- the model -----------------------------------------------------------------------------


@dataclass
class Account:
    """What the model knows about one staker."""

    address: str
    balance: int = 0  # stake token units staked
    paid: int = 0  # reward wei its claims paid
    claims: int = 0  # claims that paid something: each floors its payout once (< 1 wei)
    entitled: Fraction = Fraction(0)  # the integral of its share of the accruing rate, to the last tick
    ticked: Fraction = Fraction(0)  # its share of what the (floored) ticks accrued
    tick_slack: Fraction = Fraction(0)  # Σ balance / total over its ticks: bounds the tick floors' part
    acc_slack: Fraction = Fraction(0)  # Σ balance / 1e36 over its ticks: bounds the accumulator floors'

    def bound(self, share=Fraction(0), virtual_amount=0):
        """The rounding bound of (b), with a virtual tick now (what `earned()` counts)."""
        slack = self.tick_slack + self.acc_slack + self.claims + 1
        if share:
            slack += share
            if virtual_amount:
                slack += Fraction(self.balance, ACC_SCALE)
        return slack


@dataclass
class Clock:
    """The model's emission clock: the parameters in force since the last tick."""

    minter: str = ZERO_ADDRESS
    rate: int = 0  # wei * 1e18 per second, at full throttle
    start: int = 0
    end: int = 0
    last: int = 0  # when the contract last ticked (or its epoch clock starts)
    throttle: int = BPS
    halted: bool = False  # a guardian halt or a kill
    ended: bool = False  # the programme is final: nothing accrues any more

    def emission(self, t, total):
        """Exact wei accruing over (last, t] (before the tick's floor)."""
        if self.halted or self.ended or total == 0:
            return Fraction(0)
        t0, t1 = max(self.last, self.start), min(t, self.end)
        if t1 <= t0:
            return Fraction(0)
        return Fraction(self.rate * (t1 - t0) * self.throttle, BPS * RATE_SCALE)


@dataclass
class Ledger:
    """Per-staker entitlements of one staking programme, replaying the contract's ticks."""

    chain: Any
    programme: Any
    mech: Any
    token: Any
    accounts: dict = field(default_factory=dict)  # address -> Account
    clock: Clock = field(default_factory=Clock)
    accrued: int = 0  # Σ floored ticks with something staked: what the contract owes in all
    ticks: int = 0
    epochs: int = 0

    def __post_init__(self):
        self.sync_epoch()
        self.check_parameters()

    def account(self, address):
        if address not in self.accounts:
            self.accounts[address] = Account(address)
        return self.accounts[address]

    @property
    def total(self):
        return sum(a.balance for a in self.accounts.values())

    def sync_epoch(self):
        """The epoch the mechanism now points at: its window and the contract's own rate."""
        address = self.mech.minter()
        assert self.programme.minter() == address, "the mechanism mints through another minter"
        cap = self.chain.at("EpochMinter", address).CAP()
        start, end = self.programme.epoch_start(), self.programme.epoch_end()
        assert (self.mech.epoch_start(), self.mech.epoch_end()) == (start, end)
        rate = self.mech.rate()
        assert rate == cap * RATE_SCALE // (end - start), f"rate {rate} for cap {cap} over {end - start} s"
        self.clock.minter, self.clock.rate, self.clock.start, self.clock.end = address, rate, start, end
        self.clock.last = max(now(), start)
        self.epochs += 1

    def tick(self, t):
        """The contract ticked at t: share what accrued since the last tick among the stakers."""
        total = self.total
        exact = self.clock.emission(t, total)
        if exact:
            amount = floor(exact)
            for acct in self.accounts.values():
                if acct.balance:
                    share = Fraction(acct.balance, total)
                    acct.entitled += exact * share
                    acct.ticked += amount * share
                    acct.tick_slack += share
                    if amount:
                        acct.acc_slack += Fraction(acct.balance, ACC_SCALE)
            self.accrued += amount
            self.ticks += 1
        self.clock.last = t

    def observe(self, stakes=None, halted=None, throttle=None):
        """After every call: replay the tick it made (if any), then apply what it changed
        (stake deltas by address, the halt, the throttle) and follow an epoch switch."""
        t = now()
        switched = self.mech.minter() != self.clock.minter
        changed = bool(stakes) or halted is not None or throttle is not None or switched
        if changed:
            # Every change ticks first, so what accrued before it is counted at the old values.
            assert self.mech.last_update() >= t, "a change without a tick first"
        if (self.mech.last_update() == t or switched) and self.clock.last != t:
            self.tick(t)
        for address, delta in (stakes or {}).items():
            self.account(address).balance += delta
        if halted is not None:
            self.clock.halted = halted
        if throttle is not None:
            self.clock.throttle = throttle
        if switched:
            self.sync_epoch()
        if self.programme.state() in FINAL:
            self.clock.ended = True
        self.check_parameters()

    def check_parameters(self):
        """The model's stakes, halt and throttle are the contract's."""
        mech = self.mech
        assert mech.total_staked() == self.total
        for acct in self.accounts.values():
            assert mech.balanceOf(acct.address) == acct.balance
        if not self.clock.ended:
            assert mech.halted() == self.clock.halted, f"halted: contract {mech.halted()}, model {self.clock.halted}"
        assert mech.throttle_bps() == self.clock.throttle

    def claimed(self, address, paid):
        acct = self.account(address)
        acct.paid += paid
        if paid:
            acct.claims += 1

    def check_staker(self, acct):
        """(a) and (b) for one staker, now; returns (entitlement, paid + earned, bound)."""
        total = self.total
        exact = self.clock.emission(now(), total)
        amount = floor(exact)
        share = Fraction(acct.balance, total) if total else Fraction(0)
        entitled = acct.entitled + exact * share
        ticked = acct.ticked + amount * share
        bound = acct.bound(share if exact else Fraction(0), amount)
        earned = self.mech.earned(acct.address)
        got = acct.paid + earned
        who = f"staker {acct.address}"
        assert got <= ticked <= entitled, f"{who}: paid {acct.paid} + earned {earned} > entitled {float(entitled)}"
        assert entitled - got < bound, f"{who}: paid {acct.paid} + earned {earned} of {float(entitled)} (bound {float(bound)})"
        return entitled, got, bound

    def check(self):
        """(a) and (b) per staker, (c) for the contract, and nothing forfeited."""
        for acct in self.accounts.values():
            self.check_staker(acct)
        mech = self.mech
        paid = sum(a.paid for a in self.accounts.values())
        minted = mech.total_minted()
        assert paid == sum(self.token.balanceOf(a) for a in self.accounts), "stakers hold only what claims paid"
        assert paid <= minted <= self.accrued, f"paid {paid}, minted {minted}, accrued {self.accrued}"
        assert mech.held() == minted - paid == self.token.balanceOf(mech.address)
        assert forfeited(mech) == 0, f"{forfeited(mech)} wei forfeited"

    def claim_all(self, order=None):
        """Every staker claims (in `order`); each claim must succeed."""
        for address in order or list(self.accounts):
            before = self.token.balanceOf(address)
            paid = self.mech.claim(sender=address)
            assert self.token.balanceOf(address) - before == paid
            self.claimed(address, paid)
            self.observe()

    def assert_paid_in_full(self):
        """(d), after everyone's last claim: each staker was paid their entitlement within the
        bound, only rounding dust stayed behind, nothing was forfeited."""
        report, short, dust_bound = [], [], Fraction(0)
        for acct in self.accounts.values():
            entitled, got, bound = self.check_staker(acct)
            report.append(f"{acct.address} paid {acct.paid} of {floor(entitled)} (earned {got - acct.paid})")
            if entitled - acct.paid >= bound:
                short.append(acct.address)
            dust_bound += acct.acc_slack + acct.claims + 1
        assert not short, f"stakers not paid their entitlement: {'; '.join(report)}"
        assert forfeited(self.mech) == 0, f"{forfeited(self.mech)} wei forfeited"
        dust = self.accrued - sum(a.paid for a in self.accounts.values())
        assert 0 <= dust < dust_bound, f"{dust} wei accrued and never paid (rounding allows {float(dust_bound)})"


def forfeited(mech):
    """`forfeited()` where the contract still has it (forfeiture is designed away)."""
    view = getattr(mech, "forfeited", None)
    return view() if view is not None else 0


# --- the machine ---------------------------------------------------------------------------


class PerStakerMachine(RuleBasedStateMachine):
    """Built by `make_machine` with the module's fixtures in `fx`."""

    fx: ClassVar[dict] = {}

    @initialize(
        delay=st.sampled_from([3_600, DAY, 5 * DAY, None]),
        default=st.sampled_from(["CONTINUE", "STOP"]),
        first=st.integers(1, STAKE_FUNDS),
        others=st.lists(st.one_of(st.just(0), st.integers(1, 10**6), st.integers(1, STAKE_FUNDS)), min_size=2, max_size=2),
    )
    def create_programme(self, delay, default, first, others):
        """The programme, and the stakers' first stakes (0: none; alice always stakes)."""
        fx = self.fx
        self.budget, self.token, self.lp = fx["budget"], fx["token"], fx["lp_token"]
        if delay is None:
            start = self.budget.next_cycle_boundary(now())
            end = start + self.budget.cycle_length()
        else:
            start = now() + delay
            end = self.budget.next_cycle_boundary(start + WINDOW)
        spec = fx["make_spec"](
            "staking",
            self.lp.address,
            first_start=start,
            first_end=end,
            window_length=WINDOW,
            default_outcome=default,
            max_epochs=3,
            max_pause=MAX_PAUSE,
        )
        ((self.programme, self.mech),) = fx["create"](spec)
        self.stakers = [boa.env.generate_address(name) for name in STAKERS]
        for staker in self.stakers:
            self.lp.mint(staker, STAKE_FUNDS, sender=fx["deployer"])
            self.lp.approve(self.mech.address, 2**256 - 1, sender=staker)
        self.anyone = [*self.stakers, fx["keeper"]]
        self.ledger = Ledger(fx["chain"], self.programme, self.mech, self.token)
        for staker, amount in zip(self.stakers, [first, *others]):
            self.ledger.account(staker)
            if amount:
                self.mech.stake(amount, sender=staker)
                self.ledger.observe(stakes={staker: amount})

    # --- stakers ------------------------------------------------------------------------

    @rule(data=st.data())
    def stake(self, data):
        staker = data.draw(st.sampled_from(self.stakers), label="staker")
        free = self.lp.balanceOf(staker)
        if free == 0:
            return
        amount = min(free, data.draw(st.one_of(st.integers(1, free), st.just(free), st.integers(1, 10**6)), label="amount"))
        self.mech.stake(amount, sender=staker)
        self.ledger.observe(stakes={staker: amount})

    @rule(data=st.data())
    def withdraw(self, data):
        staker = data.draw(st.sampled_from(self.stakers), label="staker")
        staked = self.ledger.account(staker).balance
        if staked == 0:
            return
        amount = data.draw(st.one_of(st.integers(1, staked), st.just(staked)), label="amount")
        # Stakes can always be withdrawn, whatever the programme's and the Budget's state.
        self.mech.withdraw(amount, sender=staker)
        self.ledger.observe(stakes={staker: -amount})

    @rule(data=st.data())
    def claim(self, data):
        staker = data.draw(st.sampled_from(self.stakers), label="staker")
        mech = self.mech
        earned, held = mech.earned(staker), mech.held()
        before = self.token.balanceOf(staker)
        paid, reason = attempt(mech.claim, sender=staker)
        if reason is not None:
            # Only a claim that has to drip can revert: the Budget refuses the mint.
            assert self.budget.paused() and earned > held, f"a claim reverted: {reason}"
            event("claim: reverted, the Budget is paused")
        else:
            assert self.token.balanceOf(staker) - before == paid
            # A claim pays what the staker earned, or (while nothing can be minted) part of
            # it; what it does not pay stays earned.
            assert paid <= earned and mech.earned(staker) == earned - paid
            event(f"claim: {'nothing' if not earned else 'short' if paid < earned else 'paid'}")
            self.ledger.claimed(staker, paid)
        self.ledger.observe()

    @rule(data=st.data())
    def drip(self, data):
        caller = data.draw(st.sampled_from(self.anyone), label="caller")
        _, reason = attempt(self.mech.drip, sender=caller)
        event(f"drip: {reason or 'ok'}")
        self.ledger.observe()

    # --- keepers and governance ------------------------------------------------------------

    @rule(data=st.data())
    def advance(self, data):
        caller = data.draw(st.sampled_from(self.anyone), label="caller")
        self.programme.advance(sender=caller)
        self.ledger.observe()

    def in_window(self):
        p = self.programme
        return p.state() not in (*FINAL, PAUSED) and p.epoch_end() - p.window_length() <= now() < p.epoch_end()

    @precondition(in_window)
    @rule(data=st.data())
    def decide(self, data):
        p = self.programme
        outcome = data.draw(st.sampled_from([STOP, CONTINUE, ITERATE, PAUSE]), label="outcome")
        new_cap = 0
        if outcome == ITERATE:
            cap = p.epoch_cap()
            bound = cap * p.iterate_cap_bps() // BPS
            new_cap = data.draw(st.integers(cap - bound, cap + bound), label="new cap")
        _, reason = attempt(p.decide, outcome, new_cap, sender=self.fx["executor"])
        event(f"decide {Outcome.label(outcome)}: {reason or 'ok'}")
        self.ledger.observe()

    @precondition(lambda self: self.programme.state() == PAUSED)
    @rule()
    def resume(self):
        _, reason = attempt(self.programme.resume, sender=self.fx["executor"])
        event(f"resume: {reason or 'ok'}")
        self.ledger.observe()

    def live(self):
        return self.programme.state() not in FINAL

    @precondition(live)
    @rule(data=st.data())
    def kill(self, data):
        if data.draw(st.integers(0, 7), label="kill now") != 7:
            return  # a kill ends the run's interesting part: not too often
        if data.draw(st.booleans(), label="while the Budget is paused") and not self.budget.paused():
            self.budget.pause(sender=self.fx["guardian"])
        _, reason = attempt(self.programme.kill, sender=self.fx["executor"])
        if reason is None:
            event(f"kill{' while the Budget is paused' if self.budget.paused() else ''}")
            self.ledger.observe(halted=True)
        else:
            assert reason == "programme: ended", reason
            self.ledger.observe()

    @precondition(lambda self: self.live() and not self.programme.halted())
    @rule(data=st.data())
    def halt_for_a_while(self, data):
        """The guardian halts the programme, someone acts during the halt, and most often the
        halt is lifted again. With part of the accrual dripped first, claims during the halt
        are paid from `held` only, which also holds the other stakers' accrual."""
        if data.draw(st.booleans(), label="drip first"):
            attempt(self.mech.drip, sender=self.fx["keeper"])
            self.ledger.observe()
            warp(data.draw(st.integers(1, 5 * DAY), label="seconds"))
            self.ledger.observe()
        _, reason = attempt(self.programme.halt, sender=self.fx["guardian"])
        event(f"halt: {reason or 'ok'}")
        self.ledger.observe(halted=True if reason is None else None)
        warp(data.draw(st.integers(1, 5 * DAY), label="halted for"))
        self.ledger.observe()
        self.then_someone_acts(data)
        if data.draw(st.integers(0, 3), label="keep halted") != 3:
            self.unhalt()

    @precondition(lambda self: self.live() and self.programme.halted())
    @rule()
    def unhalt(self):
        _, reason = attempt(self.programme.unhalt, sender=self.fx["guardian"])
        event(f"unhalt: {reason or 'ok'}")
        self.ledger.observe(halted=False if reason is None else None)

    @precondition(live)
    @rule(data=st.data())
    def move_throttle(self, data):
        p = self.programme
        value, lower, upper, step, cooldown, last = p.dial(THROTTLE_ID)
        new_value = data.draw(st.integers(max(lower, value - step), min(upper, value + step)), label="throttle")
        _, reason = attempt(p.move_dial, THROTTLE_ID, new_value, "per-staker test", sender=self.fx["steward"])
        event(f"throttle: {reason or 'ok'}")
        self.ledger.observe(throttle=new_value if reason is None else None)

    @precondition(lambda self: not self.budget.paused())
    @rule(data=st.data())
    def pause_budget_for_a_while(self, data):
        """The Budget's guardian brake (the same guardian address in these fixtures): someone
        acts while it is on, and most often it is released again."""
        self.budget.pause(sender=self.fx["guardian"])
        self.ledger.observe()
        warp(data.draw(st.integers(1, 10 * DAY), label="paused for"))
        self.ledger.observe()
        self.then_someone_acts(data)
        if data.draw(st.integers(0, 3), label="keep paused") != 3:
            self.unpause_budget()

    @precondition(lambda self: self.budget.paused())
    @rule()
    def unpause_budget(self):
        self.budget.unpause(sender=self.fx["guardian"])
        self.ledger.observe()

    # --- time -----------------------------------------------------------------------------

    def then_someone_acts(self, data):
        """After a warp, most often a staker or a keeper acts, so the clock ticks."""
        action = data.draw(st.sampled_from(["claim", "stake", "withdraw", "drip", None]), label="then")
        if action is not None:
            getattr(self, action)(data)

    @rule(seconds=st.integers(1, 3 * DAY), data=st.data())
    def warp_a_little(self, seconds, data):
        warp(seconds)
        self.ledger.observe()
        self.then_someone_acts(data)

    @rule(seconds=st.integers(DAY, 7 * DAY), data=st.data())
    def warp_a_lot(self, seconds, data):
        warp(seconds)
        self.ledger.observe()
        self.then_someone_acts(data)

    @rule(data=st.data())
    def warp_to_an_edge(self, data):
        """Onto (±1 s) the epoch start, the window opening, the epoch end, the end of the old
        claim grace, or the end of a pause."""
        p, t = self.programme, now()
        end = p.epoch_end()
        edges = [p.epoch_start(), end - p.window_length(), end, end + OLD_GRACE]
        if p.state() == PAUSED:
            edges.append(p.paused_at() + MAX_PAUSE)
        ahead = sorted({x + d - t for x in edges for d in (-1, 0, 1) if x + d > t})
        warp(data.draw(st.sampled_from(ahead), label="seconds") if ahead else DAY)
        self.ledger.observe()
        self.then_someone_acts(data)

    @rule(data=st.data())
    def long_budget_pause(self, data):
        """The Budget is paused over the epoch end and longer than the old claim grace."""
        if data.draw(st.integers(0, 7), label="pause long now") != 7:
            return  # it ends the epoch: not too often
        if not self.budget.paused():
            self.budget.pause(sender=self.fx["guardian"])
        beyond = data.draw(st.integers(OLD_GRACE + 1, OLD_GRACE + 20 * DAY), label="beyond the end")
        warp(max(now(), self.programme.epoch_end()) + beyond - now())
        self.ledger.observe()
        unpause = data.draw(st.booleans(), label="unpause")
        event(f"long Budget pause{', then unpaused' if unpause else ''}")
        if unpause:
            self.budget.unpause(sender=self.fx["guardian"])
            self.ledger.observe()

    # --- invariants -----------------------------------------------------------------------

    @invariant()
    def per_staker(self):
        self.ledger.check()

    def teardown(self):
        """(d): unpause the Budget, bring the programme to its end (running it out, or killing
        it when it would wait for ever), then everyone claims and withdraws."""
        if sys.exc_info()[1] is not None or not hasattr(self, "ledger"):
            return  # a step failed already: report that, not a teardown failure
        ledger, p, fx = self.ledger, self.programme, self.fx
        if self.budget.paused():
            self.budget.unpause(sender=fx["guardian"])
            ledger.observe()
        for _ in range(TEARDOWN_STEPS):
            state = p.advance(sender=fx["keeper"])
            ledger.observe()
            if state in FINAL:
                break
            following, due = p.next_transition()
            if following == 0:
                break
            warp(due - now())
            ledger.observe()
        if p.state() not in FINAL:
            p.kill(sender=fx["executor"])
            ledger.observe(halted=True)
        event(f"teardown: {State.label(p.state())} after {ledger.epochs} epoch(s), {ledger.ticks} ticks")
        ledger.claim_all()
        ledger.assert_paid_in_full()
        for staker in self.stakers:
            staked = ledger.account(staker).balance
            if staked:
                self.mech.withdraw(staked, sender=staker)
                ledger.observe(stakes={staker: -staked})
            assert self.lp.balanceOf(staker) == STAKE_FUNDS


SETTINGS = settings(
    max_examples=30,
    stateful_step_count=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


@pytest.fixture(scope="module")
def budget_params(budget_params):
    """The Budget of tests/fixtures with 30-day cycles and 10-day windows, so a run of a few
    dozen steps goes through several epochs and windows."""
    return dict(budget_params, cycle_length=CYCLE, window_length=WINDOW)


@pytest.fixture
def fixtures(chain, create, make_spec, budget, token, lp_token, tpp_executor, guardian, steward, deployer):
    return dict(
        chain=chain,
        create=create,
        make_spec=make_spec,
        budget=budget,
        token=token,
        lp_token=lp_token,
        executor=tpp_executor,
        guardian=guardian,
        steward=steward,
        deployer=deployer,
        keeper=boa.env.generate_address("keeper"),
    )


def make_machine(fx):
    class Machine(PerStakerMachine):
        pass

    Machine.fx = fx
    return Machine


def test_no_staker_is_paid_out_of_another_stakers_accrual(fixtures):
    run_state_machine_as_test(make_machine(fixtures), settings=SETTINGS)


# --- the defect, directly -------------------------------------------------------------------
# A forfeited epoch (emission.vy `_settle_old`: a settlement that could not mint) lowered what
# the minter owed but not what stakers had earned, so claims were paid first come, first served
# from `held`: the first claimer took another staker's share (and the next epoch's emission
# owed to stakers who joined later), and the last claimer was short for good.


@pytest.fixture
def staking(create, make_spec, lp_token, chain, token, deployer):
    """(programme, mechanism, ledger, fund) for one staking programme with the fixtures'
    first epoch (30-day cycles here), CONTINUE by default."""
    ((programme, mech),) = create(make_spec("staking", lp_token.address, window_length=WINDOW))
    ledger = Ledger(chain, programme, mech, token)

    def fund(who, amount):
        lp_token.mint(who, amount, sender=deployer)
        lp_token.approve(mech.address, amount, sender=who)
        ledger.account(who)

    return programme, mech, ledger, fund


def warp_to(t):
    assert t >= now(), "tests only move the clock forward"
    warp(t - now())


@pytest.mark.parametrize("first", ["alice", "bob"])
def test_kill_while_the_budget_is_paused_pays_each_staker_their_own_share(staking, budget, guardian, tpp_executor, first):
    """Killed while the Budget is paused, with half the accrual dripped: once the Budget is
    unpaused both stakers are paid their whole share, whoever claims first."""
    programme, mech, ledger, fund = staking
    alice, bob = boa.env.generate_address("alice"), boa.env.generate_address("bob")
    fund(alice, 3 * WAD)
    fund(bob, WAD)
    warp_to(programme.epoch_start() + DAY)
    for who, amount in ((alice, 3 * WAD), (bob, WAD)):
        mech.stake(amount, sender=who)
        ledger.observe(stakes={who: amount})
    warp(5 * DAY)
    mech.drip()
    ledger.observe()
    warp(5 * DAY)
    budget.pause(sender=guardian)
    programme.kill(sender=tpp_executor)
    ledger.observe(halted=True)
    budget.unpause(sender=guardian)
    ledger.observe()
    ledger.claim_all([alice, bob] if first == "alice" else [bob, alice])
    ledger.assert_paid_in_full()


def _next_epoch_stakers_after_a_late_settlement(staking, settle_late):
    """alice stakes through epoch 1, whose settlement comes later than the old claim grace
    (`settle_late` gets there); bob joins in epoch 2; after 10 days of it alice claims first,
    then bob. Each must get their own share: alice all of epoch 1 and half of epoch 2 so far,
    bob the other half."""
    programme, mech, ledger, fund = staking
    alice, bob = boa.env.generate_address("alice"), boa.env.generate_address("bob")
    fund(alice, WAD)
    fund(bob, WAD)
    warp_to(programme.epoch_start())
    mech.stake(WAD, sender=alice)
    ledger.observe(stakes={alice: WAD})
    settle_late(programme.epoch_end())
    programme.advance()
    assert programme.epoch() == 2
    ledger.observe()
    mech.stake(WAD, sender=bob)
    ledger.observe(stakes={bob: WAD})
    warp(10 * DAY)
    ledger.claim_all([alice, bob])
    ledger.assert_paid_in_full()


def test_budget_pause_past_the_epoch_end_and_the_old_grace_forfeits_nothing(staking, budget, guardian):
    """The Budget is paused before epoch 1 ends and unpaused 31 days after its end (the
    epoch minter's claim grace was 30 days): the settlement must still pay epoch 1."""

    def settle_late(end):
        warp_to(end - 10 * DAY)
        budget.pause(sender=guardian)
        warp_to(end + OLD_GRACE + DAY)
        staking[0].advance()  # waits for the Budget
        budget.unpause(sender=guardian)

    _next_epoch_stakers_after_a_late_settlement(staking, settle_late)


def test_a_keeper_later_than_the_old_grace_forfeits_nothing(staking):
    """Nobody advances the programme until 31 days after epoch 1's end."""
    _next_epoch_stakers_after_a_late_settlement(staking, lambda end: warp_to(end + OLD_GRACE + DAY))
