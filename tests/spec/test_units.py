"""Human units to on-chain integers: every form each parser takes, and the errors."""

from __future__ import annotations

import datetime as dt

import pytest

from tpp.base import units
from tpp.base.units import UnitError

ZK = 10**18
DAY = 86_400


@pytest.mark.parametrize(
    ("text", "wei"),
    [
        ("10_000_000 ZK", 10_000_000 * ZK),
        ("10,000,000 ZK", 10_000_000 * ZK),
        ("2.5m ZK", 2_500_000 * ZK),
        ("2.5M ZK", 2_500_000 * ZK),
        ("1.5k ZK", 1_500 * ZK),
        ("3b ZK", 3_000_000_000 * ZK),
        ("3bn ZK", 3_000_000_000 * ZK),
        ("2 million ZK", 2_000_000 * ZK),
        ("0.5 ZK", ZK // 2),
        (".25 ZK", ZK // 4),
        ("0.000000000000000001 ZK", 1),
        ("12345 wei", 12_345),
        ("1.5k wei", 1_500),
        ("  7 ZK  ", 7 * ZK),
        ("0 ZK", 0),
    ],
)
def test_amounts(text, wei):
    assert units.parse_amount(text) == wei


def test_amount_other_token_and_decimals():
    assert units.parse_amount("1.5 USDC", "USDC", 6) == 1_500_000
    assert units.parse_amount("10 MATIC", "MATIC", 18) == 10 * ZK


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        (1000, 'plain number, not an amount: write the unit (try "1_000 ZK", or "1_000 wei"'),
        (1.5, "plain number"),
        ("1000", 'has no unit (try "1000 ZK", or "1000 wei"'),
        ("10 ETH", "is in ETH, but the budget mints ZK"),
        ("10 zk", 'the token is written "ZK"'),
        ("1,5 ZK", "is not an amount"),
        ("ten ZK", "is not an amount"),
        ("-5 ZK", "negative"),
        ("0.0000000000000000001 ZK", "finer than 1 wei"),
        ("1.5 wei", "not a whole number of wei"),
        ("1e18 wei", "is not an amount"),
        ("9" * 200 + " ZK", "too many digits"),
        (True, "is not an amount"),
        ([1], "is not an amount"),
    ],
)
def test_amount_errors(value, fragment):
    with pytest.raises(UnitError, match=None) as info:
        units.parse_amount(value)
    assert fragment in str(info.value)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("90d", 90 * DAY),
        ("2w", 14 * DAY),
        ("36h", 36 * 3600),
        ("45m", 45 * 60),
        ("30s", 30),
        ("1d12h", DAY + 12 * 3600),
        ("1.5d", DAY + 12 * 3600),
        ("90 days", 90 * DAY),
        ("1 week", 7 * DAY),
        ("0s", 0),
    ],
)
def test_durations(text, seconds):
    assert units.parse_duration(text) == seconds


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        (90, 'plain number, not a duration: write the unit (try "90s" or "90d")'),
        ("3 months", 'write days (e.g. "90d"'),
        ("1y", "write days"),
        ("5 fortnights", 'unknown time unit "fortnights"'),
        ("d", "is not a duration"),
        ("", "is not a duration"),
        ("0.5s", "not a whole number of seconds"),
        ({"a": 1}, "is not a duration"),
    ],
)
def test_duration_errors(value, fragment):
    with pytest.raises(UnitError) as info:
        units.parse_duration(value)
    assert fragment in str(info.value)


