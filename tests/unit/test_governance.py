"""The OpenZeppelin governance stand-in on the embedded EVM: token roles and clock, the two
governor + timelock pairs, full proposals, defeat reporting and the late-quorum extension."""

from contextlib import contextmanager

import boa
import eth_abi
import pytest
from boa.contracts.base_evm_contract import BoaError
from eth_utils import keccak

from tpp.base.vocab import ZERO_ADDRESS, Vote
from tpp.chain import Chain
from tpp.system.governance import (
    GovernanceError,
    GovernorSettings,
    ProposalState,
    deploy_governance,
    run_proposal,
)

FOR = Vote.FOR
EIP170_LIMIT = 24_576  # bytes of deployed code
TOKEN = 10**18  # wei per token
SUPPLY = 100_000_000 * TOKEN
WHALE_VOTES = 10_000_000 * TOKEN  # 10 % of supply: above the 3 % quorum on its own
MINNOW_VOTES = 100 * TOKEN  # far below quorum


def warp(seconds: int) -> None:
    boa.env.time_travel(seconds=seconds)


@contextmanager
def reverts_with(signature: str, *args):
    """Expect a revert carrying the custom error ``signature`` (e.g. "Foo(address)") and args."""
    with pytest.raises(BoaError) as info:
        yield
    name, _, types = signature.partition("(")
    types = [t for t in types.rstrip(")").split(",") if t]
    expected = keccak(text=signature)[:4] + eth_abi.encode(types, list(args))
    got = info.value.call_trace.computation.output
    assert got == expected, f"reverted with 0x{got.hex()}, expected {name}{tuple(args)}"


@pytest.fixture(scope="module")
def actors():
    names = ("admin", "deployer", "whale", "minnow", "treasury", "stranger", "minter")
    return {name: boa.env.generate_address(name) for name in names}


@pytest.fixture(scope="module")
def gov(actors):
    """Stand-in deployed, supply minted and delegated; the admin still holds the token roles."""
    g = deploy_governance(Chain.current(), actors["admin"], sender=actors["deployer"])
    token = g.token
    admin = actors["admin"]
    token.grantRole(token.MINTER_ROLE(), admin, sender=admin)
    token.mint(actors["whale"], WHALE_VOTES, sender=admin)
    token.mint(actors["minnow"], MINNOW_VOTES, sender=admin)
    token.mint(actors["treasury"], SUPPLY - WHALE_VOTES - MINNOW_VOTES, sender=admin)  # not delegated
    token.revokeRole(token.MINTER_ROLE(), admin, sender=admin)
    for holder in ("whale", "minnow"):
        token.delegate(actors[holder], sender=actors[holder])
    warp(1)  # delegation checkpoints are now strictly in the past
    return g


@pytest.fixture(autouse=True)
def isolated():
    with boa.env.anchor():
        yield


def hand_token_to_timelock(gov, admin):
    """The admin gives DEFAULT_ADMIN_ROLE and MINTER_ADMIN_ROLE to the TPP executor and leaves."""
    token = gov.token
    for role in (token.DEFAULT_ADMIN_ROLE(), token.MINTER_ADMIN_ROLE()):
        token.grantRole(role, gov.tpp_timelock, sender=admin)
    for role in (token.MINTER_ADMIN_ROLE(), token.DEFAULT_ADMIN_ROLE()):
        token.renounceRole(role, admin, sender=admin)


# --- deployment -------------------------------------------------------------------------------


def test_deployed_code_fits_eip170(gov):
    for contract in (gov.token, gov.tpp_governor, gov.tpp_timelock, gov.gap_governor, gov.gap_timelock):
        size = len(boa.env.get_code(contract.address))
        assert 0 < size <= EIP170_LIMIT


def test_governors_use_their_settings_and_timelocks(gov):
    for governor, timelock, settings in (
        (gov.tpp_governor, gov.tpp_timelock, gov.tpp_settings),
        (gov.gap_governor, gov.gap_timelock, gov.gap_settings),
    ):
        assert governor.token() == gov.token.address
        assert governor.timelock() == timelock.address
        assert governor.votingDelay() == settings.voting_delay
        assert governor.votingPeriod() == settings.voting_period
        assert governor.proposalThreshold() == settings.proposal_threshold
        assert governor.quorumNumerator() == settings.quorum_numerator
        assert governor.lateQuorumVoteExtension() == settings.late_quorum_extension
        assert timelock.getMinDelay() == settings.timelock_delay
    assert gov.tpp_governor.name() != gov.gap_governor.name()


