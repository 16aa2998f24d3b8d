# pragma version ~=0.4.3
# pragma optimize gas
"""
@title EpochMinter
@license AGPL-3.0-only
@notice The capped minter of one programme epoch, deployed as a minimal proxy (EIP-1167) of
        one implementation and initialised by its programme, so opening an epoch costs a
        clone instead of a full contract. Same ZkCappedMinterV2 surface as CappedMinter
        (`mint`, `CAP`, `minted`, `START_TIME`, `EXPIRATION_TIME`, `MINTABLE`, `closed`,
        `pause`/`unpause`/`close`, AccessControl, metadata URI), always with linear unlock.
        Lifecycle: the programme clones and initialises it for an epoch [start, end]; the
        Budget admits it; the epoch's mechanism mints as tokens unlock; minting stays open
        after `end`, with no deadline, until the programme closes it once the next epoch
        opens or the programme ends (STOP or KILL), after settling what it owes. So a late
        keeper or a long Budget pause never turns what accrued into tokens nobody can mint.
        When the programme ends while nothing can be minted (a kill while the Budget is
        paused), it `retire`s the minter instead: from then on it mints only what its
        mechanism still owes. Closing and retiring release the unused cap to the Budget.
@dev Invariants: `minted <= CAP * (now - START_TIME) / (UNLOCK_END - START_TIME)`, nothing
     mints before start, while paused or after close; after `retire(keep)` at most `keep`
     more. `EXPIRATION_TIME` is the largest 48-bit time: no expiry by the clock. The
     implementation itself is born closed, so it can never mint.
@custom:kill `close()` by the DEFAULT_ADMIN_ROLE holder (the programme; as in
     ZkCappedMinterV2, close belongs to the admin) disables minting for good.
"""

from ethereum.ercs import IERC165
from snekmate.auth import access_control
from snekmate.auth.interfaces import IAccessControl
from snekmate.utils import pausable

from .interfaces import IEpochMinter
from .interfaces import IMintable
from . import constants as c
from . import linear_unlock
from . import schedule

implements: IERC165
implements: IAccessControl
implements: IEpochMinter
# Same `mint` as every capped minter, so a minter could nest under an epoch.
implements: IMintable

initializes: access_control
initializes: pausable

# `set_role_admin` is deliberately not exported: the programme administers every role.
exports: (
    access_control.supportsInterface,
    access_control.DEFAULT_ADMIN_ROLE,
    access_control.hasRole,
    access_control.getRoleAdmin,
    access_control.grantRole,
    access_control.revokeRole,
    access_control.renounceRole,
    pausable.paused,
)

# Role that may call `mint`: the epoch's mechanism.
MINTER_ROLE: public(constant(bytes32)) = c.MINTER_ROLE
# Role that may pause and unpause: the programme (for its guardian).
PAUSER_ROLE: public(constant(bytes32)) = c.PAUSER_ROLE

# What every epoch minter mints through: the Budget. Shared by all clones.
MINTABLE: public(immutable(IMintable))

# Packed (cap, start, unlock end) in the `schedule` layout; 0 until initialised, which is
# what `initialize` checks.
_schedule: uint256
# Tokens (wei) minted so far; never above the cap nor the linear unlock.
minted: public(uint256)
# True once closed; permanent. The implementation is closed from birth.
closed: public(bool)
# Points at the programme's research questions and KPIs; informational only.
metadataURI: public(String[c.MAX_URI_LENGTH])


event Minted:
    minter: indexed(address)
    to: indexed(address)
    amount: uint256


event Closed:
    closer: address


event Retired:
    retirer: address
    kept: uint256


event MetadataURISet:
    uri: String[c.MAX_URI_LENGTH]


@deploy
def __init__(mintable: IMintable):
    """
    @notice Deploys the implementation every epoch clone delegates to.
    @param mintable The Budget.
    """
    assert mintable.address != empty(address), "minter: zero mintable"
    access_control.__init__()
    pausable.__init__()
    access_control._revoke_role(access_control.DEFAULT_ADMIN_ROLE, msg.sender)
    MINTABLE = mintable
    # The implementation is never an epoch: mark it initialised and closed.
    self._schedule = 1
    self.closed = True


