"""The `tpp` command line: one verb per job, each a thin layer over one library function.

This is the only package that uses typer and rich, and nothing imports it. Errors are
translated once, by the application's group (`tpp.cli.root`): a `UserError` is one line and
exit code 2 (`--debug` adds the traceback, never changes the code); any other `TppError` one
line and exit code 1. `main` only adds the last line of defence for anything else.

Command modules import the library inside each command: loading titanoboa and the compiler
takes seconds that `tpp --help` should not pay (measured in bench/cli.py).
"""

from __future__ import annotations

import sys

import click
import typer

from tpp.cli import core, devnet, openness, ops, plan, propose, sim  # noqa: F401 - each registers its commands
from tpp.cli.root import app, console, escape, state

__all__ = ["app", "main"]


def main() -> None:
    try:
        # Without standalone mode click returns the code of a `typer.Exit` instead of exiting.
        code = app(standalone_mode=False)
        if isinstance(code, int) and code:
            sys.exit(code)
    except click.exceptions.Abort:
        console.print("aborted")
        sys.exit(130)
    except click.ClickException as exc:
        # Usage errors (unknown command, bad option) from typer's click layer: exit 2.
        exc.show()
        sys.exit(exc.exit_code)
    except (typer.Exit, click.exceptions.Exit) as exc:
        sys.exit(getattr(exc, "exit_code", 0))
    except KeyboardInterrupt:
        console.print("interrupted")
        sys.exit(130)
    except Exception as exc:
        if state["debug"]:
            raise
        console.print(
            f"[red]error:[/] {type(exc).__name__}: {escape(str(exc))}\n(run with --debug for the traceback)", soft_wrap=True
        )
        sys.exit(1)


if __name__ == "__main__":
    main()
