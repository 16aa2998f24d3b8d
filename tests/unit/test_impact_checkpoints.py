"""ImpactCheckpoints: a scorer posts Merkle roots of cumulative amounts at checkpoints; a root
never distributes more than the emission up to its checkpoint; a bonded challenge freezes it
until the executor keeps or lowers it; claims pay the difference to what was claimed; the
emission of an epoch is minted into the contract before its minter closes, so later roots and
claims still work; what no root assigns can be swept once the programme has ended."""

from __future__ import annotations

import boa
import pytest

from tests.fixtures.budget import DAY, WAD
from tests.fixtures.helpers import events, streamed, warp_to
from tests.fixtures.programmes import EPOCH_CAP
from tpp.model.kinds.checkpoints import encode_params
from tpp.model.merkle import MerkleTree

PERIOD = 30 * DAY
WINDOW = 3 * DAY
BOND = 10**17


def checkpoint_spec(make_spec, scorer, period=PERIOD, window=WINDOW, bond=BOND, gate="0x" + "00" * 20, **overrides):
    return make_spec("checkpoints", scorer, params=encode_params(period, window, bond, gate), dials=(), **overrides)


@pytest.fixture(scope="module")
def scorer(chain):
    return chain.actor("scorer")


@pytest.fixture(scope="module")
def people(chain):
    return [chain.actor(f"participant-{i}") for i in range(5)]


@pytest.fixture
def cp(create, make_spec, scorer, first_epoch, tpp_executor):
    ((programme, mech),) = create(checkpoint_spec(make_spec, scorer))
    start, end = first_epoch
    warp_to(start)
    programme.advance(sender=tpp_executor)
    return programme, mech, start, end


def tree(mech, people, amounts):
    return MerkleTree.build(mech.address, {p: a for p, a in zip(people, amounts) if a})


def post(mech, scorer, t, rules=b"r" * 32, data=b"d" * 32):
    mech.post_root(t.root, t.total, rules, data, sender=scorer)


def claim_all(mech, t):
    return [mech.claim(a, t.amount(a), t.proof(a)) for a in t.accounts]


