"""Every rule of a programme spec, each producing exactly its error on the right line, and the
conversion of a valid spec to what the factory takes."""

from __future__ import annotations

from pathlib import Path

import pytest

from tpp.base.units import format_date, parse_date
from tpp.specs.spec import DEFAULT_VOTE_LEAD, AdmittedEpoch, GlobalParams, SpecError, check_spec, load_spec, summarize

ZK = 10**18
DAY = 86_400
JAN1 = parse_date("2027-01-01")
NOW = JAN1 - 30 * DAY  # the clock the checks run at: before every start below

GUARDIAN = "0x6000000000000000000000000000000000000006"
STEWARD = "0x5000000000000000000000000000000000000005"
SAFE = "0x1000000000000000000000000000000000000001"
LP = "0x2000000000000000000000000000000000000002"

GLOBALS = """\
[globals]
token = "ZK"
inflation_threshold = "1000 ZK/s"
allocation = "1b ZK"
max_share = "50%"
cycle_genesis = "2027-01-01"
cycle_length = "30d"
window_length = "7d"
load_limit = 2
"""


def programme(name: str, **overrides: str | None) -> str:
    """A valid stream programme table; overrides replace a key's value text, None drops it."""
    fields = {
        "kind": '"stream"',
        "recipient": f'"{SAFE}"',
        "epoch_cap": '"1m ZK"',
        "first_start": '"2027-01-01"',
        "first_end": '"2027-01-31"',
        "epoch_duration": '"30d"',
        "evaluation_window": '"7d"',
        "default_outcome": '"STOP"',
        "max_epochs": "1",
        "iterate_bound": '"20%"',
        "guardian": f'"{GUARDIAN}"',
    }
    fields.update(overrides)
    body = "\n".join(f"{k} = {v}" for k, v in fields.items() if v is not None)
    return f"[programme.{name}]\n{body}\n"


def write(tmp_path: Path, *tables: str, globals: str = GLOBALS, head: str = "") -> Path:
    path = tmp_path / "spec.toml"
    path.write_text(head + globals + "\n" + "\n".join(tables))
    return path


def line_of(path: Path, snippet: str, after: str = "") -> int:
    """1-based line of the first line containing `snippet` (after the line containing `after`)."""
    lines = path.read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if after in line) if after else 0
    return next(i for i, line in enumerate(lines) if i >= start and snippet in line) + 1


def only_error(path: Path, **kwargs):
    result = check_spec(path, now=NOW, **kwargs)
    assert len(result.errors) == 1, "\n".join(map(str, result.errors))
    return result.errors[0]


# --- a valid spec ------------------------------------------------------------------------------


def test_valid_spec_converts_to_programme_specs(tmp_path):
    path = write(
        tmp_path,
        programme("grants", steward=f'"{STEWARD}"')
        + '[programme.grants.dials.throttle_bps]\ninitial = "100%"\nlower = "50%"\nupper = "100%"\nstep = "10%"\ncooldown = "7d"\n'
        + '[programme.grants.pause]\noracle = "0x7000000000000000000000000000000000000007"\ncomparator = ">="\nthreshold = "1500.5"\noracle_max_age = "1d"\nmax_pause = "60d"\n',
        programme(
            "pool",
            kind='"staking"',
            recipient=None,
            stake_token=f'"{LP}"',
            first_end=None,
            max_epochs="3",
            default_outcome='"continue"',
        ),
    )
    spec = load_spec(path, now=NOW)
    assert [p.name for p in spec.programmes] == ["grants", "pool"]
    assert spec.globals == GlobalParams(1000 * ZK, 10**9 * ZK, 5_000, JAN1, 30 * DAY, 7 * DAY, 2, "ZK", 18, DEFAULT_VOTE_LEAD)
    grants, pool = spec.to_chain()
    assert (grants.kind, grants.target, grants.epoch_cap) == ("stream", SAFE, 10**6 * ZK)
    assert (grants.first_start, grants.first_end, grants.epoch_duration, grants.window_length) == (
        JAN1,
        JAN1 + 30 * DAY,
        30 * DAY,
        7 * DAY,
    )
    assert (grants.default_outcome, grants.max_epochs, grants.iterate_cap_bps) == ("STOP", 1, 2_000)
    # The threshold is stored at 18 decimals, whatever the feed's: 1500.5 of the feed's unit.
    assert (grants.steward, grants.guardian, grants.comparator, grants.threshold, grants.max_pause, grants.oracle_max_age) == (
        STEWARD,
        GUARDIAN,
        ">=",
        1500_500_000_000_000_000_000,
        60 * DAY,
        DAY,
    )
    assert [(d.name, d.initial, d.lower, d.upper, d.step, d.cooldown) for d in grants.dials] == [
        ("throttle_bps", 10_000, 5_000, 10_000, 1_000, 7 * DAY)
    ]
    # first_end left out: the first boundary a whole epoch after the start.
    assert (pool.kind, pool.target, pool.first_end, pool.default_outcome, pool.max_epochs) == (
        "staking",
        LP,
        JAN1 + 30 * DAY,
        "CONTINUE",
        3,
    )
    assert len(grants.as_tuple()) == 22  # the factory's struct
    assert grants.as_tuple()[14:17] == (1500_500_000_000_000_000_000, 60 * DAY, DAY)  # threshold, max_pause, oracle_max_age
    assert "answers >= 1500.5 (in the feed's unit, whatever its decimals; answers older than 1d do not count)" in "\n".join(
        summarize(spec)
    )


