"""Scenario files for the war-gaming simulator: read, validate, expand into Monte Carlo runs.

A scenario names the programme specs to run (the files `tpp check` reads, relative to the
scenario), how long and in what steps to simulate them, the market the token trades in, the
keeper, the delegates and the agent populations that meet the programmes; an optional
``[sweep]`` lists parameter values to try (their Cartesian product) and how many seeds to run
each set with. Values are written in human units as in specs ("180d", "80%", "5_000 LP").

Every problem is reported at once, as ``file:line field: message`` (`tpp.spec.Problem`): the
scenario's own, and each spec file's. `check_scenario` returns them; `load_scenario` raises
`tpp.spec.SpecError` with them. A sweep is checked set by set: a value that makes a set
invalid is reported at the line of its sweep parameter, naming the value.

Overrides (``{"market.volatility": "40%"}``, values as written in TOML) replace fields of the
file before it is checked; `expand_sweep` turns a scenario into the runs of its sweep, each
with the overrides (and seed) `load_scenario` takes to build that run's scenario.

Inside, everything is plain frozen dataclasses: amounts in wei, times in unix seconds,
durations in seconds, percentages as fractions (0.8 for "80%") except the ITERATE step, which
is signed basis points like the contracts take.
"""

from __future__ import annotations

import copy
import datetime as _dt
import difflib
import itertools
import math
import os
import re
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Optional, cast

from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationError, ValidationInfo

from tpp.base import units
from tpp.base.units import DAY, UnitError
from tpp.model import impact, kinds
from tpp.model.kinds import bounty as bounty_kind
from tpp.model.kinds import kpi_stream as kpi_kind
from tpp.sim.trace import RECIPIENT_KINDS
from tpp.specs import spec as specs
from tpp.specs.spec import GlobalParams, LineIndex, Problem, Programme, SpecError, SpecFile

__all__ = [
    "ENGINES",
    "KINDS",
    "DelegateRule",
    "Delegates",
    "Keeper",
    "Market",
    "Population",
    "RunSpec",
    "Scenario",
    "Scoring",
    "Sweep",
    "check_scenario",
    "expand_sweep",
    "load_scenario",
]

KINDS = RECIPIENT_KINDS  # the agent kinds (every one of them receives emission)
# The mechanism kind each agent kind meets: LP agents stake in pools, KPI candidates compete in
# a KPI stream, builders and wash traders are scored at checkpoints, researchers and duplicate
# filers submit to a bounty.
AGENT_MECHANISM = {
    "loyal_lp": "staking",
    "mercenary": "staking",
    "sybil": "staking",
    "whale": "staking",
    "kpi_holder": "kpi_stream",
    "kpi_flash": "kpi_stream",
    "builder": "checkpoints",
    "wash_trader": "checkpoints",
    "researcher": "bounty",
    "duplicate_filer": "bounty",
}
if set(AGENT_MECHANISM) != set(KINDS):
    raise RuntimeError("scenario: every agent kind meets exactly one mechanism kind (AGENT_MECHANISM)")
# What `capital` is to each kind (researchers and duplicate filers need none).
CAPITAL_MEANS = {
    "staking": "LP tokens it stakes",
    "kpi_stream": "units of the KPI asset it can hold",
    "checkpoints": "LP tokens of activity it sends each active day",
}
ENGINES = ("revm", "pyevm", "anvil")  # in-process revm and py-evm, or a fresh local anvil node per run
LP_SYMBOL = "LP"
LP_DECIMALS = 18  # the simulator's LP tokens are plain 18-decimal ERC-20s
BPS = 10_000
# Fields every population has; the others belong to some kinds only.
COMMON_AGENT_FIELDS = ("name", "kind", "count", "capital", "programme", "spread", "claim_every")
KIND_FIELDS = {
    "loyal_lp": ("join_within",),
    "mercenary": ("hurdle", "exit_below"),
    "sybil": ("hurdle", "exit_below", "addresses"),
    "whale": ("arrive_before_end",),
    "kpi_holder": ("watch",),
    "kpi_flash": (),
    "builder": ("active_share",),
    "wash_trader": ("addresses",),
    "researcher": ("findings", "points"),
    "duplicate_filer": ("addresses", "points", "detected"),
}
# Defaults, in the units the dataclasses hold.
DEFAULT_STEP = DAY
DEFAULT_VOLATILITY = 0.6
DEFAULT_LP_VALUE = 1.0
DEFAULT_DELEGATES = 10
DEFAULT_ATTENDANCE = 0.6
DEFAULT_DECISIONS = 4  # per 30 days, per delegate
DEFAULT_VOTING_POWER = 1_000_000  # whole tokens per delegate
DEFAULT_CONTINUE_BELOW = 0.4
DEFAULT_STOP_ABOVE = 1.5
DEFAULT_ITERATE_BPS = -2_000
DEFAULT_CLAIM_EVERY = 7 * DAY
DEFAULT_HURDLE = 0.25
DEFAULT_ADDRESSES = 10  # per sybil operator and wash trader
DEFAULT_DUPLICATES = 3  # addresses a duplicate filer files one finding from
DEFAULT_POINTS = 50  # judges' points for a researcher's finding (0..100)
DEFAULT_ARRIVE = 7 * DAY
# Sizes beyond which a scenario is surely a typo, refused before anything runs.
MAX_STEPS = 200_000  # steps of one run (a year in steps of ~3 minutes)
MAX_SETS = 10_000  # parameter sets of one sweep (each is checked)
MAX_RUNS = 100_000  # parameter sets x seeds
MAX_BLAME = 6  # sweep parameters up to which a set's problem is traced to the fewest of them
NAME = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")  # out/sim/<name>/
POPULATION = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")


# --- what a valid scenario becomes -------------------------------------------------------------


@dataclass(frozen=True)
class Market:
    """The token price (USD) as seeded geometric Brownian motion, or a pinned path."""

    price: float  # USD per token at the start
    volatility: float  # annualised sigma, as a fraction (0.8 for "80%")
    drift: float  # annualised mu, as a fraction, may be negative
    lp_value: float  # USD per LP token at the start; moves as lp_value * sqrt(price / price0)
    path: tuple[float, ...] | None  # pinned USD price per step (steps + 1 values), or None


@dataclass(frozen=True)
class Keeper:
    enabled: bool  # False: nobody calls advance()
    interval: int  # seconds between two advance() rounds, a multiple of the step


@dataclass(frozen=True)
class DelegateRule:
    """How delegates vote from the programme's reward APR (USD emitted a year / USD staked)."""

    continue_below: float  # APR (fraction) at or under which they vote CONTINUE
    stop_above: float  # APR (fraction) at or over which they vote STOP
    iterate_by_bps: int  # signed cap change voted in between (ITERATE), e.g. -2000


@dataclass(frozen=True)
class Delegates:
    count: int
    attendance: float  # chance (0..1) a delegate shows up in one evaluation window
    decisions_per_month: int  # most decisions one delegate takes per 30 days
    voting_power: int  # wei of the programme token each delegate holds
    rule: DelegateRule


@dataclass(frozen=True)
class Population:
    """One agent population. Fields that do not apply to its kind hold 0 (`addresses`: 1)."""

    name: str
    kind: str  # one of KINDS
    count: int  # agents (sybil: operators)
    capital: int  # LP wei per agent (sybil: per operator, split evenly over its addresses)
    programme: str  # the staking programme it farms
    spread: float  # capital varies uniformly within ±spread (fraction) across agents
    claim_every: int  # seconds between two claims of a staked agent (a multiple of the step)
    join_within: int  # seconds (loyal_lp): joins at a seeded time within this span of the start
    hurdle: float  # APR (fraction) above which mercenaries and sybils enter
    exit_below: float  # APR (fraction) under which they leave
    addresses: int  # addresses per agent: sybil operators, wash traders, duplicate filers several; else 1
    arrive_before_end: int  # seconds (whale): enters this long before each epoch end
    watch: bool = True  # kpi_holder: takes a reading itself after everyone else acted in a step
    active_share: float = 1.0  # builder: chance (0..1) it is active on a given day
    findings: int = 1  # researcher: findings it files per epoch
    points: int = 0  # researcher, duplicate_filer: the judges' points for each finding (0..100)
    detected: float = 1.0  # duplicate_filer: chance (0..1) judges mark each duplicate as one


