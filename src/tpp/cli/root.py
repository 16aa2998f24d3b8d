"""The typer application every command module registers on, and the one console.

Nothing outside `tpp.cli` imports this package: library code raises `tpp.base.errors` errors
and reports progress through a `say=` callback; the commands print.
"""

from __future__ import annotations

import sys
import traceback
from typing import Any

import typer
from rich.console import Console
from rich.markup import escape
from typer.core import TyperGroup

from tpp import __version__
from tpp.base.errors import TppError

__all__ = ["app", "console", "say", "state"]

console = Console()
state = {"debug": False}


class _TppGroup(TyperGroup):
    """The one place errors become what a user sees: a `TppError` is one line (`--debug` adds
    the traceback) and its exit code (2 for a `UserError`), never a traceback alone."""

    def invoke(self, ctx: Any) -> Any:  # typer re-exports click.Context under its own module
        try:
            return super().invoke(ctx)
        except TppError as exc:
            if state["debug"]:
                traceback.print_exception(exc, file=sys.stderr)
            console.print(f"[red]error:[/] {escape(str(exc))}", soft_wrap=True)
            ctx.exit(exc.exit_code)


app = typer.Typer(
    cls=_TppGroup,
    add_completion=False,
    no_args_is_help=True,
    rich_markup_mode=None,  # help texts are plain: "[sweep]" is a TOML table, not markup
    context_settings={"help_option_names": ["-h", "--help"]},
    help="Token Programme Proposals: programmes that a vote starts and that run themselves.",
)


def say(text: str, style: str | None = None) -> None:
    """Print text as is (it may come from the chain or a user's file): no markup, no
    highlighting, no wrapping of long lines."""
    console.print(text, style=style, markup=False, highlight=False, soft_wrap=True)


def _version(value: bool) -> None:
    if value:
        console.print(f"tpp {__version__}")
        raise typer.Exit(0)


@app.callback()
def _options(
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks on errors (the exit code stays the same)."),
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Print tpp's version and exit."),
) -> None:
    state["debug"] = debug
