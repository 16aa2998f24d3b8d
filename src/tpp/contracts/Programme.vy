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
     Every way into a final state settles the epoch (a halted minter is unpaused for it): what
     accrued is paid or dripped and the minter is closed, releasing its unused cap to the
     Budget; a kill while the Budget is paused retires the minter instead, keeping what is
     owed claimable. Nothing accrued is forfeited on any path tpp controls. An epoch that would be shorter than its evaluation window
     (a late keeper just before a boundary) runs to the following boundary instead.
@custom:kill `kill()` by the TPP executor: settles the mechanism, halts it, closes the epoch
     minter; final. The guardian can only halt and resume emission.
"""

from .interfaces import IBudget
from .interfaces import IEpochMinter
from .interfaces import IMechanism
from .interfaces import IProgramme
from . import constants as c
from . import oracle_feed
from . import programme_spec

implements: IProgramme

# Lifecycle states (0 = not initialised).
# Initialised, the epoch has not started yet.
_SCHEDULED: constant(uint8) = 1
# The epoch is emitting; no decision is open yet.
_RUNNING: constant(uint8) = 2
# In the evaluation window at the end of the epoch: governance may decide.
_EVALUATING: constant(uint8) = 3
# Paused by decision: no epoch open, waiting for the oracle, a vote or the pause limit.
_PAUSED: constant(uint8) = 4
# Ended normally (final).
_STOPPED: constant(uint8) = 5
# Ended by KILL (final); also the implementation's state from birth.
_KILLED: constant(uint8) = 6

# Outcomes (0 = no decision yet).
# End the programme at epoch end.
_OUTCOME_STOP: constant(uint8) = 1
# Open the next epoch with the same cap.
_OUTCOME_CONTINUE: constant(uint8) = 2
# Open the next epoch with `pending_cap`.
_OUTCOME_ITERATE: constant(uint8) = 3
# Open no epoch until the pause condition holds, a vote resumes, or `max_pause` passes.
_OUTCOME_PAUSE: constant(uint8) = 4
# End the programme at once (accepted at any time).
_OUTCOME_KILL: constant(uint8) = 5

# Oracle comparators for the PAUSE condition: answer > threshold.
_GREATER: constant(uint8) = 1
# answer >= threshold.
_GREATER_OR_EQUAL: constant(uint8) = 2
# answer < threshold.
_LESS: constant(uint8) = 3
# answer <= threshold.
_LESS_OR_EQUAL: constant(uint8) = 4

# Dial values, bounds and steps are 32-bit numbers (basis points, counts).
_U32: constant(uint256) = (1 << 32) - 1
# Most transitions one `advance()` applies; enough for every chain of due transitions.
_MAX_STEPS: constant(uint256) = 8
# Longest transition reason, in bytes.
_MAX_REASON: constant(uint256) = 96
# Most later cycle boundaries a continuation tries when the window it would end in already
# carries the Budget's load limit (it then ends on the first one with room).
_LOAD_TRIES: constant(uint256) = 4
# What `_renew` returns when the Budget refused the epoch for room (it is then retried).
_DEFERRED: constant(String[_MAX_REASON]) = "deferred"

# Field layout of `_cfg`: epoch cap (112 bits) @0, epoch duration (48) @112, window (48) @160,
# default outcome (8) @208, max epochs (16) @216, ITERATE bound in bps (16) @232. Read only
# through the `_cfg_*` helpers at the bottom of the file.
# Mask of the epoch cap (wei, 112 bits) at bit 0 of `_cfg`; also the largest cap accepted.
_CAP_BITS: constant(uint256) = (1 << 112) - 1
# Bit offset of the epoch duration (seconds) in `_cfg`.
_CFG_DURATION: constant(uint256) = 112
# Bit offset of the window length (seconds) in `_cfg`.
_CFG_WINDOW: constant(uint256) = 160
# Bit offset of the default outcome in `_cfg`.
_CFG_DEFAULT: constant(uint256) = 208
# Bit offset of the most epochs in `_cfg`.
_CFG_MAX_EPOCHS: constant(uint256) = 216
# Bit offset of the ITERATE bound (basis points) in `_cfg`.
_CFG_ITERATE_BPS: constant(uint256) = 232

# Field layout of `_run`: state (8) @0, epoch (16) @8, epoch start (48) @24, epoch end (48) @72,
# pending outcome (8) @120, paused at (48) @128, guardian halted (1) @176, max pause (48) @184,
# comparator (8) @232. Read only through the `_run_*` helpers at the bottom of the file.
# Bit offset of the 1-based epoch index in `_run`.
_RUN_EPOCH: constant(uint256) = 8
# Bit offset of the epoch start (unix seconds) in `_run`.
_RUN_START: constant(uint256) = 24
# Bit offset of the epoch end (unix seconds) in `_run`.
_RUN_END: constant(uint256) = 72
# Bit offset of the pending outcome in `_run`.
_RUN_OUTCOME: constant(uint256) = 120
# Bit offset of the time the programme paused (unix seconds) in `_run`.
_RUN_PAUSED_AT: constant(uint256) = 128
# The guardian-halt flag of `_run`.
_RUN_HALTED: constant(uint256) = 1 << 176
# Bit offset of the longest pause (seconds) in `_run`.
_RUN_MAX_PAUSE: constant(uint256) = 184
# Bit offset of the oracle comparator in `_run`.
_RUN_COMPARATOR: constant(uint256) = 232

# Dial layout in `_dial`: value (32) @0, lower (32) @32, upper (32) @64, step (32) @96,
# cooldown (48) @128, last move (48) @176, bit 255 set (marks a declared dial).
# Bit offset of a dial's lower bound.
_DIAL_LOWER: constant(uint256) = 32
# Bit offset of a dial's upper bound.
_DIAL_UPPER: constant(uint256) = 64
# Bit offset of a dial's largest move.
_DIAL_STEP: constant(uint256) = 96
# Bit offset of a dial's cooldown (seconds).
_DIAL_COOLDOWN: constant(uint256) = 128
# Bit offset of a dial's last move (unix seconds).
_DIAL_LAST: constant(uint256) = 176
# Marks a declared dial, so a dial whose fields are all zero still exists.
_DIAL_SET: constant(uint256) = 1 << 255


# The Budget that admits every epoch minter (shared by all programmes).
BUDGET: public(immutable(IBudget))
# The TPP executor: the only caller of `decide`, `resume` and `kill`.
EXECUTOR: public(immutable(address))
# The EpochMinter implementation each epoch's minter is cloned from.
MINTER_IMPLEMENTATION: public(immutable(address))
# The Hats-compatible registry a guardian or steward hat is checked against (empty: none).
HATS: public(immutable(address))

# Who decides who receives emission; set once.
mechanism: public(IMechanism)
# The current (or last) epoch's minter.
minter: public(IEpochMinter)
# May halt and resume emission at once (empty when the guardian is a hat).
guardian: public(address)
# May move dials within their bounds; empty when the programme has no dials or the steward
# is a hat.
steward: public(address)
# A hat whose wearers act as the guardian, checked with HATS.isWearerOfHat at call time; 0: none.
guardian_hat: public(uint256)
# A hat whose wearers act as the steward; 0: none.
steward_hat: public(uint256)
# Packed configuration (layout above); changes only by ITERATE (the cap).
_cfg: uint256
# Packed run state (layout above); 0 until initialised, _KILLED on the implementation.
_run: uint256
# The epoch cap (wei) an ITERATE decision asks for; applied when the epoch ends.
pending_cap: public(uint256)
# PAUSE condition oracle (an AggregatorV3) and the oldest answer that counts (seconds), packed
# in the `oracle_feed` layout; 0 (no oracle: a pause waits for a vote) unless an oracle is set.
_oracle: uint256
# What the comparator compares the oracle's answer with: an 18-decimal fixed-point number
# (1850.5 is 1850.5 * 10**18), whatever the feed's decimals.
oracle_threshold: public(int256)
# Dials by name, packed (dial layout above); 0 for undeclared dials.
_dial: HashMap[bytes32, uint256]


event Transition:
    programme: indexed(address)
    epoch: indexed(uint256)
    old_state: uint8
    new_state: uint8
    reason: String[_MAX_REASON]


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


event AdmissionDeferred:
    programme: indexed(address)
    epoch: indexed(uint256)
    cap: uint256
    start: uint256
    end: uint256
    reason: String[_MAX_REASON]


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
def __init__(budget: IBudget, executor: address, minter_implementation: address, hats: address):
    """
    @notice Deploys the implementation every programme clone delegates to.
    @param budget The Budget that admits every epoch minter.
    @param executor The TPP executor.
    @param minter_implementation The EpochMinter implementation epoch minters are cloned from.
    @param hats The Hats registry guardian and steward hats are checked against (may be empty:
           then programmes take addresses only).
    """
    assert budget.address != empty(address), "programme: zero budget"
    assert executor != empty(address), "programme: zero executor"
    assert minter_implementation != empty(address), "programme: zero minter implementation"
    BUDGET = budget
    EXECUTOR = executor
    MINTER_IMPLEMENTATION = minter_implementation
    HATS = hats
    # The implementation itself is never a programme.
    self._run = convert(_KILLED, uint256)


@external
def initialize(spec: programme_spec.ProgrammeSpec, mechanism: address):
    """
    @notice Sets a fresh clone up and opens its first epoch (admitted by the Budget, which
            must already have granted this programme ADMITTER_ROLE). Called once, by the
            factory, in the cloning transaction; any failure reverts the whole creation.
    @param spec What the programme is created with (see `programme_spec`).
    @param mechanism The mechanism clone, already initialised with this programme.
    """
    assert self._run == 0, "programme: already initialized"
    assert mechanism != empty(address), "programme: zero mechanism"
    assert spec.guardian != empty(address) or spec.guardian_hat != 0, "programme: zero guardian"
    assert spec.guardian == empty(address) or spec.guardian_hat == 0, "programme: guardian is an address or a hat"
    assert spec.steward == empty(address) or spec.steward_hat == 0, "programme: steward is an address or a hat"
    if spec.guardian_hat != 0 or spec.steward_hat != 0:
        assert HATS != empty(address), "programme: no hats registry"
    assert spec.epoch_cap != 0, "programme: zero cap"
    assert spec.epoch_cap <= _CAP_BITS, "programme: cap above uint112"
    assert spec.first_start >= block.timestamp, "programme: start in the past"
    assert spec.first_start < spec.first_end, "programme: start not before end"
    assert spec.first_end <= c.TIME_MASK, "programme: time beyond uint48"
    assert spec.epoch_duration != 0 and spec.epoch_duration <= c.TIME_MASK, "programme: bad epoch duration"
    assert spec.window_length != 0, "programme: zero window"
    assert spec.window_length <= spec.epoch_duration, "programme: window longer than epoch"
    assert spec.window_length <= staticcall BUDGET.window_length(), "programme: window outside shared window"
    assert staticcall BUDGET.next_cycle_boundary(spec.first_end - 1) == spec.first_end, "programme: epoch end off cycle"
    assert spec.default_outcome == _OUTCOME_STOP or spec.default_outcome == _OUTCOME_CONTINUE, "programme: default must be stop or continue"
    assert spec.max_epochs != 0 and spec.max_epochs <= c.WORD16, "programme: bad max epochs"
    assert spec.iterate_cap_bps <= c.BPS, "programme: iterate bound above 100%"
    assert spec.max_pause <= c.TIME_MASK, "programme: time beyond uint48"
    if spec.oracle != empty(address):
        assert spec.comparator >= _GREATER and spec.comparator <= _LESS_OR_EQUAL, "programme: bad comparator"
        assert spec.oracle_max_age != 0 and spec.oracle_max_age <= c.TIME_MASK, "programme: bad oracle max age"
        self._oracle = oracle_feed._pack(spec.oracle, spec.oracle_max_age)
        self.oracle_threshold = spec.threshold

    self.mechanism = IMechanism(mechanism)
    if spec.guardian_hat != 0:
        self.guardian_hat = spec.guardian_hat
    else:
        self.guardian = spec.guardian
    if spec.steward != empty(address):
        self.steward = spec.steward
    if spec.steward_hat != 0:
        self.steward_hat = spec.steward_hat
    self._cfg = (
        spec.epoch_cap
        | (spec.epoch_duration << _CFG_DURATION)
        | (spec.window_length << _CFG_WINDOW)
        | (convert(spec.default_outcome, uint256) << _CFG_DEFAULT)
        | (spec.max_epochs << _CFG_MAX_EPOCHS)
        | (spec.iterate_cap_bps << _CFG_ITERATE_BPS)
    )
    # The comparator means something only with an oracle (`comparator()` is 0 without one).
    comparator: uint256 = convert(spec.comparator, uint256) if spec.oracle != empty(address) else 0
    self._run = (spec.max_pause << _RUN_MAX_PAUSE) | (comparator << _RUN_COMPARATOR)
    for dial: programme_spec.Dial in spec.dials:
        assert dial.lower <= dial.initial and dial.initial <= dial.upper, "programme: dial outside bounds"
        assert dial.upper <= _U32 and dial.step <= dial.upper, "programme: dial above uint32"
        assert dial.cooldown <= c.TIME_MASK, "programme: time beyond uint48"
        assert self._dial[dial.name] == 0, "programme: duplicate dial"
        assert spec.steward != empty(address) or spec.steward_hat != 0, "programme: dials need a steward"
        self._dial[dial.name] = self._pack_dial(dial.initial, dial.lower, dial.upper, dial.step, dial.cooldown, 0)
        extcall IMechanism(mechanism).set_dial(dial.name, dial.initial)
    log ProgrammeInitialized(programme=self, mechanism=mechanism, kind=spec.kind, metadata_uri=spec.metadata_uri)

    reason: String[_MAX_REASON] = self._open_epoch(spec.first_start, spec.first_end, spec.epoch_cap, 1)
    assert reason == "", reason
    # Room for every later epoch is held now, in the vote that creates the programme, unless
    # it stops by default: then the vote that continues it holds the room (see `decide`).
    if spec.default_outcome == _OUTCOME_CONTINUE and spec.max_epochs > 1:
        rate: uint256 = 0
        reserve: uint256 = 0
        rate, reserve = self._hold_after(1, spec.epoch_cap)
        extcall BUDGET.hold(rate, reserve)


# --- permissionless ------------------------------------------------------------------------


@external
def advance() -> uint8:
    """
    @notice Applies every transition that is due; anyone may call it, any number of times.
    @return The state after advancing.
    """
    self._advance()
    return self._run_state(self._run)


# --- governance ----------------------------------------------------------------------------


@external
def decide(outcome: uint8, new_cap: uint256):
    """
    @notice Governance's decision for the epoch in evaluation: STOP, CONTINUE, ITERATE (with
            `new_cap` within the declared bound) or PAUSE. The last decision before the
            epoch's end stands. KILL is accepted at any time and applies at once.
    @param outcome 1 STOP, 2 CONTINUE, 3 ITERATE, 4 PAUSE or 5 KILL.
    @param new_cap The ITERATE cap (wei), within `iterate_cap_bps` of the current cap;
           ignored for the other outcomes.
    """
    assert msg.sender == EXECUTOR, "programme: caller is not the executor"
    if outcome == _OUTCOME_KILL:
        self._kill()
        return
    self._advance()
    run: uint256 = self._run
    assert self._run_state(run) == _EVALUATING, "programme: not in evaluation window"
    # Past the end a due transition may only be waiting (a paused Budget): the window is over.
    assert block.timestamp < self._run_end(run), "programme: not in evaluation window"
    assert outcome >= _OUTCOME_STOP and outcome <= _OUTCOME_PAUSE, "programme: unknown outcome"
    cap: uint256 = 0
    if outcome == _OUTCOME_ITERATE:
        cfg: uint256 = self._cfg
        current: uint256 = self._cfg_cap(cfg)
        bound: uint256 = current * self._cfg_iterate_bps(cfg) // c.BPS
        assert new_cap != 0 and new_cap <= _CAP_BITS, "programme: bad iterate cap"
        assert new_cap + bound >= current and new_cap <= current + bound, "programme: iterate outside bounds"
        cap = new_cap
        self.pending_cap = new_cap
    if outcome == _OUTCOME_STOP:
        # Nothing follows this epoch unless a later decision says so: give the held room back.
        extcall BUDGET.hold(0, 0)
    else:
        # The next epoch's room is held in this vote (checked by the Budget if it needs more:
        # a higher ITERATE cap, or a continuation after a STOP decision gave it back).
        self._raise_hold(self._run_epoch(run), cap if outcome == _OUTCOME_ITERATE else self._cfg_cap(self._cfg))
    self._run = (run & ~(c.BYTE_MASK << _RUN_OUTCOME)) | (convert(outcome, uint256) << _RUN_OUTCOME)
    log Decided(programme=self, epoch=self._run_epoch(run), outcome=outcome, new_cap=cap, decided_at=block.timestamp)


@external
def resume():
    """
    @notice Ends a PAUSE by vote: opens a new epoch with the same parameters.
    @dev Executor only; reverts unless PAUSED and the Budget is not paused.
    """
    assert msg.sender == EXECUTOR, "programme: caller is not the executor"
    self._advance()
    assert self._run_state(self._run) == _PAUSED, "programme: not paused"
    assert not staticcall BUDGET.paused(), "programme: budget paused"
    assert self._resume("resumed by vote"), "programme: admission deferred"


@external
def kill():
    """
    @notice Ends the programme at once and for good: settles and halts the mechanism and
            closes the epoch minter.
    @dev Executor only; reverts once STOPPED or KILLED.
    """
    assert msg.sender == EXECUTOR, "programme: caller is not the executor"
    self._kill()


# --- guardian and steward ------------------------------------------------------------------


@external
def halt():
    """
    @notice The guardian's brake: stops emission at once (nothing accrues while halted).
    @dev Guardian only; reverts once ended or if already halted.
    """
    assert self._acts_as(msg.sender, self.guardian, self.guardian_hat), "programme: caller is not the guardian"
    self._advance()
    run: uint256 = self._run
    state: uint8 = self._run_state(run)
    assert state != _STOPPED and state != _KILLED, "programme: ended"
    assert not self._run_halted(run), "programme: already halted"
    self._run = run | _RUN_HALTED
    extcall self.mechanism.set_halted(True)
    if not staticcall self.minter.paused():
        extcall self.minter.pause()
    log GuardianHalt(programme=self, epoch=self._run_epoch(run), guardian=msg.sender, halted=True)


@external
def unhalt():
    """
    @notice Lifts the guardian's halt; emission resumes from now (the halted time is not paid).
    @dev Guardian only; reverts once ended or if not halted.
    """
    assert self._acts_as(msg.sender, self.guardian, self.guardian_hat), "programme: caller is not the guardian"
    self._advance()
    run: uint256 = self._run
    state: uint8 = self._run_state(run)
    assert state != _STOPPED and state != _KILLED, "programme: ended"
    assert self._run_halted(run), "programme: not halted"
    self._run = run & ~_RUN_HALTED
    extcall self.mechanism.set_halted(False)
    if staticcall self.minter.paused():
        extcall self.minter.unpause()
    log GuardianHalt(programme=self, epoch=self._run_epoch(run), guardian=msg.sender, halted=False)


@external
def move_dial(name: bytes32, new_value: uint256, reason: String[128]):
    """
    @notice The steward moves a dial within its bounds, by at most its step, at most once
            per cooldown; the reason is logged with the move.
    @param name keccak256 of the dial's name (a declared dial).
    @param new_value The dial's new value, within [lower, upper] and at most `step` away.
    @param reason Why the steward moves it (logged, at most 128 bytes).
    """
    assert self._acts_as(msg.sender, self.steward, self.steward_hat), "programme: caller is not the steward"
    state: uint8 = self._run_state(self._run)
    assert state != _STOPPED and state != _KILLED, "programme: ended"
    packed: uint256 = self._dial[name]
    assert packed != 0, "programme: unknown dial"
    old: uint256 = 0
    lower: uint256 = 0
    upper: uint256 = 0
    step: uint256 = 0
    cooldown: uint256 = 0
    last: uint256 = 0
    old, lower, upper, step, cooldown, last = self._unpack_dial(packed)
    assert new_value >= lower and new_value <= upper, "programme: dial outside bounds"
    assert max(new_value, old) - min(new_value, old) <= step, "programme: dial step too large"
    assert last == 0 or block.timestamp >= last + cooldown, "programme: dial cooling down"
    self._dial[name] = self._pack_dial(new_value, lower, upper, step, cooldown, block.timestamp)
    extcall self.mechanism.set_dial(name, new_value)
    log DialMoved(programme=self, name=name, old_value=old, new_value=new_value, steward=msg.sender, reason=reason)


# --- views ---------------------------------------------------------------------------------


@external
@view
def state() -> uint8:
    """
    @notice The lifecycle state: 1 SCHEDULED, 2 RUNNING, 3 EVALUATING, 4 PAUSED, 5 STOPPED,
            6 KILLED (0 before initialisation).
    @return The state as stored (call `advance()` first to apply due transitions).
    """
    return self._run_state(self._run)


@external
@view
def epoch() -> uint256:
    """
    @notice 1-based index of the current (or last) epoch.
    @return The epoch index.
    """
    return self._run_epoch(self._run)


@external
@view
def epoch_start() -> uint256:
    """
    @notice First second of the current (or last) epoch.
    @return Unix time (seconds).
    """
    return self._run_start(self._run)


@external
@view
def epoch_end() -> uint256:
    """
    @notice End of the current (or last) epoch: a decision-cycle boundary.
    @return Unix time (seconds).
    """
    return self._run_end(self._run)


@external
@view
def pending_outcome() -> uint8:
    """
    @notice The decision taken in this evaluation window, if any.
    @return 0 (none yet), 1 STOP, 2 CONTINUE, 3 ITERATE or 4 PAUSE.
    """
    return self._run_outcome(self._run)


@external
@view
def paused_at() -> uint256:
    """
    @notice When the programme last entered PAUSED.
    @return Unix time (seconds); 0 if it never paused.
    """
    return self._run_paused_at(self._run)


@external
@view
def halted() -> bool:
    """
    @notice Whether the guardian's halt is on.
    @return True while halted.
    """
    return self._run_halted(self._run)


@external
@view
def max_pause() -> uint256:
    """
    @notice Longest a PAUSE may last before the programme stops.
    @return Seconds; 0 for no limit.
    """
    return self._run_max_pause(self._run)


@external
@view
def comparator() -> uint8:
    """
    @notice How the PAUSE condition compares the oracle's answer with the threshold.
    @return 1 >, 2 >=, 3 <, 4 <= (0 without an oracle).
    """
    return self._run_comparator(self._run)


@external
@view
def epoch_cap() -> uint256:
    """
    @notice Tokens (wei) one full-length epoch may mint; moved only by ITERATE.
    @return The epoch cap (wei).
    """
    return self._cfg_cap(self._cfg)


@external
@view
def epoch_duration() -> uint256:
    """
    @notice Length of every epoch after the first.
    @return Seconds.
    """
    return self._cfg_duration(self._cfg)


@external
@view
def window_length() -> uint256:
    """
    @notice Length of the evaluation window before each epoch end.
    @return Seconds.
    """
    return self._cfg_window(self._cfg)


@external
@view
def default_outcome() -> uint8:
    """
    @notice What applies at epoch end without a decision.
    @return 1 STOP or 2 CONTINUE.
    """
    return self._cfg_default(self._cfg)


@external
@view
def max_epochs() -> uint256:
    """
    @notice Most epochs the programme may run, the first included.
    @return The epoch count.
    """
    return self._cfg_max_epochs(self._cfg)


@external
@view
def iterate_cap_bps() -> uint256:
    """
    @notice Most an ITERATE may move the epoch cap, in basis points of the current cap.
    @return Basis points, 0 to 10_000.
    """
    return self._cfg_iterate_bps(self._cfg)


@external
@view
def dial(name: bytes32) -> (uint256, uint256, uint256, uint256, uint256, uint256):
    """
    @notice (value, lower, upper, step, cooldown, last move) of a dial; zeros if unknown.
    @param name keccak256 of the dial's name.
    @return The value, lower and upper bounds, largest step, cooldown (seconds) and time of
            the last move (unix seconds; 0 before the first move).
    """
    return self._unpack_dial(self._dial[name])


@external
@view
def next_transition() -> (uint8, uint256):
    """
    @notice The next state a time-driven transition leads to and when it becomes due
            (0, 0 when none is scheduled: final states, or a pause waiting on an oracle with
            no deadline).
    @return The next state and the unix time (seconds) it becomes due.
    """
    run: uint256 = self._run
    state: uint8 = self._run_state(run)
    end: uint256 = self._run_end(run)
    if state == _SCHEDULED:
        return _RUNNING, self._run_start(run)
    if state == _RUNNING:
        return _EVALUATING, end - min(end, self._cfg_window(self._cfg))
    if state == _EVALUATING:
        return self._outcome_state(run), end
    if state == _PAUSED and self._run_max_pause(run) != 0:
        return _STOPPED, self._run_paused_at(run) + self._run_max_pause(run)
    return 0, 0


@external
@view
def pause_condition_met() -> bool:
    """
    @notice Whether the oracle condition that ends a PAUSE holds now: the feed's latest answer
            is fresh (at most `oracle_max_age` old), from a complete round, positive, and
            compares with `oracle_threshold` (both at 18 decimals) as `comparator` says.
    @return False without an oracle or when the feed fails or answers badly; else the
            comparison's result.
    """
    return self._condition_met()


@external
@view
def oracle() -> address:
    """
    @notice The AggregatorV3 feed whose answer can end a PAUSE.
    @return The feed; empty when a pause waits for a vote.
    """
    return oracle_feed._feed(self._oracle)


@external
@view
def oracle_max_age() -> uint256:
    """
    @notice The oldest oracle answer that counts for the PAUSE condition.
    @return Seconds since the answer's `updatedAt`; 0 without an oracle.
    """
    return oracle_feed._max_age(self._oracle)


# --- internal ------------------------------------------------------------------------------


@internal
@view
def _acts_as(caller: address, holder: address, hat: uint256) -> bool:
    """
    @dev Whether `caller` holds a role given as an address or a hat: it is the address, or it
         wears the hat now by the Hats registry. A registry that reverts or answers malformed
         data counts as "does not wear it" (so a broken registry can only lock the role out,
         never let a stranger in).
    @param caller The caller.
    @param holder The role's address (empty when it is a hat).
    @param hat The role's hat id (0 when it is an address).
    @return True if the caller holds the role.
    """
    if holder != empty(address) and caller == holder:
        return True
    if hat == 0:
        return False
    success: bool = False
    response: Bytes[32] = b""
    success, response = raw_call(
        HATS,
        abi_encode(caller, hat, method_id=method_id("isWearerOfHat(address,uint256)")),
        max_outsize=32,
        is_static_call=True,
        revert_on_failure=False,
    )
    return success and len(response) == 32 and convert(response, uint256) == 1


@internal
@view
def _outcome_state(run: uint256) -> uint8:
    """
    @dev The state the end of the evaluated epoch leads to, by the pending or default outcome.
    @param run The packed run state.
    @return STOPPED, PAUSED or RUNNING.
    """
    outcome: uint8 = self._run_outcome(run)
    if outcome == 0:
        outcome = self._cfg_default(self._cfg)
    if outcome == _OUTCOME_STOP:
        return _STOPPED
    if outcome == _OUTCOME_PAUSE:
        return _PAUSED
    if self._run_epoch(run) >= self._cfg_max_epochs(self._cfg):
        return _STOPPED
    return _RUNNING


@internal
def _set_state(new_state: uint8, reason: String[_MAX_REASON]):
    """
    @dev Stores the new state and logs the transition.
    @param new_state The state entered.
    @param reason Why, for the log.
    """
    run: uint256 = self._run
    old_state: uint8 = self._run_state(run)
    self._run = (run & ~c.BYTE_MASK) | convert(new_state, uint256)
    log Transition(programme=self, epoch=self._run_epoch(run), old_state=old_state, new_state=new_state, reason=reason)


@internal
def _advance():
    """
    @dev Applies due transitions, at most _MAX_STEPS of them. No parameters, nothing returned.
    """
    for _: uint256 in range(_MAX_STEPS):
        if not self._step():
            return


@internal
def _step() -> bool:
    """
    @dev Applies the one transition that is due now, if any.
    @return Whether it applied one.
    """
    run: uint256 = self._run
    state: uint8 = self._run_state(run)
    start: uint256 = self._run_start(run)
    end: uint256 = self._run_end(run)

    if state == _SCHEDULED:
        if block.timestamp < start:
            return False
        self._set_state(_RUNNING, "epoch started")
        return True

    if state == _RUNNING:
        if block.timestamp < end - min(end, self._cfg_window(self._cfg)):
            return False
        self._set_state(_EVALUATING, "evaluation window opened")
        return True

    if state == _EVALUATING:
        if block.timestamp < end:
            return False
        return self._apply_outcome(run, end)

    if state == _PAUSED:
        max_pause: uint256 = self._run_max_pause(run)
        if self._condition_met():
            return self._resume("pause condition met")
        if max_pause != 0 and block.timestamp >= self._run_paused_at(run) + max_pause:
            if staticcall BUDGET.paused():
                # The final settlement mints: wait for the Budget's guardian (see _apply_outcome).
                return False
            self._stop("pause expired")
            return True
        return False

    return False


@internal
def _apply_outcome(run: uint256, end: uint256) -> bool:
    """
    @dev Applies the pending (or default) outcome at the end of the evaluated epoch: stops,
         pauses, or opens the next epoch out of the room the programme holds in the Budget
         (see `_renew`), so whether it continues never depends on other programmes or on who
         calls `advance()` first. A closed Budget, or a refusal for any reason but room,
         stops it with the Budget's reason.
    @param run The packed run state.
    @param end The evaluated epoch's end (unix seconds).
    @return Whether a transition was applied (False while a paused or full Budget holds it).
    """
    decided: uint8 = self._run_outcome(run)
    outcome: uint8 = decided
    if outcome == 0:
        outcome = self._cfg_default(self._cfg)
    epoch: uint256 = self._run_epoch(run)
    if outcome != _OUTCOME_PAUSE and staticcall BUDGET.paused():
        # Wait for the Budget's guardian: the transition, and the decision, stay due. Opening
        # an epoch needs an admission, and stopping settles the epoch, which mints.
        return False

    if outcome == _OUTCOME_STOP:
        self._clear_outcome()
        if decided == 0:
            self._stop("default: stop")
        else:
            self._stop("decided: stop")
        return True
    if outcome == _OUTCOME_PAUSE:
        self._clear_outcome()
        self._run = (self._run & ~(c.TIME_MASK << _RUN_PAUSED_AT)) | (block.timestamp << _RUN_PAUSED_AT)
        self._set_state(_PAUSED, "decided: pause")
        return True
    if epoch >= self._cfg_max_epochs(self._cfg):
        self._clear_outcome()
        self._stop("last epoch ended")
        return True

    full_cap: uint256 = self._cfg_cap(self._cfg)
    if outcome == _OUTCOME_ITERATE:
        full_cap = self.pending_cap
    start: uint256 = max(end, block.timestamp)
    reason: String[_MAX_REASON] = self._renew(start, full_cap, epoch)
    if reason == _DEFERRED:
        return False
    self._clear_outcome()
    if reason != "":
        self._stop(reason)
        return True
    if outcome == _OUTCOME_ITERATE:
        self._cfg = (self._cfg & ~_CAP_BITS) | full_cap
    if outcome == _OUTCOME_ITERATE:
        self._set_state(_RUNNING if block.timestamp >= start else _SCHEDULED, "decided: iterate")
    elif decided == 0:
        self._set_state(_RUNNING if block.timestamp >= start else _SCHEDULED, "default: continue")
    else:
        self._set_state(_RUNNING if block.timestamp >= start else _SCHEDULED, "decided: continue")
    return True


@internal
def _clear_outcome():
    """
    @dev Clears the pending decision: it was for the epoch that just ended. No parameters,
         nothing returned.
    """
    self._run = self._run & ~(c.BYTE_MASK << _RUN_OUTCOME)


@internal
def _renew(start: uint256, full_cap: uint256, epoch: uint256) -> String[_MAX_REASON]:
    """
    @dev Opens epoch `epoch + 1` from `start`, at `full_cap` per `epoch_duration`, out of the
         room the programme holds in the Budget: its cap is prorated over its length and never
         more than the reserve left (so the programme never mints more than its votes allowed:
         the first cap and one full cap per later epoch), and its rate never above the held
         rate, so the Budget checks no threshold, allocation or share rule again. It ends on
         the first boundary, from its aligned end on, whose window has room for one more
         decision (at most _LOAD_TRIES later). Then it lowers the hold to what the epochs
         after it need (nothing, for a programme that stops by default).
    @param start The new epoch's start (unix seconds).
    @param full_cap The cap per full epoch (wei): the configured one, or an ITERATE's.
    @param epoch The epoch that ended (1-based).
    @return "" when it opened; _DEFERRED when the Budget refused it for room (logged with
            `AdmissionDeferred`: the caller waits and a later `advance()` retries); else the
            Budget's reason, after which the caller stops.
    """
    duration: uint256 = self._cfg_duration(self._cfg)
    new_end: uint256 = self._free_end(self._aligned_end(start, duration))
    held_rate: uint256 = 0
    reserve: uint256 = 0
    held_from: uint256 = 0
    held_rate, reserve, held_from = staticcall BUDGET.hold_of(self)
    cap: uint256 = min(full_cap * (new_end - start) // duration, reserve)
    if cap == 0:
        return "programme: voted total used up"
    reason: String[_MAX_REASON] = self._open_epoch(start, new_end, cap, epoch + 1)
    if reason != "":
        if self._for_room(reason):
            log AdmissionDeferred(programme=self, epoch=epoch, cap=cap, start=start, end=new_end, reason=reason)
            return _DEFERRED
        return reason
    rate: uint256 = 0
    left: uint256 = 0
    if self._cfg_default(self._cfg) == _OUTCOME_CONTINUE:
        rate, left = self._hold_after(epoch + 1, full_cap)
    # A programme that stops by default holds nothing for the epoch after this one until a
    # vote continues it; a rate with no tokens left to emit at it holds nothing either.
    left = min(left, reserve - cap)
    rate = min(rate, held_rate) if left != 0 else 0
    if rate != held_rate or left != reserve - cap:
        extcall BUDGET.hold(rate, left)
    return ""


@internal
@pure
def _for_room(reason: String[_MAX_REASON]) -> bool:
    """
    @dev Whether the Budget refused an admission for room (a limit a later block may lift),
         not for good (closed, role revoked).
    @param reason The Budget's revert reason.
    @return True for the threshold, allocation, share and window-load refusals.
    """
    h: bytes32 = keccak256(reason)
    return (
        h == keccak256("budget: window load above limit")
        or h == keccak256("budget: rate above threshold")
        or h == keccak256("budget: allocation exceeded")
        or h == keccak256("budget: share above limit")
    )


@internal
def _raise_hold(epoch: uint256, full_cap: uint256):
    """
    @dev Makes the room held in the Budget at least what the epochs after `epoch` need at
         `full_cap` (see `_hold_after`); the Budget checks the increase like an admission and
         reverts with its reason when it has no room. Never lowers.
    @param epoch The current epoch (1-based).
    @param full_cap The cap per full epoch (wei) the later epochs will have.
    """
    rate: uint256 = 0
    reserve: uint256 = 0
    rate, reserve = self._hold_after(epoch, full_cap)
    held_rate: uint256 = 0
    held_reserve: uint256 = 0
    held_from: uint256 = 0
    held_rate, held_reserve, held_from = staticcall BUDGET.hold_of(self)
    if rate > held_rate or reserve > held_reserve:
        extcall BUDGET.hold(max(rate, held_rate), max(reserve, held_reserve))


@internal
@view
def _hold_after(epoch: uint256, full_cap: uint256) -> (uint256, uint256):
    """
    @dev The room the epochs after `epoch` need at `full_cap`: the configured rate rounded up
         (no prorated later epoch is faster) and one full cap per epoch left to `max_epochs`
         (just the next one for a programme that stops by default: a vote continues it one
         epoch at a time); nothing after the last epoch.
    @param epoch An epoch (1-based).
    @param full_cap The cap per full epoch (wei).
    @return (rate in wei per second, reserve in wei).
    """
    cfg: uint256 = self._cfg
    max_epochs: uint256 = self._cfg_max_epochs(cfg)
    if epoch >= max_epochs:
        return 0, 0
    duration: uint256 = self._cfg_duration(cfg)
    if self._cfg_default(cfg) != _OUTCOME_CONTINUE:
        # Stopping by default, it runs one more epoch per vote that continues it.
        return (full_cap + duration - 1) // duration, full_cap
    return (full_cap + duration - 1) // duration, (max_epochs - epoch) * full_cap


@internal
@view
def _free_end(end: uint256) -> uint256:
    """
    @dev The first cycle boundary from `end` on whose evaluation window has room for one more
         decision under the Budget's load limit, trying at most _LOAD_TRIES later ones (then
         `end` as far as it got, which the Budget refuses and the caller defers).
    @param end An aligned epoch end (unix seconds).
    @return The end to admit (unix seconds).
    """
    limit: uint256 = staticcall BUDGET.load_limit()
    candidate: uint256 = end
    for _: uint256 in range(_LOAD_TRIES):
        if staticcall BUDGET.window_load(candidate) < limit:
            return candidate
        candidate = staticcall BUDGET.next_cycle_boundary(candidate)
    return candidate


@internal
def _resume(reason: String[_MAX_REASON]) -> bool:
    """
    @dev Leaves PAUSED: opens a new epoch from now, or stops after the last epoch or when the
         Budget refuses the new epoch for any reason but lack of room (then it stays PAUSED
         and a later `advance()` or vote retries).
    @param reason The transition reason to log when the new epoch opens.
    @return Whether a transition was applied (False while the Budget is paused or full).
    """
    run: uint256 = self._run
    epoch: uint256 = self._run_epoch(run)
    # Both ways out need the Budget: a new epoch's admission, or the final settlement.
    if staticcall BUDGET.paused():
        return False
    if epoch >= self._cfg_max_epochs(self._cfg):
        self._stop("last epoch ended")
        return True
    failure: String[_MAX_REASON] = self._renew(block.timestamp, self._cfg_cap(self._cfg), epoch)
    if failure == _DEFERRED:
        return False
    if failure != "":
        self._stop(failure)
        return True
    self._set_state(_RUNNING, reason)
    return True


@internal
@view
def _aligned_end(start: uint256, duration: uint256) -> uint256:
    """
    @dev The first decision-cycle boundary after `start + duration - cycle`: an epoch that
         starts on a boundary lasts exactly `duration` (a whole number of cycles); one that
         starts late ends on the same boundary, a little shorter — unless that would leave it
         shorter than its evaluation window, in which case it ends one boundary later (and
         its cap, prorated over its length, keeps the configured rate).
         Why the window is the floor: an epoch shorter than its window opens already inside
         it, so governance would get less time than the programme declared it needs (a late
         `advance()` one second before a boundary left one second) to judge an epoch that
         barely ran, and that dust epoch would still use up one of `max_epochs` and a decision.
         The window is set per programme, at most the epoch duration and the shared window,
         so the floor follows the calendar, and an on-time epoch (`duration` >= window long)
         is never stretched. The epoch still starts at `start`: emission has no gap, and the
         short remainder is folded into the next cycle instead of being skipped.
    @param start The epoch's start (unix seconds).
    @param duration The configured epoch length (seconds).
    @return The epoch's end: a decision-cycle boundary (unix seconds).
    """
    cycle: uint256 = staticcall BUDGET.cycle_length()
    end: uint256 = staticcall BUDGET.next_cycle_boundary(start + duration - min(duration, cycle))
    if end - start < self._cfg_window(self._cfg):
        end = staticcall BUDGET.next_cycle_boundary(end)
    return end


@internal
def _open_epoch(start: uint256, end: uint256, cap: uint256, epoch: uint256) -> String[_MAX_REASON]:
    """
    @dev Clones an epoch minter, asks the Budget to admit it and points the mechanism at it.
         Returns "" on success, or the Budget's reason (nothing is changed then).
    @param start The epoch's start (unix seconds).
    @param end The epoch's end (unix seconds).
    @param cap The epoch's cap (wei).
    @param epoch The new epoch's 1-based index.
    @return "" on success, else why the epoch could not open.
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
            return abi_decode(slice(response, 4, len(response) - 4), String[_MAX_REASON])
        return "programme: admission refused"
    run: uint256 = self._run
    old: IEpochMinter = self.minter
    halted: bool = self._run_halted(run)
    if halted:
        # A guardian halt carries over into the new epoch.
        extcall IEpochMinter(minter).pause()
        if old.address != empty(address) and staticcall old.paused() and not staticcall old.closed():
            # What accrued before the halt is owed: let the mechanism settle it.
            extcall old.unpause()
    self.minter = IEpochMinter(minter)
    self._run = (
        (run & ~((c.WORD16 << _RUN_EPOCH) | (c.TIME_MASK << _RUN_START) | (c.TIME_MASK << _RUN_END)))
        | (epoch << _RUN_EPOCH)
        | (start << _RUN_START)
        | (end << _RUN_END)
    )
    if self._run_state(run) == 0:
        self._set_state(_SCHEDULED if block.timestamp < start else _RUNNING, "programme created")
    extcall self.mechanism.start_epoch(minter, start, end, cap)
    if old.address != empty(address) and not staticcall old.closed():
        # The old epoch is settled: close its minter, so exactly one epoch can mint.
        extcall old.close()
    log EpochOpened(programme=self, epoch=epoch, minter=minter, cap=cap, start=start, end=end)
    return ""


