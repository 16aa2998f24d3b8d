"""Human units to on-chain integers, exactly (Decimal and int arithmetic, never float).

| what | written as | becomes |
|---|---|---|
| amount | ``"10_000_000 ZK"``, ``"2.5m ZK"``, ``"1.5k ZK"``, ``"3b ZK"``, ``"12345 wei"`` | wei (int) |
| duration | ``"90d"``, ``"2w"``, ``"36h"``, ``"45m"`` (minutes), ``"30s"``, ``"1d12h"`` | seconds |
| date | ISO 8601: ``"2027-01-01"``, ``"2027-01-01T12:00"``, ``"2027-01-01T12:00:00+02:00"`` | unix seconds (UTC when no zone) |
| rate | ``"1.5m ZK/month"``, ``"10 ZK/s"``, ``"/min"``, ``"/h"``, ``"/day"``, ``"/week"``, ``"/year"``, ``"/90d"`` | wei per second (rounded down) |
| share | ``"25%"``, ``"12.5%"``, ``"2500 bps"`` | basis points |

A month is 30 days and a year 365 days, in rates only; durations never take months (write
``"90d"``), because decision cycles are counted in exact seconds. A plain number is never an
amount: write the token symbol, or ``wei`` for base units. Every parser raises `UnitError`
with a message that shows the value and a suggestion the user can paste back.
"""

from __future__ import annotations

import datetime as _dt
import re
from decimal import Decimal, localcontext

from tpp.base.errors import UserError

__all__ = [
    "MONTH",
    "YEAR",
    "UnitError",
    "format_amount",
    "format_bps",
    "format_date",
    "format_duration",
    "format_fixed",
    "format_rate",
    "group",
    "parse_amount",
    "parse_bps",
    "parse_date",
    "parse_duration",
    "parse_rate",
]

MINUTE = 60
HOUR = 60 * MINUTE
DAY = 24 * HOUR
WEEK = 7 * DAY
MONTH = 30 * DAY  # in rates only: "1.5m ZK/month" means per 30 days
YEAR = 365 * DAY  # in rates only

# Longest run of digits accepted in one number: a uint256 has 78, so anything longer can
# only be a mistake, and refusing it early keeps huge inputs cheap.
MAX_DIGITS = 80

_NUMBER = r"(?P<number>\d(?:[\d_]*\d)?(?:,\d{3})*(?:\.\d+)?|\.\d+)"
_MULTIPLIERS = {
    "": 1,
    "k": 10**3,
    "thousand": 10**3,
    "m": 10**6,
    "mn": 10**6,
    "million": 10**6,
    "b": 10**9,
    "bn": 10**9,
    "billion": 10**9,
}
_AMOUNT = re.compile(
    _NUMBER + r"\s*(?:(?P<mult>k|thousand|mn|m|million|bn|b|billion)(?=\s|$))?\s*(?P<unit>[A-Za-z][A-Za-z0-9.$-]*)?",
    re.IGNORECASE,
)
_DURATION_UNITS = {
    "s": 1, "sec": 1, "secs": 1, "second": 1, "seconds": 1,
    "m": MINUTE, "min": MINUTE, "mins": MINUTE, "minute": MINUTE, "minutes": MINUTE,
    "h": HOUR, "hr": HOUR, "hrs": HOUR, "hour": HOUR, "hours": HOUR,
    "d": DAY, "day": DAY, "days": DAY,
    "w": WEEK, "wk": WEEK, "week": WEEK, "weeks": WEEK,
}  # fmt: skip
_DURATION_PART = re.compile(r"\s*(\d[\d_]*(?:\.\d+)?)\s*([a-z]+)\s*", re.IGNORECASE)
# After the "/" of a rate: a unit word (one of it), or a duration ("/90d").
_PER = {
    "s": 1, "sec": 1, "second": 1,
    "min": MINUTE, "minute": MINUTE,
    "h": HOUR, "hr": HOUR, "hour": HOUR,
    "d": DAY, "day": DAY,
    "w": WEEK, "wk": WEEK, "week": WEEK,
    "mo": MONTH, "month": MONTH,
    "y": YEAR, "yr": YEAR, "year": YEAR,
}  # fmt: skip


