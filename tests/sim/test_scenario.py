"""Scenario files of the simulator: the examples load, defaults and units, every rule with its
error on the right line, and the expansion of a sweep into runs."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from tpp.base.units import parse_date
from tpp.sim.runner import run_scenario
from tpp.sim.scenario import (
    DelegateRule,
    Delegates,
    Keeper,
    Market,
    Population,
    RunSpec,
    Scenario,
    check_scenario,
    expand_sweep,
    load_scenario,
)
from tpp.specs.spec import Problem, SpecError

ZK = 10**18
LP = 10**18
DAY = 86_400
JAN1 = parse_date("2027-01-01")
EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "scenarios"

GUARDIAN = "0x6000000000000000000000000000000000000006"
SAFE = "0x1000000000000000000000000000000000000001"
LP_TOKEN = "0x2000000000000000000000000000000000000002"

GLOBALS = """\
token = "ZK"
inflation_threshold = "1m ZK/month"
allocation = "100m ZK"
max_share = "25%"
cycle_genesis = "2027-01-01"
cycle_length = "14d"
window_length = "3d"
load_limit = 2
"""


def programme_spec(
    name: str, kind: str = "staking", cap: str = "200k ZK", start: str = "2027-01-01", end: str = "2027-01-15"
) -> str:
    target = f'stake_token = "{LP_TOKEN}"' if kind == "staking" else f'recipient = "{SAFE}"'
    return f"""\
globals = "globals.toml"

[programme.{name}]
kind = "{kind}"
{target}
epoch_cap = "{cap}"
first_start = "{start}"
first_end = "{end}"
epoch_duration = "14d"
evaluation_window = "3d"
default_outcome = "CONTINUE"
max_epochs = 3
iterate_bound = "25%"
guardian = "{GUARDIAN}"
"""


# Every field written, each with a value that passes; the rule tests change one line.
FULL = """\
name = "t"
description = "every field written"
programmes = ["pool.toml"]
start = "2027-01-01"
horizon = "42d"
step = "1d"
seed = 1
engine = "revm"

[market]
price = 0.25
volatility = "80%"
drift = "0%"
lp_value = 2.0

[keeper]
enabled = true
interval = "1d"

[delegates]
count = 10
attendance = "60%"
decisions_per_month = 4
voting_power = "1_000_000"

[delegates.rule]
continue_below = "40%"
stop_above = "150%"
iterate_by = "-20%"

[[agents]]
name = "loyal"
kind = "loyal_lp"
count = 3
capital = "5_000"
programme = "pool"
spread = "20%"
claim_every = "7d"
join_within = "7d"

[[agents]]
name = "farmers"
kind = "mercenary"
count = 2
capital = "5_000 LP"
hurdle = "30%"
exit_below = "20%"

[[agents]]
name = "ring"
kind = "sybil"
count = 1
capital = 10000
hurdle = "30%"
addresses = 4

[[agents]]
name = "whale"
kind = "whale"
count = 1
capital = "50k LP"
arrive_before_end = "3d"
"""

MINIMAL = """\
programmes = ["pool.toml"]
horizon = "42d"

[market]
price = 0.25
"""


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A folder with shared globals, a staking programme `pool` and a stream `grants`."""
    (tmp_path / "globals.toml").write_text(GLOBALS)
    (tmp_path / "pool.toml").write_text(programme_spec("pool"))
    (tmp_path / "grants.toml").write_text(programme_spec("grants", kind="stream", cap="100k ZK"))
    return tmp_path


def write(folder: Path, text: str, name: str = "scenario.toml") -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(text))
    return path


def edit(text: str, after: str, old: str, new: str) -> str:
    """`text` with the first `old` after the first `after` replaced by `new`."""
    at = text.index(after)
    pos = text.index(old, at)
    return text[:pos] + new + text[pos + len(old) :]


def line_of(path: Path, snippet: str, after: str = "") -> int:
    """1-based line of the first line containing `snippet` (from the line containing `after`)."""
    lines = path.read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if after in line) if after else 0
    return next(i for i, line in enumerate(lines) if i >= start and snippet in line) + 1


def only_error(path: Path, **kwargs) -> Problem:
    scenario, problems = check_scenario(path, **kwargs)
    assert scenario is None
    assert len(problems) == 1, "\n".join(map(str, problems))
    return problems[0]


# --- the examples ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["liquidity-farming", "portfolio-no-keeper", "tiny"])
def test_examples_load(name):
    scenario, problems = check_scenario(EXAMPLES / f"{name}.toml")
    assert problems == []
    assert scenario.name == name
    assert scenario.steps * scenario.step <= scenario.horizon
    assert all(p.programme in {q.name for q in scenario.programmes if q.kind == "staking"} for p in scenario.populations)


def test_liquidity_farming_example():
    s = load_scenario(EXAMPLES / "liquidity-farming.toml")
    assert [p.name for p in s.programmes] == ["zk-eth-liquidity"]
    assert (s.start, s.horizon, s.step, s.steps, s.seed, s.engine) == (JAN1, 400 * DAY, DAY, 400, 1, "revm")
    assert [(p.name, p.kind) for p in s.populations] == [
        ("loyal", "loyal_lp"),
        ("farmers", "mercenary"),
        ("ring", "sybil"),
        ("whale", "whale"),
    ]
    ring = s.populations[2]
    assert (ring.count, ring.addresses, ring.capital) == (3, 20, 20_000 * LP)
    assert s.delegates.rule == DelegateRule(0.4, 1.5, -2_500)
    assert s.delegates.voting_power == 2_500_000 * ZK
    assert s.sweep.seeds == 4
    assert s.sweep.parameters == {"market.volatility": ("50%", "80%", "120%"), "agents.farmers.hurdle": ("50%", "150%")}
    assert len(expand_sweep(s)) == 24
    # The run covers every epoch end and the 30 days after the last one (retention).
    p = s.programmes[0]
    last_end = p.first_end + (p.max_epochs - 1) * p.epoch_duration
    assert s.start <= p.first_start and last_end + 30 * DAY <= s.start + s.horizon


