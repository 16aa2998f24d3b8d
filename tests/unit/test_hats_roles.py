"""Hats roles: a programme's guardian or steward can be a hat, checked when it acts.

Hats Protocol is on no package registry reachable here, so these run against MinimalHats, tpp's
minimal Hats-compatible registry (same function names, id layout and meaning for what it
implements; see its NatSpec). The registry's own rules come first, then the programme's use.
"""

import boa
import pytest

from tests.fixtures.budget import DAY, now
from tpp.base.vocab import THROTTLE, dial_id
from tpp.base.vocab import ZERO_ADDRESS as ZERO

TOP_SHIFT = 224  # a top hat's domain sits in the id's highest 32 bits
LEVEL_1_SHIFT = 208

# Eligibility and toggle modules a test can switch; the "burner" burns all the gas it is given.
MODULES = """
# pragma version ~=0.4.3
eligible: public(bool)
active: public(bool)
burn: public(bool)

@deploy
def __init__():
    self.eligible = True
    self.active = True

@external
def set(eligible: bool, active: bool, burn: bool):
    self.eligible = eligible
    self.active = active
    self.burn = burn

@external
@view
def getWearerStatus(wearer: address, hat: uint256) -> (bool, bool):
    if self.burn:
        x: uint256 = 0
        for i: uint256 in range(10**7):
            x = x + i
    return self.eligible, True

@external
@view
def getHatStatus(hat: uint256) -> bool:
    return self.active
"""


@pytest.fixture
def hats(layer):
    return layer.hats


@pytest.fixture
def dao():
    return boa.env.generate_address("dao")


@pytest.fixture
def tree(hats, dao):
    """(top, guardians, stewards): a top hat worn by the DAO, with two child hats."""
    top = hats.mintTopHat(dao, "tpp DAO", "", sender=dao)
    guardians = hats.createHat(top, "guardians", 3, ZERO, ZERO, False, "", sender=dao)
    stewards = hats.createHat(top, "stewards", 1, ZERO, ZERO, False, "", sender=dao)
    return top, guardians, stewards


# --- the registry ------------------------------------------------------------------------------


def test_ids_carry_their_path(hats, tree):
    top, guardians, stewards = tree
    assert top >> TOP_SHIFT == hats.last_top_hat() and top % 2**TOP_SHIFT == 0
    assert guardians == top | (1 << LEVEL_1_SHIFT) and stewards == top | (2 << LEVEL_1_SHIFT)
    assert (hats.getHatLevel(top), hats.getHatLevel(guardians)) == (0, 1)


def test_only_an_admin_creates_mints_and_moves_hats(hats, tree, dao, stranger):
    top, guardians, _ = tree
    with boa.reverts("hats: not an admin of the parent"):
        hats.createHat(top, "x", 1, ZERO, ZERO, False, "", sender=stranger)
    with boa.reverts("hats: not an admin of the hat"):
        hats.mintHat(guardians, stranger, sender=stranger)
    alice = boa.env.generate_address("alice")
    hats.mintHat(guardians, alice, sender=dao)
    with boa.reverts("hats: not an admin of the hat"):
        hats.transferHat(guardians, alice, stranger, sender=alice)  # a wearer is not its admin
    assert hats.isAdminOfHat(dao, guardians) and not hats.isAdminOfHat(alice, guardians)
    assert hats.isAdminOfHat(dao, top)  # a top hat administers itself
    with boa.reverts("hats: not a wearer"):
        hats.renounceHat(guardians, sender=stranger)  # only a wearer takes a hat off
    with boa.reverts("hats: top hats do not move here"):
        hats.transferHat(top, dao, stranger, sender=dao)


def test_max_supply_and_renounce(hats, tree, dao):
    _, _, stewards = tree  # max supply 1
    a, b = boa.env.generate_address("a"), boa.env.generate_address("b")
    hats.mintHat(stewards, a, sender=dao)
    with boa.reverts("hats: max supply reached"):
        hats.mintHat(stewards, b, sender=dao)
    with boa.reverts("hats: already wearing"):
        hats.mintHat(stewards, a, sender=dao)
    hats.renounceHat(stewards, sender=a)
    assert hats.balanceOf(a, stewards) == 0 and hats.hatSupply(stewards) == 0
    hats.mintHat(stewards, b, sender=dao)
    assert hats.isWearerOfHat(b, stewards) and hats.balanceOf(b, stewards) == 1


