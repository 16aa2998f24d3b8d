# pragma version ~=0.4.3
# pragma optimize gas
"""
@title Programme
@license AGPL-3.0-only
@notice The lifecycle controller of one token programme: a chain of epochs with one
        mechanism. Each epoch gets a fresh capped minter (an EpochMinter clone, linear
        unlock) admitted by the Budget under the bounds in force then. The programme runs
        itself: `advance()` is permissionless and applies every transition that is due, so
        no trusted operator is needed. Governance (the TPP executor) is asked only in the
        evaluation window at the end of each epoch, and may pick STOP, CONTINUE, ITERATE
        (a new cap within declared bounds) or PAUSE; without a decision the default outcome
        applies at epoch end. KILL is immediate and final.
        States: SCHEDULED -> RUNNING -> EVALUATING -> STOPPED | RUNNING (next epoch) |
        SCHEDULED (next epoch not started yet) | PAUSED | KILLED; PAUSED -> RUNNING | STOPPED.
@dev Invariants: exactly one live epoch minter at a time (the previous one's unlock has ended
     before the next starts); STOPPED and KILLED are final; a decision outside the
     evaluation window, or from anyone but the executor, reverts; `advance()` twice in a row
     changes nothing the second time. Epoch ends fall on the Budget's decision-cycle
     boundaries, so every programme's window falls in the shared window.
     Deployed as a minimal proxy of one implementation; `initialize` runs in the factory's
     transaction. Hot fields are packed into two storage words.
@custom:kill `kill()` by the TPP executor: settles the mechanism, halts it, closes the epoch
     minter; final. The guardian can only halt and resume emission.
"""

from .interfaces import IEpochMinter
from .interfaces import IMechanism
from . import programme_spec

# Lifecycle states (0 = not initialised).
SCHEDULED: constant(uint8) = 1
RUNNING: constant(uint8) = 2
EVALUATING: constant(uint8) = 3
PAUSED: constant(uint8) = 4
STOPPED: constant(uint8) = 5
KILLED: constant(uint8) = 6

# Outcomes (0 = no decision yet).
OUTCOME_STOP: constant(uint8) = 1
OUTCOME_CONTINUE: constant(uint8) = 2
OUTCOME_ITERATE: constant(uint8) = 3
OUTCOME_PAUSE: constant(uint8) = 4
OUTCOME_KILL: constant(uint8) = 5

# Oracle comparators for the PAUSE condition.
GREATER: constant(uint8) = 1
GREATER_OR_EQUAL: constant(uint8) = 2
LESS: constant(uint8) = 3
LESS_OR_EQUAL: constant(uint8) = 4

BPS: constant(uint256) = 10_000
# Dial values, bounds and steps are 32-bit numbers (basis points, counts).
U32: constant(uint256) = (1 << 32) - 1
# Most transitions one `advance()` applies; enough for every chain of due transitions.
MAX_STEPS: constant(uint256) = 8
# Longest transition reason, in bytes.
MAX_REASON: constant(uint256) = 96

# Field layout of `_cfg`: epoch cap (112 bits), epoch duration (48), window (48),
# default outcome (8), max epochs (16), ITERATE bound in bps (16).
CAP_BITS: constant(uint256) = (1 << 112) - 1
TIME_MASK: constant(uint256) = (1 << 48) - 1
BYTE_MASK: constant(uint256) = (1 << 8) - 1
WORD16: constant(uint256) = (1 << 16) - 1
# Field layout of `_run`: state (8) @0, epoch (16) @8, epoch start (48) @24, epoch end (48) @72,
# pending outcome (8) @120, paused at (48) @128, guardian halted (1) @176, max pause (48) @184,
# comparator (8) @232.


interface IBudget:
    def admit(minter: address, cap: uint256, start: uint256, end: uint256): nonpayable
    def next_cycle_boundary(t: uint256) -> uint256: view
    def window_length() -> uint256: view
    def cycle_length() -> uint256: view
    def paused() -> bool: view


interface IAggregatorV3:
    def latestRoundData() -> (uint80, int256, uint256, uint256, uint80): view


