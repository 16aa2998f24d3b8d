"""`tpp devnet up | down | status | warp`."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Optional  # Optional: typer reads the command signatures

import typer

from tpp.base.errors import UserError
from tpp.cli.ops import DEFAULT_ROOT
from tpp.cli.root import app, say

# Repeated from tpp.workflow.devnet so `--help` loads nothing (a test checks they agree).
DEFAULT_PORT = 8545
DEVNET_CHAIN_ID = 31337

devnet = typer.Typer(help="A persistent local chain (anvil) with the tpp stack deployed.", no_args_is_help=True)
app.add_typer(devnet, name="devnet")
root_opt = typer.Option(DEFAULT_ROOT, "--root", help="Where the devnet and deployments live.")


def _utc(t: int) -> str:
    return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


@devnet.command("up")
def up(
    root: Path = root_opt,
    port: int = typer.Option(DEFAULT_PORT, "--port", help="Loopback port for the node."),
    no_deploy: bool = typer.Option(False, "--no-deploy", help="Start the node only."),
) -> None:
    """Start the devnet in the background (and deploy the stack the first time)."""
    from tpp.workflow.devnet import DevnetPaths, devnet_up

    node = devnet_up(root, port, not no_deploy, say=say)
    say(f"devnet up: {node['url']} (chain id {DEVNET_CHAIN_ID}); wrote {DevnetPaths(root).node}")


@devnet.command("down")
def down(root: Path = root_opt) -> None:
    """Stop the devnet; its state is kept for the next `up`."""
    from tpp.workflow.devnet import DevnetPaths, devnet_down

    if devnet_down(root):
        say(f"devnet stopped; state kept in {DevnetPaths(root).state}")
    else:
        say("the devnet was not running")


@devnet.command("status")
def status(root: Path = root_opt) -> None:
    """Whether the devnet runs, its URL, block number and time."""
    from tpp.workflow.devnet import devnet_status

    info = devnet_status(root)
    if not info["running"]:
        saved = "saved state at " + info["state"] if info["state_saved"] else "no saved state"
        say(f"devnet: not running ({saved})")
        return
    say(f"devnet: running at {info['url']} (pid {info['pid']}), block {info['block']}, time {_utc(info['time'])}")


@devnet.command("warp")
def warp(
    duration: Optional[str] = typer.Argument(None, help='How far to move chain time forward, e.g. "30d", "2w", "36h".'),
    to: Optional[str] = typer.Option(None, "--to", help="Move chain time to this date (ISO 8601, UTC when no zone is given)."),
    root: Path = root_opt,
) -> None:
    """Move the devnet's chain time forward (to reach an evaluation window, say) and mine a block."""
    from tpp.base import units
    from tpp.workflow.devnet import devnet_warp

    try:
        seconds = units.parse_duration(duration) if duration is not None else None
        target = units.parse_date(to) if to is not None else None
    except units.UnitError as exc:
        raise UserError(f"devnet warp: {exc}") from exc
    before, after = devnet_warp(root, seconds, target)
    say(f"chain time {_utc(before)} → {_utc(after)}")