def test_portfolio_no_keeper_example():
    s = load_scenario(EXAMPLES / "portfolio-no-keeper.toml")
    assert s.keeper == Keeper(enabled=False, interval=DAY)
    assert [p.name for p in s.programmes] == ["builders-stream", "eth-pool", "usdc-pool"]
    assert {p.programme for p in s.populations} == {"eth-pool", "usdc-pool"}
    assert s.start == JAN1  # the earliest first_start, as the file gives none
    assert s.sweep is None


def test_tiny_example_is_small_and_sees_the_programme_stop():
    s = load_scenario(EXAMPLES / "tiny.toml")
    assert 30 <= s.steps <= 60
    assert sum(p.count * p.addresses for p in s.populations) <= 20
    assert {p.kind for p in s.populations} == {"loyal_lp", "mercenary", "sybil", "whale"}
    p = s.programmes[0]
    # Every epoch ends inside the run, so the last one's end (the programme stopping) is seen.
    last_end = p.first_end + (p.max_epochs - 1) * p.epoch_duration
    assert s.start + s.steps * s.step > last_end
    assert all(s.globals.is_boundary(p.first_end + k * p.epoch_duration) for k in range(p.max_epochs))


def test_every_sweep_run_of_an_example_loads():
    s = load_scenario(EXAMPLES / "liquidity-farming.toml")
    for run in expand_sweep(s):
        one = load_scenario(run.scenario_path, run.overrides, run.seed)
        assert one.seed == run.seed
        assert one.overrides == run.overrides
        assert one.market.volatility == float(run.overrides["market.volatility"].rstrip("%")) / 100
        farmers = next(p for p in one.populations if p.name == "farmers")
        assert farmers.hurdle == float(run.overrides["agents.farmers.hurdle"].rstrip("%")) / 100


# --- defaults and units ------------------------------------------------------------------------


def test_defaults(folder):
    path = write(folder, MINIMAL, "My Run.toml")
    s = load_scenario(path)
    assert isinstance(s, Scenario)
    assert s.path == path
    assert (s.name, s.description) == ("my-run", "")
    assert s.start == JAN1  # the earliest first_start
    assert (s.horizon, s.step, s.steps, s.seed, s.engine) == (42 * DAY, DAY, 42, 0, "revm")
    assert s.market == Market(price=0.25, volatility=0.6, drift=0.0, lp_value=1.0, path=None)
    assert s.keeper == Keeper(enabled=True, interval=DAY)
    assert s.delegates == Delegates(10, 0.6, 4, 1_000_000 * ZK, DelegateRule(0.4, 1.5, -2_000))
    assert s.populations == ()
    assert s.sweep is None and s.overrides == {}
    assert [p.name for p in s.programmes] == ["pool"]
    assert s.globals.cycle_length == 14 * DAY
    assert [spec.path for spec in s.specs] == [folder / "pool.toml"]


def test_population_defaults(folder):
    path = write(
        folder,
        MINIMAL
        + """
[[agents]]
kind = "loyal_lp"
count = 1
capital = 1

[[agents]]
kind = "mercenary"
count = 1
capital = 1

[[agents]]
kind = "sybil"
count = 1
capital = 1

[[agents]]
kind = "whale"
count = 1
capital = 1
""",
    )
    s = load_scenario(path)
    week = 7 * DAY
    assert s.populations == (
        Population("loyal_lp", "loyal_lp", 1, LP, "pool", 0.0, week, 0, 0.0, 0.0, 1, 0),
        Population("mercenary", "mercenary", 1, LP, "pool", 0.0, week, 0, 0.25, 0.25, 1, 0),
        Population("sybil", "sybil", 1, LP, "pool", 0.0, week, 0, 0.25, 0.25, 10, 0),
        Population("whale", "whale", 1, LP, "pool", 0.0, week, 0, 0.0, 0.0, 1, week),
    )


def test_default_claim_interval_is_whole_steps(folder):
    text = (
        edit(MINIMAL, "horizon", 'horizon = "42d"', 'horizon = "42d"\nstep = "3d"')
        + '\n[[agents]]\nkind = "whale"\ncount = 1\ncapital = 1\n'
    )
    s = load_scenario(write(folder, text))
    assert s.populations[0].claim_every == 6 * DAY
    assert s.keeper.interval == 3 * DAY


def test_every_field_as_written(folder):
    s = load_scenario(write(folder, FULL))
    assert (s.name, s.description, s.seed) == ("t", "every field written", 1)
    assert s.market == Market(0.25, 0.8, 0.0, 2.0, None)
    loyal, farmers, ring, whale = s.populations
    assert loyal == Population("loyal", "loyal_lp", 3, 5_000 * LP, "pool", 0.2, 7 * DAY, 7 * DAY, 0.0, 0.0, 1, 0)
    assert (farmers.hurdle, farmers.exit_below, farmers.capital) == (0.3, 0.2, 5_000 * LP)
    assert (ring.addresses, ring.capital, ring.exit_below) == (4, 10_000 * LP, 0.3)
    assert (whale.arrive_before_end, whale.capital) == (3 * DAY, 50_000 * LP)


