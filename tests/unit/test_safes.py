"""Real Safes (Safe 1.4.1 from npm) through `tpp.system.safes`: created with owners and a
threshold at the address predicted, executing on their owners' behalf with pre-validated
signatures (approveHash for every signer but the sender), refusing non-owners, unsorted
signatures and too few signatures with Safe's GSxxx code in words, trying every transaction
in the Safe's context before anything is sent, and batching through MultiSendCallOnly."""

import boa
import pytest
from eth_utils import to_checksum_address

from tpp.chain import Chain
from tpp.chain.artifacts import NPM_ARTIFACTS, SAFE_PACKAGE, package_version
from tpp.system.safes import (
    SAFE_ERRORS,
    BatchCall,
    Operation,
    SafeError,
    SafeTx,
    batch_calls,
    deploy_safe_layer,
    explain_safe_error,
    multisend_transactions,
    pre_validated_signature,
    signatures_for,
)
from tpp.system.stack import LOCAL_SAFES, SafeSeat, StackConfig, deploy_stack, local_safe

# The fallback handler's storage slot in every Safe: keccak256("fallback_manager.handler.address").
FALLBACK_HANDLER_SLOT = 0x6C9A6C4A39284E37ED1CF53D337577D14212A4870FB976A4366C693B939918D5


def by_address(addresses):
    return sorted(addresses, key=lambda a: int(a, 16))


@pytest.fixture(scope="module")
def layer(chain, deployer):
    return deploy_safe_layer(chain, sender=deployer)


@pytest.fixture(scope="module")
def owners():
    """Three owners, sorted by address (Safe checks signatures in that order)."""
    return by_address([str(boa.env.generate_address(f"safe-owner-{i}")) for i in range(3)])


@pytest.fixture(scope="module")
def coin(chain, deployer):
    return chain.deploy("testing/StakeToken", "Coin", "COIN", 18, sender=deployer)


@pytest.fixture(scope="module")
def make_safe(layer, coin, deployer):
    """make_safe(owners, threshold, salt=0): a new Safe holding 1,000 coins."""

    def make(signers, threshold, salt=0):
        safe = layer.create(signers, threshold, salt=salt, sender=deployer)
        coin.mint(safe.address, 1_000, sender=deployer)
        return safe

    return make


def pay(coin, to, amount):
    return SafeTx(coin.address, 0, coin.transfer.prepare_calldata(to, amount))


def test_the_artifacts_are_safe_1_4_1_from_npm():
    assert package_version(SAFE_PACKAGE) == "1.4.1"
    assert {"Safe", "SafeL2", "SafeProxyFactory", "MultiSendCallOnly", "CompatibilityFallbackHandler"} <= set(NPM_ARTIFACTS)


def test_a_safe_is_created_at_the_predicted_address_with_its_owners(layer, owners, deployer):
    expected = layer.predict(owners, 2, salt=7)
    safe = layer.create(owners, 2, salt=7, sender=deployer)
    assert safe.address == expected
    assert sorted(safe.owners()) == sorted(owners) and safe.threshold() == 2 and safe.nonce() == 0
    handler = int.from_bytes(bytes(safe.contract.getStorageAt(FALLBACK_HANDLER_SLOT, 1)), "big")
    assert to_checksum_address(handler.to_bytes(20, "big")) == layer.fallback_handler.address
    # The same owners, threshold and salt again: refused, naming where the Safe already is.
    with pytest.raises(SafeError, match=rf"already created at {expected} with salt 7"):
        layer.create(owners, 2, salt=7, sender=deployer)


@pytest.mark.parametrize(
    "threshold, repeat, code, words",
    [
        (4, False, "GS201", "threshold cannot exceed the owner count"),
        (0, False, "GS202", "greater than 0"),
        (2, True, "GS204", "already an owner"),
    ],
)
def test_what_setup_would_refuse_is_said_before_sending(layer, owners, deployer, threshold, repeat, code, words):
    """The proxy factory drops the reason of a failed setup call, so it is checked first."""
    with pytest.raises(SafeError, match=rf"would be refused by Safe's setup: {code}: .*{words}") as refused:
        layer.create([*owners, owners[0]] if repeat else owners, threshold, sender=deployer)
    assert refused.value.code == code


