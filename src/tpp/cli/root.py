"""The typer application every command module registers on, and the one console.

Nothing outside `tpp.cli` imports this package: library code raises `tpp.base.errors` errors
and reports progress through a `say=` callback; the commands print.
"""

from __future__ import annotations

import sys
import traceback
from typing import TYPE_CHECKING, Any

import typer
from typer.core import TyperGroup

from tpp import __version__
from tpp.base.errors import TppError

if TYPE_CHECKING:
    from rich.console import Console

__all__ = ["app", "console", "escape", "rich_console", "say", "state"]

state = {"debug": False}


_made: list[Console] = []


def rich_console() -> Console:
    """The one rich Console, made on first use: importing rich costs tens of milliseconds
    that `tpp --help` does not need (perf; bench/cli.py measures the start-up)."""
    if not _made:
        from rich.console import Console

        _made.append(Console())
    return _made[0]


class _Console:
    """Stands for `rich_console()` in `console.print(…)`, so commands need not call it."""

    def __getattr__(self, name: str) -> Any:
        return getattr(rich_console(), name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(rich_console(), name, value)


console: Any = _Console()


def escape(text: str) -> str:
    """rich markup escaped (imported on first use, as above)."""
    from rich.markup import escape as rich_escape

    return rich_escape(text)


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
