# pragma version ~=0.4.3
# pragma optimize gas
"""
@title CappedMinter
@license AGPL-3.0-only
@notice Mints at most `CAP` tokens through `MINTABLE` (the token, the Budget, or a parent
        capped minter) between `START_TIME` and `EXPIRATION_TIME`, both inclusive. It behaves
        like ZKsync's ZkCappedMinterV2 (OpenZeppelin 4.9 AccessControl and Pausable) call for
        call: same functions, checks in the same order, the same revert data (its custom
        errors, OpenZeppelin's revert strings) and the same events, so it can hang under the
        real ZK token or under another capped minter. tpp adds an optional linear unlock:
        with `LINEAR_UNLOCK`, `minted + amount <= CAP * (now - START_TIME) / (EXPIRATION_TIME -
        START_TIME)`, so an epoch emits per second instead of all at once; and an optional
        CLOSER_ROLE, which nobody holds until the admin grants it.
        Lifecycle: deployed with its window, a mechanism is granted MINTER_ROLE, it mints
        while the clock is inside the window, and it ends by expiry or by `close()`.
@dev Invariants: `minted <= CAP`; with linear unlock `minted <= unlocked_at(now)`; nothing is
     minted before `START_TIME`, after `EXPIRATION_TIME`, while paused, or after close.
     DEFAULT_ADMIN_ROLE can never be granted (as in ZkCappedMinterV2), so the admin named at
     deployment is the only one there will ever be; it can only be given up. Pausing does not
     stop the clock: unlocked tokens keep accruing while paused. A child minter's mint passes
     through this contract, so it counts here and is held to this contract's cap, window,
     pause and close.
@custom:kill `close()` by the DEFAULT_ADMIN_ROLE holder (or a CLOSER_ROLE holder it appointed)
     disables minting for good; `pause()` by a PAUSER_ROLE holder stops it until `unpause()`.
"""

from ethereum.ercs import IERC165
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

# snekmate's `access_control` is not used: its `__init__` (which Vyper requires to be called)
# grants DEFAULT_ADMIN_ROLE to the deployer, which logs a RoleGranted that ZkCappedMinterV2 does
# not, and its revert strings are not OpenZeppelin 4.9's. The role store below is
# OpenZeppelin 4.9's AccessControl rule for rule, with ZkCappedMinterV2's `grantRole` override.
# snekmate's `pausable` is used for its state and events; the OpenZeppelin revert strings are
# asserted here before its `_pause` / `_unpause` run, so its own strings are never reached.
initializes: pausable

exports: pausable.paused

# The admin of every role, and the role that closes and sets the metadata URI: bytes32(0).
DEFAULT_ADMIN_ROLE: public(constant(bytes32)) = empty(bytes32)
# Role that may call `mint`: the epoch's mechanism, or a child capped minter.
MINTER_ROLE: public(constant(bytes32)) = c.MINTER_ROLE
# Role that may pause and unpause minting (a guardian, the programme controller).
PAUSER_ROLE: public(constant(bytes32)) = c.PAUSER_ROLE
# tpp addition: role that may close the minter for good besides the admin (one role per power,
# and the admin cannot be multiplied). Nobody holds it at deployment, so until the admin grants
# it `close()` is the admin's alone, exactly as in ZkCappedMinterV2.
CLOSER_ROLE: public(constant(bytes32)) = c.CLOSER_ROLE

# ERC-165 identifiers answered by `supportsInterface`: ERC-165 itself and IAccessControl.
_SUPPORTED_INTERFACES: constant(bytes4[2]) = [0x01FFC9A7, 0x7965DB0B]

# Where minted tokens come from: the token, the Budget or a parent capped minter.
MINTABLE: public(immutable(IMintable))
# Most tokens (wei) this minter will ever mint; any uint256 (2**256 - 1 reads as "no cap"),
# below 2**128 with linear unlock.
CAP: public(immutable(uint256))
# First second (unix time) at which minting is allowed; at or after deployment.
START_TIME: public(immutable(uint48))
# Last second (unix time, inclusive) at which minting is allowed; at or after START_TIME.
EXPIRATION_TIME: public(immutable(uint48))
# True: minting is held to a linear unlock of CAP over [START_TIME, EXPIRATION_TIME].
LINEAR_UNLOCK: public(immutable(bool))

