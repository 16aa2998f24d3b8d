"""ResearchBounty: submissions during an epoch, judges' points, duplicates sharing a decaying
weight, the epoch's emission split by weight at its end (and never minted when nobody earns
it), deposits back to authors who earned points, claims; judges by address and by hat."""

from __future__ import annotations

import boa
import pytest

from tests.fixtures.budget import DAY
from tests.fixtures.helpers import events, streamed, warp_to
from tests.fixtures.programmes import EPOCH_CAP
from tpp.model.kinds.bounty import encode_params

SCORING = 14 * DAY
DECAY = 9_000
DEPOSIT = 10**16
ZERO = "0x" + "00" * 20


def bounty_spec(make_spec, judge, scoring=SCORING, decay=DECAY, deposit=DEPOSIT, hat=0, judges=(), gate=ZERO, **overrides):
    params = encode_params(scoring, decay, deposit, hat, judges, gate=gate)
    return make_spec("bounty", judge, params=params, dials=(), **overrides)


@pytest.fixture(scope="module")
def judge(chain):
    return chain.actor("judge")


@pytest.fixture(scope="module")
def researchers(chain):
    out = [chain.actor(f"researcher-{i}") for i in range(5)]
    for r in out:
        boa.env.set_balance(r, 10 * DEPOSIT)
    return out


@pytest.fixture
def bounty(create, make_spec, judge, first_epoch, tpp_executor):
    ((programme, mech),) = create(bounty_spec(make_spec, judge))
    start, end = first_epoch
    warp_to(start)
    programme.advance(sender=tpp_executor)
    return programme, mech, start, end


def submit(mech, who, tag):
    return mech.submit(bytes([tag]) * 32, sender=who, value=DEPOSIT)


def test_the_epoch_emission_is_split_by_points_at_its_end(bounty, judge, researchers, token, tpp_executor):
    programme, mech, start, end = bounty
    warp_to(start + DAY)
    a, b = researchers[:2]
    ia, ib = submit(mech, a, 1), submit(mech, b, 2)
    (sub,) = events(mech, "Submitted")
    assert (sub.index, sub.author, sub.epoch) == (ib, b, 1)
    mech.score(ia, 60, sender=judge)
    mech.score(ib, 30, sender=judge)
    mech.score(ib, 20, sender=judge)  # a judge replaces its own points
    assert mech.submission(ib).points == 20
    warp_to(end)
    programme.advance(sender=tpp_executor)  # the next epoch opens: the old one is settled
    whole = streamed(EPOCH_CAP, start, end, end - start)
    assert mech.owed(a) == whole * 60 // 80 and mech.owed(b) == whole * 20 // 80
    assert mech.total_minted() == mech.owed(a) + mech.owed(b) == token.balanceOf(mech.address)
    assert mech.claim(a) == whole * 60 // 80 and token.balanceOf(a) == whole * 60 // 80
    with boa.reverts("bounty: nothing to claim"):
        mech.claim(a)
    assert mech.deposits(a) == DEPOSIT and mech.withdraw_deposit(sender=a) == DEPOSIT
    assert mech.submission_count() == 0 and mech.epoch_number() == 2


