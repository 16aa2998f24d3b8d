"""The `tpp` command line: one verb per job, each a thin layer over a library function."""

from __future__ import annotations

import sys
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape

from tpp import __version__

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Token Programme Proposals: programmes that a vote starts and that run themselves.",
)
console = Console()
state = {"debug": False}


class UserError(Exception):
    """An error the user can act on: printed without a traceback, exit code 2."""


@app.callback()
def _options(debug: bool = typer.Option(False, "--debug", help="Show tracebacks on errors.")) -> None:
    state["debug"] = debug


@app.command()
def demo(out: Path = typer.Option(Path("out/demo"), help="Where the demo writes its files.")) -> None:
    """Run the main job on the embedded chain, narrated, and write what happened."""
    from tpp.demo import run_demo

    run_demo(out, console)


@app.command()
def init(
    path: Path = typer.Argument(Path("programmes.toml"), help="Where to write the example spec."),
    force: bool = typer.Option(False, "--force", help="Overwrite the file if it exists."),
) -> None:
    """Write a commented example programme spec to edit, then check with `tpp check`."""
    from tpp.spec import example_spec

    if path.exists() and not force:
        raise UserError(f"{path} already exists; pass --force to overwrite it")
    try:
        path.write_text(example_spec(), encoding="utf-8")
    except OSError as exc:
        raise UserError(f"cannot write {path}: {exc.strerror or exc}") from exc
    _say(f"wrote {path}: two example programmes with placeholder addresses; edit it, then run `tpp check {path}`")


@app.command()
def check(file: Path = typer.Argument(..., help="The programme spec (TOML) to check.")) -> None:
    """Validate a programme spec and explain it in human units; every problem is reported."""
    from tpp.spec import check_spec, summarize

    result = check_spec(file)
    for problem in result.errors:
        _say(str(problem), style="red")
    for problem in result.warnings:
        _say(f"warning: {problem}", style="yellow")
    if result.errors or result.spec is None:
        count = len(result.errors)
        raise UserError(f"{file}: {count} problem{'s' if count != 1 else ''} found; the spec is not valid")
    spec = result.spec
    _say(f"{file}: {len(spec.programmes)} programme{'s' if len(spec.programmes) != 1 else ''}, valid", style="green")
    for line in summarize(spec):
        _say(line)


def _say(text: str, style: str | None = None) -> None:
    """Print user-supplied text as is: no markup, no highlighting, no wrapping of long lines."""
    console.print(text, style=style, markup=False, highlight=False, soft_wrap=True)


@app.command()
def version() -> None:
    """Print tpp's version."""
    console.print(f"tpp {__version__}")


def _register_workflow_commands() -> None:
    """`tpp plan`, `propose`, `status`, `advance`, `keeper` and `devnet` live with their
    library code."""
    from tpp import devnet, ops, plan, proposals
    from tpp.sim import cli as sim_cli

    plan.register(app)
    proposals.register(app)
    ops.register(app)
    devnet.register(app)
    sim_cli.register(app)


_register_workflow_commands()


def main() -> None:
    try:
        # Without standalone mode click returns the code of a `typer.Exit` instead of exiting.
        code = app(standalone_mode=False)
        if isinstance(code, int) and code:
            sys.exit(code)
    except UserError as exc:
        if state["debug"]:
            raise
        console.print(f"[red]error:[/] {escape(str(exc))}", soft_wrap=True)
        sys.exit(2)
    except (typer.Exit, typer.Abort) as exc:
        sys.exit(getattr(exc, "exit_code", 1))
    except Exception as exc:  # noqa: BLE001 - the last line of defence for a CLI
        # Usage errors (unknown command, bad option) come from typer's click layer.
        if hasattr(exc, "show") and hasattr(exc, "exit_code"):
            exc.show()
            sys.exit(exc.exit_code)
        if state["debug"]:
            raise
        console.print(f"[red]error:[/] {type(exc).__name__}: {escape(str(exc))}\n(run with --debug for the traceback)")
        sys.exit(1)


if __name__ == "__main__":
    main()