@internal
@view
def _condition_met() -> bool:
    """
    @dev Reads the oracle through `oracle_feed`: only a fresh, complete, positive answer
         counts, compared at 18 decimals; a feed that reverts, answers badly or burns gas
         counts as "not met" at a bounded cost (its gas caps), so it never blocks `advance()`.
         Reverts only when the caller left too little gas for a full read (see `oracle_feed`).
    @return Whether the PAUSE condition holds now.
    """
    word: uint256 = self._oracle
    if word == 0:
        return False
    counts: bool = False
    sign: int8 = 0
    counts, sign = oracle_feed._compare(word, self.oracle_threshold)
    if not counts:
        return False
    comparator: uint8 = self._run_comparator(self._run)
    if comparator == _GREATER:
        return sign > 0
    if comparator == _GREATER_OR_EQUAL:
        return sign >= 0
    if comparator == _LESS:
        return sign < 0
    return sign <= 0


@internal
def _kill():
    """
    @dev Settles and halts the mechanism (failures tolerated), closes the minter, and ends the
         programme as KILLED. No parameters, nothing returned.
    """
    state: uint8 = self._run_state(self._run)
    assert state != _STOPPED and state != _KILLED, "programme: ended"
    self._settle(True)
    self._set_state(_KILLED, "killed")


