"""Programme invariants as a hypothesis state machine over a small portfolio.

Each run creates three programmes in one factory call — two staking programmes ("farm"
defaults to CONTINUE, "pool" to STOP and may pause for 30 days) and a stream (may pause for
45 days) — and lets role-named actors act on them at random: stakers stake, withdraw and
claim; anyone claims the stream, drips and advances; the clock jumps by small and large steps
and onto the instants that matter (epoch start, window opening, epoch end, pause expiry, a
month after the end — later than the claim grace minters used to have); the TPP executor decides (only in the evaluation window,
otherwise the decision must revert), resumes and kills; the guardian halts and lifts halts
and pauses the Budget; the steward moves the throttle dial. Every call's outcome is
predicted: success (with the exact amount paid), or the exact revert reason.

After every step the invariants of DESIGN.md ("programme", "mechanisms", "budget") are checked:
- exactly one live epoch: the programme's minter is its latest admitted epoch minter, the
  one its mechanism mints through; earlier epochs' unlock ended before the next started and
  their minters are closed; epochs are ordered and never overlap; the state agrees with the
  clock;
- STOPPED and KILLED are final (nothing in the programme's storage moves again), and every
  path into them (a kill, a default or decided STOP, the last epoch, a pause that expired, a
  refused admission — with or without a guardian halt in force) leaves the mechanism settled:
  everything accrued was paid (stream) or dripped (staking: each staker's claim pays
  `earned`), nothing stays owed against the minter, and the minter is closed — except after a
  kill while the Budget was paused, where the minter is retired keeping exactly what is owed,
  which is paid in full once the Budget unpauses; nothing is ever forfeited;
- every epoch after the first lasts at least its evaluation window (a late keeper just
  before a boundary opens an epoch that runs to the following boundary);
- at each epoch end the decision taken in the window (or the default outcome) is applied;
- Σ paid ≤ Σ minted ≤ Σ epoch caps per mechanism; every epoch minter within its cap and its
  linear unlock, and counted by the Budget; what stakers could claim is covered;
- the Budget's total minted within its scheduled supply;
- `advance()` never reverts, and a second `advance()` changes nothing;
- every token minted sits with a staker, the stream recipient or a staking contract.

titanoboa's pytest plugin runs every hypothesis example in its own `boa.env.anchor()`; what
`advance()` would do now is looked at in a nested anchor, so checking never moves the
programmes (the machine's `advance` rule is what moves them, besides the calls that advance
first).
"""

from dataclasses import dataclass, field
from typing import ClassVar

import boa
import pytest
from boa.contracts.base_evm_contract import BoaError
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule, run_state_machine_as_test

from tests.fixtures.budget import DAY, WAD, now
from tpp.base.vocab import Outcome, State, dial_id

SCHEDULED, RUNNING, EVALUATING, PAUSED, STOPPED, KILLED = (
    State[name] for name in ("SCHEDULED", "RUNNING", "EVALUATING", "PAUSED", "STOPPED", "KILLED")
)
FINAL = (STOPPED, KILLED)
STOP, CONTINUE, ITERATE, PAUSE, KILL = (Outcome[name] for name in ("STOP", "CONTINUE", "ITERATE", "PAUSE", "KILL"))
# Order of the states an epoch goes through; within one epoch it never goes back.
EPOCH_ORDER = {SCHEDULED: 0, RUNNING: 1, EVALUATING: 2}
BPS = 10_000
RATE_SCALE = 10**18  # emission.vy's fixed-point scale of `rate`
PAUSED_REASON = "pausable: contract is paused"
NOT_PAUSED_REASON = "pausable: contract is not paused"
NOT_EXECUTOR = "programme: caller is not the executor"
NOT_GUARDIAN = "programme: caller is not the guardian"
NOT_IN_WINDOW = "programme: not in evaluation window"
THROTTLE_ID = dial_id("throttle_bps")
DEFAULT_ADMIN_ROLE = b"\x00" * 32
STAKERS = ("alice", "bob", "carol")
STAKE_FUNDS = 1_000 * WAD  # LP tokens each staker starts with
# The decision calendar of these runs: epochs of one 30-day cycle, 10-day evaluation windows.
CYCLE = 30 * DAY
WINDOW = 10 * DAY
# Storage slots read for a fingerprint; more than any of these contracts' value variables use.
STORAGE_SLOTS = 40


@dataclass(frozen=True)
class Views:
    """Every view of a programme that `advance()` may change."""

    state: int
    epoch: int
    epoch_start: int
    epoch_end: int
    minter: str
    pending_outcome: int
    halted: bool
    paused_at: int
    pending_cap: int
    epoch_cap: int
    next_transition: tuple

    @classmethod
    def of(cls, p):
        return cls(
            p.state(),
            p.epoch(),
            p.epoch_start(),
            p.epoch_end(),
            p.minter(),
            p.pending_outcome(),
            p.halted(),
            p.paused_at(),
            p.pending_cap(),
            p.epoch_cap(),
            tuple(p.next_transition()),
        )


@dataclass
class EpochRecord:
    """One admitted epoch minter of a programme; its schedule never changes."""

    contract: object
    cap: int
    start: int
    unlock_end: int
    closed: bool = False  # once seen closed (closing is permanent)


