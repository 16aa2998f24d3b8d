# pragma version ~=0.4.3
# pragma optimize gas
"""
@title MinimalHats
@license AGPL-3.0-only
@notice A minimal registry compatible with the part of Hats Protocol v1's interface tpp uses:
        hats are ERC-1155-style tokens (a wearer holds a balance of 1), arranged in trees
        whose ids carry their path (a 32-bit top-hat domain, then 16 bits per level), and a
        programme's steward or guardian can be a hat id checked with `isWearerOfHat` at call
        time. It is NOT Hats Protocol: Hats is published on no package registry reachable
        where tpp is built and tested, so this stands in for it locally, with the same
        function names, argument order, id layout and meaning for what it implements
        (`mintTopHat`, `createHat`, `mintHat`, `transferHat`, `renounceHat`, `isWearerOfHat`,
        `isAdminOfHat`, `balanceOf`, `hatSupply`, `getHatLevel`, eligibility and toggle
        modules). Left out: linked trees, hat mutability and detail changes, batch calls,
        `setHatStatus` / `setHatWearerStatus` (modules answer only by being asked), images.
        On a real network, point tpp at the deployed Hats contract instead.
@dev Invariants: a hat id is created once and never reused; only an admin of a hat (a wearer
     of one of its ancestors, or of the top hat itself for a top hat) mints or transfers it;
     at most `max_supply` wearers at once; a wearer whose eligibility module says "not
     eligible" or "bad standing", or of a hat its toggle module turns off, wears nothing.
     A module that reverts or answers malformed data, or burns gas, counts as "no" (read under
     a gas cap), so a broken module can never make someone a wearer.
"""

# Bits of a top-hat domain (the id's highest 32 bits) and of each lower level.
_TOP_BITS: constant(uint256) = 32
_LEVEL_BITS: constant(uint256) = 16
# Levels below the top hat an id can hold: (256 - 32) / 16.
_MAX_LEVEL: constant(uint256) = 14
_LEVEL_MASK: constant(uint256) = (1 << 16) - 1
# Longest details / image string accepted (Hats allows 7,000 bytes).
_MAX_TEXT: constant(uint256) = 7_000
# Gas a module's answer may use: enough for a few storage reads, never a whole block.
_MODULE_GAS: constant(uint256) = 60_000


struct Hat:
    # The hat's admin module addresses (empty: always eligible / always active).
    eligibility: address
    toggle: address
    # Most wearers at once, and how many wear it now.
    max_supply: uint32
    supply: uint32
    # Children created so far (the next child's index is this + 1).
    last_child: uint16
    # Set once the hat exists.
    exists: bool


# Top hats minted so far (the next top-hat domain is this + 1).
last_top_hat: public(uint32)
# Every hat by id.
_hats: HashMap[uint256, Hat]
# Raw balances (0 or 1) before eligibility and toggle are applied.
_worn: HashMap[address, HashMap[uint256, bool]]
# Human-readable description per hat (optional).
details: public(HashMap[uint256, String[_MAX_TEXT]])


event HatCreated:
    id: uint256
    details: String[_MAX_TEXT]
    maxSupply: uint32
    eligibility: address
    toggle: address
    mutable_: bool
    imageURI: String[_MAX_TEXT]


event TransferSingle:
    operator: indexed(address)
    sender: indexed(address)
    receiver: indexed(address)
    id: uint256
    amount: uint256


@external
def mintTopHat(_target: address, _details: String[_MAX_TEXT], _imageURI: String[_MAX_TEXT]) -> uint256:
    """
    @notice Creates a top hat (its own admin) and mints it to `_target`; anyone may.
    @param _target Wears the new top hat.
    @param _details A description (optional).
    @param _imageURI An image (optional; not stored).
    @return The top hat's id: its domain in the highest 32 bits, zeros below.
    """
    assert _target != empty(address), "hats: zero wearer"
    domain: uint32 = self.last_top_hat + 1
    self.last_top_hat = domain
    hat_id: uint256 = convert(domain, uint256) << (256 - _TOP_BITS)
    self._hats[hat_id] = Hat(eligibility=empty(address), toggle=empty(address), max_supply=1, supply=0, last_child=0, exists=True)
    self.details[hat_id] = _details
    log HatCreated(id=hat_id, details=_details, maxSupply=1, eligibility=empty(address), toggle=empty(address), mutable_=False, imageURI=_imageURI)
    self._mint(hat_id, _target)
    return hat_id