def test_globals_from_a_file_relative_to_the_spec(tmp_path):
    (tmp_path / "params").mkdir()
    (tmp_path / "params" / "g.toml").write_text(GLOBALS.replace("[globals]\n", ""))
    path = write(tmp_path, programme("a"), globals='globals = "params/g.toml"\n')
    spec = load_spec(path, now=NOW)
    assert spec.globals.cycle_length == 30 * DAY and spec.globals_source.endswith("g.toml")


def test_globals_passed_in_replace_the_files(tmp_path):
    path = write(tmp_path, programme("a", first_end='"2027-01-11"', epoch_duration='"10d"'), globals="")
    params = GlobalParams(1000 * ZK, 10**9 * ZK, 5_000, JAN1, 10 * DAY, 7 * DAY, 2)
    spec = load_spec(path, globals=params, now=NOW)
    assert spec.globals is params and spec.programmes[0].first_end == JAN1 + 10 * DAY


def test_load_spec_raises_with_every_problem(tmp_path):
    path = write(tmp_path, programme("a", epoch_cap='"1m ETH"', max_epochs='"x"', guardian='"0x12"'))
    with pytest.raises(SpecError) as info:
        load_spec(path, now=NOW)
    fields = [p.field for p in info.value.problems]
    assert fields == ["programme.a.epoch_cap", "programme.a.max_epochs", "programme.a.guardian"]
    assert [p.line for p in info.value.problems] == [
        line_of(path, "epoch_cap"),
        line_of(path, "max_epochs"),
        line_of(path, "guardian"),
    ]


def test_field_errors_do_not_hide_the_rules_between_fields(tmp_path):
    path = write(tmp_path, programme("a", epoch_cap='"lots"', evaluation_window='"40d"'))
    result = check_spec(path, now=NOW)
    assert [p.field for p in result.errors] == ["programme.a.epoch_cap"] + ["programme.a.evaluation_window"] * 2


# --- rules inside one programme --------------------------------------------------------------------


def test_window_longer_than_epoch(tmp_path):
    path = write(tmp_path, programme("a", epoch_duration='"5d"', evaluation_window='"6d"'))
    error = only_error(path)
    assert (error.line, error.field) == (line_of(path, "evaluation_window"), "programme.a.evaluation_window")
    assert '"6d" is longer than the epoch duration "5d"' in error.message and "window longer than epoch" in error.message


def test_window_longer_than_the_shared_window(tmp_path):
    path = write(tmp_path, programme("a", evaluation_window='"10d"'))
    error = only_error(path)
    assert (error.line, error.field) == (line_of(path, "evaluation_window"), "programme.a.evaluation_window")
    assert 'longer than the shared evaluation window "7d"' in error.message


def test_epoch_end_off_the_decision_cycle(tmp_path):
    path = write(tmp_path, programme("a", first_end='"2027-01-20"'))
    error = only_error(path)
    assert (error.line, error.field) == (line_of(path, "first_end"), "programme.a.first_end")
    assert "2027-01-20 is not a decision-cycle boundary" in error.message and '"2027-01-31"' in error.message


def test_start_not_before_end(tmp_path):
    path = write(tmp_path, programme("a", first_start='"2027-02-05"'))
    error = only_error(path)
    assert error.field == "programme.a.first_end" and "not after it starts" in error.message


