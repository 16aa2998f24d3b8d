"""CappedMinter: ZkCappedMinterV2 semantics plus linear unlock, views and nesting."""

import boa
import pytest

from tests.fixtures.budget import DAY, WAD, now
from tests.fixtures.tokens import MINTER_ROLE as TOKEN_MINTER_ROLE
from tests.zk_reference import (
    CONTRACT_CLOSED,
    DEFAULT_ADMIN_ROLE,
    EXPIRED,
    INVALID_TIME,
    MINTER_ROLE,
    NOT_PAUSED,
    NOT_STARTED,
    PAUSED,
    PAUSER_ROLE,
    cap_exceeded,
    encode_event,
    expect_revert,
    logs_of,
    missing_role,
)
from tpp.chain.artifacts import vyper_deployer

CAP = 1_000 * WAD
UINT48_MAX = 2**48 - 1


@pytest.fixture(scope="module")
def window():
    start = now() + DAY
    return start, start + 10 * DAY


@pytest.fixture(scope="module")
def direct_minter(token, deploy_minter, grant_token_minter, window, mechanism, admin):
    """A plain (non-linear) capped minter straight under the token, like ZKsync's."""
    minter = deploy_minter(token.address, CAP, *window, linear=False)
    grant_token_minter(minter.address)
    minter.grantRole(minter.MINTER_ROLE(), mechanism, sender=admin)
    return minter


@pytest.fixture(scope="module")
def linear_minter(token, deploy_minter, grant_token_minter, window, mechanism, admin):
    minter = deploy_minter(token.address, CAP, *window, linear=True)
    grant_token_minter(minter.address)
    minter.grantRole(minter.MINTER_ROLE(), mechanism, sender=admin)
    return minter


# --- construction -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "field, value, reason",
    [
        # ZkCappedMinterV2's own refusals, with its custom error.
        ("start", -1, INVALID_TIME),
        ("end", "before-start", INVALID_TIME),
        # tpp's: ZKsync's uint48 times cannot even be encoded past 2**48; a linear cap is 128-bit.
        ("end", UINT48_MAX + 1, "minter: time beyond uint48"),
        ("cap", 2**128, "minter: linear cap above uint128"),
    ],
)
def test_constructor_rejects_nonsense(token, admin, field, value, reason):
    """What ZkCappedMinterV2 accepts (zero cap, any cap, zero admin or mintable) is accepted:
    see test_capped_minter_zksync.py."""
    args = dict(mintable=token.address, admin=admin, cap=CAP, start=now() + 10, end=now() + 100)
    if field == "start":
        args["start"] = now() + value
    elif field == "end" and value == "before-start":
        args["end"] = args["start"] - 1
    else:
        args[field] = value

    def deploy():
        vyper_deployer("CappedMinter").deploy(args["mintable"], args["admin"], args["cap"], args["start"], args["end"], True)

    if isinstance(reason, bytes):
        expect_revert(reason, deploy)
    else:
        with boa.reverts(reason):
            deploy()


def test_constructor_sets_zk_surface(direct_minter, token, admin, window, deployer):
    start, end = window
    assert direct_minter.MINTABLE() == token.address
    assert direct_minter.CAP() == CAP
    assert direct_minter.START_TIME() == start
    assert direct_minter.EXPIRATION_TIME() == end
    assert direct_minter.minted() == 0
    assert direct_minter.closed() is False
    assert direct_minter.paused() is False
    assert direct_minter.hasRole(direct_minter.DEFAULT_ADMIN_ROLE(), admin)
    assert direct_minter.hasRole(direct_minter.PAUSER_ROLE(), admin)
    # CLOSER_ROLE is tpp's optional delegate: nobody holds it until the admin grants it.
    assert not direct_minter.hasRole(direct_minter.CLOSER_ROLE(), admin)
    assert direct_minter.getRoleAdmin(direct_minter.MINTER_ROLE()) == direct_minter.DEFAULT_ADMIN_ROLE()
    assert direct_minter.MINTER_ROLE() == TOKEN_MINTER_ROLE == MINTER_ROLE


def test_factory_deployer_keeps_no_role(token, admin, stranger):
    minter = vyper_deployer("CappedMinter").deploy(token.address, admin, CAP, now() + 10, now() + 100, True, sender=stranger)
    assert minter.hasRole(minter.DEFAULT_ADMIN_ROLE(), admin)
    assert not minter.hasRole(minter.DEFAULT_ADMIN_ROLE(), stranger)
    assert not minter.hasRole(minter.PAUSER_ROLE(), stranger)


