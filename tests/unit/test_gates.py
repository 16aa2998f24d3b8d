"""Eligibility gates: a hat worn (asked of the registry at call time), a Merkle allowlist, an
attestation of the real Ethereum Attestation Service (present, of the schema, by the attester,
to the account, not revoked, not expired), and their compositions (all of / any of); and a
mechanism that lets one credential back one account per epoch (the research bounty)."""

from __future__ import annotations

import boa
import eth_abi
import pytest
import rlp
from eth_utils import keccak, to_checksum_address

from tests.fixtures.budget import DAY
from tests.fixtures.helpers import warp_to
from tests.unit.test_research_bounty import DEPOSIT, bounty_spec
from tpp.chain.artifacts import vyper_deployer
from tpp.model.merkle import levels_of, proof_of

ZERO = "0x" + "00" * 20
EMPTY = b"\0" * 32

# A gate that gives every account the same credential: what a transferable credential (one
# ERC-1155 token passed around, one shared allowlist entry) looks like to a mechanism.
SHARED_GATE = """
# pragma version ~=0.4.3
@external
@view
def credential(account: address, proof: Bytes[2048]) -> bytes32:
    return keccak256(b"one shared credential")
"""


@pytest.fixture
def hats(layer):
    return layer.hats


@pytest.fixture
def hat(hats, chain):
    dao = chain.actor("gate-dao")
    top = hats.mintTopHat(dao, "gate DAO", "", sender=dao)
    member = hats.createHat(top, "members", 10, ZERO, ZERO, False, "", sender=dao)
    return member, dao


def merkle_gate(accounts):
    """A MerkleGate over `accounts` and a proof function (leaves bound to the gate's address)."""
    deployer = vyper_deployer("gates/MerkleGate")
    # The leaf binds the gate's own address, known only once deployed: predict it (CREATE).
    nonce = boa.env.evm.vm.state.get_nonce(bytes.fromhex(boa.env.eoa[2:]))
    predicted = to_checksum_address(keccak(rlp.encode([bytes.fromhex(boa.env.eoa[2:]), nonce]))[12:])
    leaves = [keccak(eth_abi.encode(["address", "address"], [predicted, a])) for a in accounts]
    levels = levels_of(leaves)
    gate = deployer.deploy(levels[-1][0])
    assert gate.address == predicted
    return gate, lambda i: eth_abi.encode(["bytes32[]"], [proof_of(levels, i)])


def test_a_hat_gate_asks_the_registry_at_call_time(hats, hat, chain):
    member, dao = hat
    gate = vyper_deployer("gates/HatGate").deploy(hats.address, member)
    alice, bob = chain.actor("gate-alice"), chain.actor("gate-bob")
    hats.mintHat(member, alice, sender=dao)
    assert gate.credential(alice, b"") == keccak(eth_abi.encode(["uint256", "address"], [member, alice]))
    assert gate.credential(bob, b"") == EMPTY
    hats.renounceHat(member, sender=alice)
    assert gate.credential(alice, b"") == EMPTY
    broken = vyper_deployer("gates/HatGate").deploy(gate.address, member)  # a "registry" without isWearerOfHat
    assert broken.credential(alice, b"") == EMPTY


def test_a_merkle_gate_admits_exactly_its_accounts(chain):
    accounts = [chain.actor(f"listed-{i}") for i in range(5)]
    gate, proof = merkle_gate(accounts)
    for i, account in enumerate(accounts):
        assert gate.credential(account, proof(i)) == keccak(eth_abi.encode(["address", "address"], [gate.address, account]))
    stranger = chain.actor("unlisted")
    assert gate.credential(stranger, proof(0)) == EMPTY  # another's proof proves nothing
    assert gate.credential(accounts[1], proof(0)) == EMPTY
    assert gate.credential(accounts[0], b"") == EMPTY


@pytest.fixture
def eas(chain):
    registry = chain.deploy_artifact("SchemaRegistry")
    service = chain.deploy_artifact("EAS", registry.address)
    schema_owner = chain.actor("schema-owner")
    schema = registry.register("bool eligible", ZERO, True, sender=schema_owner)
    assert registry.getSchema(schema)[0] == schema
    return service, bytes(schema)


def attest(service, schema, attester, recipient, expires=0):
    data = eth_abi.encode(["bool"], [True])
    service.attest((schema, (recipient, expires, True, EMPTY, data, 0)), sender=attester)
    (log,) = [e for e in service.get_logs() if type(e).__name__ == "Attested"]
    return bytes(log.uid)