@pytest.mark.parametrize("outcome", ['"ITERATE"', '"PAUSE"', '"KILL"', '"maybe"', "1"])
def test_default_outcome_is_stop_or_continue(tmp_path, outcome):
    path = write(tmp_path, programme("a", default_outcome=outcome))
    error = only_error(path)
    assert (error.line, error.field) == (line_of(path, "default_outcome"), "programme.a.default_outcome")
    assert 'must be "STOP" or "CONTINUE"' in error.message


def test_iterate_bound_at_most_100_percent(tmp_path):
    path = write(tmp_path, programme("a", iterate_bound='"150%"'))
    error = only_error(path)
    assert (error.line, error.field) == (line_of(path, "iterate_bound"), "programme.a.iterate_bound")
    assert '"150%" is above 100%' in error.message


def dial(**values: str) -> str:
    fields = {"initial": '"100%"', "lower": '"50%"', "upper": '"100%"', "step": '"10%"', "cooldown": '"7d"'} | values
    return "[programme.a.dials.throttle_bps]\n" + "\n".join(f"{k} = {v}" for k, v in fields.items()) + "\n"


@pytest.mark.parametrize(
    ("values", "key", "fragment"),
    [
        ({"initial": '"40%"'}, "initial", "40% is outside lower..upper (50%..100%"),
        ({"upper": '"120%"'}, "upper", "120% is above the most the mechanism accepts (100%)"),
        ({"step": '"60%"', "upper": '"50%"', "initial": '"50%"'}, "step", "60% is larger than upper (50%)"),
    ],
)
def test_dials_within_bounds(tmp_path, values, key, fragment):
    path = write(tmp_path, programme("a", steward=f'"{STEWARD}"') + dial(**values))
    error = only_error(path)
    assert (error.line, error.field) == (line_of(path, f"{key} =", after="dials"), f"programme.a.dials.throttle_bps.{key}")
    assert fragment in error.message


def test_dials_need_a_steward(tmp_path):
    path = write(tmp_path, programme("a") + dial())
    error = only_error(path)
    assert (error.line, error.field) == (line_of(path, "[programme.a.dials"), "programme.a.dials")
    assert "dials need a `steward" in error.message


def test_unknown_dial(tmp_path):
    path = write(tmp_path, programme("a", steward=f'"{STEWARD}"') + dial().replace("throttle_bps", "throtle"))
    error = only_error(path)
    assert error.field == "programme.a.dials.throtle" and 'did you mean "throttle_bps"' in error.message


def test_address_must_be_checksummed(tmp_path):
    path = write(tmp_path, programme("a", guardian='"0xabababababababababababababababababababab"'))
    error = only_error(path)
    assert (error.line, error.field) == (line_of(path, "guardian"), "programme.a.guardian")
    assert 'not checksummed (EIP-55; try "0xABaBaBaBABabABabAbAbABAbABabababaBaBABaB")' in error.message


@pytest.mark.parametrize(
    ("value", "fragment"),
    [('"0x123"', "is not an address"), (f'"{GUARDIAN[2:]}"', "missing the 0x prefix"), ("42", "is not an address")],
)
def test_address_must_be_valid(tmp_path, value, fragment):
    path = write(tmp_path, programme("a", guardian=value))
    error = only_error(path)
    assert error.field == "programme.a.guardian" and fragment in error.message


def test_guardian_is_not_the_zero_address(tmp_path):
    path = write(tmp_path, programme("a", guardian='"0x0000000000000000000000000000000000000000"'))
    assert "zero address" in only_error(path).message


def test_stream_needs_a_recipient(tmp_path):
    path = write(tmp_path, programme("a", recipient=None))
    error = only_error(path)
    assert (error.line, error.field) == (line_of(path, "kind"), "programme.a.kind")
    assert "a stream needs `recipient" in error.message


def test_staking_needs_a_stake_token(tmp_path):
    path = write(tmp_path, programme("a", kind='"staking"', recipient=None))
    error = only_error(path)
    assert (error.line, error.field) == (line_of(path, "kind"), "programme.a.kind")
    assert "a staking programme needs `stake_token" in error.message


def test_unknown_key_suggests_the_known_one(tmp_path):
    path = write(tmp_path, programme("a", epoch_capp='"1m ZK"'))
    error = only_error(path)
    assert (error.line, error.field) == (line_of(path, "epoch_capp"), "programme.a.epoch_capp")
    assert 'unknown key (did you mean "epoch_cap"?)' in error.message


def test_missing_key_points_at_the_table(tmp_path):
    path = write(tmp_path, programme("a", guardian=None))
    error = only_error(path)
    assert (error.line, error.field) == (line_of(path, "[programme.a]"), "programme.a.guardian")
    assert "is missing" in error.message and "guardian_hat" in error.message