def test_one_of_two_executes_with_the_senders_signature_alone(make_safe, owners, coin, recipient):
    safe = make_safe(owners[:2], 1)
    done = safe.call(coin, "transfer", recipient, 10, signers=[owners[1]])
    assert (done.approvals, done.sender, done.signers, done.nonce) == (0, owners[1], (owners[1],), 0)
    assert coin.balanceOf(recipient) == 10 and safe.nonce() == 1


def test_two_of_three_needs_an_approved_hash(make_safe, owners, coin, recipient):
    safe = make_safe(owners, 2)
    tx = pay(coin, recipient, 25)
    tx_hash = safe.transaction_hash(tx)
    # The sender alone is one signature short of the threshold.
    with pytest.raises(SafeError, match="GS020: signatures data too short") as refused:
        safe.exec_transaction(tx, signatures_for([owners[2]]), sender=owners[2])
    assert refused.value.code == "GS020"
    # Two signatures, but the one that is not the sender never approved the hash.
    with pytest.raises(SafeError, match="GS025: hash not approved") as refused:
        safe.exec_transaction(tx, signatures_for([owners[0], owners[2]]), sender=owners[2])
    assert refused.value.code == "GS025" and safe.nonce() == 0
    # execute() approves the hash from the other signer first, then sends.
    done = safe.execute(coin, tx.data, signers=[owners[2], owners[0]])
    assert (done.approvals, done.sender, done.signers, done.safe_tx_hash) == (1, owners[2], (owners[0], owners[2]), tx_hash)
    assert safe.contract.approvedHashes(owners[0], tx_hash) == 1
    assert coin.balanceOf(recipient) == 25 and safe.nonce() == 1


def test_three_of_three_approves_from_two_owners_and_an_earlier_approval_counts(make_safe, owners, coin, recipient):
    safe = make_safe(owners, 3)
    tx = pay(coin, recipient, 5)
    safe.contract.approveHash(safe.transaction_hash(tx), sender=owners[1])  # approved in advance
    done = safe.execute(coin, tx.data, sender=owners[0])
    assert done.approvals == 1 and done.signers == tuple(owners)
    assert coin.balanceOf(recipient) == 5


def test_a_non_owner_is_refused(make_safe, owners, coin, stranger):
    safe = make_safe(owners, 2)
    stranger = str(stranger)
    # As the sender, signing with v = 1: not an owner.
    with pytest.raises(
        SafeError, match=r"execTransaction .* from 0x[0-9a-fA-F]{40} was refused: GS026: invalid owner"
    ) as refused:
        safe.execute(coin, pay(coin, stranger, 1).data, signers=[stranger, owners[0]])
    assert refused.value.code == "GS026"
    # As a co-signer: its approveHash is refused before anything is executed.
    with pytest.raises(SafeError, match=r"approveHash from .* was refused: GS030: only owners can approve a hash"):
        safe.execute(coin, pay(coin, stranger, 1).data, signers=[owners[0], stranger])
    assert safe.nonce() == 0 and coin.balanceOf(stranger) == 0


def test_signatures_out_of_owner_order_are_refused_with_the_rule(make_safe, owners, coin, recipient):
    safe = make_safe(owners, 2)
    tx = pay(coin, recipient, 3)
    safe.contract.approveHash(safe.transaction_hash(tx), sender=owners[0])
    with pytest.raises(SafeError, match="GS026: invalid owner provided, or signatures not sorted by owner address") as refused:
        safe.exec_transaction(tx, signatures_for([owners[2], owners[0]], sort=False), sender=owners[2])
    assert refused.value.code == "GS026" and safe.nonce() == 0
    # The same two signatures in ascending order of owner address pass.
    safe.exec_transaction(tx, signatures_for([owners[2], owners[0]]), sender=owners[2])
    assert coin.balanceOf(recipient) == 3 and safe.nonce() == 1


