"""Sweeps: the same results serially, over processes and on a local Ray instance; files and
exact replay; `tpp sim` as a user runs it."""

from __future__ import annotations

import json
import math

import pytest

from tests.cli.test_check_cli import run as run_cli
from tpp.sim import sweep
from tpp.sim.results import read_table
from tpp.sim.scenario import load_scenario

AGENTS = (
    '[[agents]]\nname = "loyal"\nkind = "loyal_lp"\ncount = 2\ncapital = "2_000 LP"\njoin_within = "3d"\n'
    '[[agents]]\nname = "farmers"\nkind = "mercenary"\ncount = 2\ncapital = "4_000 LP"\nhurdle = "200%"\n'
)
SWEEP = (
    '\n[sweep]\nseeds = 2\n[sweep.parameters]\n"market.volatility" = ["20%", "90%"]\n"agents.farmers.hurdle" = ["100%", "400%"]\n'
)


def _key(outputs):
    """Everything a run produced, NaN made comparable."""

    def clean(rows):
        return [{k: ("nan" if isinstance(v, float) and math.isnan(v) else v) for k, v in r.items()} for r in rows]

    return [(o.run_id, o.set_id, o.seed, o.overrides, clean(o.rows), clean(o.series), o.transactions) for o in outputs]


@pytest.fixture
def swept(write_scenario):
    path = write_scenario(AGENTS + SWEEP, horizon="16d")
    return path, sweep.tasks_for(load_scenario(path), sweep=True)


def test_sweep_is_a_cartesian_product_times_seeds(swept):
    _, tasks = swept
    assert len(tasks) == 8  # 2 volatilities x 2 hurdles x 2 seeds
    combos = {(t.overrides["market.volatility"], t.overrides["agents.farmers.hurdle"]) for t in tasks}
    assert combos == {("20%", "100%"), ("20%", "400%"), ("90%", "100%"), ("90%", "400%")}
    assert len({t.set_id for t in tasks}) == 4


def test_parallel_results_equal_serial_results(swept):
    _, tasks = swept
    tasks = tasks[:4]
    serial = sweep.run_tasks(tasks, workers=1)
    parallel = sweep.run_tasks(tasks, workers=2)
    assert [o.run_id for o in parallel] == [0, 1, 2, 3]
    assert _key(serial) == _key(parallel)
    # The parameters made a difference: not every run is the same.
    assert len({json.dumps(o.rows[-1].get("emitted_usd")) for o in serial}) > 1


def test_ray_backend_runs_the_same_sweep(swept):
    _, tasks = swept
    tasks = tasks[:3]
    local = sweep.run_tasks(tasks, workers=1)
    on_ray = sweep.run_tasks(tasks, workers=2, backend="ray")
    assert _key(on_ray) == _key(local)


def test_unknown_backend_is_refused(swept):
    _, tasks = swept
    with pytest.raises(sweep.SweepError, match="unknown backend 'dask'"):
        sweep.run_tasks(tasks, backend="dask")


def test_cli_sweep_writes_parquet_report_manifest_and_replays_exactly(swept, tmp_path, monkeypatch, capsys):
    path, tasks = swept
    out = tmp_path / "results"
    code, text = run_cli(["sim", str(path), "--sweep", "--workers", "2", "--out", str(out)], monkeypatch, capsys)
    assert code == 0, text
    assert "8 runs: 4 parameter set(s) (Cartesian product) x 2 seed(s)" in text
    rows = read_table(out / "runs.parquet")
    assert len(rows) == 8 * 2  # each run: the pool and the total
    assert {r["run_id"] for r in rows} == set(range(8))
    assert read_table(out / "series.parquet")
    html = (out / "report.html").read_text()
    assert "<svg" in html and "p50" in html
    manifest = json.loads((out / "manifest.json").read_text())
    assert [r["seed"] for r in manifest["runs"]] == [t.seed for t in tasks]
    assert manifest["parameters"] == ["market.volatility", "agents.farmers.hurdle"]

    code, text = run_cli(["sim", str(path), "--out", str(out), "--replay", "5"], monkeypatch, capsys)
    assert code == 0, text
    assert "run 5 replayed identically" in text

    # A changed scenario file cannot be replayed exactly: it says so.
    path.write_text(path.read_text().replace('capital = "2_000 LP"', 'capital = "2_500 LP"'))
    code, text = run_cli(["sim", str(path), "--out", str(out), "--replay", "5"], monkeypatch, capsys)
    assert code == 2 and "changed since the run was recorded" in text and "Traceback" not in text, text


def test_cli_single_run_and_its_errors(write_scenario, tmp_path, monkeypatch, capsys):
    path = write_scenario(AGENTS, horizon="5d")
    out = tmp_path / "one"
    code, text = run_cli(["sim", str(path), "--out", str(out)], monkeypatch, capsys)
    assert code == 0, text
    assert (out / "runs.parquet").exists() and (out / "report.html").exists()
    assert "agent transactions on revm" in text

    code, text = run_cli(["sim", str(path), "--sweep", "--out", str(out)], monkeypatch, capsys)
    assert code == 2 and "--sweep needs a [sweep] table" in text

    code, text = run_cli(["sim", str(path), "--out", str(out), "--replay", "9"], monkeypatch, capsys)
    assert code == 2 and "no run 9" in text

    bad = write_scenario(AGENTS.replace('hurdle = "200%"', 'hurdle = "lots"'), name="bad.toml")
    code, text = run_cli(["sim", str(bad)], monkeypatch, capsys)
    assert code == 2 and "Traceback" not in text
    assert f"{bad}:" in text and "hurdle" in text
