"""CappedMinter properties (ZKsync's ZkCappedMinterV2 rules plus the linear unlock), checked
against a small Python model of the rules.

The main test draws a random sequence of actions (time travel, mints by role holders and by
strangers, pauses, unpauses, closes) on a parent minter under the token and a child minter
under the parent, and compares every outcome (success, or the exact revert data: ZKsync's
custom errors and OpenZeppelin 4.9's strings, from tests/zk_reference.py) with the model;
after every step it checks minted, the cap, the linear unlock and the views. The call-for-call
comparison with ZkCappedMinterV2 itself (roles, events, metadata) is
tests/unit/test_capped_minter_zksync.py. titanoboa's pytest plugin runs every hypothesis
example in its own anchor, so each example deploys fresh minters on a clean chain.
"""

from dataclasses import dataclass

import boa
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from tests.fixtures.budget import now
from tests.fixtures.tokens import MINTER_ROLE
from tests.zk_reference import (
    CONTRACT_CLOSED,
    DEFAULT_ADMIN_ROLE,
    EXPIRED,
    NOT_STARTED,
    OVERFLOW,
    PAUSER_ROLE,
    Revert,
    cap_exceeded,
    expect_revert,
    missing_role,
)
from tests.zk_reference import NOT_PAUSED as ZK_NOT_PAUSED
from tests.zk_reference import PAUSED as ZK_PAUSED

# snekmate's strings, as the Budget reverts them (tests/properties/test_budget_machine.py);
# CappedMinter reverts with OpenZeppelin 4.9's (ZK_PAUSED, missing_role(account, role)).
MISSING_ROLE = "access_control: account is missing role"
PAUSED = "pausable: contract is paused"
NOT_PAUSED = "pausable: contract is not paused"
UINT128_MAX = 2**128 - 1
UINT256_MAX = 2**256 - 1
ABOVE_UNLOCK = "minter: above linear unlock"

SETTINGS = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

caps = st.one_of(st.just(0), st.integers(1, 1_000), st.integers(1, 10**24), st.just(UINT128_MAX))
offsets = st.integers(0, 300)  # seconds from now to START_TIME
durations = st.one_of(st.just(0), st.integers(1, 2_000))  # EXPIRATION_TIME - START_TIME


def pause_error(closed: str | None, allowed: bool, paused: bool, pause: bool) -> str | None:
    """The revert reason of pause() (`pause`) or unpause() on a snekmate pausable (the Budget)
    that may be closed (`closed`: its reason, or None) for a caller that holds the role
    (`allowed`) or not."""
    if closed:
        return closed
    if not allowed:
        return MISSING_ROLE
    if pause and paused:
        return PAUSED
    if not pause and not paused:
        return NOT_PAUSED
    return None


@dataclass
class MinterModel:
    """What a CappedMinter should do, rule for rule: ZkCappedMinterV2's, plus the linear unlock.
    Reasons are exact revert data (bytes) or, for tpp's own checks, a revert string."""

    cap: int
    start: int
    end: int
    linear: bool
    minters: set  # holders of MINTER_ROLE
    pausers: set  # holders of PAUSER_ROLE
    closers: set  # who may close: the DEFAULT_ADMIN_ROLE holder and any CLOSER_ROLE holder
    minted: int = 0
    paused: bool = False
    closed: bool = False

    def unlocked(self, t):
        if t < self.start:
            return 0
        if not self.linear or t >= self.end:
            return self.cap
        return self.cap * (t - self.start) // (self.end - self.start)

    def mint_error(self, caller, amount, t):
        """The revert of mint(amount) by caller at time t, or None (checks in ZkCappedMinterV2's
        order: closed, window, paused, role, overflow, cap; then tpp's unlock)."""
        if self.closed:
            return CONTRACT_CLOSED
        if t < self.start:
            return NOT_STARTED
        if t > self.end:
            return EXPIRED
        if self.paused:
            return ZK_PAUSED
        if caller not in self.minters:
            return missing_role(caller, MINTER_ROLE)
        if self.minted + amount > UINT256_MAX:
            return OVERFLOW
        if self.minted + amount > self.cap:
            return cap_exceeded(caller, amount)
        if self.linear and self.minted + amount > self.unlocked(t):
            return ABOVE_UNLOCK
        return None

    def pause_error(self, caller, pause):
        """pause() / unpause(): role first, then the state; allowed after close (as on ZKsync)."""
        if caller not in self.pausers:
            return missing_role(caller, PAUSER_ROLE)
        if pause and self.paused:
            return ZK_PAUSED
        if not pause and not self.paused:
            return ZK_NOT_PAUSED
        return None

    def close_error(self, caller):
        """close(): closing again is accepted (and logged again), as on ZKsync."""
        if caller not in self.closers:
            return missing_role(caller, DEFAULT_ADMIN_ROLE)
        return None

    def mintable_now(self, t):
        if self.closed or self.paused or t < self.start or t > self.end:
            return 0
        limit = self.unlocked(t)
        return limit - min(limit, self.minted)


