"""KpiStream: candidates are paid for the intervals they hold the KPI at both readings (at
most `max_gap` apart), shared equally; an interval nobody holds pays nothing and is never
minted; a deposit made only around one reading earns nothing once a competitor reads in
between; readers that fail read as "not held"; the programme's calls take a reading first."""

from __future__ import annotations

import boa
import pytest

from tests.fixtures.budget import WAD
from tests.fixtures.helpers import events, streamed, warp_to
from tests.fixtures.programmes import EPOCH_CAP
from tests.unit.test_oracle_feed import FEED_SOURCE
from tpp.model.kinds.kpi_stream import KpiCandidate, encode_params

HOUR = 3600
THRESHOLD = 1_000 * WAD
VIEW_SOURCE = """
# pragma version ~=0.4.3
value: public(uint256)

@external
def set_value(v: uint256):
    self.value = v
"""


@pytest.fixture(scope="module")
def protocols(chain):
    return [chain.actor(f"protocol-{c}") for c in "abc"]


@pytest.fixture(scope="module")
def payees(chain):
    return [chain.actor(f"payee-{c}") for c in "abcd"]


@pytest.fixture(scope="module")
def view_reader():
    return boa.loads(VIEW_SOURCE, name="KpiView")


@pytest.fixture(scope="module")
def feed():
    return boa.loads(FEED_SOURCE, 8, name="KpiFeed")


def kpi_spec(make_spec, asset, candidates, max_gap=6 * HOUR, **overrides):
    return make_spec("kpi_stream", asset, params=encode_params(max_gap, candidates), dials=(), **overrides)


@pytest.fixture
def kpi(create, make_spec, lp_token, protocols, payees, first_epoch, tpp_executor):
    """Three balance candidates (protocols a, b, c hold the LP token) started at the epoch start."""
    candidates = [KpiCandidate(payees[i], "balance", subject=protocols[i], threshold=THRESHOLD) for i in range(3)]
    ((programme, stream),) = create(kpi_spec(make_spec, lp_token.address, candidates))
    start, end = first_epoch
    warp_to(start)
    programme.advance(sender=tpp_executor)
    return programme, stream, start, end


def fund(lp_token, deployer, holder, amount):
    have = lp_token.balanceOf(holder)
    if amount > have:
        lp_token.mint(holder, amount - have, sender=deployer)
    elif amount < have:
        lp_token.transfer(deployer, have - amount, sender=holder)


def test_holders_at_both_readings_share_the_interval_equally(kpi, lp_token, deployer, protocols, payees, token):
    programme, stream, start, end = kpi
    fund(lp_token, deployer, protocols[0], THRESHOLD)
    fund(lp_token, deployer, protocols[1], 5 * THRESHOLD)  # a larger margin buys no larger share
    stream.poke()  # the first reading: nothing to judge yet
    warp_to(start + 4 * HOUR)
    credited = stream.poke()
    (reading,) = events(stream, "Reading")
    interval = streamed(EPOCH_CAP, start, end, 4 * HOUR)
    assert credited == interval - interval % 2
    assert (reading.held_mask, reading.paid_mask, reading.dropped) == (0b011, 0b011, interval % 2)
    assert stream.owed(0) == stream.owed(1) == interval // 2 and stream.owed(2) == 0
    assert stream.claim(0) == interval // 2
    assert token.balanceOf(payees[0]) == interval // 2 and stream.paid(0) == interval // 2
    assert stream.total_minted() == interval // 2


def test_an_interval_longer_than_the_gap_pays_nothing_and_is_never_minted(kpi, lp_token, deployer, protocols):
    programme, stream, start, end = kpi
    fund(lp_token, deployer, protocols[0], THRESHOLD)
    stream.poke()
    warp_to(start + 6 * HOUR + 1)
    assert stream.poke() == 0
    (reading,) = events(stream, "Reading")
    assert reading.paid_mask == 0 and reading.dropped == streamed(EPOCH_CAP, start, end, 6 * HOUR + 1)
    assert stream.accrued() == 0  # dropped: no minter will ever mint it
    warp_to(start + 7 * HOUR)
    assert stream.poke() == streamed(EPOCH_CAP, start, end, HOUR - 1)  # held again at two readings in time


def test_a_deposit_around_one_reading_earns_nothing_once_a_competitor_reads(kpi, lp_token, deployer, protocols):
    """The one-time deposit: in before a reading, out after. A competitor who reads while it is
    out breaks both intervals around it; holding throughout is what pays."""
    programme, stream, start, end = kpi
    gamer, honest = protocols[0], protocols[1]
    fund(lp_token, deployer, honest, THRESHOLD)
    for hour in range(1, 13):
        fund(lp_token, deployer, gamer, THRESHOLD)  # in just before the scheduled reading
        warp_to(start + hour * HOUR)
        stream.poke()
        fund(lp_token, deployer, gamer, 0)  # out right after
        warp_to(start + hour * HOUR + 60)
        stream.poke()  # the competitor reads while the gamer is out
    assert stream.owed(0) == 0
    assert stream.owed(1) > 0


