"""CappedMinter behaves like ZKsync's ZkCappedMinterV2 for every sequence of calls.

The main test deploys a (non-linear) CappedMinter under a mock token and `ZkModel`
(tests/zk_reference.py, written from the Solidity semantics) with the same arguments, drives
both with the same random calls (mints, pauses, closes, metadata, every AccessControl entry
point, by every kind of caller, zero address included) and compares each call's revert data,
the minter's logs byte for byte, and afterwards every view, every role and every balance.
The other tests pin the differences that were found and fixed, one each.
"""

import boa
import eth_abi
import pytest
from eth_utils import keccak
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from tests.fixtures.budget import now
from tests.zk_reference import (
    CANNOT_GRANT_DEFAULT_ADMIN,
    CLOSER_ROLE,
    CONTRACT_CLOSED,
    DEFAULT_ADMIN_ROLE,
    EXPIRED,
    IACCESS_CONTROL_ID,
    IERC165_ID,
    INVALID_TIME,
    MINTER_ROLE,
    NOT_STARTED,
    PAUSED,
    PAUSER_ROLE,
    UINT256_MAX,
    ZERO_ADDRESS,
    ZkModel,
    cap_exceeded,
    encode_event,
    error_string,
    expect_revert,
    logs_of,
    missing_role,
    outcome,
    revert_data,
)
from tpp.chain.artifacts import abi_of, vyper_deployer

# A stand-in for the token: records what it is asked to mint and can be told to refuse, so
# the test sees MINTABLE's revert data come back through the minter unchanged.
MOCK_MINTABLE = """
# pragma version ~=0.4.3
balanceOf: public(HashMap[address, uint256])
refuse: public(bool)

@external
def set_refuse(refuse: bool):
    self.refuse = refuse

@external
def mint(_to: address, _amount: uint256):
    assert not self.refuse, "mock: refused"
    self.balanceOf[_to] += _amount
"""
MOCK_REFUSED = error_string("mock: refused")
OTHER_ROLE = b"\x42" * 32
ROLES = (DEFAULT_ADMIN_ROLE, MINTER_ROLE, PAUSER_ROLE, OTHER_ROLE)

SETTINGS = settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

caps = st.one_of(
    st.sampled_from([0, 1, 1_000, 2**128 - 1, 2**128, UINT256_MAX]),
    st.integers(0, 10**24),
    st.integers(0, UINT256_MAX),
)
uris = st.one_of(st.text(max_size=40), st.integers(0, 3_000).map(lambda n: "u" * n))


def deploy(mintable, admin, cap, start, end, linear=False, sender=None):
    return vyper_deployer("CappedMinter").deploy(mintable, admin, cap, start, end, linear, sender=sender)


def expected_logs(events):
    return [encode_event(*e) for e in events]


def check_state(minter, model, actors):
    assert minter.minted() == model.minted
    assert minter.CAP() == model.cap
    assert (minter.START_TIME(), minter.EXPIRATION_TIME()) == (model.start, model.expiration)
    assert minter.paused() == model.paused
    assert minter.closed() == model.closed
    assert minter.metadataURI() == model.metadata_uri
    for role in ROLES + (CLOSER_ROLE,):
        assert minter.getRoleAdmin(role) == DEFAULT_ADMIN_ROLE
        for account in actors:
            assert minter.hasRole(role, account) == model.has_role(role, account), (role.hex(), account)
    for interface_id in (IERC165_ID, IACCESS_CONTROL_ID, b"\xff\xff\xff\xff", b"\x00\x00\x00\x00"):
        assert minter.supportsInterface(interface_id) == ZkModel.supports_interface(interface_id)


# --- the differential test ------------------------------------------------------------------