@external
def initialize(admin: address, minter: address, cap: uint256, start_time: uint256, unlock_end: uint256):
    """
    @notice Sets a fresh clone up for one epoch. Called once, by the programme that cloned it,
            in the same transaction.
    @param admin The programme: DEFAULT_ADMIN_ROLE and PAUSER_ROLE.
    @param minter The epoch's mechanism: MINTER_ROLE (may be empty and granted later).
    @param cap Most tokens (wei) the epoch mints; 1 to 2**128 - 1.
    @param start_time First second minting is allowed; not in the past.
    @param unlock_end When the whole cap has unlocked (the epoch's end); not before
           `start_time`; minting stays open after it until the minter is closed.
    """
    assert self._schedule == 0, "minter: already initialized"
    assert admin != empty(address), "minter: zero admin"
    assert cap != 0, "minter: zero cap"
    assert cap <= c.CAP_MASK, "minter: cap above uint128"
    assert unlock_end <= c.TIME_MASK, "minter: time beyond uint48"
    assert start_time <= unlock_end, "minter: start after expiration"
    assert start_time >= block.timestamp, "minter: start in the past"
    self._schedule = schedule._pack(cap, start_time, unlock_end)
    access_control._grant_role(access_control.DEFAULT_ADMIN_ROLE, admin)
    access_control._grant_role(PAUSER_ROLE, admin)
    if minter != empty(address):
        access_control._grant_role(MINTER_ROLE, minter)


@external
def mint(_to: address, _amount: uint256):
    """
    @notice Mints `_amount` to `_to` through the Budget within cap, window and linear unlock.
    @param _to Receives the tokens.
    @param _amount Tokens (wei) to mint; counts against the cap and the unlock.
    """
    assert not self.closed, "minter: closed"
    pausable._require_not_paused()
    access_control._check_role(MINTER_ROLE, msg.sender)
    packed: uint256 = self._schedule
    cap: uint256 = schedule._cap(packed)
    start: uint256 = schedule._start(packed)
    end: uint256 = schedule._end(packed)
    new_minted: uint256 = self.minted + _amount
    assert new_minted <= cap, "minter: cap exceeded"
    assert block.timestamp >= start, "minter: not started"
    assert new_minted <= linear_unlock._unlocked(cap, start, end, block.timestamp), "minter: above linear unlock"
    self.minted = new_minted
    extcall MINTABLE.mint(_to, _amount)
    log Minted(minter=msg.sender, to=_to, amount=_amount)


@external
def pause():
    """
    @notice Stops minting until `unpause()`; the unlock clock keeps running.
    @dev PAUSER_ROLE only; reverts once closed or if already paused.
    """
    assert not self.closed, "minter: closed"
    access_control._check_role(PAUSER_ROLE, msg.sender)
    pausable._pause()


@external
def unpause():
    """
    @notice Lets minting resume.
    @dev PAUSER_ROLE only; reverts once closed or if not paused.
    """
    assert not self.closed, "minter: closed"
    access_control._check_role(PAUSER_ROLE, msg.sender)
    pausable._unpause()


@external
def close():
    """
    @notice Disables minting for good, and releases the cap it did not mint to the Budget.
    @dev DEFAULT_ADMIN_ROLE only (the programme); closing twice reverts.
    """
    access_control._check_role(access_control.DEFAULT_ADMIN_ROLE, msg.sender)
    assert not self.closed, "minter: closed"
    self._close()