class UnitError(UserError, ValueError):
    """A value that is not what its field needs; the message says why and what to write."""


def _show(value: object) -> str:
    """The value as the user wrote it, quoted if it was a string, shortened if long."""
    text = f'"{value}"' if isinstance(value, str) else repr(value)
    if isinstance(value, (_dt.date, _dt.time)):
        text = value.isoformat()
    return text if len(text) <= 60 else text[:57] + '..."'


def group(n: int) -> str:
    """An integer with ``_`` between thousands: 10000000 -> ``10_000_000``."""
    return f"{n:_}"


def _decimal(text: str) -> Decimal:
    digits = text.replace("_", "").replace(",", "")
    if len(digits) > MAX_DIGITS:
        raise UnitError("too many digits")
    return Decimal(digits)


def _integral(value: Decimal) -> int | None:
    """`value` as an int when it is a whole number, else None."""
    with localcontext() as ctx:
        ctx.prec = 200
        if value == value.to_integral_value():
            return int(value)
    return None


# --- amounts --------------------------------------------------------------------------------


def parse_amount(value: object, token: str = "ZK", decimals: int = 18) -> int:
    """An amount of `token` (or of wei) in wei: ``"2.5m ZK"`` -> 2_500_000 * 10**18."""
    hint = f'try "10_000_000 {token}", "2.5m {token}" or "1000 wei"'
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise UnitError(f"{_show(value)} is not an amount ({hint})")
    if isinstance(value, (int, float)):
        shown = group(value) if isinstance(value, int) and abs(value) < 10**MAX_DIGITS else str(value)
        raise UnitError(
            f"{_show(value)} is a plain number, not an amount: write the unit "
            f'(try "{shown} {token}", or "{shown} wei" for base units)'
        )
    text = value.strip()
    match = _AMOUNT.fullmatch(text)
    if not match:
        if text.startswith("-"):
            raise UnitError(f"{_show(value)} is negative; amounts are at least 0 ({hint})")
        raise UnitError(f"{_show(value)} is not an amount ({hint})")
    unit = match["unit"]
    if unit is None:
        raise UnitError(f'{_show(value)} has no unit (try "{text} {token}", or "{text} wei" for base units)')
    try:
        number = _decimal(match["number"])
    except UnitError:
        raise UnitError(f"{_show(value)} has too many digits to be an amount") from None
    multiplier = _MULTIPLIERS[(match["mult"] or "").lower()]
    if unit.lower() == "wei":
        wei = _integral(number * multiplier)
        if wei is None:
            raise UnitError(f"{_show(value)} is not a whole number of wei")
        return wei
    if unit != token:
        if unit.lower() == token.lower():
            raise UnitError(f'{_show(value)}: the token is written "{token}" (try "{text[: -len(unit)]}{token}")')
        raise UnitError(
            f"{_show(value)} is in {unit}, but the budget mints {token} "
            f'(write amounts in {token}, e.g. "{match["number"]}{match["mult"] or ""} {token}", or in wei)'
        )
    wei = _integral(number * multiplier * (Decimal(10) ** decimals))
    if wei is None:
        raise UnitError(f"{_show(value)} is finer than 1 wei ({token} has {decimals} decimals)")
    return wei


def format_amount(wei: int, token: str = "ZK", decimals: int = 18) -> str:
    """Wei as a token amount a user can paste back: ``10_000_000 ZK``, ``2.5 ZK``."""
    whole, frac = divmod(abs(wei), 10**decimals)
    sign = "-" if wei < 0 else ""
    text = group(whole)
    if frac:
        text += "." + str(frac).rjust(decimals, "0").rstrip("0")
    return f"{sign}{text} {token}"


def format_fixed(value: int, decimals: int = 18) -> str:
    """A fixed-point integer as the exact decimal number it stands for, as a spec writes it:
    ``1850500000000000000000`` at 18 decimals is ``1850.5``."""
    whole, frac = divmod(abs(value), 10**decimals)
    sign = "-" if value < 0 else ""
    return sign + str(whole) + ("." + str(frac).rjust(decimals, "0").rstrip("0") if frac else "")


