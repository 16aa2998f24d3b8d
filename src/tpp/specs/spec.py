"""Programme specs in TOML: read, validate with pydantic, check the portfolio rules, explain.

A spec file holds one or more programmes (``[programme.NAME]`` tables, in the order the
factory creates and the Budget admits them) and the global parameters they must fit: a
``[globals]`` table, or ``globals = "globals.toml"`` (relative to the spec), or a
`GlobalParams` the caller passes (e.g. read from a deployed Budget). Values are written in
human units (see `tpp.units`) and converted to the integers the contracts take.

Every problem found is reported, not just the first, as ``file:line field: rule
(suggestion)``. `check_spec` returns the problems; `load_spec` raises `SpecError` with them
or returns a `SpecFile` whose programmes convert to `tpp.programmes.ProgrammeSpec`.

Rules checked, each named after the revert it prevents (Programme.initialize, Budget.admit):
every field's unit and range; window <= epoch duration and <= the shared window; first epoch
end on a decision-cycle boundary; default outcome STOP or CONTINUE; ITERATE bound <= 100%;
dials within bounds and only with a steward; checksummed, non-zero addresses; the kind's
target (stream -> ``recipient``, staking -> ``stake_token``); then, in programme order as the
factory admits them: the allocation, the share of the remaining allocation, the aggregate
rate under the inflation threshold at every instant (with the epochs already admitted), and
the delegate load of every evaluation window.
"""

from __future__ import annotations

import contextlib
import difflib
import re
import time
import tomllib
from collections.abc import Callable, Collection
from dataclasses import dataclass, field, fields, replace
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import Annotated, Any, Optional

from eth_utils import keccak, to_checksum_address
from pydantic import BaseModel, BeforeValidator, ConfigDict, TypeAdapter, ValidationError, ValidationInfo, create_model

from tpp.base import units, vocab
from tpp.base.errors import UserError
from tpp.base.units import UnitError
from tpp.base.vocab import ZERO_ADDRESS as ZERO
from tpp.model import kinds
from tpp.model.kinds import bounty as bounty_kind
from tpp.model.kinds import checkpoints as cp_kind
from tpp.model.kinds import kpi_stream as kpi_kind
from tpp.model.programme import DialSpec as Dial
from tpp.model.programme import ProgrammeSpec

__all__ = [
    "AdmittedEpoch",
    "CheckResult",
    "Dial",
    "GlobalParams",
    "Problem",
    "Programme",
    "SpecError",
    "SpecFile",
    "check_spec",
    "example_spec",
    "load_spec",
    "summarize",
]

BPS = 10_000
UINT48 = (1 << 48) - 1  # timestamps and durations (Programme.TIME_MASK)
MAX_HOLD_RATE = (1 << 80) - 1  # wei per second one programme can hold for its later epochs (Budget._MAX_HOLD_RATE)
UINT112 = (1 << 112) - 1  # epoch caps (Programme.CAP_BITS)
UINT16 = (1 << 16) - 1  # max epochs
UINT32 = (1 << 32) - 1  # dial values
MAX_THRESHOLD = (1 << 200) - 1  # Budget.MAX_THRESHOLD
# The Budget's bounds on its global parameters (Budget.vy _MAX_*): no programme arithmetic can
# leave uint48 seconds, and the allocation fits the token's supply cap.
MAX_ALLOCATION = (1 << 208) - 1
MAX_GENESIS = 32_503_680_000  # 3000-01-01
MAX_CYCLE = 315_576_000  # 10 × 365.25 days
MAX_LOAD_LIMIT = 1_000
_UNBOUNDED = 1 << 255  # stands in for a bound that did not parse
# A vote on the local governance stand-in takes its voting delay (60 s), voting period (1 h)
# and timelock delay (10 min), plus a minute of transactions: a first start must be at least
# this far ahead. Set `vote_lead` in [globals] to your governor's (ZKsync's take weeks).
DEFAULT_VOTE_LEAD = 60 + 3_600 + 600 + 60
INT256_MAX = (1 << 255) - 1  # the oracle threshold (programme_spec.threshold)
MAX_URI = 256  # bytes (programme_spec.MAX_URI)
MAX_DIALS = 4  # programme_spec.MAX_DIALS
# Dials each mechanism understands, with the largest value it accepts.
KNOWN_DIALS = {vocab.THROTTLE: BPS}  # dial -> its largest value
COMPARATORS = tuple(c.symbol for c in vocab.Comparator if c)  # ">", ">=", "<", "<="
# Later epochs projected per programme for the delegate-load check.
MAX_PROJECTED_EPOCHS = 400
# Overloaded windows reported one by one before the rest are summed up.
MAX_LOAD_REPORTS = 5


# --- what a valid spec becomes (plain dataclasses, integers) ---------------------------------


