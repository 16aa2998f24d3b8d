"""`tpp demo`: the main job on the embedded chain, narrated.

Until programmes land (lifecycle controller and mechanisms), the demo runs the foundation
story: GAP vote, one TPP vote admitting three epochs, a refused fourth admission, and a
month of linear emission. It writes the timeline as JSON lines next to a summary.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from tpp.chain import Chain
from tpp.stack import WAD
from tpp.story import EPOCHS, MINT_DAYS, StoryResult, run_foundation_story

# Steps the story reports: deploy, two votes, the refusal, epoch start, one per mint day.
STEPS = 5 + len(MINT_DAYS)


def run_demo(out_dir: Path, console: Console | None = None) -> StoryResult:
    console = console or Console()
    out_dir.mkdir(parents=True, exist_ok=True)
    console.rule("[bold]tpp demo[/] — embedded chain")
    with Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=console,
    ) as progress:
        task = progress.add_task("running the story", total=STEPS)

        def narrate(moment):
            progress.console.print(f"[dim]{moment.date}[/]  [bold]{moment.kind:>7}[/]  {moment.text}")
            progress.advance(task)

        result = run_foundation_story(Chain.embedded(), on_moment=narrate)

    table = Table(title="Programmes after epoch 1")
    for column in ("programme", "cap (TPP)", "minted (TPP)", "minted / cap", "paid to"):
        table.add_column(column, justify="right" if "TPP" in column or "/" in column else "left")
    budget = result.stack.budget
    for name, _, cap in EPOCHS:
        minted = budget.minted_by(result.minters[name].address)
        table.add_row(name, f"{cap / WAD:,.0f}", f"{minted / WAD:,.0f}", f"{minted / cap:.0%}", result.mechanisms[name])
    console.print(table)
    console.print(
        f"Budget: {budget.total_minted() / WAD:,.0f} TPP minted; scheduled supply "
        f"{budget.scheduled_supply(result.epoch[1]) / WAD:,.0f} TPP; fourth admission refused with "
        f"[bold]{result.refused_reason!r}[/]"
    )

    timeline = out_dir / "timeline.jsonl"
    with timeline.open("w") as fh:
        for moment in result.moments:
            fh.write(json.dumps({**asdict(moment), "date": moment.date}, default=str) + "\n")
    supply = out_dir / "supply.json"
    supply.write_text(json.dumps([asdict(s) for s in result.samples], indent=1))
    console.print(f"Wrote {timeline} and {supply}")
    return result