def test_failing_readers_read_as_not_held(
    create, make_spec, lp_token, payees, first_epoch, tpp_executor, chain, view_reader, feed
):
    candidates = [
        KpiCandidate(payees[0], "view", reader=view_reader.address, selector=bytes.fromhex("3fa4f245"), threshold=10),  # value()
        KpiCandidate(payees[1], "view", reader=chain.actor("an-eoa"), selector=bytes.fromhex("3fa4f245"), threshold=0),
        KpiCandidate(payees[2], "feed", reader=feed.address, threshold=5 * 10**18),
        KpiCandidate(payees[3], "balance", subject=chain.actor("nobody"), threshold=0),  # a zero threshold always holds
    ]
    ((programme, stream),) = create(kpi_spec(make_spec, lp_token.address, candidates))
    start, _ = first_epoch
    warp_to(start)
    programme.advance(sender=tpp_executor)
    assert stream.held_now() == 0b1000
    view_reader.set_value(10)
    now = boa.env.evm.patch.timestamp
    feed.set_round(1, 6 * 10**8, now, now, 1)  # 6.0 at 8 decimals, fresh
    assert stream.held_now() == 0b1101
    feed.set_round(2, 4 * 10**8, now, now, 2)
    assert stream.held_now() == 0b1001
    feed.set_modes(1, 0)  # the feed reverts now
    assert stream.held_now() == 0b1001


def test_the_programmes_calls_read_first_and_settlement_pays_each_recipient(
    kpi, lp_token, deployer, protocols, payees, token, tpp_executor
):
    programme, stream, start, end = kpi
    fund(lp_token, deployer, protocols[2], THRESHOLD)
    stream.poke()
    warp_to(start + 2 * HOUR)
    programme.kill(sender=tpp_executor)  # halts and settles: a reading judges the last interval
    owed = streamed(EPOCH_CAP, start, end, 2 * HOUR)
    assert token.balanceOf(payees[2]) == owed and stream.owed(2) == 0 and stream.paid(2) == owed
    warp_to(start + 4 * HOUR)
    assert stream.poke() == 0  # halted: nothing accrues


@pytest.mark.parametrize(
    "max_gap, candidates, reason",
    [
        (0, [KpiCandidate("0x" + "11" * 20, subject="0x" + "22" * 20)], "kpi: max gap out of range"),
        (HOUR, [], "kpi: no candidates"),
        (HOUR, [KpiCandidate("0x" + "00" * 20, subject="0x" + "22" * 20)], "kpi: zero recipient"),
        (HOUR, [KpiCandidate("0x" + "11" * 20)], "kpi: zero subject"),
        (HOUR, [KpiCandidate("0x" + "11" * 20, "feed")], "kpi: zero reader"),
        (
            HOUR,
            [KpiCandidate("0x" + "11" * 20, "feed", reader="0x" + "33" * 20, threshold=2**255)],
            "kpi: feed threshold above int256",
        ),
    ],
)
def test_bad_parameters_revert_the_creation_with_the_rule(create, make_spec, lp_token, max_gap, candidates, reason):
    with boa.reverts(reason):
        create(kpi_spec(make_spec, lp_token.address, candidates, max_gap=max_gap))


def test_a_zero_asset_and_parameters_for_other_kinds_are_refused(create, make_spec, lp_token, safe):
    with boa.reverts("kpi: zero asset"):
        create(kpi_spec(make_spec, "0x" + "00" * 20, [KpiCandidate(safe, subject=safe)]))
    with boa.reverts("stream: takes no parameters"):
        create(make_spec("stream", safe, params=b"\1"))
    with boa.reverts("staking: parameters are one gate address"):
        create(make_spec("staking", lp_token.address, params=b"\1", dials=()))


def test_only_the_programme_drives_the_stream(kpi, stranger):
    _, stream, start, end = kpi
    for call in (
        lambda: stream.start_epoch(stranger, start, end, 1, sender=stranger),
        lambda: stream.set_halted(True, sender=stranger),
        lambda: stream.set_dial(b"\0" * 32, 1, sender=stranger),
        lambda: stream.settle(sender=stranger),
    ):
        with boa.reverts("mechanism: caller is not the programme"):
            call()
    with boa.reverts("kpi: no such candidate"):
        stream.claim(3, sender=stranger)