@external
def createHat(
    _admin: uint256,
    _details: String[_MAX_TEXT],
    _maxSupply: uint32,
    _eligibility: address,
    _toggle: address,
    _mutable: bool,
    _imageURI: String[_MAX_TEXT],
) -> uint256:
    """
    @notice Creates a child hat of `_admin`; the caller must be an admin of `_admin` (wear it
            or one of its ancestors). Mints nothing.
    @param _admin The parent hat's id.
    @param _details A description (optional).
    @param _maxSupply Most wearers at once; not zero.
    @param _eligibility Asked `getWearerStatus(wearer, hat)` on every check (empty: everyone eligible).
    @param _toggle Asked `getHatStatus(hat)` on every check (empty: always active).
    @param _mutable Accepted for interface compatibility; every hat here is immutable.
    @param _imageURI Accepted for interface compatibility; not stored.
    @return The new hat's id: `_admin`'s path plus the child's index at the next level.
    """
    parent: Hat = self._hats[_admin]
    assert parent.exists, "hats: no such admin hat"
    assert _maxSupply != 0, "hats: zero max supply"
    assert self._is_admin(msg.sender, _admin), "hats: not an admin of the parent"
    level: uint256 = self._level(_admin)
    assert level < _MAX_LEVEL, "hats: tree too deep"
    child: uint16 = parent.last_child + 1
    assert child != 0, "hats: too many children"
    self._hats[_admin].last_child = child
    offset: uint256 = 256 - _TOP_BITS - (level + 1) * _LEVEL_BITS
    hat_id: uint256 = _admin | (convert(child, uint256) << offset)
    self._hats[hat_id] = Hat(eligibility=_eligibility, toggle=_toggle, max_supply=_maxSupply, supply=0, last_child=0, exists=True)
    self.details[hat_id] = _details
    log HatCreated(id=hat_id, details=_details, maxSupply=_maxSupply, eligibility=_eligibility, toggle=_toggle, mutable_=_mutable, imageURI=_imageURI)
    return hat_id


@external
def mintHat(_hatId: uint256, _wearer: address) -> bool:
    """
    @notice Puts hat `_hatId` on `_wearer`; the caller must be an admin of the hat.
    @param _hatId The hat.
    @param _wearer Who wears it from now on; must not wear it yet.
    @return True.
    """
    assert self._hats[_hatId].exists, "hats: no such hat"
    assert self._is_admin(msg.sender, _hatId), "hats: not an admin of the hat"
    self._mint(_hatId, _wearer)
    return True


@external
def transferHat(_hatId: uint256, _from: address, _to: address):
    """
    @notice Moves hat `_hatId` from `_from` to `_to`; the caller must be an admin of the hat.
    @param _hatId The hat; never a top hat here (Hats lets a top hat's wearer move it).
    @param _from Its current wearer.
    @param _to Its new wearer; must not wear it yet.
    """
    assert self._level(_hatId) != 0, "hats: top hats do not move here"
    assert self._is_admin(msg.sender, _hatId), "hats: not an admin of the hat"
    assert self._worn[_from][_hatId], "hats: not a wearer"
    assert _to != empty(address), "hats: zero wearer"
    assert not self._worn[_to][_hatId], "hats: already wearing"
    self._worn[_from][_hatId] = False
    self._worn[_to][_hatId] = True
    log TransferSingle(operator=msg.sender, sender=_from, receiver=_to, id=_hatId, amount=1)


@external
def renounceHat(_hatId: uint256):
    """
    @notice The caller takes hat `_hatId` off for good.
    @param _hatId A hat the caller wears.
    """
    assert self._worn[msg.sender][_hatId], "hats: not a wearer"
    self._worn[msg.sender][_hatId] = False
    self._hats[_hatId].supply -= 1
    log TransferSingle(operator=msg.sender, sender=msg.sender, receiver=empty(address), id=_hatId, amount=1)


@external
@view
def isWearerOfHat(_user: address, _hatId: uint256) -> bool:
    """
    @notice Whether `_user` wears hat `_hatId` now: holds it, is eligible and in good standing
            by its eligibility module, and the hat is active by its toggle module.
    @param _user Any address.
    @param _hatId Any id.
    @return True only if all three hold.
    """
    return self._wears(_user, _hatId)


