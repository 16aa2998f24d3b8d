"""One exception root for tpp.

Everything tpp raises on purpose is a `TppError`. A `UserError` is one the user can act on (a
bad spec, an unknown programme, an unreachable node): the CLI prints it on one line and exits
with code 2, with or without `--debug` (which only adds the traceback). Any other `TppError`
is printed on one line with exit code 1. The CLI translates errors in one place
(`tpp.cli.main`); library code raises, never prints.
"""

from __future__ import annotations

__all__ = ["TppError", "UserError"]


class TppError(Exception):
    """The root of every error tpp raises on purpose."""

    exit_code = 1


class UserError(TppError):
    """An error the user can act on: printed without a traceback, exit code 2."""

    exit_code = 2