def test_timelock_roles_leave_no_deployer_admin(gov, actors):
    for governor, timelock in ((gov.tpp_governor, gov.tpp_timelock), (gov.gap_governor, gov.gap_timelock)):
        admin_role = timelock.DEFAULT_ADMIN_ROLE()
        assert timelock.hasRole(admin_role, timelock)
        for who in (actors["deployer"], actors["admin"], ZERO_ADDRESS):
            assert not timelock.hasRole(admin_role, who)
        assert timelock.hasRole(timelock.PROPOSER_ROLE(), governor)
        assert timelock.hasRole(timelock.CANCELLER_ROLE(), governor)
        assert not timelock.hasRole(timelock.PROPOSER_ROLE(), actors["deployer"])
        assert timelock.hasRole(timelock.EXECUTOR_ROLE(), ZERO_ADDRESS)  # open execution
    # each governor drives only its own timelock
    assert not gov.tpp_timelock.hasRole(gov.tpp_timelock.PROPOSER_ROLE(), gov.gap_governor)
    assert not gov.gap_timelock.hasRole(gov.gap_timelock.PROPOSER_ROLE(), gov.tpp_governor)


def test_settings_are_validated():
    with pytest.raises(ValueError, match="late_quorum_extension"):
        GovernorSettings(voting_period=100, late_quorum_extension=101)
    with pytest.raises(ValueError, match="quorum_numerator"):
        GovernorSettings(quorum_numerator=101)


# --- token ------------------------------------------------------------------------------------


def test_token_clock_is_timestamp(gov):
    assert gov.token.CLOCK_MODE() == "mode=timestamp"
    assert gov.token.clock() == boa.env.timestamp
    warp(1234)
    assert gov.token.clock() == boa.env.timestamp
    assert gov.tpp_governor.CLOCK_MODE() == "mode=timestamp"
    assert gov.gap_governor.clock() == boa.env.timestamp


def test_only_minter_role_mints(gov, actors):
    token, stranger, admin = gov.token, actors["stranger"], actors["admin"]
    minter_role = token.MINTER_ROLE()
    for caller in (stranger, admin):  # not even the admin mints without MINTER_ROLE
        with reverts_with("AccessControlUnauthorizedAccount(address,bytes32)", caller, minter_role):
            token.mint(caller, 1, sender=caller)
    token.grantRole(minter_role, actors["minter"], sender=admin)
    supply = token.totalSupply()
    token.mint(stranger, 7, sender=actors["minter"])
    assert token.balanceOf(stranger) == 7
    assert token.totalSupply() == supply + 7


def test_minter_admin_role_administers_minter_role(gov, actors):
    token, admin, minter = gov.token, actors["admin"], actors["minter"]
    minter_role, minter_admin = token.MINTER_ROLE(), token.MINTER_ADMIN_ROLE()
    assert token.getRoleAdmin(minter_role) == minter_admin
    assert token.getRoleAdmin(minter_admin) == token.DEFAULT_ADMIN_ROLE()

    # DEFAULT_ADMIN_ROLE alone cannot grant MINTER_ROLE
    token.renounceRole(minter_admin, admin, sender=admin)
    with reverts_with("AccessControlUnauthorizedAccount(address,bytes32)", admin, minter_admin):
        token.grantRole(minter_role, minter, sender=admin)
    # ...but it administers MINTER_ADMIN_ROLE, so it may give it to a minter admin
    minter_admin_holder = actors["stranger"]
    token.grantRole(minter_admin, minter_admin_holder, sender=admin)
    token.grantRole(minter_role, minter, sender=minter_admin_holder)
    token.mint(minter, 1, sender=minter)
    token.revokeRole(minter_role, minter, sender=minter_admin_holder)
    with reverts_with("AccessControlUnauthorizedAccount(address,bytes32)", minter, minter_role):
        token.mint(minter, 1, sender=minter)


def test_token_constructor_rejects_zero_admin():
    with pytest.raises(Exception, match="token: admin is zero address"):
        Chain.current().deploy_artifact("TppToken", "T", "T", ZERO_ADDRESS)


# --- proposals ---------------------------------------------------------------------------------


