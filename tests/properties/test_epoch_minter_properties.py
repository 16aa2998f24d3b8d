"""EpochMinter properties: its own rules, on a clone driven directly (no programme around it).

Each example clones the EpochMinter implementation (EIP-1167, as the Programme does),
initialises the clone under the token with a random cap, start and unlock end, and drives it
with a random sequence of warps, mints (by the mechanism, the admin, a stranger), pauses,
unpauses, retires and closes. Every outcome (success or the exact revert reason) is compared
with a small model of EpochMinter's rules; after every step: minted never exceeds the cap nor
the linear unlock at the current time, nothing mints before the start, while paused, once
closed or beyond what a retire kept, minting after the unlock end has no deadline (the
programme closes the minter, the clock never does), and the views agree with the model.
"""

from dataclasses import dataclass

import boa
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from tests.fixtures.budget import now
from tests.fixtures.tokens import MINTER_ROLE
from tpp.chain.artifacts import vyper_deployer

MISSING_ROLE = "access_control: account is missing role"
PAUSED = "pausable: contract is paused"
NOT_PAUSED = "pausable: contract is not paused"
CLOSED = "minter: closed"
UINT128_MAX = 2**128 - 1

SETTINGS = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# Clones an implementation the way the Programme does (EIP-1167 minimal proxy).
CLONER = """
# pragma version ~=0.4.3
@external
def clone(implementation: address) -> address:
    return create_minimal_proxy_to(implementation)
"""


@pytest.fixture(scope="module")
def cloner():
    return boa.loads(CLONER)


@pytest.fixture(scope="module")
def implementation(token, deployer):
    """The EpochMinter implementation, minting straight on the token (which has no `release`:
    the minter tolerates a parent without one)."""
    return vyper_deployer("EpochMinter").deploy(token.address, sender=deployer)


@pytest.fixture(scope="module")
def clone_epoch(cloner, implementation, grant_token_minter, admin, mechanism):
    """clone_epoch(cap, start, unlock_end) -> an initialised clone, `admin` its admin and
    pauser, `mechanism` its minter, allowed to mint on the token."""

    def make(cap, start, unlock_end):
        address = cloner.clone(implementation.address)
        minter = vyper_deployer("EpochMinter").at(address)
        minter.initialize(admin, mechanism, cap, start, unlock_end, sender=admin)
        grant_token_minter(address)
        return minter

    return make


@dataclass
class EpochModel:
    """What an EpochMinter clone should do, rule for rule."""

    cap: int
    start: int
    unlock_end: int
    minters: set
    pausers: set
    admins: set
    minted: int = 0
    paused: bool = False
    closed: bool = False

    def unlocked(self, t):
        if t < self.start:
            return 0
        if t >= self.unlock_end:
            return self.cap
        return self.cap * (t - self.start) // (self.unlock_end - self.start)

    def mint_error(self, caller, amount, t):
        """In EpochMinter.mint's order: closed, paused, role, cap, start, unlock."""
        if self.closed:
            return CLOSED
        if self.paused:
            return PAUSED
        if caller not in self.minters:
            return MISSING_ROLE
        if self.minted + amount > self.cap:
            return "minter: cap exceeded"
        if t < self.start:
            return "minter: not started"
        if self.minted + amount > self.unlocked(t):
            return "minter: above linear unlock"
        return None

    def pause_error(self, caller, pause):
        if self.closed:
            return CLOSED
        if caller not in self.pausers:
            return MISSING_ROLE
        if pause and self.paused:
            return PAUSED
        if not pause and not self.paused:
            return NOT_PAUSED
        return None

    def close_error(self, caller):
        if caller not in self.admins:
            return MISSING_ROLE
        if self.closed:
            return CLOSED
        return None

    def retire(self, keep, t):
        """What `retire(keep)` does: keep at most what has unlocked; nothing kept closes."""
        kept = min(keep, self.unlocked(t) - self.minted)
        if kept == 0:
            self.closed = True
        else:
            self.cap = self.minted + kept
            self.unlock_end = min(self.unlock_end, t)

    def mintable_now(self, t):
        if self.closed or self.paused or t < self.start:
            return 0
        return max(self.unlocked(t) - self.minted, 0)


