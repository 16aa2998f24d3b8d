"""Access matrix: every privileged function reverts for every caller without its role.

The matrix is data: one `Entry` per (contract, function, role), with the actors that hold the
role once the fixtures below are deployed. Each entry is run once per other actor (it must
revert with the access-control reason) and once per holder (positive control: it succeeds).
A new privileged function is one more line in MATRIX. Each contract reverts in its own words:
the Budget with snekmate's string, CappedMinter with OpenZeppelin 4.9's (as ZkCappedMinterV2),
the token with OpenZeppelin 5's custom error.
"""

from collections.abc import Callable
from dataclasses import dataclass

import boa
import eth_abi
import pytest
from boa.contracts.base_evm_contract import BoaError
from eth_utils import keccak

from tests.fixtures.budget import DAY, WAD, now
from tests.fixtures.tokens import MINTER_ROLE as TOKEN_MINTER_ROLE
from tests.zk_reference import CANNOT_GRANT_DEFAULT_ADMIN, expect_revert, missing_role
from tpp.chain.artifacts import vyper_deployer

MISSING_ROLE = "access_control: account is missing role"
# Every role-named actor of tests/fixtures/accounts.py, the deployer included.
ACTORS = ("admin", "gap_executor", "tpp_executor", "guardian", "mechanism", "stranger", "deployer")

DEFAULT_ADMIN_ROLE = b"\x00" * 32
MINTER_ROLE = keccak(b"MINTER_ROLE")
PAUSER_ROLE = keccak(b"PAUSER_ROLE")
CLOSER_ROLE = keccak(b"CLOSER_ROLE")
PARAMETER_ROLE = keccak(b"PARAMETER_ROLE")
ADMITTER_ROLE = keccak(b"ADMITTER_ROLE")
ADMITTER_ADMIN_ROLE = keccak(b"ADMITTER_ADMIN_ROLE")
GUARDIAN_ROLE = keccak(b"GUARDIAN_ROLE")
TOKEN_MINTER_ADMIN_ROLE = keccak(b"MINTER_ADMIN_ROLE")
OZ_UNAUTHORIZED = keccak(b"AccessControlUnauthorizedAccount(address,bytes32)")[:4]


def _grantee():
    return boa.env.generate_address("grantee")


def _fresh_programme():
    return boa.env.generate_address("programme")


@dataclass(frozen=True)
class Entry:
    contract: str  # "minter", "budget" or "token"
    function: str
    role: bytes  # the role the function checks
    holders: tuple[str, ...]  # actors holding `role` after deployment
    call: Callable  # call(contract, sender, actors)
    prepare: Callable | None = None  # prepare(contract, actors): state the call needs

    @property
    def id(self):
        return f"{self.contract}.{self.function}"


def _grant(role):
    return lambda c, sender, a: c.grantRole(role, _grantee(), sender=sender)


def _revoke(role, holder):
    # Revoking from a real holder, so the positive control visibly changes state.
    return lambda c, sender, a: c.revokeRole(role, a[holder], sender=sender)


def _pause_first(role_holder):
    return lambda c, a: c.pause(sender=a[role_holder])


# CappedMinter role -> its holder at deployment (None: nobody). DEFAULT_ADMIN_ROLE is granted
# by nobody (ZkCappedMinterV2's rule; see test_default_admin_role_is_granted_by_nobody), and
# CLOSER_ROLE is held by nobody until the admin appoints a closer.
MINTER_ROLES = {
    "MINTER_ROLE": (MINTER_ROLE, "mechanism"),
    "PAUSER_ROLE": (PAUSER_ROLE, "admin"),
    "CLOSER_ROLE": (CLOSER_ROLE, None),
    "DEFAULT_ADMIN_ROLE": (DEFAULT_ADMIN_ROLE, "admin"),
}

