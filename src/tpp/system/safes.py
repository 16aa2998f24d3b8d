"""Real Safes on any chain tpp runs on: Safe 1.4.1 as released, from npm's prebuilt artifacts.

A `SafeLayer` is what one chain needs once: the singleton every Safe proxy delegates to
(``Safe``, or ``SafeL2`` which also logs each transaction for indexers), the
``SafeProxyFactory``, ``MultiSendCallOnly`` (batches of plain calls) and the
``CompatibilityFallbackHandler``. `SafeLayer.create` makes a proxy with given owners and
threshold (``Safe.setup`` as the initializer of ``createProxyWithNonce``, so its address is
known before it exists: `SafeLayer.predict`).

`Safe.execute` runs one Safe transaction on behalf of its owners **without private keys**, with
Safe's pre-validated signatures: a signature ``r = owner, s = 0, v = 1`` is valid when that
owner is the transaction's sender or has approved the transaction's hash on chain
(``approveHash``). So every signer but the sender approves the hash, then the sender calls
``execTransaction`` with one such signature per signer, sorted by owner address as Safe
requires. It works wherever the signers can send transactions: local actors on the embedded
chain and on anvil, keystore accounts on a real chain. No gas refund is ever asked
(``safeTxGas``, ``baseGas`` and ``gasPrice`` are 0), so a call that fails reverts the whole Safe
transaction and leaves its nonce alone.

Before anything is sent, the transaction is tried in the Safe's own context (Safe's
``simulateAndRevert`` with its ``SimulateTxAccessor``, on every backend), so a refusal names the
contract's rule, and no owner approves a transaction that cannot succeed. What Safe itself refuses surfaces as
`SafeError` with Safe's ``GSxxx`` code explained in words.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import IntEnum
from typing import TYPE_CHECKING, Any

import eth_abi
from eth_utils import keccak, to_checksum_address

from tpp.base.errors import UserError
from tpp.base.vocab import ZERO_ADDRESS
from tpp.chain.abi import FunctionAbi, functions_of, plain
from tpp.chain.artifacts import abi_of, load_artifact
from tpp.chain.errors import Reverted, reverted_with

if TYPE_CHECKING:
    from tpp.chain import Chain

__all__ = [
    "SAFE_ERRORS",
    "BatchCall",
    "Execution",
    "Operation",
    "Safe",
    "SafeError",
    "SafeLayer",
    "SafeTx",
    "batch_calls",
    "deploy_safe_layer",
    "explain_safe_error",
    "multisend_transactions",
    "pre_validated_signature",
    "safe_layer_at",
    "signatures_for",
]

# Safe's revert codes (Safe 1.4.1's contracts revert with these strings only), in words.
SAFE_ERRORS = {
    "GS000": "could not finish initialization (the setup call's delegatecall failed)",
    "GS001": "threshold needs to be defined (the Safe is not set up)",
    "GS002": "the setup call's target is not a contract",
    "GS010": "not enough gas to execute the Safe transaction",
    "GS011": "could not pay the gas refund in ether",
    "GS012": "could not pay the gas refund in the gas token",
    "GS013": "the Safe transaction's call reverted (with safeTxGas and gasPrice 0 a failed call reverts it whole)",
    "GS020": "signatures data too short: fewer signatures than the threshold",
    "GS021": "invalid contract signature location: inside the static part",
    "GS022": "invalid contract signature location: length not present",
    "GS023": "invalid contract signature location: data not complete",
    "GS024": "invalid contract signature provided",
    "GS025": "hash not approved: a signer is neither the sender nor has it approved the transaction's hash",
    "GS026": "invalid owner provided, or signatures not sorted by owner address (each must be an owner, in ascending order, once)",
    "GS027": "data hash does not match the signed data",
    "GS030": "only owners can approve a hash",
    "GS031": "method can only be called from the Safe itself",
    "GS100": "modules have already been initialized",
    "GS101": "invalid module address provided",
    "GS102": "module has already been added",
    "GS103": "invalid prevModule, module pair provided",
    "GS104": "method can only be called from an enabled module",
    "GS105": "invalid starting point for fetching paginated modules",
    "GS106": "invalid page size for fetching paginated modules",
    "GS200": "owners have already been set up",
    "GS201": "threshold cannot exceed the owner count",
    "GS202": "threshold needs to be greater than 0",
    "GS203": "invalid owner address provided (zero, the sentinel, the Safe itself, or repeated)",
    "GS204": "address is already an owner",
    "GS205": "invalid prevOwner, owner pair provided",
    "GS300": "guard does not implement IERC165",
    "GS400": "fallback handler cannot be set to the Safe itself",
}

# The proxy factory's own refusal when a proxy with the same initializer and salt exists.
_CREATE2_FAILED = "Create2 call failed"


class Operation(IntEnum):
    """``Enum.Operation`` of Safe: how a Safe transaction reaches its target."""

    CALL = 0
    DELEGATECALL = 1


class SafeError(UserError):
    """A Safe transaction (or a Safe's creation) was refused; the message names the Safe, the
    step and Safe's rule in words. `code` is Safe's ``GSxxx`` when Safe refused, `reason` the
    chain's revert reason."""

    def __init__(self, message: str, code: str = "", reason: str = ""):
        self.code = code
        self.reason = reason
        super().__init__(message)


def explain_safe_error(reason: str) -> str:
    """``"GS026"`` -> ``"GS026: invalid owner provided, or signatures not sorted …"``; any other
    reason as it is."""
    words = SAFE_ERRORS.get(reason.strip())
    return f"{reason.strip()}: {words}" if words else reason


@dataclass(frozen=True)
class SafeTx:
    """One Safe transaction (the refund fields are always zero: nobody is paid back for gas)."""

    to: str
    value: int = 0
    data: bytes = b""
    operation: Operation = Operation.CALL


@dataclass(frozen=True)
class BatchCall:
    """One call of a batch (a Safe Transaction Builder transaction): always a plain CALL."""

    to: str
    value: int
    data: bytes


@dataclass(frozen=True)
class Execution:
    """What `Safe.execute` did: the Safe transaction's hash and nonce, who signed (in the order
    the signatures were sent), who sent it, and how many ``approveHash`` transactions it took."""

    safe_tx_hash: bytes
    nonce: int
    signers: tuple[str, ...]
    sender: str
    approvals: int


# --- encoding ----------------------------------------------------------------------------------


@functools.cache
def _fn(contract: str, name: str) -> FunctionAbi:
    """A function of a Safe contract, from the registry's ABI (the one codec encodes it)."""
    return functions_of(contract, abi_of(contract))[name][0]


def _checksum(value: Any) -> str:
    return to_checksum_address(str(plain(value)))


def pre_validated_signature(owner: Any) -> bytes:
    """Safe's pre-validated signature of `owner`: r = the owner's address as a 32-byte word,
    s = 0, v = 1 (valid when the owner sends the transaction or approved its hash)."""
    return bytes.fromhex(_checksum(owner)[2:]).rjust(32, b"\0") + b"\0" * 32 + b"\x01"


def signatures_for(owners: Iterable[Any], *, sort: bool = True) -> bytes:
    """The ``signatures`` argument of ``execTransaction`` for pre-validated `owners`. Safe
    checks them in ascending order of owner address; ``sort=False`` keeps the given order (to
    see Safe refuse it)."""
    addresses = [_checksum(o) for o in owners]
    if sort:
        addresses = sorted(addresses, key=lambda a: int(a, 16))
    return b"".join(pre_validated_signature(a) for a in addresses)


def multisend_transactions(calls: Iterable[BatchCall]) -> bytes:
    """MultiSend's packed ``transactions``: per call the operation (uint8, 0 = CALL), the
    target (20 bytes), the value (uint256), the data's length (uint256) and the data."""
    out = bytearray()
    for call in calls:
        data = bytes(call.data)
        out += bytes([Operation.CALL])
        out += bytes.fromhex(_checksum(call.to)[2:])
        out += int(call.value).to_bytes(32, "big")
        out += len(data).to_bytes(32, "big")
        out += data
    return bytes(out)


def batch_calls(batch: Mapping[str, Any]) -> list[BatchCall]:
    """The calls of a Safe Transaction Builder batch file (``version`` "1.0", the shape `tpp
    propose` writes to ``safe-batch.json``): raw ``data`` per transaction."""
    try:
        transactions = batch["transactions"]
        calls = [BatchCall(_checksum(t["to"]), int(t.get("value") or 0), _hex_bytes(t.get("data") or "0x")) for t in transactions]
    except (KeyError, TypeError, ValueError) as exc:
        raise SafeError(f"not a Safe Transaction Builder batch with raw data per transaction ({exc})") from None
    if not calls:
        raise SafeError("the batch has no transactions")
    return calls


def _hex_bytes(text: str) -> bytes:
    if not isinstance(text, str) or not text.startswith("0x"):
        raise ValueError(f"data {text!r} is not 0x-prefixed hex")
    return bytes.fromhex(text[2:])


def _check_setup(owners: Sequence[str], threshold: int) -> None:
    """What ``Safe.setup`` would refuse, said before anything is sent: the proxy factory drops
    the reason of a failed setup call."""
    code = ""
    if threshold < 1:
        code = "GS202"
    elif threshold > len(owners):
        code = "GS201"
    elif any(int(o, 16) in (0, 1) for o in owners):  # the zero address and Safe's sentinel
        code = "GS203"
    elif len({o.lower() for o in owners}) != len(owners):
        code = "GS204"
    if code:
        raise SafeError(
            f"creating a Safe ({threshold} of {len(owners)}) would be refused by Safe's setup: {explain_safe_error(code)}",
            code=code,
            reason=code,
        )


def _create2_address(deployer: str, salt: bytes, init_code: bytes) -> str:
    digest = keccak(b"\xff" + bytes.fromhex(deployer[2:]) + salt + keccak(init_code))
    return to_checksum_address(digest[12:])


# --- the layer ---------------------------------------------------------------------------------


@dataclass
class SafeLayer:
    """Safe's contracts on one chain: deployed once, shared by every Safe created there."""

    chain: Chain
    singleton: Any  # Safe or SafeL2: the code every proxy delegates to
    factory: Any  # SafeProxyFactory
    multisend: Any  # MultiSendCallOnly: what a Safe delegatecalls for a batch
    fallback_handler: Any  # CompatibilityFallbackHandler
    accessor: Any  # SimulateTxAccessor: tries a Safe transaction in the Safe's context
    singleton_name: str = "Safe"

    def addresses(self) -> dict[str, str]:
        """The layer's addresses by the names a deployments file records them under."""
        return {
            "safe_singleton": str(self.singleton.address),
            "safe_proxy_factory": str(self.factory.address),
            "safe_multisend_call_only": str(self.multisend.address),
            "safe_fallback_handler": str(self.fallback_handler.address),
            "safe_simulate_tx_accessor": str(self.accessor.address),
        }

    def setup_data(self, owners: Sequence[Any], threshold: int) -> bytes:
        """``Safe.setup`` calldata: `owners`, `threshold`, no setup call, this layer's fallback
        handler, no payment."""
        return _fn("Safe", "setup").encode(
            [_checksum(o) for o in owners],
            int(threshold),
            ZERO_ADDRESS,
            b"",
            _checksum(self.fallback_handler),
            ZERO_ADDRESS,
            0,
            ZERO_ADDRESS,
        )

    def predict(self, owners: Sequence[Any], threshold: int, salt: int = 0) -> str:
        """The address `create(owners, threshold, salt=salt)` gives (CREATE2 of the factory:
        salt = keccak(keccak(initializer) ‖ saltNonce), code = proxy creation code ‖ singleton)."""
        initializer = self.setup_data(owners, threshold)
        salt_word = keccak(keccak(initializer) + int(salt).to_bytes(32, "big"))
        init_code = load_artifact("SafeProxy")["bytecode"] + bytes.fromhex(_checksum(self.singleton)[2:]).rjust(32, b"\0")
        return _create2_address(_checksum(self.factory), salt_word, init_code)

    def create(self, owners: Sequence[Any], threshold: int, *, salt: int = 0, sender: Any = None) -> Safe:
        """A new Safe proxy owned by `owners` with `threshold` signatures needed. `salt` tells
        apart Safes with the same owners and threshold."""
        owners = [_checksum(o) for o in owners]
        _check_setup(owners, threshold)
        expected = self.predict(owners, threshold, salt)
        initializer = self.setup_data(owners, threshold)
        kwargs = {} if sender is None else {"sender": _checksum(sender)}
        try:
            with self.chain.reverts():
                created = self.factory.createProxyWithNonce(_checksum(self.singleton), initializer, int(salt), **kwargs)
        except Reverted as exc:
            if exc.reason == _CREATE2_FAILED:
                raise SafeError(
                    f"a Safe with these owners and threshold was already created at {expected} with salt {salt}; "
                    "use it, or create another with a different salt",
                    reason=exc.reason,
                ) from None
            # The factory drops the reason of a failed setup call.
            reason = "the Safe's setup call reverted" if exc.reason == "reverted without a reason" else exc.reason
            raise SafeError(
                f"creating a Safe ({threshold} of {len(owners)}) was refused: {explain_safe_error(reason)}",
                code=exc.reason if exc.reason in SAFE_ERRORS else "",
                reason=exc.reason,
            ) from None
        address = _checksum(created)
        if address != expected:
            raise SafeError(f"the proxy factory created {address}, expected {expected}")
        return self.at(address)

    def at(self, address: Any) -> Safe:
        """The Safe at `address` (a proxy of this layer's singleton)."""
        contract = self.chain.artifact_at(self.singleton_name, _checksum(address))
        return Safe(self.chain, contract, _checksum(self.multisend), _checksum(self.accessor))


def deploy_safe_layer(chain: Chain, *, singleton: str = "Safe", sender: Any = None) -> SafeLayer:
    """Deploy Safe's singleton (``"Safe"`` or ``"SafeL2"``), the proxy factory,
    MultiSendCallOnly, the fallback handler and SimulateTxAccessor from the prebuilt artifacts."""
    if singleton not in ("Safe", "SafeL2"):
        raise ValueError(f"safes: the singleton is Safe or SafeL2, not {singleton!r}")
    return SafeLayer(
        chain,
        chain.deploy_artifact(singleton, sender=sender),
        chain.deploy_artifact("SafeProxyFactory", sender=sender),
        chain.deploy_artifact("MultiSendCallOnly", sender=sender),
        chain.deploy_artifact("CompatibilityFallbackHandler", sender=sender),
        chain.deploy_artifact("SimulateTxAccessor", sender=sender),
        singleton,
    )


def safe_layer_at(chain: Chain, addresses: Mapping[str, str], singleton: str = "Safe") -> SafeLayer:
    """Handles on a deployed layer from its recorded addresses (`SafeLayer.addresses`)."""
    return SafeLayer(
        chain,
        chain.artifact_at(singleton, addresses["safe_singleton"]),
        chain.artifact_at("SafeProxyFactory", addresses["safe_proxy_factory"]),
        chain.artifact_at("MultiSendCallOnly", addresses["safe_multisend_call_only"]),
        chain.artifact_at("CompatibilityFallbackHandler", addresses["safe_fallback_handler"]),
        chain.artifact_at("SimulateTxAccessor", addresses["safe_simulate_tx_accessor"]),
        singleton,
    )


# --- one Safe ----------------------------------------------------------------------------------


class Safe:
    """One Safe proxy: its owners and threshold, and transactions executed on their behalf."""

    def __init__(self, chain: Chain, contract: Any, multisend: str | None = None, accessor: str | None = None):
        self.chain = chain
        self.contract = contract  # the Safe ABI at the proxy's address
        self.multisend = multisend  # MultiSendCallOnly, for `execute_batch`
        self.accessor = accessor  # SimulateTxAccessor, to try a transaction before it is signed

    def __repr__(self) -> str:
        return f"<Safe {self.address}>"

    @property
    def address(self) -> str:
        return _checksum(self.contract)

    def owners(self) -> list[str]:
        return [_checksum(o) for o in self.contract.getOwners()]

    def threshold(self) -> int:
        return int(self.contract.getThreshold())

    def nonce(self) -> int:
        return int(self.contract.nonce())

    def transaction_hash(self, tx: SafeTx, nonce: int | None = None) -> bytes:
        """The EIP-712 hash owners approve (``getTransactionHash``, at the current nonce by default)."""
        nonce = self.nonce() if nonce is None else nonce
        return bytes(
            self.contract.getTransactionHash(
                tx.to, tx.value, tx.data, int(tx.operation), 0, 0, 0, ZERO_ADDRESS, ZERO_ADDRESS, nonce
            )
        )

    # --- executing ---

    def call(
        self, contract: Any, function: str, *args: Any, signers: Sequence[Any] | None = None, sender: Any = None
    ) -> Execution:
        """Execute ``contract.function(*args)`` from the Safe (a CALL), signed by `signers`."""
        data = getattr(contract, function).prepare_calldata(*args)
        return self.execute(contract, data, signers=signers, sender=sender, what=f"{function} on {_checksum(contract)}")

    def execute_batch(self, calls: Sequence[BatchCall], *, signers: Sequence[Any] | None = None, sender: Any = None) -> Execution:
        """Execute `calls` in order as one Safe transaction: a DELEGATECALL to MultiSendCallOnly
        with the calls packed (`multisend_transactions`); all succeed or none does."""
        if self.multisend is None:
            raise SafeError(f"Safe {self.address}: no MultiSendCallOnly known to batch through")
        if not calls:
            raise SafeError(f"Safe {self.address}: an empty batch")
        data = _fn("MultiSendCallOnly", "multiSend").encode(multisend_transactions(calls))
        return self.execute(
            self.multisend,
            data,
            operation=Operation.DELEGATECALL,
            signers=signers,
            sender=sender,
            what=f"a batch of {len(calls)} call(s)",
            batch=calls,
        )

    def execute(
        self,
        to: Any,
        data: bytes = b"",
        *,
        value: int = 0,
        operation: Operation = Operation.CALL,
        signers: Sequence[Any] | None = None,
        sender: Any = None,
        what: str = "the call",
        batch: Sequence[BatchCall] = (),
    ) -> Execution:
        """One Safe transaction to `to` with `data`, signed by `signers` (default: the first
        `threshold` owners) and sent by `sender` (default: the first signer). Every signer but
        the sender approves the hash first, unless it already has. The transaction is tried in
        the Safe's context first (`failure_of`): one that would revert raises `SafeError` naming
        the rule, and nothing is sent. Signers and sender must be accounts the chain can send
        from (local actors, or added keystore accounts)."""
        tx = SafeTx(_checksum(to), int(value), bytes(data), Operation(operation))
        if signers is None:
            signers = self.owners()[: self.threshold()]
        signed = [_checksum(s) for s in signers]
        if not signed and sender is None:
            raise SafeError(f"Safe {self.address}: no signer and no sender for {what}")
        sent_by = _checksum(sender) if sender is not None else signed[0]
        self._simulate(tx, what, batch, sent_by)
        nonce = self.nonce()
        tx_hash = self.transaction_hash(tx, nonce)
        approvals = 0
        for signer in signed:
            if signer == sent_by or int(self.contract.approvedHashes(signer, tx_hash)):
                continue
            self._send(f"approveHash from {signer}", lambda who=signer: self.contract.approveHash(tx_hash, sender=who))
            approvals += 1
        self.exec_transaction(tx, signatures_for(signed), sender=sent_by, what=what)
        return Execution(tx_hash, nonce, tuple(sorted(signed, key=lambda a: int(a, 16))), sent_by, approvals)

    def exec_transaction(self, tx: SafeTx, signatures: bytes, *, sender: Any, what: str = "the call") -> None:
        """``execTransaction`` as it is, with the `signatures` given (no approvals, no sorting,
        no simulation): Safe's refusal raises `SafeError` with its code in words."""
        sent_by = _checksum(sender)
        self._send(
            f"execTransaction of {what} from {sent_by}",
            lambda: self.contract.execTransaction(
                tx.to, tx.value, tx.data, int(tx.operation), 0, 0, 0, ZERO_ADDRESS, ZERO_ADDRESS, signatures, sender=sent_by
            ),
        )

    def _send(self, step: str, send: Any) -> Any:
        try:
            with self.chain.reverts():
                return send()
        except Reverted as exc:
            code = exc.reason.strip() if exc.reason.strip() in SAFE_ERRORS else ""
            raise SafeError(
                f"Safe {self.address}: {step} was refused: {explain_safe_error(exc.reason)}", code=code, reason=exc.reason
            ) from None

    def _simulate(self, tx: SafeTx, what: str, batch: Sequence[BatchCall], by: str) -> None:
        """Try the transaction's call in the Safe's context on the latest state (sent by `by`,
        nothing is kept): a call that would revert raises `SafeError` with its reason."""
        failure = self.failure_of(tx, by)
        if failure is None:
            return
        if batch:
            failure = self._first_failing_call(batch, by) or failure
        raise SafeError(f"Safe {self.address}: {what} would revert: {failure} (nothing was sent)", reason=failure)

    def failure_of(self, tx: SafeTx, by: Any) -> str | None:
        """Why `tx` would fail if the Safe executed it now, or None if it would succeed. Safe's
        ``simulateAndRevert`` delegatecalls SimulateTxAccessor, which makes the call (or the
        delegatecall) from the Safe's own context and returns (gas, success, return data); the
        Safe then reverts with that, so nothing it did is kept."""
        if self.accessor is None:
            raise SafeError(f"Safe {self.address}: no SimulateTxAccessor known to simulate with")
        inner = _fn("SimulateTxAccessor", "simulate").encode(tx.to, tx.value, tx.data, int(tx.operation))
        payload = _fn("Safe", "simulateAndRevert").encode(self.accessor, inner)
        try:
            self.chain.simulate(self.address, payload, _checksum(by))
        except Reverted as exc:
            out = bytes(exc.data)
        else:
            return "simulateAndRevert did not revert (is this a Safe?)"
        if len(out) < 64 or int.from_bytes(out[:32], "big") != 1:
            return f"the simulation failed ({reverted_with(out[64:]).reason if len(out) > 64 else 'no reason'})"
        size = int.from_bytes(out[32:64], "big")
        _gas, success, returned = eth_abi.decode(["uint256", "bool", "bytes"], out[64 : 64 + size])
        if success:
            return None
        return reverted_with(bytes(returned)).reason if returned else "reverted without a reason"

    def _first_failing_call(self, calls: Sequence[BatchCall], by: str) -> str | None:
        """Which call of a failing batch reverts, and why. MultiSendCallOnly drops the reason,
        so the batch's prefixes are tried until one fails; the failing call alone gives the
        reason (when it needs the calls before it, it is named only)."""
        encode = _fn("MultiSendCallOnly", "multiSend").encode
        for index in range(len(calls)):
            prefix = SafeTx(
                _checksum(self.multisend), 0, encode(multisend_transactions(calls[: index + 1])), Operation.DELEGATECALL
            )
            if self.failure_of(prefix, by) is None:
                continue
            call = calls[index]
            label = f"call {index + 1} of {len(calls)} (to {call.to}, selector 0x{call.data[:4].hex()})"
            alone = self.failure_of(SafeTx(call.to, call.value, call.data), by)
            return f"{label}: {alone}" if alone else f"{label} reverts after the calls before it"
        return None