HAT = "0x0000000100010000000000000000000000000000000000000000000000000000"


def test_guardian_and_steward_can_be_hats(tmp_path):
    path = write(tmp_path, programme("a", guardian=None, guardian_hat=f'"{HAT}"', steward_hat=str(int(HAT, 16) + 2**200)))
    result = check_spec(path, now=NOW)
    assert not result.errors, "\n".join(map(str, result.errors))
    (p,) = result.spec.to_chain()
    assert (p.guardian, p.guardian_hat, p.steward_hat) == ("0x" + "00" * 20, int(HAT, 16), int(HAT, 16) + 2**200)


def test_a_role_is_an_address_or_a_hat_not_both(tmp_path):
    path = write(tmp_path, programme("a", guardian_hat=f'"{HAT}"'))
    error = only_error(path)
    assert (error.field, error.line) == ("programme.a.guardian_hat", line_of(path, "guardian_hat"))
    assert "not both" in error.message


@pytest.mark.parametrize("value", ['"0x"', '"hat"', "0", '"-1"', "true", f'"0x{"f" * 65}"'])
def test_a_bad_hat_id_names_the_field(tmp_path, value):
    path = write(tmp_path, programme("a", guardian=None, guardian_hat=value))
    error = only_error(path)
    assert error.field == "programme.a.guardian_hat" and "hat id" in error.message


def test_pause_oracle_needs_a_comparator(tmp_path):
    path = write(
        tmp_path,
        programme("a")
        + '[programme.a.pause]\noracle = "0x7000000000000000000000000000000000000007"\nthreshold = "1"\noracle_max_age = "1d"\n',
    )
    error = only_error(path)
    assert error.field == "programme.a.pause.oracle" and "needs `comparator`" in error.message


ORACLE = '[programme.a.pause]\noracle = "0x7000000000000000000000000000000000000007"\n'


def test_pause_oracle_needs_a_max_age(tmp_path):
    path = write(tmp_path, programme("a") + ORACLE + 'comparator = ">="\nthreshold = "1850.5"\nmax_pause = "60d"\n')
    error = only_error(path)
    assert (error.line, error.field) == (line_of(path, "oracle ="), "programme.a.pause.oracle")
    assert 'an oracle needs `oracle_max_age`, the oldest answer that counts (e.g. "1d"' in error.message


@pytest.mark.parametrize(
    "value, fragment",
    [('"0s"', "must be longer than zero"), ('"9000000000d"', "is longer than uint48 seconds"), ('"soon"', "")],
)
def test_pause_oracle_max_age_is_a_positive_uint48_duration(tmp_path, value, fragment):
    path = write(tmp_path, programme("a") + ORACLE + f'comparator = ">="\nthreshold = "1"\noracle_max_age = {value}\n')
    error = only_error(path)
    assert (error.line, error.field) == (line_of(path, "oracle_max_age"), "programme.a.pause.oracle_max_age")
    assert fragment in error.message
    if fragment:
        assert "programme: bad oracle max age" in error.message


def test_pause_oracle_max_age_needs_an_oracle(tmp_path):
    path = write(tmp_path, programme("a") + '[programme.a.pause]\nmax_pause = "60d"\noracle_max_age = "1d"\n')
    error = only_error(path)
    assert (error.line, error.field) == (line_of(path, "oracle_max_age"), "programme.a.pause.oracle_max_age")
    assert "needs an `oracle`" in error.message


def test_pause_decimals_are_read_on_chain(tmp_path):
    path = write(
        tmp_path, programme("a") + ORACLE + 'comparator = ">="\nthreshold = "1850.5"\ndecimals = 8\noracle_max_age = "1d"\n'
    )
    error = only_error(path)
    assert (error.line, error.field) == (line_of(path, "decimals = 8"), "programme.a.pause.decimals")
    assert "reads the feed's decimals() on chain" in error.message and "remove `decimals`" in error.message


@pytest.mark.parametrize(
    "value, fragment",
    [
        ('"0"', "must be more than zero: only a positive answer counts"),
        ('"-5"', "must be more than zero"),
        ('"1.0000000000000000001"', "has more than 18 decimals"),
        (f'"{10**60}"', "is above int256 at 18 decimals"),
    ],
)
def test_pause_threshold_is_a_positive_18_decimal_number(tmp_path, value, fragment):
    path = write(tmp_path, programme("a") + ORACLE + f'comparator = "<"\nthreshold = {value}\noracle_max_age = "1d"\n')
    error = only_error(path)
    assert (error.line, error.field) == (line_of(path, "threshold =", after="[programme.a.pause]"), "programme.a.pause.threshold")
    assert fragment in error.message