@SETTINGS
@given(
    cap=caps,
    start_offset=st.sampled_from([-1, 0, 0, 5, 60]),
    length=st.sampled_from([-1, 0, 30, 600]),
    admin_kind=st.sampled_from(["admin", "admin", "deployer", "zero"]),
    data=st.data(),
)
def test_calls_match_zksync(cap, start_offset, length, admin_kind, data, deployer, admin, mechanism, stranger, recipient):
    t0 = now()
    start, end = t0 + start_offset, t0 + start_offset + length
    admin = {"admin": admin, "deployer": deployer, "zero": ZERO_ADDRESS}[admin_kind]
    mock = boa.loads(MOCK_MINTABLE)
    model, error, events = ZkModel.deploy(admin, cap, start, max(end, 0), deployer, t0)
    got = revert_data(deploy, mock.address, admin, cap, start, max(end, 0), sender=deployer)
    event(f"deploy: {error.kind if error else 'ok'}")
    if error is not None:
        assert got == error
        return
    assert got is None
    minter = deploy(mock.address, admin, cap, start, end, sender=deployer)
    assert logs_of(minter._computation, minter.address) == expected_logs(events)
    actors = [admin, deployer, mechanism, stranger, ZERO_ADDRESS]
    if model.has_role(DEFAULT_ADMIN_ROLE, admin):
        # So that mints get past the role check: the admin appoints the mechanism.
        assert outcome(minter, "grantRole", MINTER_ROLE, mechanism, sender=admin)[0] is None
        model.grant_role(admin, MINTER_ROLE, mechanism)
    balance = 0

    for _ in range(data.draw(st.integers(10, 30), label="steps")):
        t = now()
        action = data.draw(
            st.sampled_from(
                ["warp"] * 2
                + ["mint"] * 6
                + ["pause", "unpause", "uri", "grant", "grant", "revoke", "renounce", "refuse"]
                + ["close"] * data.draw(st.integers(0, 1), label="may close")
            ),
            label="action",
        )
        sender = data.draw(st.sampled_from(actors + [admin, mechanism]), label="sender")
        if action == "mint" and data.draw(st.integers(0, 9), label="by the mechanism") < 6:
            sender = mechanism
        if action == "warp":
            boa.env.time_travel(seconds=data.draw(st.sampled_from([1, 10, 100, 1_000]), label="seconds"))
            continue
        if action == "refuse":
            mock.set_refuse(data.draw(st.booleans(), label="refuse"))
            continue
        if action == "mint":
            room = max(model.cap - model.minted, 0)
            amount = data.draw(
                st.one_of(st.sampled_from([0, 1, room, room + 1, UINT256_MAX]), st.integers(0, UINT256_MAX)),
                label="amount",
            )
            amount = min(amount, UINT256_MAX)
            downstream = MOCK_REFUSED if mock.refuse() else None
            expected = model.mint(sender, recipient, amount, t, downstream)
            got = outcome(minter, "mint", recipient, amount, sender=sender)
            if expected[0] is None:
                balance += amount
        elif action in ("pause", "unpause", "close"):
            expected = getattr(model, action)(sender)
            got = outcome(minter, action, sender=sender)
        elif action == "uri":
            uri = data.draw(uris, label="uri")
            expected = model.set_metadata_uri(sender, uri)
            got = outcome(minter, "setMetadataURI", uri, sender=sender)
        else:
            role = data.draw(st.sampled_from(ROLES), label="role")
            if action == "renounce":
                account = data.draw(st.sampled_from([sender, sender] + actors), label="account")
            else:
                account = data.draw(st.sampled_from(actors), label="account")
            method = {"grant": "grantRole", "revoke": "revokeRole", "renounce": "renounceRole"}[action]
            expected = getattr(model, method.replace("Role", "_role"))(sender, role, account)
            got = outcome(minter, method, role, account, sender=sender)
        event(f"{action}: {expected[0].kind if expected[0] else 'ok'}")
        assert got[0] == (None if expected[0] is None else bytes(expected[0])), (action, expected[0], got[0])
        assert got[1] == expected_logs(expected[1]), action
        check_state(minter, model, actors)
        assert mock.balanceOf(recipient) == balance


# --- the differences that were found, one test each -----------------------------------------


@pytest.fixture(scope="module")
def minter(admin, deployer):
    """A plain minter under a mock token, window open for a day, deployed by a factory."""
    mock = boa.loads(MOCK_MINTABLE)
    contract = deploy(mock.address, admin, 1_000, now(), now() + 86_400, sender=deployer)
    contract.grantRole(MINTER_ROLE, boa.env.generate_address("mechanism"), sender=admin)
    return contract


@pytest.mark.parametrize("to", ["admin", "stranger", "deployer"])
def test_default_admin_can_never_be_granted(minter, admin, stranger, deployer, to):
    """The admin cannot make another admin, hand the role on, or grant it to itself again."""
    account = {"admin": admin, "stranger": stranger, "deployer": deployer}[to]
    for caller in (admin, stranger):
        expect_revert(CANNOT_GRANT_DEFAULT_ADMIN, minter.grantRole, DEFAULT_ADMIN_ROLE, account, sender=caller)
    assert [a for a in (admin, stranger, deployer) if minter.hasRole(DEFAULT_ADMIN_ROLE, a)] == [admin]