def test_a_root_pays_after_its_window_and_pays_each_difference_once(cp, scorer, people, token):
    programme, mech, start, end = cp
    with boa.reverts("checkpoints: no new checkpoint has passed"):
        mech.post_root(b"\1" * 32, 0, b"", b"", sender=scorer)
    warp_to(start + PERIOD + 5)
    emitted = streamed(EPOCH_CAP, start, end, PERIOD)
    first = tree(mech, people, [emitted // 2, emitted // 4, emitted // 8])
    post(mech, scorer, first)
    (posted,) = events(mech, "RootPosted")
    assert (posted.number, posted.total, posted.checkpoint) == (1, first.total, start + PERIOD)
    assert mech.checkpoint_emission() == emitted
    assert mech.total_minted() >= first.total  # minted into the contract already
    a = first.accounts[0]
    with boa.reverts("checkpoints: invalid proof"):  # not final during the dispute window
        mech.claim(a, first.amount(a), first.proof(a))
    warp_to(start + PERIOD + 5 + WINDOW)
    assert claim_all(mech, first) == list(first.amounts)
    for account in first.accounts:
        assert token.balanceOf(account) == first.amount(account)
    with boa.reverts("checkpoints: nothing to claim"):
        mech.claim(a, first.amount(a), first.proof(a))
    # The second checkpoint: cumulative amounts, so each claim pays only the increase.
    warp_to(start + 2 * PERIOD)
    more = [first.amount(p) if p in first.accounts else 0 for p in people]
    more[0] += WAD
    more[3] = 3 * WAD
    second = tree(mech, people, more)
    post(mech, scorer, second)
    warp_to(start + 2 * PERIOD + WINDOW)
    paid = {acc: mech.claim(acc, second.amount(acc), second.proof(acc)) for acc in (people[0], people[3])}
    assert paid == {people[0]: WAD, people[3]: 3 * WAD}
    assert mech.total_claimed() == first.total + 4 * WAD == mech.total_paid()


def test_a_root_never_exceeds_the_emission_up_to_its_checkpoint(cp, scorer, people):
    programme, mech, start, end = cp
    warp_to(start + PERIOD + 10 * DAY)  # posted late: the emission after the checkpoint does not count
    emitted = streamed(EPOCH_CAP, start, end, PERIOD)
    with boa.reverts("checkpoints: total above the emission up to the checkpoint"):
        post(mech, scorer, tree(mech, people, [emitted, 1]))
    post(mech, scorer, tree(mech, people, [emitted]))
    assert mech.checkpoint_at() == start + PERIOD


def test_the_snapshot_is_exact_when_the_clock_ticked_after_the_checkpoint(cp, scorer, people, guardian):
    """A guardian halt ticks the clock after the checkpoint has passed: the snapshot taken then
    counts the emission up to the checkpoint only, not up to the halt."""
    programme, mech, start, end = cp
    assert mech.checkpoint_at() == 0 and mech.latest_checkpoint() == 0
    warp_to(start + PERIOD + DAY)
    assert mech.latest_checkpoint() == start + PERIOD
    programme.halt(sender=guardian)
    programme.unhalt(sender=guardian)
    emitted = streamed(EPOCH_CAP, start, end, PERIOD)
    assert (mech.checkpoint_at(), mech.checkpoint_emission()) == (start + PERIOD, emitted)
    assert mech.accrued() == streamed(EPOCH_CAP, start, end, PERIOD + DAY)
    with boa.reverts("checkpoints: total above the emission up to the checkpoint"):
        post(mech, scorer, tree(mech, people, [emitted + 1]))
    post(mech, scorer, tree(mech, people, [emitted]))


def test_claims_cannot_take_more_than_the_roots_total(cp, scorer, people):
    """A tree whose leaves add up to more than the total it was posted with pays at most the total."""
    programme, mech, start, end = cp
    warp_to(start + PERIOD)
    honest = tree(mech, people, [10 * WAD, 10 * WAD])
    mech.post_root(honest.root, 15 * WAD, b"", b"", sender=scorer)  # understates its total
    warp_to(start + PERIOD + WINDOW)
    a, b = honest.accounts
    mech.claim(a, honest.amount(a), honest.proof(a))
    with boa.reverts("checkpoints: claims above the root's total"):
        mech.claim(b, honest.amount(b), honest.proof(b))


def test_a_challenge_freezes_and_the_executor_can_only_keep_or_lower(cp, scorer, people, tpp_executor, chain):
    programme, mech, start, end = cp
    challenger = chain.actor("challenger")
    boa.env.set_balance(challenger, 10 * BOND)
    warp_to(start + PERIOD)
    inflated = tree(mech, people, [20 * WAD, 5 * WAD])
    post(mech, scorer, inflated)
    with boa.reverts("checkpoints: wrong bond"):
        mech.challenge(sender=challenger, value=BOND - 1)
    mech.challenge(sender=challenger, value=BOND)
    with boa.reverts("checkpoints: already challenged"):
        mech.challenge(sender=challenger, value=BOND)
    warp_to(start + PERIOD + 2 * WINDOW)
    assert not mech.finalise()  # frozen: the window passing does not make it final
    with boa.reverts("checkpoints: invalid proof"):
        a = inflated.accounts[0]
        mech.claim(a, inflated.amount(a), inflated.proof(a))
    with boa.reverts("checkpoints: caller is not the executor"):
        mech.resolve(inflated.root, inflated.total, sender=scorer)
    with boa.reverts("checkpoints: a resolution cannot raise the total"):
        mech.resolve(inflated.root, inflated.total + 1, sender=tpp_executor)
    with boa.reverts("checkpoints: a root is pending"):
        post(mech, scorer, inflated)
    fixed = tree(mech, people, [2 * WAD, 5 * WAD])
    mech.resolve(fixed.root, fixed.total, sender=tpp_executor)
    (resolved,) = events(mech, "Resolved")
    assert resolved.upheld and mech.root() == fixed.root and mech.root_total() == fixed.total
    assert mech.bonds(challenger) == BOND and mech.bonds(tpp_executor) == 0
    before = boa.env.get_balance(challenger)
    assert mech.withdraw_bond(sender=challenger) == BOND
    assert boa.env.get_balance(challenger) == before + BOND
    assert claim_all(mech, fixed) == list(fixed.amounts)
    # The 18 WAD the inflated root would have given are not lost: the next root may assign them.
    assert mech.unassigned() >= 18 * WAD


def test_a_rejected_challenge_forfeits_the_bond_to_the_executor(cp, scorer, people, tpp_executor, chain):
    programme, mech, start, end = cp
    griefer = chain.actor("griefer")
    boa.env.set_balance(griefer, BOND)
    warp_to(start + PERIOD)
    honest = tree(mech, people, [WAD, WAD])
    post(mech, scorer, honest)
    mech.challenge(sender=griefer, value=BOND)
    mech.resolve(honest.root, honest.total, sender=tpp_executor)
    (resolved,) = events(mech, "Resolved")
    assert not resolved.upheld
    assert mech.bonds(griefer) == 0 and mech.bonds(tpp_executor) == BOND
    with boa.reverts("checkpoints: no bond owed"):
        mech.withdraw_bond(sender=griefer)
    assert claim_all(mech, honest) == [WAD, WAD]


def test_no_challenge_after_the_window(cp, scorer, people, chain):
    programme, mech, start, end = cp
    late = chain.actor("late")
    boa.env.set_balance(late, BOND)
    warp_to(start + PERIOD)
    post(mech, scorer, tree(mech, people, [WAD]))
    warp_to(start + PERIOD + WINDOW)
    with boa.reverts("checkpoints: dispute window over"):
        mech.challenge(sender=late, value=BOND)


def test_the_epoch_end_checkpoint_survives_the_epoch_switch(cp, scorer, people, tpp_executor, token, budget):
    """The last checkpoint of an epoch is its end; the keeper opens the next epoch (closing the
    old minter) before the scorer can post it. The old epoch's emission was minted into the
    contract at the switch, so the root for it still pays, and nothing of it is counted twice."""
    programme, mech, start, end = cp
    warp_to(end)
    programme.advance(sender=tpp_executor)  # CONTINUE by default: the next epoch opens
    assert programme.epoch() == 2
    whole = streamed(EPOCH_CAP, start, end, end - start)
    assert mech.minted_before() == whole == mech.checkpoint_emission()
    assert mech.checkpoint_at() == end
    t = tree(mech, people, [whole - 7, 7])
    post(mech, scorer, t)
    warp_to(end + WINDOW)
    assert claim_all(mech, t) == list(t.amounts)
    assert token.balanceOf(mech.address) == 0
    # The next epoch's first checkpoint allows only its own emission on top.
    next_end = end + (end - start)
    warp_to(end + PERIOD)
    more = streamed(EPOCH_CAP, end, next_end, PERIOD)
    with boa.reverts("checkpoints: total above the emission up to the checkpoint"):
        post(mech, scorer, tree(mech, people, [whole - 7 + more + 1, 7]))
    post(mech, scorer, tree(mech, people, [whole - 7 + more, 7]))


def test_after_the_end_roots_still_settle_and_the_rest_can_be_swept(cp, scorer, people, tpp_executor, token, chain):
    programme, mech, start, end = cp
    treasury = chain.actor("treasury")
    warp_to(start + 10 * DAY)
    programme.kill(sender=tpp_executor)
    assert mech.ended()
    emitted = mech.total_minted()
    assert emitted == streamed(EPOCH_CAP, start, end, 10 * DAY) and mech.checkpoint_emission() == emitted
    with boa.reverts("checkpoints: caller is not the executor"):
        mech.sweep(treasury, sender=scorer)
    t = tree(mech, people, [emitted // 3])
    post(mech, scorer, t)
    with boa.reverts("checkpoints: a root is pending"):
        mech.sweep(treasury, sender=tpp_executor)
    warp_to(start + 10 * DAY + WINDOW)
    left = emitted - t.total
    assert mech.sweep(treasury, sender=tpp_executor) == left
    assert token.balanceOf(treasury) == left
    with boa.reverts("checkpoints: nothing to sweep"):
        mech.sweep(treasury, sender=tpp_executor)
    assert claim_all(mech, t) == list(t.amounts)
    assert token.balanceOf(mech.address) == 0
    with boa.reverts("checkpoints: no new checkpoint has passed"):
        post(mech, scorer, t)


def test_only_the_scorer_posts(cp, people):
    programme, mech, start, end = cp
    warp_to(start + PERIOD)
    with boa.reverts("checkpoints: caller is not the scorer"):
        post(mech, people[0], tree(mech, people, [WAD]))


@pytest.mark.parametrize(
    ("period", "window", "bond", "reason"),
    [
        (3599, 3600, BOND, "checkpoints: period out of range"),
        (PERIOD, 3599, BOND, "checkpoints: dispute window under an hour"),
        (PERIOD, PERIOD, BOND, "checkpoints: dispute window not shorter than the period"),
        (PERIOD, WINDOW, 0, "checkpoints: zero bond"),
    ],
)
def test_initialize_refuses_bad_parameters(factory, make_spec, scorer, tpp_executor, period, window, bond, reason):
    spec = checkpoint_spec(make_spec, scorer, period=period, window=window, bond=bond)
    with boa.reverts(reason):
        factory.create_programmes([spec.as_tuple()], sender=tpp_executor)
