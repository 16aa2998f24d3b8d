"""Running scenarios: one run, or a Monte Carlo sweep over every core or a Ray cluster, with
results written as Parquet plus an HTML report, and exact replay of any run.

A sweep is the Cartesian product of the scenario's `[sweep.parameters]` lists (every
combination, not zipped) times its seeds (`tpp.sim.scenario.expand_sweep`). Each run is a
pure function of (scenario file, overrides, seed): runs are independent, so they go to a pool
of processes (default: one per core) or to Ray tasks, and the results are put back in run
order, so a parallel sweep writes exactly what a serial one does.

Output directory (default `out/sim/<scenario name>/`):
- `runs.parquet`   one row per run x programme, plus a `*total*` row per run (tpp.sim.metrics)
- `series.parquet` one row per run x step x programme (the time series behind the bands)
- `report.html`    percentile bands over time and a table comparing parameter sets
- `manifest.json`  the scenario, its files' hashes, and every run's seed and overrides: what
                   `tpp sim SCENARIO --replay RUN_ID` re-runs to check a result exactly
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from tpp.base.errors import UserError
from tpp.sim.scenario import RunSpec, Scenario, expand_sweep, load_scenario

BACKENDS = ("local", "ray")
MANIFEST_VERSION = 1


class SweepError(UserError, RuntimeError):
    """A run failed or results do not match; the message says which run and why."""


@dataclass
class RunOutput:
    run_id: int
    set_id: int
    seed: int
    overrides: dict
    rows: list[dict]
    series: list[dict]
    transactions: int
    seconds: float


def run_one(task: RunSpec, engine: str | None = None) -> RunOutput:
    """Load the scenario with the run's overrides and seed, run it, compute its rows."""
    from tpp.sim import metrics
    from tpp.sim.runner import run_scenario

    started = time.perf_counter()
    scenario = load_scenario(task.scenario_path, task.overrides, seed=task.seed)
    result = run_scenario(scenario, seed=task.seed, engine=engine, params=task.overrides)
    trace = result.trace
    return RunOutput(
        task.run_id,
        task.set_id,
        task.seed,
        dict(task.overrides),
        metrics.run_rows(trace, task.run_id, task.set_id),
        metrics.series_rows(trace, task.run_id, task.set_id),
        trace.transactions,
        time.perf_counter() - started,
    )


def _warm_compiled() -> None:
    """Load every contract's bytecode once in this process (compiling it the first time) and
    import what a run needs, so workers inherit both instead of loading them again."""
    from tpp.chain.artifacts import VYPER_CONTRACTS
    from tpp.chain.artifacts import vyper_compiled as compiled
    from tpp.sim import metrics, runner  # noqa: F401 - imported for the workers

    for name in VYPER_CONTRACTS:
        compiled(name)


def run_tasks(
    tasks: list[RunSpec],
    *,
    workers: int | None = None,
    backend: str = "local",
    engine: str | None = None,
    ray_address: str | None = None,
    on_done: Callable[[RunOutput], None] | None = None,
) -> list[RunOutput]:
    """Run every task and return the outputs in run order. `workers` processes (default: every
    core; 1 runs them one after another in one worker process) or Ray tasks."""
    if backend not in BACKENDS:
        raise SweepError(f"sim: unknown backend {backend!r} (choose {' or '.join(BACKENDS)})")
    _warm_compiled()
    if backend == "ray":
        outputs = _run_ray(tasks, engine, ray_address, workers, on_done)
    else:
        outputs = _run_pool(tasks, workers or os.cpu_count() or 1, engine, on_done)
    return sorted(outputs, key=lambda o: o.run_id)


def _context():
    """Workers fork from this process where the platform allows it: tpp, the EVM packages and
    the compiled contracts are already loaded here, so a worker starts at once instead of
    spending seconds on imports (which would eat a short sweep's speed-up). The parent holds no
    chain when it forks, and workers never print. Elsewhere: spawn."""
    import multiprocessing

    return get_context("fork" if "fork" in multiprocessing.get_all_start_methods() and os.name == "posix" else "spawn")


def _run_pool(tasks: list[RunSpec], workers: int, engine: str | None, on_done) -> list[RunOutput]:
    outputs: list[RunOutput] = []
    with ProcessPoolExecutor(max_workers=max(1, min(workers, len(tasks))), mp_context=_context()) as pool:
        pending = {pool.submit(run_one, task, engine): task for task in tasks}
        try:
            while pending:
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    task = pending.pop(future)
                    try:
                        output = future.result()
                    except Exception as exc:
                        raise SweepError(
                            f"sim: run {task.run_id} (seed {task.seed}, {task.overrides or 'no overrides'}) failed: {exc}"
                        ) from exc
                    outputs.append(output)
                    if on_done:
                        on_done(output)
        except BaseException:
            for future in pending:
                future.cancel()
            raise
    return outputs