def expect(reason, fn, *args, **kwargs):
    if reason is None:
        return fn(*args, **kwargs)
    with boa.reverts(reason):
        fn(*args, **kwargs)


def check(minter, model, t):
    minted = minter.minted()
    assert minted == model.minted
    assert minted <= model.cap, "minted above the cap"
    assert minted <= model.unlocked(t), "minted above the linear unlock"
    assert minter.remaining() == model.cap - minted
    assert minter.unlocked_at(t) == model.unlocked(t)
    assert minter.mintable_now() == model.mintable_now(t)
    assert (minter.paused(), minter.closed()) == (model.paused, model.closed)


caps = st.one_of(st.integers(1, 1_000), st.integers(1, 10**24), st.just(UINT128_MAX))


@SETTINGS
@given(
    cap=caps,
    offset=st.integers(0, 120),
    duration=st.one_of(st.just(0), st.integers(1, 2_000)),
    data=st.data(),
)
def test_epoch_minter_follows_the_model(cap, offset, duration, data, clone_epoch, token, admin, mechanism, stranger, recipient):
    t0 = now()
    start, unlock_end = t0 + offset, t0 + offset + duration
    minter = clone_epoch(cap, start, unlock_end)
    model = EpochModel(cap, start, unlock_end, minters={mechanism}, pausers={admin}, admins={admin})
    assert (minter.CAP(), minter.START_TIME(), minter.UNLOCK_END()) == (cap, start, unlock_end)
    assert minter.EXPIRATION_TIME() == 2**48 - 1  # no expiry by the clock
    assert minter.LINEAR_UNLOCK()
    supply = token.totalSupply()
    callers = st.sampled_from([admin, mechanism, stranger])
    edges = [start, unlock_end, unlock_end + 10**6]

    for _ in range(data.draw(st.integers(8, 25), label="steps")):
        t = now()
        action = data.draw(st.sampled_from(["warp"] * 3 + ["mint"] * 8 + ["pause", "unpause", "retire", "close"]), label="action")
        if action == "warp":
            target = data.draw(
                st.one_of(
                    st.integers(1, 400).map(lambda d, t=t: t + d),
                    st.tuples(st.sampled_from(edges), st.integers(-1, 1)).map(sum),
                ),
                label="warp to",
            )
            if target > t:
                boa.env.time_travel(seconds=target - t)
        elif action == "mint":
            caller = data.draw(st.sampled_from([mechanism] * 6 + [admin, stranger]), label="caller")
            room = max(model.unlocked(t) - model.minted, 0)
            amount = data.draw(
                st.one_of(
                    st.sampled_from([0, 1, room, room, room + 1, room + 1, cap - model.minted, cap - model.minted + 1]),
                    st.integers(0, cap),
                ),
                label="amount",
            )
            reason = model.mint_error(caller, amount, t)
            event(f"mint: {reason or 'ok'}")
            expect(reason, minter.mint, recipient, amount, sender=caller)
            if reason is None:
                model.minted += amount
                supply += amount
        elif action in ("pause", "unpause"):
            caller = data.draw(callers, label="caller")
            reason = model.pause_error(caller, action == "pause")
            event(f"{action}: {reason or 'ok'}")
            expect(reason, getattr(minter, action), sender=caller)
            if reason is None:
                model.paused = action == "pause"
        elif action == "retire":
            caller = data.draw(st.sampled_from([admin, admin, stranger]), label="caller")
            room = max(model.unlocked(t) - model.minted, 0)
            keep = data.draw(st.sampled_from([0, 1, room // 2, room, room + 1]), label="keep")
            reason = model.close_error(caller)  # same rules as close: the admin, not closed
            event(f"retire: {reason or 'ok'}")
            expect(reason, minter.retire, keep, sender=caller)
            if reason is None:
                model.retire(keep, t)
        else:
            caller = data.draw(callers, label="caller")
            reason = model.close_error(caller)
            event(f"close: {reason or 'ok'}")
            expect(reason, minter.close, sender=caller)
            if reason is None:
                model.closed = True
        check(minter, model, now())
        assert minter.CAP() == model.cap
        assert token.totalSupply() == supply
        assert token.balanceOf(recipient) == model.minted


@SETTINGS
@given(
    cap=caps,
    offset=st.integers(1, 1_000),
    duration=st.integers(0, 2_000),
    late=st.integers(0, 10**9),
)
def test_nothing_mints_before_the_start_and_no_deadline_after_the_end(
    cap, offset, duration, late, clone_epoch, mechanism, recipient
):
    """Not a wei before START_TIME; the whole cap from UNLOCK_END on, however late (up to ~30
    years here): only the programme's close ends minting, so a late keeper forfeits nothing."""
    start = now() + offset
    minter = clone_epoch(cap, start, start + duration)
    boa.env.time_travel(seconds=start - 1 - now())
    with boa.reverts("minter: not started"):
        minter.mint(recipient, 0, sender=mechanism)
    assert minter.mintable_now() == 0
    boa.env.time_travel(seconds=start + duration + late - now())
    assert minter.mintable_now() == cap
    minter.mint(recipient, cap, sender=mechanism)
    with boa.reverts("minter: cap exceeded"):
        minter.mint(recipient, 1, sender=mechanism)
    assert minter.mintable_now() == 0


@SETTINGS
@given(
    cap=caps,
    duration=st.integers(1, 5_000),
    steps=st.lists(st.integers(0, 1_500), min_size=1, max_size=10),
)
def test_greedy_minting_tracks_the_unlock_exactly(cap, duration, steps, clone_epoch, mechanism, recipient):
    """All that is unlocked can be minted, one wei more cannot, at every moment."""
    start = now()
    minter = clone_epoch(cap, start, start + duration)
    for step in steps:
        boa.env.time_travel(seconds=step)
        t = now()
        unlocked = cap if t >= start + duration else cap * (t - start) // duration
        room = unlocked - minter.minted()
        assert minter.mintable_now() == room
        if room:
            minter.mint(recipient, room, sender=mechanism)
        if minter.minted() < cap:
            with boa.reverts("minter: above linear unlock"):
                minter.mint(recipient, 1, sender=mechanism)
        assert minter.minted() == unlocked


@SETTINGS
@given(
    when=st.integers(0, 3_000),
    after=st.lists(st.sampled_from(["warp", "pause", "unpause", "close", "mint"]), max_size=8),
)
def test_paused_or_closed_mints_nothing(when, after, clone_epoch, admin, mechanism, recipient):
    """A pause blocks every mint until unpaused; a close blocks every mint and every brake."""
    minter = clone_epoch(10**6, now(), now() + 2_000)
    boa.env.time_travel(seconds=when)
    minter.pause(sender=admin)
    with boa.reverts(PAUSED):
        minter.mint(recipient, 0, sender=mechanism)
    minter.close(sender=admin)
    for action in after:
        if action == "warp":
            boa.env.time_travel(seconds=500)
        elif action == "mint":
            with boa.reverts(CLOSED):
                minter.mint(recipient, 0, sender=mechanism)
        else:
            with boa.reverts(CLOSED):
                getattr(minter, action)(sender=admin)
        assert minter.closed() and minter.mintable_now() == 0
    assert minter.minted() == 0


def test_implementation_never_mints(implementation, admin, mechanism, recipient):
    """The implementation is born closed and initialised: nobody can arm it."""
    assert implementation.closed()
    with boa.reverts("minter: already initialized"):
        implementation.initialize(admin, mechanism, 1, now(), now() + 1, sender=admin)
    with boa.reverts(CLOSED):
        implementation.mint(recipient, 0, sender=mechanism)


def test_clone_is_initialised_once(clone_epoch, admin, mechanism, stranger):
    minter = clone_epoch(1_000, now(), now() + 100)
    with boa.reverts("minter: already initialized"):
        minter.initialize(stranger, stranger, 1, now(), now() + 1, sender=stranger)
    assert minter.hasRole(MINTER_ROLE, mechanism) and not minter.hasRole(MINTER_ROLE, stranger)