@internal
def _stop(reason: String[_MAX_REASON]):
    """
    @dev Ends the programme as STOPPED, after the same final settlement as a kill (the epoch
         has ended, so nothing accrues any more and the mechanism need not be halted). Every
         transition into STOPPED goes through here: a default or decided STOP, the last epoch,
         a pause that expired, a refused admission.
    @param reason The transition reason to log.
    """
    self._settle(False)
    self._set_state(_STOPPED, reason)


@internal
def _settle(halt: bool):
    """
    @dev The final settlement: what accrued is paid (stream) or dripped (staking) now; then
         the minter is closed, which releases its unused cap to the Budget, and the room held
         for later epochs is given back. What accrued
         before a guardian halt is owed, so a halted (paused) minter is unpaused first. When
         nothing can be minted now (a kill while the Budget is paused: the other ways into a
         final state wait for the Budget), accrual is stopped and the minter is retired
         instead of closed: it keeps exactly what the mechanism still owes mintable, with no
         deadline, so nothing accrued is ever lost. A failing mechanism must not block the
         end of a programme, so its calls may fail.
    @param halt Whether to halt the mechanism too (a kill, possibly before the epoch's end).
    """
    minter: IEpochMinter = self.minter
    mechanism: address = self.mechanism.address
    closed: bool = staticcall minter.closed()
    if not closed and staticcall minter.paused():
        extcall minter.unpause()
    if not closed and staticcall BUDGET.paused():
        # Halting ticks the clock, so `accrued` below counts up to now; nothing accrues after.
        halted: bool = raw_call(mechanism, abi_encode(True, method_id=method_id("set_halted(bool)")), revert_on_failure=False)
        extcall minter.retire(self._owed(mechanism, minter))
    else:
        settled: bool = raw_call(mechanism, method_id("settle()"), revert_on_failure=False)
        if halt:
            halted: bool = raw_call(mechanism, abi_encode(True, method_id=method_id("set_halted(bool)")), revert_on_failure=False)
        if not closed:
            extcall minter.close()
    # No epoch follows: the room held for later ones goes back to the Budget (always allowed).
    extcall BUDGET.hold(0, 0)