@dataclass
class Decision:
    epoch: int
    outcome: int
    new_cap: int


@dataclass
class Track:
    """What the machine knows about one programme."""

    name: str
    kind: str  # "stream" or "staking"
    programme: object
    mechanism: object
    default_outcome: int
    max_epochs: int
    max_pause: int
    epochs: list = field(default_factory=list)  # EpochRecord, in epoch order
    decision: Decision | None = None  # the executor's standing decision
    baseline: Views | None = None  # the views as stored at the last check (or after a call)
    projected: Views | None = None  # the views right after advancing, at the last check
    final: str | None = None  # the programme's storage when a final state was first seen
    checked: tuple | None = None  # fingerprint of the chain state last checked (see `fingerprint`)
    kill_blocked: str | None = None  # why the minter could not mint when the programme was killed


def revert_reason(fn, *args, **kwargs):
    """Call fn; None if it succeeded, else its revert reason."""
    try:
        fn(*args, **kwargs)
    except BoaError as error:
        return error.stack_trace.last_frame.pretty_vm_reason or "<no reason>"
    return None


def expect(reason, fn, *args, **kwargs):
    """Call fn: it must revert with `reason`, or succeed when reason is None."""
    if reason is None:
        return fn(*args, **kwargs)
    with boa.reverts(reason):
        fn(*args, **kwargs)


def unlocked(cap, start, end, t):
    """linear_unlock._unlocked."""
    if t < start:
        return 0
    if t >= end:
        return cap
    return cap * (t - start) // (end - start)


def storage_of(contract):
    """Everything a contract stores (for 'nothing changed' checks)."""
    return repr(contract._storage.dump())


def raw_slots(address, count=STORAGE_SLOTS):
    """The contract's first storage slots, read straight from the state (no call): every
    value variable of these contracts lives there (mappings hash elsewhere)."""
    return tuple(boa.env.get_storage(address, slot) for slot in range(count))