def test_a_finding_filed_twice_earns_less_than_filed_once(bounty, judge, researchers):
    """One finding from three addresses: together 0.9^2 = 81% of the finding's weight, split in
    three; the honest researcher with an equally good finding filed once gets the full weight."""
    programme, mech, start, end = bounty
    warp_to(start + DAY)
    honest, sybils = researchers[0], researchers[1:4]
    ih = submit(mech, honest, 1)
    first, *dupes = [submit(mech, s, 2 + k) for k, s in enumerate(sybils)]  # one finding, three hashes
    for i in (ih, first):
        mech.score(i, 50, sender=judge)
    for d in dupes:
        mech.mark_duplicate(d, first, sender=judge)
    with boa.reverts("bounty: the primary is a duplicate itself"):
        mech.mark_duplicate(ih, dupes[0], sender=judge)
    with boa.reverts("bounty: others duplicate this submission"):
        mech.mark_duplicate(first, ih, sender=judge)
    weights = mech.weights()
    assert weights[ih] == 50 * 10**18
    assert weights[first] == weights[dupes[0]] == 50 * (10**18 * 9 // 10 * 9 // 10) // 3
    assert sum(weights[i] for i in [first, *dupes]) < weights[ih]
    warp_to(end)
    programme.advance()
    sybil_total = sum(mech.owed(s) for s in sybils)
    assert sybil_total < mech.owed(honest)
    assert mech.owed(honest) * 81 // 100 - 3 <= sybil_total <= mech.owed(honest) * 81 // 100 + 3


def test_nothing_earned_is_never_minted_and_deposits_go_to_the_executor(bounty, researchers, tpp_executor):
    programme, mech, start, end = bounty
    warp_to(start + DAY)
    spam = submit(mech, researchers[0], 9)
    warp_to(end)
    programme.advance(sender=tpp_executor)
    (settled,) = events(mech, "EpochSettled", call_via=programme)
    assert settled.emission == streamed(EPOCH_CAP, start, end, end - start) and settled.awarded == 0
    assert mech.total_minted() == 0 and mech.accrued() == 0 and mech.owed(researchers[0]) == 0
    assert mech.deposits(researchers[0]) == 0 and mech.deposits(tpp_executor) == DEPOSIT
    assert spam == 0


def test_submissions_close_before_the_end_and_judging_at_it(bounty, judge, researchers):
    programme, mech, start, end = bounty
    warp_to(start + DAY)
    with boa.reverts("bounty: wrong deposit"):
        mech.submit(b"\1" * 32, sender=researchers[0], value=DEPOSIT - 1)
    with boa.reverts("bounty: empty content hash"):
        mech.submit(b"\0" * 32, sender=researchers[0], value=DEPOSIT)
    i = submit(mech, researchers[0], 1)
    with boa.reverts("bounty: content already submitted"):
        submit(mech, researchers[1], 1)  # a copied hash
    warp_to(end - SCORING)
    with boa.reverts("bounty: submissions closed"):
        submit(mech, researchers[1], 2)
    mech.score(i, 100, sender=judge)  # judging goes on
    with boa.reverts("bounty: more than 100 points"):
        mech.score(i, 101, sender=judge)
    with boa.reverts("bounty: no such submission"):
        mech.score(5, 1, sender=judge)
    warp_to(end)
    with boa.reverts("bounty: judging is over"):
        mech.score(i, 1, sender=judge)


def test_only_judges_score_and_a_hat_makes_a_judge(
    create, make_spec, judge, researchers, first_epoch, tpp_executor, layer, chain
):
    hats = layer.hats
    dao = chain.actor("hats-dao")
    top = hats.mintTopHat(dao, "research DAO", "", sender=dao)
    panel = hats.createHat(top, "judges", 5, ZERO, ZERO, False, "", sender=dao)
    listed, hatted, stranger = chain.actor("listed-judge"), chain.actor("hatted-judge"), chain.actor("not-a-judge")
    hats.mintHat(panel, hatted, sender=dao)
    ((programme, mech),) = create(bounty_spec(make_spec, judge, hat=panel, judges=[listed]))
    start, _ = first_epoch
    warp_to(start + DAY)
    programme.advance(sender=tpp_executor)
    i = submit(mech, researchers[0], 1)
    for who in (judge, listed, hatted):
        assert mech.is_judge(who)
        mech.score(i, 10, sender=who)
    assert mech.submission(i).points == 30
    with boa.reverts("bounty: caller is not a judge"):
        mech.score(i, 10, sender=stranger)
    with boa.reverts("bounty: caller is not a judge"):
        mech.mark_duplicate(i, i, sender=stranger)
    hats.renounceHat(panel, sender=hatted)  # checked at call time
    with boa.reverts("bounty: caller is not a judge"):
        mech.score(i, 0, sender=hatted)


def test_a_kill_awards_what_accrued_until_then(bounty, judge, researchers, tpp_executor):
    programme, mech, start, end = bounty
    warp_to(start + DAY)
    i = submit(mech, researchers[0], 1)
    mech.score(i, 1, sender=judge)
    warp_to(start + 10 * DAY)
    programme.kill(sender=tpp_executor)
    assert mech.owed(researchers[0]) == streamed(EPOCH_CAP, start, end, 10 * DAY) == mech.total_minted()


@pytest.mark.parametrize(
    ("kwargs", "reason"),
    [
        ({"scoring": 3599}, "bounty: scoring period out of range"),
        ({"decay": 10_000}, "bounty: duplicates must earn less than one finding"),
        ({"judges": [ZERO]}, "bounty: zero judge"),
    ],
)
def test_initialize_refuses_bad_parameters(factory, make_spec, judge, tpp_executor, kwargs, reason):
    with boa.reverts(reason):
        factory.create_programmes([bounty_spec(make_spec, judge, **kwargs).as_tuple()], sender=tpp_executor)


def test_the_programme_alone_drives_it(bounty, stranger):
    _, mech, start, end = bounty
    for call in (
        lambda: mech.start_epoch(stranger, start, end, 1, sender=stranger),
        lambda: mech.set_halted(True, sender=stranger),
        lambda: mech.set_dial(b"\0" * 32, 1, sender=stranger),
        lambda: mech.settle(sender=stranger),
    ):
        with boa.reverts("mechanism: caller is not the programme"):
            call()