def _run_ray(tasks: list[RunSpec], engine: str | None, address: str | None, workers: int | None, on_done) -> list[RunOutput]:
    import ray

    started_here = not ray.is_initialized()
    if started_here:
        kwargs: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False, "configure_logging": False}
        if address:
            kwargs["address"] = address
        elif workers:
            kwargs["num_cpus"] = workers
        ray.init(**kwargs)
    try:
        remote = ray.remote(run_one)
        pending = {remote.remote(task, engine): task for task in tasks}  # type: ignore[call-arg]  # ray's overloads drop run_one's defaulted engine
        outputs: list[RunOutput] = []
        while pending:
            done, _ = ray.wait(list(pending), num_returns=1)
            for ref in done:
                task = pending.pop(ref)
                try:
                    output = ray.get(ref)
                except Exception as exc:
                    raise SweepError(f"sim: run {task.run_id} (seed {task.seed}) failed on Ray: {exc}") from exc
                outputs.append(output)
                if on_done:
                    on_done(output)
        return outputs
    finally:
        if started_here:
            ray.shutdown()


# --- files -----------------------------------------------------------------------------------


def _hash_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _manifest(scenario: Scenario, tasks: list[RunSpec], engine: str, sweep: bool) -> dict:
    from tpp import __version__

    # Absolute paths: a replay may start from another directory.
    files = {str(Path(scenario.path).resolve()): _hash_file(Path(scenario.path))}
    for spec in scenario.specs:
        files[str(Path(spec.path).resolve())] = _hash_file(Path(spec.path))
    return {
        "version": MANIFEST_VERSION,
        "tpp": __version__,
        "scenario": str(Path(scenario.path).resolve()),
        "name": scenario.name,
        "engine": engine,
        "sweep": sweep,
        "files": files,
        "parameters": list(scenario.sweep.parameters) if (sweep and scenario.sweep) else [],
        "runs": [{"run_id": t.run_id, "set_id": t.set_id, "seed": t.seed, "overrides": t.overrides} for t in tasks],
    }


def write_results(
    out: Path, scenario: Scenario, tasks: list[RunSpec], outputs: list[RunOutput], engine: str, sweep: bool
) -> dict[str, Path]:
    """Parquet tables, the report and the manifest for the runs that finished."""
    from tpp.sim.report import write_sim_report
    from tpp.sim.results import write_table

    out.mkdir(parents=True, exist_ok=True)
    runs = [row for o in outputs for row in o.rows]
    series = [row for o in outputs for row in o.series]
    finished = {o.run_id for o in outputs}
    manifest = _manifest(scenario, [t for t in tasks if t.run_id in finished], engine, sweep)
    paths = {
        "runs": write_table(out / "runs.parquet", runs),
        "series": write_table(out / "series.parquet", series),
    }
    paths["report"] = write_sim_report(
        out / "report.html", scenario=scenario.name, runs=runs, series=series, parameters=manifest["parameters"]
    )
    manifest_path = out / "manifest.json"
    tmp = manifest_path.with_suffix(".tmp")
    tmp.write_text(json.dumps(manifest, indent=2, default=str))
    tmp.replace(manifest_path)
    paths["manifest"] = manifest_path
    return paths


def tasks_for(scenario: Scenario, sweep: bool) -> list[RunSpec]:
    if sweep:
        return expand_sweep(scenario)
    return [RunSpec(0, 0, scenario.seed, dict(scenario.overrides), str(scenario.path))]


# --- replay ----------------------------------------------------------------------------------


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return a == b or (math.isnan(a) and math.isnan(b))
    return a == b


def replay(out: Path, run_id: int, engine: str | None = None) -> tuple[RunOutput, list[str]]:
    """Re-run run `run_id` of the results in `out` from its recorded seed and overrides and
    compare its rows with the recorded ones; returns the new output and the differences."""
    from tpp.sim.results import read_table

    manifest_path = out / "manifest.json"
    try:
        manifest = json.loads(manifest_path.read_text())
    except OSError as exc:
        raise SweepError(
            f"{manifest_path}: cannot read the manifest ({exc.strerror or exc}); run `tpp sim` with --out {out} first"
        ) from exc
    except ValueError as exc:
        raise SweepError(f"{manifest_path}: not a tpp manifest ({exc})") from exc
    record = next((r for r in manifest.get("runs", []) if r.get("run_id") == run_id), None)
    if record is None:
        known = [r.get("run_id") for r in manifest.get("runs", [])]
        raise SweepError(
            f"{manifest_path}: no run {run_id} (runs recorded: {known[0]}..{known[-1]})"
            if known
            else f"{manifest_path}: no runs recorded"
        )
    files = manifest.get("files", {})
    missing = [f for f in files if not Path(f).exists()]
    if missing:
        raise SweepError(f"cannot replay: {', '.join(missing)} no longer exist(s)")
    changed = [f for f, digest in files.items() if _hash_file(Path(f)) != digest]
    if changed:
        raise SweepError(f"cannot replay exactly: {', '.join(changed)} changed since the run was recorded")
    task = RunSpec(run_id, record["set_id"], record["seed"], record["overrides"], manifest["scenario"])
    output = run_one(task, engine or manifest.get("engine"))
    recorded = [r for r in read_table(out / "runs.parquet") if r.get("run_id") == run_id]
    differences = []
    for new, old in zip(sorted(output.rows, key=lambda r: r["programme"]), sorted(recorded, key=lambda r: r["programme"])):
        for key, value in new.items():
            if key in old and not _same(value, old[key]):
                differences.append(f"{new['programme']}.{key}: recorded {old[key]!r}, replayed {value!r}")
    if len(output.rows) != len(recorded):
        differences.append(f"recorded {len(recorded)} rows, replayed {len(output.rows)}")
    return output, differences


__all__ = ["RunOutput", "SweepError", "replay", "run_one", "run_tasks", "tasks_for", "write_results"]