# Role -> (the role administering it, holder of that admin role to revoke from in the control).
BUDGET_ROLE_ADMINS = {
    "DEFAULT_ADMIN_ROLE": (DEFAULT_ADMIN_ROLE, DEFAULT_ADMIN_ROLE, ("gap_executor",)),
    "PARAMETER_ROLE": (PARAMETER_ROLE, DEFAULT_ADMIN_ROLE, ("gap_executor",)),
    "CLOSER_ROLE": (CLOSER_ROLE, DEFAULT_ADMIN_ROLE, ("gap_executor",)),
    "GUARDIAN_ROLE": (GUARDIAN_ROLE, DEFAULT_ADMIN_ROLE, ("gap_executor",)),
    # Its own admin: the TPP executor may share it with a programme factory.
    "ADMITTER_ADMIN_ROLE": (ADMITTER_ADMIN_ROLE, ADMITTER_ADMIN_ROLE, ("tpp_executor",)),
    "ADMITTER_ROLE": (ADMITTER_ROLE, ADMITTER_ADMIN_ROLE, ("tpp_executor",)),
}
# Who holds each Budget role at deployment (for revokeRole's positive control).
BUDGET_ROLE_HOLDER = {
    "DEFAULT_ADMIN_ROLE": "gap_executor",
    "PARAMETER_ROLE": "gap_executor",
    "CLOSER_ROLE": "gap_executor",
    "GUARDIAN_ROLE": "guardian",
    "ADMITTER_ADMIN_ROLE": "tpp_executor",
    "ADMITTER_ROLE": "tpp_executor",
}

MATRIX = [
    # --- CappedMinter --------------------------------------------------------------------
    Entry("minter", "mint", MINTER_ROLE, ("mechanism",), lambda c, s, a: c.mint(a["recipient"], 1, sender=s)),
    Entry("minter", "pause", PAUSER_ROLE, ("admin",), lambda c, s, a: c.pause(sender=s)),
    Entry("minter", "unpause", PAUSER_ROLE, ("admin",), lambda c, s, a: c.unpause(sender=s), _pause_first("admin")),
    # The admin closes, as in ZkCappedMinterV2 (an appointed CLOSER_ROLE holder may too).
    Entry("minter", "close", DEFAULT_ADMIN_ROLE, ("admin",), lambda c, s, a: c.close(sender=s)),
    Entry("minter", "setMetadataURI", DEFAULT_ADMIN_ROLE, ("admin",), lambda c, s, a: c.setMetadataURI("ipfs://x", sender=s)),
    *[
        Entry("minter", f"grantRole({name})", DEFAULT_ADMIN_ROLE, ("admin",), _grant(role))
        for name, (role, _) in MINTER_ROLES.items()
        if role != DEFAULT_ADMIN_ROLE
    ],
    *[
        Entry("minter", f"revokeRole({name})", DEFAULT_ADMIN_ROLE, ("admin",), _revoke(role, holder or "guardian"))
        for name, (role, holder) in MINTER_ROLES.items()
    ],
    # --- Budget --------------------------------------------------------------------------
    Entry(
        "budget",
        "admit",
        ADMITTER_ROLE,
        ("tpp_executor",),
        lambda c, s, a: c.admit(_fresh_programme(), WAD, now() + 10, now() + 10 + DAY, sender=s),
    ),
    # Raising a hold (room for the caller's later epochs) is an admission: ADMITTER_ROLE. The
    # positive control first admits an epoch for the hold to follow.
    Entry(
        "budget",
        "hold",
        ADMITTER_ROLE,
        ("tpp_executor",),
        lambda c, s, a: c.hold(1, WAD, sender=s),
        lambda c, a: c.admit(_fresh_programme(), WAD, now() + 10, now() + 10 + DAY, sender=a["tpp_executor"]),
    ),
    Entry(
        "budget",
        "set_inflation_threshold",
        PARAMETER_ROLE,
        ("gap_executor",),
        lambda c, s, a: c.set_inflation_threshold(7 * WAD, sender=s),
    ),
    Entry("budget", "set_allocation", PARAMETER_ROLE, ("gap_executor",), lambda c, s, a: c.set_allocation(7 * WAD, sender=s)),
    Entry("budget", "set_max_share", PARAMETER_ROLE, ("gap_executor",), lambda c, s, a: c.set_max_share(7, sender=s)),
    Entry(
        "budget",
        "set_decision_cycle",
        PARAMETER_ROLE,
        ("gap_executor",),
        lambda c, s, a: c.set_decision_cycle(now(), 30 * DAY, 7 * DAY, sender=s),
    ),
    Entry("budget", "set_load_limit", PARAMETER_ROLE, ("gap_executor",), lambda c, s, a: c.set_load_limit(3, sender=s)),
    Entry("budget", "pause", GUARDIAN_ROLE, ("guardian",), lambda c, s, a: c.pause(sender=s)),
    Entry("budget", "unpause", GUARDIAN_ROLE, ("guardian",), lambda c, s, a: c.unpause(sender=s), _pause_first("guardian")),
    Entry("budget", "close", CLOSER_ROLE, ("gap_executor",), lambda c, s, a: c.close(sender=s)),
    *[
        Entry("budget", f"grantRole({name})", admin_role, holders, _grant(role))
        for name, (role, admin_role, holders) in BUDGET_ROLE_ADMINS.items()
    ],
    *[
        Entry("budget", f"revokeRole({name})", admin_role, holders, _revoke(role, BUDGET_ROLE_HOLDER[name]))
        for name, (role, admin_role, holders) in BUDGET_ROLE_ADMINS.items()
    ],
    # --- TppToken (OpenZeppelin: custom error instead of a reason string) ----------------
    Entry("token", "mint", TOKEN_MINTER_ROLE, ("mechanism",), lambda c, s, a: c.mint(a["recipient"], 1, sender=s)),
    Entry("token", "grantRole(MINTER_ROLE)", TOKEN_MINTER_ADMIN_ROLE, ("admin",), _grant(TOKEN_MINTER_ROLE)),
    Entry("token", "revokeRole(MINTER_ROLE)", TOKEN_MINTER_ADMIN_ROLE, ("admin",), _revoke(TOKEN_MINTER_ROLE, "mechanism")),
    Entry("token", "grantRole(MINTER_ADMIN_ROLE)", DEFAULT_ADMIN_ROLE, ("admin",), _grant(TOKEN_MINTER_ADMIN_ROLE)),
]