def test_pause_threshold_means_the_same_whatever_the_feeds_decimals(tmp_path):
    """The same human threshold is the same on-chain value: the feed's decimals are not the spec's business."""
    path = write(
        tmp_path, programme("a") + ORACLE + 'comparator = "<="\nthreshold = "0.000000000000000001"\noracle_max_age = "90m"\n'
    )
    (p,) = load_spec(path, now=NOW).to_chain()
    assert (p.threshold, p.oracle_max_age) == (1, 90 * 60)


# --- rules between programmes and the Budget --------------------------------------------------------


def test_cap_above_the_share_of_the_remaining_allocation_in_order(tmp_path):
    path = write(tmp_path, programme("a", epoch_cap='"400m ZK"'), programme("b", epoch_cap='"400m ZK"'))
    error = only_error(path)
    # a takes 400m of 1b; then 50% of the remaining 600m is 300m.
    assert (error.line, error.field) == (line_of(path, "epoch_cap", after="[programme.b]"), "programme.b.epoch_cap")
    assert "more than 50% (max_share) of the remaining allocation 600_000_000 ZK" in error.message
    assert 'try at most "300_000_000 ZK"' in error.message


def test_cap_above_the_allocation(tmp_path):
    path = write(tmp_path, programme("a", epoch_cap='"10m ZK"'), head='already_committed = "995m ZK"\n')
    error = only_error(path)
    assert (error.line, error.field) == (line_of(path, "epoch_cap"), "programme.a.epoch_cap")
    assert "above the allocation 1_000_000_000 ZK" in error.message and 'at most "5_000_000 ZK" is left' in error.message


def test_a_programme_that_continues_by_default_commits_its_later_epochs_too(tmp_path):
    """Creating it holds a reserve for every later epoch (so its continuations never compete
    for room), and the allocation must cover that reserve, as the Budget checks it."""
    table = programme("a", epoch_cap='"2m ZK"', default_outcome='"CONTINUE"', max_epochs="4")
    path = write(tmp_path, table, head='already_committed = "995m ZK"\n')
    error = only_error(path)
    assert (error.line, error.field) == (line_of(path, "epoch_cap"), "programme.a.epoch_cap")
    assert "the first and 3 more held for its later epochs (8_000_000 ZK)" in error.message
    assert 'at most "1_250_000 ZK" per epoch fits, or fewer max_epochs' in error.message


ADMITTED = """\
[[already_admitted]]
name = "earlier"
cap = "{cap}"
start = "{start}"
end = "{end}"
"""


def test_aggregate_rate_above_the_threshold_where_epochs_overlap(tmp_path):
    low_threshold = GLOBALS.replace('"1000 ZK/s"', '"20 ZK/s"')
    # 19.8 ZK/s over ten days in the middle of the programme's epoch (1m ZK / 30d = 0.386 ZK/s).
    head = ADMITTED.format(cap="17.1072m ZK", start="2027-01-11", end="2027-01-21")
    path = write(tmp_path, programme("a"), globals=low_threshold, head=head)
    error = only_error(path)
    assert (error.line, error.field) == (line_of(path, "epoch_cap", after="[programme.a]"), "programme.a.epoch_cap")
    assert "from 2027-01-11 to 2027-01-21, above the inflation threshold 20 ZK/s" in error.message
    assert "budget: rate above threshold" in error.message


def test_rate_is_checked_at_every_interval_boundary(tmp_path):
    low_threshold = GLOBALS.replace('"1000 ZK/s"', '"20 ZK/s"')
    head = ADMITTED.format(cap="1m ZK", start="2027-01-01", end="2027-01-11") + ADMITTED.format(
        cap="17.1072m ZK", start="2027-01-25", end="2027-02-04"
    )
    path = write(tmp_path, programme("a"), globals=low_threshold, head=head)
    assert "from 2027-01-25 to 2027-01-31" in only_error(path).message


def test_already_admitted_epochs_passed_by_the_caller(tmp_path):
    low_threshold = GLOBALS.replace('"1000 ZK/s"', '"20 ZK/s"')
    path = write(tmp_path, programme("a"), globals=low_threshold)
    assert check_spec(path, now=NOW).ok
    busy = [AdmittedEpoch("chain", 198 * ZK * DAY, JAN1, JAN1 + 10 * DAY)]
    error = only_error(path, already_admitted=busy)
    assert "from 2027-01-01 to 2027-01-11" in error.message