def expect(reason, fn, *args, **kwargs):
    """Call fn; it must revert with `reason` (exact revert data if bytes, else a revert
    string), or succeed when reason is None."""
    if reason is None:
        return fn(*args, **kwargs)
    if isinstance(reason, bytes):
        return expect_revert(reason, fn, *args, **kwargs)
    with boa.reverts(reason):
        fn(*args, **kwargs)


def label(reason) -> str:
    """A short name for hypothesis statistics."""
    if reason is None:
        return "ok"
    return reason.kind if isinstance(reason, Revert) else str(reason)


def check_minter(contract, model, t):
    minted = contract.minted()
    assert minted == model.minted
    assert minted <= contract.CAP()
    assert contract.remaining() == model.cap - minted
    if model.linear:
        bound = model.unlocked(t)
        assert minted <= bound, "minted above the linear unlock"
        assert contract.unlocked_at(t) == bound
    assert contract.mintable_now() == model.mintable_now(t)
    assert contract.paused() == model.paused
    assert contract.closed() == model.closed


# --- the model-based test ----------------------------------------------------------------


@SETTINGS
@given(
    parent_spec=st.tuples(caps, offsets, st.integers(0, 2_000), st.booleans()),
    child_spec=st.tuples(caps, offsets, st.integers(0, 2_000), st.booleans()),
    data=st.data(),
)
def test_minters_follow_the_model(
    parent_spec, child_spec, data, token, deploy_minter, grant_token_minter, admin, guardian, mechanism, stranger, recipient
):
    """Parent under the token, child under the parent; random actions; every outcome as modelled.

    Roles: `mechanism` holds MINTER_ROLE on both (so the parent also mints directly), the child
    contract holds MINTER_ROLE on the parent, `admin` pauses and closes, `guardian` was granted
    PAUSER_ROLE only, `stranger` holds nothing.
    """
    t0 = now()
    contracts, models = {}, {}
    for name, (cap, offset, duration, linear) in (("parent", parent_spec), ("child", child_spec)):
        mintable = token.address if name == "parent" else contracts["parent"].address
        contracts[name] = deploy_minter(mintable, cap, t0 + offset, t0 + offset + duration, linear=linear)
        models[name] = MinterModel(
            cap,
            t0 + offset,
            t0 + offset + duration,
            linear,
            minters={mechanism},
            pausers={admin, guardian},
            closers={admin},
        )
    parent, child = contracts["parent"], contracts["child"]
    grant_token_minter(parent.address)
    parent.grantRole(MINTER_ROLE, child.address, sender=admin)
    models["parent"].minters.add(child.address)
    for c in (parent, child):
        c.grantRole(c.MINTER_ROLE(), mechanism, sender=admin)
        c.grantRole(c.PAUSER_ROLE(), guardian, sender=admin)

    # Mostly the role holder, so that mints get far enough to meet the cap and time rules.
    minters = st.sampled_from([mechanism, mechanism, mechanism, admin, guardian, stranger])
    callers = st.sampled_from([admin, guardian, mechanism, stranger])
    targets = st.sampled_from(["parent", "child"])
    supply = token.totalSupply()

    for _ in range(data.draw(st.integers(8, 25), label="steps")):
        t = now()
        action = data.draw(st.sampled_from(["warp"] * 3 + ["mint"] * 8 + ["pause", "unpause", "close"]), label="action")
        if action == "warp":
            # Either anywhere, or to one of the window edges (or one second either side).
            edges = [m.start for m in models.values()] + [m.end for m in models.values()]
            target = data.draw(
                st.one_of(
                    st.integers(0, 300).map(lambda d, t=t: t + d),
                    st.tuples(st.sampled_from(edges), st.integers(-1, 1)).map(sum),
                ),
                label="warp to",
            )
            if target > t:
                boa.env.time_travel(seconds=target - t)
        elif action == "mint":
            name = data.draw(targets, label="minter")
            caller = data.draw(minters, label="caller")
            m = models[name]
            # The most this mint may be (the tightest of this minter and, for the child, the parent).
            room = m.unlocked(t) - m.minted if m.linear else m.cap - m.minted
            if name == "child":
                p = models["parent"]
                room = min(room, (p.unlocked(t) if p.linear else p.cap) - p.minted)
            room = max(room, 0)
            amount = data.draw(
                st.one_of(
                    st.sampled_from([0, 1, room, room + 1, m.cap - m.minted, m.cap - m.minted + 1]),
                    st.integers(0, m.cap),
                ),
                label="amount",
            )
            reason = m.mint_error(caller, amount, t)
            if reason is None and name == "child":
                # The child's mint passes through the parent, with the child as the caller.
                reason = models["parent"].mint_error(child.address, amount, t)
            event(f"mint {name}: {label(reason)}")
            expect(reason, contracts[name].mint, recipient, amount, sender=caller)
            if reason is None:
                m.minted += amount
                if name == "child":
                    models["parent"].minted += amount
                supply += amount
        elif action in ("pause", "unpause"):
            name, caller = data.draw(targets, label="minter"), data.draw(callers, label="caller")
            reason = models[name].pause_error(caller, action == "pause")
            event(f"{action}: {label(reason)}")
            expect(reason, getattr(contracts[name], action), sender=caller)
            if reason is None:
                models[name].paused = action == "pause"
        else:
            name, caller = data.draw(targets, label="minter"), data.draw(callers, label="caller")
            reason = models[name].close_error(caller)
            event(f"close: {label(reason)}")
            expect(reason, contracts[name].close, sender=caller)
            if reason is None:
                models[name].closed = True

        t = now()
        for name in ("parent", "child"):
            check_minter(contracts[name], models[name], t)
        # Nesting: the parent counts every child mint; the token saw exactly what the parent minted.
        assert parent.minted() >= child.minted()
        assert token.totalSupply() == supply
        assert token.balanceOf(recipient) == parent.minted()