def test_admin_role_can_only_be_given_up(minter, admin):
    minter.renounceRole(DEFAULT_ADMIN_ROLE, admin, sender=admin)
    assert not minter.hasRole(DEFAULT_ADMIN_ROLE, admin)
    expect_revert(CANNOT_GRANT_DEFAULT_ADMIN, minter.grantRole, DEFAULT_ADMIN_ROLE, admin, sender=admin)
    expect_revert(missing_role(admin, DEFAULT_ADMIN_ROLE), minter.close, sender=admin)


def test_close_twice_is_accepted_and_logged_again(minter, admin):
    for _ in range(2):
        error, logs = outcome(minter, "close", sender=admin)
        assert error is None
        assert logs == [encode_event("Closed", admin)]
    assert minter.closed()


def test_pause_and_unpause_are_accepted_after_close(minter, admin):
    minter.close(sender=admin)
    assert outcome(minter, "pause", sender=admin) == (None, [encode_event("Paused", admin)])
    expect_revert(PAUSED, minter.pause, sender=admin)
    assert outcome(minter, "unpause", sender=admin) == (None, [encode_event("Unpaused", admin)])
    assert minter.closed()


@pytest.mark.parametrize("length", [513, 4_096, 16_384])
def test_long_metadata_uri_is_accepted(minter, admin, length):
    uri = "x" * length
    assert outcome(minter, "setMetadataURI", uri, sender=admin) == (None, [encode_event("MetadataURISet", uri)])
    assert minter.metadataURI() == uri


def test_metadata_uri_beyond_the_bound_fails_decoding(minter, admin):
    """Vyper needs a bound; past 16 KiB the ABI decoder reverts with empty data."""
    calldata = keccak(text="setMetadataURI(string)")[:4] + eth_abi.encode(["string"], ["x" * 16_385])
    computation = boa.env.execute_code(to_address=minter.address, sender=admin, data=calldata)
    assert computation.is_error and bytes(computation.output) == b""
    assert minter.metadataURI() == ""


@pytest.mark.parametrize(
    "case",
    ["cap 0", "cap 2**128", "cap max (no cap)", "zero admin", "zero mintable"],
)
def test_constructor_accepts_what_zksync_accepts(case, token, admin, deployer):
    args = dict(mintable=token.address, admin=admin, cap=1_000)
    if case.startswith("cap"):
        args["cap"] = {"cap 0": 0, "cap 2**128": 2**128, "cap max (no cap)": UINT256_MAX}[case]
    elif case == "zero admin":
        args["admin"] = ZERO_ADDRESS
    else:
        args["mintable"] = ZERO_ADDRESS
    minter = deploy(args["mintable"], args["admin"], args["cap"], now(), now() + 10, sender=deployer)
    assert minter.CAP() == args["cap"]
    assert minter.hasRole(DEFAULT_ADMIN_ROLE, args["admin"])
    assert minter.MINTABLE() == args["mintable"]


@pytest.mark.parametrize("start, end", [(10, 9), (-1, 100)])
def test_constructor_refuses_bad_times_as_zksync(token, admin, start, end):
    expect_revert(INVALID_TIME, deploy, token.address, admin, 1, now() + start, now() + end)


def test_linear_unlock_keeps_the_cap_below_2_128(token, admin):
    """tpp stricter: the unlock formula multiplies CAP by seconds, so a linear cap is 128-bit."""
    with boa.reverts("minter: linear cap above uint128"):
        deploy(token.address, admin, 2**128, now(), now() + 10, linear=True)
    deploy(token.address, admin, 2**128 - 1, now(), now() + 10, linear=True)


def test_constructor_logs_only_the_grants_to_the_admin(token, admin, deployer):
    minter = deploy(token.address, admin, 1, now(), now() + 10, sender=deployer)
    assert logs_of(minter._computation, minter.address) == [
        encode_event("RoleGranted", DEFAULT_ADMIN_ROLE, admin, deployer),
        encode_event("RoleGranted", PAUSER_ROLE, admin, deployer),
    ]
    assert not minter.hasRole(DEFAULT_ADMIN_ROLE, deployer)
    assert not minter.hasRole(CLOSER_ROLE, admin)


