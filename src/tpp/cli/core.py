"""`tpp demo`, `tpp init`, `tpp check`, `tpp version`."""

from __future__ import annotations

from pathlib import Path

import typer

from tpp import __version__
from tpp.base.errors import UserError
from tpp.cli.root import app, console, escape, rich_console, say


@app.command()
def demo(out: Path = typer.Option(Path("out/demo"), help="Where the demo writes its files.")) -> None:
    """Run the main job on the embedded chain, narrated, and write what happened."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
    from rich.table import Table

    from tpp.stories.demo import DAYS, run_demo

    if not console.is_terminal and console.width < 120:
        console.width = 120  # logs and CI: keep the summary table readable
    console.rule("[bold]tpp demo[/] — embedded chain")
    columns = (
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        TextColumn("day {task.completed}/{task.total}"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=rich_console()) as progress:
        task = progress.add_task("simulating", total=DAYS)

        def narrate(moment) -> None:
            progress.console.print(f"[dim]{moment.date}[/]  [bold]{moment.kind:>8}[/]  {escape(moment.text)}")

        output = run_demo(out, on_moment=narrate, on_day=lambda day: progress.update(task, completed=day + 1))
        progress.update(task, completed=DAYS)
    table = Table(title="Programmes at the end of the demo")
    for column in output.rows[0]:
        table.add_column(column, justify="right" if column in ("epochs", "people", "of caps") or "TPP" in column else "left")
    for row in output.rows:
        table.add_row(*(escape(str(v)) for v in row.values()))
    console.print(table)
    say(output.budget_line)
    files = output.files
    say(output.provenance)
    say(
        f"Wrote {files['report']}, {files['events']} ({output.events:,} events), {files['timeline']}, {files['index']} "
        f"and the checkpoint scorer's rules and scores in {files['checkpoints']}"
    )
    first = next(iter(output.result.programmes), "NAME")
    say(
        f"Look around: `tpp serve --db {files['index']}`, `tpp trace {first} --db {files['index']}`, "
        f"`tpp evaluate {first} --db {files['index']}`, "
        f"`tpp checkpoint verify {files['checkpoints']}/scores/<a score> --rules {files['checkpoints']}/builder-impact.rules.toml "
        f"--db {files['index']}`"
    )


@app.command()
def init(
    path: Path = typer.Argument(Path("programmes.toml"), help="Where to write the example spec."),
    force: bool = typer.Option(False, "--force", help="Overwrite the file if it exists."),
) -> None:
    """Write a commented example programme spec to edit, then check with `tpp check`."""
    from tpp.specs.spec import example_spec

    if not path.suffix and path.name.lower() in ("true", "false", "yes", "no", "on", "off", "1", "0"):
        raise UserError(f'"{path}" looks like a value for --force, which takes none: write `tpp init --force FILE.toml`')
    if path.exists() and not force:
        raise UserError(f"{path} already exists; pass --force to overwrite it")
    try:
        path.write_text(example_spec(), encoding="utf-8")
    except OSError as exc:
        raise UserError(f"cannot write {path}: {exc.strerror or exc}") from exc
    say(f"wrote {path}: two example programmes with placeholder addresses; edit it, then run `tpp check {path}`")


@app.command()
def check(file: Path = typer.Argument(..., help="The programme spec (TOML) to check.")) -> None:
    """Validate a programme spec and explain it in human units; every problem is reported."""
    from tpp.specs.spec import check_spec, summarize

    result = check_spec(file)
    for problem in result.errors:
        say(str(problem), style="red")
    for problem in result.warnings:
        say(f"warning: {problem}", style="yellow")
    if result.errors or result.spec is None:
        count = len(result.errors)
        raise UserError(f"{file}: {count} problem{'s' if count != 1 else ''} found; the spec is not valid")
    spec = result.spec
    say(f"{file}: {len(spec.programmes)} programme{'s' if len(spec.programmes) != 1 else ''}, valid", style="green")
    for line in summarize(spec):
        say(line)


@app.command()
def version() -> None:
    """Print tpp's version."""
    console.print(f"tpp {__version__}")
