# pragma version ~=0.4.3
# pragma optimize gas
"""
@title CappedMinter
@license AGPL-3.0-only
@notice Mints at most `CAP` tokens through `MINTABLE` (the token, the Budget, or a parent
        capped minter) between `START_TIME` and `EXPIRATION_TIME`, both inclusive. It has
        the ABI of ZKsync's ZkCappedMinterV2 so it can hang under the real ZK token or
        under another capped minter, and adds an optional linear unlock: with
        `LINEAR_UNLOCK`, `minted + amount <= CAP * (now - START_TIME) / (EXPIRATION_TIME -
        START_TIME)`, so an epoch emits per second instead of all at once.
        Lifecycle: deployed with its window, a mechanism is granted MINTER_ROLE, it mints
        while the clock is inside the window, and it ends by expiry or by `close()`.
@dev Invariants: `minted <= CAP`; with linear unlock `minted <= unlocked_at(now)`; nothing is
     minted before `START_TIME`, after `EXPIRATION_TIME`, while paused, or after close.
     Pausing does not stop the clock: unlocked tokens keep accruing while paused. A child
     minter's mint passes through this contract, so it counts here and is held to this
     contract's cap, window, pause and close.
@custom:kill `close()` by a CLOSER_ROLE holder (the admin at deployment) disables minting
     for good; `pause()` by a PAUSER_ROLE holder stops it until `unpause()`.
"""

from ethereum.ercs import IERC165
from snekmate.auth import access_control
from snekmate.auth.interfaces import IAccessControl
from snekmate.utils import pausable

from .interfaces import ICappedMinter
from .interfaces import IMintable
from . import constants as c
from . import linear_unlock

implements: IERC165
implements: IAccessControl
implements: ICappedMinter
# A child capped minter can mint through this one, as through the token or the Budget.
implements: IMintable

initializes: access_control
initializes: pausable

# `set_role_admin` is deliberately not exported: role admins are fixed at deployment
# (MINTER_ROLE, PAUSER_ROLE and CLOSER_ROLE are administered by DEFAULT_ADMIN_ROLE, as in
# ZkCappedMinterV2), so nobody can re-route who grants the power to mint.
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

# Role that may call `mint`: the epoch's mechanism, or a child capped minter.
MINTER_ROLE: public(constant(bytes32)) = c.MINTER_ROLE
# Role that may pause and unpause minting (a guardian, the programme controller).
PAUSER_ROLE: public(constant(bytes32)) = c.PAUSER_ROLE
# Role that may close the minter for good. ZkCappedMinterV2 ties this to the admin; tpp keeps
# one role per power and grants it to the admin at deployment, so `close()` by the admin works
# exactly as on ZKsync.
CLOSER_ROLE: public(constant(bytes32)) = c.CLOSER_ROLE

# Where minted tokens come from: the token, the Budget or a parent capped minter.
MINTABLE: public(immutable(IMintable))
# Most tokens (wei) this minter will ever mint; 1 to 2**128 - 1.
CAP: public(immutable(uint256))
# First second (unix time) at which minting is allowed; at or after deployment.
START_TIME: public(immutable(uint48))
# Last second (unix time, inclusive) at which minting is allowed; at or after START_TIME.
EXPIRATION_TIME: public(immutable(uint48))
# True: minting is held to a linear unlock of CAP over [START_TIME, EXPIRATION_TIME].
LINEAR_UNLOCK: public(immutable(bool))

# Tokens (wei) minted so far through this minter, children included; never above CAP.
minted: public(uint256)
# True once closed; permanent.
closed: public(bool)
# Points at the programme's research questions and KPIs (IPFS/HTTPS); informational only.
metadataURI: public(String[c.MAX_URI_LENGTH])


event Minted:
    minter: indexed(address)
    to: indexed(address)
    amount: uint256


event Closed:
    closer: address


event MetadataURISet:
    uri: String[c.MAX_URI_LENGTH]