# The Budget that admits every epoch minter (shared by all programmes).
BUDGET: public(immutable(IBudget))
# The TPP executor: the only caller of `decide`, `resume` and `kill`.
EXECUTOR: public(immutable(address))
# The EpochMinter implementation each epoch's minter is cloned from.
MINTER_IMPLEMENTATION: public(immutable(address))

# Who decides who receives emission; set once.
mechanism: public(IMechanism)
# The current (or last) epoch's minter.
minter: public(IEpochMinter)
# May halt and resume emission at once.
guardian: public(address)
# May move dials within their bounds.
steward: public(address)
# Packed configuration (see CAP_BITS); changes only by ITERATE (the cap).
_cfg: uint256
# Packed run state (see the layout note above).
_run: uint256
# The epoch cap an ITERATE decision asks for.
pending_cap: public(uint256)
# PAUSE condition oracle (empty: wait for a vote) and its threshold.
oracle: public(address)
oracle_threshold: public(int256)
# Dials by name: value (32 bits), lower, upper, step (32 each), cooldown (48), last move (48).
_dial: HashMap[bytes32, uint256]


event Transition:
    programme: indexed(address)
    epoch: indexed(uint256)
    old_state: uint8
    new_state: uint8
    reason: String[MAX_REASON]


event EpochOpened:
    programme: indexed(address)
    epoch: indexed(uint256)
    minter: address
    cap: uint256
    start: uint256
    end: uint256


event Decided:
    programme: indexed(address)
    epoch: indexed(uint256)
    outcome: uint8
    new_cap: uint256
    decided_at: uint256


event DialMoved:
    programme: indexed(address)
    name: indexed(bytes32)
    old_value: uint256
    new_value: uint256
    steward: address
    reason: String[128]


event GuardianHalt:
    programme: indexed(address)
    epoch: indexed(uint256)
    guardian: address
    halted: bool


event ProgrammeInitialized:
    programme: indexed(address)
    mechanism: indexed(address)
    kind: uint8
    metadata_uri: String[programme_spec.MAX_URI]


@deploy
def __init__(budget: IBudget, executor: address, minter_implementation: address):
    """
    @notice Deploys the implementation every programme clone delegates to.
    """
    assert budget.address != empty(address), "programme: zero budget"
    assert executor != empty(address), "programme: zero executor"
    assert minter_implementation != empty(address), "programme: zero minter implementation"
    BUDGET = budget
    EXECUTOR = executor
    MINTER_IMPLEMENTATION = minter_implementation
    # The implementation itself is never a programme.
    self._run = convert(KILLED, uint256)