def test_modules_can_take_a_hat_off_and_a_broken_one_says_no(hats, tree, dao):
    top, _, _ = tree
    module = boa.loads(MODULES)
    moderated = hats.createHat(top, "moderated", 5, module.address, module.address, False, "", sender=dao)
    alice = boa.env.generate_address("alice")
    hats.mintHat(moderated, alice, sender=dao)
    assert hats.isWearerOfHat(alice, moderated)
    module.set(False, True, False)
    assert not hats.isWearerOfHat(alice, moderated)  # not eligible
    module.set(True, False, False)
    assert not hats.isWearerOfHat(alice, moderated)  # hat toggled off
    module.set(True, True, True)
    assert not hats.isWearerOfHat(alice, moderated)  # a gas-burning module reads as "no"


# --- programmes whose guardian and steward are hats --------------------------------------------


@pytest.fixture
def hatted(create, make_spec, safe, tree, hats, dao, first_epoch):
    """A stream whose guardian and steward are hats; alice wears the guardian hat, bob the steward's."""
    _, guardians, stewards = tree
    alice, bob = boa.env.generate_address("alice"), boa.env.generate_address("bob")
    hats.mintHat(guardians, alice, sender=dao)
    hats.mintHat(stewards, bob, sender=dao)
    spec = make_spec("stream", safe, guardian=ZERO, guardian_hat=guardians, steward=ZERO, steward_hat=stewards)
    ((programme, stream),) = create(spec)
    boa.env.time_travel(seconds=first_epoch[0] + DAY - now())
    return programme, stream, alice, bob


def test_a_guardian_hat_wearer_halts_and_nobody_else(hatted, hats, tree, dao, guardian, stranger):
    programme, stream, alice, bob = hatted
    _, guardians, _ = tree
    assert (programme.guardian(), programme.guardian_hat(), programme.HATS()) == (ZERO, guardians, hats.address)
    for caller in (stranger, bob, guardian, dao):  # the fixture's guardian address is not the hat
        with boa.reverts("programme: caller is not the guardian"):
            programme.halt(sender=caller)
    programme.halt(sender=alice)
    assert programme.halted() and stream.halted()
    # The hat moves to carol: alice loses the power at once, carol has it.
    carol = boa.env.generate_address("carol")
    hats.transferHat(guardians, alice, carol, sender=dao)
    with boa.reverts("programme: caller is not the guardian"):
        programme.unhalt(sender=alice)
    programme.unhalt(sender=carol)
    assert not programme.halted()


def test_a_steward_hat_wearer_moves_dials(hatted, hats, tree, stranger, steward):
    programme, stream, alice, bob = hatted
    _, _, stewards = tree
    for caller in (stranger, alice, steward):
        with boa.reverts("programme: caller is not the steward"):
            programme.move_dial(dial_id(THROTTLE), 9_000, "by hat", sender=caller)
    programme.move_dial(dial_id(THROTTLE), 9_000, "by hat", sender=bob)
    assert stream.throttle_bps() == 9_000
    hats.renounceHat(stewards, sender=bob)
    with boa.reverts("programme: caller is not the steward"):
        programme.move_dial(dial_id(THROTTLE), 8_000, "no hat any more", sender=bob)


def test_a_role_is_an_address_or_a_hat(create, make_spec, safe, tree, guardian):
    _, guardians, _ = tree
    with boa.reverts("programme: guardian is an address or a hat"):
        create(make_spec("stream", safe, guardian=guardian, guardian_hat=guardians))
    with boa.reverts("programme: zero guardian"):
        create(make_spec("stream", safe, guardian=ZERO))


def test_hats_need_a_registry(chain, budget, token, tpp_executor, deployer, make_spec, safe, tree):
    """A programme implementation deployed without a Hats registry takes addresses only."""
    _, guardians, _ = tree
    minter = chain.deploy("EpochMinter", budget.address, sender=deployer)
    programme = chain.deploy("Programme", budget.address, tpp_executor, minter.address, ZERO, sender=deployer)
    clone = boa.loads("""
# pragma version ~=0.4.3
@external
def clone(target: address) -> address:
    return create_minimal_proxy_to(target)
""")
    address = clone.clone(programme.address)
    spec = make_spec("stream", safe, guardian=ZERO, guardian_hat=guardians)
    with boa.reverts("programme: no hats registry"):
        chain.at("Programme", address).initialize(spec.as_tuple(), safe, sender=deployer)