@dataclass(frozen=True)
class Scoring:
    """How the simulator's scorer scores one checkpoint programme (as `tpp checkpoint score`
    would with a rules file): transfers of the programme's activity token count if they go to
    one of its apps (or to anyone, `apps_only = false`)."""

    min_transactions: int
    min_active_days: int
    metric: str  # volume | transactions | active_days
    max_share_bps: int  # most one account may get of a checkpoint's award
    apps_only: bool


@dataclass(frozen=True)
class Sweep:
    seeds: int  # runs per parameter set: seed, seed + 1, ...
    parameters: dict[str, tuple]  # dotted path -> values as written in the TOML, in file order


@dataclass(frozen=True)
class Scenario:
    path: Path
    name: str
    description: str
    specs: tuple[SpecFile, ...]
    programmes: tuple[Programme, ...]  # every spec's programmes, in file order
    globals: GlobalParams
    start: int  # unix seconds
    horizon: int  # seconds simulated
    step: int  # seconds per step
    seed: int
    engine: str  # "revm" or "pyevm"
    market: Market
    keeper: Keeper
    delegates: Delegates
    populations: tuple[Population, ...]
    scoring: dict[str, Scoring]  # checkpoint programme -> its scorer's rules
    sweep: Sweep | None
    overrides: dict  # the sweep overrides applied to get this scenario ({} for the file as written)

    @property
    def steps(self) -> int:
        return self.horizon // self.step

    @property
    def end(self) -> int:
        return self.start + self.steps * self.step


@dataclass(frozen=True)
class RunSpec:
    """One run of a sweep: `load_scenario(scenario_path, overrides, seed)` builds its scenario."""

    run_id: int  # 0..N-1 over the whole sweep
    set_id: int  # which parameter set (runs of one set differ only in their seed)
    seed: int
    overrides: dict  # dotted path -> value as written
    scenario_path: str  # absolute, so a worker in another directory finds it


# --- field parsers used by the pydantic models -------------------------------------------------


def _show(value: Any) -> str:
    return units._show(value)


def _plain(number: Decimal) -> str:
    """A Decimal without exponent or trailing zeros: 40.0 -> "40", 0.50 -> "0.5"."""
    return f"{number.normalize():f}"


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise UnitError(f"{_show(value)} is not text (write it in quotes)")
    return value


