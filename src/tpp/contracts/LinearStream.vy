# pragma version ~=0.4.3
# pragma optimize gas
"""
@title LinearStream
@license AGPL-3.0-only
@notice Streams a programme's whole emission, second by second, to one recipient — a Safe
        that answers to an accountability framework (stage 1 of the TPP roadmap). Anyone may
        call `claim()` on the recipient's behalf; tokens are minted straight to the recipient.
        Lifecycle: cloned and initialised by the factory with its programme and recipient;
        each epoch the programme points it at the epoch's minter; it stops accruing at each
        epoch's end, while halted by the guardian, and for good when the programme ends.
@dev Invariants: paid == minted <= accrued <= each minter's linear unlock; nothing accrues
     outside an epoch or while halted.
@custom:kill The programme halts it (`set_halted`) and closes the epoch minter on KILL;
     nothing else can mint for it.
"""

from .interfaces import ILinearStream
from .interfaces import IMechanism
from . import emission

implements: ILinearStream
implements: IMechanism

initializes: emission

exports: (
    emission.programme,
    emission.minter,
    emission.epoch_start,
    emission.epoch_end,
    emission.rate,
    emission.throttle_bps,
    emission.last_update,
    emission.halted,
    emission.accrued,
    emission.minted_current,
    emission.minted_before,
    emission.forfeited,
)

# Who receives the stream (a Safe); set once at initialisation, never empty on a clone.
recipient: public(address)


event Claimed:
    recipient: indexed(address)
    caller: indexed(address)
    amount: uint256


@deploy
def __init__():
    """
    @notice Deploys the implementation every stream clone delegates to.
    """
    # The implementation is never used directly: initialise it to nobody useful.
    emission._init(self)


@external
def initialize(programme: address, recipient: address, params: Bytes[2048]):
    """
    @notice Sets a fresh clone up. Called once, by the factory, in the cloning transaction.
    @param programme The programme that controls the stream.
    @param recipient Receives every token streamed (a Safe); not empty.
    @param params Must be empty: a stream has no parameters of its own.
    """
    assert recipient != empty(address), "stream: zero recipient"
    assert len(params) == 0, "stream: takes no parameters"
    emission._init(programme)
    self.recipient = recipient


@external
def claim() -> uint256:
    """
    @notice Mints what has streamed so far to the recipient; callable by anyone.
    @return The amount minted (wei).
    """
    emission._add_accrued(emission._tick())
    amount: uint256 = emission._mint_owed(self.recipient)
    if amount != 0:
        log Claimed(recipient=self.recipient, caller=msg.sender, amount=amount)
    return amount


@external
@view
def claimable() -> uint256:
    """
    @notice What `claim()` would mint now (ignoring pauses up the minter tree).
    @return Wei accrued and not yet minted, including what accrued since the last tick.
    """
    return emission._accrued() + emission._pending() - emission.minted_current


@external
def start_epoch(minter: address, start: uint256, end: uint256, cap: uint256):
    """
    @notice Pays out the old epoch, then streams from `minter` over [start, end].
    @dev Programme only.
    @param minter The new epoch's minter; this stream holds its MINTER_ROLE.
    @param start The epoch's start (unix seconds).
    @param end The epoch's end (unix seconds); after `start`.
    @param cap Most tokens (wei) the epoch emits.
    """
    emission._only_programme()
    emission._add_accrued(emission._tick())
    if emission.minter.address != empty(address):
        amount: uint256 = emission._settle_old(self.recipient)
        if amount != 0:
            log Claimed(recipient=self.recipient, caller=msg.sender, amount=amount)
    emission._switch(minter, start, end, cap)


@external
def set_halted(halted: bool):
    """
    @notice The programme halts (guardian pause, kill) or resumes accrual.
    @dev Programme only; ticks first, so what accrued before the switch is kept.
    @param halted True to halt accrual, False to resume it.
    """
    emission._only_programme()
    emission._add_accrued(emission._tick())
    emission._set_halted(halted)


@external
def set_dial(name: bytes32, new_value: uint256):
    """
    @notice The programme moves a dial for its steward; only `throttle_bps` exists here.
    @dev Programme only; ticks first, so the new value applies from now on.
    @param name keccak256 of the dial's name ("throttle_bps").
    @param new_value The new value (basis points, at most 10_000).
    """
    emission._only_programme()
    emission._add_accrued(emission._tick())
    emission._set_throttle(name, new_value)


@external
def settle():
    """
    @notice The programme settles the epoch before closing its minter (on STOP or KILL): pays what
            can still be minted and forfeits (logs) the rest. Programme-only, so nobody can
            force a forfeit while a mint would merely have to wait.
    """
    emission._only_programme()
    emission._add_accrued(emission._tick())
    amount: uint256 = emission._settle_old(self.recipient)
    if amount != 0:
        log Claimed(recipient=self.recipient, caller=msg.sender, amount=amount)


@external
@view
def total_paid() -> uint256:
    """
    @notice Wei paid to the recipient over all epochs (equal to what was minted).
    @return Wei paid.
    """
    return emission._total_minted()


@external
@view
def total_minted() -> uint256:
    """
    @notice Wei minted to the recipient over all epochs.
    @return Wei minted.
    """
    return emission._total_minted()