@internal
@view
def _owed(mechanism: address, minter: IEpochMinter) -> uint256:
    """
    @dev What the mechanism has accrued against `minter` and not minted yet, read without
         ever reverting (a failing mechanism owes nothing it can prove).
    @param mechanism The programme's mechanism.
    @param minter The epoch's minter.
    @return Wei owed.
    """
    success: bool = False
    response: Bytes[32] = b""
    success, response = raw_call(mechanism, method_id("accrued()"), max_outsize=32, is_static_call=True, revert_on_failure=False)
    if not success or len(response) < 32:
        return 0
    accrued: uint256 = convert(response, uint256)
    minted: uint256 = staticcall minter.minted()
    return accrued - min(accrued, minted)


# --- packed fields -------------------------------------------------------------------------
# The one place `_run`, `_cfg` and `_dial` words are read field by field (layouts above).


@internal
@pure
def _run_state(run: uint256) -> uint8:
    """
    @param run The packed run state.
    @return The lifecycle state (0 before initialisation).
    """
    return convert(run & c.BYTE_MASK, uint8)


@internal
@pure
def _run_epoch(run: uint256) -> uint256:
    """
    @param run The packed run state.
    @return The 1-based index of the current (or last) epoch.
    """
    return (run >> _RUN_EPOCH) & c.WORD16