def _flag(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        raise UnitError(f"{_show(value)} is text; write {value.strip().lower()} without quotes")
    raise UnitError(f"{_show(value)} is not true or false")


def _engine(value: Any) -> str:
    if isinstance(value, str) and value.strip().lower() in ENGINES:
        return value.strip().lower()
    close = difflib.get_close_matches(str(value).lower(), ENGINES, n=1) if isinstance(value, str) else []
    hint = f'did you mean "{close[0]}"?' if close else 'try "revm", "pyevm" or "anvil"'
    raise UnitError(f"{_show(value)} is not an engine ({hint})")


# What people call the kinds, for suggestions.
KIND_SYNONYMS = {
    "farmer": "mercenary",
    "farmers": "mercenary",
    "loyal": "loyal_lp",
    "lp": "loyal_lp",
    "sybils": "sybil",
    "whales": "whale",
}


def _kind(value: Any) -> str:
    if isinstance(value, str) and value.strip().lower() in KINDS:
        return value.strip().lower()
    close = difflib.get_close_matches(str(value).lower(), KINDS, n=1) if isinstance(value, str) else []
    if isinstance(value, str) and value.strip().lower() in KIND_SYNONYMS:
        close = [KIND_SYNONYMS[value.strip().lower()]]
    hint = f'did you mean "{close[0]}"?' if close else "one of " + ", ".join(f'"{k}"' for k in KINDS)
    raise UnitError(f"{_show(value)} is not an agent kind ({hint})")


_NUMBER = re.compile(r"[+-]?(?:\d[\d_]*(?:\.[\d_]*)?|\.\d[\d_]*)(?:[eE][+-]?\d+)?")


def _usd(value: Any) -> float:
    """A price in USD: 0.25, 2, "0.25", "$0.25", "1_850.5 USD"."""
    hint = 'write USD, e.g. 0.25 or "0.25"'
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise UnitError(f"{_show(value)} is not a price ({hint})")
    if isinstance(value, str):
        text = value.strip()
        text = text[1:].strip() if text.startswith("$") else text
        text = text[:-3].strip() if text.upper().endswith("USD") else text
        if not _NUMBER.fullmatch(text):
            raise UnitError(f"{_show(value)} is not a price ({hint})")
        value = float(text.replace("_", ""))
    number = float(value)
    if not math.isfinite(number):
        raise UnitError(f"{_show(value)} is not a finite price ({hint})")
    return number


def _usd_path(value: Any) -> tuple[float, ...]:
    if not isinstance(value, list):
        raise UnitError(f"{_show(value)} is not a list of prices (write e.g. [0.25, 0.26, 0.24])")
    out = []
    for i, item in enumerate(value, 1):
        try:
            out.append(_usd(item))
        except UnitError as exc:
            raise UnitError(f"price number {i}: {exc}") from None
    return tuple(out)


_PERCENT = re.compile(r"(?P<sign>[+-]?)\s*(?P<number>\d[\d_]*(?:\.\d+)?|\.\d+)\s*(?P<unit>%|bps|bp)", re.IGNORECASE)


def _percent_bps(value: Any, signed: bool) -> Decimal:
    """A percentage in basis points, exactly: "80%" -> 8000, "-20%" -> -2000, "150 bps" -> 150."""
    hint = 'try "-20%" or "+10%"' if signed else 'try "40%" or "2500 bps"'
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        number = Decimal(str(value))
        raise UnitError(
            f'{_show(value)} is a plain number, not a percentage: write "{_plain(number * 100)}%" '
            f'({_show(value)} as a fraction) or "{_plain(number)}%"'
        )
    if not isinstance(value, str):
        raise UnitError(f"{_show(value)} is not a percentage ({hint})")
    match = _PERCENT.fullmatch(value.strip())
    if not match:
        raise UnitError(f"{_show(value)} is not a percentage ({hint})")
    if match["sign"] == "-" and not signed:
        raise UnitError(f"{_show(value)} is negative; it must be at least 0% ({hint})")
    digits = match["number"].replace("_", "")
    if len(digits) > units.MAX_DIGITS:
        raise UnitError(f"{_show(value)} has too many digits to be a percentage")
    number = Decimal(digits)
    bps = number * 100 if match["unit"] == "%" else number
    return -bps if match["sign"] == "-" else bps


def _fraction(value: Any) -> float:
    return float(_percent_bps(value, signed=False) / BPS)


def _signed_fraction(value: Any) -> float:
    return float(_percent_bps(value, signed=True) / BPS)


def _signed_bps(value: Any) -> int:
    bps = _percent_bps(value, signed=True)
    if bps != bps.to_integral_value():
        raise UnitError(f"{_show(value)} is finer than a basis point (0.01%)")
    return int(bps)


def _amount_of(value: Any, symbol: str, decimals: int, what: str) -> int:
    """Whole tokens of `symbol` in base units: 5000, "5_000", "5k", "5_000 LP", "12 wei"."""
    hint = f'try "5_000 {symbol}" or 5000'
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise UnitError(f"{_show(value)} is not an amount of {symbol} ({hint})")
    if isinstance(value, (int, float)):
        if isinstance(value, float) and not math.isfinite(value):
            raise UnitError(f"{_show(value)} is not an amount of {symbol} ({hint})")
        if value < 0:
            raise UnitError(f"{_show(value)} is negative; {what} is at least 0")
        number = Decimal(str(value)) * Decimal(10) ** decimals
        if number != number.to_integral_value():
            raise UnitError(f"{_show(value)} is finer than 1 wei ({symbol} has {decimals} decimals)")
        return int(number)
    text = value.strip()
    match = units._AMOUNT.fullmatch(text)
    if not match:
        if text.startswith("-"):
            raise UnitError(f"{_show(value)} is negative; {what} is at least 0")
        raise UnitError(f"{_show(value)} is not an amount of {symbol} ({hint})")
    unit = match["unit"]
    if unit is None:
        text, unit = f"{text} {symbol}", symbol
    if unit.lower() not in (symbol.lower(), "wei"):
        raise UnitError(f"{_show(value)} is in {unit}, but {what} is counted in {symbol} ({hint})")
    return units.parse_amount(text, symbol, decimals)


def _lp(value: Any) -> int:
    return _amount_of(value, LP_SYMBOL, LP_DECIMALS, "capital")


def _tokens(value: Any, info: ValidationInfo) -> int:
    ctx = info.context or {}
    token, decimals = ctx.get("token", "ZK"), ctx.get("decimals", 18)
    return _amount_of(value, token, decimals, "voting power")


def _v(func):
    return BeforeValidator(func)


Text = Annotated[str, _v(_text)]
OptText = Annotated[Optional[str], _v(_text)]
Whole = Annotated[int, _v(specs.parse_whole)]
OptWhole = Annotated[Optional[int], _v(specs.parse_whole)]
Flag = Annotated[bool, _v(_flag)]
Engine = Annotated[str, _v(_engine)]
AgentKind = Annotated[str, _v(_kind)]
Duration = Annotated[int, _v(units.parse_duration)]
OptDuration = Annotated[Optional[int], _v(units.parse_duration)]
OptDate = Annotated[Optional[int], _v(units.parse_date)]
Usd = Annotated[float, _v(_usd)]
OptUsd = Annotated[Optional[float], _v(_usd)]
UsdPath = Annotated[Optional[tuple[float, ...]], _v(_usd_path)]
Fraction = Annotated[float, _v(_fraction)]
OptFraction = Annotated[Optional[float], _v(_fraction)]
SignedFraction = Annotated[float, _v(_signed_fraction)]
SignedBps = Annotated[int, _v(_signed_bps)]
LpAmount = Annotated[int, _v(_lp)]
TokenAmount = Annotated[Optional[int], _v(_tokens)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)


class ScenarioModel(_Model):
    """The top-level scalars; the tables are checked by their own models."""

    name: OptText = None
    description: Text = ""
    start: OptDate = None
    horizon: Duration
    step: Duration = DEFAULT_STEP
    seed: Whole = 0
    engine: Engine = "revm"


class MarketModel(_Model):
    price: OptUsd = None
    volatility: Fraction = DEFAULT_VOLATILITY
    drift: SignedFraction = 0.0
    lp_value: Usd = DEFAULT_LP_VALUE
    path: UsdPath = None


class KeeperModel(_Model):
    enabled: Flag = True
    interval: OptDuration = None


class DelegatesModel(_Model):
    count: Whole = DEFAULT_DELEGATES
    attendance: Fraction = DEFAULT_ATTENDANCE
    decisions_per_month: Whole = DEFAULT_DECISIONS
    voting_power: TokenAmount = None
    rule: Any = None  # the [delegates.rule] table, checked by RuleModel


class RuleModel(_Model):
    continue_below: Fraction = DEFAULT_CONTINUE_BELOW
    stop_above: Fraction = DEFAULT_STOP_ABOVE
    iterate_by: SignedBps = DEFAULT_ITERATE_BPS


class AgentModel(_Model):
    name: OptText = None
    kind: AgentKind
    count: Whole
    capital: Optional[LpAmount] = None
    programme: OptText = None
    spread: Fraction = 0.0
    claim_every: OptDuration = None
    join_within: Duration = 0
    hurdle: OptFraction = None
    exit_below: OptFraction = None
    addresses: OptWhole = None
    arrive_before_end: OptDuration = None
    watch: Flag = True
    active_share: Fraction = 1.0
    findings: Whole = 1
    points: OptWhole = None
    detected: Fraction = 1.0


class ScoringModel(_Model):
    min_transactions: Whole = 1
    min_active_days: Whole = 1
    metric: Text = "volume"
    max_share: Fraction = 1.0
    apps_only: Flag = True


class SweepModel(_Model):
    seeds: Whole = 1
    parameters: Any = None  # dotted path -> list of values, checked one by one


TOP_TABLES = ("programmes", "market", "keeper", "delegates", "agents", "scoring", "sweep")
TOP_KEYS = tuple(ScenarioModel.model_fields) + TOP_TABLES

# What a sweep (or an override) may set: the scalar fields of a run, by dotted path.
SETTABLE = (
    "start",
    "horizon",
    "step",
    "engine",
    *(f"market.{f}" for f in ("price", "volatility", "drift", "lp_value")),
    "keeper.enabled",
    "keeper.interval",
    *(f"delegates.{f}" for f in ("count", "attendance", "decisions_per_month", "voting_power")),
    *(f"delegates.rule.{f}" for f in RuleModel.model_fields),
)
NOT_SETTABLE = {
    "name": "it names the output folder, which all runs of a sweep share",
    "description": "it does not change a run",
    "programmes": "the programme specs cannot vary within a sweep (write one scenario per set of specs)",
    "seed": "seeds come from `seeds = N` in [sweep] (each set runs with seed, seed + 1, …)",
    "sweep": "a sweep cannot set its own parameters",
    "market.path": "it is a list of prices; a sweep sets single values (sweep market.volatility or market.drift instead)",
    "market": 'it is a table; name one of its fields, e.g. "market.volatility"',
    "keeper": 'it is a table; name one of its fields, e.g. "keeper.enabled"',
    "delegates": 'it is a table; name one of its fields, e.g. "delegates.attendance"',
    "delegates.rule": 'it is a table; name one of its fields, e.g. "delegates.rule.stop_above"',
}


# --- where problems go -------------------------------------------------------------------------


class _Found:
    """Problems of one reading of the scenario as (key path, message), not yet on lines: the
    same reading is repeated for every parameter set of a sweep and compared with the first."""

    def __init__(self) -> None:
        self.items: list[tuple[tuple, str]] = []

    def error(self, path: tuple, message: str) -> None:
        self.items.append((tuple(path), message))


@dataclass(frozen=True)
class _Override:
    key: str  # dotted path as the caller wrote it
    target: tuple  # key path in the raw TOML it replaces
    value: Any  # as written
    sweep_key: tuple | None  # key path of the sweep parameter it comes from, if any
    note: str = ""  # where a value the file does not hold came from, for the message
    in_combination: bool = True  # may cause problems in other fields (not the seed)


def _common(a: tuple, b: tuple) -> int:
    n = 0
    for x, y in zip(a, b):
        if x != y:
            break
        n += 1
    return n


def _place(found: list[tuple[tuple, str]], src: specs.Source, overrides: list[_Override], name_others: bool = False) -> None:
    """Put problems on lines. One in an overridden field goes to the sweep parameter the value
    came from (or stays at the field, saying where the value came from), naming the value. One
    elsewhere, found under overrides, goes to the sweep parameter nearest to it (or stays,
    naming the overrides). `name_others`: the overrides are the fewest that cause the
    problem, so each names the others it clashes with."""
    combo = [o for o in overrides if o.in_combination]
    for path, message in found:
        field = specs.field_name(path)
        hit = next((o for o in overrides if path[: len(o.target)] == o.target), None)
        if hit is not None:
            shown = _show(hit.value)
            others = ", ".join(f"{o.key} = {_show(o.value)}" for o in combo if o is not hit) if name_others else ""
            if others:
                text = f"{shown} (with {others}): {message}"
            else:
                text = message if message.startswith(shown) else f"{shown}: {message}"
            if hit.sweep_key is not None:
                problem = Problem(src.name, src.index.line(hit.sweep_key), specs.field_name(hit.sweep_key), text)
            else:
                problem = Problem(src.name, src.index.line(path), field, f"{text} ({hit.note})")
        elif combo:
            related = max(combo, key=lambda o: _common(o.target, path))
            if related.sweep_key is not None:
                others = ", ".join(f"{o.key} = {_show(o.value)}" for o in combo if o is not related) if name_others else ""
                lead = _show(related.value) + (f" (with {others})" if others else "")
                problem = Problem(
                    src.name,
                    src.index.line(related.sweep_key),
                    specs.field_name(related.sweep_key),
                    f"{lead}: {field}: {message}",
                )
            else:
                named = ", ".join(f"{o.key} = {_show(o.value)}" for o in combo)
                problem = Problem(src.name, src.index.line(path), field, f"{message} (with the overrides {named})")
        else:
            problem = Problem(src.name, src.index.line(path), field, message)
        if problem not in src.problems:
            src.problems.append(problem)


def _table(model: type[BaseModel], raw: Any, base: tuple, found: _Found, context: dict | None = None) -> Any:
    """One table through its model: every field error is reported, and what did parse is
    returned anyway (failed fields None, listed in `.failed`) so the rules still run on it."""
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        found.error(base, f"should be a table ([{specs.field_name(base)}] with keys), not {_show(raw)}")
        return None
    context = context or {}
    try:
        return model.model_validate(raw, context=context)
    except ValidationError as exc:
        known = list(model.model_fields)
        for path, message in specs.pydantic_problems(exc, base, lambda loc: known):
            found.error(path, message)
        return specs.partial_model(model, raw, context)


def _failed(m: Any, name: str) -> bool:
    return name in getattr(m, "failed", frozenset())


def _pct(fraction: float) -> str:
    return f"{_plain(Decimal(repr(fraction)) * 100)}%"


# --- the programme specs a scenario runs -------------------------------------------------------


@dataclass
class _Loaded:
    specs: list[SpecFile]  # empty if any failed
    problems: list[Problem]  # the spec files' own problems (their file:line)
    ok: bool

    @property
    def programmes(self) -> list[Programme]:
        return [p for s in self.specs for p in s.programmes]

    @property
    def globals(self) -> GlobalParams | None:
        return self.specs[0].globals if self.specs else None


def _element_line(src: specs.Source, text: str, key: tuple, needle: str) -> int:
    """Line of one element of a (possibly multi-line) array: the first line from the key on
    that holds the element's text."""
    start = src.index.line(key)
    lines = text.splitlines()
    for number in range(start, len(lines) + 1):
        if needle in lines[number - 1]:
            return number
    return start


def _load_specs(raw: dict, path: Path, text: str, src: specs.Source) -> _Loaded:
    entries = raw.get("programmes")
    out = _Loaded([], [], False)
    if entries is None:
        src.error(
            (),
            'names no programme specs: add `programmes = ["../liquidity.toml"]` (spec files as `tpp check` reads them, relative to this file)',
        )
        return out
    if not isinstance(entries, list) or not entries:
        src.error(("programmes",), 'should list at least one programme spec file, e.g. programmes = ["../liquidity.toml"]')
        return out
    # The specs are checked with no start rule of their own (now = 0): the run votes during
    # its set-up time before its start, and that every programme starts at or after the run
    # is the scenario's rule, checked below against `start`.
    loaded: list[tuple[int, str, SpecFile]] = []
    seen: dict[Path, str] = {}
    ok = True
    for i, entry in enumerate(entries):
        if not isinstance(entry, str) or not entry.strip():
            src.error(("programmes", i), f"{_show(entry)} is not a file name (write the spec's path in quotes)")
            ok = False
            continue
        line = _element_line(src, text, ("programmes",), f"{entry}")
        where = Path(os.path.normpath(path.parent / entry))
        if where.resolve() in seen:
            src.problems.append(
                Problem(src.name, line, f"programmes[{i}]", f'"{entry}" is listed twice (also as "{seen[where.resolve()]}")')
            )
            ok = False
            continue
        seen[where.resolve()] = entry
        if not where.is_file():
            src.problems.append(
                Problem(
                    src.name,
                    line,
                    f"programmes[{i}]",
                    f'"{entry}" is not a file (the path is relative to the scenario; looked for {where.resolve()})',
                )
            )
            ok = False
            continue
        result = specs.check_spec(where, now=0)  # starting at or after the run is checked here
        if result.errors or result.spec is None:
            out.problems.extend(result.errors)
            ok = False
            continue
        loaded.append((i, entry, result.spec))
        others = [(e, s) for _, e, s in loaded[:-1]]
        if others and result.spec.globals != others[0][1].globals:
            first_entry, first = others[0]
            differ = [
                f for f in first.globals.__dataclass_fields__ if getattr(first.globals, f) != getattr(result.spec.globals, f)
            ]
            src.problems.append(
                Problem(
                    src.name,
                    line,
                    f"programmes[{i}]",
                    f'"{entry}" uses other global parameters than "{first_entry}" ({", ".join(differ)} differ); '
                    "every spec of a scenario runs against the one Budget, so they must share their globals",
                )
            )
            ok = False
        for p in result.spec.programmes:
            twin = next((e for e, s in others if any(q.name == p.name for q in s.programmes)), None)
            if twin is not None:
                src.problems.append(
                    Problem(
                        src.name,
                        line,
                        f"programmes[{i}]",
                        f'programme "{p.name}" is also in "{twin}" (programme names must be unique across the specs)',
                    )
                )
                ok = False
    if ok and len(loaded) > 1:
        ok = _check_together(loaded, src, text)
    out.ok = ok
    out.specs = [s for _, _, s in loaded] if ok else []
    return out


def _check_together(loaded: list[tuple[int, str, SpecFile]], src: specs.Source, text: str) -> bool:
    """The Budget admits every spec's programmes in one go: allocation, share, rate and load
    over all of them, as `tpp check` does within one file."""
    g = loaded[0][2].globals
    admitted: list[specs.AdmittedEpoch] = []
    for _, _, s in loaded:
        admitted.extend(e for e in s.already_admitted if e not in admitted)
    committed = max(s.committed for _, _, s in loaded)
    programmes = [(p, (i, entry, p.name)) for i, entry, s in loaded for p in s.programmes]
    found = _Found()
    # Both only call `.error(path, message)` on what they are given, which _Found has too.
    reported = cast(specs.Source, found)
    specs.check_budget(programmes, g, admitted, committed, reported)
    specs.check_load(programmes, g, admitted, reported)
    for (i, entry, name, *rest), message in found.items:
        field = ".".join(str(r) for r in rest)
        src.problems.append(
            Problem(
                src.name,
                _element_line(src, text, ("programmes",), entry),
                f"programmes[{i}]",
                f'with the other specs, programme "{name}" {field}: {message}',
            )
        )
    return not found.items


# --- the rules of a scenario -------------------------------------------------------------------


def _default_name(path: Path) -> str:
    name = re.sub(r"[^a-z0-9._-]+", "-", path.stem.lower()).strip("-._")
    return name[:64] or "scenario"


def _build(raw: dict, path: Path, loaded: _Loaded, found: _Found, sweep: Sweep | None, overrides: dict) -> Scenario | None:
    """Check one reading of the scenario (the file with any overrides applied); the Scenario
    if nothing is wrong in it."""
    before = len(found.items)
    for key in raw:
        if key not in TOP_KEYS:
            close = difflib.get_close_matches(key, TOP_KEYS, n=1)
            hint = f'did you mean "{close[0]}"?' if close else "known keys: " + ", ".join(TOP_KEYS)
            found.error((key,), f"unknown key ({hint})")
    g = loaded.globals
    programmes = loaded.programmes
    fmt_d, date = units.format_duration, units.format_date

    # Name, span and steps.
    top = _table(ScenarioModel, {k: v for k, v in raw.items() if k in ScenarioModel.model_fields}, (), found)
    name = top.name if top.name is not None else _default_name(path)
    if top.name is not None and not NAME.fullmatch(top.name):
        found.error(
            ("name",),
            f'{_show(top.name)} is not a scenario name: lower-case letters, digits, "-", "_" and "." (at most 64; it names out/sim/<name>/; '
            f'try "{_default_name(Path(top.name + ".toml"))}")',
        )
    horizon, step = top.horizon, top.step
    if horizon == 0:
        found.error(("horizon",), 'must be longer than zero (try "180d")')
        horizon = None
    if step == 0:
        found.error(("step",), 'must be longer than zero (try "1d")')
        step = None
    elif step is not None and horizon is not None and step > horizon:
        found.error(("step",), f'"{fmt_d(step)}" is longer than the horizon "{fmt_d(horizon)}" (try "1d")')
        step = None
    steps = horizon // step if horizon is not None and step is not None else None
    if steps is not None and steps > MAX_STEPS:
        found.error(
            ("step",),
            f'"{fmt_d(step)}" makes {units.group(steps)} steps over "{fmt_d(horizon)}", more than {units.group(MAX_STEPS)} (try a longer step)',
        )
        steps = None
    if top.seed is not None and top.seed < 0:
        found.error(("seed",), f"{top.seed} is negative; a seed is a whole number >= 0")

    first = min((p.first_start for p in programmes), default=None)
    start = top.start if top.start is not None else (None if _failed(top, "start") else first)
    if top.start is not None and programmes:
        assert first is not None  # the earliest start of `programmes`, which is not empty
        early = [p for p in programmes if p.first_start < top.start]
        if early:
            p = min(early, key=lambda q: q.first_start)
            found.error(
                ("start",),
                f"{date(top.start)} is after programme {p.name} starts ({date(p.first_start)}); the votes that create the "
                f'programmes happen before the run, and the factory refuses a start in the past (try "{date(first)}", or leave `start` out)',
            )
    if start is not None and horizon is not None and first is not None and start + horizon <= first:
        found.error(
            ("horizon",),
            f'the run ends {date(start + horizon)}, before the first programme starts ({date(first)}); try at least "{fmt_d(first - start + (step or DAY))}"',
        )

    # The market.
    market = None
    if "market" not in raw:
        found.error((), "has no [market] table: add one with `price = 0.25` (USD per token at the start)")
    else:
        m = _table(MarketModel, raw["market"], ("market",), found)
        if m is not None:
            market = _market(m, steps, found)

    # The keeper.
    keeper = None
    k = _table(KeeperModel, raw.get("keeper"), ("keeper",), found)
    if k is not None:
        interval = k.interval if k.interval is not None else (None if _failed(k, "interval") else step)
        if k.interval == 0:
            found.error(("keeper", "interval"), 'must be longer than zero (try "1d")')
        elif k.interval is not None and step is not None and k.interval % step:
            found.error(
                ("keeper", "interval"),
                f'"{fmt_d(k.interval)}" is not a multiple of the step "{fmt_d(step)}" (try "{fmt_d(max(step, k.interval - k.interval % step))}")',
            )
        elif k.enabled is not None and interval is not None:
            keeper = Keeper(k.enabled, interval)

    delegates = _delegates(raw.get("delegates"), g, found)
    populations = _populations(raw.get("agents"), programmes if loaded.ok else None, step, horizon, found)

    scoring = _scoring(raw.get("scoring"), programmes if loaded.ok else None, found)
    if loaded.ok and populations is not None and keeper is not None and step is not None:
        _check_mechanisms(programmes, populations, keeper, step, found)

    if len(found.items) > before or not loaded.ok or g is None or steps is None:
        return None
    if market is None or keeper is None or delegates is None or populations is None or start is None or scoring is None:
        return None
    return Scenario(
        path=path,
        name=name,
        description=top.description,
        specs=tuple(loaded.specs),
        programmes=tuple(programmes),
        globals=g,
        start=start,
        horizon=horizon,
        step=step,
        seed=top.seed,
        engine=top.engine,
        market=market,
        keeper=keeper,
        delegates=delegates,
        populations=tuple(populations),
        scoring=scoring,
        sweep=sweep,
        overrides=dict(overrides),
    )


def _scoring(raw: Any, programmes: list[Programme] | None, found: _Found) -> dict[str, Scoring] | None:
    """The scorer's rules of each checkpoint programme: its [scoring.NAME] table, or the defaults."""
    if programmes is None:
        return None
    checkpointed = [p.name for p in programmes if p.kind == "checkpoints"]
    tables = raw if raw is not None else {}
    if not isinstance(tables, dict):
        found.error(("scoring",), "should be one [scoring.NAME] table per checkpoint programme")
        return None
    before = len(found.items)
    out: dict[str, Scoring] = {}
    for name in tables:
        if name not in checkpointed:
            close = difflib.get_close_matches(str(name), checkpointed, n=1)
            hint = f'did you mean "{close[0]}"?' if close else "checkpoint programmes: " + (", ".join(checkpointed) or "none")
            found.error(("scoring", name), f"is not a checkpoint programme of the specs ({hint})")
    for name in checkpointed:
        base = ("scoring", name)
        m = _table(ScoringModel, tables.get(name), base, found)
        if m is None:
            continue
        if m.metric is not None and m.metric not in impact.METRICS:
            found.error(base + ("metric",), f"{_show(m.metric)} is not a metric (one of {', '.join(impact.METRICS)})")
        if m.max_share == 0:
            found.error(base + ("max_share",), 'must be more than 0% (the most one account gets of a checkpoint, try "10%")')
        elif m.max_share is not None and m.max_share > 1:
            found.error(base + ("max_share",), f"{_pct(m.max_share)} is above 100%")
        if None in (m.min_transactions, m.min_active_days, m.metric, m.max_share, m.apps_only):
            continue
        out[name] = Scoring(m.min_transactions, m.min_active_days, m.metric, round(m.max_share * BPS), m.apps_only)
    return None if len(found.items) > before else out


def _check_mechanisms(
    programmes: list[Programme], populations: list[Population], keeper: Keeper, step: int, found: _Found
) -> None:
    """What the agents need of the pluralistic mechanisms: one KPI agent per candidate, each able
    to hold its threshold, readings close enough to pay; a bounty's submissions within its cap."""
    fmt_d = units.format_duration
    for p in programmes:
        mine = [(i, pop) for i, pop in enumerate(populations) if pop.programme == p.name]
        if p.kind == "kpi_stream":
            max_gap, candidates = kpi_kind.decode_params(p.params)
            for k, c in enumerate(candidates):
                if c.read != "balance":
                    found.error(
                        ("programmes",),
                        f'programme "{p.name}": candidate {k + 1} reads a {c.read}; the simulator plays candidates that hold '
                        "a balance of the KPI asset only (its other readers are tested in tests/unit/test_kpi_stream.py)",
                    )
            players = [(i, pop, n) for i, pop in mine for n in range(pop.count)]
            if len(players) != len(candidates):
                at = ("agents", mine[0][0], "count") if mine else ("agents",)
                found.error(
                    at,
                    f'programme "{p.name}" has {len(candidates)} candidate(s) and {len(players)} KPI agent(s) meet it; '
                    "each kpi_holder or kpi_flash agent plays one candidate, in order, so the counts must match",
                )
                continue
            for (i, pop, _), c in zip(players, candidates):
                low = int(pop.capital * (1 - pop.spread))
                if c.read == "balance" and low < c.threshold:
                    found.error(
                        ("agents", i, "capital"),
                        f"{units.group(low // 10**LP_DECIMALS)} LP (with its spread) is below the threshold of the candidate it plays "
                        f"({units.group(c.threshold // 10**LP_DECIMALS)}): it could never hold the KPI",
                    )
            every = [keeper.interval] if keeper.enabled else []
            if any(pop.kind == "kpi_holder" and pop.watch for _, pop in mine):
                every.append(step)
            if not every or min(every) > max_gap:
                gap = f'"{fmt_d(min(every))}"' if every else "never (no keeper, no watching holder)"
                found.error(
                    ("keeper", "interval"),
                    f'readings of "{p.name}" come every {gap}, further apart than its max_gap "{fmt_d(max_gap)}": '
                    f'no interval would pay (set step and keeper interval to "{fmt_d(max_gap)}" or less)',
                )
        elif p.kind == "bounty":
            per_epoch = sum(pop.count * (pop.findings if pop.kind == "researcher" else pop.addresses) for _, pop in mine)
            if per_epoch > bounty_kind.MAX_SUBMISSIONS:
                found.error(
                    ("agents", mine[0][0], "count"),
                    f'the agents of "{p.name}" file {per_epoch} submissions an epoch; a bounty holds at most {bounty_kind.MAX_SUBMISSIONS}',
                )


def _market(m: Any, steps: int | None, found: _Found) -> Market | None:
    before = len(found.items)
    base = ("market",)
    if m.price is None and m.path is None and not _failed(m, "price") and not _failed(m, "path"):
        found.error(base + ("price",), "is required (add `price = 0.25`, USD per token at the start, to [market])")
    if m.price is not None and m.price <= 0:
        found.error(base + ("price",), f"{m.price:g} USD: the price must be more than 0")
    if m.lp_value is not None and m.lp_value <= 0:
        found.error(base + ("lp_value",), f"{m.lp_value:g} USD: an LP token must be worth more than 0")
    if m.path is not None:
        bad = next((i for i, x in enumerate(m.path, 1) if x <= 0), None)
        if bad is not None:
            found.error(base + ("path",), f"price number {bad} is {m.path[bad - 1]:g}; prices must be more than 0")
        if steps is not None and len(m.path) != steps + 1:
            found.error(
                base + ("path",),
                f"has {len(m.path)} prices; a run of {steps} steps needs {steps + 1} (the start, then one after each step)",
            )
        if m.price is not None and m.path and m.price != m.path[0]:
            found.error(
                base + ("price",),
                f"{m.price:g} differs from the path's first price {m.path[0]:g} (leave `price` out when a path is given)",
            )
    if len(found.items) > before or m.volatility is None or m.drift is None or m.lp_value is None:
        return None
    price = m.price if m.price is not None else (m.path[0] if m.path else None)
    if price is None:
        return None
    return Market(price=price, volatility=m.volatility, drift=m.drift, lp_value=m.lp_value, path=m.path)


def _delegates(raw: Any, g: GlobalParams | None, found: _Found) -> Delegates | None:
    before = len(found.items)
    base = ("delegates",)
    token, decimals = (g.token, g.decimals) if g is not None else ("ZK", 18)
    d = _table(DelegatesModel, raw, base, found, {"token": token, "decimals": decimals})
    if d is None:
        return None
    if d.count is not None and d.count < 1:
        found.error(base + ("count",), f"{d.count}: at least 1 delegate is needed to vote")
    if d.attendance is not None and d.attendance > 1:
        found.error(base + ("attendance",), f"{_pct(d.attendance)} is above 100% (a chance between 0% and 100%)")
    if d.decisions_per_month is not None and d.decisions_per_month < 0:
        found.error(base + ("decisions_per_month",), f"{d.decisions_per_month} is negative (0 means delegates never decide)")
    voting_power = d.voting_power if d.voting_power is not None else DEFAULT_VOTING_POWER * 10**decimals
    if d.voting_power == 0:
        found.error(base + ("voting_power",), f'must be more than 0 {token} (try "1_000_000 {token}")')
    r = _table(RuleModel, d.rule, base + ("rule",), found)
    if r is not None:
        rbase = base + ("rule",)
        if r.continue_below is not None and r.stop_above is not None and r.stop_above <= r.continue_below:
            found.error(
                rbase + ("stop_above",),
                f"{_pct(r.stop_above)} must be above continue_below ({_pct(r.continue_below)}): between the two, delegates ITERATE",
            )
        if r.iterate_by == 0:
            found.error(rbase + ("iterate_by",), 'must change the cap: write a cut like "-20%" or a raise like "+10%"')
        elif r.iterate_by is not None and abs(r.iterate_by) >= BPS:
            found.error(rbase + ("iterate_by",), f'{units.format_bps(abs(r.iterate_by))} is not inside -100%..+100% (try "-20%")')
    if len(found.items) > before or r is None or None in (d.count, d.attendance, d.decisions_per_month):
        return None
    if None in (r.continue_below, r.stop_above, r.iterate_by):
        return None
    rule = DelegateRule(continue_below=r.continue_below, stop_above=r.stop_above, iterate_by_bps=r.iterate_by)
    return Delegates(
        count=d.count, attendance=d.attendance, decisions_per_month=d.decisions_per_month, voting_power=voting_power, rule=rule
    )


def _populations(
    raw: Any, programmes: list[Programme] | None, step: int | None, horizon: int | None, found: _Found
) -> list[Population] | None:
    if raw is None:
        return []
    if not isinstance(raw, list):
        found.error(("agents",), "should be [[agents]] tables, one per population (write [[agents]], with two brackets)")
        return None
    before = len(found.items)
    fmt_d = units.format_duration
    out: list[Population] = []
    names: dict[str, int] = {}
    for i, item in enumerate(raw):
        base = ("agents", i)
        a = _table(AgentModel, item, base, found)
        if a is None:
            continue
        kind = a.kind
        if kind is not None:
            for key in item:
                if key in AgentModel.model_fields and key not in COMMON_AGENT_FIELDS and key not in KIND_FIELDS[kind]:
                    owners = [k for k, fields in KIND_FIELDS.items() if key in fields]
                    owned = " and ".join(owners) if len(owners) < 3 else ", ".join(owners[:-1]) + " and " + owners[-1]
                    found.error(base + (key,), f"does not apply to {kind} agents (it is for {owned} agents)")
        name = a.name if a.name is not None else kind
        if a.name is not None and not POPULATION.fullmatch(a.name):
            found.error(base + ("name",), f"{_show(a.name)} is not a population name: letters, digits, - and _ (at most 64)")
        if name is not None:
            if name in names:
                found.error(
                    base + (("name",) if a.name is not None else ()),
                    f'population "{name}" is already the name of [[agents]] number {names[name] + 1}; give each population a distinct `name`',
                )
            else:
                names[name] = i
        if a.count is not None and a.count < 1:
            found.error(base + ("count",), f"{a.count}: a population has at least 1 agent")
        mechanism = AGENT_MECHANISM.get(kind) if kind is not None else None
        capital = a.capital
        if mechanism in CAPITAL_MEANS:
            if capital is None and not _failed(a, "capital"):
                found.error(base + ("capital",), f'is required: the {CAPITAL_MEANS[mechanism]} (try "5_000 LP")')
            elif capital == 0:
                found.error(base + ("capital",), 'must be more than 0 LP (try "5_000 LP")')
        elif mechanism is not None:
            if a.capital is not None:
                found.error(
                    base + ("capital",), f"does not apply to {kind} agents (they file findings; their deposits are the bounty's)"
                )
            capital = 0
        if a.spread is not None and a.spread > 1:
            found.error(base + ("spread",), f"{_pct(a.spread)} is above 100% (capital varies within ±spread, 0%..100%)")
        claim_every = a.claim_every
        if claim_every is None and not _failed(a, "claim_every"):
            # Unwritten: a week, in whole steps.
            claim_every = max(step, round(DEFAULT_CLAIM_EVERY / step) * step) if step else DEFAULT_CLAIM_EVERY
        if claim_every == 0:
            found.error(base + ("claim_every",), 'must be longer than zero (try "7d")')
        elif claim_every is not None and step is not None and claim_every % step:
            found.error(
                base + ("claim_every",),
                f'"{fmt_d(claim_every)}" is not a multiple of the step "{fmt_d(step)}" (try "{fmt_d(max(step, claim_every - claim_every % step))}")',
            )
        programme = _population_programme(a, programmes, base, found)

        # What does not apply to the kind keeps these; None where a value is wrong (reported).
        join_within: int | None = 0
        hurdle: float | None = 0.0
        exit_below: float | None = 0.0
        addresses: int | None = 1
        arrive: int | None = 0
        points = 0
        if kind in ("researcher", "duplicate_filer"):
            points = a.points if a.points is not None else (0 if _failed(a, "points") else DEFAULT_POINTS)
            if a.points is not None and a.points > 100:
                found.error(base + ("points",), f"{a.points}: judges give 0 to 100 points")
            if kind == "researcher" and a.findings is not None and a.findings < 1:
                found.error(base + ("findings",), f"{a.findings}: a researcher files at least 1 finding per epoch")
        if kind in ("wash_trader", "duplicate_filer"):
            default = DEFAULT_ADDRESSES if kind == "wash_trader" else DEFAULT_DUPLICATES
            addresses = a.addresses if a.addresses is not None else (None if _failed(a, "addresses") else default)
            if addresses is not None and addresses < 2:
                found.error(base + ("addresses",), f"{addresses}: a {kind} uses at least 2 addresses")
        if kind == "builder" and a.active_share == 0:
            found.error(base + ("active_share",), 'must be more than 0% (the chance a builder is active on a day, try "50%")')
        for key in ("active_share", "detected"):
            value = getattr(a, key)
            if value is not None and value > 1:
                found.error(base + (key,), f"{_pct(value)} is above 100% (a chance between 0% and 100%)")
        if kind == "loyal_lp":
            join_within = a.join_within
            if join_within is not None and horizon is not None and join_within > horizon:
                found.error(
                    base + ("join_within",),
                    f'"{fmt_d(join_within)}" is longer than the horizon "{fmt_d(horizon)}"; some LPs would never join',
                )
        elif kind in ("mercenary", "sybil"):
            hurdle = a.hurdle if a.hurdle is not None else (None if _failed(a, "hurdle") else DEFAULT_HURDLE)
            exit_below = a.exit_below if a.exit_below is not None else (None if _failed(a, "exit_below") else hurdle)
            if a.exit_below is not None and hurdle is not None and a.exit_below > hurdle:
                found.error(
                    base + ("exit_below",),
                    f"{_pct(a.exit_below)} is above the hurdle ({_pct(hurdle)}): agents would leave at an APR that made them enter "
                    f'(try "{_pct(hurdle)}" or less)',
                )
            if kind == "sybil":
                addresses = a.addresses if a.addresses is not None else (None if _failed(a, "addresses") else DEFAULT_ADDRESSES)
                if addresses is not None and addresses < 2:
                    found.error(
                        base + ("addresses",), f"{addresses}: a sybil operator splits its capital over at least 2 addresses"
                    )
        elif kind == "whale":
            arrive = (
                a.arrive_before_end
                if a.arrive_before_end is not None
                else (None if _failed(a, "arrive_before_end") else DEFAULT_ARRIVE)
            )
            if arrive == 0:
                found.error(base + ("arrive_before_end",), 'must be longer than zero (try "7d")')
            elif arrive is not None and programme is not None and programmes:
                p = next(q for q in programmes if q.name == programme)
                shortest = min(p.first_end - p.first_start, p.epoch_duration)
                if arrive > shortest:
                    found.error(
                        base + ("arrive_before_end",),
                        f'"{fmt_d(arrive)}" is longer than the shortest epoch of {p.name} ({fmt_d(shortest)}); try "{fmt_d(min(DEFAULT_ARRIVE, shortest))}"',
                    )
        if (
            None not in (name, kind, a.count, capital, a.spread, claim_every, a.watch, a.active_share, a.findings, a.detected)
            and programme is not None
            and join_within is not None
            and hurdle is not None
            and exit_below is not None
            and addresses is not None
            and arrive is not None
        ):
            out.append(
                Population(
                    name,
                    kind,
                    a.count,
                    capital,
                    programme,
                    a.spread,
                    claim_every,
                    join_within,
                    hurdle,
                    exit_below,
                    addresses,
                    arrive,
                    watch=a.watch,
                    active_share=a.active_share,
                    findings=a.findings,
                    points=points,
                    detected=a.detected,
                )
            )
    if len(found.items) > before:
        return None
    return out


def _population_programme(a: Any, programmes: list[Programme] | None, base: tuple, found: _Found) -> str | None:
    """The programme a population meets: the one it names, or the first of the kind its agents
    meet (staking pools for LP agents, KPI streams for KPI candidates, …)."""
    if programmes is None:  # the specs have problems of their own, reported with them
        return a.programme
    wanted = AGENT_MECHANISM.get(a.kind)
    if wanted is None:  # the kind is wrong, reported with it
        return None
    noun, plural = kinds.get(wanted).noun, kinds.get(wanted).plural
    fitting = [p.name for p in programmes if p.kind == wanted]
    if a.programme is None:
        if _failed(a, "programme"):
            return None
        if not fitting:
            held = ", ".join(f"{p.name} ({p.kind})" for p in programmes)
            found.error(base + ("programme",), f"the specs hold no {noun} for {a.kind} agents to meet (they hold: {held})")
            return None
        return fitting[0]
    named = next((p for p in programmes if p.name == a.programme), None)
    if named is None:
        close = difflib.get_close_matches(a.programme, [p.name for p in programmes], n=1)
        hint = f'did you mean "{close[0]}"?' if close else f"{plural}: " + (", ".join(fitting) or "none")
        found.error(base + ("programme",), f'no programme "{a.programme}" in the specs ({hint})')
        return None
    if named.kind != wanted:
        hint = f'try "{fitting[0]}"' if fitting else f"the specs hold no {noun}"
        is_a = kinds.get(named.kind).noun if named.kind in kinds.names() else named.kind
        found.error(base + ("programme",), f'"{a.programme}" is a {is_a}; {a.kind} agents meet a {noun} ({hint})')
        return None
    return named.name


# --- sweeps and overrides ----------------------------------------------------------------------


def _population_keys(raw: dict) -> list[tuple[str, str | None]]:
    """(name, kind) of each [[agents]] table as written, for resolving "agents.<name>.<field>"."""
    agents = raw.get("agents")
    out: list[tuple[str, str | None]] = []
    for item in agents if isinstance(agents, list) else []:
        if not isinstance(item, dict):
            out.append(("", None))
            continue
        written = item.get("kind")
        kind = written.strip().lower() if isinstance(written, str) else None
        name = item.get("name") if isinstance(item.get("name"), str) else kind
        out.append((name or "", kind))
    return out


def _agent_fields(kind: str | None) -> list[str]:
    """The fields a sweep may set on a population of `kind` (every field if unknown)."""
    return [
        f
        for f in AgentModel.model_fields
        if f not in ("name", "kind") and (kind not in KIND_FIELDS or f in COMMON_AGENT_FIELDS or f in KIND_FIELDS[kind])
    ]


def _resolve(key: Any, raw: dict) -> tuple[tuple | None, str | None]:
    """The raw key path a dotted parameter path sets, or why it cannot be set."""
    if not isinstance(key, str) or not key:
        return None, f'{_show(key)} is not a dotted field path (e.g. "market.volatility")'
    pops = _population_keys(raw)
    if key == "agents" or key.startswith("agents."):
        parts = key.split(".")
        if len(parts) < 3:
            return None, 'name a population\'s field: "agents.<population>.<field>" (e.g. "agents.farmers.hurdle")'
        pop, field = ".".join(parts[1:-1]), parts[-1]
        index = next((i for i, (n, _) in enumerate(pops) if n == pop), None)
        if index is None:
            names = [n for n, _ in pops if n]
            close = difflib.get_close_matches(pop, names, n=1)
            hint = f'did you mean "{close[0]}"?' if close else "populations: " + (", ".join(names) or "none")
            return None, f'no agent population "{pop}" ({hint})'
        kind = pops[index][1]
        if field in ("name", "kind"):
            return None, f"a population's {field} cannot vary (add another [[agents]] table instead)"
        if field not in _agent_fields(None):
            close = difflib.get_close_matches(field, _agent_fields(kind), n=1)
            hint = f'did you mean "agents.{pop}.{close[0]}"?' if close else "fields: " + ", ".join(_agent_fields(kind))
            return None, f'a population has no field "{field}" ({hint})'
        if field not in _agent_fields(kind):
            return None, f'"{field}" does not apply to {kind} agents (population "{pop}")'
        return ("agents", index, field), None
    if key == "scoring" or key.startswith("scoring."):
        parts = key.split(".")
        if len(parts) != 3 or parts[2] not in ScoringModel.model_fields:
            return None, 'name a checkpoint programme\'s scoring field: "scoring.<programme>.<field>" (fields: ' + ", ".join(
                ScoringModel.model_fields
            ) + ")"
        return ("scoring", parts[1], parts[2]), None
    if key in NOT_SETTABLE or key.split(".")[0] in ("sweep", "programmes", "name", "description", "seed"):
        reason = NOT_SETTABLE.get(key) or NOT_SETTABLE[key.split(".")[0]]
        return None, f'"{key}" cannot be swept: {reason}'
    if key in SETTABLE:
        return tuple(key.split(".")), None
    candidates = list(SETTABLE) + [f"agents.{n}.{f}" for n, kind in pops if n for f in _agent_fields(kind)]
    close = difflib.get_close_matches(key, candidates, n=1)
    hint = (
        f'did you mean "{close[0]}"?'
        if close
        else 'e.g. "market.volatility", "delegates.rule.stop_above", "agents.<population>.hurdle"'
    )
    return None, f'"{key}" is not a field a sweep can set ({hint})'


def _apply(raw: dict, overrides: list[_Override]) -> dict:
    out = copy.deepcopy(raw)
    for o in overrides:
        table: Any = out  # a table, or the list of [[agents]] tables on the way to one of them
        for part, after in zip(o.target[:-1], o.target[1:]):
            if isinstance(part, int):
                table = table[part]
                continue
            inner = table.get(part)
            if isinstance(after, int) and isinstance(inner, list):  # [[agents]], as _resolve found it
                table = inner
                continue
            if not isinstance(inner, dict):  # a table the file leaves out (or writes wrongly: reported)
                inner = table[part] = {}
            table = inner
        table[o.target[-1]] = copy.deepcopy(o.value)
    return out


def _flatten(table: dict, prefix: tuple = ()) -> list[tuple[tuple, Any]]:
    """Sweep parameters as (key path as written, values): `"market.volatility" = […]` and
    `market.volatility = […]` (a dotted key, i.e. nested tables) both name one field."""
    out = []
    for key, value in table.items():
        if isinstance(value, dict):
            out.extend(_flatten(value, prefix + (key,)))
        else:
            out.append((prefix + (key,), value))
    return out


@dataclass(frozen=True)
class _Param:
    key: str  # dotted
    written: tuple  # key path in the TOML (for its line)
    target: tuple  # raw key path it sets
    values: tuple


SCALARS = (str, int, float, bool, _dt.date, _dt.time)


def _sweep(raw: dict, src: specs.Source) -> tuple[Sweep | None, list[_Param], bool]:
    """The [sweep] table as written: the Sweep, its parameters that name a field, and whether
    everything in it is right."""
    if "sweep" not in raw:
        return None, [], True
    found = _Found()
    s = _table(SweepModel, raw["sweep"], ("sweep",), found)
    if s is None:
        _place(found.items, src, [])
        return None, [], False
    if s.seeds is not None and s.seeds < 1:
        found.error(("sweep", "seeds"), f"{s.seeds}: a sweep runs each parameter set with at least 1 seed")
    table = s.parameters if s.parameters is not None else {}
    if not isinstance(table, dict):
        found.error(
            ("sweep", "parameters"), 'should be a table of lists, e.g. [sweep.parameters] "market.volatility" = ["40%", "80%"]'
        )
        table = {}
    params: list[_Param] = []
    seen: dict[str, tuple] = {}
    for written, values in _flatten(table):
        where = ("sweep", "parameters") + written
        key = ".".join(str(w) for w in written)
        if key in seen:
            found.error(where, f'"{key}" is set twice in [sweep.parameters]')
            continue
        seen[key] = written
        target, reason = _resolve(key, raw)
        if reason:
            found.error(where, reason)
            continue
        assert target is not None  # _resolve gives a key path or the reason there is none
        if not isinstance(values, list) or not values:
            found.error(where, f'should be a non-empty list of values to try, e.g. ["40%", "80%"] (not {_show(values)})')
            continue
        odd = next((v for v in values if not isinstance(v, SCALARS)), None)
        if odd is not None:
            found.error(where, f"{_show(odd)}: each value is a single value as the field takes it (a text, number or true/false)")
            continue
        twice = next((v for i, v in enumerate(values) if any(type(v) is type(w) and v == w for w in values[:i])), None)
        if twice is not None:
            found.error(where, f"lists {_show(twice)} twice (each parameter set is run once per seed already)")
            continue
        params.append(_Param(key, where, target, tuple(values)))
    sets = math.prod(len(p.values) for p in params)
    if sets > MAX_SETS:
        found.error(
            ("sweep", "parameters"),
            f"makes {units.group(sets)} parameter sets, more than {units.group(MAX_SETS)} (sweep fewer values, or split the sweep)",
        )
    elif s.seeds is not None and sets * s.seeds > MAX_RUNS:
        found.error(
            ("sweep", "seeds"),
            f"{sets} parameter sets x {s.seeds} seeds makes {units.group(sets * s.seeds)} runs, more than {units.group(MAX_RUNS)}",
        )
    ok = not found.items
    _place(found.items, src, [])
    sweep = Sweep(s.seeds, {p.key: p.values for p in params}) if ok else None
    return sweep, params, ok


def _check_sets(
    written: dict, path: Path, loaded: _Loaded, sweep: Sweep | None, params: list[_Param], base: set, src: specs.Source
) -> None:
    """Every parameter set of the sweep must make a valid scenario. Problems the file has
    anyway are reported once, not again for every set; each new one is put on the fewest
    parameters that cause it (a bad value alone, or the values that clash), so one bad value
    is one problem however many sets hold it."""
    cache: dict[tuple, dict] = {}

    def problems(sub: tuple[_Override, ...]) -> dict:
        key = tuple((o.key, type(o.value).__name__, repr(o.value)) for o in sub)
        if key not in cache:
            again = _Found()
            _build(_apply(written, list(sub)), path, loaded, again, sweep, {})
            cache[key] = {item: None for item in again.items if item not in base}
        return cache[key]

    for values in itertools.product(*(p.values for p in params)):
        combo = tuple(_Override(p.key, p.target, v, p.written) for p, v in zip(params, values))
        for item in problems(combo):
            cause = combo
            if len(combo) <= MAX_BLAME:
                subsets = (sub for size in range(1, len(combo)) for sub in itertools.combinations(combo, size))
                cause = next((sub for sub in subsets if item in problems(sub)), combo)
            _place([item], src, list(cause), name_others=True)


# --- reading -----------------------------------------------------------------------------------


def check_scenario(
    path: str | Path, overrides: dict | None = None, *, seed: int | None = None
) -> tuple[Scenario | None, list[Problem]]:
    """Read and check a scenario (with `overrides` applied, and `seed` replacing the file's);
    every problem found is returned, none raised. Without overrides, each parameter set of the
    sweep is checked too."""
    path = Path(path)
    shown = str(path)
    raw, text, problems = specs.read_toml(path, shown)
    if raw is None:
        return None, problems
    src = specs.Source(shown, LineIndex(text), problems)
    loaded = _load_specs(raw, path, text, src)
    sweep, params, sweep_ok = _sweep(raw, src)
    by_key = {p.key: p for p in params}

    overrides = dict(overrides or {})
    applied: list[_Override] = []
    for key, value in overrides.items():
        target, reason = _resolve(key, raw)
        if reason:  # the caller's mistake, not the file's: no line of its own
            src.problems.append(Problem(shown, 1, f'overrides."{key}"', reason))
            continue
        assert target is not None  # _resolve gives a key path or the reason there is none
        param = by_key.get(key)  # a value of the file's sweep: problems go to its line
        applied.append(
            _Override(key, target, value, param.written if param else None, f"set by the override {key} = {_show(value)}")
        )
    if seed is not None:
        applied.append(_Override("seed", ("seed",), seed, None, "the seed passed in", in_combination=False))

    written = _apply(raw, applied)
    found = _Found()
    scenario = _build(written, path, loaded, found, sweep, overrides)
    _place(found.items, src, applied)

    if not overrides and sweep_ok and params:
        _check_sets(written, path, loaded, sweep, params, set(found.items), src)

    errors = sorted(src.problems, key=lambda p: p.line) + loaded.problems
    if errors:
        return None, errors
    return scenario, []


def load_scenario(path: str | Path, overrides: dict | None = None, seed: int | None = None) -> Scenario:
    """`check_scenario`, raising `SpecError` (with every problem) unless the scenario is valid."""
    scenario, problems = check_scenario(path, overrides, seed=seed)
    if problems or scenario is None:
        raise SpecError(problems)
    return scenario


def expand_sweep(scenario: Scenario) -> list[RunSpec]:
    """The runs of a scenario's sweep: parameter sets in `itertools.product` order of the keys
    as written, each with `seeds` seeds (seed, seed + 1, …) inner. Without a sweep, one run.
    Overrides the scenario was loaded with are kept (a set's own values win)."""
    where = str(Path(scenario.path).resolve())
    if scenario.sweep is None:
        return [RunSpec(0, 0, scenario.seed, dict(scenario.overrides), where)]
    keys = list(scenario.sweep.parameters)
    runs: list[RunSpec] = []
    for set_id, values in enumerate(itertools.product(*(scenario.sweep.parameters[k] for k in keys))):
        overrides = {**scenario.overrides, **dict(zip(keys, values))}
        for k in range(scenario.sweep.seeds):
            runs.append(RunSpec(len(runs), set_id, scenario.seed + k, dict(overrides), where))
    return runs
