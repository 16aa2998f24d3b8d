# pragma version ~=0.4.3
"""
@title emission
@license AGPL-3.0-only
@notice The emission clock every mechanism shares: the current epoch's minter, its window,
        the per-second rate at which the epoch's cap unlocks, the steward's throttle dial and
        the guardian's halt. A mechanism calls `_tick()` before any change and decides what
        the ticked amount is worth to whom.
@dev Accrual runs only inside [epoch_start, epoch_end], only while not halted, at
     `rate * throttle_bps / 10_000`. Each tick floors, so the running sum never exceeds the
     minter's own (floored) linear unlock and the mechanism can always mint what accrued.
     The clock's small fields share one storage slot, read once per tick.
"""

from .interfaces import IEpochMinter
from . import constants as c

# Fixed-point scale of `rate` (wei * 1e18 per second), so small caps over long epochs keep
# their precision.
_RATE_SCALE: constant(uint256) = 10**18
# Dial name of the throttle: share (basis points) of the unlocking emission passed on.
_THROTTLE: constant(bytes32) = keccak256("throttle_bps")
# Clock layout: bits 0..47 last update, 48..95 epoch start, 96..143 epoch end (48-bit times,
# masked with c.TIME_MASK), 144..159 throttle (basis points, masked with c.WORD16), bit 160
# halted, bits 161.. the mechanism's flags.
# Bit offset of the epoch start in the clock.
_START_SHIFT: constant(uint256) = 48
# Bit offset of the epoch end in the clock.
_END_SHIFT: constant(uint256) = 96
# Bit offset of the throttle (basis points, 16 bits) in the clock.
_THROTTLE_SHIFT: constant(uint256) = 144
# Set while the guardian (or a kill) halts accrual.
_HALTED_BIT: constant(uint256) = 1 << 160
# Bits 161..255: the mechanism's own flags (a gated pool), kept across epochs; read with the
# clock at no extra cost.
_GATED_BIT: constant(uint256) = 1 << 161
_FLAGS: constant(uint256) = ~((1 << 161) - 1)
# Flows layout: bits 0..126 wei accrued against the current minter, bits 127..253 wei the
# mechanism holds for its users (staking: dripped minus paid), bit 255 always set so that
# no write to the slot is a (four times dearer) write from zero.
# Mask of one 127-bit amount (wei) in the flows word; also the largest amount accepted.
_AMOUNT_MASK: constant(uint256) = (1 << 127) - 1
# Bit offset of the held amount in the flows word.
_HELD_SHIFT: constant(uint256) = 127
# Always-set bit 255 of the flows word (see above).
_FLOWS_SET: constant(uint256) = 1 << 255

# The programme that controls this mechanism (sets epochs, dials, halt); empty until initialised.
programme: public(address)
# Minter of the current epoch (empty before the first epoch).
minter: public(IEpochMinter)
# The epoch's unlock rate at full throttle, in wei * _RATE_SCALE per second.
rate: public(uint256)
# Packed clock: last update, epoch window, throttle dial, halted flag (layout above).
_clock: uint256
# Packed accrued / held amounts (layout above); read and written together on every claim.
_flows: uint256
# Wei minted from the current minter.
minted_current: public(uint256)
# Wei minted in earlier epochs.
minted_before: public(uint256)
# Wei accrued but never mintable (an epoch settled after its minter's claim grace).
forfeited: public(uint256)


@external
@view
def epoch_start() -> uint256:
    """
    @notice First second (unix time) of the current epoch.
    @return The epoch start; 0 before the first epoch.
    """
    return (self._clock >> _START_SHIFT) & c.TIME_MASK


@external
@view
def epoch_end() -> uint256:
    """
    @notice Second (unix time) at which the current epoch stops accruing.
    @return The epoch end; 0 before the first epoch.
    """
    return (self._clock >> _END_SHIFT) & c.TIME_MASK


@external
@view
def last_update() -> uint256:
    """
    @notice When the clock last ticked.
    @return Unix time (seconds) of the last tick.
    """
    return self._clock & c.TIME_MASK


@external
@view
def throttle_bps() -> uint256:
    """
    @notice The steward's throttle dial: share of the unlocking emission passed on.
    @return Basis points, 0 to 10_000 (10_000 at initialisation).
    """
    return (self._clock >> _THROTTLE_SHIFT) & c.WORD16