DENIED = [
    pytest.param(entry, actor, id=f"{entry.id}-by-{actor}") for entry in MATRIX for actor in ACTORS if actor not in entry.holders
]
ALLOWED = [pytest.param(entry, actor, id=f"{entry.id}-by-{actor}") for entry in MATRIX for actor in entry.holders]


# --- fixtures ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def actors(request, recipient):
    named = {name: request.getfixturevalue(name) for name in ACTORS}
    named["recipient"] = recipient
    return named


@pytest.fixture(scope="module")
def matrix_minter(token, grant_token_minter, admin, mechanism, deployer):
    """A non-linear minter whose window is open now, deployed by `deployer` as a factory
    would (so the deployer keeps no role), with `mechanism` holding MINTER_ROLE."""
    minter = vyper_deployer("CappedMinter").deploy(token.address, admin, 1_000 * WAD, now(), now() + DAY, False, sender=deployer)
    grant_token_minter(minter.address)
    minter.grantRole(MINTER_ROLE, mechanism, sender=admin)
    return minter


@pytest.fixture(scope="module")
def matrix_token(token, admin, mechanism):
    token.grantRole(TOKEN_MINTER_ROLE, mechanism, sender=admin)
    return token


@pytest.fixture(scope="module")
def targets(matrix_minter, budget, matrix_token):
    return {"minter": matrix_minter, "budget": budget, "token": matrix_token}


def _assert_oz_unauthorized(fn, sender, role):
    with pytest.raises(BoaError) as excinfo:
        fn()
    output = bytes(excinfo.value.call_trace.computation.output)
    assert output == OZ_UNAUTHORIZED + eth_abi.encode(["address", "bytes32"], [str(sender), role])


# --- the matrix -------------------------------------------------------------------------


@pytest.mark.parametrize("entry", [pytest.param(e, id=e.id) for e in MATRIX])
def test_matrix_holders_match_the_chain(entry, targets, actors):
    """The matrix is not vacuous: exactly its listed holders hold the role on chain."""
    contract = targets[entry.contract]
    holding = {name for name in ACTORS if contract.hasRole(entry.role, actors[name])}
    assert holding == set(entry.holders)