def test_an_attestation_gate_checks_the_real_eas(eas, chain):
    service, schema = eas
    attester, other_attester = chain.actor("kyc-provider"), chain.actor("someone-else")
    alice, bob = chain.actor("attested-alice"), chain.actor("attested-bob")
    gate = vyper_deployer("gates/AttestationGate").deploy(service.address, schema, attester)
    uid = attest(service, schema, attester, alice)
    assert gate.credential(alice, uid) == uid
    assert gate.credential(bob, uid) == EMPTY  # the recipient is alice
    assert gate.credential(alice, b"\1" * 32) == EMPTY  # no such attestation
    assert gate.credential(alice, b"") == EMPTY
    assert gate.credential(alice, attest(service, schema, other_attester, alice)) == EMPTY
    soon = attest(service, schema, attester, bob, expires=chain.now() + DAY)
    assert gate.credential(bob, soon) == soon
    warp_to(chain.now() + DAY)
    assert gate.credential(bob, soon) == EMPTY  # expired
    service.revoke((schema, (uid, 0)), sender=attester)
    assert gate.credential(alice, uid) == EMPTY  # revoked


def test_gates_compose_all_of_and_any_of(hats, hat, chain):
    member, dao = hat
    alice, bob, carol = (chain.actor(f"composed-{n}") for n in ("alice", "bob", "carol"))
    hats.mintHat(member, alice, sender=dao)
    hats.mintHat(member, carol, sender=dao)
    hat_gate = vyper_deployer("gates/HatGate").deploy(hats.address, member)
    list_gate, proof = merkle_gate([alice, bob])
    both = vyper_deployer("gates/GateSet").deploy([hat_gate.address, list_gate.address], True)
    either = vyper_deployer("gates/GateSet").deploy([hat_gate.address, list_gate.address], False)

    def proofs(i):
        return eth_abi.encode(["bytes[]"], [[b"", proof(i)]])

    assert both.credential(alice, proofs(0)) != EMPTY  # wears the hat and is listed
    assert both.credential(bob, proofs(1)) == EMPTY  # listed, no hat
    assert both.credential(carol, proofs(0)) == EMPTY  # hat, not listed
    assert either.credential(bob, proofs(1)) == list_gate.credential(bob, proof(1))
    assert either.credential(carol, b"") == hat_gate.credential(carol, b"")
    assert either.credential(chain.actor("nobody"), proofs(0)) == EMPTY


def test_a_gated_bounty_admits_the_eligible_and_binds_each_credential_to_one_author(
    create, make_spec, first_epoch, tpp_executor, chain
):
    judge = chain.actor("gated-judge")
    shared = boa.loads(SHARED_GATE, name="SharedCredentialGate")
    ((programme, bounty),) = create(bounty_spec(make_spec, judge, gate=shared.address))
    start, _ = first_epoch
    warp_to(start + DAY)
    programme.advance(sender=tpp_executor)
    first, second = chain.actor("gated-first"), chain.actor("gated-second")
    for who in (first, second):
        chain.fund(who, 10 * DEPOSIT)
    bounty.submit(b"\1" * 32, b"", sender=first, value=DEPOSIT)
    bounty.submit(b"\2" * 32, b"", sender=first, value=DEPOSIT)  # the same author may submit again
    with boa.reverts("bounty: credential used by another account this epoch"):
        bounty.submit(b"\3" * 32, b"", sender=second, value=DEPOSIT)
    assert bounty.credential_holder(bounty.epoch_number(), keccak(b"one shared credential")) == first


def test_an_ineligible_author_is_refused(create, make_spec, first_epoch, tpp_executor, chain):
    judge = chain.actor("listed-judge-2")
    listed, unlisted = chain.actor("bounty-listed"), chain.actor("bounty-unlisted")
    gate, proof = merkle_gate([listed])
    ((programme, bounty),) = create(bounty_spec(make_spec, judge, gate=gate.address))
    start, _ = first_epoch
    warp_to(start + DAY)
    programme.advance(sender=tpp_executor)
    for who in (listed, unlisted):
        chain.fund(who, 10 * DEPOSIT)
    bounty.submit(b"\1" * 32, proof(0), sender=listed, value=DEPOSIT)
    with boa.reverts("bounty: not eligible"):
        bounty.submit(b"\2" * 32, proof(0), sender=unlisted, value=DEPOSIT)
    with boa.reverts("bounty: not eligible"):
        bounty.submit(b"\2" * 32, sender=unlisted, value=DEPOSIT)