class ProgrammeMachine(RuleBasedStateMachine):
    """Built by `make_machine` with the module's fixtures in `fx`."""

    fx: ClassVar[dict] = {}

    # --- set-up ---------------------------------------------------------------------------

    @initialize(delay=st.sampled_from([3_600, DAY, 5 * DAY, None]))
    def create_portfolio(self, delay):
        """Three programmes in one factory call; the first epoch starts soon (and ends on a
        cycle boundary at least a window later) or on the next cycle boundary."""
        fx = self.fx
        self.budget, self.token, self.lp = fx["budget"], fx["token"], fx["lp_token"]
        window = WINDOW
        if delay is None:
            start = self.budget.next_cycle_boundary(now())
            end = start + self.budget.cycle_length()
        else:
            start = now() + delay
            end = self.budget.next_cycle_boundary(start + window)
        common = dict(first_start=start, first_end=end, window_length=window, iterate_cap_bps=2_000)
        specs = [
            fx["make_spec"]("staking", self.lp.address, default_outcome="CONTINUE", max_epochs=3, **common),
            fx["make_spec"]("staking", self.lp.address, default_outcome="STOP", max_epochs=4, max_pause=30 * DAY, **common),
            fx["make_spec"]("stream", fx["safe"], default_outcome="CONTINUE", max_epochs=3, max_pause=45 * DAY, **common),
        ]
        self.tracks = [
            Track(name, spec.kind, programme, mechanism, Outcome[spec.default_outcome], spec.max_epochs, spec.max_pause)
            for name, spec, (programme, mechanism) in zip(("farm", "pool", "stream"), specs, fx["create"](*specs))
        ]
        self.staking = [t for t in self.tracks if t.kind == "staking"]
        self.stream = next(t for t in self.tracks if t.kind == "stream")
        self.initial_supply = self.token.totalSupply()
        self.budget_epochs_seen = 0
        self.stakers = [boa.env.generate_address(name) for name in STAKERS]
        for staker in self.stakers:
            self.lp.mint(staker, STAKE_FUNDS, sender=fx["deployer"])
            for track in self.staking:
                self.lp.approve(track.mechanism.address, 2**256 - 1, sender=staker)
        self.anyone = self.stakers + [fx["keeper"], fx["stranger"]]

    # --- helpers --------------------------------------------------------------------------

    def look_ahead(self, track):
        """The views right after `advance()`, which must not revert, looked at in a nested
        anchor (nothing moves); a second `advance()` must then change nothing at all."""
        p, mech, keeper = track.programme, track.mechanism, self.fx["keeper"]

        def moving_parts():
            return (
                storage_of(p),
                mech.minter(),
                mech.last_update(),
                mech.accrued(),
                mech.minted_current(),
                self.budget.epoch_count(),
            )

        with boa.env.anchor():
            reason = revert_reason(p.advance, sender=keeper)
            assert reason is None, f"{track.name}: advance() reverts with {reason!r} ({Views.of(p)})"
            views = Views.of(p)
            if views.state in FINAL:
                # Whoever applies a final transition settles the epoch (see check_settled); only
                # a minter retired by a kill while the Budget was paused keeps what is owed.
                owed = self.owed_after_tick(track)
                minter = self.fx["chain"].at("EpochMinter", p.minter())
                if minter.closed():
                    assert owed == 0, f"{track.name}: {State.label(views.state)} leaves {owed} wei owed"
                else:
                    assert owed == minter.CAP() - minter.minted(), f"{track.name}: retired minter keeps the wrong amount"
            first = moving_parts()
            returned = p.advance(sender=keeper)
            second = moving_parts()
        assert second == first, f"{track.name}: a second advance() changed something ({views})"
        assert returned == views.state
        assert first[1] == views.minter, f"{track.name}: the mechanism mints through another minter"
        return views

    def pending_of(self, mech):
        """Wei the mechanism's emission clock would tick now (emission._pending_of)."""
        if mech.halted():
            return 0
        t0 = max(mech.last_update(), mech.epoch_start())
        t1 = min(now(), mech.epoch_end())
        if t1 <= t0:
            return 0
        return mech.rate() * (t1 - t0) * mech.throttle_bps() // BPS // RATE_SCALE

    def owed_after_tick(self, track):
        """What a drip or claim would mint now: accrued (plus the tick, unless it is dropped
        for want of stakers) minus what was minted."""
        mech = track.mechanism
        pending = self.pending_of(mech)
        if track.kind == "staking" and mech.total_staked() == 0:
            pending = 0
        return mech.accrued() + pending - mech.minted_current()

    def mint_block(self, track):
        """Why minting a positive amount through the programme's current minter fails now, in
        the order EpochMinter.mint and Budget.mint check; None if it would pass."""
        minter = track.epochs[-1]
        if minter.contract.closed():
            return "minter: closed"
        if minter.contract.paused():
            return PAUSED_REASON
        if self.budget.paused():
            return PAUSED_REASON
        return None

    def pick(self, data, prefer_state):
        """A programme, most often one whose state after advancing is `prefer_state`."""
        preferred = [t for t in self.tracks if t.projected is not None and t.projected.state == prefer_state]
        pool = preferred if preferred and data.draw(st.integers(0, 4), label="prefer") else self.tracks
        return data.draw(st.sampled_from(pool), label="programme")

    def consume(self, track):
        """Check the transition that is due now against the decision, before a call that
        applies it (decide, resume, halt advance first); call `rebase` after the call."""
        views = self.look_ahead(track)
        self.check_transition(track, views)
        return views

    def rebase(self, track):
        track.baseline = Views.of(track.programme)

    # --- stakers --------------------------------------------------------------------------

    @rule(data=st.data())
    def stake(self, data):
        track = data.draw(st.sampled_from(self.staking), label="staking")
        staker = data.draw(st.sampled_from(self.stakers), label="staker")
        free = self.lp.balanceOf(staker)
        if free == 0:
            return
        amount = min(free, data.draw(st.one_of(st.integers(1, free), st.just(free), st.integers(1, 10**6)), label="amount"))
        before = track.mechanism.balanceOf(staker)
        track.mechanism.stake(amount, sender=staker)
        assert track.mechanism.balanceOf(staker) == before + amount
        # Nobody is paid for time before they joined: staking settles the staker at once.
        assert track.mechanism.paid_per_token(staker) == track.mechanism.reward_per_token()

    @rule(data=st.data())
    def withdraw(self, data):
        track = data.draw(st.sampled_from(self.staking), label="staking")
        staker = data.draw(st.sampled_from(self.stakers), label="staker")
        staked = track.mechanism.balanceOf(staker)
        if staked == 0:
            expect("staking: amount above stake", track.mechanism.withdraw, 1, sender=staker)
            return
        amount = data.draw(st.one_of(st.integers(1, staked), st.just(staked)), label="amount")
        lp_before = self.lp.balanceOf(staker)
        # Stakes can always be withdrawn, whatever the programme's state.
        track.mechanism.withdraw(amount, sender=staker)
        assert self.lp.balanceOf(staker) == lp_before + amount

    @rule(data=st.data())
    def claim_rewards(self, data):
        track = data.draw(st.sampled_from(self.staking), label="staking")
        staker = data.draw(st.sampled_from(self.stakers), label="staker")
        mech = track.mechanism
        amount, held = mech.earned(staker), mech.held()
        reason, expected = None, amount
        if amount and held < amount:
            # The claim drips first — only what the minter can mint now (nothing while it is
            # paused, closed or expired: emission._mint_available) — then pays at most what is
            # held; only a positive mint the Budget refuses (paused) reverts.
            dripping = min(self.owed_after_tick(track), track.epochs[-1].contract.mintable_now())
            reason = PAUSED_REASON if dripping and self.budget.paused() else None
            expected = min(amount, held + dripping)
        event(f"staking claim: {reason or ('ok' if amount else 'nothing')}{' (short)' if expected < amount else ''}")
        balance = self.token.balanceOf(staker)
        paid = expect(reason, mech.claim, sender=staker)
        if reason is None:
            assert paid == expected
            assert self.token.balanceOf(staker) == balance + expected
            assert mech.earned(staker) == amount - expected

    @rule(data=st.data())
    def drip(self, data):
        track = data.draw(st.sampled_from(self.staking), label="staking")
        caller = data.draw(st.sampled_from(self.anyone), label="caller")
        owed = self.owed_after_tick(track)
        reason = self.mint_block(track) if owed else None
        event(f"drip: {reason or 'ok'}")
        held = track.mechanism.held()
        dripped = expect(reason, track.mechanism.drip, sender=caller)
        if reason is None:
            assert dripped == owed
            assert track.mechanism.held() == held + owed

    @rule(data=st.data())
    def claim_stream(self, data):
        mech, safe = self.stream.mechanism, self.fx["safe"]
        caller = data.draw(st.sampled_from(self.anyone), label="caller")
        amount = mech.claimable()
        assert amount == self.owed_after_tick(self.stream)
        reason = self.mint_block(self.stream) if amount else None
        event(f"stream claim: {reason or ('ok' if amount else 'nothing')}")
        balance = self.token.balanceOf(safe)
        paid = expect(reason, mech.claim, sender=caller)
        if reason is None:
            assert paid == amount
            assert self.token.balanceOf(safe) == balance + amount

    # --- time -----------------------------------------------------------------------------

    def targets(self):
        """Seconds from now to the instants that matter (±1 s): each live programme's epoch
        start, window opening, epoch end, a month after the end, and pause expiry."""
        t, targets = now(), set()
        for track in self.tracks:
            v = track.projected
            if v is None or v.state in FINAL:
                continue
            window = track.programme.window_length()
            for x in (v.epoch_start, v.epoch_end - window, v.epoch_end, v.epoch_end + 31 * DAY):
                targets.update((x - 1, x, x + 1))
            if v.state == PAUSED and track.max_pause:
                targets.update(v.paused_at + track.max_pause + d for d in (-1, 0, 1))
        return sorted(x - t for x in targets if x > t)

    @rule(seconds=st.integers(1, 3 * DAY))
    def warp_a_little(self, seconds):
        boa.env.time_travel(seconds=seconds)

    @rule(seconds=st.integers(5 * DAY, 60 * DAY))
    def warp_a_lot(self, seconds):
        boa.env.time_travel(seconds=seconds)

    @rule(data=st.data())
    def warp_to_an_edge(self, data):
        ahead = self.targets()
        seconds = data.draw(st.sampled_from(ahead), label="seconds") if ahead else DAY
        boa.env.time_travel(seconds=seconds)

    @rule(data=st.data())
    def warp_to_another_edge(self, data):
        self.warp_to_an_edge(data)

    # --- governance -----------------------------------------------------------------------

    @rule(data=st.data())
    def decide(self, data, track=None, caller=None):
        track = track or self.pick(data, EVALUATING)
        p = track.programme
        views = self.consume(track)
        outcome = data.draw(st.sampled_from([STOP, CONTINUE, ITERATE, PAUSE, PAUSE]), label="outcome")
        cap = views.epoch_cap
        bound = cap * p.iterate_cap_bps() // BPS
        new_cap = 0
        if outcome == ITERATE:
            new_cap = data.draw(
                st.one_of(
                    st.integers(cap - bound, cap + bound),
                    st.sampled_from([cap - bound, cap + bound, cap - bound - 1, cap + bound + 1]),
                ),
                label="new cap",
            )
        caller = caller or data.draw(st.sampled_from(["executor"] * 8 + ["guardian", "stranger"]), label="caller")
        if caller != "executor":
            reason = NOT_EXECUTOR
        elif views.state != EVALUATING or now() >= views.epoch_end:
            reason = NOT_IN_WINDOW
        elif outcome == ITERATE and not cap - bound <= new_cap <= cap + bound:
            reason = "programme: iterate outside bounds"
        else:
            reason = None
        event(f"decide in {State.label(views.state)}: {reason or 'ok'}")
        expect(reason, p.decide, outcome, new_cap, sender=self.fx[caller])
        self.rebase(track)
        if reason is None:
            track.decision = Decision(views.epoch, outcome, new_cap)
            assert p.pending_outcome() == outcome
            if outcome == ITERATE:
                assert p.pending_cap() == new_cap

    def in_window(self):
        return any(t.projected and t.projected.state == EVALUATING and now() < t.projected.epoch_end for t in self.tracks)

    @precondition(in_window)
    @rule(data=st.data())
    def decide_in_window(self, data):
        """The executor's usual business: a decision while a window is open."""
        self.decide(data)

    @precondition(in_window)
    @rule(data=st.data())
    def decide_slate(self, data):
        """One vote, many outcomes: the executor decides for every programme in its window."""
        for track in self.tracks:
            if track.projected.state == EVALUATING and now() < track.projected.epoch_end:
                self.decide(data, track, "executor")

    @precondition(lambda self: any(t.projected and t.projected.state == PAUSED for t in self.tracks))
    @rule(data=st.data())
    def resume_paused(self, data):
        self.resume(data)

    @rule(data=st.data())
    def resume(self, data):
        track = self.pick(data, PAUSED)
        views = self.consume(track)
        if views.state != PAUSED:
            reason = "programme: not paused"
        elif self.budget.paused():
            reason = "programme: budget paused"
        else:
            reason = None
        event(f"resume in {State.label(views.state)}: {reason or 'ok'}")
        expect(reason, track.programme.resume, sender=self.fx["executor"])
        self.rebase(track)
        if reason is None:
            state = track.programme.state()
            assert state == RUNNING or (state == STOPPED and views.epoch >= track.max_epochs)

    @rule(data=st.data())
    def kill(self, data):
        track = data.draw(st.sampled_from(self.tracks), label="programme")
        caller = data.draw(st.sampled_from(["executor", "stranger", "guardian"]), label="caller")
        by_decision = data.draw(st.booleans(), label="by decision")
        p = track.programme
        blocked = self.mint_block(track) if self.owed_after_tick(track) else None
        if caller != "executor":
            reason = NOT_EXECUTOR
        elif p.state() in FINAL:
            reason = "programme: ended"
        else:
            reason = None
        if by_decision:
            expect(reason, p.decide, KILL, 0, sender=self.fx[caller])
        else:
            expect(reason, p.kill, sender=self.fx[caller])
        if reason is None:
            event(f"killed{f' (could not settle: {blocked})' if blocked else ''}")
            track.kill_blocked = blocked
            assert p.state() == KILLED
            minter = self.fx["chain"].at("EpochMinter", p.minter())
            if self.budget.paused() and self.owed_after_tick(track):
                # Nothing could be minted: the minter is retired, keeping exactly what is owed.
                assert not minter.closed() and minter.CAP() - minter.minted() == self.owed_after_tick(track)
            else:
                assert minter.closed()
            assert track.mechanism.halted()
            if track.projected is not None and track.projected.state == STOPPED:
                # kill() does not apply due transitions first: a STOP that is due but not
                # applied yet becomes a KILL (which settles first, so nothing is lost).
                event("kill after a due STOP")
            self.rebase(track)
            track.decision = None

    @rule(data=st.data())
    def halt_or_unhalt(self, data):
        track = data.draw(st.sampled_from(self.tracks), label="programme")
        halt = data.draw(st.booleans(), label="halt")
        caller = data.draw(st.sampled_from(["guardian"] * 3 + ["stranger"]), label="caller")
        views = self.consume(track)
        if caller != "guardian":
            reason = NOT_GUARDIAN
        elif views.state in FINAL:
            reason = "programme: ended"
        elif halt and views.halted:
            reason = "programme: already halted"
        elif not halt and not views.halted:
            reason = "programme: not halted"
        else:
            reason = None
        event(f"{'halt' if halt else 'unhalt'}: {reason or 'ok'}")
        p = track.programme
        expect(reason, p.halt if halt else p.unhalt, sender=self.fx[caller])
        self.rebase(track)
        if reason is None:
            assert p.halted() == halt
            assert track.mechanism.halted() == halt
            assert p.minter() == views.minter
            assert self.fx["chain"].at("EpochMinter", views.minter).paused() == halt

    @rule(pause=st.booleans())
    def pause_budget(self, pause):
        """The Budget's guardian brake (the same guardian address in these fixtures)."""
        if pause == self.budget.paused():
            reason = PAUSED_REASON if pause else NOT_PAUSED_REASON
        else:
            reason = None
        event(f"budget {'pause' if pause else 'unpause'}: {reason or 'ok'}")
        expect(reason, self.budget.pause if pause else self.budget.unpause, sender=self.fx["guardian"])

    @rule(data=st.data())
    def move_throttle(self, data):
        track = data.draw(st.sampled_from(self.tracks), label="programme")
        p = track.programme
        value, lower, upper, step, cooldown, last = p.dial(THROTTLE_ID)
        new_value = data.draw(
            st.one_of(st.integers(max(lower, value - step), min(upper, value + step)), st.integers(0, BPS)), label="value"
        )
        if p.state() in FINAL:
            reason = "programme: ended"
        elif not lower <= new_value <= upper:
            reason = "programme: dial outside bounds"
        elif abs(new_value - value) > step:
            reason = "programme: dial step too large"
        elif last != 0 and now() < last + cooldown:
            reason = "programme: dial cooling down"
        else:
            reason = None
        event(f"throttle: {reason or 'ok'}")
        expect(reason, p.move_dial, THROTTLE_ID, new_value, "property test", sender=self.fx["steward"])
        if reason is None:
            assert track.mechanism.throttle_bps() == new_value

    @rule(data=st.data())
    def advance(self, data):
        """Anyone advances, twice in a row: the second call changes nothing."""
        track = data.draw(st.sampled_from(self.tracks), label="programme")
        caller = data.draw(st.sampled_from(self.anyone), label="caller")
        p = track.programme
        state = p.advance(sender=caller)
        views, stored = Views.of(p), storage_of(p)
        assert state == views.state
        assert p.advance(sender=caller) == state
        assert (Views.of(p), storage_of(p)) == (views, stored)

    # --- invariants -----------------------------------------------------------------------

    def sync_epochs(self):
        """Attribute every epoch minter the Budget admitted since the last step to its programme."""
        count = self.budget.epoch_count()
        for index in range(self.budget_epochs_seen, count):
            address = self.budget.epoch_at(index)
            minter = self.fx["chain"].at("EpochMinter", address)
            owners = [t for t in self.tracks if minter.hasRole(DEFAULT_ADMIN_ROLE, t.programme.address)]
            assert len(owners) == 1, f"epoch minter {address} belongs to {len(owners)} programmes"
            track = owners[0]
            cap, start, end = self.budget.schedule_of(address)
            assert (minter.CAP(), minter.START_TIME(), minter.UNLOCK_END()) == (cap, start, end)
            assert minter.hasRole(minter.MINTER_ROLE(), track.mechanism.address)
            track.epochs.append(EpochRecord(minter, cap, start, end))
        self.budget_epochs_seen = count

    def check_transition(self, track, new):
        """The move from the views last stored to `new` (the views after advancing now) is
        what the decision (or the default outcome) says; STOPPED and KILLED never move.
        (A transition that is due but not applied yet is checked again at every step, until
        someone applies it: what it leads to may depend on when, e.g. on the Budget's pause.)"""
        old, track.projected = track.baseline, new
        event(f"state reached: {State.label(new.state)}")
        if old is None or old == new:
            return
        if old.state in FINAL:
            raise AssertionError(f"{track.name}: {State.label(old.state)} moved on to {new}")
        if new.state == KILLED:
            return
        assert new.epoch in (old.epoch, old.epoch + 1), f"{track.name}: epoch {old.epoch} -> {new.epoch}"
        decision = track.decision if track.decision and track.decision.epoch == old.epoch else None
        if old.state == PAUSED:
            if new.epoch == old.epoch + 1:
                assert new.state in (RUNNING, EVALUATING), f"{track.name}: resumed into {State.label(new.state)}"
                assert new.epoch_cap == old.epoch_cap
            else:
                assert new.state in (PAUSED, STOPPED), f"{track.name}: PAUSED -> {State.label(new.state)}"
            return
        if new.epoch == old.epoch and new.state in EPOCH_ORDER:
            # Still in the epoch: it only moves forward, and a standing decision stands.
            assert EPOCH_ORDER[new.state] >= EPOCH_ORDER[old.state], f"{track.name}: {old} -> {new}"
            if new.state == EVALUATING:
                expected = decision.outcome if decision else 0
                assert new.pending_outcome == expected, f"{track.name}: pending outcome {new.pending_outcome}, decided {expected}"
            return
        outcome = decision.outcome if decision else track.default_outcome
        event(f"epoch end: {'decided' if decision else 'default'} {Outcome.label(outcome)}")
        if outcome == STOP:
            assert (new.state, new.epoch) == (STOPPED, old.epoch), f"{track.name}: STOP led to {new}"
        elif outcome == PAUSE:
            assert (new.state, new.epoch) == (PAUSED, old.epoch), f"{track.name}: PAUSE led to {new}"
            assert new.paused_at == now()
        elif old.epoch >= track.max_epochs:
            assert (new.state, new.epoch) == (STOPPED, old.epoch), f"{track.name}: the last epoch led to {new}"
        else:
            assert new.epoch == old.epoch + 1, f"{track.name}: {Outcome.label(outcome)} led to {new}"
            assert new.state in EPOCH_ORDER
            assert new.epoch_start == max(old.epoch_end, now())
            assert new.epoch_cap == (decision.new_cap if outcome == ITERATE else old.epoch_cap)

    def fingerprint(self, track):
        """Everything a programme's invariants depend on: the time and the storage of the
        programme, its mechanism, its epoch minters and the Budget. When it has not changed
        since the last check, neither has any result of the check, which is then skipped
        (checking costs many calls; most steps touch one programme or none)."""
        addresses = [track.programme.address, track.mechanism.address, self.budget.address]
        addresses += [record.contract.address for record in track.epochs]
        return (now(), self.budget.epoch_count(), *(raw_slots(a) for a in addresses))

    def check_programme(self, track):
        key = self.fingerprint(track)
        if key == track.checked:
            return
        self._check_programme(track)
        track.checked = key

    def _check_programme(self, track):
        p, mech, t = track.programme, track.mechanism, now()
        stored = Views.of(p)
        state, epoch, minter = stored.state, stored.epoch, stored.minter

        # STOPPED and KILLED are final: nothing the programme stores moves again.
        if track.final is not None:
            assert storage_of(p) == track.final, f"{track.name}: changed after {State.label(state)}"
        elif state in FINAL:
            track.final = storage_of(p)

        # Exactly one live epoch: the latest admitted minter, the one the mechanism mints
        # through; epochs ordered and not overlapping; earlier ones fully unlocked and closed.
        assert 1 <= epoch <= track.max_epochs
        assert len(track.epochs) == epoch, f"{track.name}: {len(track.epochs)} minters in epoch {epoch}"
        current = track.epochs[-1]
        assert minter == current.contract.address and mech.minter() == minter
        assert (stored.epoch_start, stored.epoch_end) == (current.start, current.unlock_end)
        assert (mech.epoch_start(), mech.epoch_end()) == (current.start, current.unlock_end)
        assert self.budget.next_cycle_boundary(current.unlock_end - 1) == current.unlock_end
        for later in track.epochs[1:]:
            # No dust epochs: one shorter than its window runs to the following boundary.
            assert later.unlock_end - later.start >= p.window_length(), f"{track.name}: a too-short epoch"
        for earlier, later in zip(track.epochs, track.epochs[1:]):
            assert earlier.start < earlier.unlock_end <= later.start < later.unlock_end
            assert earlier.unlock_end <= t
            if not earlier.closed:
                earlier.closed = earlier.contract.closed()
                assert earlier.closed, f"{track.name}: an earlier epoch's minter can still mint"
        if epoch > 1 and track.final is None:
            # Later epochs keep the configured rate: the cap is prorated over their length, out
            # of the reserve held for them; only an exhausted reserve (epochs stretched by late
            # keepers used it up) gives less.
            prorated = stored.epoch_cap * (current.unlock_end - current.start) // p.epoch_duration()
            assert current.cap <= prorated
            if current.cap < prorated:
                assert self.budget.reserve_of(p.address) == 0, f"{track.name}: cap below its rate with a reserve left"

        # The room held for later epochs (taken at creation or by the vote that continues it):
        # nothing once final or in the last epoch; while an epoch runs undecided, exactly what a
        # programme continuing by default needs (the configured rate, one cap per epoch left),
        # and nothing for one that stops by default. It always runs from the current epoch's end.
        rate, reserve, held_from = self.budget.hold_of(p.address)
        if state in FINAL or epoch >= track.max_epochs:
            assert (rate, reserve) == (0, 0), f"{track.name}: holds room with no epoch to follow"
        elif state in (SCHEDULED, RUNNING):
            assert held_from == current.unlock_end
            if track.default_outcome == CONTINUE and reserve:
                duration = p.epoch_duration()
                assert rate == -(-stored.epoch_cap // duration)
                assert reserve <= (track.max_epochs - epoch) * stored.epoch_cap
            elif track.default_outcome == STOP:
                assert (rate, reserve) == (0, 0), f"{track.name}: stops by default but holds room"

        # Σ paid ≤ Σ minted ≤ Σ caps; every minter within its cap and linear unlock, and the
        # Budget counts exactly what it minted.
        minted_by = self.budget._storage.minted_by.get()
        minted_total = 0
        for record in track.epochs:
            minted = record.contract.minted()
            assert minted <= record.cap
            assert minted <= unlocked(record.cap, record.start, record.unlock_end, t)
            assert minted == minted_by.get(record.contract.address, 0)
            minted_total += minted
        assert mech.total_minted() == minted_total
        assert mech.minted_current() == current.contract.minted()
        assert mech.total_paid() <= mech.total_minted() <= sum(r.cap for r in track.epochs)
        owed = self.owed_after_tick(track)
        assert owed >= 0
        if track.kind == "staking":
            # Rounding never pays more than accrued: what stakers could claim is covered by
            # what is held and what can still be dripped.
            held = mech.held()
            assert held == self.token.balanceOf(mech.address)
            claimable = sum(mech.earned(s) for s in self.stakers)
            assert claimable <= held + owed, f"{track.name}: stakers could claim {claimable}"
        assert mech.forfeited() == 0, f"{track.name}: forfeited {mech.forfeited()}"
        if state in FINAL:
            self.check_settled(track, owed)

        # advance() never reverts, and a second call changes nothing.
        views = self.look_ahead(track)
        self.check_transition(track, views)
        track.baseline = stored
        # The state (after advancing) agrees with the clock.
        window = p.window_length()
        if views.state == SCHEDULED:
            assert t < views.epoch_start
        elif views.state == RUNNING:
            assert views.epoch_start <= t < views.epoch_end - window
        elif views.state == EVALUATING:
            assert views.epoch_end - window <= t
            assert t < views.epoch_end or self.budget.paused(), f"{track.name}: still EVALUATING after the epoch end"
        elif views.state == PAUSED:
            assert t >= views.epoch_end
            # An expired pause stops (and settles) at once, unless the Budget is paused.
            assert track.max_pause == 0 or t < views.paused_at + track.max_pause or self.budget.paused()

    def check_settled(self, track, owed):
        """In STOPPED or KILLED everything accrued is paid or claimable: the final settlement
        (kill or stop) minted what was owed — paid to the recipient, or dripped into the
        staking contract — and closed the minter; or, after a kill while the Budget was
        paused, retired the minter keeping exactly what is owed. Either way every staker's
        claim pays exactly what they earned (once the Budget unpauses), and nothing more."""
        mech, state = track.mechanism, track.programme.state()
        minter = track.epochs[-1].contract
        event(f"final: {State.label(state)}{' with a halt in force' if track.programme.halted() else ''}")
        if minter.closed():
            assert owed == 0, f"{track.name}: {State.label(state)} with {owed} wei owed, never settled"
        else:
            assert state == KILLED, f"{track.name}: {State.label(state)} with its minter open"
            assert owed == minter.CAP() - minter.minted(), f"{track.name}: retired minter keeps the wrong amount"
            event("final: retired, owing")
        with boa.env.anchor():
            if self.budget.paused():
                self.budget.unpause(sender=self.fx["guardian"])
            if track.kind == "stream":
                assert mech.claim() == owed
                assert mech.claimable() == 0
                return
            earned = {s: mech.earned(s) for s in self.stakers}
            assert sum(earned.values()) <= mech.held() + owed, f"{track.name}: stakers earned more than is there"
            for staker, amount in earned.items():
                paid = mech.claim(sender=staker)
                assert paid == amount, f"{track.name}: a final claim paid {paid} of {amount} earned"

    @invariant()
    def invariants(self):
        self.sync_epochs()
        for track in self.tracks:
            self.check_programme(track)
        budget, token = self.budget, self.token
        total = budget.total_minted()
        assert total <= budget.scheduled_supply(now())
        # Nothing is minted elsewhere: every token sits with a staker, the recipient or a
        # staking contract.
        assert token.totalSupply() - self.initial_supply == total
        stakers = sum(token.balanceOf(s) for s in self.stakers)
        recipient = token.balanceOf(self.fx["safe"])
        staking = sum(token.balanceOf(track.mechanism.address) for track in self.staking)
        assert stakers + recipient + staking == total
        assert recipient == self.stream.mechanism.total_paid()
        assert stakers == sum(track.mechanism.total_paid() for track in self.staking)


SETTINGS = settings(
    max_examples=15,
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


@pytest.fixture(scope="module")
def budget_params(budget_params):
    """The Budget of tests/fixtures with a shorter decision cycle (30 days, 10-day windows),
    so a run of a few dozen steps goes through several epochs and windows."""
    return dict(budget_params, cycle_length=CYCLE, window_length=WINDOW)


@pytest.fixture
def fixtures(chain, create, make_spec, budget, token, lp_token, safe, tpp_executor, guardian, steward, stranger, deployer):
    return dict(
        chain=chain,
        create=create,
        make_spec=make_spec,
        budget=budget,
        token=token,
        lp_token=lp_token,
        safe=safe,
        executor=tpp_executor,
        guardian=guardian,
        steward=steward,
        stranger=stranger,
        deployer=deployer,
        keeper=boa.env.generate_address("keeper"),
    )


def make_machine(fx):
    """The machine class with this module's fixtures in a closure."""

    class Machine(ProgrammeMachine):
        pass

    Machine.fx = fx
    return Machine


def test_programme_state_machine(fixtures):
    run_state_machine_as_test(make_machine(fixtures), settings=SETTINGS)


# --- regressions for what the machine found --------------------------------------------
# kill() used to settle through a call allowed to fail silently: with the minter paused by a
# guardian halt, or the Budget paused, what had accrued was never minted nor accounted for,
# and a staker owed more than was held could not claim at all.


def _run_first_epoch_for(days, first_epoch):
    boa.env.time_travel(seconds=first_epoch[0] + days * DAY - now())


def test_kill_while_halted_pays_what_accrued_before_the_halt(create, make_spec, safe, first_epoch, guardian, tpp_executor, token):
    ((programme, stream),) = create(make_spec("stream", safe, window_length=WINDOW))
    _run_first_epoch_for(10, first_epoch)
    programme.halt(sender=guardian)
    accrued = stream.claimable()
    assert accrued > 0
    programme.kill(sender=tpp_executor)
    assert stream.claimable() == 0 and stream.forfeited() == 0
    assert token.balanceOf(safe) == accrued


def test_kill_while_budget_paused_keeps_what_accrued_claimable(
    create, make_spec, safe, first_epoch, guardian, tpp_executor, budget, token
):
    """It used to forfeit (the settlement's mint was refused); now the minter is retired with
    exactly what accrued, paid once the Budget unpauses."""
    ((programme, stream),) = create(make_spec("stream", safe, window_length=WINDOW))
    _run_first_epoch_for(10, first_epoch)
    accrued = stream.claimable()
    budget.pause(sender=guardian)
    programme.kill(sender=tpp_executor)
    assert stream.claimable() == accrued and stream.forfeited() == 0 and token.balanceOf(safe) == 0
    budget.unpause(sender=guardian)
    assert stream.claim() == accrued and token.balanceOf(safe) == accrued


def test_staker_can_claim_after_a_kill_during_a_halt(
    create, make_spec, lp_token, first_epoch, guardian, tpp_executor, deployer, token
):
    ((programme, staking),) = create(make_spec("staking", lp_token.address, window_length=WINDOW))
    alice = boa.env.generate_address("alice")
    lp_token.mint(alice, 10 * WAD, sender=deployer)
    lp_token.approve(staking.address, 10 * WAD, sender=alice)
    _run_first_epoch_for(1, first_epoch)
    staking.stake(10 * WAD, sender=alice)
    _run_first_epoch_for(2, first_epoch)
    staking.drip()
    _run_first_epoch_for(3, first_epoch)
    programme.halt(sender=guardian)
    programme.kill(sender=tpp_executor)
    earned = staking.earned(alice)
    assert 0 < earned <= staking.held()
    assert staking.claim(sender=alice) == earned
    assert token.balanceOf(alice) == earned
    staking.withdraw(10 * WAD, sender=alice)
