"""Simulation results on disk (Parquet) and the delegates' HTML report."""

import math
import re
import xml.etree.ElementTree as ET

import pytest

import tpp.sim.results as results
from tests.sim.test_metrics import make_trace
from tpp.sim.metrics import run_rows, series_rows
from tpp.sim.report import percentile, write_sim_report
from tpp.sim.results import read_table, write_table

# --- percentile --------------------------------------------------------------------------------


def test_percentile_interpolates_linearly_between_ranks():
    assert percentile([1, 2, 3, 4], 50) == pytest.approx(2.5)
    assert percentile([4, 1, 3, 2], 50) == pytest.approx(2.5)  # order does not matter
    # [1..5]: p5 sits at rank 0.2 -> 1 + 0.2·(2 − 1); p95 at rank 3.8 -> 4 + 0.8·(5 − 4)
    assert percentile([1, 2, 3, 4, 5], 5) == pytest.approx(1.2)
    assert percentile([1, 2, 3, 4, 5], 95) == pytest.approx(4.8)
    assert percentile([10, 30], 0) == 10
    assert percentile([10, 30], 100) == 30
    assert percentile([10, 30], 25) == pytest.approx(15)
    assert percentile([7.5], 5) == 7.5
    assert percentile([2, math.inf], 100) == math.inf
    assert math.isnan(percentile([], 50))
    with pytest.raises(ValueError, match=r"0\.\.100"):
        percentile([1], 101)


# --- parquet -----------------------------------------------------------------------------------


def test_parquet_round_trip_keeps_nan_none_and_types(tmp_path):
    rows = run_rows(make_trace(), run_id=2, set_id=1)
    path = write_table(tmp_path / "deep" / "er" / "runs.parquet", rows)
    assert path == tmp_path / "deep" / "er" / "runs.parquet"
    back = read_table(path)
    assert len(back) == len(rows)
    grants = back[1]
    assert grants["programme"] == "grants"
    assert math.isnan(grants["retention"])  # NaN stays NaN
    assert grants["emitted_usd"] == pytest.approx(375)
    assert grants["rewarded_addresses"] == 2 and isinstance(grants["rewarded_addresses"], int)
    assert grants["param.agents.mercenary"] == "5"
    total = back[2]
    assert total["final_state"] is None  # the *total* row has no state
    assert back[0]["windows"] is None  # a column only the *total* row has: null for the others
    assert total["windows"] == 2
    # columns in the order first seen
    assert list(back[0]) == list(dict.fromkeys(key for row in rows for key in row))
    assert list(back[0])[:6] == ["run_id", "set_id", "seed", "engine", "scenario", "param.agents.mercenary"]


def test_parquet_round_trip_of_series_and_mixed_numbers(tmp_path):
    series = series_rows(make_trace(), run_id=1)
    assert read_table(write_table(tmp_path / "series.parquet", series)) == series
    rows = [{"a": 1, "b": "x"}, {"a": 2.5, "c": True}, {"a": float("nan"), "b": None, "c": None}]
    back = read_table(write_table(tmp_path / "mixed.parquet", rows))
    assert back[0]["a"] == 1.0 and back[1]["a"] == 2.5  # ints and floats share a float column
    assert math.isnan(back[2]["a"])
    assert [r["b"] for r in back] == ["x", None, None]  # absent and None are both null
    assert [r["c"] for r in back] == [None, True, None]


def test_a_column_of_incompatible_types_is_refused_naming_it(tmp_path):
    with pytest.raises(ValueError, match="column 'a' mixes value types"):
        write_table(tmp_path / "bad.parquet", [{"a": 1}, {"a": "one"}])
    assert list(tmp_path.iterdir()) == []


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path, monkeypatch):
    path = write_table(tmp_path / "runs.parquet", [{"a": 1}])

    def crash(table, where, **kwargs):
        with open(where, "wb") as half:
            half.write(b"PAR1 half a file")
        raise OSError("disk full")

    monkeypatch.setattr(results.pq, "write_table", crash)
    with pytest.raises(OSError, match="disk full"):
        write_table(path, [{"a": 2}])
    monkeypatch.undo()
    assert [p.name for p in tmp_path.iterdir()] == ["runs.parquet"]
    assert read_table(path) == [{"a": 1}]
    write_table(path, [{"a": 3}])  # and an overwrite replaces it whole
    assert read_table(path) == [{"a": 3}]
    assert [p.name for p in tmp_path.iterdir()] == ["runs.parquet"]


# --- the report --------------------------------------------------------------------------------

# Two parameter sets × three seeds. The seeds scale every price and LP value, so every USD
# figure of a run is the hand-made trace's times the scale: total emitted 1025 × scale, final
# TVL 800 × scale.
SETS = {
    0: ({"programme.rate": "slow", "agents.mercenary": 5}, [1.0, 2.0, 3.0]),
    1: ({"programme.rate": "fast <b>", "agents.mercenary": 9}, [2.0, 4.0, 6.0]),
}


def sweep(scenario="liquidity war"):
    runs, series = [], []
    run_id = 0
    for set_id, (params, scales) in SETS.items():
        for seed, scale in enumerate(scales, start=1):
            trace = make_trace(scale=scale, seed=seed, params=params, scenario=scenario)
            runs += run_rows(trace, run_id=run_id, set_id=set_id)
            series += series_rows(trace, run_id=run_id, set_id=set_id)
            run_id += 1
    return runs, series


def svgs(page: str) -> list[ET.Element]:
    """Every inline SVG, parsed as XML: a malformed one raises."""
    return [ET.fromstring(svg) for svg in re.findall(r"<svg\b.*?</svg>", page, flags=re.S)]