def test_gates_refuse_empty_parameters(chain):
    with boa.reverts("gate: zero hat"):
        vyper_deployer("gates/HatGate").deploy(chain.actor("x"), 0)
    with boa.reverts("gate: empty root"):
        vyper_deployer("gates/MerkleGate").deploy(EMPTY)
    with boa.reverts("gate: empty schema"):
        vyper_deployer("gates/AttestationGate").deploy(chain.actor("x"), EMPTY, chain.actor("y"))
    with boa.reverts("gate: no members"):
        vyper_deployer("gates/GateSet").deploy([], True)


def test_gated_checkpoint_claims_need_a_live_attestation(create, make_spec, first_epoch, tpp_executor, chain, eas):
    """Impact checkpoints behind an EAS attestation gate: a leaf pays only an account attested
    (not revoked) at claim time; the credential is the attestation, bound to its recipient."""
    from tests.unit.test_impact_checkpoints import PERIOD, WINDOW, checkpoint_spec
    from tpp.model.merkle import MerkleTree

    service, schema = eas
    attester, scorer = chain.actor("impact-attester"), chain.actor("gated-scorer")
    alice, bob = chain.actor("impact-alice"), chain.actor("impact-bob")
    gate = vyper_deployer("gates/AttestationGate").deploy(service.address, schema, attester)
    ((programme, cp),) = create(checkpoint_spec(make_spec, scorer, gate=gate.address))
    start, _ = first_epoch
    warp_to(start)
    programme.advance(sender=tpp_executor)
    uid = attest(service, schema, attester, alice)
    warp_to(start + PERIOD)
    tree = MerkleTree.build(cp.address, {alice: 10**18, bob: 10**18})
    cp.post_root(tree.root, tree.total, b"", b"", sender=scorer)
    warp_to(start + PERIOD + WINDOW)
    with boa.reverts("checkpoints: not eligible"):
        cp.claim(bob, 10**18, tree.proof(bob), uid, sender=bob)  # alice's attestation is not bob's
    with boa.reverts("checkpoints: not eligible"):
        cp.claim(alice, 10**18, tree.proof(alice))  # no credential given
    assert cp.claim(alice, 10**18, tree.proof(alice), uid) == 10**18
    service.revoke((schema, (uid, 0)), sender=attester)
    assert gate.credential(alice, uid) == EMPTY


def test_a_gated_pool_checks_stakers_where_they_enter_and_claim(
    create, make_spec, lp_token, deployer, first_epoch, tpp_executor, chain
):
    listed, unlisted = chain.actor("pool-listed"), chain.actor("pool-unlisted")
    gate, proof = merkle_gate([listed])
    params = bytes(12) + bytes.fromhex(gate.address[2:])
    ((programme, pool),) = create(make_spec("staking", lp_token.address, params=params, dials=()))
    assert pool.gate() == gate.address
    start, _ = first_epoch
    warp_to(start)
    programme.advance(sender=tpp_executor)
    for who in (listed, unlisted):
        lp_token.mint(who, 10**18, sender=deployer)
        lp_token.approve(pool.address, 2**256 - 1, sender=who)
    with boa.reverts("staking: not eligible"):
        pool.stake(10**18, sender=unlisted)
    pool.stake(10**18, proof(0), sender=listed)
    warp_to(start + DAY)
    with boa.reverts("staking: not eligible"):
        pool.claim(sender=listed)  # the claim is checked too
    assert pool.claim(proof(0), sender=listed) > 0
    pool.withdraw(10**18, sender=listed)  # a withdrawal never is


def test_a_gated_pool_binds_a_shared_credential_to_its_first_staker(
    create, make_spec, lp_token, deployer, first_epoch, tpp_executor, chain
):
    shared = boa.loads(SHARED_GATE, name="SharedPoolGate")
    params = bytes(12) + bytes.fromhex(shared.address[2:])
    ((programme, pool),) = create(make_spec("staking", lp_token.address, params=params, dials=()))
    start, end = first_epoch
    warp_to(start)
    programme.advance(sender=tpp_executor)
    first, second = chain.actor("shared-first"), chain.actor("shared-second")
    for who in (first, second):
        lp_token.mint(who, 10**18, sender=deployer)
        lp_token.approve(pool.address, 2**256 - 1, sender=who)
    pool.stake(10**17, sender=first)
    pool.stake(10**17, sender=first)
    with boa.reverts("staking: credential used by another account this epoch"):
        pool.stake(10**17, sender=second)
    warp_to(end)
    programme.advance(sender=tpp_executor)  # the next epoch: the credential is free again
    assert pool.epoch_count() == 2
    pool.stake(10**17, sender=second)
    with boa.reverts("staking: zero gate"):
        create(make_spec("staking", lp_token.address, params=bytes(32), dials=()))