@internal
@pure
def _run_start(run: uint256) -> uint256:
    """
    @param run The packed run state.
    @return The current epoch's start (unix seconds).
    """
    return (run >> _RUN_START) & c.TIME_MASK


@internal
@pure
def _run_end(run: uint256) -> uint256:
    """
    @param run The packed run state.
    @return The current epoch's end (unix seconds).
    """
    return (run >> _RUN_END) & c.TIME_MASK


@internal
@pure
def _run_outcome(run: uint256) -> uint8:
    """
    @param run The packed run state.
    @return The pending outcome (0: no decision yet).
    """
    return convert((run >> _RUN_OUTCOME) & c.BYTE_MASK, uint8)


@internal
@pure
def _run_paused_at(run: uint256) -> uint256:
    """
    @param run The packed run state.
    @return When the programme last paused (unix seconds).
    """
    return (run >> _RUN_PAUSED_AT) & c.TIME_MASK


@internal
@pure
def _run_halted(run: uint256) -> bool:
    """
    @param run The packed run state.
    @return Whether the guardian's halt is on.
    """
    return run & _RUN_HALTED != 0


@internal
@pure
def _run_max_pause(run: uint256) -> uint256:
    """
    @param run The packed run state.
    @return The longest pause (seconds; 0 for no limit).
    """
    return (run >> _RUN_MAX_PAUSE) & c.TIME_MASK