def test_start_equal_to_expiration_is_a_cliff(token, deploy_minter, grant_token_minter, mechanism, admin, recipient):
    t = now() + 100
    minter = deploy_minter(token.address, CAP, t, t, linear=True)
    grant_token_minter(minter.address)
    minter.grantRole(minter.MINTER_ROLE(), mechanism, sender=admin)
    boa.env.time_travel(seconds=100)
    minter.mint(recipient, CAP, sender=mechanism)
    assert token.balanceOf(recipient) == CAP


# --- time window ------------------------------------------------------------------------


def test_no_mint_before_start(direct_minter, mechanism, recipient):
    expect_revert(NOT_STARTED, direct_minter.mint, recipient, 1, sender=mechanism)


def test_mint_from_start_through_expiration_inclusive(direct_minter, token, window, mechanism, recipient):
    start, end = window
    boa.env.time_travel(seconds=start - now())
    direct_minter.mint(recipient, 1, sender=mechanism)
    boa.env.time_travel(seconds=end - now())
    direct_minter.mint(recipient, 2, sender=mechanism)
    assert token.balanceOf(recipient) == 3
    boa.env.time_travel(seconds=1)
    expect_revert(EXPIRED, direct_minter.mint, recipient, 1, sender=mechanism)


def test_cap_is_enforced(direct_minter, window, mechanism, recipient):
    boa.env.time_travel(seconds=window[0] - now())
    direct_minter.mint(recipient, CAP - 1, sender=mechanism)
    expect_revert(cap_exceeded(mechanism, 2), direct_minter.mint, recipient, 2, sender=mechanism)
    direct_minter.mint(recipient, 1, sender=mechanism)
    assert direct_minter.remaining() == 0
    assert direct_minter.mintable_now() == 0


def test_only_minter_role_mints(direct_minter, window, admin, stranger, recipient):
    boa.env.time_travel(seconds=window[0] - now())
    for caller in (admin, stranger):
        expect_revert(missing_role(caller, MINTER_ROLE), direct_minter.mint, recipient, 1, sender=caller)


def test_mint_emits_minted(direct_minter, window, mechanism, recipient):
    boa.env.time_travel(seconds=window[0] - now())
    direct_minter.mint(recipient, 5, sender=mechanism)
    (event,) = [e for e in direct_minter.get_logs() if type(e).__name__ == "Minted"]
    assert (event.minter, event.to, event.amount) == (mechanism, recipient, 5)


# --- linear unlock ----------------------------------------------------------------------


def test_linear_unlock_follows_elapsed_time(linear_minter, token, window, mechanism, recipient):
    start, end = window
    boa.env.time_travel(seconds=start - now())
    assert linear_minter.mintable_now() == 0
    with boa.reverts("minter: above linear unlock"):
        linear_minter.mint(recipient, 1, sender=mechanism)
    quarter = start + (end - start) // 4
    boa.env.time_travel(seconds=quarter - now())
    unlocked = CAP * (quarter - start) // (end - start)
    assert linear_minter.unlocked_at(quarter) == unlocked
    assert linear_minter.mintable_now() == unlocked
    linear_minter.mint(recipient, unlocked, sender=mechanism)
    with boa.reverts("minter: above linear unlock"):
        linear_minter.mint(recipient, 1, sender=mechanism)
    boa.env.time_travel(seconds=end - now())
    linear_minter.mint(recipient, CAP - unlocked, sender=mechanism)
    assert token.balanceOf(recipient) == CAP