def test_a_call_that_would_revert_is_refused_before_anyone_signs(make_safe, owners, coin, recipient):
    safe = make_safe(owners, 2)
    with pytest.raises(
        SafeError, match=r"transfer on .* would revert: erc20: transfer amount exceeds balance \(nothing was sent\)"
    ):
        safe.call(coin, "transfer", recipient, 10**6, signers=owners[:2])
    tx = pay(coin, recipient, 10**6)
    assert safe.contract.approvedHashes(owners[1], safe.transaction_hash(tx)) == 0 and safe.nonce() == 0
    assert safe.failure_of(tx, owners[0]) == "erc20: transfer amount exceeds balance"
    assert safe.failure_of(pay(coin, recipient, 1), owners[0]) is None


def test_pre_validated_signatures_are_the_owner_a_zero_word_and_v_1(owners):
    signature = pre_validated_signature(owners[0])
    assert len(signature) == 65 and signature[:12] == b"\0" * 12 and signature[12:32] == bytes.fromhex(owners[0][2:])
    assert signature[32:64] == b"\0" * 32 and signature[64] == 1
    assert signatures_for(reversed(owners)) == b"".join(pre_validated_signature(o) for o in owners)
    assert signatures_for(reversed(owners), sort=False) == b"".join(pre_validated_signature(o) for o in reversed(owners))


def test_multisend_packs_operation_target_value_length_and_data():
    a, b = "0x" + "11" * 20, "0x" + "22" * 20
    packed = multisend_transactions([BatchCall(a, 5, b"\xab\xcd"), BatchCall(b, 0, b"")])
    first = b"\0" + bytes.fromhex("11" * 20) + (5).to_bytes(32, "big") + (2).to_bytes(32, "big") + b"\xab\xcd"
    second = b"\0" + bytes.fromhex("22" * 20) + (0).to_bytes(32, "big") + (0).to_bytes(32, "big")
    assert packed == first + second


def test_a_batch_runs_every_call_in_order_through_multisend_call_only(make_safe, owners, coin, recipient, stranger):
    safe = make_safe(owners, 2)
    calls = [
        BatchCall(coin.address, 0, coin.transfer.prepare_calldata(recipient, 400)),
        BatchCall(coin.address, 0, coin.approve.prepare_calldata(stranger, 50)),
        BatchCall(coin.address, 0, coin.transfer.prepare_calldata(stranger, 600)),
    ]
    done = safe.execute_batch(calls, signers=owners[1:])
    assert done.approvals == 1 and safe.nonce() == 1
    assert (coin.balanceOf(recipient), coin.balanceOf(stranger), coin.balanceOf(safe.address)) == (400, 600, 0)
    assert coin.allowance(safe.address, stranger) == 50


def test_a_failing_batch_names_the_call_and_sends_nothing(make_safe, owners, coin, recipient):
    safe = make_safe(owners, 2)
    calls = [
        BatchCall(coin.address, 0, coin.transfer.prepare_calldata(recipient, 900)),
        BatchCall(coin.address, 0, coin.transfer.prepare_calldata(recipient, 200)),  # only 100 left after the first
    ]
    with pytest.raises(
        SafeError, match=r"a batch of 2 call\(s\) would revert: call 2 of 2 \(to 0x[0-9a-fA-F]{40}, selector 0xa9059cbb\)"
    ):
        safe.execute_batch(calls, signers=owners[:2])
    assert safe.nonce() == 0 and coin.balanceOf(recipient) == 0
    # MultiSendCallOnly refuses a delegatecall inside a batch, and nothing else is needed here:
    # a DELEGATECALL of the Safe goes to MultiSendCallOnly only, never to a batch's targets.
    assert multisend_transactions(calls)[0] == Operation.CALL