def compare_rows(page: str) -> dict[str, str]:
    """The rows of the first comparison table (all programmes together), by set label."""
    table = re.search(r'<table class="compare">(.*?)</table>', page, flags=re.S).group(1)
    return {m.group(1): m.group(0) for m in re.finditer(r"<tr><th>(.*?)</th>.*?</tr>", table, flags=re.S)}


def test_report_of_two_sets_by_three_seeds(tmp_path):
    runs, series = sweep()
    path = write_sim_report(
        tmp_path / "out" / "report.html",
        scenario="liquidity war",
        runs=runs,
        series=series,
        parameters=["programme.rate", "param.agents.mercenary"],
    )
    page = path.read_text()
    assert "<script" not in page  # readable offline, nothing to run
    assert "http" not in page  # nothing fetched
    assert "Simulation: liquidity war" in page
    assert "6 runs · 2 parameter set(s) · 3 seed(s) per set" in page
    assert "Cartesian product of parameter values × seeds" in page
    assert "2 parameter sets × 3 seeds = 6 runs" in page
    # the set labels, escaped
    slow = "set 0: programme.rate = slow; agents.mercenary = 5"
    fast = "set 1: programme.rate = fast &lt;b&gt;; agents.mercenary = 9"
    assert page.count(slow) >= 3 and page.count(fast) >= 3  # tables and charts
    assert "<b>" not in page

    rows = compare_rows(page)
    # emitted (USD): set 0 runs emit 1025, 2050, 3075 -> p50 2050, p5 1127.5, p95 2972.5
    assert "2.05k" in rows[slow] and "[1.13k, 2.97k]" in rows[slow]
    assert 'title="median 2050.0; p5 1127.5; p95 2972.5; 3 of 3 runs"' in rows[slow]
    # set 1: 2050, 4100, 6150 -> p50 4100
    assert "4.1k" in rows[fast]
    # the cheaper set's emitted cell is the shaded best; TVL-days per token (USD scales) favour set 1
    assert rows[slow].index('class="best"') < rows[slow].index("2.05k")
    tvl_per_token_fast = 12400 * 4 / 650  # median scale 4
    assert f"median {tvl_per_token_fast!r}" in rows[fast]
    assert re.search(r'<td class="best" title="median ' + re.escape(repr(tvl_per_token_fast)), rows[fast])
    # retention is a ratio of USD figures: the same in every run -> no spread; and the same in
    # both sets -> neither is shaded
    assert "36.4%" in rows[slow] and "[36.4%, 36.4%]" in rows[slow]
    assert '<td title="median 0.36363636363636365;' in rows[slow]
    assert '<td class="best" title="median 0.3636' not in page
    # captured by mercenary + sybil + whale: (120 + 80 + 50) / 560 = 44.6%
    assert "44.6%" in rows[slow]

    # per programme tables
    assert "<h3>farm (staking)</h3>" in page and "<h3>grants (stream)</h3>" in page

    # charts: 3 per set, each with a shaded band and a median line; minted vs scheduled has two
    parsed = svgs(page)
    assert len(parsed) == 6
    assert all(svg.get("viewBox") for svg in parsed)
    assert page.count("<polygon") == 8
    assert page.count('fill-opacity="0.18" stroke="none"') == 8
    # the TVL band ends on day 36 at 800 × scale: set 0 p50 1.6k (p5 880 – p95 2.32k)
    assert "TVL: p50 1.6k on day 36 (p5 880 – p95 2.32k)" in page
    assert "TVL: p50 3.2k on day 36" in page  # set 1
    # the price ends at 0.5 × scale; minted at 650 tokens in every run
    assert "price: p50 1 on day 36 (p5 0.55 – p95 1.45)" in page
    assert "minted: p50 650 on day 36 (p5 650 – p95 650)" in page
    assert "scheduled supply: p50 1k on day 36" in page
    # every run listed, with its set and seed
    assert "<details><summary>6 runs" in page
    runs_table = re.search(r'<table class="runs">(.*?)</table>', page, flags=re.S).group(1)
    assert runs_table.count("<tr>") == 1 + 6
    assert runs_table.count(f"<td>{slow}</td>") == 3


def test_report_of_a_single_run(tmp_path):
    trace = make_trace(params={})
    path = write_sim_report(
        tmp_path / "single.html",
        scenario="one run",
        runs=run_rows(trace),
        series=series_rows(trace),
        parameters=[],
    )
    page = path.read_text()
    assert "1 runs · 1 parameter set(s) · 1 seed(s) per set" in page
    assert "Nothing was swept here" in page
    assert "<h3>set 0</h3>" in page
    rows = compare_rows(page)
    # one value per column, no bracketed spread: 1025 USD emitted
    assert "1.02k" in rows["set 0"]
    assert "[1.02k" not in rows["set 0"]
    # the band collapses onto the line; the legend gives the value without a spread
    parsed = svgs(page)
    assert len(parsed) == 3
    assert "TVL: p50 800 on day 36<" in page
    # a single parameter set: nothing to compare, nothing shaded
    assert 'class="best"' not in page


def test_report_escapes_every_text(tmp_path):
    trace = make_trace(params={"name": "<img src=x onerror=alert(1)>"}, scenario="<script>alert('x')</script>")
    runs, series = run_rows(trace), series_rows(trace)
    for row in runs + series:
        if row["programme"] == "farm":
            row["programme"] = "farm & <i>co</i>"
    path = write_sim_report(
        tmp_path / "r.html", scenario="<script>alert('x')</script>", runs=runs, series=series, parameters=["name"]
    )
    page = path.read_text()
    assert "<script" not in page
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page
    assert "<img" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "<i>" not in page and "farm &amp; &lt;i&gt;co&lt;/i&gt;" in page
    svgs(page)  # still well-formed