@external
def initialize(spec: programme_spec.ProgrammeSpec, mechanism: address):
    """
    @notice Sets a fresh clone up and opens its first epoch (admitted by the Budget, which
            must already have granted this programme ADMITTER_ROLE). Called once, by the
            factory, in the cloning transaction; any failure reverts the whole creation.
    """
    assert self._run == 0, "programme: already initialized"
    assert mechanism != empty(address), "programme: zero mechanism"
    assert spec.guardian != empty(address), "programme: zero guardian"
    assert spec.epoch_cap != 0, "programme: zero cap"
    assert spec.epoch_cap <= CAP_BITS, "programme: cap above uint112"
    assert spec.first_start >= block.timestamp, "programme: start in the past"
    assert spec.first_start < spec.first_end, "programme: start not before end"
    assert spec.first_end <= TIME_MASK, "programme: time beyond uint48"
    assert spec.epoch_duration != 0 and spec.epoch_duration <= TIME_MASK, "programme: bad epoch duration"
    assert spec.window_length != 0, "programme: zero window"
    assert spec.window_length <= spec.epoch_duration, "programme: window longer than epoch"
    assert spec.window_length <= staticcall BUDGET.window_length(), "programme: window outside shared window"
    assert staticcall BUDGET.next_cycle_boundary(spec.first_end - 1) == spec.first_end, "programme: epoch end off cycle"
    assert spec.default_outcome == OUTCOME_STOP or spec.default_outcome == OUTCOME_CONTINUE, "programme: default must be stop or continue"
    assert spec.max_epochs != 0 and spec.max_epochs <= WORD16, "programme: bad max epochs"
    assert spec.iterate_cap_bps <= BPS, "programme: iterate bound above 100%"
    assert spec.max_pause <= TIME_MASK, "programme: time beyond uint48"
    if spec.oracle != empty(address):
        assert spec.comparator >= GREATER and spec.comparator <= LESS_OR_EQUAL, "programme: bad comparator"
        self.oracle = spec.oracle
        self.oracle_threshold = spec.threshold

    self.mechanism = IMechanism(mechanism)
    self.guardian = spec.guardian
    if spec.steward != empty(address):
        self.steward = spec.steward
    self._cfg = (
        spec.epoch_cap
        | (spec.epoch_duration << 112)
        | (spec.window_length << 160)
        | (convert(spec.default_outcome, uint256) << 208)
        | (spec.max_epochs << 216)
        | (spec.iterate_cap_bps << 232)
    )
    self._run = (spec.max_pause << 184) | (convert(spec.comparator, uint256) << 232)
    for dial: programme_spec.Dial in spec.dials:
        assert dial.lower <= dial.initial and dial.initial <= dial.upper, "programme: dial outside bounds"
        assert dial.upper <= U32 and dial.step <= dial.upper, "programme: dial above uint32"
        assert dial.cooldown <= TIME_MASK, "programme: time beyond uint48"
        assert self._dial[dial.name] == 0, "programme: duplicate dial"
        assert spec.steward != empty(address), "programme: dials need a steward"
        self._dial[dial.name] = dial.initial | (dial.lower << 32) | (dial.upper << 64) | (dial.step << 96) | (dial.cooldown << 128) | (1 << 255)
        extcall IMechanism(mechanism).set_dial(dial.name, dial.initial)
    log ProgrammeInitialized(programme=self, mechanism=mechanism, kind=spec.kind, metadata_uri=spec.metadata_uri)

    reason: String[MAX_REASON] = self._open_epoch(spec.first_start, spec.first_end, spec.epoch_cap, 1)
    assert reason == "", reason


# --- permissionless ------------------------------------------------------------------------


@external
def advance() -> uint8:
    """
    @notice Applies every transition that is due; anyone may call it, any number of times.
    @return The state after advancing.
    """
    self._advance()
    return convert(self._run & BYTE_MASK, uint8)


# --- governance ----------------------------------------------------------------------------


@external
def decide(outcome: uint8, new_cap: uint256):
    """
    @notice Governance's decision for the epoch in evaluation: STOP, CONTINUE, ITERATE (with
            `new_cap` within the declared bound) or PAUSE. The last decision before the
            epoch's end stands. KILL is accepted at any time and applies at once.
    """
    assert msg.sender == EXECUTOR, "programme: caller is not the executor"
    if outcome == OUTCOME_KILL:
        self._kill()
        return
    self._advance()
    run: uint256 = self._run
    assert run & BYTE_MASK == convert(EVALUATING, uint256), "programme: not in evaluation window"
    # Past the end a due transition may only be waiting (a paused Budget): the window is over.
    assert block.timestamp < (run >> 72) & TIME_MASK, "programme: not in evaluation window"
    assert outcome >= OUTCOME_STOP and outcome <= OUTCOME_PAUSE, "programme: unknown outcome"
    cap: uint256 = 0
    if outcome == OUTCOME_ITERATE:
        current: uint256 = self._cfg & CAP_BITS
        bound: uint256 = current * ((self._cfg >> 232) & WORD16) // BPS
        assert new_cap != 0 and new_cap <= CAP_BITS, "programme: bad iterate cap"
        assert new_cap + bound >= current and new_cap <= current + bound, "programme: iterate outside bounds"
        cap = new_cap
        self.pending_cap = new_cap
    self._run = (run & ~(BYTE_MASK << 120)) | (convert(outcome, uint256) << 120)
    log Decided(programme=self, epoch=(run >> 8) & WORD16, outcome=outcome, new_cap=cap, decided_at=block.timestamp)