def test_batch_files_are_read_with_raw_data(coin):
    calls = batch_calls({"transactions": [{"to": coin.address.lower(), "value": "3", "data": "0x1234"}]})
    assert calls == [BatchCall(coin.address, 3, b"\x12\x34")]
    for bad, message in (({}, "not a Safe Transaction Builder batch"), ({"transactions": []}, "no transactions")):
        with pytest.raises(SafeError, match=message):
            batch_calls(bad)


def test_every_code_is_explained_and_other_reasons_kept():
    assert explain_safe_error("GS013").startswith("GS013: the Safe transaction's call reverted")
    assert explain_safe_error("programme: caller is not the guardian") == "programme: caller is not the guardian"
    assert all(code.startswith("GS") and words for code, words in SAFE_ERRORS.items())


def test_the_local_stack_gives_its_roles_to_safes(chain):
    stack = deploy_stack(chain)
    assert set(stack.safes) == set(LOCAL_SAFES) == {"guardian", "steward", "recipient"}
    for role, seat in LOCAL_SAFES.items():
        safe = stack.safes[role]
        assert sorted(safe.owners()) == sorted(chain.actor(name) for name in seat.owners)
        assert safe.threshold() == seat.threshold
    assert [LOCAL_SAFES[r].threshold for r in ("guardian", "steward", "recipient")] == [2, 2, 1]
    # The guardian Safe is the Budget's guardian too; it pauses the Budget by a Safe transaction.
    assert stack.guardian == stack.safes["guardian"].address
    assert stack.budget.hasRole(stack.budget.GUARDIAN_ROLE(), stack.guardian)
    done = stack.act("guardian", stack.budget, "pause")
    assert stack.budget.paused() and done is not None and done.approvals == 1
    # A Safe found again by its address signs with its seat's local actors.
    safe, signers = local_safe(stack, stack.steward, LOCAL_SAFES["steward"])
    assert safe.address == stack.steward and len(signers) == 2
    with pytest.raises(ValueError, match="own 0 of its seats"):
        local_safe(stack, stack.steward, LOCAL_SAFES["guardian"])


def test_a_stack_without_safes_uses_plain_actors(chain):
    stack = deploy_stack(chain, StackConfig(safes=None))
    assert stack.safes == {} and stack.safe_layer is None
    assert stack.guardian == chain.actor("guardian")
    assert stack.budget.hasRole(stack.budget.GUARDIAN_ROLE(), stack.guardian)
    assert stack.act("guardian", stack.budget, "pause") is None and stack.budget.paused()


def test_a_seat_needs_distinct_owners_and_a_threshold_it_can_meet():
    for owners, threshold in ((("a", "b"), 3), (("a", "a"), 1), (("a",), 0)):
        with pytest.raises(ValueError, match="distinct owners"):
            SafeSeat(owners, threshold)


@pytest.mark.parametrize("engine", ["revm", "pyevm"])
def test_safes_execute_on_the_simulators_engines_too(engine):
    chain = Chain.engine(engine)
    deployer = chain.actor("deployer")
    layer = deploy_safe_layer(chain, singleton="SafeL2", sender=deployer)
    signers = by_address([chain.actor(f"owner-{i}") for i in range(3)])
    safe = layer.create(signers, 2, sender=deployer)
    coin = chain.deploy("testing/StakeToken", "Coin", "COIN", 18, sender=deployer)
    coin.mint(safe.address, 100, sender=deployer)
    payee = chain.actor("payee")
    assert safe.call(coin, "transfer", payee, 40, signers=signers[:2]).approvals == 1
    assert coin.balanceOf(payee) == 40
    with pytest.raises(SafeError, match="transfer amount exceeds balance"):
        safe.call(coin, "transfer", payee, 100, signers=signers[:2])