@pytest.mark.parametrize(
    ("written", "wei"),
    [
        ('"5_000"', 5_000 * LP),
        ("5000", 5_000 * LP),
        ('"5_000 LP"', 5_000 * LP),
        ('"5k LP"', 5_000 * LP),
        ("2.5", 5 * LP // 2),
        ('"12 wei"', 12),
    ],
)
def test_capital_units(folder, written, wei):
    path = write(folder, edit(FULL, 'name = "whale"', 'capital = "50k LP"', f"capital = {written}"))
    assert load_scenario(path).populations[3].capital == wei


@pytest.mark.parametrize(("written", "wei"), [('"2m ZK"', 2_000_000 * ZK), ("1000", 1_000 * ZK), ('"1_500"', 1_500 * ZK)])
def test_voting_power_units(folder, written, wei):
    path = write(folder, edit(FULL, "[delegates]", 'voting_power = "1_000_000"', f"voting_power = {written}"))
    assert load_scenario(path).delegates.voting_power == wei


def test_percentages_prices_and_dates(folder):
    text = edit(FULL, "[market]", "price = 0.25", 'price = "$0.5"')
    text = edit(text, "[market]", 'volatility = "80%"', 'volatility = "6000 bps"')
    text = edit(text, "[market]", 'drift = "0%"', 'drift = "-12.5%"')
    text = edit(text, "[delegates.rule]", 'iterate_by = "-20%"', 'iterate_by = "+10%"')
    text = edit(text, "", 'start = "2027-01-01"', "start = 2026-12-31")  # a TOML date
    s = load_scenario(write(folder, text))
    assert (s.market.price, s.market.volatility, s.market.drift) == (0.5, 0.6, -0.125)
    assert s.delegates.rule.iterate_by_bps == 1_000
    assert s.start == JAN1 - DAY


def test_pinned_price_path(folder):
    text = edit(MINIMAL, "", 'horizon = "42d"', 'horizon = "3d"')
    text = edit(text, "[market]", "price = 0.25", 'path = [0.25, "0.3", 1, 0.2]')
    s = load_scenario(write(folder, text))
    assert s.market.path == (0.25, 0.3, 1.0, 0.2)
    assert s.market.price == 0.25


# --- the rules, each with its line and field -----------------------------------------------------

# (after, old line, new line, field, message fragment); the problem is on the new line.
RULES = [
    (
        "",
        'name = "t"',
        'name = "Bad Name"',
        "name",
        'is not a scenario name: lower-case letters, digits, "-", "_" and "." (at most 64; it names out/sim/<name>/; try "bad-name")',
    ),
    ("", 'programmes = ["pool.toml"]', "programmes = []", "programmes", "should list at least one programme spec file"),
    ("", 'start = "2027-01-01"', 'start = "2027-01-02"', "start", "2027-01-02 is after programme pool starts (2027-01-01)"),
    ("", 'start = "2027-01-01"', 'start = "Jan 1"', "start", '"Jan 1" is not a date'),
    ("", 'horizon = "42d"', 'horizon = "0d"', "horizon", 'must be longer than zero (try "180d")'),
    ("", 'horizon = "42d"', 'horizon = "3 fortnights"', "horizon", 'unknown time unit "fortnights"'),
    ("", 'horizon = "42d"', 'horizon = "6mo"', "horizon", "months and years have no fixed length"),
    ("", 'step = "1d"', 'step = "0s"', "step", "must be longer than zero"),
    ("", 'step = "1d"', 'step = "43d"', "step", '"43d" is longer than the horizon "42d"'),
    ("", 'step = "1d"', 'step = "1s"', "step", "more than 200_000 (try a longer step)"),
    ("", "seed = 1", "seed = -1", "seed", "-1 is negative"),
    ("", "seed = 1", 'seed = "1"', "seed", "is text; write the number without quotes"),
    ("", 'engine = "revm"', 'engine = "evm"', "engine", '"evm" is not an engine (did you mean "revm"?)'),
    ("[market]", "price = 0.25", "price = 0", "market.price", "the price must be more than 0"),
    ("[market]", "price = 0.25", 'price = "cheap"', "market.price", '"cheap" is not a price'),
    ("[market]", 'volatility = "80%"', 'volatility = "-5%"', "market.volatility", '"-5%" is negative'),
    (
        "[market]",
        'volatility = "80%"',
        "volatility = 0.8",
        "market.volatility",
        'a plain number, not a percentage: write "80%" (0.8 as a fraction) or "0.8%"',
    ),
    ("[market]", 'drift = "0%"', 'drift = "a lot"', "market.drift", "is not a percentage"),
    ("[market]", "lp_value = 2.0", "lp_value = -1", "market.lp_value", "an LP token must be worth more than 0"),
    (
        "[market]",
        "lp_value = 2.0",
        "lp_value = 2.0\npath = [0.25, 0.3]",
        "market.path",
        "has 2 prices; a run of 42 steps needs 43",
    ),
    ("[keeper]", "enabled = true", 'enabled = "yes"', "keeper.enabled", '"yes" is not true or false'),
    ("[keeper]", "enabled = true", 'enabled = "true"', "keeper.enabled", "is text; write true without quotes"),
    ("[keeper]", 'interval = "1d"', 'interval = "36h"', "keeper.interval", 'is not a multiple of the step "1d"'),
    ("[keeper]", 'interval = "1d"', 'interval = "0d"', "keeper.interval", "must be longer than zero"),
    ("[delegates]", "count = 10", "count = 0", "delegates.count", "at least 1 delegate"),
    ("[delegates]", 'attendance = "60%"', 'attendance = "101%"', "delegates.attendance", "101% is above 100%"),
    ("[delegates]", "decisions_per_month = 4", "decisions_per_month = -1", "delegates.decisions_per_month", "-1 is negative"),
    ("[delegates]", 'voting_power = "1_000_000"', 'voting_power = "0"', "delegates.voting_power", "must be more than 0 ZK"),
    (
        "[delegates]",
        'voting_power = "1_000_000"',
        'voting_power = "5 ETH"',
        "delegates.voting_power",
        '"5 ETH" is in ETH, but voting power is counted in ZK',
    ),
    (
        "[delegates.rule]",
        'stop_above = "150%"',
        'stop_above = "40%"',
        "delegates.rule.stop_above",
        "40% must be above continue_below (40%)",
    ),
    ("[delegates.rule]", 'continue_below = "40%"', 'continue_below = "-1%"', "delegates.rule.continue_below", "negative"),
    ("[delegates.rule]", 'iterate_by = "-20%"', 'iterate_by = "0%"', "delegates.rule.iterate_by", "must change the cap"),
    (
        "[delegates.rule]",
        'iterate_by = "-20%"',
        'iterate_by = "-100%"',
        "delegates.rule.iterate_by",
        "100% is not inside -100%..+100%",
    ),
    (
        "[delegates.rule]",
        'iterate_by = "-20%"',
        'iterate_by = "-0.005%"',
        "delegates.rule.iterate_by",
        "finer than a basis point",
    ),
    (
        'name = "loyal"',
        'kind = "loyal_lp"',
        'kind = "farmer"',
        "agents[0].kind",
        '"farmer" is not an agent kind (did you mean "mercenary"?)',
    ),
    ('name = "loyal"', 'kind = "loyal_lp"', 'kind = "loyl_lp"', "agents[0].kind", 'did you mean "loyal_lp"?'),
    ('name = "loyal"', "count = 3", "count = 0", "agents[0].count", "a population has at least 1 agent"),
    ('name = "loyal"', 'capital = "5_000"', 'capital = "0"', "agents[0].capital", "must be more than 0 LP"),
    (
        'name = "loyal"',
        'capital = "5_000"',
        'capital = "5_000 ZK"',
        "agents[0].capital",
        '"5_000 ZK" is in ZK, but capital is counted in LP',
    ),
    ('name = "loyal"', 'capital = "5_000"', "capital = -5", "agents[0].capital", "is negative"),
    ('name = "loyal"', 'spread = "20%"', 'spread = "150%"', "agents[0].spread", "150% is above 100%"),
    (
        'name = "loyal"',
        'claim_every = "7d"',
        'claim_every = "36h"',
        "agents[0].claim_every",
        'is not a multiple of the step "1d" (try "1d")',
    ),
    (
        'name = "loyal"',
        'programme = "pool"',
        'programme = "pol"',
        "agents[0].programme",
        'no programme "pol" in the specs (did you mean "pool"?)',
    ),
    ('name = "loyal"', 'join_within = "7d"', 'join_within = "43d"', "agents[0].join_within", "is longer than the horizon"),
    (
        'name = "loyal"',
        'join_within = "7d"',
        'join_within = "7d"\nhurdle = "5%"',
        "agents[0].hurdle",
        "does not apply to loyal_lp agents (it is for mercenary and sybil agents)",
    ),
    ('name = "farmers"', 'exit_below = "20%"', 'exit_below = "31%"', "agents[1].exit_below", "31% is above the hurdle (30%)"),
    (
        'name = "farmers"',
        'exit_below = "20%"',
        'exit_below = "20%"\naddresses = 3',
        "agents[1].addresses",
        "does not apply to mercenary agents (it is for sybil, wash_trader and duplicate_filer agents)",
    ),
    (
        'name = "farmers"',
        'exit_below = "20%"',
        'exit_below = "20%"\njoin_within = "1d"',
        "agents[1].join_within",
        "does not apply to mercenary agents (it is for loyal_lp agents)",
    ),
    ('name = "ring"', "addresses = 4", "addresses = 1", "agents[2].addresses", "splits its capital over at least 2 addresses"),
    (
        'name = "ring"',
        "addresses = 4",
        'addresses = 4\narrive_before_end = "1d"',
        "agents[2].arrive_before_end",
        "does not apply to sybil agents (it is for whale agents)",
    ),
    (
        'name = "whale"',
        'arrive_before_end = "3d"',
        'arrive_before_end = "0d"',
        "agents[3].arrive_before_end",
        "must be longer than zero",
    ),
    (
        'name = "whale"',
        'arrive_before_end = "3d"',
        'arrive_before_end = "15d"',
        "agents[3].arrive_before_end",
        '"15d" is longer than the shortest epoch of pool (14d)',
    ),
    (
        'name = "whale"',
        'arrive_before_end = "3d"',
        "addresses = 3",
        "agents[3].addresses",
        "does not apply to whale agents (it is for sybil, wash_trader and duplicate_filer agents)",
    ),
    (
        "addresses = 4",
        'name = "whale"',
        'name = "ring"',
        "agents[3].name",
        'population "ring" is already the name of [[agents]] number 3',
    ),
    ("addresses = 4", 'name = "whale"', 'name = "big fish"', "agents[3].name", "is not a population name"),
    # Unknown keys, with the closest known one.
    ("", 'horizon = "42d"', 'horizon = "42d"\nhorizn = "1d"', "horizn", 'unknown key (did you mean "horizon"?)'),
    (
        "[market]",
        'volatility = "80%"',
        'volatility = "80%"\nvolatilty = "1%"',
        "market.volatilty",
        'unknown key (did you mean "volatility"?)',
    ),
    (
        "[keeper]",
        'interval = "1d"',
        'interval = "1d"\nintervals = "1d"',
        "keeper.intervals",
        'unknown key (did you mean "interval"?)',
    ),
    (
        "[delegates]",
        "count = 10",
        "count = 10\nattendence = 1",
        "delegates.attendence",
        'unknown key (did you mean "attendance"?)',
    ),
    (
        "[delegates.rule]",
        'stop_above = "150%"',
        'stop_above = "150%"\nstop_abov = 1',
        "delegates.rule.stop_abov",
        'unknown key (did you mean "stop_above"?)',
    ),
    (
        'name = "farmers"',
        'hurdle = "30%"',
        'hurdle = "30%"\nhurdel = "1%"',
        "agents[1].hurdel",
        'unknown key (did you mean "hurdle"?)',
    ),
    (
        'name = "farmers"',
        'hurdle = "30%"',
        'hurdle = "30%"\nzzz = 1',
        "agents[1].zzz",
        "unknown key (known keys: name, kind, count, capital",
    ),
]


@pytest.mark.parametrize(("after", "old", "new", "field", "fragment"), RULES, ids=[f"{r[3]}:{r[2][:24]}" for r in RULES])
def test_rule(folder, after, old, new, field, fragment):
    path = write(folder, edit(FULL, after, old, new))
    err = only_error(path)
    assert err.field == field
    assert err.line == line_of(path, new.splitlines()[-1], after)
    assert fragment in err.message
    assert err.file == str(path)


def test_missing_required_fields(folder):
    text = edit(FULL, 'name = "farmers"', 'capital = "5_000 LP"\n', "")
    text = edit(text, "", 'horizon = "42d"\n', "")
    path = write(folder, text)
    scenario, problems = check_scenario(path)
    assert scenario is None
    assert [(p.line, p.field, p.message) for p in problems] == [
        (1, "horizon", "is required (add `horizon = …` to the file)"),
        (line_of(path, 'name = "farmers"') - 1, "agents[1].capital", 'is required: the LP tokens it stakes (try "5_000 LP")'),
    ]


def test_no_market_table(folder):
    err = only_error(write(folder, 'programmes = ["pool.toml"]\nhorizon = "42d"\n'))
    assert (err.line, err.field) == (1, "")
    assert "has no [market] table" in err.message


def test_market_needs_a_price_or_a_path(folder):
    path = write(folder, edit(MINIMAL, "[market]", "price = 0.25", 'volatility = "10%"'))
    err = only_error(path)
    assert (err.line, err.field) == (line_of(path, "[market]"), "market.price")
    assert "is required" in err.message


def test_path_rules(folder):
    text = edit(MINIMAL, "", 'horizon = "42d"', 'horizon = "2d"')
    path = write(folder, edit(text, "[market]", "price = 0.25", "price = 0.3\npath = [0.25, 0, 0.2]"))
    _, problems = check_scenario(path)
    assert [(p.line, p.field) for p in problems] == [
        (line_of(path, "price ="), "market.price"),
        (line_of(path, "path ="), "market.path"),
    ]
    assert "0.3 differs from the path's first price 0.25" in problems[0].message
    assert "price number 2 is 0; prices must be more than 0" in problems[1].message


def test_agents_written_as_a_single_table(folder):
    path = write(folder, MINIMAL + '\n[agents]\nkind = "whale"\n')
    err = only_error(path)
    assert (err.line, err.field) == (line_of(path, "[agents]"), "agents")
    assert "should be [[agents]] tables" in err.message


def test_population_names_default_to_kind_and_must_differ(folder):
    path = write(
        folder,
        MINIMAL + '\n[[agents]]\nkind = "whale"\ncount = 1\ncapital = 1\n\n[[agents]]\nkind = "whale"\ncount = 1\ncapital = 2\n',
    )
    err = only_error(path)
    assert (err.field, err.line) == ("agents[1]", line_of(path, "[[agents]]", "capital = 1"))
    assert err.message == 'population "whale" is already the name of [[agents]] number 1; give each population a distinct `name`'


def test_agents_need_a_staking_programme(folder):
    text = edit(MINIMAL, "", '"pool.toml"', '"grants.toml"') + '\n[[agents]]\nkind = "whale"\ncount = 1\ncapital = 1\n'
    path = write(folder, text)
    err = only_error(path)
    assert (err.field, err.line) == ("agents[0].programme", line_of(path, "[[agents]]"))
    assert "the specs hold no staking programme for whale agents to meet (they hold: grants (stream))" in err.message


def test_agents_cannot_farm_a_stream(folder):
    text = edit(FULL, "", '["pool.toml"]', '["pool.toml", "grants.toml"]')
    path = write(folder, edit(text, 'name = "loyal"', 'programme = "pool"', 'programme = "grants"'))
    err = only_error(path)
    assert (err.field, err.line) == ("agents[0].programme", line_of(path, 'programme = "grants"'))
    assert err.message == '"grants" is a stream; loyal_lp agents meet a staking programme (try "pool")'


def test_the_run_must_reach_the_programmes(folder):
    text = edit(FULL, "", 'start = "2027-01-01"', 'start = "2026-12-01"')
    path = write(folder, edit(text, "", 'horizon = "42d"', 'horizon = "31d"'))
    err = only_error(path)
    assert (err.field, err.line) == ("horizon", line_of(path, "horizon ="))
    assert err.message == 'the run ends 2027-01-01, before the first programme starts (2027-01-01); try at least "32d"'


def test_every_problem_at_once(folder):
    text = edit(FULL, "", "seed = 1", "seed = -1")
    text = edit(text, "[market]", "price = 0.25", "price = 0")
    text = edit(text, "[delegates.rule]", 'iterate_by = "-20%"', 'iterate_by = "0%"')
    text = edit(text, 'name = "ring"', "addresses = 4", "addresses = 1")
    text = edit(text, 'name = "whale"', 'capital = "50k LP"', 'capital = "50k ZK"')
    path = write(folder, text)
    _, problems = check_scenario(path)
    assert [p.field for p in problems] == [
        "seed",
        "market.price",
        "delegates.rule.iterate_by",
        "agents[2].addresses",
        "agents[3].capital",
    ]
    assert [p.line for p in problems] == sorted(p.line for p in problems)
    with pytest.raises(SpecError) as info:
        load_scenario(path)
    assert info.value.problems == problems
    assert f"{path}:{line_of(path, 'seed = -1')} seed: -1 is negative" in str(info.value)


# --- the programme specs ----------------------------------------------------------------------


def test_missing_programme_file(folder):
    path = write(folder, edit(FULL, "", '["pool.toml"]', '[\n  "pool.toml",\n  "nope.toml",\n]'))
    err = only_error(path)
    assert (err.field, err.line) == ("programmes[1]", line_of(path, '"nope.toml"'))
    assert f'"nope.toml" is not a file (the path is relative to the scenario; looked for {folder / "nope.toml"})' == err.message


def test_programmes_relative_to_the_scenario(folder):
    (folder / "runs").mkdir()
    path = write(folder, edit(MINIMAL, "", '"pool.toml"', '"../pool.toml"'), "runs/s.toml")
    assert [p.name for p in load_scenario(path).programmes] == ["pool"]


def test_a_spec_reports_its_own_problems(folder):
    (folder / "bad.toml").write_text(programme_spec("bad").replace('epoch_cap = "200k ZK"', 'epoch_cap = "200k ETH"'))
    path = write(folder, edit(MINIMAL, "", '"pool.toml"', '"bad.toml"'))
    err = only_error(path)
    assert err.file == str(folder / "bad.toml")
    assert (err.field, err.line) == ("programme.bad.epoch_cap", line_of(folder / "bad.toml", "epoch_cap"))
    assert "is in ETH, but the budget mints ZK" in err.message


def test_specs_must_share_their_globals(folder):
    (folder / "other.toml").write_text(
        programme_spec("other").replace(
            'globals = "globals.toml"', "[globals]\n" + GLOBALS.replace("load_limit = 2", "load_limit = 3")
        )
    )
    path = write(folder, edit(MINIMAL, "", '["pool.toml"]', '["pool.toml", "other.toml"]'))
    err = only_error(path)
    assert (err.field, err.line) == ("programmes[1]", 1)
    assert '"other.toml" uses other global parameters than "pool.toml" (load_limit differ)' in err.message


def test_programme_names_are_unique_across_specs(folder):
    (folder / "pool2.toml").write_text(programme_spec("pool", cap="100k ZK"))
    path = write(folder, edit(MINIMAL, "", '["pool.toml"]', '["pool.toml", "pool2.toml"]'))
    err = only_error(path)
    assert err.field == "programmes[1]"
    assert 'programme "pool" is also in "pool.toml"' in err.message


def test_a_spec_listed_twice(folder):
    path = write(folder, edit(MINIMAL, "", '["pool.toml"]', '["pool.toml", "./pool.toml"]'))
    err = only_error(path)
    assert err.field == "programmes[1]"
    assert err.message == '"./pool.toml" is listed twice (also as "pool.toml")'


def test_specs_are_admitted_together(folder):
    # Each fits the inflation threshold (1m ZK/month) alone; together they do not.
    (folder / "a.toml").write_text(programme_spec("a", cap="300k ZK"))
    (folder / "b.toml").write_text(programme_spec("b", cap="300k ZK"))
    path = write(folder, edit(MINIMAL, "", '["pool.toml"]', '["a.toml", "b.toml"]'))
    err = only_error(path)
    assert err.field == "programmes[1]"
    assert 'with the other specs, programme "b" epoch_cap:' in err.message
    assert "budget: rate above threshold" in err.message


def test_programmes_required(folder):
    err = only_error(write(folder, 'horizon = "42d"\n[market]\nprice = 1\n'))
    assert (err.line, err.field) == (1, "")
    assert "names no programme specs" in err.message


def test_bad_toml_syntax(folder):
    path = write(folder, 'programmes = ["pool.toml"]\nhorizon = "42d\n')
    err = only_error(path)
    assert (err.file, err.line, err.field) == (str(path), 2, "")
    assert err.message.startswith("TOML syntax:")


def test_missing_scenario_file(folder):
    err = only_error(folder / "absent.toml")
    assert err.line == 1
    assert "cannot read the file" in err.message
    with pytest.raises(SpecError):
        load_scenario(folder / "absent.toml")


# --- sweeps -----------------------------------------------------------------------------------

SWEEP = """
[sweep]
seeds = 4

[sweep.parameters]
"market.volatility" = ["40%", "80%", "120%"]
"agents.farmers.hurdle" = ["10%", "30%"]
"""


def test_sweep_is_a_cartesian_product_with_seeds_inner(folder):
    path = write(folder, edit(FULL, 'name = "farmers"', 'exit_below = "20%"', 'exit_below = "5%"') + SWEEP)
    s = load_scenario(path)
    assert s.sweep.seeds == 4
    assert s.sweep.parameters == {"market.volatility": ("40%", "80%", "120%"), "agents.farmers.hurdle": ("10%", "30%")}
    runs = expand_sweep(s)
    assert len(runs) == 3 * 2 * 4
    assert [r.run_id for r in runs] == list(range(24))
    assert [r.set_id for r in runs] == [i // 4 for i in range(24)]
    assert [r.seed for r in runs] == [1, 2, 3, 4] * 6
    sets = [tuple(r.overrides.items()) for r in runs[::4]]
    assert sets == [
        (("market.volatility", vol), ("agents.farmers.hurdle", hurdle))
        for vol in ("40%", "80%", "120%")
        for hurdle in ("10%", "30%")
    ]
    assert len(set(sets)) == 6
    assert all(r.overrides == runs[r.set_id * 4].overrides for r in runs)
    assert {r.scenario_path for r in runs} == {str(path.resolve())}
    assert isinstance(runs[0], RunSpec)


def test_sweep_expansion_is_deterministic(folder):
    path = write(folder, edit(FULL, 'name = "farmers"', 'exit_below = "20%"', 'exit_below = "5%"') + SWEEP)
    assert expand_sweep(load_scenario(path)) == expand_sweep(load_scenario(path))


def test_no_sweep_is_one_run(folder):
    s = load_scenario(write(folder, FULL))
    assert expand_sweep(s) == [RunSpec(0, 0, 1, {}, str((folder / "scenario.toml").resolve()))]


def test_sweep_of_seeds_only(folder):
    s = load_scenario(write(folder, FULL + "\n[sweep]\nseeds = 3\n"))
    assert [(r.run_id, r.set_id, r.seed, r.overrides) for r in expand_sweep(s)] == [(0, 0, 1, {}), (1, 0, 2, {}), (2, 0, 3, {})]


def test_sweep_with_dotted_keys(folder):
    text = (
        FULL
        + '\n[sweep]\n[sweep.parameters]\nagents.farmers.hurdle = ["40%", "50%"]\ndelegates.rule.stop_above = ["100%", "200%"]\n'
    )
    s = load_scenario(write(folder, text))
    assert list(s.sweep.parameters) == ["agents.farmers.hurdle", "delegates.rule.stop_above"]
    assert len(expand_sweep(s)) == 4


def test_sweep_runs_build_their_scenarios(folder):
    path = write(folder, edit(FULL, 'name = "farmers"', 'exit_below = "20%"', 'exit_below = "5%"') + SWEEP)
    runs = expand_sweep(load_scenario(path))
    run = runs[11]  # the third set's fourth seed
    assert (run.set_id, run.seed, run.overrides) == (2, 4, {"market.volatility": "80%", "agents.farmers.hurdle": "10%"})
    one = load_scenario(run.scenario_path, run.overrides, run.seed)
    assert (one.market.volatility, one.populations[1].hurdle, one.seed) == (0.8, 0.1, 4)
    assert one.overrides == run.overrides
    # The farmers' exit_below is written (5%), so it stays whatever the hurdle.
    assert one.populations[1].exit_below == 0.05


def test_an_invalid_value_is_reported_once_at_its_parameter(folder):
    text = (
        FULL
        + '\n[sweep]\nseeds = 2\n[sweep.parameters]\n"market.volatility" = ["40%", "-5%"]\n"market.drift" = ["0%", "5%", "10%"]\n'
    )
    path = write(folder, text)
    err = only_error(path)
    assert (err.line, err.field) == (line_of(path, '"market.volatility"'), 'sweep.parameters."market.volatility"')
    assert err.message.startswith('"-5%" is negative')


def test_a_clash_between_parameters_names_both_values(folder):
    text = (
        FULL
        + '\n[sweep]\n[sweep.parameters]\n"delegates.rule.continue_below" = ["30%", "100%"]\n"delegates.rule.stop_above" = ["60%", "200%"]\n'
    )
    path = write(folder, text)
    err = only_error(path)
    assert (err.line, err.field) == (line_of(path, '"delegates.rule.stop_above"'), 'sweep.parameters."delegates.rule.stop_above"')
    assert (
        err.message
        == '"60%" (with delegates.rule.continue_below = "100%"): 60% must be above continue_below (100%): between the two, delegates ITERATE'
    )


def test_a_value_that_breaks_another_field(folder):
    # The farmers' exit_below (20%) is fine until the hurdle drops under it.
    text = FULL + '\n[sweep]\n[sweep.parameters]\n"agents.farmers.hurdle" = ["10%", "30%"]\n'
    path = write(folder, text)
    err = only_error(path)
    assert (err.line, err.field) == (line_of(path, '"agents.farmers.hurdle"'), 'sweep.parameters."agents.farmers.hurdle"')
    assert err.message.startswith('"10%": agents[1].exit_below: 20% is above the hurdle (10%)')


def test_sweeping_the_step(folder):
    text = FULL + '\n[sweep]\n[sweep.parameters]\nstep = ["1d", "2d"]\n'
    path = write(folder, text)
    _, problems = check_scenario(path)
    assert {(p.line, p.field) for p in problems} == {(line_of(path, "step = ["), "sweep.parameters.step")}
    assert [p.message for p in problems] == [
        '"2d": keeper.interval: "1d" is not a multiple of the step "2d" (try "2d")',
        '"2d": agents[0].claim_every: "7d" is not a multiple of the step "2d" (try "6d")',
    ]


SWEEP_PATHS = [
    (
        '"market.volatilty" = ["1%"]',
        'sweep.parameters."market.volatilty"',
        '"market.volatilty" is not a field a sweep can set (did you mean "market.volatility"?)',
    ),
    ('programmes = [["a.toml"]]', "sweep.parameters.programmes", '"programmes" cannot be swept: the programme specs cannot vary'),
    ('name = ["a", "b"]', "sweep.parameters.name", '"name" cannot be swept'),
    ("seed = [1, 2]", "sweep.parameters.seed", "seeds come from `seeds = N` in [sweep]"),
    ('"market.path" = [1]', 'sweep.parameters."market.path"', "a sweep sets single values"),
    (
        '"agents.farmer.hurdle" = ["1%"]',
        'sweep.parameters."agents.farmer.hurdle"',
        'no agent population "farmer" (did you mean "farmers"?)',
    ),
    (
        '"agents.whale.hurdle" = ["1%"]',
        'sweep.parameters."agents.whale.hurdle"',
        '"hurdle" does not apply to whale agents (population "whale")',
    ),
    ('"agents.whale.kind" = ["sybil"]', 'sweep.parameters."agents.whale.kind"', "a population's kind cannot vary"),
    (
        '"agents.ring.adresses" = [2]',
        'sweep.parameters."agents.ring.adresses"',
        'a population has no field "adresses" (did you mean "agents.ring.addresses"?)',
    ),
    ('"market.drift" = []', 'sweep.parameters."market.drift"', "should be a non-empty list of values to try"),
    ('"market.drift" = "5%"', 'sweep.parameters."market.drift"', "should be a non-empty list of values to try"),
    ('"market.drift" = [["5%"]]', 'sweep.parameters."market.drift"', "each value is a single value"),
    ('"market.drift" = ["5%", "5%"]', 'sweep.parameters."market.drift"', 'lists "5%" twice'),
    ("seeds = 0", "sweep.seeds", "0: a sweep runs each parameter set with at least 1 seed"),
    ("seed = 3", "sweep.seed", 'unknown key (did you mean "seeds"?)'),
]


@pytest.mark.parametrize(("line", "field", "fragment"), SWEEP_PATHS, ids=[s[0][:28] for s in SWEEP_PATHS])
def test_sweep_parameter_rules(folder, line, field, fragment):
    table = "[sweep]" if field.startswith("sweep.seed") else "[sweep]\n[sweep.parameters]"
    path = write(folder, f"{FULL}\n{table}\n{line}\n")
    err = only_error(path)
    assert (err.line, err.field) == (line_of(path, line), field)
    assert fragment in err.message


def test_too_many_parameter_sets(folder):
    values = ", ".join(f'"{i}%"' for i in range(1, 101))
    text = f'{FULL}\n[sweep]\n[sweep.parameters]\n"market.drift" = [{values}]\n"market.volatility" = [{values}]\n"delegates.attendance" = ["1%", "2%"]\n'
    path = write(folder, text)
    err = only_error(path)
    assert (err.line, err.field) == (line_of(path, "[sweep.parameters]"), "sweep.parameters")
    assert "makes 20_000 parameter sets, more than 10_000" in err.message


# --- overrides and seeds ----------------------------------------------------------------------


def test_overrides_replace_fields_before_checking(folder):
    path = write(folder, FULL)
    before = path.read_text()
    overrides = {"market.volatility": "20%", "agents.ring.addresses": 7, "delegates.rule.stop_above": "90%", "horizon": "28d"}
    s = load_scenario(path, overrides)
    assert (s.market.volatility, s.populations[2].addresses, s.delegates.rule.stop_above, s.steps) == (0.2, 7, 0.9, 28)
    assert s.overrides == overrides
    assert path.read_text() == before
    assert load_scenario(path).market.volatility == 0.8


def test_overrides_may_set_a_table_the_file_leaves_out(folder):
    s = load_scenario(write(folder, MINIMAL), {"keeper.enabled": False, "delegates.rule.iterate_by": "-50%"})
    assert s.keeper == Keeper(False, DAY)
    assert s.delegates.rule.iterate_by_bps == -5_000


def test_seed_replaces_the_files(folder):
    path = write(folder, FULL)
    assert load_scenario(path, seed=42).seed == 42
    assert load_scenario(path).seed == 1
    err = only_error(path, seed=-2)
    assert (err.field, err.line) == ("seed", line_of(path, "seed = 1"))
    assert err.message == "-2 is negative; a seed is a whole number >= 0 (the seed passed in)"


def test_a_bad_override_names_its_value(folder):
    path = write(folder, FULL)
    err = only_error(path, overrides={"market.drift": "lots"})
    assert (err.field, err.line) == ("market.drift", line_of(path, "drift ="))
    assert err.message == '"lots" is not a percentage (try "-20%" or "+10%") (set by the override market.drift = "lots")'


def test_a_bad_override_of_a_swept_parameter_is_at_the_sweep(folder):
    path = write(folder, edit(FULL, 'name = "farmers"', 'exit_below = "20%"', 'exit_below = "5%"') + SWEEP)
    err = only_error(path, overrides={"market.volatility": "-1%"})
    assert (err.field, err.line) == ('sweep.parameters."market.volatility"', line_of(path, '"market.volatility"'))
    assert err.message.startswith('"-1%" is negative')


def test_an_override_of_an_unknown_field(folder):
    path = write(folder, FULL)
    err = only_error(path, overrides={"market.volatilty": "1%"})
    assert (err.field, err.line) == ('overrides."market.volatilty"', 1)
    assert 'did you mean "market.volatility"?' in err.message


def test_a_bounty_nobody_files_to_mints_nothing(folder):
    """Every kind runs in the simulator: a bounty without researchers has judges and a keeper
    but no submissions, so its epochs' emission is never minted."""
    spec = programme_spec("research", kind="stream").replace('kind = "stream"', 'kind = "bounty"')
    spec = spec.replace(f'recipient = "{SAFE}"', f'judge = "{SAFE}"')
    spec += '[programme.research.bounty]\nscoring_period = "3d"\nduplicate_decay = "90%"\ndeposit = "0"\n'
    (folder / "research.toml").write_text(spec)
    path = write(folder, edit(MINIMAL, "", '["pool.toml"]', '["pool.toml", "research.toml"]'))
    scenario = load_scenario(path)
    assert [p.kind for p in scenario.programmes] == ["staking", "bounty"]
    trace = run_scenario(scenario).trace
    assert trace.samples[-1].programmes["research"].emitted == 0
    assert trace.rewards["research"] == {}