@external
def resume():
    """
    @notice Ends a PAUSE by vote: opens a new epoch with the same parameters.
    """
    assert msg.sender == EXECUTOR, "programme: caller is not the executor"
    self._advance()
    assert self._run & BYTE_MASK == convert(PAUSED, uint256), "programme: not paused"
    assert not staticcall BUDGET.paused(), "programme: budget paused"
    self._resume("resumed by vote")


@external
def kill():
    """
    @notice Ends the programme at once and for good: settles and halts the mechanism and
            closes the epoch minter.
    """
    assert msg.sender == EXECUTOR, "programme: caller is not the executor"
    self._kill()


# --- guardian and steward ------------------------------------------------------------------


@external
def halt():
    """
    @notice The guardian's brake: stops emission at once (nothing accrues while halted).
    """
    assert msg.sender == self.guardian, "programme: caller is not the guardian"
    self._advance()
    run: uint256 = self._run
    state: uint8 = convert(run & BYTE_MASK, uint8)
    assert state != STOPPED and state != KILLED, "programme: ended"
    assert run & (1 << 176) == 0, "programme: already halted"
    self._run = run | (1 << 176)
    extcall self.mechanism.set_halted(True)
    if not staticcall self.minter.paused():
        extcall self.minter.pause()
    log GuardianHalt(programme=self, epoch=(run >> 8) & WORD16, guardian=msg.sender, halted=True)


@external
def unhalt():
    """
    @notice Lifts the guardian's halt; emission resumes from now (the halted time is not paid).
    """
    assert msg.sender == self.guardian, "programme: caller is not the guardian"
    self._advance()
    run: uint256 = self._run
    state: uint8 = convert(run & BYTE_MASK, uint8)
    assert state != STOPPED and state != KILLED, "programme: ended"
    assert run & (1 << 176) != 0, "programme: not halted"
    self._run = run & ~(1 << 176)
    extcall self.mechanism.set_halted(False)
    if staticcall self.minter.paused():
        extcall self.minter.unpause()
    log GuardianHalt(programme=self, epoch=(run >> 8) & WORD16, guardian=msg.sender, halted=False)


@external
def move_dial(name: bytes32, new_value: uint256, reason: String[128]):
    """
    @notice The steward moves a dial within its bounds, by at most its step, at most once
            per cooldown; the reason is logged with the move.
    """
    assert msg.sender == self.steward, "programme: caller is not the steward"
    state: uint8 = convert(self._run & BYTE_MASK, uint8)
    assert state != STOPPED and state != KILLED, "programme: ended"
    packed: uint256 = self._dial[name]
    assert packed != 0, "programme: unknown dial"
    old: uint256 = packed & U32
    lower: uint256 = (packed >> 32) & U32
    upper: uint256 = (packed >> 64) & U32
    step: uint256 = (packed >> 96) & U32
    cooldown: uint256 = (packed >> 128) & TIME_MASK
    last: uint256 = (packed >> 176) & TIME_MASK
    assert new_value >= lower and new_value <= upper, "programme: dial outside bounds"
    assert max(new_value, old) - min(new_value, old) <= step, "programme: dial step too large"
    assert last == 0 or block.timestamp >= last + cooldown, "programme: dial cooling down"
    self._dial[name] = new_value | (packed & ~U32 & ~(TIME_MASK << 176)) | (block.timestamp << 176)
    extcall self.mechanism.set_dial(name, new_value)
    log DialMoved(programme=self, name=name, old_value=old, new_value=new_value, steward=msg.sender, reason=reason)


# --- views ---------------------------------------------------------------------------------


@external
@view
def state() -> uint8:
    return convert(self._run & BYTE_MASK, uint8)


@external
@view
def epoch() -> uint256:
    """
    @notice 1-based index of the current (or last) epoch.
    """
    return (self._run >> 8) & WORD16


@external
@view
def epoch_start() -> uint256:
    return (self._run >> 24) & TIME_MASK


@external
@view
def epoch_end() -> uint256:
    return (self._run >> 72) & TIME_MASK


@external
@view
def pending_outcome() -> uint8:
    return convert((self._run >> 120) & BYTE_MASK, uint8)


@external
@view
def paused_at() -> uint256:
    return (self._run >> 128) & TIME_MASK