# Whether an account holds a role: hasRole[role][account].
hasRole: public(HashMap[bytes32, HashMap[address, bool]])
# Tokens (wei) minted so far through this minter, children included; never above CAP.
minted: public(uint256)
# True once closed; permanent.
closed: public(bool)
# Points at the programme's research questions and KPIs (IPFS/HTTPS); informational only.
metadataURI: public(String[c.MAX_ZK_URI_LENGTH])


event Minted:
    minter: indexed(address)
    to: indexed(address)
    amount: uint256


# The field is named `_closer` as in ZkCappedMinterV2's ABI.
event Closed:
    _closer: address


event MetadataURISet:
    uri: String[c.MAX_ZK_URI_LENGTH]


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
    @dev Accepts what ZkCappedMinterV2's constructor accepts (any mintable, any admin, the
         zero address included, any cap) and refuses what it refuses, with its
         `ZkCappedMinterV2__InvalidTime()`: a start after the expiration, or in the past.
         Times are uint48 there (a larger value fails ABI decoding); here a larger expiration
         reverts "minter: time beyond uint48". Only with `linear` is the cap held below
         2**128, so the unlock formula cannot overflow.
    @param mintable What this minter mints through (token, Budget, or parent minter).
    @param admin Receives DEFAULT_ADMIN_ROLE and PAUSER_ROLE; the deployer keeps no role.
    @param cap Most tokens (wei) ever minted here.
    @param start_time First second minting is allowed; not in the past.
    @param expiration_time Last second minting is allowed; not before `start_time`.
    @param linear Hold minting to a linear unlock of `cap` over the window.
    """
    assert expiration_time <= c.TIME_MASK, "minter: time beyond uint48"
    if start_time > expiration_time:
        raw_revert(method_id("ZkCappedMinterV2__InvalidTime()"))
    if start_time < block.timestamp:
        raw_revert(method_id("ZkCappedMinterV2__InvalidTime()"))
    assert not linear or cap <= c.CAP_MASK, "minter: linear cap above uint128"

    pausable.__init__()
    MINTABLE = mintable
    CAP = cap
    START_TIME = convert(start_time, uint48)
    EXPIRATION_TIME = convert(expiration_time, uint48)
    LINEAR_UNLOCK = linear

    self._grant_role(DEFAULT_ADMIN_ROLE, admin)
    self._grant_role(PAUSER_ROLE, admin)
    if False:
        # Never runs. ZkCappedMinterV2's ABI lists IAccessControl's RoleAdminChanged although
        # no role admin ever changes; Vyper lists an event only if some `log` of it is
        # reachable, so this one keeps the ABIs identical for indexers and ABI diffs.
        log IAccessControl.RoleAdminChanged(
            role=DEFAULT_ADMIN_ROLE, previousAdminRole=DEFAULT_ADMIN_ROLE, newAdminRole=DEFAULT_ADMIN_ROLE
        )


@external
def mint(_to: address, _amount: uint256):
    """
    @notice Mints `_amount` to `_to` through MINTABLE, within the cap, the window and, if
            enabled, the linear unlock.
    @dev Checks in ZkCappedMinterV2's order, so the same error wins when several apply:
         closed, not started, expired, paused, role, cap (an overflowing `minted + _amount`
         is Solidity's Panic(0x11) there, and here), then tpp's linear unlock. The parent
         enforces its own rules on the nested call and its revert data comes back unchanged.
    @param _to Receives the tokens.
    @param _amount Tokens (wei) to mint; counts against CAP and the unlock.
    """
    if self.closed:
        raw_revert(method_id("ZkCappedMinterV2__ContractClosed()"))
    if block.timestamp < convert(START_TIME, uint256):
        raw_revert(method_id("ZkCappedMinterV2__NotStarted()"))
    if block.timestamp > convert(EXPIRATION_TIME, uint256):
        raw_revert(method_id("ZkCappedMinterV2__Expired()"))
    assert not pausable.paused, "Pausable: paused"
    self._check_role(MINTER_ROLE, msg.sender)
    minted: uint256 = self.minted
    if _amount > max_value(uint256) - minted:
        raw_revert(concat(method_id("Panic(uint256)"), abi_encode(convert(0x11, uint256))))
    new_minted: uint256 = minted + _amount
    if new_minted > CAP:
        raw_revert(concat(method_id("ZkCappedMinterV2__CapExceeded(address,uint256)"), abi_encode(msg.sender, _amount)))
    if LINEAR_UNLOCK:
        assert new_minted <= self._unlocked_at(block.timestamp), "minter: above linear unlock"
    self.minted = new_minted
    extcall MINTABLE.mint(_to, _amount)
    log Minted(minter=msg.sender, to=_to, amount=_amount)


@external
def pause():
    """
    @notice Stops minting until `unpause()`; the unlock clock keeps running.
    @dev PAUSER_ROLE only; reverts "Pausable: paused" if already paused. Allowed after close,
         as in ZkCappedMinterV2 (it changes nothing there: a closed minter never mints).
    """
    self._check_role(PAUSER_ROLE, msg.sender)
    assert not pausable.paused, "Pausable: paused"
    pausable._pause()


@external
def unpause():
    """
    @notice Lets minting resume.
    @dev PAUSER_ROLE only; reverts "Pausable: not paused" if not paused. Allowed after close,
         as in ZkCappedMinterV2 (a closed minter stays closed).
    """
    self._check_role(PAUSER_ROLE, msg.sender)
    assert pausable.paused, "Pausable: not paused"
    pausable._unpause()


@external
def close():
    """
    @notice Disables minting for good. Closing again is accepted and logs `Closed` again, as
            in ZkCappedMinterV2.
    @dev DEFAULT_ADMIN_ROLE, or CLOSER_ROLE (tpp addition, held by nobody until the admin
         grants it); the revert names DEFAULT_ADMIN_ROLE, as ZkCappedMinterV2's does.
    """
    if not self.hasRole[DEFAULT_ADMIN_ROLE][msg.sender] and not self.hasRole[CLOSER_ROLE][msg.sender]:
        self._check_role(DEFAULT_ADMIN_ROLE, msg.sender)
    self.closed = True
    log Closed(_closer=msg.sender)


@external
def setMetadataURI(_uri: String[c.MAX_ZK_URI_LENGTH]):
    """
    @notice Points the minter at its programme's research questions and KPIs.
    @dev DEFAULT_ADMIN_ROLE only. A string longer than MAX_ZK_URI_LENGTH (16 KiB) fails ABI
         decoding with empty revert data before this runs; ZkCappedMinterV2 has no bound.
    @param _uri The new URI (IPFS/HTTPS), at most 16,384 bytes; replaces the old one.
    """
    self._check_role(DEFAULT_ADMIN_ROLE, msg.sender)
    self.metadataURI = _uri
    log MetadataURISet(uri=_uri)


@external
def grantRole(role: bytes32, account: address):
    """
    @notice Grants `role` to `account`; logs RoleGranted unless it already held it.
    @dev ZkCappedMinterV2's rule: DEFAULT_ADMIN_ROLE can never be granted, checked before the
         caller's role (so anyone trying gets `ZkCappedMinterV2__CannotGrantDefaultAdmin()`);
         any other role needs DEFAULT_ADMIN_ROLE, its fixed admin.
    @param role The 32-byte role definition.
    @param account The 20-byte address of the account.
    """
    if role == DEFAULT_ADMIN_ROLE:
        raw_revert(method_id("ZkCappedMinterV2__CannotGrantDefaultAdmin()"))
    self._check_role(DEFAULT_ADMIN_ROLE, msg.sender)
    self._grant_role(role, account)


@external
def revokeRole(role: bytes32, account: address):
    """
    @notice Revokes `role` from `account`; logs RoleRevoked if it held it.
    @dev Needs DEFAULT_ADMIN_ROLE, the fixed admin of every role (DEFAULT_ADMIN_ROLE included:
         the admin may revoke its own role, which cannot be granted back).
    @param role The 32-byte role definition.
    @param account The 20-byte address of the account.
    """
    self._check_role(DEFAULT_ADMIN_ROLE, msg.sender)
    self._revoke_role(role, account)


@external
def renounceRole(role: bytes32, account: address):
    """
    @notice Gives up `role` held by the caller; logs RoleRevoked if it held it.
    @param role The 32-byte role definition.
    @param account Must be the caller.
    """
    assert account == msg.sender, "AccessControl: can only renounce roles for self"
    self._revoke_role(role, account)


@external
@view
def getRoleAdmin(role: bytes32) -> bytes32:
    """
    @notice The role that grants and revokes `role`: DEFAULT_ADMIN_ROLE for every role; role
            admins are fixed (ZkCappedMinterV2 never changes them either).
    @param role The 32-byte role definition.
    @return DEFAULT_ADMIN_ROLE.
    """
    return DEFAULT_ADMIN_ROLE


@external
@view
def supportsInterface(interface_id: bytes4) -> bool:
    """
    @notice ERC-165: ERC-165 itself and IAccessControl, as OpenZeppelin 4.9's AccessControl.
    @param interface_id The 4-byte interface identifier.
    @return Whether the interface is supported.
    """
    return interface_id in _SUPPORTED_INTERFACES


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


@internal
@view
def _check_role(role: bytes32, account: address):
    """
    @dev Reverts as OpenZeppelin 4.9's `_checkRole` does if `account` lacks `role`:
         Error("AccessControl: account 0x<40 hex> is missing role 0x<64 hex>"), lower case.
    @param role The 32-byte role definition.
    @param account The 20-byte address of the account.
    """
    if not self.hasRole[role][account]:
        reason: Bytes[148] = concat(
            b"AccessControl: account 0x",
            slice(self._hex(convert(account, uint256)), 24, 40),
            b" is missing role 0x",
            self._hex(convert(role, uint256)),
        )
        raw_revert(concat(method_id("Error(string)"), abi_encode(reason)))


@internal
@pure
def _hex(word: uint256) -> Bytes[64]:
    """
    @dev `word` as 64 lower-case hex digits, most significant first (no "0x").
    @param word The 256-bit value.
    @return Its 64 hex digits as ASCII.
    """
    high: uint256 = 0
    low: uint256 = 0
    for i: uint256 in range(32):
        low |= self._hex_digit((word >> (4 * i)) & 15) << (8 * i)
        high |= self._hex_digit((word >> (128 + 4 * i)) & 15) << (8 * i)
    return concat(convert(high, bytes32), convert(low, bytes32))


@internal
@pure
def _hex_digit(nibble: uint256) -> uint256:
    """
    @dev The ASCII code of a lower-case hex digit.
    @param nibble 0 to 15.
    @return "0"-"9" (48-57) or "a"-"f" (97-102).
    """
    if nibble < 10:
        return nibble + 48
    return nibble + 87


@internal
def _grant_role(role: bytes32, account: address):
    """
    @dev Grants `role` to `account` and logs RoleGranted (sender: the caller), unless held.
    @param role The 32-byte role definition.
    @param account The 20-byte address of the account.
    """
    if not self.hasRole[role][account]:
        self.hasRole[role][account] = True
        log IAccessControl.RoleGranted(role=role, account=account, sender=msg.sender)


@internal
def _revoke_role(role: bytes32, account: address):
    """
    @dev Revokes `role` from `account` and logs RoleRevoked (sender: the caller), if held.
    @param role The 32-byte role definition.
    @param account The 20-byte address of the account.
    """
    if self.hasRole[role][account]:
        self.hasRole[role][account] = False
        log IAccessControl.RoleRevoked(role=role, account=account, sender=msg.sender)