@pytest.mark.parametrize(
    ("value", "stamp"),
    [
        ("2027-01-01", 1_798_761_600),
        ("2027-01-01T00:00:00Z", 1_798_761_600),
        ("2027-01-01T12:00", 1_798_761_600 + 12 * 3600),
        ("2027-01-01 12:00:00", 1_798_761_600 + 12 * 3600),
        ("2027-01-01T12:00:00+02:00", 1_798_761_600 + 10 * 3600),
        (dt.date(2027, 1, 1), 1_798_761_600),  # a TOML date
        (dt.datetime(2027, 1, 1, 1, 0), 1_798_761_600 + 3600),  # a TOML local date-time: UTC
        (dt.datetime(2027, 1, 1, 1, 0, tzinfo=dt.timezone(dt.timedelta(hours=1))), 1_798_761_600),
    ],
)
def test_dates(value, stamp):
    assert units.parse_date(value) == stamp


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("next tuesday", "is not a date"),
        ("2027-13-01", "is not a date"),
        (1_798_761_600, "unix times are not accepted"),
        ("1960-01-01", "before 1970"),
        ("2027-01-01T00:00:00.5", "fractions of a second"),
        (dt.time(12, 0), "is not a date"),
    ],
)
def test_date_errors(value, fragment):
    with pytest.raises(UnitError) as info:
        units.parse_date(value)
    assert fragment in str(info.value)


@pytest.mark.parametrize(
    ("text", "wei_per_second"),
    [
        ("10 ZK/s", 10 * ZK),
        ("10 ZK/second", 10 * ZK),
        ("864k ZK/day", 10 * ZK),
        ("6.048m ZK/week", 10 * ZK),
        ("36k ZK/h", 10 * ZK),
        ("600 ZK/min", 10 * ZK),
        ("25.92m ZK/month", 10 * ZK),  # a month is 30 days
        ("1.5m ZK/month", 1_500_000 * ZK // (30 * DAY)),  # rounded down
        ("315.36m ZK/year", 10 * ZK),
        ("77.76m ZK/90d", 10 * ZK),
        ("10 ZK/days", 10 * ZK // DAY),
        ("100 wei/s", 100),
    ],
)
def test_rates(text, wei_per_second):
    assert units.parse_rate(text) == wei_per_second


def test_rate_exact_keeps_the_fraction():
    assert units.parse_rate_exact("1.5m ZK/month") == (1_500_000 * ZK, 30 * DAY)


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("10 ZK", 'say per what, e.g. "10 ZK/month"'),
        ("10 ZK/m", '"/m" is ambiguous'),
        ("10 ZK/fortnight", "is not a period"),
        ("10 ETH/s", "is in ETH"),
        ("10 ZK/0s", "longer than zero"),
        (10, "plain number, not a rate"),
    ],
)
def test_rate_errors(value, fragment):
    with pytest.raises(UnitError) as info:
        units.parse_rate(value)
    assert fragment in str(info.value)


@pytest.mark.parametrize(
    ("text", "bps"),
    [("25%", 2_500), ("12.5%", 1_250), ("0.01%", 1), ("100%", 10_000), ("2500 bps", 2_500), ("1 bp", 1), ("150%", 15_000)],
)
def test_bps(text, bps):
    assert units.parse_bps(text) == bps


@pytest.mark.parametrize(
    ("value", "fragment"),
    [(25, 'write "25%" or "25 bps"'), ("25", "is not a share"), ("0.005%", "finer than a basis point"), ("-5%", "negative")],
)
def test_bps_errors(value, fragment):
    with pytest.raises(UnitError) as info:
        units.parse_bps(value)
    assert fragment in str(info.value)


def test_formatting_round_trips():
    for wei in (0, 1, 10_000_000 * ZK, 2_500_000 * ZK + 1, 123):
        assert units.parse_amount(units.format_amount(wei)) == wei
    for seconds in (0, 30, 45 * 60, 90 * DAY, DAY + 12 * 3600 + 1):
        assert units.parse_duration(units.format_duration(seconds)) == seconds
    for stamp in (1_798_761_600, 1_798_761_600 + 3661):
        assert units.parse_date(units.format_date(stamp)) == stamp
    assert units.format_bps(1_250) == "12.5%" and units.parse_bps(units.format_bps(1_250)) == 1_250
    assert units.format_rate(10 * ZK) == "10 ZK/s (864k ZK/day)"