# --- focused properties --------------------------------------------------------------------


@SETTINGS
@given(cap=caps, amounts=st.lists(st.integers(0, 2 * 10**24), min_size=1, max_size=12))
def test_cap_is_never_exceeded(cap, amounts, token, deploy_minter, grant_token_minter, admin, mechanism, recipient):
    """Non-linear, window open: a mint succeeds iff it keeps minted within CAP."""
    minter = deploy_minter(token.address, cap, now(), now() + 1_000, linear=False)
    grant_token_minter(minter.address)
    minter.grantRole(MINTER_ROLE, mechanism, sender=admin)
    minted = 0
    for amount in amounts:
        if minted + amount <= cap:
            minter.mint(recipient, amount, sender=mechanism)
            minted += amount
        else:
            expect_revert(cap_exceeded(mechanism, amount), minter.mint, recipient, amount, sender=mechanism)
        assert minter.minted() == minted <= cap
    minter.mint(recipient, cap - minted, sender=mechanism)
    assert minter.remaining() == 0
    expect_revert(cap_exceeded(mechanism, 1), minter.mint, recipient, 1, sender=mechanism)


@SETTINGS
@given(offset=st.integers(1, 10_000), duration=durations, linear=st.booleans(), cap=caps)
def test_window_is_inclusive_at_both_ends(
    offset, duration, linear, cap, token, deploy_minter, grant_token_minter, admin, mechanism, recipient
):
    start = now() + offset
    end = start + duration
    minter = deploy_minter(token.address, cap, start, end, linear=linear)
    grant_token_minter(minter.address)
    minter.grantRole(MINTER_ROLE, mechanism, sender=admin)
    boa.env.time_travel(seconds=start - 1 - now())
    expect_revert(NOT_STARTED, minter.mint, recipient, 0, sender=mechanism)
    boa.env.time_travel(seconds=1)
    minter.mint(recipient, 0, sender=mechanism)  # START_TIME itself is inside the window
    boa.env.time_travel(seconds=end - now())
    minter.mint(recipient, cap, sender=mechanism)  # EXPIRATION_TIME too, and all is unlocked
    boa.env.time_travel(seconds=1)
    expect_revert(EXPIRED, minter.mint, recipient, 0, sender=mechanism)
    assert minter.mintable_now() == 0


@SETTINGS
@given(
    linear=st.booleans(),
    close_at=st.integers(0, 3_000),
    after=st.lists(
        st.one_of(
            st.tuples(st.just("warp"), st.integers(0, 3_000)),
            st.tuples(st.sampled_from(["pause", "unpause", "close"]), st.just(0)),
            st.tuples(st.just("grant"), st.just(0)),
        ),
        max_size=8,
    ),
)
def test_close_blocks_forever(
    linear, close_at, after, token, deploy_minter, grant_token_minter, admin, mechanism, stranger, recipient
):
    """Once closed, nothing (time, pause toggles, new minters, a second close) reopens it.
    As on ZKsync, the toggles and a second close are accepted after close; they change nothing."""
    minter = deploy_minter(token.address, 10**6, now(), now() + 2_000, linear=linear)
    grant_token_minter(minter.address)
    minter.grantRole(MINTER_ROLE, mechanism, sender=admin)
    boa.env.time_travel(seconds=close_at)
    minter.close(sender=admin)
    model = MinterModel(10**6, 0, 0, linear, {mechanism}, {admin}, {admin}, closed=True)
    for action, seconds in after:
        if action == "warp":
            boa.env.time_travel(seconds=seconds)
        elif action == "grant":
            minter.grantRole(MINTER_ROLE, stranger, sender=admin)
        elif action == "close":
            minter.close(sender=admin)
        else:
            reason = model.pause_error(admin, action == "pause")
            expect(reason, getattr(minter, action), sender=admin)
            if reason is None:
                model.paused = action == "pause"
        for caller in (mechanism, stranger):
            expect_revert(CONTRACT_CLOSED, minter.mint, recipient, 0, sender=caller)
        assert minter.closed() and minter.mintable_now() == 0
    assert minter.minted() == 0


