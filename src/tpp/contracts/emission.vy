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

# Fixed-point scale of `rate` (wei * 1e18 per second), so small caps over long epochs keep
# their precision.
RATE_SCALE: constant(uint256) = 10**18
# Basis points in 100 %.
BPS: constant(uint256) = 10_000
# Dial name of the throttle: share (basis points) of the unlocking emission passed on.
THROTTLE: constant(bytes32) = keccak256("throttle_bps")
# Clock layout: bits 0..47 last update, 48..95 epoch start, 96..143 epoch end,
# 144..159 throttle (basis points), bit 160 halted.
TIME_MASK: constant(uint256) = (1 << 48) - 1
THROTTLE_MASK: constant(uint256) = (1 << 16) - 1
HALTED_BIT: constant(uint256) = 1 << 160
# Flows layout: bits 0..126 wei accrued against the current minter, bits 127..253 wei the
# mechanism holds for its users (staking: dripped minus paid), bit 255 always set so that
# no write to the slot is a (four times dearer) write from zero.
AMOUNT_MASK: constant(uint256) = (1 << 127) - 1
FLOWS_SET: constant(uint256) = 1 << 255

# The programme that controls this mechanism (sets epochs, dials, halt); empty until initialised.
programme: public(address)
# Minter of the current epoch (empty before the first epoch).
minter: public(IEpochMinter)
# The epoch's unlock rate at full throttle, in wei * RATE_SCALE per second.
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
    return (self._clock >> 48) & TIME_MASK


@external
@view
def epoch_end() -> uint256:
    return (self._clock >> 96) & TIME_MASK


@external
@view
def last_update() -> uint256:
    return self._clock & TIME_MASK


@external
@view
def throttle_bps() -> uint256:
    return (self._clock >> 144) & THROTTLE_MASK


@external
@view
def halted() -> bool:
    return self._clock & HALTED_BIT != 0


@external
@view
def accrued() -> uint256:
    """
    @notice Wei accrued (owed to someone) against the current epoch's minter.
    """
    return self._flows & AMOUNT_MASK


@internal
def _init(programme: address):
    assert self.programme == empty(address), "mechanism: already initialized"
    assert programme != empty(address), "mechanism: zero programme"
    self.programme = programme
    self._clock = BPS << 144
    self._flows = FLOWS_SET


@internal
@view
def _accrued() -> uint256:
    return self._flows & AMOUNT_MASK


@internal
@view
def _held() -> uint256:
    return (self._flows >> 127) & AMOUNT_MASK


@internal
def _add_accrued(amount: uint256):
    if amount != 0:
        flows: uint256 = self._flows
        accrued: uint256 = (flows & AMOUNT_MASK) + amount
        assert accrued <= AMOUNT_MASK, "mechanism: amount overflow"
        self._flows = (flows & ~AMOUNT_MASK) | accrued


@internal
def _set_held(held: uint256):
    assert held <= AMOUNT_MASK, "mechanism: amount overflow"
    self._flows = (self._flows & ~(AMOUNT_MASK << 127)) | (held << 127)


@internal
@view
def _only_programme():
    assert msg.sender == self.programme, "mechanism: caller is not the programme"


@internal
@view
def _pending_of(clock: uint256) -> uint256:
    if clock & HALTED_BIT != 0:
        return 0
    t0: uint256 = max(clock & TIME_MASK, (clock >> 48) & TIME_MASK)
    t1: uint256 = min(block.timestamp, (clock >> 96) & TIME_MASK)
    if t1 <= t0:
        return 0
    return self.rate * (t1 - t0) * ((clock >> 144) & THROTTLE_MASK) // BPS // RATE_SCALE


@internal
@view
def _pending() -> uint256:
    """
    @dev Wei that accrued since the last tick and has not been counted yet.
    """
    return self._pending_of(self._clock)


@internal
def _tick() -> uint256:
    """
    @dev Moves the clock to now and returns what accrued since the last tick. The caller
         must either count it (`accrued += amount`) or drop it (time with nobody to pay).
    """
    clock: uint256 = self._clock
    amount: uint256 = self._pending_of(clock)
    if clock & TIME_MASK != block.timestamp:
        self._clock = (clock & ~TIME_MASK) | block.timestamp
    return amount


@internal
def _mint_owed(to: address) -> uint256:
    """
    @dev Mints everything accrued but not yet minted from the current minter to `to`.
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
         remembered in `forfeited`. Only the programme may trigger this (epoch switch, kill).
    """
    owed: uint256 = self._accrued() - self.minted_current
    if owed == 0:
        return 0
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
    """
    assert end > start, "mechanism: empty epoch"
    self.minted_before += self.minted_current
    self.minter = IEpochMinter(minter)
    self.rate = cap * RATE_SCALE // (end - start)
    self._flows = FLOWS_SET | (self._flows & (AMOUNT_MASK << 127))
    self.minted_current = 0
    clock: uint256 = self._clock
    self._clock = (clock & (HALTED_BIT | (THROTTLE_MASK << 144))) | (end << 96) | (start << 48) | max(block.timestamp, start)


@internal
def _set_halted(halted: bool):
    if halted:
        self._clock = self._clock | HALTED_BIT
    else:
        self._clock = self._clock & ~HALTED_BIT


@internal
def _set_throttle(name: bytes32, new_value: uint256):
    assert name == THROTTLE, "mechanism: unknown dial"
    assert new_value <= BPS, "mechanism: throttle above 100%"
    self._clock = (self._clock & ~(THROTTLE_MASK << 144)) | (new_value << 144)


@internal
@view
def _total_minted() -> uint256:
    return self.minted_before + self.minted_current
