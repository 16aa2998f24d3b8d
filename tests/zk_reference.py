"""ZKsync's ZkCappedMinterV2 written down in Python, from its Solidity semantics.

The reference is zk-governance `l2-contracts/src/ZkCappedMinterV2.sol`, built on OpenZeppelin
4.9.6 `AccessControl` and `Pausable`. This module holds its vocabulary (roles, the revert data
of each custom error and revert string, the events) and `ZkModel`, a model of every call, so
tests can drive tpp's CappedMinter and the model with the same calls and compare reverts,
state, roles and events byte for byte. Nothing here knows tpp's additions (linear unlock,
CLOSER_ROLE): the model is what a ZKsync caller expects.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import eth_abi
from boa.contracts.base_evm_contract import BoaError
from eth_utils import keccak

ZERO_ADDRESS = "0x" + "00" * 20
UINT256_MAX = 2**256 - 1
UINT48_MAX = 2**48 - 1

DEFAULT_ADMIN_ROLE = b"\x00" * 32
MINTER_ROLE = keccak(b"MINTER_ROLE")
PAUSER_ROLE = keccak(b"PAUSER_ROLE")
# tpp's addition; ZkCappedMinterV2 gives it no power (any bytes32 can be granted there).
CLOSER_ROLE = keccak(b"CLOSER_ROLE")
IERC165_ID = bytes.fromhex("01ffc9a7")
IACCESS_CONTROL_ID = bytes.fromhex("7965db0b")


class Revert(bytes):
    """Revert data, printed readably (hypothesis `event` labels, assertion messages)."""

    label = ""
    kind = ""  # the label without its arguments, for statistics

    def __new__(cls, data: bytes, label: str, kind: str = ""):
        obj = super().__new__(cls, data)
        obj.label = label
        obj.kind = kind or label
        return obj

    def __str__(self):
        return self.label

    __repr__ = __str__


def custom_error(signature: str, *values) -> Revert:
    """Revert data of a Solidity custom error: selector + ABI-encoded arguments."""
    types = signature[signature.index("(") + 1 : -1]
    args = eth_abi.encode(types.split(","), list(values)) if types else b""
    name = signature[: signature.index("(")]
    return Revert(keccak(text=signature)[:4] + args, f"{name}{tuple(values) if values else '()'}", name)


def error_string(text: str, kind: str = "") -> Revert:
    """Revert data of `require(false, text)`: Error(string)."""
    return Revert(keccak(text="Error(string)")[:4] + eth_abi.encode(["string"], [text]), text, kind)


def panic(code: int) -> Revert:
    return Revert(keccak(text="Panic(uint256)")[:4] + eth_abi.encode(["uint256"], [code]), f"Panic({code:#x})")


CONTRACT_CLOSED = custom_error("ZkCappedMinterV2__ContractClosed()")
NOT_STARTED = custom_error("ZkCappedMinterV2__NotStarted()")
EXPIRED = custom_error("ZkCappedMinterV2__Expired()")
INVALID_TIME = custom_error("ZkCappedMinterV2__InvalidTime()")
CANNOT_GRANT_DEFAULT_ADMIN = custom_error("ZkCappedMinterV2__CannotGrantDefaultAdmin()")
PAUSED = error_string("Pausable: paused")
NOT_PAUSED = error_string("Pausable: not paused")
RENOUNCE_FOR_SELF = error_string("AccessControl: can only renounce roles for self")
# Solidity 0.8's checked `minted + _amount` overflowing.
OVERFLOW = panic(0x11)


def cap_exceeded(minter, amount: int) -> Revert:
    return custom_error("ZkCappedMinterV2__CapExceeded(address,uint256)", str(minter), amount)


def missing_role(account, role: bytes) -> Revert:
    """OpenZeppelin 4.9's `_checkRole` revert: lower-case hex account and 32-byte role."""
    return error_string(
        f"AccessControl: account {str(account).lower()} is missing role 0x{role.hex()}", "AccessControl: missing role"
    )


# --- events --------------------------------------------------------------------------------

# name -> (signature, [(type, indexed)]) as in ZkCappedMinterV2's ABI.
EVENTS = {
    "Minted": ("Minted(address,address,uint256)", [("address", True), ("address", True), ("uint256", False)]),
    "Closed": ("Closed(address)", [("address", False)]),
    "MetadataURISet": ("MetadataURISet(string)", [("string", False)]),
    "Paused": ("Paused(address)", [("address", False)]),
    "Unpaused": ("Unpaused(address)", [("address", False)]),
    "RoleGranted": ("RoleGranted(bytes32,address,address)", [("bytes32", True), ("address", True), ("address", True)]),
    "RoleRevoked": ("RoleRevoked(bytes32,address,address)", [("bytes32", True), ("address", True), ("address", True)]),
}


def encode_event(name: str, *values) -> tuple[tuple[int, ...], bytes]:
    """A log as the EVM records it: (topics as ints, data)."""
    signature, fields = EVENTS[name]
    topics = [int.from_bytes(keccak(text=signature), "big")]
    data_types, data_values = [], []
    for (typ, indexed), value in zip(fields, values, strict=True):
        value = str(value) if typ == "address" else value
        if indexed:
            topics.append(int.from_bytes(eth_abi.encode([typ], [value]), "big"))
        else:
            data_types.append(typ)
            data_values.append(value)
    return tuple(topics), eth_abi.encode(data_types, data_values)