def test_pause_blocks_but_does_not_stop_the_clock(linear_minter, window, admin, mechanism, recipient):
    start, end = window
    boa.env.time_travel(seconds=start - now())
    linear_minter.pause(sender=admin)
    assert linear_minter.mintable_now() == 0
    half = start + (end - start) // 2
    boa.env.time_travel(seconds=half - now())
    expect_revert(PAUSED, linear_minter.mint, recipient, 1, sender=mechanism)
    linear_minter.unpause(sender=admin)
    # What unlocked during the pause is mintable at once.
    linear_minter.mint(recipient, CAP // 2, sender=mechanism)


def test_pause_toggles_and_is_role_gated(direct_minter, admin, stranger):
    expect_revert(missing_role(stranger, PAUSER_ROLE), direct_minter.pause, sender=stranger)
    direct_minter.pause(sender=admin)
    expect_revert(PAUSED, direct_minter.pause, sender=admin)
    expect_revert(missing_role(stranger, PAUSER_ROLE), direct_minter.unpause, sender=stranger)
    direct_minter.unpause(sender=admin)
    expect_revert(NOT_PAUSED, direct_minter.unpause, sender=admin)


# --- close and metadata ------------------------------------------------------------------


def test_close_is_permanent(direct_minter, window, admin, mechanism, recipient, stranger):
    boa.env.time_travel(seconds=window[0] - now())
    expect_revert(missing_role(stranger, DEFAULT_ADMIN_ROLE), direct_minter.close, sender=stranger)
    direct_minter.close(sender=admin)
    assert logs_of(direct_minter._computation, direct_minter.address) == [encode_event("Closed", admin)]
    assert direct_minter.closed()
    expect_revert(CONTRACT_CLOSED, direct_minter.mint, recipient, 1, sender=mechanism)
    # As in ZkCappedMinterV2, pause toggles and a second close are accepted; none reopens it.
    for action in (direct_minter.pause, direct_minter.unpause, direct_minter.close):
        action(sender=admin)
    expect_revert(CONTRACT_CLOSED, direct_minter.mint, recipient, 1, sender=mechanism)
    assert direct_minter.closed()
    assert direct_minter.mintable_now() == 0


def test_appointed_closer_may_close(direct_minter, admin, guardian, stranger):
    """tpp's CLOSER_ROLE: the admin (who cannot be multiplied) may appoint a closer."""
    expect_revert(missing_role(guardian, DEFAULT_ADMIN_ROLE), direct_minter.close, sender=guardian)
    direct_minter.grantRole(direct_minter.CLOSER_ROLE(), guardian, sender=admin)
    direct_minter.close(sender=guardian)
    assert direct_minter.closed()
    expect_revert(missing_role(stranger, DEFAULT_ADMIN_ROLE), direct_minter.close, sender=stranger)


def test_metadata_uri(direct_minter, admin, stranger):
    expect_revert(missing_role(stranger, DEFAULT_ADMIN_ROLE), direct_minter.setMetadataURI, "ipfs://kpis", sender=stranger)
    direct_minter.setMetadataURI("ipfs://bafy-kpis", sender=admin)
    (event,) = [e for e in direct_minter.get_logs() if type(e).__name__ == "MetadataURISet"]
    assert event.uri == "ipfs://bafy-kpis"
    assert direct_minter.metadataURI() == "ipfs://bafy-kpis"


# --- nesting ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def parent_and_child(token, deploy_minter, grant_token_minter, window, mechanism, admin):
    """parent (cap CAP/2, under the token) -> child (cap CAP, under the parent)."""
    start, end = window
    parent = deploy_minter(token.address, CAP // 2, start, end, linear=False)
    grant_token_minter(parent.address)
    child = deploy_minter(parent.address, CAP, start, end, linear=False)
    parent.grantRole(parent.MINTER_ROLE(), child.address, sender=admin)
    child.grantRole(child.MINTER_ROLE(), mechanism, sender=admin)
    return parent, child


def test_child_mint_counts_in_parent_and_is_held_to_its_cap(parent_and_child, token, window, mechanism, recipient):
    parent, child = parent_and_child
    boa.env.time_travel(seconds=window[0] - now())
    child.mint(recipient, CAP // 4, sender=mechanism)
    assert child.minted() == CAP // 4
    assert parent.minted() == CAP // 4
    child.mint(recipient, CAP // 4, sender=mechanism)
    # The child's own cap would allow more, the parent's does not; the parent's error (naming
    # the child as its minter) comes back unchanged.
    expect_revert(cap_exceeded(child.address, 1), child.mint, recipient, 1, sender=mechanism)
    assert token.balanceOf(recipient) == CAP // 2


@pytest.mark.parametrize("block", ["paused", "closed"])
def test_parent_state_blocks_child(parent_and_child, window, admin, mechanism, recipient, block):
    parent, child = parent_and_child
    boa.env.time_travel(seconds=window[0] - now())
    if block == "paused":
        parent.pause(sender=admin)
        reason = PAUSED
    else:
        parent.close(sender=admin)
        reason = CONTRACT_CLOSED
    expect_revert(reason, child.mint, recipient, 1, sender=mechanism)
    assert child.minted() == 0


def test_expired_parent_blocks_child_with_open_window(token, deploy_minter, grant_token_minter, admin, mechanism, recipient):
    parent = deploy_minter(token.address, CAP, now() + 1, now() + 10, linear=False)
    grant_token_minter(parent.address)
    child = deploy_minter(parent.address, CAP, now() + 1, now() + 1_000, linear=False)
    parent.grantRole(parent.MINTER_ROLE(), child.address, sender=admin)
    child.grantRole(child.MINTER_ROLE(), mechanism, sender=admin)
    boa.env.time_travel(seconds=5)
    child.mint(recipient, 1, sender=mechanism)
    boa.env.time_travel(seconds=100)
    expect_revert(EXPIRED, child.mint, recipient, 1, sender=mechanism)
    assert child.minted() == 1