def format_amount_short(wei: int, token: str = "ZK", decimals: int = 18) -> str:
    """Wei as a rounded, short amount for summaries: ``10m ZK``, ``1.29 ZK``."""
    value = Decimal(wei) / (Decimal(10) ** decimals)
    for suffix, size in (("b", 10**9), ("m", 10**6), ("k", 10**3)):
        if abs(value) >= size:
            return f"{_trim(value / size)}{suffix} {token}"
    return f"{_trim(value)} {token}"


def _trim(value: Decimal) -> str:
    """At most three significant decimals, trailing zeros dropped."""
    text = f"{value:.3f}" if abs(value) < 10 else f"{value:.2f}" if abs(value) < 100 else f"{value:.1f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


# --- durations ------------------------------------------------------------------------------


def parse_duration(value: object) -> int:
    """A duration in seconds: ``"90d"``, ``"2w"``, ``"36h"``, ``"45m"``, ``"30s"``, ``"1d12h"``."""
    hint = 'try "90d", "2w", "36h", "45m" or "30s"'
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise UnitError(f"{_show(value)} is not a duration ({hint})")
    if isinstance(value, (int, float)):
        raise UnitError(f'{_show(value)} is a plain number, not a duration: write the unit (try "{value}s" or "{value}d")')
    text = value.strip()
    if not text:
        raise UnitError(f"{_show(value)} is not a duration ({hint})")
    total = Decimal(0)
    pos = 0
    while pos < len(text):
        part = _DURATION_PART.match(text, pos)
        if not part:
            raise UnitError(f"{_show(value)} is not a duration ({hint})")
        unit = part[2].lower()
        if unit in ("mo", "month", "months", "y", "yr", "year", "years"):
            raise UnitError(
                f'{_show(value)}: months and years have no fixed length in a duration; write days (e.g. "90d" or "365d")'
            )
        if unit not in _DURATION_UNITS:
            raise UnitError(f'{_show(value)}: unknown time unit "{part[2]}" ({hint})')
        try:
            total += _decimal(part[1]) * _DURATION_UNITS[unit]
        except UnitError:
            raise UnitError(f"{_show(value)} has too many digits to be a duration") from None
        pos = part.end()
    seconds = _integral(total)
    if seconds is None:
        raise UnitError(f"{_show(value)} is not a whole number of seconds")
    return seconds


def format_duration(seconds: int) -> str:
    """Seconds as the shortest exact duration: 7776000 -> ``90d``, 129600 -> ``1d12h``."""
    if seconds == 0:
        return "0s"
    parts = []
    rest = seconds
    for unit, size in (("d", DAY), ("h", HOUR), ("m", MINUTE), ("s", 1)):
        count, rest = divmod(rest, size)
        if count:
            parts.append(f"{group(count)}{unit}")
    return "".join(parts)


# --- dates ----------------------------------------------------------------------------------


def parse_date(value: object) -> int:
    """A date or date-time (ISO 8601, or a TOML date / date-time) in unix seconds, UTC when
    the value carries no zone."""
    hint = 'try "2027-01-01" or "2027-01-01T12:00:00Z"'
    if isinstance(value, _dt.datetime):
        moment = value
    elif isinstance(value, _dt.date):
        moment = _dt.datetime(value.year, value.month, value.day)
    elif isinstance(value, str):
        text = value.strip()
        try:
            moment = _dt.datetime.fromisoformat(text)
        except ValueError:
            raise UnitError(f"{_show(value)} is not a date ({hint})") from None
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        raise UnitError(f"{_show(value)} is a plain number, not a date ({hint}; unix times are not accepted)")
    else:
        raise UnitError(f"{_show(value)} is not a date ({hint})")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=_dt.UTC)
    try:
        stamp = moment.timestamp()
    except (OverflowError, ValueError, OSError):
        raise UnitError(f"{_show(value)} is out of range ({hint})") from None
    epoch = _dt.datetime(1970, 1, 1, tzinfo=_dt.UTC)
    delta = moment - epoch
    seconds = delta.days * DAY + delta.seconds
    if delta.microseconds:
        raise UnitError(f"{_show(value)} has fractions of a second; dates are whole seconds")
    if stamp < 0 or seconds < 0:
        raise UnitError(f"{_show(value)} is before 1970 ({hint})")
    return seconds