@internal
@pure
def _run_comparator(run: uint256) -> uint8:
    """
    @param run The packed run state.
    @return The oracle comparator (1 >, 2 >=, 3 <, 4 <=).
    """
    return convert((run >> _RUN_COMPARATOR) & c.BYTE_MASK, uint8)


@internal
@pure
def _cfg_cap(cfg: uint256) -> uint256:
    """
    @param cfg The packed configuration.
    @return The epoch cap (wei).
    """
    return cfg & _CAP_BITS


@internal
@pure
def _cfg_duration(cfg: uint256) -> uint256:
    """
    @param cfg The packed configuration.
    @return The epoch duration (seconds).
    """
    return (cfg >> _CFG_DURATION) & c.TIME_MASK


@internal
@pure
def _cfg_window(cfg: uint256) -> uint256:
    """
    @param cfg The packed configuration.
    @return The evaluation window's length (seconds).
    """
    return (cfg >> _CFG_WINDOW) & c.TIME_MASK


@internal
@pure
def _cfg_default(cfg: uint256) -> uint8:
    """
    @param cfg The packed configuration.
    @return The default outcome (STOP or CONTINUE).
    """
    return convert((cfg >> _CFG_DEFAULT) & c.BYTE_MASK, uint8)


@internal
@pure
def _cfg_max_epochs(cfg: uint256) -> uint256:
    """
    @param cfg The packed configuration.
    @return The most epochs the programme may run.
    """
    return (cfg >> _CFG_MAX_EPOCHS) & c.WORD16