def test_rate_rule_sees_earlier_programmes_of_the_same_spec(tmp_path):
    low_threshold = GLOBALS.replace('"1000 ZK/s"', '"1 ZK/s"')
    path = write(tmp_path, programme("a", epoch_cap='"2m ZK"'), programme("b", epoch_cap='"1m ZK"'), globals=low_threshold)
    error = only_error(path)
    assert error.field == "programme.b.epoch_cap" and "with 0.772 ZK/s (66.67k ZK/day) already scheduled" in error.message


def test_delegate_load_per_window(tmp_path):
    path = write(
        tmp_path, programme("a"), programme("b"), programme("c"), programme("d", first_end='"2027-03-02"', epoch_duration='"60d"')
    )
    error = only_error(path)
    assert (error.line, error.field) == (line_of(path, "first_end", after="[programme.c]"), "programme.c.first_end")
    assert (
        "the evaluation window 2027-01-24 → 2027-01-31 would ask delegates for 3 decisions, above the load limit 2: a, b, c"
        in error.message
    )


def test_delegate_load_counts_later_epochs(tmp_path):
    path = write(
        tmp_path,
        programme("a", max_epochs="2"),
        programme("b", first_end='"2027-03-02"', epoch_duration='"60d"'),
        programme("c", first_end='"2027-03-02"', epoch_duration='"60d"'),
    )
    error = only_error(path)
    assert error.field == "programme.c.first_end"
    assert "for 3 decisions, above the load limit 2: a (epoch 2), b, c" in error.message


# --- files -----------------------------------------------------------------------------------


def test_toml_syntax_error_has_its_line(tmp_path):
    path = write(tmp_path, programme("a") + "broken = [\nnext = 1\n")
    error = only_error(path)
    assert error.line == line_of(path, "next = 1") and error.message.startswith("TOML syntax:")


def test_missing_globals_file(tmp_path):
    path = write(tmp_path, programme("a"), globals='globals = "nowhere.toml"\n')
    error = only_error(path)
    assert (error.line, error.field) == (1, "globals") and '"nowhere.toml" is not a file' in error.message


def test_errors_in_the_globals_file_name_that_file(tmp_path):
    (tmp_path / "g.toml").write_text(GLOBALS.replace("[globals]\n", "").replace('"50%"', '"150%"'))
    path = write(tmp_path, programme("a"), globals='globals = "g.toml"\n')
    error = only_error(path)
    assert (Path(error.file).name, error.line, error.field) == ("g.toml", 4, "max_share")
    assert "outside 0.01%..100%" in error.message


def test_window_longer_than_cycle_in_globals(tmp_path):
    path = write(tmp_path, programme("a"), globals=GLOBALS.replace('window_length = "7d"', 'window_length = "40d"'))
    error = only_error(path)
    assert (error.line, error.field) == (line_of(path, "window_length"), "globals.window_length")
    assert "longer than the decision cycle 30d" in error.message


def test_start_in_the_past_is_an_error_naming_the_earliest_start(tmp_path):
    """A first start a vote cannot reach in time (regression: it was only a warning, exit 0)."""
    path = write(tmp_path, programme("a"))
    result = check_spec(path, now=JAN1 + DAY)
    assert not result.ok and [e.field for e in result.errors] == ["programme.a.first_start"]
    message = result.errors[0].message
    earliest = JAN1 + DAY + DEFAULT_VOTE_LEAD
    assert f"is before {format_date(earliest)}, the earliest start that survives a vote started now" in message
    assert "voting delay, voting period and timelock: 1h12m" in message and "programme: start in the past" in message
    # Just too close: a start before the vote could execute is refused too; one after it is fine.
    assert not check_spec(path, now=JAN1 - DEFAULT_VOTE_LEAD + 1).ok
    assert check_spec(path, now=JAN1 - DEFAULT_VOTE_LEAD).ok


def test_vote_lead_follows_the_governor(tmp_path):
    """`globals.vote_lead` is the governor's time from propose to execute (ZKsync's take weeks)."""
    path = write(tmp_path, programme("a"), globals=GLOBALS + 'vote_lead = "21d"\n')
    assert load_spec(path, now=JAN1 - 21 * DAY).globals.vote_lead == 21 * DAY
    late = check_spec(path, now=JAN1 - 20 * DAY)
    assert [e.field for e in late.errors] == ["programme.a.first_start"] and "21d" in late.errors[0].message