@external
@view
def halted() -> bool:
    return self._run & (1 << 176) != 0


@external
@view
def max_pause() -> uint256:
    return (self._run >> 184) & TIME_MASK


@external
@view
def comparator() -> uint8:
    return convert((self._run >> 232) & BYTE_MASK, uint8)


@external
@view
def epoch_cap() -> uint256:
    return self._cfg & CAP_BITS


@external
@view
def epoch_duration() -> uint256:
    return (self._cfg >> 112) & TIME_MASK


@external
@view
def window_length() -> uint256:
    return (self._cfg >> 160) & TIME_MASK


@external
@view
def default_outcome() -> uint8:
    return convert((self._cfg >> 208) & BYTE_MASK, uint8)


@external
@view
def max_epochs() -> uint256:
    return (self._cfg >> 216) & WORD16


@external
@view
def iterate_cap_bps() -> uint256:
    return (self._cfg >> 232) & WORD16


@external
@view
def dial(name: bytes32) -> (uint256, uint256, uint256, uint256, uint256, uint256):
    """
    @notice (value, lower, upper, step, cooldown, last move) of a dial; zeros if unknown.
    """
    packed: uint256 = self._dial[name]
    return (
        packed & U32,
        (packed >> 32) & U32,
        (packed >> 64) & U32,
        (packed >> 96) & U32,
        (packed >> 128) & TIME_MASK,
        (packed >> 176) & TIME_MASK,
    )


@external
@view
def next_transition() -> (uint8, uint256):
    """
    @notice The next state a time-driven transition leads to and when it becomes due
            (0, 0 when none is scheduled: final states, or a pause waiting on an oracle with
            no deadline).
    """
    run: uint256 = self._run
    state: uint8 = convert(run & BYTE_MASK, uint8)
    end: uint256 = (run >> 72) & TIME_MASK
    if state == SCHEDULED:
        return RUNNING, (run >> 24) & TIME_MASK
    if state == RUNNING:
        return EVALUATING, end - min(end, (self._cfg >> 160) & TIME_MASK)
    if state == EVALUATING:
        return self._outcome_state(run), end
    if state == PAUSED and (run >> 184) & TIME_MASK != 0:
        return STOPPED, ((run >> 128) & TIME_MASK) + ((run >> 184) & TIME_MASK)
    return 0, 0


@external
@view
def pause_condition_met() -> bool:
    """
    @notice Whether the oracle condition that ends a PAUSE holds now.
    """
    return self._condition_met()


# --- internal ------------------------------------------------------------------------------


@internal
@view
def _outcome_state(run: uint256) -> uint8:
    outcome: uint8 = convert((run >> 120) & BYTE_MASK, uint8)
    if outcome == 0:
        outcome = convert((self._cfg >> 208) & BYTE_MASK, uint8)
    if outcome == OUTCOME_STOP:
        return STOPPED
    if outcome == OUTCOME_PAUSE:
        return PAUSED
    if (run >> 8) & WORD16 >= (self._cfg >> 216) & WORD16:
        return STOPPED
    return RUNNING


@internal
def _set_state(new_state: uint8, reason: String[MAX_REASON]):
    run: uint256 = self._run
    old_state: uint8 = convert(run & BYTE_MASK, uint8)
    self._run = (run & ~BYTE_MASK) | convert(new_state, uint256)
    log Transition(programme=self, epoch=(run >> 8) & WORD16, old_state=old_state, new_state=new_state, reason=reason)


@internal
def _advance():
    for _: uint256 in range(MAX_STEPS):
        if not self._step():
            return


@internal
def _step() -> bool:
    """
    @dev Applies the one transition that is due now, if any; returns whether it did.
    """
    run: uint256 = self._run
    state: uint8 = convert(run & BYTE_MASK, uint8)
    start: uint256 = (run >> 24) & TIME_MASK
    end: uint256 = (run >> 72) & TIME_MASK

    if state == SCHEDULED:
        if block.timestamp < start:
            return False
        self._set_state(RUNNING, "epoch started")
        return True

    if state == RUNNING:
        if block.timestamp < end - min(end, (self._cfg >> 160) & TIME_MASK):
            return False
        self._set_state(EVALUATING, "evaluation window opened")
        return True

    if state == EVALUATING:
        if block.timestamp < end:
            return False
        return self._apply_outcome(run, end)

    if state == PAUSED:
        max_pause: uint256 = (run >> 184) & TIME_MASK
        if self._condition_met():
            return self._resume("pause condition met")
        if max_pause != 0 and block.timestamp >= ((run >> 128) & TIME_MASK) + max_pause:
            self._set_state(STOPPED, "pause expired")
            return True
        return False

    return False