@external
@view
def halted() -> bool:
    """
    @notice Whether accrual is halted (guardian halt or kill).
    @return True while halted.
    """
    return self._clock & _HALTED_BIT != 0


@external
@view
def accrued() -> uint256:
    """
    @notice Wei accrued (owed to someone) against the current epoch's minter.
    @return Wei accrued, minted or not.
    """
    return self._flows & _AMOUNT_MASK


@internal
def _init(programme: address):
    """
    @dev Sets the programme once and starts the clock at full throttle, not halted.
    @param programme The controlling programme; not empty.
    """
    assert self.programme == empty(address), "mechanism: already initialized"
    assert programme != empty(address), "mechanism: zero programme"
    self.programme = programme
    self._clock = c.BPS << _THROTTLE_SHIFT
    self._flows = _FLOWS_SET


@internal
@view
def _accrued() -> uint256:
    """
    @dev See `accrued`.
    @return Wei accrued against the current minter.
    """
    return self._flows & _AMOUNT_MASK


@internal
@view
def _held() -> uint256:
    """
    @dev Wei the mechanism holds for its users (staking: dripped minus paid).
    @return The held amount, wei.
    """
    return (self._flows >> _HELD_SHIFT) & _AMOUNT_MASK


@internal
def _add_accrued(amount: uint256):
    """
    @dev Counts ticked emission as owed against the current minter.
    @param amount Wei to add; the sum stays within 127 bits.
    """
    if amount != 0:
        flows: uint256 = self._flows
        accrued: uint256 = (flows & _AMOUNT_MASK) + amount
        assert accrued <= _AMOUNT_MASK, "mechanism: amount overflow"
        self._flows = (flows & ~_AMOUNT_MASK) | accrued


@internal
def _set_held(held: uint256):
    """
    @dev Stores the held amount.
    @param held Wei; within 127 bits.
    """
    assert held <= _AMOUNT_MASK, "mechanism: amount overflow"
    self._flows = (self._flows & ~(_AMOUNT_MASK << _HELD_SHIFT)) | (held << _HELD_SHIFT)


@internal
@view
def _only_programme():
    """
    @dev Reverts unless the caller is the programme. No parameters, nothing returned.
    """
    assert msg.sender == self.programme, "mechanism: caller is not the programme"


@internal
@view
def _pending_of(clock: uint256) -> uint256:
    """
    @dev Wei accrued since the last tick of `clock`, at the throttled rate, inside the
         epoch window and only while not halted; floored.
    @param clock A packed clock (layout above).
    @return Wei not yet counted.
    """
    return self._pending_until(clock, block.timestamp)


@internal
@view
def _pending_until(clock: uint256, t: uint256) -> uint256:
    """
    @dev Wei that would accrue from the last tick of `clock` up to time `t` (not after now:
         the rate, throttle and halt in `clock` hold until the next tick), floored.
    @param clock A packed clock (layout above).
    @param t Unix time (seconds), at most now.
    @return Wei not yet counted at `t`.
    """
    if clock & _HALTED_BIT != 0:
        return 0
    t0: uint256 = max(clock & c.TIME_MASK, (clock >> _START_SHIFT) & c.TIME_MASK)
    t1: uint256 = min(t, (clock >> _END_SHIFT) & c.TIME_MASK)
    if t1 <= t0:
        return 0
    return self.rate * (t1 - t0) * ((clock >> _THROTTLE_SHIFT) & c.WORD16) // c.BPS // _RATE_SCALE


@internal
@view
def _pending() -> uint256:
    """
    @dev Wei that accrued since the last tick and has not been counted yet.
    @return Wei not yet counted.
    """
    return self._pending_of(self._clock)


@internal
def _tick() -> uint256:
    """
    @dev Moves the clock to now and returns what accrued since the last tick. The caller
         must either count it (`accrued += amount`) or drop it (time with nobody to pay).
    @return Wei accrued since the last tick.
    """
    clock: uint256 = self._clock
    amount: uint256 = self._pending_of(clock)
    if clock & c.TIME_MASK != block.timestamp:
        self._clock = (clock & ~c.TIME_MASK) | block.timestamp
    return amount


@internal
def _mint_owed(to: address) -> uint256:
    """
    @dev Mints everything accrued but not yet minted from the current minter to `to`.
    @param to Receives the tokens.
    @return Wei minted.
    """
    owed: uint256 = self._accrued() - self.minted_current
    if owed != 0:
        self.minted_current += owed
        extcall self.minter.mint(to, owed)
    return owed


