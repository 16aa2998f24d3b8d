"""The `tpp` command line: one verb per job, each a thin layer over a library function."""

from __future__ import annotations

import sys
from pathlib import Path

import typer
from rich.console import Console

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
def version() -> None:
    """Print tpp's version."""
    console.print(f"tpp {__version__}")


def main() -> None:
    try:
        app(standalone_mode=False)
    except UserError as exc:
        if state["debug"]:
            raise
        console.print(f"[red]error:[/] {exc}")
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
        console.print(f"[red]error:[/] {type(exc).__name__}: {exc}\n(run with --debug for the traceback)")
        sys.exit(1)


if __name__ == "__main__":
    main()