def test_globals_decimals_outside_0_to_36_is_one_error_not_a_crash(tmp_path):
    """Regression (found by the check fuzzer): a huge `decimals` was reported, then still used
    to read every programme amount, and 10**decimals overflowed."""
    path = write(tmp_path, programme("a"), globals=GLOBALS.replace('token = "ZK"\n', 'token = "ZK"\ndecimals = 10000000000\n'))
    error = only_error(path)
    assert (error.line, error.field) == (line_of(path, "decimals"), "globals.decimals")
    assert "10000000000 decimals is outside 0..36" in error.message


def test_a_rate_the_budget_cannot_hold_is_named(tmp_path):
    """4e12 ZK per 30 days is about 1.5e24 wei/s: above the 80 bits a hold has on chain."""
    table = programme("a", epoch_cap='"4_000_000_000_000 ZK"', default_outcome='"CONTINUE"', max_epochs="2")
    globals_ = GLOBALS.replace('allocation = "1b ZK"', 'allocation = "20_000_000_000_000 ZK"').replace(
        'inflation_threshold = "1000 ZK/s"', 'inflation_threshold = "3_000_000 ZK/s"'
    )
    error = only_error(write(tmp_path, table, globals=globals_))
    assert error.field == "programme.a.epoch_cap" and "budget: held rate above uint80" in error.message


# --- checkpoint programmes ------------------------------------------------------------------------


def checkpoints(name: str = "cp", **fields: str | None) -> str:
    table = {"period": '"10d"', "dispute_window": '"2d"', "bond": '"0.5"'}
    table.update(fields)
    body = "\n".join(f"{k} = {v}" for k, v in table.items() if v is not None)
    head = programme(name, kind='"checkpoints"', recipient=None, scorer=f'"{SAFE}"')
    return head + f"[programme.{name}.checkpoints]\n{body}\n"