@internal
def _apply_outcome(run: uint256, end: uint256) -> bool:
    decided: uint8 = convert((run >> 120) & BYTE_MASK, uint8)
    outcome: uint8 = decided
    if outcome == 0:
        outcome = convert((self._cfg >> 208) & BYTE_MASK, uint8)
    epoch: uint256 = (run >> 8) & WORD16
    opens_epoch: bool = outcome == OUTCOME_CONTINUE or outcome == OUTCOME_ITERATE
    if opens_epoch and epoch < (self._cfg >> 216) & WORD16 and staticcall BUDGET.paused():
        # Wait for the Budget's guardian: the transition, and the decision, stay due.
        return False

    # The pending decision was for the epoch that just ended: clear it.
    self._run = run & ~(BYTE_MASK << 120)

    if outcome == OUTCOME_STOP:
        if decided == 0:
            self._set_state(STOPPED, "default: stop")
        else:
            self._set_state(STOPPED, "decided: stop")
        return True
    if outcome == OUTCOME_PAUSE:
        self._run = (self._run & ~(TIME_MASK << 128)) | (block.timestamp << 128)
        self._set_state(PAUSED, "decided: pause")
        return True
    if epoch >= (self._cfg >> 216) & WORD16:
        self._set_state(STOPPED, "last epoch ended")
        return True
    if outcome == OUTCOME_ITERATE:
        self._cfg = (self._cfg & ~CAP_BITS) | self.pending_cap

    duration: uint256 = (self._cfg >> 112) & TIME_MASK
    start: uint256 = max(end, block.timestamp)
    new_end: uint256 = self._aligned_end(start, duration)
    cap: uint256 = self._prorated(start, new_end, duration)
    reason: String[MAX_REASON] = self._open_epoch(start, new_end, cap, epoch + 1)
    if reason != "":
        self._set_state(STOPPED, reason)
        return True
    if outcome == OUTCOME_ITERATE:
        self._set_state(RUNNING if block.timestamp >= start else SCHEDULED, "decided: iterate")
    elif decided == 0:
        self._set_state(RUNNING if block.timestamp >= start else SCHEDULED, "default: continue")
    else:
        self._set_state(RUNNING if block.timestamp >= start else SCHEDULED, "decided: continue")
    return True


@internal
def _resume(reason: String[MAX_REASON]) -> bool:
    run: uint256 = self._run
    epoch: uint256 = (run >> 8) & WORD16
    if epoch >= (self._cfg >> 216) & WORD16:
        self._set_state(STOPPED, "last epoch ended")
        return True
    if staticcall BUDGET.paused():
        return False
    duration: uint256 = (self._cfg >> 112) & TIME_MASK
    start: uint256 = block.timestamp
    new_end: uint256 = self._aligned_end(start, duration)
    cap: uint256 = self._prorated(start, new_end, duration)
    failure: String[MAX_REASON] = self._open_epoch(start, new_end, cap, epoch + 1)
    if failure != "":
        self._set_state(STOPPED, failure)
        return True
    self._set_state(RUNNING, reason)
    return True


@internal
@view
def _aligned_end(start: uint256, duration: uint256) -> uint256:
    """
    @dev The first decision-cycle boundary after `start + duration - cycle`: an epoch that
         starts on a boundary lasts exactly `duration` (a whole number of cycles); one that
         starts late ends on the same boundary, a little shorter.
    """
    cycle: uint256 = staticcall BUDGET.cycle_length()
    return staticcall BUDGET.next_cycle_boundary(start + duration - min(duration, cycle))