@SETTINGS
@given(
    cap=caps,
    duration=st.integers(1, 5_000),
    steps=st.lists(st.integers(0, 1_500), min_size=1, max_size=10),
)
def test_linear_unlock_is_exact(cap, duration, steps, token, deploy_minter, grant_token_minter, admin, mechanism, recipient):
    """Minting greedily: all that is unlocked can be minted, one wei more cannot, and minted
    never exceeds CAP * (now - start) // (end - start)."""
    start = now()
    minter = deploy_minter(token.address, cap, start, start + duration, linear=True)
    grant_token_minter(minter.address)
    minter.grantRole(MINTER_ROLE, mechanism, sender=admin)
    for step in steps:
        boa.env.time_travel(seconds=step)
        t = now()
        unlocked = cap if t >= start + duration else cap * (t - start) // duration
        if t > start + duration:
            break
        room = unlocked - minter.minted()
        assert minter.mintable_now() == room
        if room > 0:
            minter.mint(recipient, room, sender=mechanism)
        if minter.minted() < cap:
            with boa.reverts(ABOVE_UNLOCK):
                minter.mint(recipient, 1, sender=mechanism)
        assert minter.minted() == unlocked


@SETTINGS
@given(
    toggles=st.lists(st.sampled_from(["pause", "unpause"]), min_size=1, max_size=10),
)
def test_pause_toggles(toggles, token, deploy_minter, grant_token_minter, admin, mechanism, recipient):
    minter = deploy_minter(token.address, 10**6, now(), now() + 1_000, linear=False)
    grant_token_minter(minter.address)
    minter.grantRole(MINTER_ROLE, mechanism, sender=admin)
    paused = False
    for toggle in toggles:
        if (toggle == "pause") == paused:
            expect_revert(ZK_PAUSED if paused else ZK_NOT_PAUSED, getattr(minter, toggle), sender=admin)
        else:
            getattr(minter, toggle)(sender=admin)
            paused = not paused
        if paused:
            expect_revert(ZK_PAUSED, minter.mint, recipient, 1, sender=mechanism)
        else:
            minter.mint(recipient, 1, sender=mechanism)
        assert minter.paused() == paused


@SETTINGS
@given(
    parent_cap=st.integers(1, 10**6),
    child_cap=st.integers(1, 10**6),
    amounts=st.lists(st.tuples(st.booleans(), st.integers(1, 400_000)), min_size=1, max_size=10),
)
def test_child_is_held_to_its_parents_cap(
    parent_cap, child_cap, amounts, token, deploy_minter, grant_token_minter, admin, mechanism, recipient
):
    """Mints through the child count in the parent; whichever cap is tighter stops the child."""
    parent = deploy_minter(token.address, parent_cap, now(), now() + 1_000, linear=False)
    child = deploy_minter(parent.address, child_cap, now(), now() + 1_000, linear=False)
    grant_token_minter(parent.address)
    parent.grantRole(MINTER_ROLE, child.address, sender=admin)
    parent.grantRole(MINTER_ROLE, mechanism, sender=admin)
    child.grantRole(MINTER_ROLE, mechanism, sender=admin)
    p_minted = c_minted = 0
    for via_child, amount in amounts:
        if via_child:
            ok = c_minted + amount <= child_cap and p_minted + amount <= parent_cap
            if ok:
                child.mint(recipient, amount, sender=mechanism)
                c_minted += amount
                p_minted += amount
            else:
                # The child's own cap is checked first; past it, the parent's, naming the child.
                caller = mechanism if c_minted + amount > child_cap else child.address
                expect_revert(cap_exceeded(caller, amount), child.mint, recipient, amount, sender=mechanism)
        elif p_minted + amount <= parent_cap:
            parent.mint(recipient, amount, sender=mechanism)
            p_minted += amount
        else:
            expect_revert(cap_exceeded(mechanism, amount), parent.mint, recipient, amount, sender=mechanism)
        assert (parent.minted(), child.minted()) == (p_minted, c_minted)
        assert p_minted <= parent_cap and c_minted <= child_cap
        assert token.balanceOf(recipient) == p_minted