@external
def retire(keep: uint256):
    """
    @notice Ends the epoch now but keeps `keep` mintable: from now on the minter mints at most
            `keep` more (never more than has unlocked by now), with no deadline, and the rest
            of its cap is released to the Budget. The programme calls it when it ends while
            nothing can be minted (a kill while the Budget is paused), so what its mechanism
            owes stays claimable. With nothing kept it closes the minter.
    @dev DEFAULT_ADMIN_ROLE only (the programme); reverts once closed. A later `retire` can
         only lower what is kept.
    @param keep Tokens (wei) it may still mint: what the mechanism still owes.
    """
    access_control._check_role(access_control.DEFAULT_ADMIN_ROLE, msg.sender)
    assert not self.closed, "minter: closed"
    packed: uint256 = self._schedule
    start: uint256 = schedule._start(packed)
    end: uint256 = schedule._end(packed)
    minted: uint256 = self.minted
    unlocked: uint256 = schedule._unlocked(packed, block.timestamp)
    kept: uint256 = min(keep, unlocked - minted)
    if kept == 0:
        self._close()
        return
    # Everything kept has unlocked: the schedule becomes a cliff at min(end, now) >= start.
    self._schedule = schedule._pack(minted + kept, start, min(end, block.timestamp))
    self._release(kept)
    log Retired(retirer=msg.sender, kept=kept)


@internal
def _close():
    """
    @dev Closes for good and tells the Budget nothing more will be minted. No parameters,
         nothing returned.
    """
    self.closed = True
    self._release(0)
    log Closed(closer=msg.sender)


@internal
def _release(keep: uint256):
    """
    @dev Tells what this minter mints through that it will mint at most `keep` more, so the
         Budget returns the rest of the cap to the allocation and the supply curve. Tolerates
         a parent without `release` (a CappedMinter above a nested minter).
    @param keep Tokens (wei) still to be minted.
    """
    success: bool = raw_call(
        MINTABLE.address, abi_encode(keep, method_id=method_id("release(uint256)")), revert_on_failure=False
    )


@external
def setMetadataURI(_uri: String[c.MAX_URI_LENGTH]):
    """
    @notice Points the minter at its programme's research questions and KPIs.
    @param _uri The new URI (IPFS/HTTPS), at most 512 bytes; replaces the old one.
    """
    access_control._check_role(access_control.DEFAULT_ADMIN_ROLE, msg.sender)
    self.metadataURI = _uri
    log MetadataURISet(uri=_uri)


@external
@view
def CAP() -> uint256:
    """
    @notice Most tokens (wei) this epoch mints.
    @return The cap (wei); 1 on the implementation.
    """
    return schedule._cap(self._schedule)


@external
@view
def START_TIME() -> uint48:
    """
    @notice First second (unix time) minting is allowed.
    @return The epoch's start.
    """
    return convert(schedule._start(self._schedule), uint48)


@external
@view
def UNLOCK_END() -> uint48:
    """
    @notice When the whole cap has unlocked: the epoch's end.
    @return The epoch's end (unix time).
    """
    return convert(schedule._end(self._schedule), uint48)


@external
@view
def EXPIRATION_TIME() -> uint48:
    """
    @notice Last second minting is allowed (ZkCappedMinterV2 surface): an epoch minter has no
            expiry by the clock — it mints what unlocked until its programme closes it.
    @return The largest 48-bit time, 2**48 - 1.
    """
    return convert(c.TIME_MASK, uint48)


@external
@view
def LINEAR_UNLOCK() -> bool:
    """
    @notice Whether minting is held to a linear unlock (ZkCappedMinterV2 surface).
    @return Always True: every epoch unlocks linearly.
    """
    return True


@external
@view
def remaining() -> uint256:
    """
    @notice Tokens (wei) that may still be minted over the epoch's life.
    @return CAP - minted, in wei.
    """
    return schedule._cap(self._schedule) - self.minted


@external
@view
def unlocked_at(t: uint256) -> uint256:
    """
    @notice Tokens (wei) unlocked by time `t`.
    @param t Unix time (seconds).
    @return CAP * (t - START_TIME) / (UNLOCK_END - START_TIME), floored and clamped to [0, CAP].
    """
    return schedule._unlocked(self._schedule, t)


@external
@view
def mintable_now() -> uint256:
    """
    @notice What the mechanism could mint in this block (this minter's rules only).
    @return Tokens (wei): 0 when closed, paused or before the start; else unlocked - minted.
    """
    packed: uint256 = self._schedule
    start: uint256 = schedule._start(packed)
    end: uint256 = schedule._end(packed)
    if self.closed or pausable.paused or block.timestamp < start:
        return 0
    limit: uint256 = linear_unlock._unlocked(schedule._cap(packed), start, end, block.timestamp)
    return limit - min(limit, self.minted)