@dataclass(frozen=True)
class GlobalParams:
    """The Budget's global parameters as the contract holds them (wei, seconds, bps)."""

    inflation_threshold: int  # wei per second, all programmes together
    allocation: int  # wei, lifetime sum of admitted caps
    max_share_bps: int  # of the not yet admitted allocation, per epoch
    cycle_genesis: int  # unix seconds of the first decision-cycle boundary
    cycle_length: int  # seconds
    window_length: int  # seconds, the shared evaluation window before each boundary
    load_limit: int  # decisions per window
    token: str = "ZK"
    decimals: int = 18
    # Seconds from proposing a TPP to its execution: the governor's voting delay and voting
    # period plus the timelock's delay. A first start must be at least this far from now. Not a
    # Budget parameter, so two GlobalParams that differ only here are the same bounds.
    vote_lead: int = field(default=0, compare=False)

    def next_boundary(self, t: int) -> int:
        """First cycle boundary strictly after `t` (Budget.next_cycle_boundary)."""
        if t < self.cycle_genesis:
            return self.cycle_genesis
        return self.cycle_genesis + ((t - self.cycle_genesis) // self.cycle_length + 1) * self.cycle_length

    def is_boundary(self, t: int) -> bool:
        return self.next_boundary(t - 1) == t

    def amount(self, wei: int) -> str:
        return units.format_amount(wei, self.token, self.decimals)

    def amount_down(self, wei: int) -> str:
        """A suggested most: rounded down to whole tokens (exact below one token)."""
        one = 10**self.decimals
        return self.amount(wei - wei % one if wei >= one else wei)

    def short(self, wei: int) -> str:
        return units.format_amount_short(wei, self.token, self.decimals)

    def rate(self, wei_per_second: int) -> str:
        return units.format_rate(wei_per_second, self.token, self.decimals)


@dataclass(frozen=True)
class AdmittedEpoch:
    """An epoch the Budget already admitted (or will have before these programmes), or, with
    `held_rate`, the room a programme holds for its later epochs: that rate from `start` (its
    latest epoch's end) to `end` (UINT48: no end), with no cap of its own (its reserve is in
    the committed total)."""

    name: str
    cap: int
    start: int
    end: int
    held_rate: int | None = None

    @property
    def rate(self) -> int:
        """Wei per second, rounded up as the Budget records it."""
        if self.held_rate is not None:
            return self.held_rate
        return -(-self.cap // (self.end - self.start))


@dataclass(frozen=True)
class Programme(ProgrammeSpec):
    """One validated programme: everything `ProgrammeFactory.create_programmes` takes (the
    on-chain `ProgrammeSpec`), plus its name and the research questions and KPIs that stay
    off chain."""

    name: str = field(kw_only=True)
    description: str = field(default="", kw_only=True)
    research_questions: tuple[str, ...] = field(default=(), kw_only=True)
    kpis: tuple[str, ...] = field(default=(), kw_only=True)

    @property
    def first_rate(self) -> int:
        """Wei per second of the first epoch, rounded up as the Budget records it."""
        return -(-self.epoch_cap // (self.first_end - self.first_start))

    @property
    def holds(self) -> bool:
        """Whether creating it holds room in the Budget for its later epochs: it continues by
        default and has more than one epoch (a programme that stops by default holds room only
        once a vote continues it)."""
        return self.max_epochs > 1 and self.default_outcome == "CONTINUE"

    @property
    def held_rate(self) -> int:
        """Wei per second the programme holds in the Budget from its first epoch's end on, for
        its later epochs (Programme._hold_after): the configured rate, rounded up; 0 if it holds nothing."""
        return -(-self.epoch_cap // self.epoch_duration) if self.holds else 0

    @property
    def reserve(self) -> int:
        """Wei of the allocation the programme holds for its later epochs: one cap per epoch after the first."""
        return (self.max_epochs - 1) * self.epoch_cap if self.holds else 0

    @property
    def lifetime_cap(self) -> int:
        """Wei the programme's creation commits: its first cap and the reserve for the rest."""
        return self.epoch_cap + self.reserve

    def to_chain(self) -> ProgrammeSpec:
        return ProgrammeSpec(**{f.name: getattr(self, f.name) for f in fields(ProgrammeSpec)})


@dataclass
class SpecFile:
    path: Path
    globals: GlobalParams
    programmes: list[Programme]
    already_admitted: list[AdmittedEpoch] = field(default_factory=list)
    committed: int = 0  # wei already committed before these programmes
    globals_source: str = ""
    warnings: list[Problem] = field(default_factory=list)
    # The rest of the rate the Budget checks admissions against, beyond the admitted epochs'
    # own rates (room programmes hold for later epochs, releases), as rate segments (held_rate).
    held: list[AdmittedEpoch] = field(default_factory=list)

    def to_chain(self) -> list[ProgrammeSpec]:
        return [p.to_chain() for p in self.programmes]

    def programme(self, name: str) -> Programme:
        for p in self.programmes:
            if p.name == name:
                return p
        raise KeyError(name)


@dataclass(frozen=True)
class Problem:
    """One thing wrong (or worth a warning) in a spec, where it is and what to do."""

    file: str
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}"
        return f"{where} {self.field}: {self.message}" if self.field else f"{where} {self.message}"


class SpecError(UserError):
    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


@dataclass
class CheckResult:
    spec: SpecFile | None
    errors: list[Problem]
    warnings: list[Problem]

    @property
    def ok(self) -> bool:
        return not self.errors


# --- field parsers used by the pydantic models -------------------------------------------------


def _unit(info: ValidationInfo) -> tuple[str, int]:
    ctx = info.context or {}
    return ctx.get("token", "ZK"), ctx.get("decimals", 18)


def _amount(value: Any, info: ValidationInfo) -> int:
    return units.parse_amount(value, *_unit(info))


def _rate(value: Any, info: ValidationInfo) -> int:
    return units.parse_rate(value, *_unit(info))


def _whole(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        shown = f'"{value}"' if isinstance(value, str) else repr(value)
        if isinstance(value, str) and value.strip().replace("_", "").isdigit():
            raise UnitError(f"{shown[:60]} is text; write the number without quotes ({value.strip()})")
        raise UnitError(f"{shown[:60]} is not a whole number (write e.g. 4, without quotes)")
    return value


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise UnitError(f"{_show(value)} is not text (write it in quotes)")
    return value


def _texts(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise UnitError('should be a list of texts, e.g. ["Does the pool deepen?", "..."]')
    return tuple(value)


def _address(value: Any) -> str:
    if not isinstance(value, str):
        raise UnitError(f'{_show(value)} is not an address (write it in quotes: "0x…" with 40 hex digits)')
    text = value.strip()
    if not re.fullmatch(r"0x[0-9a-fA-F]{40}", text):
        if re.fullmatch(r"[0-9a-fA-F]{40}", text):
            raise UnitError(f'{_show(value)} is missing the 0x prefix (try "0x{text}")')
        raise UnitError(f'{_show(value)} is not an address (40 hex digits after "0x")')
    from eth_utils import to_checksum_address

    checksummed = to_checksum_address(text)
    if text != checksummed:
        raise UnitError(f'{_show(value)} is not checksummed (EIP-55; try "{checksummed}")')
    return text


def _hat(value: Any) -> int:
    """A hat id: an integer, or a string of one (decimal or 0x-hex; hat ids are usually shown
    in hex, e.g. "0x0000000100010000…")."""
    if isinstance(value, bool):
        raise UnitError(f'{_show(value)} is not a hat id (an integer, or a string like "0x00000001…")')
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and re.fullmatch(r"0x[0-9a-fA-F]{1,64}|[0-9]{1,78}", value.strip()):
        number = int(value.strip(), 0)
    else:
        raise UnitError(f'{_show(value)} is not a hat id (an integer, or a hex string like "0x00000001…")')
    if not 0 < number < 2**256:
        raise UnitError(f"{_show(value)} is not a hat id (a hat id is more than zero and fits 256 bits)")
    return number


def _outcome(value: Any) -> str:
    if not isinstance(value, str) or value.strip().upper() not in (vocab.Outcome.STOP.name, vocab.Outcome.CONTINUE.name):
        extra = ""
        if isinstance(value, str) and value.strip().upper() in ("ITERATE", "PAUSE", "KILL"):
            extra = f"; {value.strip().upper()} needs a vote, so it cannot be the default"
        raise UnitError(f'{_show(value)}: the default outcome must be "STOP" or "CONTINUE"{extra}')
    return value.strip().upper()


def _kind(value: Any) -> str:
    known = kinds.names()
    if not isinstance(value, str) or value.strip().lower() not in known:
        choices = " or ".join(f'"{k}"' for k in known)
        raise UnitError(f"{_show(value)} is not a mechanism kind (try {choices})")
    return value.strip().lower()


def _comparator(value: Any) -> str:
    if not isinstance(value, str) or value.strip() not in COMPARATORS:
        raise UnitError(f'{_show(value)} is not a comparator (try ">", ">=", "<" or "<=")')
    return value.strip()


def _decimal_text(value: Any) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise UnitError(f'{_show(value)} is not a number (write it in quotes, e.g. "1850.25")')
    text = str(value).strip().replace("_", "")
    if not re.fullmatch(r"-?\d{1,78}(\.\d{1,78})?", text):
        raise UnitError(f'{_show(value)} is not a number (write it in quotes, e.g. "1850.25")')
    return Decimal(text)


def _symbol(value: Any) -> str:
    if not isinstance(value, str) or not re.fullmatch(r"[A-Za-z][A-Za-z0-9.$-]{0,15}", value):
        raise UnitError(f'{_show(value)} is not a token symbol (try "ZK")')
    if value.lower() == "wei":
        raise UnitError('"wei" is the base unit, not a token symbol (try "ZK")')
    return value


def _show(value: Any) -> str:
    return units._show(value)


def _v(func):
    return BeforeValidator(func)


Amount = Annotated[int, _v(_amount)]
Rate = Annotated[int, _v(_rate)]
Duration = Annotated[int, _v(units.parse_duration)]
Date = Annotated[int, _v(units.parse_date)]
Bps = Annotated[int, _v(units.parse_bps)]
Whole = Annotated[int, _v(_whole)]
Text = Annotated[str, _v(_text)]
Texts = Annotated[tuple[str, ...], _v(_texts)]
Address = Annotated[Optional[str], _v(_address)]
HatId = Annotated[Optional[int], _v(_hat)]
OptDate = Annotated[Optional[int], _v(units.parse_date)]
OptDuration = Annotated[Optional[int], _v(units.parse_duration)]
Outcome = Annotated[str, _v(_outcome)]
Kind = Annotated[str, _v(_kind)]
Comparator = Annotated[Optional[str], _v(_comparator)]
Number = Annotated[Optional[Decimal], _v(_decimal_text)]
Symbol = Annotated[str, _v(_symbol)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)


class GlobalsModel(_Model):
    token: Symbol = "ZK"
    decimals: Whole = 18
    inflation_threshold: Rate
    allocation: Amount
    max_share: Bps
    cycle_genesis: Date
    cycle_length: Duration
    window_length: Duration
    load_limit: Whole
    vote_lead: OptDuration = None


class AdmittedModel(_Model):
    name: Text = ""
    cap: Amount
    start: Date
    end: Date


class DialModel(_Model):
    initial: Bps
    lower: Bps
    upper: Bps
    step: Bps
    cooldown: Duration


class PauseModel(_Model):
    max_pause: OptDuration = None
    oracle: Address = None
    comparator: Comparator = None
    threshold: Number = None  # in the feed's unit ("1850.5"), stored with THRESHOLD_DECIMALS
    oracle_max_age: OptDuration = None


class KpiCandidateModel(_Model):
    recipient: Address = None
    read: Text = "balance"  # balance | feed | view
    subject: Address = None  # balance: whose balance of the asset counts
    reader: Address = None  # feed: the AggregatorV3 feed; view: the contract
    function: Text = ""  # view: "name()" (no arguments, returns uint256)
    threshold: Number = None  # in the asset's (or the view's) unit, or the feed's answer ("1850.5")
    decimals: Whole = 18  # of the asset or the view's value (a feed's answer is always 18 here)


class KpiModel(_Model):
    max_gap: OptDuration = None  # the longest interval between two readings that still pays
    candidate: Optional[list[KpiCandidateModel]] = None


class CheckpointsModel(_Model):
    period: OptDuration = None  # between two checkpoints of an epoch (its end is always one)
    dispute_window: OptDuration = None  # after a root is posted, while it can be challenged
    bond: Number = None  # native currency (ETH) a challenge posts, e.g. "0.5"


class BountyModel(_Model):
    scoring_period: OptDuration = None  # before each epoch's end: submissions close, judging goes on
    duplicate_decay: Optional[Bps] = None  # share a finding keeps per duplicate beyond the first ("90%")
    deposit: Number = None  # native currency (ETH) each submission posts, e.g. "0.01"; "0" for none
    judge_hat: HatId = None  # wearers of this hat judge too
    judges: Optional[list[Address]] = None  # more judges besides `judge` (at most 8)


class _ProgrammeFields(_Model):
    kind: Kind
    description: Text = ""
    epoch_cap: Amount
    first_start: Date
    first_end: OptDate = None
    epoch_duration: Duration
    evaluation_window: Duration
    default_outcome: Outcome = "STOP"
    max_epochs: Whole = 1
    iterate_bound: Bps = 0
    steward: Address = None
    guardian: Address = None
    # Instead of an address: a hat (Hats Protocol id) whose wearers act as guardian / steward.
    guardian_hat: HatId = None
    steward_hat: HatId = None
    metadata_uri: Text = ""
    research_questions: Texts = ()
    kpis: Texts = ()
    pause: Optional[PauseModel] = None
    dials: Optional[dict[str, DialModel]] = None
    kpi: Optional[KpiModel] = None  # kpi_stream only: the gap and the candidates
    # An eligibility gate (a tpp gate contract) stakers, claimants or authors must pass.
    gate: Address = None
    checkpoints: Optional[CheckpointsModel] = None  # checkpoints only: period, dispute window, bond
    bounty: Optional[BountyModel] = None  # bounty only: scoring period, duplicate decay, deposit, judges


# Each mechanism kind adds the field that holds its target (`recipient`, `stake_token`, …).
ProgrammeModel = create_model(
    "ProgrammeModel",
    __base__=_ProgrammeFields,
    **{k.target_field: (Address, None) for k in kinds.all_kinds()},  # type: ignore[call-overload]
)


TOP_KEYS = ("title", "description", "globals", "already_committed", "already_admitted", "programme")
_FIELDS = {
    "globals": list(GlobalsModel.model_fields),
    "admitted": list(AdmittedModel.model_fields),
    "dial": list(DialModel.model_fields),
    "pause": list(PauseModel.model_fields),
    "kpi": list(KpiModel.model_fields),
    "candidate": list(KpiCandidateModel.model_fields),
    "checkpoints": list(CheckpointsModel.model_fields),
    "bounty": list(BountyModel.model_fields),
    "programme": list(ProgrammeModel.model_fields),
    "top": list(TOP_KEYS),
}


# --- where keys are: line numbers (tomllib gives none) ----------------------------------------

_BARE = re.compile(r"[A-Za-z0-9_-]+")


def _parse_key(text: str, pos: int) -> tuple[tuple[str, ...], int]:
    """A dotted TOML key starting at `pos`: (parts, position after it)."""
    parts: list[str] = []
    while True:
        while pos < len(text) and text[pos] in " \t":
            pos += 1
        if pos < len(text) and text[pos] in "\"'":
            quote = text[pos]
            end = pos + 1
            while end < len(text) and text[end] != quote:
                end += 2 if (quote == '"' and text[end] == "\\") else 1
            raw = text[pos + 1 : end]
            parts.append(raw.encode().decode("unicode_escape", "ignore") if quote == '"' and "\\" in raw else raw)
            pos = end + 1
        else:
            match = _BARE.match(text, pos)
            if not match:
                return tuple(parts), pos
            parts.append(match.group())
            pos = match.end()
        while pos < len(text) and text[pos] in " \t":
            pos += 1
        if pos < len(text) and text[pos] == ".":
            pos += 1
            continue
        return tuple(parts), pos


def _bracket_depth(text: str) -> int:
    """Net [ ] and { } depth of a line, ignoring strings and comments."""
    depth, i, quote = 0, 0, None
    while i < len(text):
        c = text[i]
        if quote:
            if c == "\\" and quote == '"':
                i += 1
            elif c == quote:
                quote = None
        elif c in "\"'":
            quote = c
        elif c == "#":
            break
        elif c in "[{":
            depth += 1
        elif c in "]}":
            depth -= 1
        i += 1
    return depth


class LineIndex:
    """Line of every key path in a TOML text, found by scanning its headers and keys."""

    def __init__(self, text: str, prefix: tuple = ()):
        self.prefix = prefix
        self.lines: dict[tuple, int] = {}
        table: tuple = ()
        arrays: dict[tuple, int] = {}
        multiline: str | None = None
        depth = 0
        for number, raw in enumerate(text.splitlines(), 1):
            if multiline:
                if raw.count(multiline) % 2 == 1:
                    multiline = None
                continue
            if depth > 0:
                depth = max(0, depth + _bracket_depth(raw))
                continue
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            if line.startswith("[["):
                key, _ = _parse_key(line, 2)
                key = self._in_arrays(key, arrays)
                arrays[key] = arrays.get(key, -1) + 1
                table = key + (arrays[key],)
                self.lines.setdefault(key, number)
                self.lines.setdefault(table, number)
                continue
            if line.startswith("["):
                key, _ = _parse_key(line, 1)
                table = self._in_arrays(key, arrays)
                for i in range(1, len(table) + 1):
                    self.lines.setdefault(table[:i], number)
                continue
            key, pos = _parse_key(line, 0)
            if not key or pos >= len(line) or line[pos] != "=":
                continue
            path = table + key
            for i in range(len(table) + 1, len(path) + 1):
                self.lines.setdefault(path[:i], number)
            value = line[pos + 1 :].strip()
            for quote in ('"""', "'''"):
                if value.startswith(quote) and value.count(quote) == 1:
                    multiline = quote
            if value.startswith("{"):
                for inner in re.finditer(r"([A-Za-z0-9_-]+)\s*=", value):
                    self.lines.setdefault(path + (inner.group(1),), number)
            if value.startswith(("[", "{")):
                depth = max(0, _bracket_depth(value))

    @staticmethod
    def _in_arrays(key: tuple, arrays: dict[tuple, int]) -> tuple:
        """A header inside an array of tables refers to its last element."""
        for i in range(len(key) - 1, 0, -1):
            if key[:i] in arrays:
                return key[:i] + (arrays[key[:i]],) + key[i:]
        return key

    def line(self, path: tuple) -> int:
        path = tuple(path)
        if self.prefix and path[: len(self.prefix)] == self.prefix:
            path = path[len(self.prefix) :]
        for i in range(len(path), 0, -1):
            if path[:i] in self.lines:
                return self.lines[path[:i]]
        return 1


def _field_name(path: tuple) -> str:
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            text = str(part)
            if not _BARE.fullmatch(text):
                text = '"' + text.replace('"', '\\"') + '"'
            out += ("." if out else "") + text
    return out


@dataclass
class _Source:
    """One TOML file being checked: its name as shown, its line index, its problems."""

    name: str
    index: LineIndex
    problems: list[Problem]

    def error(self, path: tuple, message: str) -> None:
        path = tuple(path)
        shown = path
        if self.index.prefix and path[: len(self.index.prefix)] == self.index.prefix:
            shown = path[len(self.index.prefix) :]
        self.problems.append(Problem(self.name, self.index.line(path), _field_name(shown), message))


# --- reading TOML ----------------------------------------------------------------------------


def _read_toml(path: Path, shown: str) -> tuple[dict | None, str, list[Problem]]:
    try:
        data = path.read_bytes()
    except OSError as exc:
        return None, "", [Problem(shown, 1, "", f"cannot read the file ({exc.strerror or exc})")]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        return None, "", [Problem(shown, line, "", "the file is not UTF-8 text (TOML must be UTF-8)")]
    try:
        return tomllib.loads(text), text, []
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        match = re.search(r"\(at line (\d+), column (\d+)\)", message)
        line = int(match[1]) if match else text.count("\n") + 1
        reason = re.sub(r"\s*\(at (line \d+, column \d+|end of document)\)", "", message)
        where = f" at column {match[2]}" if match else " at the end of the file"
        return None, text, [Problem(shown, line, "", f"TOML syntax: {reason.lower()}{where} (see https://toml.io)")]
    except (ValueError, RecursionError, MemoryError) as exc:
        return None, text, [Problem(shown, 1, "", f"TOML syntax: cannot parse the file ({type(exc).__name__})")]


def pydantic_problems(exc: ValidationError, base: tuple, known: Callable[[tuple], list[str]]) -> list[tuple[tuple, str]]:
    """(key path, message) for every error pydantic found in the table at `base`; `known(loc)`
    lists the keys the table holding `loc` accepts, for "did you mean" hints."""
    out = []
    for err in exc.errors(include_url=False):
        loc = tuple(err["loc"])
        path = base + loc
        typ = err["type"]
        if typ == "value_error":
            message = str(err.get("ctx", {}).get("error", err["msg"]))
        elif typ == "missing":
            table = base + loc[:-1]
            if not table:
                where = "the file"
            elif isinstance(table[-1], int):
                where = f"[[{_field_name(table[:-1])}]] number {table[-1] + 1}"
            else:
                where = f"[{_field_name(table)}]"
            message = f"is required (add `{loc[-1]} = …` to {where})"
        elif typ == "extra_forbidden":
            fields = known(loc)
            close = difflib.get_close_matches(str(loc[-1]), fields, n=1)
            hint = f'did you mean "{close[0]}"?' if close else "known keys: " + ", ".join(fields)
            message = f"unknown key ({hint})"
        elif typ in ("model_type", "dict_type"):
            message = f"should be a table ([{_field_name(path)}] with keys), not {_show(err.get('input'))}"
        else:
            message = f"{err['msg'][:1].lower()}{err['msg'][1:]}"
        out.append((path, message))
    return out


def _pydantic_problems(src: _Source, exc: ValidationError, base: tuple, kind: str) -> None:
    def known(loc: tuple) -> list[str]:
        if kind == "programme" and "dials" in loc[:-1]:
            return _FIELDS["dial"]
        if kind == "programme" and "pause" in loc[:-1]:
            return _FIELDS["pause"]
        if kind == "programme" and "candidate" in loc[:-1]:
            return _FIELDS["candidate"]
        if kind == "programme" and "kpi" in loc[:-1]:
            return _FIELDS["kpi"]
        if kind == "programme" and "checkpoints" in loc[:-1]:
            return _FIELDS["checkpoints"]
        if kind == "programme" and "bounty" in loc[:-1]:
            return _FIELDS["bounty"]
        return _FIELDS[kind]

    for path, message in pydantic_problems(exc, base, known):
        if kind == "programme" and path[-2:] == ("pause", "decimals") and message.startswith("unknown key"):
            message = (
                "unknown key: the programme reads the feed's decimals() on chain, so write `threshold` in the feed's "
                'unit (e.g. "1850.5") and remove `decimals`'
            )
        src.error(path, message)


def _validate(model: type[BaseModel], raw: Any, src: _Source, base: tuple, kind: str, context: dict) -> Any:
    if not isinstance(raw, dict):
        src.error(base, f"should be a table, not {_show(raw)}")
        return None
    try:
        return model.model_validate(raw, context=context)
    except ValidationError as exc:
        _pydantic_problems(src, exc, base, kind)
        return None


# --- checking --------------------------------------------------------------------------------


def check_spec(
    path: str | Path,
    *,
    globals: GlobalParams | None = None,
    already_admitted: list[AdmittedEpoch] | None = None,
    committed: int | None = None,
    now: int | None = None,
    vote_lead: int | None = None,
    deployed: Collection[str] = (),
    held: list[AdmittedEpoch] | None = None,
) -> CheckResult:
    """Read and check a spec file; every problem found is in the result, none is raised.

    `globals`, `already_admitted` and `committed` given here replace what the file says (a
    caller that read them from a deployed Budget knows better); `held` adds the rest of the
    Budget's rate curve (room held for later epochs) as rate segments. `now` (unix seconds, default
    the clock) and `vote_lead` (default: the globals', see `DEFAULT_VOTE_LEAD`) decide the
    earliest first start: one that survives a vote started `now`; programmes named in
    `deployed` are on chain already and have no start rule.
    """
    path = Path(path)
    shown = str(path)
    now = int(time.time()) if now is None else now
    raw, text, problems = _read_toml(path, shown)
    warnings: list[Problem] = []
    if raw is None:
        return CheckResult(None, problems, warnings)
    src = _Source(shown, LineIndex(text), problems)
    warn = _Source(shown, src.index, warnings)

    globals_keys = set(GlobalsModel.model_fields)
    if (
        "programme" not in raw
        and raw
        and (set(raw) <= globals_keys or (set(raw) == {"globals"} and isinstance(raw["globals"], dict)))
    ):
        src.error(
            (),
            f"is a globals file (the Budget's global parameters), not a programme spec: name it from a spec with "
            f'`globals = "{path.name}"` and run `tpp check` on the spec (`tpp init` writes an example)',
        )
        return CheckResult(None, problems, warnings)
    for key in raw:
        if key not in TOP_KEYS:
            close = difflib.get_close_matches(key, TOP_KEYS, n=1)
            hint = f'did you mean "{close[0]}"?' if close else "known keys: " + ", ".join(TOP_KEYS)
            src.error((key,), f"unknown key ({hint})")

    # Global parameters: passed in, or a file the spec names, or an embedded table.
    params, gsource, gsrc = globals, "passed in by the caller", src
    if params is None:
        params, gsource, gsrc = _load_globals(raw, path, src)
    if params is not None and vote_lead is not None:
        params = replace(params, vote_lead=vote_lead)
    token, decimals = (params.token, params.decimals) if params else _token_of(raw, path)
    context = {"token": token, "decimals": decimals}

    # What the Budget has admitted before these programmes.
    admitted = already_admitted
    if admitted is None:
        admitted = _load_admitted(raw.get("already_admitted", []), src, context)
    if committed is None:
        committed = sum(e.cap for e in admitted)
        if "already_committed" in raw:
            try:
                committed = units.parse_amount(raw["already_committed"], token, decimals)
                if committed < sum(e.cap for e in admitted):
                    src.error(
                        ("already_committed",),
                        f"is less than the caps of the already admitted epochs together "
                        f"({units.format_amount(sum(e.cap for e in admitted), token, decimals)})",
                    )
            except UnitError as exc:
                src.error(("already_committed",), str(exc))

    # Programmes, each on its own; then the rules between them.
    programmes = _load_programmes(raw, src, warn, params, context, now, frozenset(deployed))
    if params is not None and programmes:
        _check_budget(programmes, params, admitted + (held or []), committed, src)
        _check_load(programmes, params, admitted, src)

    errors = sorted(problems, key=lambda p: p.line) + sorted(gsrc.problems if gsrc is not src else [], key=lambda p: p.line)
    warnings.sort(key=lambda p: p.line)
    if errors or params is None:
        return CheckResult(None, errors, warnings)
    spec = SpecFile(path, params, [p for p, _ in programmes], admitted, committed, gsource, warnings, held=held or [])
    return CheckResult(spec, [], warnings)


def load_spec(path: str | Path, **kwargs: Any) -> SpecFile:
    """`check_spec`, raising `SpecError` (with every problem) unless the spec is valid."""
    result = check_spec(path, **kwargs)
    if result.errors or result.spec is None:
        raise SpecError(result.errors)
    return result.spec


def _token_of(raw: dict, path: Path) -> tuple[str, int]:
    """The token symbol and decimals for reading amounts, even when other globals are wrong."""
    table = raw.get("globals")
    if isinstance(table, str):
        try:
            table = tomllib.loads((path.parent / table).read_text("utf-8"))
            table = table.get("globals", table) if isinstance(table.get("globals"), dict) else table
        except Exception:  # noqa: BLE001 - its problems are reported by _load_globals
            table = {}
    if not isinstance(table, dict):
        return "ZK", 18
    token, decimals = table.get("token", "ZK"), table.get("decimals", 18)
    try:
        token = _symbol(token)
    except UnitError:
        token = "ZK"
    if isinstance(decimals, bool) or not isinstance(decimals, int) or not 0 <= decimals <= 36:
        decimals = 18
    return token, decimals


def _load_globals(raw: dict, spec_path: Path, src: _Source) -> tuple[GlobalParams | None, str, _Source]:
    ref = raw.get("globals")
    if ref is None:
        src.error((), 'has no global parameters: add `globals = "globals.toml"` or a [globals] table')
        return None, "", src
    if isinstance(ref, str):
        gpath = spec_path.parent / ref
        shown = str(gpath)
        if not ref.strip() or not gpath.is_file():
            src.error(("globals",), f'"{ref}" is not a file (the path is relative to the spec: {shown})')
            return None, "", src
        table, text, problems = _read_toml(gpath, shown)
        gsrc = _Source(shown, LineIndex(text), problems)
        if table is None:
            return None, shown, gsrc
        base: tuple = ()
        if set(table) == {"globals"} and isinstance(table["globals"], dict):
            table, base = table["globals"], ("globals",)
        return _globals_from(table, gsrc, base), shown, gsrc
    if isinstance(ref, dict):
        return _globals_from(ref, src, ("globals",)), "the [globals] table", src
    src.error(("globals",), f'should be a file name ("globals.toml") or a [globals] table, not {_show(ref)}')
    return None, "", src


def _globals_from(table: dict, src: _Source, base: tuple) -> GlobalParams | None:
    token, decimals = "ZK", 18
    with contextlib.suppress(UnitError):  # a bad symbol is reported where the table is validated
        token = _symbol(table.get("token", "ZK"))
    dec = table.get("decimals", 18)
    if isinstance(dec, int) and not isinstance(dec, bool) and 0 <= dec <= 36:
        decimals = dec
    elif isinstance(dec, int) and not isinstance(dec, bool):
        src.error(base + ("decimals",), f"{dec} decimals is outside 0..36")
    context = {"token": token, "decimals": decimals}
    model: Any = _validate(GlobalsModel, table, src, base, "globals", context)
    if model is None:
        # Keep checking the programmes with what did parse: every problem is reported at once.
        model = _partial(GlobalsModel, table, context)
    failed = set(getattr(model, "failed", ()))
    if model.decimals is not None and model.decimals != decimals:
        failed.add("decimals")  # outside 0..36 (reported above): amounts cannot be read in it
    if model.inflation_threshold is not None and model.inflation_threshold > MAX_THRESHOLD:
        failed.add("inflation_threshold")
        src.error(base + ("inflation_threshold",), "is above the Budget's largest threshold (2**200 - 1 wei/s)")
    if model.max_share is not None and not 1 <= model.max_share <= BPS:
        failed.add("max_share")
        src.error(
            base + ("max_share",),
            f"{units.format_bps(model.max_share)} is outside 0.01%..100% (budget: share above 100% / zero share)",
        )
    if model.cycle_length == 0:
        failed.add("cycle_length")
        src.error(base + ("cycle_length",), 'must be longer than zero (try "90d")')
    if model.window_length == 0:
        failed.add("window_length")
        src.error(base + ("window_length",), 'must be longer than zero (try "14d")')
    elif model.window_length is not None and model.cycle_length is not None and model.window_length > model.cycle_length > 0:
        failed.add("window_length")
        src.error(
            base + ("window_length",),
            f"{units.format_duration(model.window_length)} is longer than the decision cycle "
            f"{units.format_duration(model.cycle_length)} (budget: window longer than cycle)",
        )
    if model.allocation is not None and model.allocation > MAX_ALLOCATION:
        failed.add("allocation")
        src.error(
            base + ("allocation",),
            "is above the Budget's largest allocation (2**208 - 1 wei, the token's supply cap; budget: allocation too large)",
        )
    if model.cycle_genesis is not None and model.cycle_genesis > MAX_GENESIS:
        failed.add("cycle_genesis")
        src.error(base + ("cycle_genesis",), f"is after {units.format_date(MAX_GENESIS)} (budget: genesis too late)")
    if model.cycle_length is not None and model.cycle_length > MAX_CYCLE:
        failed.add("cycle_length")
        src.error(base + ("cycle_length",), f"is longer than {units.format_duration(MAX_CYCLE)} (budget: cycle too long)")
    if model.load_limit is not None and model.load_limit < 1:
        failed.add("load_limit")
        src.error(base + ("load_limit",), "must be at least 1 decision per window (budget: zero load limit)")
    if model.load_limit is not None and model.load_limit > MAX_LOAD_LIMIT:
        failed.add("load_limit")
        src.error(base + ("load_limit",), f"is above {MAX_LOAD_LIMIT} decisions per window (budget: load limit too large)")
    if model.vote_lead is not None and model.vote_lead > UINT48:
        failed.add("vote_lead")
        src.error(base + ("vote_lead",), "is longer than uint48 seconds")
    if failed & {"cycle_genesis", "cycle_length", "window_length", "token", "decimals"}:
        return None  # without the calendar or the unit, no programme rule can be checked
    # A bound that did not parse is left out of the checks (it is reported above): the
    # programmes are still checked against everything else.
    return GlobalParams(
        inflation_threshold=MAX_THRESHOLD if "inflation_threshold" in failed else model.inflation_threshold,
        allocation=_UNBOUNDED if "allocation" in failed else model.allocation,
        max_share_bps=BPS if "max_share" in failed else model.max_share,
        cycle_genesis=model.cycle_genesis,
        cycle_length=model.cycle_length,
        window_length=model.window_length,
        load_limit=_UNBOUNDED if "load_limit" in failed else model.load_limit,
        token=model.token,
        decimals=model.decimals,
        vote_lead=DEFAULT_VOTE_LEAD if "vote_lead" in failed or model.vote_lead is None else model.vote_lead,
    )


def _load_admitted(raw: Any, src: _Source, context: dict) -> list[AdmittedEpoch]:
    if not isinstance(raw, list):
        src.error(("already_admitted",), "should be a list of [[already_admitted]] tables (name, cap, start, end)")
        return []
    out = []
    for i, item in enumerate(raw):
        model = _validate(AdmittedModel, item, src, ("already_admitted", i), "admitted", context)
        if model is None:
            continue
        if model.cap == 0:
            src.error(("already_admitted", i, "cap"), "must be more than zero")
        elif model.start >= model.end:
            src.error(("already_admitted", i, "end"), "must be after start")
        else:
            out.append(AdmittedEpoch(model.name or f"already_admitted[{i}]", model.cap, model.start, model.end))
    return out


def _load_programmes(
    raw: dict,
    src: _Source,
    warn: _Source,
    params: GlobalParams | None,
    context: dict,
    now: int,
    deployed: frozenset[str] = frozenset(),
) -> list[tuple[Programme, tuple]]:
    table = raw.get("programme")
    if table is None:
        close = [k for k in raw if k != "programme" and difflib.get_close_matches(k, ["programme"], n=1)]
        src.error(
            (close[:1] and (close[0],)) or (), "has no programmes: add a [programme.NAME] table (run `tpp init` for an example)"
        )
        return []
    if not isinstance(table, dict) or not table:
        src.error(("programme",), "should hold one [programme.NAME] table per programme")
        return []
    out = []
    for name, body in table.items():
        base = ("programme", name)
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}", name):
            src.error(base, "a programme name is letters, digits, - and _ (at most 64), e.g. [programme.eth-pool]")
        full = _validate(ProgrammeModel, body, src, base, "programme", context)
        if not isinstance(body, dict):
            continue
        # Field errors are reported above; the rules still run on every field that parsed,
        # so one bad value does not hide the others' problems.
        model = full if full is not None else _partial(ProgrammeModel, body, context)
        # A programme already deployed started when it was voted in: no start rule for it.
        programme = _programme_rules(name, model, src, warn, params, base, 0 if name in deployed else now)
        if programme is not None and full is not None:
            out.append((programme, base))
    return out


_ADAPTERS: dict[tuple, TypeAdapter] = {}


class _Partial(SimpleNamespace):
    """The fields of a model that parsed; the others are None and listed in `failed`."""

    failed: frozenset = frozenset()


def _partial(model: type[BaseModel], raw: dict, context: dict) -> _Partial:
    values: dict[str, Any] = {}
    failed = set()
    for name, info in model.model_fields.items():
        if name not in raw:
            values[name] = None if info.is_required() else info.default
            if info.is_required():
                failed.add(name)
            continue
        key = (model.__name__, name)
        if key not in _ADAPTERS:
            kind: Any = Annotated[(info.annotation, *info.metadata)] if info.metadata else info.annotation
            _ADAPTERS[key] = TypeAdapter(kind)
        try:
            values[name] = _ADAPTERS[key].validate_python(raw[name], context=context)
        except ValidationError:
            values[name] = None
            failed.add(name)
    return _Partial(**values, failed=frozenset(failed))


def _programme_rules(
    name: str, m: Any, src: _Source, warn: _Source, g: GlobalParams | None, base: tuple, now: int
) -> Programme | None:
    """The rules between one programme's fields (Programme.initialize's reverts). `m` is the
    validated model, or a `_Partial` whose failed fields are None: rules needing those skip."""
    before = len(src.problems)
    failed: frozenset[str] = getattr(m, "failed", frozenset())

    def err(key: str | tuple, message: str) -> None:
        src.error(base + ((key,) if isinstance(key, str) else key), message)

    def have(*names: str) -> bool:
        return all(getattr(m, n) is not None for n in names)

    fmt_d = units.format_duration
    # The mechanism's target: the kind's own field, and no other kind's.
    kind = kinds.get(m.kind) if m.kind is not None else None
    target, target_key = None, kind.target_field if kind else "recipient"
    if kind is not None:
        for other in kinds.all_kinds():
            key = other.target_field
            if key == kind.target_field:
                continue
            if getattr(m, key) is not None or key in failed:
                err(key, f'belongs to {other.plural}; a {kind.noun} needs `{kind.target_field}` (or set kind = "{other.name}")')
        target = getattr(m, kind.target_field)
        if target is None and kind.target_field not in failed:
            err("kind", f'a {kind.noun} needs `{kind.target_field} = "0x…"` ({kind.target_hint})')
    if target == ZERO:
        err(target_key, "is the zero address")
    if m.guardian == ZERO:
        err("guardian", "is the zero address; a guardian must be able to halt emission (programme: zero guardian)")
    elif m.guardian is None and m.guardian_hat is None and not failed & {"guardian", "guardian_hat"}:
        err(
            "guardian",
            'is missing: a programme needs `guardian = "0x…"` or `guardian_hat = "0x…"` (a hat whose wearers may halt emission)',
        )
    if m.guardian not in (None, ZERO) and m.guardian_hat is not None:
        err("guardian_hat", "and `guardian` are both set: the guardian is an address or a hat, not both")
    if m.steward not in (None, ZERO) and m.steward_hat is not None:
        err("steward_hat", "and `steward` are both set: the steward is an address or a hat, not both")

    # Cap, times and windows.
    if m.epoch_cap == 0:
        err("epoch_cap", "must be more than zero (programme: zero cap)")
    elif have("epoch_cap") and m.epoch_cap > UINT112:
        err("epoch_cap", "is above what a programme holds (2**112 - 1 wei; programme: cap above uint112)")
    if m.epoch_duration == 0:
        err("epoch_duration", 'must be longer than zero (try "90d")')
    elif have("epoch_duration") and m.epoch_duration > UINT48:
        err("epoch_duration", "is longer than uint48 seconds (programme: bad epoch duration)")
    if m.evaluation_window == 0:
        err("evaluation_window", 'must be longer than zero (try "14d"; programme: zero window)')
    elif have("evaluation_window", "epoch_duration") and m.evaluation_window > m.epoch_duration > 0:
        err(
            "evaluation_window",
            f'"{fmt_d(m.evaluation_window)}" is longer than the epoch duration "{fmt_d(m.epoch_duration)}" '
            f'(the window is the last part of each epoch; try "{fmt_d(m.epoch_duration)}" or less; '
            "programme: window longer than epoch)",
        )
    if g is not None and have("evaluation_window") and m.evaluation_window > g.window_length:
        err(
            "evaluation_window",
            f'"{fmt_d(m.evaluation_window)}" is longer than the shared evaluation window "{fmt_d(g.window_length)}" '
            f'set by the globals (window_length); try "{fmt_d(g.window_length)}" or less; programme: window outside shared window',
        )
    first_end = m.first_end
    if first_end is None and "first_end" not in failed and g is not None and m.epoch_duration and have("first_start"):
        # Like Programme._aligned_end: the first boundary a whole epoch after the start.
        first_end = g.next_boundary(m.first_start + m.epoch_duration - min(m.epoch_duration, g.cycle_length))
    if have("first_start") and m.first_start > UINT48:
        err("first_start", "is beyond uint48 seconds")
    if first_end is not None and have("first_start"):
        end_key = "first_end" if m.first_end is not None else "first_start"
        if first_end > UINT48:
            err(end_key, "is beyond uint48 seconds (programme: time beyond uint48)")
        if m.first_start >= first_end:
            err(
                end_key,
                f"the first epoch ends {units.format_date(first_end)}, not after it starts "
                f"{units.format_date(m.first_start)} (programme: start not before end)",
            )
        elif g is not None and not g.is_boundary(first_end):
            before_b = g.next_boundary(first_end - 1) - g.cycle_length
            after_b = g.next_boundary(first_end)
            near = [b for b in (before_b, after_b) if b > m.first_start and b >= g.cycle_genesis]
            hint = " or ".join(f'"{units.format_date(b)}"' for b in near) or f'"{units.format_date(g.cycle_genesis)}"'
            err(
                end_key,
                f"{units.format_date(first_end)} is not a decision-cycle boundary (cycles of "
                f"{fmt_d(g.cycle_length)} from {units.format_date(g.cycle_genesis)}; try {hint}; programme: epoch end off cycle)",
            )
    if have("first_start"):
        lead = g.vote_lead if g is not None else DEFAULT_VOTE_LEAD
        earliest = now + lead
        if m.first_start < earliest:
            suggestion = earliest - earliest % units.DAY + units.DAY  # the next midnight after it
            err(
                "first_start",
                f"{units.format_date(m.first_start)} is before {units.format_date(earliest)}, the earliest start that survives "
                f"a vote started now (voting delay, voting period and timelock: {fmt_d(lead)}; globals.vote_lead); "
                f'try "{units.format_date(suggestion)}" (programme: start in the past)',
            )

    # Outcomes and bounds.
    if have("max_epochs") and not 1 <= m.max_epochs <= UINT16:
        err("max_epochs", f"{m.max_epochs} is outside 1..65535 (programme: bad max epochs)")
    if have("iterate_bound") and m.iterate_bound > BPS:
        err(
            "iterate_bound",
            f'"{units.format_bps(m.iterate_bound)}" is above 100%: ITERATE moves the cap by at most its whole size '
            '(try "20%"; programme: iterate bound above 100%)',
        )
    if have("metadata_uri") and len(m.metadata_uri.encode("utf-8", "replace")) > MAX_URI:
        err(
            "metadata_uri",
            f"is {len(m.metadata_uri.encode('utf-8', 'replace'))} bytes; at most {MAX_URI} fit on chain (point to a file instead)",
        )

    # Pause condition.
    oracle, comparator, threshold, max_pause, oracle_max_age = ZERO, None, 0, 0, 0
    if m.pause is not None:
        p = m.pause
        pbase = ("pause",)
        max_pause = p.max_pause or 0
        if max_pause > UINT48:
            err(pbase + ("max_pause",), "is longer than uint48 seconds")
        if p.oracle not in (None, ZERO):
            oracle = p.oracle
            if p.comparator is None:
                err(pbase + ("oracle",), 'an oracle needs `comparator` (">", ">=", "<" or "<=") and `threshold`')
            if p.threshold is None:
                err(pbase + ("oracle",), 'an oracle needs `threshold` (in the feed\'s unit, e.g. "1850.5")')
            if p.oracle_max_age is None:
                err(
                    pbase + ("oracle",),
                    'an oracle needs `oracle_max_age`, the oldest answer that counts (e.g. "1d" for a feed that '
                    "updates at least daily; an older answer never ends a pause)",
                )
            elif p.oracle_max_age is not None and not 0 < p.oracle_max_age <= UINT48:
                what = "must be longer than zero" if p.oracle_max_age == 0 else "is longer than uint48 seconds"
                err(pbase + ("oracle_max_age",), f'{what} (try "1d"; programme: bad oracle max age)')
            elif p.oracle_max_age is not None:
                oracle_max_age = p.oracle_max_age
            comparator = p.comparator
            if p.threshold is not None:
                scaled = p.threshold * (Decimal(10) ** vocab.THRESHOLD_DECIMALS)
                if scaled != scaled.to_integral_value():
                    err(pbase + ("threshold",), f"has more than {vocab.THRESHOLD_DECIMALS} decimals")
                elif scaled <= 0:
                    err(pbase + ("threshold",), "must be more than zero: only a positive answer counts")
                elif int(scaled) > INT256_MAX:
                    err(pbase + ("threshold",), f"is above int256 at {vocab.THRESHOLD_DECIMALS} decimals")
                else:
                    threshold = int(scaled)
        elif p.comparator is not None or p.threshold is not None or p.oracle_max_age is not None:
            key = next(k for k in ("comparator", "threshold", "oracle_max_age") if getattr(p, k) is not None)
            err(pbase + (key,), "needs an `oracle` (without one, a pause waits for a vote)")

    params = _kind_params(m, err, failed)

    # Dials.
    dials = []
    for dname, d in (m.dials or {}).items():
        dkey = ("dials", dname)
        if dname not in KNOWN_DIALS:
            close = difflib.get_close_matches(dname, list(KNOWN_DIALS), n=1)
            err(
                dkey,
                f'the mechanisms have no dial "{dname}" (known: {", ".join(KNOWN_DIALS)}'
                + (f'; did you mean "{close[0]}"?)' if close else ")"),
            )
            continue
        top = KNOWN_DIALS[dname]
        bps = units.format_bps
        if not d.lower <= d.initial <= d.upper:
            err(
                dkey + ("initial",),
                f"{bps(d.initial)} is outside lower..upper ({bps(d.lower)}..{bps(d.upper)}; programme: dial outside bounds)",
            )
        if d.upper > top:
            err(dkey + ("upper",), f"{bps(d.upper)} is above the most the mechanism accepts ({bps(top)})")
        if d.step > d.upper:
            err(dkey + ("step",), f"{bps(d.step)} is larger than upper ({bps(d.upper)})")
        if d.cooldown > UINT48:
            err(dkey + ("cooldown",), "is longer than uint48 seconds")
        dials.append(Dial(dname, d.initial, d.lower, d.upper, d.step, d.cooldown))
    if len(m.dials or {}) > MAX_DIALS:
        err("dials", f"{len(m.dials or {})} dials; a programme holds at most {MAX_DIALS}")
    if m.dials and m.steward in (None, ZERO) and m.steward_hat is None and not failed & {"steward", "steward_hat"}:
        err("dials", 'dials need a `steward = "0x…"` (or a `steward_hat`) who may turn them (programme: dials need a steward)')

    # Later epochs: ends stay aligned only if an epoch lasts a whole number of cycles.
    if (
        g is not None
        and have("max_epochs", "epoch_duration")
        and m.max_epochs > 1
        and m.epoch_duration
        and m.epoch_duration % g.cycle_length
    ):
        actual = g.next_boundary(g.cycle_genesis + m.epoch_duration - min(m.epoch_duration, g.cycle_length)) - g.cycle_genesis
        warn.error(
            base + ("epoch_duration",),
            f'"{fmt_d(m.epoch_duration)}" is not a whole number of {fmt_d(g.cycle_length)} cycles; later epochs end on the '
            f"next boundary, so each lasts {fmt_d(actual)} with its cap prorated",
        )

    if failed or len(src.problems) > before or first_end is None or g is None or target is None:
        return None
    return Programme(
        name=name,
        kind=m.kind,
        target=target,
        epoch_cap=m.epoch_cap,
        first_start=m.first_start,
        first_end=first_end,
        epoch_duration=m.epoch_duration,
        window_length=m.evaluation_window,
        guardian=m.guardian or ZERO,
        guardian_hat=m.guardian_hat or 0,
        steward_hat=m.steward_hat or 0,
        default_outcome=m.default_outcome,
        max_epochs=m.max_epochs,
        iterate_cap_bps=m.iterate_bound,
        steward=m.steward or ZERO,
        oracle=oracle,
        comparator=comparator,
        threshold=threshold,
        max_pause=max_pause,
        oracle_max_age=oracle_max_age,
        metadata_uri=m.metadata_uri,
        dials=tuple(dials),
        description=m.description,
        research_questions=m.research_questions,
        kpis=m.kpis,
        params=params,
    )


# The kinds that take parameters: the table that holds them, and how it is checked and encoded.
_PARAM_TABLES = {"kpi_stream": "kpi", "checkpoints": "checkpoints", "bounty": "bounty"}
# The kinds whose recipients enter or claim, and so may be gated (spec key `gate`).
_GATED_KINDS = ("staking", "checkpoints", "bounty")


def _kind_params(m: Any, err: Callable[..., None], failed: Collection[str]) -> bytes:
    """The kind's parameters table checked as its contract's `initialize` checks it, encoded as
    the spec's `params`; b"" for kinds without parameters. A table on the wrong kind is an error."""
    for kind, table in _PARAM_TABLES.items():
        if m.kind != kind and getattr(m, table) is not None:
            noun = kinds.get(m.kind).noun if m.kind else "programme"
            err((table,), f'belongs to {kinds.get(kind).plural} (kind = "{kind}"), not to a {noun}')
    gate = m.gate or ZERO
    if m.gate == ZERO:
        err(("gate",), "is the zero address: leave `gate` out for a programme anyone may use")
    elif m.gate and m.kind not in _GATED_KINDS:
        noun = kinds.get(m.kind).noun if m.kind else "programme"
        err(("gate",), f"a {noun} takes no eligibility gate: who it pays is fixed by the vote (gated: {', '.join(_GATED_KINDS)})")
    if m.kind == "staking":
        return bytes(12) + bytes.fromhex(gate[2:]) if int(gate, 16) else b""
    if m.kind == "kpi_stream":
        return _kpi_params(m, err, failed)
    if m.kind == "checkpoints":
        return _checkpoint_params(m, err, failed)
    if m.kind == "bounty":
        return _bounty_params(m, err, failed)
    return b""


class _Table:
    """One kind's parameters table under check: its problems go to `err` under the table's
    key, and are counted so the caller encodes nothing when there were any."""

    def __init__(self, key: str, err: Callable[..., None]):
        self.key, self.err, self.problems = key, err, 0

    def bad(self, path: tuple, message: str) -> None:
        self.problems += 1
        self.err((self.key,) + path, message)


def _bounty_params(m: Any, err: Callable[..., None], failed: Collection[str]) -> bytes:
    """[programme.NAME.bounty] checked as ResearchBounty.initialize checks it."""
    if m.bounty is None:
        if "bounty" not in failed:
            err(("kind",), "a research bounty needs a [programme.NAME.bounty] table: scoring_period, duplicate_decay, deposit")
        return b""
    t = m.bounty
    table = _Table("bounty", err)
    bad = table.bad

    if t.scoring_period is None:
        bad(("scoring_period",), 'is required: how long before each epoch\'s end submissions close for judging (e.g. "14d")')
    elif not bounty_kind.MIN_SCORING_PERIOD <= t.scoring_period <= UINT48:
        bad(("scoring_period",), f"must be at least {units.format_duration(bounty_kind.MIN_SCORING_PERIOD)}")
    elif m.epoch_duration is not None and t.scoring_period >= m.epoch_duration:
        bad(
            ("scoring_period",),
            f"must be shorter than the epoch ({units.format_duration(m.epoch_duration)}): nobody could submit",
        )
    if t.duplicate_decay is None:
        bad(("duplicate_decay",), 'is required: the share a finding keeps per duplicate beyond the first (e.g. "90%")')
    elif t.duplicate_decay >= 10_000:
        bad(
            ("duplicate_decay",),
            "must be below 100%: otherwise filing one finding from many addresses pays as much as filing it once",
        )
    deposit = 0
    if t.deposit is None:
        bad(
            ("deposit",),
            'is required: the native currency each submission posts (e.g. "0.01"; "0" for none), returned if it earns points',
        )
    else:
        scaled = t.deposit * (Decimal(10) ** 18)
        if scaled != scaled.to_integral_value() or scaled < 0:
            bad(("deposit",), "must be a non-negative number with at most 18 decimals")
        elif int(scaled) > bounty_kind.MAX_DEPOSIT:
            bad(("deposit",), "is too large")
        else:
            deposit = int(scaled)
    judges = t.judges or []
    if len(judges) > bounty_kind.MAX_JUDGES:
        bad(("judges",), f"{len(judges)} judges; at most {bounty_kind.MAX_JUDGES} besides `judge` (or give them a judge_hat)")
    for i, judge in enumerate(judges):
        if judge in (None, ZERO):
            bad(("judges", i), "is the zero address")
    if table.problems:
        return b""
    return bounty_kind.encode_params(
        t.scoring_period, t.duplicate_decay, deposit, t.judge_hat or 0, [j or ZERO for j in judges], gate=m.gate or ZERO
    )


def _checkpoint_params(m: Any, err: Callable[..., None], failed: Collection[str]) -> bytes:
    """[programme.NAME.checkpoints] checked as ImpactCheckpoints.initialize checks it."""
    if m.checkpoints is None:
        if "checkpoints" not in failed:
            err(("kind",), "a checkpoint programme needs a [programme.NAME.checkpoints] table: period, dispute_window, bond")
        return b""
    t = m.checkpoints
    table = _Table("checkpoints", err)

    def bad(path: str, message: str) -> None:
        table.bad((path,), message)

    hour = units.format_duration(cp_kind.MIN_PERIOD)
    period_ok = t.period is not None and cp_kind.MIN_PERIOD <= t.period <= UINT48
    if t.period is None:
        bad("period", 'is required: the time between two checkpoints of an epoch (e.g. "30d"; the epoch end is always one)')
    elif not cp_kind.MIN_PERIOD <= t.period <= UINT48:
        bad("period", f"must be at least {hour}" if t.period < cp_kind.MIN_PERIOD else "is longer than uint48 seconds")
    elif m.epoch_duration is not None and t.period > m.epoch_duration:
        bad(
            "period",
            f"is longer than the epoch ({units.format_duration(m.epoch_duration)}): only the epoch end would be a checkpoint",
        )
    if t.dispute_window is None:
        bad("dispute_window", 'is required: how long a posted root can be challenged (e.g. "3d")')
    elif t.dispute_window < cp_kind.MIN_PERIOD:
        bad("dispute_window", f"must be at least {hour}")
    elif period_ok and t.dispute_window >= t.period:
        bad(
            "dispute_window",
            f"must be shorter than the period ({units.format_duration(t.period)}): a root must settle before the next",
        )
    bond = 0
    if t.bond is None:
        bad("bond", 'is required: the native currency a challenge posts (e.g. "0.5"), returned if the challenge is upheld')
    else:
        scaled = t.bond * (Decimal(10) ** 18)
        if scaled != scaled.to_integral_value() or scaled <= 0:
            bad("bond", "must be more than zero, with at most 18 decimals: a free challenge lets anyone freeze every root")
        elif int(scaled) > cp_kind.MAX_BOND:
            bad("bond", "is too large")
        else:
            bond = int(scaled)
    if table.problems:
        return b""
    return cp_kind.encode_params(t.period, t.dispute_window, bond, gate=m.gate or ZERO)


def _kpi_params(m: Any, err: Callable[..., None], failed: Collection[str]) -> bytes:
    """A kpi_stream's [programme.NAME.kpi] table checked as KpiStream.initialize checks it,
    encoded as its `params`."""
    if m.kpi is None:
        if "kpi" not in failed:
            err(("kind",), "a KPI stream needs a [programme.NAME.kpi] table: max_gap and one [[…kpi.candidate]] per candidate")
        return b""
    k = m.kpi
    table = _Table("kpi", err)
    bad = table.bad

    if k.max_gap is None:
        bad(("max_gap",), 'is required: the longest interval between two readings that still pays (e.g. "6h")')
    elif not 0 < k.max_gap <= UINT48:
        bad(("max_gap",), "must be longer than zero" if k.max_gap == 0 else "is longer than uint48 seconds")
    elif m.epoch_duration is not None and k.max_gap > m.epoch_duration:
        bad(
            ("max_gap",),
            f"is longer than the epoch ({units.format_duration(m.epoch_duration)}): readings that far apart never pay",
        )
    candidates = k.candidate or []
    if not candidates:
        bad(("candidate",), "needs at least one [[programme.NAME.kpi.candidate]] (recipient, subject or reader, threshold)")
    if len(candidates) > kpi_kind.MAX_CANDIDATES:
        bad(("candidate",), f"{len(candidates)} candidates; a KPI stream holds at most {kpi_kind.MAX_CANDIDATES}")
    out = []
    for i, c in enumerate(candidates):
        at = ("candidate", i)
        if c.recipient in (None, ZERO):
            bad(at + ("recipient",), "is required: who is paid while this candidate holds the KPI (not the zero address)")
        if c.read not in kpi_kind.READERS:
            bad(at + ("read",), f'must be one of {", ".join(kpi_kind.READERS)}, not "{c.read}"')
            continue
        if c.read == "balance" and c.subject in (None, ZERO):
            bad(at + ("subject",), 'is required with read = "balance": whose balance of the asset counts')
        if c.read in ("feed", "view") and c.reader in (None, ZERO):
            bad(
                at + ("reader",),
                f'is required with read = "{c.read}": the {"AggregatorV3 feed" if c.read == "feed" else "contract to call"}',
            )
        selector = b"\0\0\0\0"
        if c.read == "view":
            if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*\(\)", c.function):
                bad(at + ("function",), 'is required with read = "view": a function taking no arguments, e.g. "totalAssets()"')
            else:
                selector = keccak(text=c.function)[:4]
        if c.threshold is None:
            bad(at + ("threshold",), 'is required: the KPI holds at or above it (e.g. "1000")')
            continue
        decimals = 18 if c.read == "feed" else c.decimals
        scaled = c.threshold * (Decimal(10) ** decimals)
        if scaled != scaled.to_integral_value() or scaled < 0:
            bad(at + ("threshold",), f"must be a non-negative number with at most {decimals} decimals")
            continue
        if int(scaled) > (INT256_MAX if c.read == "feed" else 2**256 - 1):
            bad(at + ("threshold",), "is too large")
            continue
        out.append(
            kpi_kind.KpiCandidate(
                c.recipient or ZERO,
                c.read,
                subject=c.subject or ZERO,
                reader=c.reader or ZERO,
                selector=selector,
                threshold=int(scaled),
            )
        )
    if table.problems:
        return b""
    return kpi_kind.encode_params(k.max_gap or 0, out)


def _peak(intervals: list[tuple[int, int, int]], start: int, end: int) -> tuple[int, int, int]:
    """Highest aggregate rate in [start, end) over (start, end, rate) intervals, and the span
    [from, to) where it first holds. Checked at every interval boundary inside the range."""
    points = sorted({start} | {t for s, e, _ in intervals for t in (s, e) if start < t < end})
    best, best_at, best_to = 0, start, end
    for i, t in enumerate(points):
        rate = sum(r for s, e, r in intervals if s <= t < e)
        if rate > best:
            best, best_at = rate, t
            best_to = points[i + 1] if i + 1 < len(points) else end
    return best, best_at, best_to


def _check_budget(
    programmes: list[tuple[Programme, tuple]], g: GlobalParams, admitted: list[AdmittedEpoch], committed: int, src: _Source
) -> None:
    """Allocation, share and rate, for each programme in the order the factory creates them, as
    the Budget checks them: the first epoch's admission (its cap against the allocation and the
    share, its rate over the epoch), then the hold for its later epochs (the reserve against
    the allocation, the held rate from the first end on, with no end). A programme that breaks
    a rule is left out of what later ones are checked against."""
    intervals = [(e.start, e.end, e.rate) for e in admitted]
    date = units.format_date
    for p, base in programmes:
        key = base + ("epoch_cap",)
        ok = True
        remaining = max(0, g.allocation - committed)
        total = p.lifetime_cap
        if committed + total > g.allocation:
            ok = False
            if p.holds:
                what = f'"{g.short(p.epoch_cap)}" per epoch, the first and {p.max_epochs - 1} more held for its later epochs ({g.amount(total)}),'
                hint = f'at most "{g.amount_down(remaining // p.max_epochs)}" per epoch fits, or fewer max_epochs'
            else:
                what = f'"{g.short(p.epoch_cap)}"'
                hint = f'at most "{g.amount(remaining)}" is left'
            src.error(
                key,
                f"{what} would bring the committed total to {g.amount(committed + total)}, above the allocation "
                f"{g.amount(g.allocation)} ({hint}; budget: allocation exceeded)",
            )
        elif p.epoch_cap * BPS > remaining * g.max_share_bps:
            ok = False
            src.error(
                key,
                f'"{g.short(p.epoch_cap)}" is more than {units.format_bps(g.max_share_bps)} (max_share) of the remaining '
                f'allocation {g.amount(remaining)} (try at most "{g.amount_down(remaining * g.max_share_bps // BPS)}"; budget: share above limit)',
            )
        rate = p.first_rate
        peak, at, to = _peak(intervals, p.first_start, p.first_end)
        if peak + rate > g.inflation_threshold:
            ok = False
            room = max(0, g.inflation_threshold - peak) * (p.first_end - p.first_start)
            already = f"with {g.rate(peak)} already scheduled " if peak else ""
            src.error(
                key,
                f'"{g.short(p.epoch_cap)}" over {date(p.first_start)} → {date(p.first_end)} emits {g.rate(rate)}; '
                f"{already}the aggregate reaches {g.rate(peak + rate)} from {date(at)} to {date(to)}, above the "
                f'inflation threshold {g.rate(g.inflation_threshold)} (at most "{g.amount_down(room)}" fits; budget: rate above threshold)',
            )
        held = p.held_rate
        if ok and held > MAX_HOLD_RATE:
            ok = False
            src.error(
                key,
                f'"{g.short(p.epoch_cap)}" per {units.format_duration(p.epoch_duration)} is {g.rate(held)}, more than the '
                f"Budget can hold for later epochs ({g.rate(MAX_HOLD_RATE)}; budget: held rate above uint80)",
            )
        if ok and held:
            peak, at, to = _peak(intervals + [(p.first_start, p.first_end, rate)], p.first_end, UINT48)
            if peak + held > g.inflation_threshold:
                ok = False
                room = max(0, g.inflation_threshold - peak) * p.epoch_duration
                src.error(
                    key,
                    f'"{g.short(p.epoch_cap)}" per {units.format_duration(p.epoch_duration)} is {g.rate(held)}, held from '
                    f"{date(p.first_end)} on for the later epochs; with {g.rate(peak)} already scheduled or held from "
                    f"{date(at)} the aggregate would reach {g.rate(peak + held)}, above the inflation threshold "
                    f'{g.rate(g.inflation_threshold)} (at most "{g.amount_down(room)}" per epoch fits, or max_epochs = 1; '
                    "budget: rate above threshold)",
                )
        if ok:
            committed += total
            intervals.append((p.first_start, p.first_end, rate))
            if held:
                intervals.append((p.first_end, UINT48, held))


def _epoch_ends(p: Programme, g: GlobalParams) -> list[int]:
    """Ends of the programme's epochs, assuming it continues to max_epochs (Programme._aligned_end)."""
    ends = [p.first_end]
    for _ in range(min(p.max_epochs, MAX_PROJECTED_EPOCHS) - 1):
        start = ends[-1]
        end = g.next_boundary(start + p.epoch_duration - min(p.epoch_duration, g.cycle_length))
        if end > UINT48:
            break
        ends.append(end)
    return ends


def _check_load(programmes: list[tuple[Programme, tuple]], g: GlobalParams, admitted: list[AdmittedEpoch], src: _Source) -> None:
    """Decisions per evaluation window: the epochs that end on the same cycle boundary."""
    windows: dict[int, list[tuple[str, tuple | None, int]]] = {}
    for e in admitted:
        if g.is_boundary(e.end):
            windows.setdefault(e.end, []).append((e.name, None, 0))
    for p, base in programmes:
        for number, end in enumerate(_epoch_ends(p, g), 1):
            windows.setdefault(end, []).append((p.name, base, number))
    over = [(b, items) for b, items in sorted(windows.items()) if len(items) > g.load_limit]
    for boundary, items in over[:MAX_LOAD_REPORTS]:
        culprit = next((item for item in items[g.load_limit :] if item[1] is not None), None)
        if culprit is None:
            continue
        _, where, number = culprit
        assert where is not None  # the culprit is one of the spec's own programmes
        key = where + (("first_end",) if number == 1 else ("max_epochs",))
        names = ", ".join(name if n <= 1 else f"{name} (epoch {n})" for name, _, n in items)
        last = len(over) > MAX_LOAD_REPORTS and boundary == over[MAX_LOAD_REPORTS - 1][0]
        later = f" ({len(over) - MAX_LOAD_REPORTS} more windows are overloaded too)" if last else ""
        src.error(
            key,
            f"the evaluation window {units.format_date(boundary - g.window_length)} → {units.format_date(boundary)} would ask "
            f"delegates for {len(items)} decisions, above the load limit {g.load_limit}: {names} "
            f"(end some epochs on another boundary, or lower max_epochs){later}",
        )


# --- explaining ------------------------------------------------------------------------------


def summarize(spec: SpecFile) -> list[str]:
    """A short readable account of a valid spec, in human units."""
    g = spec.globals
    d, date, bps = units.format_duration, units.format_date, units.format_bps
    out = [
        f"globals ({spec.globals_source}): token {g.token} ({g.decimals} decimals); threshold {g.rate(g.inflation_threshold)}; "
        f"allocation {g.amount(g.allocation)}; max share {bps(g.max_share_bps)} of what remains; "
        f"decision cycle {d(g.cycle_length)} from {date(g.cycle_genesis)}, window {d(g.window_length)}; "
        f"load limit {g.load_limit} decisions per window",
    ]
    if spec.already_admitted or spec.committed:
        out.append(f"already admitted: {_n(len(spec.already_admitted), 'epoch')}, {g.amount(spec.committed)} committed")
    committed = spec.committed
    for p in spec.programmes:
        target = kinds.get(p.kind).target_label
        out.append("")
        out.append(f"programme {p.name}: {p.kind}, {target} {p.target}" + (f" — {p.description}" if p.description else ""))
        first = p.first_end - p.first_start
        out.append(
            f"  cap {g.amount(p.epoch_cap)} per epoch of {d(p.epoch_duration)}; first epoch {date(p.first_start)} → "
            f"{date(p.first_end)} ({d(first)}) at {g.rate(p.first_rate)}"
        )
        later = f"up to {p.max_epochs} epochs" if p.max_epochs > 1 else "one epoch"
        out.append(
            f"  evaluation window {d(p.window_length)} (opens {date(p.first_end - p.window_length)}); {later}; "
            f"default {p.default_outcome}; "
            + (f"ITERATE within ±{bps(p.iterate_cap_bps)}" if p.iterate_cap_bps else "no ITERATE (bound 0%)")
        )
        guardian = f"wearers of hat {p.guardian_hat:#066x}" if p.guardian_hat else p.guardian
        steward = f"wearers of hat {p.steward_hat:#066x}" if p.steward_hat else (p.steward if p.steward != ZERO else "")
        people = f"  guardian {guardian}" + (f", steward {steward}" if steward else "")
        out.append(people)
        if p.oracle != ZERO:
            out.append(
                f"  pause ends when oracle {p.oracle} answers {p.comparator} {units.format_fixed(p.threshold, vocab.THRESHOLD_DECIMALS)} "
                f"(in the feed's unit, whatever its decimals; answers older than {d(p.oracle_max_age)} do not count), "
                f"or after {d(p.max_pause) if p.max_pause else 'no limit'}"
            )
        elif p.max_pause:
            out.append(f"  a pause waits for a vote, at most {d(p.max_pause)}")
        for dial in p.dials:
            out.append(
                f"  dial {dial.name}: {bps(dial.initial)} within {bps(dial.lower)}..{bps(dial.upper)}, "
                f"step {bps(dial.step)}, cooldown {d(dial.cooldown)}"
            )
        if p.research_questions or p.kpis:
            out.append(f"  {_n(len(p.research_questions), 'research question')}, {_n(len(p.kpis), 'KPI')}")
        if p.kind == "kpi_stream" and p.params:
            gap, count = int.from_bytes(p.params[:32], "big"), int.from_bytes(p.params[64:96], "big")
            out.append(f"  {_n(count, 'candidate')} compete for the KPI; readings at most {units.format_duration(gap)} apart pay")
        if p.kind == "staking" and p.params:
            out.append(f"  stakers must pass eligibility gate {to_checksum_address(p.params[12:32])}")
        if p.kind == "bounty" and p.params:
            period, decay, deposit, hat, gate, extra = bounty_kind.decode_params(p.params)
            judges = f"{_n(len(extra) + 1, 'judge')}" + (" and the judge hat's wearers" if hat else "")
            if int(gate, 16):
                judges += f"; authors must pass gate {gate}"
            out.append(
                f"  submissions close {units.format_duration(period)} before each epoch end; {judges}; "
                f"a duplicate keeps {units.format_bps(decay)} per extra filing; deposit {units.format_fixed(deposit, 18)} ETH"
            )
        if p.kind == "checkpoints" and p.params:
            period, window, bond, gate = cp_kind.decode_params(p.params)
            out.append(
                f"  a checkpoint every {units.format_duration(period)} and at the epoch end; each root can be challenged "
                f"for {units.format_duration(window)} with a {units.format_fixed(bond, 18)} ETH bond"
                + (f"; claimants must pass gate {gate}" if int(gate, 16) else "")
            )
        committed += p.lifetime_cap
    intervals = [(e.start, e.end, e.rate) for e in spec.already_admitted] + [
        (p.first_start, p.first_end, p.first_rate) for p in spec.programmes
    ]
    start = min(s for s, _, _ in intervals)
    end = max(e for _, e, _ in intervals)
    intervals += [(e.start, e.end, e.rate) for e in spec.held]
    intervals += [(p.first_end, UINT48, p.held_rate) for p in spec.programmes if p.held_rate]
    peak, at, _ = _peak(intervals, start, end)
    out.append("")
    out.append(
        f"after admission: {g.amount(committed)} committed of {g.amount(g.allocation)} "
        f"({_pct(committed, g.allocation)}, reserves held for later epochs included); peak rate scheduled or held {g.rate(peak)} from {date(at)}, "
        f"{_pct(peak, g.inflation_threshold)} of the threshold"
    )
    windows: dict[int, list[str]] = {}
    for p in spec.programmes:
        windows.setdefault(p.first_end, []).append(p.name)
    for boundary, names in sorted(windows.items()):
        out.append(
            f"first decisions: window {date(boundary - g.window_length)} → {date(boundary)}: "
            f"{', '.join(names)} ({len(names)} of {g.load_limit})"
        )
    return out


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")


def _pct(part: int, whole: int) -> str:
    if whole == 0:
        return "n/a"
    return f"{units._trim(Decimal(part) * 100 / Decimal(whole))}%"


# --- the example `tpp init` writes ------------------------------------------------------------

GUARDIAN_PLACEHOLDER = "0x6000000000000000000000000000000000000006"
STEWARD_PLACEHOLDER = "0x5000000000000000000000000000000000000005"
RECIPIENT_PLACEHOLDER = "0x1000000000000000000000000000000000000001"
STAKE_TOKEN_PLACEHOLDER = "0x2000000000000000000000000000000000000002"


def example_spec(now: int | None = None) -> str:
    """A commented spec that `tpp check` accepts: two programmes whose first epochs start on
    the next decision-cycle boundary after `now` (default: the clock)."""
    genesis = units.parse_date("2026-01-01")
    cycle = 90 * units.DAY
    now = int(time.time()) if now is None else now
    g = GlobalParams(10 * 10**18, 1_000_000_000 * 10**18, 2_500, genesis, cycle, 14 * units.DAY, 8)
    start = g.next_boundary(now)
    end = g.next_boundary(start)
    return f'''\
# A tpp programme spec: one or more programmes one vote creates, in the order the factory
# creates them (and the Budget admits their first epochs). Check it with `tpp check FILE`.
#
# Units: amounts carry the token symbol ("10_000_000 ZK", "2.5m ZK", "1.5k ZK") or "wei";
# durations "90d", "2w", "36h", "45m", "30s"; dates ISO 8601 ("2027-01-01", UTC unless a
# zone is given); rates "10 ZK/s", "1.5m ZK/month" (a month is 30 days), "50k ZK/day";
# shares "25%" or "2500 bps". Every address below is a PLACEHOLDER: put in your own.

title = "Example programmes"

# The Budget's global parameters (set by GAP votes). Instead of this table you can write
# globals = "globals.toml"   (a file with the same keys, relative to this one).
[globals]
token = "ZK"                          # symbol every amount is written in (18 decimals)
decimals = 18
inflation_threshold = "10 ZK/s"       # most all programmes together may emit per second
allocation = "1_000_000_000 ZK"       # lifetime sum of admitted epoch caps
max_share = "25%"                     # largest share of the remaining allocation per epoch
cycle_genesis = "{units.format_date(genesis)}"        # first decision-cycle boundary
cycle_length = "{units.format_duration(cycle)}"                 # epochs end on genesis + k x cycle_length
window_length = "14d"                 # shared evaluation window before each boundary
load_limit = 8                        # most decisions one window may ask of delegates

# Epochs the Budget admitted before these (optional; they count in rate and allocation).
# [[already_admitted]]
# name = "earlier-grant"
# cap = "5m ZK"
# start = "2026-01-01"
# end = "2026-07-01"

[programme.builders-stream]
kind = "stream"                       # "stream" (one recipient) or "staking" (LP stakers)
description = "Streams to the builders' accountable multisig"
recipient = "{RECIPIENT_PLACEHOLDER}"   # placeholder: the multisig (a Safe)
epoch_cap = "2m ZK"                   # per full-length epoch; unused cap is never minted
first_start = "{units.format_date(start)}"
first_end = "{units.format_date(end)}"             # on a cycle boundary (may be left out: computed)
epoch_duration = "90d"                # later epochs (a whole number of cycles)
evaluation_window = "14d"             # last part of each epoch in which delegates decide
default_outcome = "STOP"              # without a decision: "STOP" or "CONTINUE"
max_epochs = 4
iterate_bound = "20%"                 # an ITERATE may move the cap by at most this
steward = "{STEWARD_PLACEHOLDER}"     # placeholder: turns the dials
guardian = "{GUARDIAN_PLACEHOLDER}"     # placeholder: may halt emission at once
metadata_uri = "ipfs://example-placeholder"
research_questions = ["Does a steady stream ship more than milestone grants?"]
kpis = ["merged pull requests per month", "monthly active contracts deployed"]

[programme.builders-stream.pause]     # optional: how a PAUSE ends
max_pause = "60d"                     # no oracle: a vote resumes it, or it stops after 60d
# oracle = "0x…"                      # or an AggregatorV3 feed ends it when its answer …
# comparator = ">="                   # … compares so with
# threshold = "1850.5"                # this, in the feed's unit (whatever its decimals),
# oracle_max_age = "1d"               # counting only answers at most this old

[programme.builders-stream.dials.throttle_bps]
initial = "100%"                      # share of the unlocking emission passed on
lower = "50%"
upper = "100%"
step = "10%"                          # largest move at once
cooldown = "7d"                       # between two moves

[programme.eth-pool]
kind = "staking"
description = "Rewards stakers of the ZK/ETH LP token"
stake_token = "{STAKE_TOKEN_PLACEHOLDER}"  # placeholder: the LP token stakers deposit
epoch_cap = "6m ZK"
first_start = "{units.format_date(start)}"
epoch_duration = "90d"
evaluation_window = "14d"
default_outcome = "CONTINUE"
max_epochs = 2
iterate_bound = "25%"
guardian = "{GUARDIAN_PLACEHOLDER}"
research_questions = ["Does the pool keep depth when rewards drop by a quarter?"]
kpis = ["pool depth at 2% slippage", "share of volume routed through the pool"]
'''


# --- shared with other TOML formats (tpp.sim.scenario) ----------------------------------------
# Public names for the machinery above, so other files written in human units report their
# problems the same way (file:line field: message). Aliases only: nothing here changes a check.

read_toml = _read_toml
Source = _Source
field_name = _field_name
partial_model = _partial
parse_whole = _whole
check_budget = _check_budget
check_load = _check_load