def test_mint_checks_in_zksyncs_order(token, admin, mechanism, stranger, recipient):
    """When several rules are broken, the one ZkCappedMinterV2 checks first wins."""
    minter = deploy(token.address, admin, 10, now() + 5, now() + 10)
    minter.grantRole(MINTER_ROLE, mechanism, sender=admin)
    minter.pause(sender=admin)
    # Not started beats paused, role and cap.
    expect_revert(NOT_STARTED, minter.mint, recipient, 11, sender=stranger)
    boa.env.time_travel(seconds=5)
    # Paused beats role and cap.
    expect_revert(PAUSED, minter.mint, recipient, 11, sender=stranger)
    minter.unpause(sender=admin)
    # Role beats cap; the cap error names the caller and the amount.
    expect_revert(missing_role(stranger, MINTER_ROLE), minter.mint, recipient, 11, sender=stranger)
    expect_revert(cap_exceeded(mechanism, 11), minter.mint, recipient, 11, sender=mechanism)
    boa.env.time_travel(seconds=6)
    minter.pause(sender=admin)
    # Expired beats paused.
    expect_revert(EXPIRED, minter.mint, recipient, 1, sender=mechanism)
    minter.close(sender=admin)
    # Closed beats everything.
    expect_revert(CONTRACT_CLOSED, minter.mint, recipient, 11, sender=stranger)


def test_abi_has_zksyncs_surface():
    """Every function and event of ZkCappedMinterV2's ABI, with the same types (plus tpp's)."""
    abi = abi_of("CappedMinter")

    def signature(item):
        inputs = ",".join(i["type"] for i in item["inputs"])
        outputs = ",".join(o["type"] for o in item.get("outputs", []))
        return f"{item['name']}({inputs})->{outputs}" if item["type"] == "function" else f"{item['name']}({inputs})"

    functions = {signature(i) for i in abi if i["type"] == "function"}
    events = {signature(i): [x["indexed"] for x in i["inputs"]] for i in abi if i["type"] == "event"}
    zk_functions = {
        "CAP()->uint256",
        "DEFAULT_ADMIN_ROLE()->bytes32",
        "EXPIRATION_TIME()->uint48",
        "MINTABLE()->address",
        "MINTER_ROLE()->bytes32",
        "PAUSER_ROLE()->bytes32",
        "START_TIME()->uint48",
        "close()->",
        "closed()->bool",
        "getRoleAdmin(bytes32)->bytes32",
        "grantRole(bytes32,address)->",
        "hasRole(bytes32,address)->bool",
        "metadataURI()->string",
        "mint(address,uint256)->",
        "minted()->uint256",
        "pause()->",
        "paused()->bool",
        "renounceRole(bytes32,address)->",
        "revokeRole(bytes32,address)->",
        "setMetadataURI(string)->",
        "supportsInterface(bytes4)->bool",
        "unpause()->",
    }
    zk_events = {
        "Closed(address)": [False],
        "MetadataURISet(string)": [False],
        "Minted(address,address,uint256)": [True, True, False],
        "Paused(address)": [False],
        "Unpaused(address)": [False],
        "RoleAdminChanged(bytes32,bytes32,bytes32)": [True, True, True],
        "RoleGranted(bytes32,address,address)": [True, True, True],
        "RoleRevoked(bytes32,address,address)": [True, True, True],
    }
    assert zk_functions <= functions
    assert functions - zk_functions == {
        "CLOSER_ROLE()->bytes32",
        "LINEAR_UNLOCK()->bool",
        "mintable_now()->uint256",
        "remaining()->uint256",
        "unlocked_at(uint256)->uint256",
    }
    assert events == zk_events
    closed = next(i for i in abi if i.get("name") == "Closed")
    assert closed["inputs"][0]["name"] == "_closer"


def test_closer_role_is_an_addition_nobody_holds_at_first(minter, admin, stranger):
    """Until the admin appoints one, only the admin closes (ZKsync's rule); an appointed
    CLOSER_ROLE holder may close too (tpp's one role per power)."""
    expect_revert(missing_role(stranger, DEFAULT_ADMIN_ROLE), minter.close, sender=stranger)
    minter.grantRole(CLOSER_ROLE, stranger, sender=admin)
    assert outcome(minter, "close", sender=stranger) == (None, [encode_event("Closed", stranger)])