def test_tpp_proposal_grants_minter_role_through_the_tpp_executor(gov, actors):
    token, minter = gov.token, actors["minter"]
    hand_token_to_timelock(gov, actors["admin"])
    assert not token.hasRole(token.MINTER_ADMIN_ROLE(), actors["admin"])

    calldata = token.grantRole.prepare_calldata(token.MINTER_ROLE(), minter)
    proposal_id = run_proposal(
        Chain.current(),
        gov.tpp_governor,
        [token],
        [0],
        [calldata],
        "TPP-1: make the minter a minter",
        [actors["whale"], actors["minnow"]],
    )

    assert ProposalState(gov.tpp_governor.state(proposal_id)) == ProposalState.EXECUTED
    against, for_, abstain = gov.tpp_governor.proposalVotes(proposal_id)
    assert (against, for_, abstain) == (0, WHALE_VOTES + MINNOW_VOTES, 0)
    assert token.hasRole(token.MINTER_ROLE(), minter)
    token.mint(actors["stranger"], 42, sender=minter)
    assert token.balanceOf(actors["stranger"]) == 42


def test_gap_proposal_changes_the_govops_governor_settings(gov, actors):
    governor = gov.gap_governor
    calldatas = [
        governor.setVotingPeriod.prepare_calldata(7_200),
        governor.updateQuorumNumerator.prepare_calldata(5),
    ]
    run_proposal(
        Chain.current(),
        governor,
        [governor, governor],
        [0, 0],
        calldatas,
        "GAP-1: longer votes, higher quorum",
        [actors["whale"]],
    )
    assert governor.votingPeriod() == 7_200
    assert governor.quorumNumerator() == 5
    assert gov.tpp_governor.votingPeriod() == gov.tpp_settings.voting_period  # untouched


def test_governor_settings_change_only_through_a_vote(gov, actors):
    with reverts_with("GovernorOnlyExecutor(address)", actors["admin"]):
        gov.gap_governor.setVotingPeriod(1, sender=actors["admin"])


def test_low_quorum_proposal_is_reported_as_defeated(gov, actors):
    token = gov.token
    hand_token_to_timelock(gov, actors["admin"])
    calldata = token.grantRole.prepare_calldata(token.MINTER_ROLE(), actors["minter"])
    quorum = SUPPLY * gov.tpp_settings.quorum_numerator // 100
    expected = rf"governance: proposal defeated \(for={MINNOW_VOTES}, against=0, abstain=0, quorum={quorum}\)"
    with pytest.raises(GovernanceError, match=expected):
        run_proposal(Chain.current(), gov.tpp_governor, [token], [0], [calldata], "TPP-2: too few votes", [actors["minnow"]])
    assert not token.hasRole(token.MINTER_ROLE(), actors["minter"])


def test_defeat_names_voters_without_votes(gov, actors):
    token = gov.token
    calldata = token.transfer.prepare_calldata(actors["stranger"], 0)
    with pytest.raises(GovernanceError, match=f"voters without votes at the snapshot: {actors['stranger']}"):
        run_proposal(
            Chain.current(),
            gov.gap_governor,
            [token],
            [0],
            [calldata],
            "GAP-2: nobody votes",
            [actors["stranger"]],
        )


def test_late_quorum_extends_the_deadline(gov, actors):
    governor, token = gov.tpp_governor, gov.token
    extension = gov.tpp_settings.late_quorum_extension
    targets, values = [token.address], [0]
    calldatas = [token.transfer.prepare_calldata(actors["stranger"], 0)]
    proposal_id = governor.propose(targets, values, calldatas, "TPP-3: late quorum", sender=actors["whale"])
    original_deadline = governor.proposalDeadline(proposal_id)

    # quorum is reached one minute before the original deadline
    warp(original_deadline - 60 - boa.env.timestamp)
    governor.castVote(proposal_id, FOR, sender=actors["whale"])
    logs = governor.get_logs()  # read before any other call replaces the last computation
    extended = governor.proposalDeadline(proposal_id)
    assert extended == boa.env.timestamp + extension > original_deadline
    extensions = [e for e in logs if type(e).__name__ == "ProposalExtended"]
    assert len(extensions) == 1 and extensions[0].extendedDeadline == extended

    warp(original_deadline + 1 - boa.env.timestamp)
    assert ProposalState(governor.state(proposal_id)) == ProposalState.ACTIVE  # others may still react
    warp(extended + 1 - boa.env.timestamp)
    assert ProposalState(governor.state(proposal_id)) == ProposalState.SUCCEEDED


def test_early_quorum_does_not_extend_the_deadline(gov, actors):
    governor, token = gov.tpp_governor, gov.token
    calldatas = [token.transfer.prepare_calldata(actors["stranger"], 0)]
    proposal_id = governor.propose([token.address], [0], calldatas, "TPP-4: early quorum", sender=actors["whale"])
    deadline = governor.proposalDeadline(proposal_id)
    warp(gov.tpp_settings.voting_delay + 1)
    governor.castVote(proposal_id, FOR, sender=actors["whale"])
    assert governor.proposalDeadline(proposal_id) == deadline
