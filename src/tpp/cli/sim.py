"""`tpp sim SCENARIO.toml`: run a scenario once or sweep it, with progress, and say what was
written where."""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from tpp.base.errors import UserError
from tpp.cli.root import app, escape, rich_console

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Progress
    from rich.table import Table


def _fmt(value, pct: bool = False) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if pct:
        return f"{value * 100:.1f}%"
    value = float(value)
    for size, suffix in ((1e9, "b"), (1e6, "m"), (1e3, "k")):
        if abs(value) >= size:
            return f"{value / size:,.2f}{suffix}"
    return f"{value:,.2f}"


def _progress(console: Console, auto_refresh: bool = True) -> Progress:
    """A progress bar; without `auto_refresh` it has no refresh thread (sweep workers fork from
    this process, and a thread holding the output lock at that moment would hang them)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=False,
        auto_refresh=auto_refresh,
    )


def sim_command(
    scenario_path: Path,
    out: Path | None,
    sweep: bool,
    workers: int | None,
    backend: str,
    engine: str | None,
    seed: int | None,
    replay_run: int | None,
    ray_address: str | None,
    console: Console,
) -> None:
    from tpp.sim import sweep as runs
    from tpp.sim.scenario import check_scenario

    scenario, problems = check_scenario(scenario_path)
    if problems or scenario is None:
        for problem in problems:
            console.print(str(problem), style="red", markup=False, highlight=False, soft_wrap=True)
        raise UserError(
            f"{scenario_path}: {len(problems)} problem{'s' if len(problems) != 1 else ''} found; the scenario is not valid"
        )
    if seed is not None:
        from tpp.sim.scenario import load_scenario

        scenario = load_scenario(scenario_path, seed=seed)
    if engine is not None and engine not in ("revm", "pyevm", "anvil"):
        raise UserError(f"--engine {engine!r}: choose revm, pyevm or anvil")
    if backend not in runs.BACKENDS:
        raise UserError(f"--backend {backend!r}: choose {' or '.join(runs.BACKENDS)}")
    if workers is not None and workers < 1:
        raise UserError("--workers must be at least 1")
    if sweep and scenario.sweep is None:
        raise UserError(f"{scenario_path}: --sweep needs a [sweep] table in the scenario (parameters and seeds)")
    out = out or Path("out") / "sim" / scenario.name
    engine_name = engine or scenario.engine

    if replay_run is not None:
        with console.status(f"replaying run {replay_run} from {out / 'manifest.json'}"):
            try:
                _, differences = runs.replay(out, replay_run, engine)
            except runs.SweepError as exc:
                raise UserError(str(exc)) from None
        if differences:
            for line in differences:
                console.print(line, style="red", markup=False, highlight=False)
            raise UserError(f"run {replay_run} did not replay identically ({len(differences)} difference(s))")
        console.print(f"[green]run {replay_run} replayed identically[/] (same seed, same overrides, same metrics)")
        return

    tasks = runs.tasks_for(scenario, sweep)
    outputs: list[runs.RunOutput] = []
    if not console.is_terminal and console.width < 120:
        console.width = 120  # logs and CI: keep the summary table readable
    console.rule(f"[bold]tpp sim[/] — {scenario.name} on {engine_name}")
    if not sweep:
        from tpp.sim import metrics
        from tpp.sim.runner import run_scenario

        with _progress(console) as progress:
            bar = progress.add_task(f"{scenario.steps} steps of {scenario.step // 3600}h", total=scenario.steps + 1)
            result = run_scenario(scenario, engine=engine_name, on_step=lambda k, n: progress.update(bar, completed=k + 1))
        trace = result.trace
        outputs.append(
            runs.RunOutput(
                0,
                0,
                trace.seed,
                dict(scenario.overrides),
                metrics.run_rows(trace, 0, 0),
                metrics.series_rows(trace, 0, 0),
                trace.transactions,
                0.0,
            )
        )
    else:
        count = workers or os.cpu_count() or 1
        where = f"Ray ({ray_address or 'local'})" if backend == "ray" else f"{min(count, len(tasks))} process(es)"
        sets = len({t.set_id for t in tasks})
        seeds = scenario.sweep.seeds if scenario.sweep is not None else 1
        console.print(f"{len(tasks)} runs: {sets} parameter set(s) (Cartesian product) x {seeds} seed(s), on {where}")
        with _progress(console, auto_refresh=False) as progress:
            bar = progress.add_task("runs", total=len(tasks))
            progress.refresh()

            def done(output: runs.RunOutput) -> None:
                outputs.append(output)
                progress.advance(bar)
                progress.refresh()

            try:
                runs.run_tasks(
                    tasks,
                    workers=workers,
                    backend=backend,
                    engine=engine,
                    ray_address=ray_address,
                    on_done=done,
                )
            except KeyboardInterrupt:
                # Keep what finished, beside (not over) earlier complete results.
                outputs.sort(key=lambda o: o.run_id)
                if outputs:
                    paths = runs.write_results(out / "partial", scenario, tasks, outputs, engine_name, sweep)
                    console.print(
                        f"[yellow]interrupted[/]: {len(outputs)} of {len(tasks)} runs finished; wrote them to {paths['runs']}"
                    )
                raise typer.Exit(130) from None
            except runs.SweepError as exc:
                outputs.sort(key=lambda o: o.run_id)
                if outputs:
                    runs.write_results(out / "partial", scenario, tasks, outputs, engine_name, sweep)
                    console.print(f"[yellow]{len(outputs)} finished run(s) kept in {out / 'partial'}[/]")
                raise UserError(str(exc)) from None
        outputs.sort(key=lambda o: o.run_id)

    paths = runs.write_results(out, scenario, tasks, outputs, engine_name, sweep)
    console.print(_summary_table(outputs))
    console.print(_programme_table(outputs[0]))
    transactions = sum(o.transactions for o in outputs)
    console.print(f"{len(outputs)} run(s), {transactions:,} agent transactions on {engine_name}")
    console.print(f"Wrote {paths['runs']}, {paths['series']}, {paths['report']} and {paths['manifest']}")


def _count(value) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"{int(value):,}"


def _gaming_share(row: dict[str, Any]) -> float:
    from tpp.sim.report import EXTRACTIVE_KINDS

    return sum(row.get(f"share_amount_{k}", 0.0) or 0.0 for k in EXTRACTIVE_KINDS)


def _headline(row: dict[str, Any]) -> str:
    """What the programme's kind is judged by, in a few words."""
    kind = row.get("programme_kind")
    if kind == "kpi_stream":
        return f"KPI held {_fmt(row.get('kpi_held_days'))} days, {_fmt(row.get('kpi_candidate_days'))} candidate-days"
    if kind == "checkpoints":
        bottom = sum(row.get(f"impact_decile_{d}") or 0.0 for d in range(6, 11))
        return f"top impact decile {_fmt(row.get('impact_decile_1'), pct=True)}, bottom half {_fmt(bottom, pct=True)}"
    if kind == "bounty":
        return (
            f"{_count(row.get('submissions'))} submissions by {_count(row.get('authors'))} authors; "
            f"{_fmt(row.get('awards_per_submission'))} per submission, {_fmt(row.get('awards_per_author'))} per author"
        )
    return f"TVL-days/token {_fmt(row.get('tvl_days_per_token'))}, retention {_fmt(row.get('retention'), pct=True)}"