@internal
@pure
def _cfg_iterate_bps(cfg: uint256) -> uint256:
    """
    @param cfg The packed configuration.
    @return The ITERATE bound (basis points of the current cap).
    """
    return (cfg >> _CFG_ITERATE_BPS) & c.WORD16


@internal
@pure
def _pack_dial(dial_value: uint256, lower: uint256, upper: uint256, step: uint256, cooldown: uint256, last: uint256) -> uint256:
    """
    @dev Packs a dial (layout above); the caller has bounded the fields.
    @param dial_value The dial's value (32 bits).
    @param lower Its lower bound (32 bits).
    @param upper Its upper bound (32 bits).
    @param step Its largest move (32 bits).
    @param cooldown Seconds between two moves (48 bits).
    @param last When it last moved (unix seconds, 48 bits; 0: never).
    @return The packed word, with the declared-dial bit set.
    """
    return (
        dial_value
        | (lower << _DIAL_LOWER)
        | (upper << _DIAL_UPPER)
        | (step << _DIAL_STEP)
        | (cooldown << _DIAL_COOLDOWN)
        | (last << _DIAL_LAST)
        | _DIAL_SET
    )


@internal
@pure
def _unpack_dial(packed: uint256) -> (uint256, uint256, uint256, uint256, uint256, uint256):
    """
    @param packed A packed dial; 0 for an undeclared one.
    @return Its value, lower bound, upper bound, step, cooldown and last move.
    """
    return (
        packed & _U32,
        (packed >> _DIAL_LOWER) & _U32,
        (packed >> _DIAL_UPPER) & _U32,
        (packed >> _DIAL_STEP) & _U32,
        (packed >> _DIAL_COOLDOWN) & c.TIME_MASK,
        (packed >> _DIAL_LAST) & c.TIME_MASK,
    )
