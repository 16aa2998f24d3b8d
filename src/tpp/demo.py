"""`tpp demo`: the main job on the embedded chain, narrated.

Runs the programme story (tpp.programme_story): votes set the bounds and start three
programmes, a hundred participants use them over two epochs, delegates vote one slate in the
evaluation window, and the programmes stop by themselves. Writes `report.html` and
`events.jsonl` (every event, decoded) to the output folder.
"""

from __future__ import annotations

import json
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from tpp.chain import Chain
from tpp.events import EventRecorder
from tpp.programme_story import CYCLE, EPOCHS, DemoConfig, DemoResult, run_programme_story
from tpp.programmes import STATES
from tpp.report import write_report
from tpp.stack import DAY, WAD


def summary_rows(result: DemoResult) -> list[dict]:
    """Per programme: kind, epochs, minted vs the caps admitted, participants, final state."""
    rows = []
    budget = result.stack.budget
    for name, programme in result.programmes.items():
        mechanism = result.mechanisms[name]
        caps = 0
        for index in range(budget.epoch_count()):
            minter = budget.epoch_at(index)
            if result.stack.chain.at("EpochMinter", minter).hasRole(b"\x00" * 32, programme.address):
                caps += budget.schedule_of(minter)[0]
        stakers = sum(1 for p in result.participants if p.pool == name) if name != "builders-stream" else 1
        minted = mechanism.total_minted()
        rows.append(
            {
                "programme": name,
                "kind": "stream" if name == "builders-stream" else "staking",
                "epochs": programme.epoch(),
                "minted TPP": f"{minted / WAD:,.0f}",
                "caps TPP": f"{caps / WAD:,.0f}",
                "of caps": f"{minted / caps:.1%}" if caps else "-",
                "people": stakers,
                "state": STATES[programme.state()],
            }
        )
    return rows


def run_demo(out_dir: Path, console: Console | None = None, config: DemoConfig | None = None) -> DemoResult:
    console = console or Console()
    if not console.is_terminal and console.width < 120:
        console.width = 120  # logs and CI: keep the summary table readable
    out_dir.mkdir(parents=True, exist_ok=True)
    console.rule("[bold]tpp demo[/] — embedded chain")
    chain = Chain.embedded()
    recorder = EventRecorder(chain.env).attach()
    days = EPOCHS * CYCLE // DAY + 2
    with Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        TextColumn("day {task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=console,
    ) as progress:
        task = progress.add_task("simulating", total=days)

        def narrate(moment):
            progress.console.print(f"[dim]{moment.date}[/]  [bold]{moment.kind:>8}[/]  {moment.text}")

        result = run_programme_story(
            chain,
            config,
            on_moment=narrate,
            on_day=lambda day: progress.update(task, completed=day + 1),
            recorder=recorder,
        )
        progress.update(task, completed=days)
    recorder.detach()

    rows = summary_rows(result)
    table = Table(title="Programmes at the end of the demo")
    for column in rows[0]:
        table.add_column(column, justify="right" if column in ("epochs", "people", "of caps") or "TPP" in column else "left")
    for row in rows:
        table.add_row(*(str(v) for v in row.values()))
    console.print(table)
    budget = result.stack.budget
    now = result.stack.chain.now()
    console.print(
        f"Budget: {budget.total_minted() / WAD:,.0f} TPP minted, scheduled supply {budget.scheduled_supply(now) / WAD:,.0f} TPP, "
        f"threshold {budget.inflation_threshold() / WAD:,.0f} TPP/s. Participant actions: "
        + ", ".join(f"{v} {k}" for k, v in result.actions.items())
    )

    report = write_report(out_dir / "report.html", result, rows)
    events = recorder.write_jsonl(out_dir / "events.jsonl")
    timeline = out_dir / "timeline.json"
    timeline.write_text(json.dumps([{"date": m.date, "time": m.time, "kind": m.kind, "text": m.text} for m in result.moments], indent=1))
    console.print(f"Wrote {report}, {events} ({len(recorder.records):,} events) and {timeline}")
    return result