def _programme_table(output) -> Table:
    """Who captured each programme's emission in the first run, and its kind's headline figure."""
    from rich.table import Table

    table = Table(title=f"per programme (run {output.run_id}, seed {output.seed})", show_lines=False)
    for column in ("programme", "kind", "emitted", "rewarded", "gaming agents", "judged by"):
        table.add_column(column, justify="left" if column in ("programme", "kind", "judged by") else "right", overflow="fold")
    for row in output.rows:
        if row.get("programme") == "*total*":
            continue
        table.add_row(
            escape(str(row.get("programme"))),
            escape(str(row.get("programme_kind"))),
            _fmt(row.get("emitted_tokens")),
            _count(row.get("rewarded_addresses")),
            _fmt(_gaming_share(row), pct=True),
            escape(_headline(row)),
        )
    return table


def _summary_table(outputs) -> Table:
    """One row per run: its swept parameter values (one column each), then its metrics."""
    from rich.table import Table

    table = Table(title="per run (all programmes)", show_lines=False)
    parameters = sorted({key for o in outputs for key in o.overrides})
    for column in (
        "run",
        "seed",
        *parameters,
        "emitted",
        "USD",
        "TVL-days/token",
        "retention",
        "gaming agents",
        "gini",
        "turnout",
    ):
        table.add_column(column, justify="left" if column in parameters else "right", overflow="fold")
    for o in outputs[:20]:
        total: dict[str, Any] = next((r for r in o.rows if r.get("programme") == "*total*"), {})
        captured = _gaming_share(total)
        table.add_row(
            str(o.run_id),
            str(o.seed),
            *(escape(str(o.overrides.get(key, "—"))) for key in parameters),
            _fmt(total.get("emitted_tokens")),
            _fmt(total.get("emitted_usd")),
            _fmt(total.get("tvl_days_per_token")),
            _fmt(total.get("retention"), pct=True),
            _fmt(captured, pct=True),
            _fmt(total.get("gini")),
            _fmt(total.get("turnout"), pct=True),
        )
    if len(outputs) > 20:
        table.caption = f"first 20 of {len(outputs)} runs; all are in runs.parquet and the report"
    return table


@app.command("sim")
def sim(
    scenario: Path = typer.Argument(..., help="The scenario (TOML) to run."),
    out: Path = typer.Option(None, "--out", help="Where results go (default out/sim/<scenario name>/)."),
    sweep: bool = typer.Option(
        False,
        "--sweep",
        help="Run the [sweep]: every combination of its parameter values (Cartesian product, not zipped) x its seeds.",
    ),
    workers: int = typer.Option(None, "--workers", help="Processes for a sweep (default: every core)."),
    backend: str = typer.Option(
        "local",
        "--backend",
        help="local (processes on this machine) or ray (a Ray cluster; RAY_ADDRESS or --ray-address, else a local Ray instance).",
    ),
    ray_address: str = typer.Option(None, "--ray-address", help="Ray cluster address for --backend ray."),
    engine: str = typer.Option(
        None,
        "--engine",
        help="revm (default), pyevm (titanoboa's py-evm) or anvil (a fresh local node per run, far slower); overrides the scenario.",
    ),
    seed: int = typer.Option(None, "--seed", help="Replace the scenario's seed."),
    replay: int = typer.Option(
        None,
        "--replay",
        help="Re-run run RUN_ID of the results in --out from its recorded seed and parameters and check it is identical.",
    ),
) -> None:
    """War-game a scenario: agents against the real contracts; metrics, Parquet and an HTML report."""
    sim_command(
        scenario,
        out,
        sweep,
        workers,
        backend,
        engine,
        seed,
        replay,
        ray_address or os.environ.get("RAY_ADDRESS"),
        rich_console(),
    )