@deploy
def __init__(
    mintable: IMintable,
    admin: address,
    cap: uint256,
    start_time: uint256,
    expiration_time: uint256,
    linear: bool,
):
    """
    @param mintable What this minter mints through (token, Budget, or parent minter).
    @param admin Receives DEFAULT_ADMIN_ROLE, PAUSER_ROLE and CLOSER_ROLE.
    @param cap Most tokens (wei) ever minted here.
    @param start_time First second minting is allowed; not in the past.
    @param expiration_time Last second minting is allowed; not before `start_time`.
    @param linear Hold minting to a linear unlock of `cap` over the window.
    """
    assert mintable.address != empty(address), "minter: zero mintable"
    assert admin != empty(address), "minter: zero admin"
    assert cap != 0, "minter: zero cap"
    assert cap <= convert(max_value(uint128), uint256), "minter: cap above uint128"
    assert expiration_time <= convert(max_value(uint48), uint256), "minter: time beyond uint48"
    assert start_time <= expiration_time, "minter: start after expiration"
    assert start_time >= block.timestamp, "minter: start in the past"

    access_control.__init__()
    pausable.__init__()
    # snekmate gives the deployer DEFAULT_ADMIN_ROLE; ZkCappedMinterV2 gives it to `admin`
    # only, so hand it over when a factory deploys on someone's behalf.
    if admin != msg.sender:
        access_control._grant_role(access_control.DEFAULT_ADMIN_ROLE, admin)
        access_control._revoke_role(access_control.DEFAULT_ADMIN_ROLE, msg.sender)
    access_control._grant_role(PAUSER_ROLE, admin)
    access_control._grant_role(CLOSER_ROLE, admin)

    MINTABLE = mintable
    CAP = cap
    START_TIME = convert(start_time, uint48)
    EXPIRATION_TIME = convert(expiration_time, uint48)
    LINEAR_UNLOCK = linear


@external
def mint(_to: address, _amount: uint256):
    """
    @notice Mints `_amount` to `_to` through MINTABLE, within the cap, the window and, if
            enabled, the linear unlock.
    @dev Checks in ZkCappedMinterV2's order (closed, paused, role, cap, window), then the
         unlock; the parent enforces its own rules on the nested call.
    @param _to Receives the tokens.
    @param _amount Tokens (wei) to mint; counts against CAP and the unlock.
    """
    assert not self.closed, "minter: closed"
    pausable._require_not_paused()
    access_control._check_role(MINTER_ROLE, msg.sender)
    new_minted: uint256 = self.minted + _amount
    assert new_minted <= CAP, "minter: cap exceeded"
    assert block.timestamp >= convert(START_TIME, uint256), "minter: not started"
    assert block.timestamp <= convert(EXPIRATION_TIME, uint256), "minter: expired"
    if LINEAR_UNLOCK:
        assert new_minted <= self._unlocked_at(block.timestamp), "minter: above linear unlock"
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
    @notice Disables minting for good. Idempotence is not offered: closing twice reverts, so
            a second close in a governance batch is visible as a mistake.
    @dev CLOSER_ROLE only; permanent.
    """
    access_control._check_role(CLOSER_ROLE, msg.sender)
    assert not self.closed, "minter: closed"
    self.closed = True
    log Closed(closer=msg.sender)


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
def remaining() -> uint256:
    """
    @notice Tokens (wei) that may still be minted over the minter's life: CAP - minted.
    @return CAP - minted, in wei.
    """
    return CAP - self.minted


@external
@view
def mintable_now() -> uint256:
    """
    @notice Tokens (wei) this minter would let a minter mint in this block: 0 when closed,
            paused, outside the window; else what the cap and the unlock still allow.
    @dev Looks at this minter only; a parent (or the Budget) may hold a mint to less.
    @return Tokens (wei) mintable now under this minter's rules.
    """
    if self.closed or pausable.paused:
        return 0
    if block.timestamp < convert(START_TIME, uint256) or block.timestamp > convert(EXPIRATION_TIME, uint256):
        return 0
    limit: uint256 = CAP
    if LINEAR_UNLOCK:
        limit = self._unlocked_at(block.timestamp)
    return limit - min(limit, self.minted)


@external
@view
def unlocked_at(t: uint256) -> uint256:
    """
    @notice Tokens (wei) unlocked by time `t`: CAP * (t - START) / (EXPIRATION - START) with
            linear unlock (CAP at once for a zero-length window); CAP from START without.
    @param t Unix time (seconds).
    @return Tokens (wei) unlocked by `t`.
    """
    if not LINEAR_UNLOCK:
        if t < convert(START_TIME, uint256):
            return 0
        return CAP
    return self._unlocked_at(t)


@internal
@view
def _unlocked_at(t: uint256) -> uint256:
    """
    @dev The linear unlock of CAP over [START_TIME, EXPIRATION_TIME], by the shared formula.
    @param t Unix time (seconds).
    @return Tokens (wei) unlocked by `t`.
    """
    return linear_unlock._unlocked(CAP, convert(START_TIME, uint256), convert(EXPIRATION_TIME, uint256), t)