@internal
@view
def _prorated(start: uint256, end: uint256, duration: uint256) -> uint256:
    """
    @dev The cap that keeps the configured rate (cap / duration) over [start, end].
    """
    full: uint256 = self._cfg & CAP_BITS
    return full * (end - start) // duration


@internal
def _open_epoch(start: uint256, end: uint256, cap: uint256, epoch: uint256) -> String[MAX_REASON]:
    """
    @dev Clones an epoch minter, asks the Budget to admit it and points the mechanism at it.
         Returns "" on success, or the Budget's reason (nothing is changed then).
    """
    if cap == 0:
        return "programme: zero cap"
    minter: address = create_minimal_proxy_to(MINTER_IMPLEMENTATION)
    mechanism: address = self.mechanism.address
    extcall IEpochMinter(minter).initialize(self, mechanism, cap, start, end)
    success: bool = False
    response: Bytes[196] = b""
    success, response = raw_call(
        BUDGET.address,
        abi_encode(minter, cap, start, end, method_id=method_id("admit(address,uint256,uint256,uint256)")),
        max_outsize=196,
        revert_on_failure=False,
    )
    if not success:
        if len(response) >= 68 and slice(response, 0, 4) == method_id("Error(string)"):
            return abi_decode(slice(response, 4, len(response) - 4), String[MAX_REASON])
        return "programme: admission refused"
    run: uint256 = self._run
    old: IEpochMinter = self.minter
    halted: bool = run & (1 << 176) != 0
    if halted:
        # A guardian halt carries over into the new epoch.
        extcall IEpochMinter(minter).pause()
        if old.address != empty(address) and staticcall old.paused() and not staticcall old.closed():
            # What accrued before the halt is owed: let the mechanism settle it.
            extcall old.unpause()
    self.minter = IEpochMinter(minter)
    self._run = (run & ~((WORD16 << 8) | (TIME_MASK << 24) | (TIME_MASK << 72))) | (epoch << 8) | (start << 24) | (end << 72)
    if run & BYTE_MASK == 0:
        self._set_state(SCHEDULED if block.timestamp < start else RUNNING, "programme created")
    extcall self.mechanism.start_epoch(minter, start, end, cap)
    if old.address != empty(address) and not staticcall old.closed():
        # The old epoch is settled: close its minter, so exactly one epoch can mint.
        extcall old.close()
    log EpochOpened(programme=self, epoch=epoch, minter=minter, cap=cap, start=start, end=end)
    return ""


@internal
@view
def _condition_met() -> bool:
    oracle: address = self.oracle
    if oracle == empty(address):
        return False
    success: bool = False
    response: Bytes[160] = b""
    success, response = raw_call(
        oracle, method_id("latestRoundData()"), max_outsize=160, is_static_call=True, revert_on_failure=False
    )
    if not success or len(response) < 160:
        return False
    answer: int256 = convert(convert(slice(response, 32, 32), bytes32), int256)
    threshold: int256 = self.oracle_threshold
    comparator: uint8 = convert((self._run >> 232) & BYTE_MASK, uint8)
    if comparator == GREATER:
        return answer > threshold
    if comparator == GREATER_OR_EQUAL:
        return answer >= threshold
    if comparator == LESS:
        return answer < threshold
    return answer <= threshold


@internal
def _kill():
    run: uint256 = self._run
    state: uint8 = convert(run & BYTE_MASK, uint8)
    assert state != STOPPED and state != KILLED, "programme: ended"
    # Pay out what accrued so far, then stop accrual and minting for good. What accrued
    # before a guardian halt is owed, so the minter is unpaused for the settlement. A failing
    # mechanism must not block a kill, so its calls may fail.
    minter: IEpochMinter = self.minter
    if staticcall minter.paused() and not staticcall minter.closed():
        extcall minter.unpause()
    settled: bool = raw_call(self.mechanism.address, method_id("settle()"), revert_on_failure=False)
    halted: bool = raw_call(
        self.mechanism.address, abi_encode(True, method_id=method_id("set_halted(bool)")), revert_on_failure=False
    )
    if not staticcall minter.closed():
        extcall minter.close()
    self._set_state(KILLED, "killed")
