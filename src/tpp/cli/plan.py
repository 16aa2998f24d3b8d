"""`tpp plan`: the decision calendar and budget picture of a portfolio, printed and written."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from tpp.base.errors import UserError
from tpp.cli.root import app, rich_console

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

    from tpp.workflow.plan import Plan

# Repeated from tpp.workflow.plan so `--help` loads nothing (a test checks they agree).
DEFAULT_MAX_SHIFT = 4


@app.command("plan")
def plan(
    file: Path = typer.Argument(..., help="The programme spec (TOML) to plan."),
    out: Path = typer.Option(None, "--out", help="Where to write the files (default out/plan/<spec name>)."),
    max_shift: int = typer.Option(DEFAULT_MAX_SHIFT, "--max-shift", help="Most cycles a programme may be moved later."),
) -> None:
    """Decision calendar and budget picture: windows, load, moves, calendar.ics, supply.svg."""
    plan_command(file, out, max_shift)


def _table(plan: Plan, which: str) -> Table:
    from rich.table import Table

    from tpp.base import units

    g = plan.g
    date = units.format_date
    windows = plan.planned if which == "planned" else plan.requested
    title = "decision calendar (planned)" if which == "planned" else "decision calendar (as the spec asks)"
    table = Table(title=title, title_justify="left")
    for name in ("window", "opens", "closes", "load", "decisions due"):
        table.add_column(name, justify="right" if name == "load" else "left")
    for index, (b, decisions) in enumerate(sorted((b, d) for b, d in windows.items() if d), 1):
        over = len(decisions) > g.load_limit
        table.add_row(
            str(index),
            date(b - g.window_length),
            date(b),
            f"{len(decisions)}/{g.load_limit}" + (" over" if over else ""),
            "\n".join(d.describe() for d in decisions),
            style="red" if over else None,
        )
    return table


def plan_command(
    file: Path,
    out: Path | None = None,
    max_shift: int = DEFAULT_MAX_SHIFT,
    console: Console | None = None,
    now: int | None = None,
) -> Plan:
    """`tpp plan`: read the spec, plan the calendar, print it, write the files. Raises
    `UserError` (exit code 2) for a spec that is not valid or files it cannot write."""
    from tpp.base import units
    from tpp.specs.spec import SpecError
    from tpp.workflow.plan import load_for_plan, make_plan, write_plan

    console = console or rich_console()

    def say(text: str, style: str | None = None) -> None:
        console.print(text, style=style, markup=False, highlight=False, soft_wrap=True)

    if max_shift < 0:
        raise UserError(f"--max-shift must be 0 or more cycles, not {max_shift}")
    try:
        spec = load_for_plan(file)
    except SpecError as exc:
        for problem in exc.problems:
            say(str(problem), style="red")
        count = len(exc.problems)
        raise UserError(f"{file}: {count} problem{'s' if count != 1 else ''} found; the spec is not valid") from None
    plan = make_plan(spec, max_shift)
    g = spec.globals
    date = units.format_date
    out = Path("out/plan") / Path(file).stem if out is None else out

    say(
        f"{file}: {len(spec.programmes)} programme{'s' if len(spec.programmes) != 1 else ''}; decision cycle "
        f"{units.format_duration(g.cycle_length)} from {date(g.cycle_genesis)}, window "
        f"{units.format_duration(g.window_length)}, load limit {g.load_limit} decisions per window"
    )
    over = plan.overloaded("requested")
    for b, decisions in over:
        say(
            f"window {date(b - g.window_length)} → {date(b)} as the spec asks: {len(decisions)} decisions, above the "
            f"load limit {g.load_limit}: {', '.join(d.describe() for d in decisions)}",
            style="yellow",
        )
    if over or plan.moves:
        console.print(_table(plan, "requested"))
    for move in plan.moves:
        say(move.describe(g), style="yellow")
    for line in plan.problems:
        say(line, style="red")
    console.print(_table(plan, "planned"))
    if plan.fits and not plan.moves:
        say(f"every window is within the load limit of {g.load_limit}; no programme needs to move", style="green")
    elif plan.fits:
        say(
            f"with {len(plan.moves)} move{'s' if len(plan.moves) != 1 else ''} every window is within the load limit",
            style="green",
        )
    for a, b, rate in plan.rate_excess():
        say(
            f"warning: if every programme continues, the scheduled rate reaches {g.rate(rate)} from {date(a)} to "
            f"{date(b)}, above the threshold {g.rate(g.inflation_threshold)}; the Budget would refuse the epochs "
            f"that start then (budget: rate above threshold)",
            style="yellow",
        )
    total = sum(e.cap for e in plan.epochs)
    last = max((e.end for e in plan.epochs), default=g.cycle_genesis)
    say(f"scheduled supply if every programme continues to max_epochs: {g.amount(total)} by {date(last)}")

    try:
        written = write_plan(plan, out, now)
    except OSError as exc:
        raise UserError(f"cannot write under {out}: {exc.strerror or exc}") from exc
    say(f"wrote {len(written)} files under {out}:")
    for path in written:
        say(f"  {path}")
    if not plan.fits:
        raise UserError(f"{file}: the portfolio cannot fit the load limit of {g.load_limit}: {', '.join(plan.unplaced)}")
    return plan