def format_date(timestamp: int) -> str:
    """Unix seconds as ISO 8601 in UTC: the date alone at midnight, else date and time."""
    try:
        moment = _dt.datetime.fromtimestamp(timestamp, tz=_dt.UTC)
    except (OverflowError, ValueError, OSError):
        return f"@{timestamp}"
    if moment.hour == moment.minute == moment.second == 0:
        return moment.date().isoformat()
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


# --- rates ----------------------------------------------------------------------------------


def parse_rate_exact(value: object, token: str = "ZK", decimals: int = 18) -> tuple[int, int]:
    """A rate as (wei, seconds): ``"1.5m ZK/month"`` -> (1.5m * 10**18, 30 days)."""
    hint = f'try "10 {token}/s", "1.5m {token}/month" or "50k {token}/day"'
    if not isinstance(value, str):
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            raise UnitError(f'{_show(value)} is a plain number, not a rate: write the unit (try "{value} {token}/s")')
        raise UnitError(f"{_show(value)} is not a rate ({hint})")
    if "/" not in value:
        raise UnitError(f'{_show(value)} is not a rate: say per what, e.g. "{value.strip()}/month" ({hint})')
    amount_text, _, per_text = value.rpartition("/")
    per = per_text.strip().lower()
    if per == "m":
        raise UnitError(f'{_show(value)}: "/m" is ambiguous; write "/min" or "/month"')
    if per in _PER:
        seconds = _PER[per]
    elif per.endswith("s") and per[:-1] in _PER and len(per) > 2:
        seconds = _PER[per[:-1]]
    else:
        try:
            seconds = parse_duration(per_text)
        except UnitError:
            raise UnitError(f'{_show(value)}: "/{per_text.strip()}" is not a period ({hint})') from None
    if seconds == 0:
        raise UnitError(f"{_show(value)}: a rate needs a period longer than zero")
    try:
        wei = parse_amount(amount_text, token, decimals)
    except UnitError as exc:
        raise UnitError(f"{_show(value)} is not a rate: {exc}") from None
    return wei, seconds


def parse_rate(value: object, token: str = "ZK", decimals: int = 18) -> int:
    """A rate in wei per second, rounded down (a bound written by hand is never raised)."""
    wei, seconds = parse_rate_exact(value, token, decimals)
    return wei // seconds


def format_rate(wei_per_second: int, token: str = "ZK", decimals: int = 18) -> str:
    """A rate in tokens per second and per day: ``10 ZK/s (864k ZK/day)``."""
    return (
        f"{format_amount_short(wei_per_second, token, decimals)}/s "
        f"({format_amount_short(wei_per_second * DAY, token, decimals)}/day)"
    )


# --- basis points ---------------------------------------------------------------------------

_BPS = re.compile(r"(?P<number>\d[\d_]*(?:\.\d+)?|\.\d+)\s*(?P<unit>%|bps|bp)", re.IGNORECASE)


def parse_bps(value: object) -> int:
    """A share in basis points: ``"25%"`` -> 2500, ``"2500 bps"`` -> 2500."""
    hint = 'try "25%" or "2500 bps"'
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        raise UnitError(f'{_show(value)} is a plain number, not a share: write "{value}%" or "{value} bps"')
    if not isinstance(value, str):
        raise UnitError(f"{_show(value)} is not a share ({hint})")
    match = _BPS.fullmatch(value.strip())
    if not match:
        if value.strip().startswith("-"):
            raise UnitError(f"{_show(value)} is negative; shares are at least 0% ({hint})")
        raise UnitError(f"{_show(value)} is not a share ({hint})")
    try:
        number = _decimal(match["number"])
    except UnitError:
        raise UnitError(f"{_show(value)} has too many digits to be a share") from None
    bps = _integral(number * 100 if match["unit"] == "%" else number)
    if bps is None:
        raise UnitError(f"{_show(value)} is finer than a basis point (0.01%)")
    return bps


def format_bps(bps: int) -> str:
    """Basis points as a percentage: 2500 -> ``25%``, 1250 -> ``12.5%``."""
    whole, frac = divmod(bps, 100)
    return f"{whole}%" if frac == 0 else f"{whole}.{frac:02d}".rstrip("0") + "%"