@pytest.mark.parametrize("entry, actor", DENIED)
def test_privileged_call_reverts_without_role(entry, actor, targets, actors):
    contract = targets[entry.contract]
    if entry.prepare:
        entry.prepare(contract, actors)
    sender = actors[actor]
    if entry.contract == "token":
        _assert_oz_unauthorized(lambda: entry.call(contract, sender, actors), sender, entry.role)
    elif entry.contract == "minter":
        expect_revert(missing_role(sender, entry.role), entry.call, contract, sender, actors)
    else:
        with boa.reverts(MISSING_ROLE):
            entry.call(contract, sender, actors)


@pytest.mark.parametrize("entry, actor", ALLOWED)
def test_privileged_call_succeeds_for_role_holder(entry, actor, targets, actors):
    contract = targets[entry.contract]
    if entry.prepare:
        entry.prepare(contract, actors)
    entry.call(contract, actors[actor], actors)


@pytest.mark.parametrize("actor", ACTORS)
def test_budget_mint_is_gated_by_admission_not_by_role(actor, budget, actors):
    """Budget.mint has no role: only admitted minters may call it, and none of the actors is one."""
    with boa.reverts("budget: minter not admitted"):
        budget.mint(actors["recipient"], 1, sender=actors[actor])


@pytest.mark.parametrize("actor", ACTORS)
def test_budget_release_is_gated_by_admission_not_by_role(actor, budget, actors):
    """Budget.release has no role either: the caller is the key, so an admitted minter can
    only release its own schedule, and none of the actors is one."""
    with boa.reverts("budget: minter not admitted"):
        budget.release(0, sender=actors[actor])


@pytest.mark.parametrize("actor", ACTORS)
def test_budget_hold_lowering_needs_no_role_and_touches_only_the_callers_hold(actor, budget, actors):
    """Giving room back needs no role (a programme must always be able to end): the caller is
    the key, so nobody can lower another's hold, and lowering what one does not hold is a no-op."""
    holder = actors["tpp_executor"]
    budget.admit(_fresh_programme(), WAD, now() + 10, now() + 10 + DAY, sender=holder)
    budget.hold(1, WAD, sender=holder)
    if actor != "tpp_executor":
        budget.hold(0, 0, sender=actors[actor])
        assert budget.hold_of(actors[actor])[:2] == (0, 0)
        assert budget.hold_of(holder)[:2] == (1, WAD)
    else:
        budget.hold(0, 0, sender=holder)
        assert budget.hold_of(holder)[:2] == (0, 0)


@pytest.mark.parametrize("actor", ACTORS)
def test_default_admin_role_is_granted_by_nobody(actor, matrix_minter, actors):
    """Not even by the admin: CappedMinter's admin can be neither multiplied nor handed on."""
    for account in (actors[actor], _grantee()):
        expect_revert(CANNOT_GRANT_DEFAULT_ADMIN, matrix_minter.grantRole, DEFAULT_ADMIN_ROLE, account, sender=actors[actor])
    assert {name for name in ACTORS if matrix_minter.hasRole(DEFAULT_ADMIN_ROLE, actors[name])} == {"admin"}


def test_revoked_holder_loses_the_power(matrix_minter, admin, mechanism, recipient):
    matrix_minter.revokeRole(MINTER_ROLE, mechanism, sender=admin)
    expect_revert(missing_role(mechanism, MINTER_ROLE), matrix_minter.mint, recipient, 1, sender=mechanism)


def test_role_admins_are_fixed(matrix_minter, budget):
    """No set_role_admin is exported: the role tree is the one the matrix above assumes."""
    assert not hasattr(matrix_minter, "set_role_admin")
    assert not hasattr(budget, "set_role_admin")
    for role in (MINTER_ROLE, PAUSER_ROLE, CLOSER_ROLE, DEFAULT_ADMIN_ROLE):
        assert matrix_minter.getRoleAdmin(role) == DEFAULT_ADMIN_ROLE
    for name, (role, admin_role, _) in BUDGET_ROLE_ADMINS.items():
        assert budget.getRoleAdmin(role) == admin_role, name