@external
@view
def isAdminOfHat(_user: address, _hatId: uint256) -> bool:
    """
    @notice Whether `_user` wears one of the hat's ancestors (for a top hat: the top hat itself).
    @param _user Any address.
    @param _hatId Any id.
    @return True if `_user` administers the hat.
    """
    return self._is_admin(_user, _hatId)


@external
@view
def balanceOf(_wearer: address, _hatId: uint256) -> uint256:
    """
    @notice ERC-1155 balance: 1 while `_wearer` wears the hat (as `isWearerOfHat`), else 0.
    @param _wearer Any address.
    @param _hatId Any id.
    @return 0 or 1.
    """
    return 1 if self._wears(_wearer, _hatId) else 0


@external
@view
def hatSupply(_hatId: uint256) -> uint32:
    """
    @notice How many hold the hat now (before eligibility and toggle).
    @param _hatId Any id.
    @return The count.
    """
    return self._hats[_hatId].supply


@external
@view
def getHatLevel(_hatId: uint256) -> uint32:
    """
    @notice The hat's depth: 0 for a top hat.
    @param _hatId Any id.
    @return Levels below the top hat.
    """
    return convert(self._level(_hatId), uint32)


@internal
def _mint(hat_id: uint256, wearer: address):
    """
    @dev Puts a hat on a wearer within its max supply.
    @param hat_id The hat.
    @param wearer The new wearer.
    """
    assert wearer != empty(address), "hats: zero wearer"
    assert not self._worn[wearer][hat_id], "hats: already wearing"
    hat: Hat = self._hats[hat_id]
    assert hat.supply < hat.max_supply, "hats: max supply reached"
    self._hats[hat_id].supply = hat.supply + 1
    self._worn[wearer][hat_id] = True
    log TransferSingle(operator=msg.sender, sender=empty(address), receiver=wearer, id=hat_id, amount=1)


@internal
@pure
def _level(hat_id: uint256) -> uint256:
    """
    @dev The deepest non-zero level of an id (0 for a top hat).
    @param hat_id Any id.
    @return Its level.
    """
    level: uint256 = 0
    for i: uint256 in range(1, _MAX_LEVEL + 1):
        if (hat_id >> (256 - _TOP_BITS - i * _LEVEL_BITS)) & _LEVEL_MASK != 0:
            level = i
    return level


@internal
@view
def _is_admin(user: address, hat_id: uint256) -> bool:
    """
    @dev Whether `user` wears an ancestor of the hat (the top hat for a top hat).
    @param user Any address.
    @param hat_id Any id.
    @return True if so.
    """
    level: uint256 = self._level(hat_id)
    if level == 0:
        return self._wears(user, hat_id)
    for i: uint256 in range(_MAX_LEVEL):
        if i >= level:
            break
        # The ancestor at level i: the id with every level below i cleared.
        keep: uint256 = 256 - _TOP_BITS - i * _LEVEL_BITS
        ancestor: uint256 = (hat_id >> keep) << keep
        if self._wears(user, ancestor):
            return True
    return False


@internal
@view
def _wears(user: address, hat_id: uint256) -> bool:
    """
    @dev See `isWearerOfHat`.
    @param user Any address.
    @param hat_id Any id.
    @return True if held, eligible, in good standing and active.
    """
    if not self._worn[user][hat_id]:
        return False
    hat: Hat = self._hats[hat_id]
    if hat.toggle != empty(address):
        success: bool = False
        response: Bytes[32] = b""
        success, response = raw_call(
            hat.toggle,
            abi_encode(hat_id, method_id=method_id("getHatStatus(uint256)")),
            max_outsize=32,
            gas=_MODULE_GAS,
            is_static_call=True,
            revert_on_failure=False,
        )
        if not success or len(response) != 32 or convert(response, uint256) != 1:
            return False
    if hat.eligibility != empty(address):
        success: bool = False
        response: Bytes[64] = b""
        success, response = raw_call(
            hat.eligibility,
            abi_encode(user, hat_id, method_id=method_id("getWearerStatus(address,uint256)")),
            max_outsize=64,
            gas=_MODULE_GAS,
            is_static_call=True,
            revert_on_failure=False,
        )
        if not success or len(response) != 64:
            return False
        if convert(slice(response, 0, 32), uint256) != 1 or convert(slice(response, 32, 32), uint256) != 1:
            return False
    return True