event Forfeited:
    minter: indexed(address)
    amount: uint256


@internal
def _settle_old(to: address) -> uint256:
    """
    @dev Mints what the current minter still owes to `to`, as far as it still can, and never
         reverts: what the minter can no longer mint (a keeper later than the claim grace) or
         the Budget refuses (paused when a programme is killed) is forfeited — logged and
         remembered in `forfeited`. Only the programme may trigger this (epoch switch, stop, kill).
    @param to Receives the tokens.
    @return Wei minted (what was owed minus what was forfeited).
    """
    owed: uint256 = self._accrued() - self.minted_current
    if owed == 0:
        return 0
    return self._try_mint(to, owed)


@internal
def _try_mint(to: address, owed: uint256) -> uint256:
    """
    @dev Mints `owed` (accrued, not yet minted, against the current minter) to `to` as far as
         the minter still can, never reverting; the rest is forfeited (logged, remembered).
    @param to Receives the tokens.
    @param owed Wei to mint; at most what is accrued and not minted.
    @return Wei minted.
    """
    amount: uint256 = min(owed, staticcall self.minter.mintable_now())
    if amount != 0:
        success: bool = raw_call(
            self.minter.address,
            abi_encode(to, amount, method_id=method_id("mint(address,uint256)")),
            revert_on_failure=False,
        )
        if not success:
            amount = 0
    self.minted_current += amount
    if amount < owed:
        # No longer owed against this minter: it will never mint it.
        lost: uint256 = owed - amount
        self._flows = self._flows - lost
        self.forfeited += lost
        log Forfeited(minter=self.minter.address, amount=lost)
    return amount


@internal
def _mint_available(to: address) -> uint256:
    """
    @dev Mints what is owed, as far as the minter allows now (nothing once it is closed or
         expired); reverts only if the mint itself is refused (a paused Budget).
    @param to Receives the tokens.
    @return Wei minted.
    """
    owed: uint256 = self._accrued() - self.minted_current
    amount: uint256 = min(owed, staticcall self.minter.mintable_now())
    if amount != 0:
        self.minted_current += amount
        extcall self.minter.mint(to, amount)
    return amount


@internal
def _switch(minter: address, start: uint256, end: uint256, cap: uint256):
    """
    @dev Points the clock at a new epoch; the caller has already ticked and settled the old one.
    @param minter The new epoch's minter.
    @param start The epoch's start (unix seconds).
    @param end The epoch's end (unix seconds); after `start`.
    @param cap Most tokens (wei) the epoch emits; sets the rate.
    """
    assert end > start, "mechanism: empty epoch"
    self.minted_before += self.minted_current
    self.minter = IEpochMinter(minter)
    self.rate = cap * _RATE_SCALE // (end - start)
    self._flows = _FLOWS_SET | (self._flows & (_AMOUNT_MASK << _HELD_SHIFT))
    self.minted_current = 0
    clock: uint256 = self._clock
    self._clock = (clock & (_FLAGS | _HALTED_BIT | (c.WORD16 << _THROTTLE_SHIFT))) | (end << _END_SHIFT) | (start << _START_SHIFT) | max(block.timestamp, start)


@internal
def _set_halted(halted: bool):
    """
    @dev Sets or clears the halted flag; the caller has ticked first.
    @param halted True to halt accrual, False to resume.
    """
    if halted:
        self._clock = self._clock | _HALTED_BIT
    else:
        self._clock = self._clock & ~_HALTED_BIT


@internal
def _set_throttle(name: bytes32, new_value: uint256):
    """
    @dev Moves the throttle dial; the caller has ticked first.
    @param name Must be keccak256("throttle_bps").
    @param new_value Basis points, 0 to c.BPS.
    """
    assert name == _THROTTLE, "mechanism: unknown dial"
    assert new_value <= c.BPS, "mechanism: throttle above 100%"
    self._clock = (self._clock & ~(c.WORD16 << _THROTTLE_SHIFT)) | (new_value << _THROTTLE_SHIFT)


@internal
@view
def _total_minted() -> uint256:
    """
    @dev Wei minted over all epochs.
    @return minted_before + minted_current.
    """
    return self.minted_before + self.minted_current