def logs_of(computation, address) -> list[tuple[tuple[int, ...], bytes]]:
    """The logs `address` emitted in a (successful) computation, children included, in order."""
    if computation is None or computation.is_error:
        return []
    target = bytes.fromhex(str(address)[2:])
    return [(tuple(t), bytes(d)) for (_, a, t, d) in sorted(computation.get_raw_log_entries()) if bytes(a) == target]


def outcome(contract, method: str, *args, sender, address=None):
    """Call contract.method(*args) from `sender`: (revert data or None, the logs `address`
    (default: the contract) emitted)."""
    try:
        getattr(contract, method)(*args, sender=sender)
    except BoaError as error:
        return bytes(error.call_trace.computation.output), []
    return None, logs_of(contract._computation, address or contract.address)


def revert_data(fn, *args, **kwargs) -> bytes | None:
    """Run fn; its revert data, or None if it succeeded."""
    try:
        fn(*args, **kwargs)
    except BoaError as error:
        return bytes(error.call_trace.computation.output)
    return None


def expect_revert(expected: bytes, fn, *args, **kwargs):
    """fn must revert with exactly `expected` (use with the encoders above)."""
    got = revert_data(fn, *args, **kwargs)
    assert got is not None, f"did not revert (expected {expected})"
    assert got == bytes(expected), f"reverted with {got.hex()} instead of {expected}"


# --- the model -----------------------------------------------------------------------------


@dataclass
class ZkModel:
    """ZkCappedMinterV2's state and rules. Each call returns (revert or None, events) and
    changes the state only when it succeeds; events are (name, *values) tuples."""

    cap: int
    start: int
    expiration: int
    roles: dict = field(default_factory=dict)  # role -> set of lower-case addresses
    minted: int = 0
    paused: bool = False
    closed: bool = False
    metadata_uri: str = ""

    @classmethod
    def deploy(cls, admin, cap, start, expiration, deployer, now):
        """The constructor: (model or None, revert or None, events)."""
        if start > expiration or start < now:
            return None, INVALID_TIME, []
        model = cls(cap, start, expiration)
        events = model._grant(DEFAULT_ADMIN_ROLE, admin, deployer) + model._grant(PAUSER_ROLE, admin, deployer)
        return model, None, events

    def has_role(self, role, account) -> bool:
        return str(account).lower() in self.roles.get(role, set())

    def _check(self, role, account):
        return None if self.has_role(role, account) else missing_role(account, role)

    def _grant(self, role, account, sender):
        if self.has_role(role, account):
            return []
        self.roles.setdefault(role, set()).add(str(account).lower())
        return [("RoleGranted", role, account, sender)]

    def _revoke(self, role, account, sender):
        if not self.has_role(role, account):
            return []
        self.roles[role].discard(str(account).lower())
        return [("RoleRevoked", role, account, sender)]

    def mint_error(self, sender, amount, now):
        """Why mint(amount) by sender at `now` reverts here (None: it reaches MINTABLE.mint)."""
        if self.closed:
            return CONTRACT_CLOSED
        if now < self.start:
            return NOT_STARTED
        if now > self.expiration:
            return EXPIRED
        if self.paused:
            return PAUSED
        if not self.has_role(MINTER_ROLE, sender):
            return missing_role(sender, MINTER_ROLE)
        if self.minted + amount > UINT256_MAX:
            return OVERFLOW
        if self.minted + amount > self.cap:
            return cap_exceeded(sender, amount)
        return None

    def mint(self, sender, to, amount, now, downstream: bytes | None = None):
        """`downstream`: MINTABLE.mint's revert data, which bubbles up unchanged, or None."""
        error = self.mint_error(sender, amount, now)
        if error is None and downstream is not None:
            error = downstream
        if error is not None:
            return error, []
        self.minted += amount
        return None, [("Minted", sender, to, amount)]

    def pause(self, sender):
        error = self._check(PAUSER_ROLE, sender) or (PAUSED if self.paused else None)
        if error:
            return error, []
        self.paused = True
        return None, [("Paused", sender)]

    def unpause(self, sender):
        error = self._check(PAUSER_ROLE, sender) or (None if self.paused else NOT_PAUSED)
        if error:
            return error, []
        self.paused = False
        return None, [("Unpaused", sender)]

    def close(self, sender):
        error = self._check(DEFAULT_ADMIN_ROLE, sender)
        if error:
            return error, []
        self.closed = True
        return None, [("Closed", sender)]

    def set_metadata_uri(self, sender, uri):
        error = self._check(DEFAULT_ADMIN_ROLE, sender)
        if error:
            return error, []
        self.metadata_uri = uri
        return None, [("MetadataURISet", uri)]

    def grant_role(self, sender, role, account):
        if role == DEFAULT_ADMIN_ROLE:
            return CANNOT_GRANT_DEFAULT_ADMIN, []
        error = self._check(DEFAULT_ADMIN_ROLE, sender)
        if error:
            return error, []
        return None, self._grant(role, account, sender)

    def revoke_role(self, sender, role, account):
        error = self._check(DEFAULT_ADMIN_ROLE, sender)
        if error:
            return error, []
        return None, self._revoke(role, account, sender)

    def renounce_role(self, sender, role, account):
        if str(account).lower() != str(sender).lower():
            return RENOUNCE_FOR_SELF, []
        return None, self._revoke(role, account, sender)

    @staticmethod
    def supports_interface(interface_id: bytes) -> bool:
        return interface_id in (IERC165_ID, IACCESS_CONTROL_ID)