def test_a_checkpoint_programme_converts_to_its_parameters(tmp_path):
    from tpp.model.kinds.checkpoints import decode_params

    path = write(tmp_path, checkpoints())
    (cp,) = load_spec(path, now=NOW).to_chain()
    assert (cp.kind, cp.target) == ("checkpoints", SAFE)
    assert decode_params(cp.params) == (10 * DAY, 2 * DAY, ZK // 2, "0x" + "00" * 20)
    assert "a checkpoint every 10d and at the epoch end; each root can be challenged for 2d with a 0.5 ETH bond" in "\n".join(
        summarize(load_spec(path, now=NOW))
    )


@pytest.mark.parametrize(
    ("fields", "key", "fragment"),
    [
        ({"period": None}, "period", "is required"),
        ({"period": '"30m"'}, "period", "must be at least 1h"),
        ({"period": '"31d"', "dispute_window": '"1d"'}, "period", "longer than the epoch"),
        ({"dispute_window": '"10d"'}, "dispute_window", "must be shorter than the period"),
        ({"dispute_window": '"59m"'}, "dispute_window", "must be at least 1h"),
        ({"bond": '"0"'}, "bond", "a free challenge lets anyone freeze every root"),
        ({"bond": None}, "bond", "is required"),
        ({"bonds": '"1"'}, "bonds", 'did you mean "bond"'),
    ],
)
def test_checkpoint_rules_name_the_field_and_line(tmp_path, fields, key, fragment):
    path = write(tmp_path, checkpoints(**fields))
    error = only_error(path)
    assert error.field == f"programme.cp.checkpoints.{key}"
    if key in fields and fields[key] is not None:
        assert error.line == line_of(path, f"{key} =", after="[programme.cp.checkpoints]")
    assert fragment in error.message


def test_checkpoint_tables_belong_to_their_kind(tmp_path):
    path = write(tmp_path, programme("a") + '[programme.a.checkpoints]\nperiod = "10d"\n')
    error = only_error(path)
    assert error.field == "programme.a.checkpoints"
    assert 'belongs to checkpoint programmes (kind = "checkpoints"), not to a stream' in error.message
    path = write(tmp_path, programme("b", kind='"checkpoints"', recipient=None, scorer=f'"{SAFE}"'))
    error = only_error(path)
    assert error.field == "programme.b.kind" and "needs a [programme.NAME.checkpoints] table" in error.message


# --- research bounties -----------------------------------------------------------------------------

JUDGE = "0x4000000000000000000000000000000000000004"


def bounty(name: str = "rb", **fields: str | None) -> str:
    table = {"scoring_period": '"7d"', "duplicate_decay": '"90%"', "deposit": '"0.01"', "judges": f'["{STEWARD}"]'}
    table.update(fields)
    body = "\n".join(f"{k} = {v}" for k, v in table.items() if v is not None)
    head = programme(name, kind='"bounty"', recipient=None, judge=f'"{JUDGE}"')
    return head + f"[programme.{name}.bounty]\n{body}\n"


def test_a_bounty_converts_to_its_parameters(tmp_path):
    from tpp.model.kinds.bounty import decode_params

    path = write(tmp_path, bounty(judge_hat=f'"{HAT}"'))
    (rb,) = load_spec(path, now=NOW).to_chain()
    assert (rb.kind, rb.target) == ("bounty", JUDGE)
    assert decode_params(rb.params) == (7 * DAY, 9_000, ZK // 100, int(HAT, 16), "0x" + "00" * 20, (STEWARD.lower(),))
    text = "\n".join(summarize(load_spec(path, now=NOW)))
    assert "submissions close 7d before each epoch end; 2 judges and the judge hat's wearers" in text


@pytest.mark.parametrize(
    ("fields", "key", "fragment"),
    [
        ({"scoring_period": None}, "scoring_period", "is required"),
        ({"scoring_period": '"30d"'}, "scoring_period", "must be shorter than the epoch"),
        ({"scoring_period": '"10m"'}, "scoring_period", "must be at least 1h"),
        ({"duplicate_decay": '"100%"'}, "duplicate_decay", "must be below 100%"),
        ({"deposit": '"-1"'}, "deposit", "non-negative"),
        ({"judges": '["0x0000000000000000000000000000000000000000"]'}, "judges[0]", "zero address"),
    ],
)
def test_bounty_rules_name_the_field(tmp_path, fields, key, fragment):
    error = only_error(write(tmp_path, bounty(**fields)))
    assert error.field == f"programme.rb.bounty.{key}" and fragment in error.message


def test_a_gate_goes_where_recipients_enter_or_claim(tmp_path):
    gate = "0x7000000000000000000000000000000000000007"
    path = write(tmp_path, programme("pool", kind='"staking"', recipient=None, stake_token=f'"{LP}"', gate=f'"{gate}"'))
    (pool,) = load_spec(path, now=NOW).to_chain()
    assert pool.params == bytes(12) + bytes.fromhex(gate[2:])
    assert f"stakers must pass eligibility gate {gate}" in "\n".join(summarize(load_spec(path, now=NOW)))
    (cp,) = load_spec(write(tmp_path, checkpoints().replace('scorer = "', f'gate = "{gate}"\nscorer = "')), now=NOW).to_chain()
    from tpp.model.kinds.checkpoints import decode_params

    assert decode_params(cp.params)[3] == gate.lower()
    error = only_error(write(tmp_path, programme("s", gate=f'"{gate}"')))
    assert error.field == "programme.s.gate" and "a stream takes no eligibility gate" in error.message
    error = only_error(
        write(tmp_path, programme("z", kind='"staking"', recipient=None, stake_token=f'"{LP}"', gate=f'"{ZERO_ADDRESS}"'))
    )
    assert error.field == "programme.z.gate" and "zero address" in error.message


ZERO_ADDRESS = "0x" + "00" * 20


# --- KPI streams ----------------------------------------------------------------------------------


def kpi_stream(**candidate: str | None) -> str:
    fields = {"recipient": f'"{SAFE}"', "subject": f'"{STEWARD}"', "threshold": '"1000"'}
    fields.update(candidate)
    body = "\n".join(f"{k} = {v}" for k, v in fields.items() if v is not None)
    head = programme("kp", kind='"kpi_stream"', recipient=None, asset=f'"{LP}"')
    return head + '[programme.kp.kpi]\nmax_gap = "6h"\n[[programme.kp.kpi.candidate]]\n' + body + "\n"


def test_a_kpi_stream_converts_and_its_rules_name_the_candidate_field(tmp_path):
    (kp,) = load_spec(write(tmp_path, kpi_stream()), now=NOW).to_chain()
    assert (kp.kind, kp.target) == ("kpi_stream", LP) and len(kp.params) == 3 * 32 + 6 * 32
    error = only_error(write(tmp_path, kpi_stream(threshold='"-1"')))
    assert error.field == "programme.kp.kpi.candidate[0].threshold" and "non-negative" in error.message
    error = only_error(write(tmp_path, kpi_stream(read='"view"', subject=None, function='"totalAssets()"')))
    assert error.field == "programme.kp.kpi.candidate[0].reader" and 'read = "view"' in error.message
