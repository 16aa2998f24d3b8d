"""`tpp status`, `advance`, `keeper`, `check-onchain`, `deploy`, `decide`, `dial`, `index`."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any, Optional  # Optional: typer reads the command signatures

import typer

from tpp.base.errors import UserError
from tpp.cli.root import app, console, say

# Defaults repeated from the library so `--help` loads no chain code (tests check they agree).
DEFAULT_ROOT = Path(".tpp")
DEFAULT_INTERVAL = 15.0

rpc_opt = typer.Option(None, "--rpc", help="JSON-RPC URL (default: the local devnet).")
embedded_opt = typer.Option(False, "--embedded", help="Use a fresh embedded chain.")
keystore_opt = typer.Option(None, "--keystore", help="Encrypted keystore (password from TPP_KEYSTORE_PASSWORD or a prompt).")
root_opt = typer.Option(DEFAULT_ROOT, "--root", help="Where deployments and the devnet live.")


def _prompt(text: str) -> str:
    return str(typer.prompt(text, hide_input=True))


def chain_and_deployments(
    rpc: str | None, embedded: bool, keystore: Path | None, root: Path, read_only: bool = False
) -> tuple[Any, Any]:
    """The chain a command works on and what is recorded for it."""
    from tpp.workflow.connect import open_chain
    from tpp.workflow.deployments import load_deployments

    chain = open_chain(rpc, embedded, keystore, root, _prompt, read_only=read_only)
    return chain, load_deployments(chain.chain_id(), root)


@app.command("status")
def status_command(
    rpc: Optional[str] = rpc_opt,
    embedded: bool = embedded_opt,
    keystore: Optional[Path] = keystore_opt,
    root: Path = root_opt,
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
) -> None:
    """Every recorded programme: state, epoch, minted vs cap and unlock, next transition, dials."""
    from tpp.cli.views import status_table
    from tpp.workflow.keeper import status, status_json

    chain, deployments = chain_and_deployments(rpc, embedded, keystore, root, read_only=True)
    rows = status(chain, deployments)
    if as_json:
        print(json.dumps(status_json(rows), indent=2))
        return
    if not rows:
        say(f"no programmes recorded for chain {deployments.chain_id} ({deployments.path})")
        return
    console.print(status_table(rows, deployments.chain_id))


@app.command("advance")
def advance_command(
    rpc: Optional[str] = rpc_opt,
    embedded: bool = embedded_opt,
    keystore: Optional[Path] = keystore_opt,
    root: Path = root_opt,
) -> None:
    """Advance every recorded programme whose next transition is due (once; see `tpp keeper`)."""
    from tpp.workflow.keeper import advance_due

    chain, deployments = chain_and_deployments(rpc, embedded, keystore, root)
    actions = advance_due(chain, deployments)
    for action in actions:
        say(action.line())
    sent = sum(a.sent for a in actions)
    say(f"{sent} transaction(s) sent; {len(deployments.programmes) - sent} programme(s) had nothing due")


@app.command("keeper")
def keeper_command(
    rpc: Optional[str] = rpc_opt,
    keystore: Optional[Path] = keystore_opt,
    root: Path = root_opt,
    interval: float = typer.Option(DEFAULT_INTERVAL, "--interval", help="Seconds between rounds."),
    rounds: Optional[int] = typer.Option(None, "--rounds", help="Stop after this many rounds."),
) -> None:
    """Advance due programmes every INTERVAL seconds until Ctrl-C / SIGTERM."""
    from tpp.workflow.keeper import Action, install_stop_handlers, keeper

    chain, deployments = chain_and_deployments(rpc, False, keystore, root)
    stop = threading.Event()
    restore = install_stop_handlers(stop)
    say(f"keeper: {len(deployments.programmes)} programme(s) on chain {deployments.chain_id}, every {interval:g}s; Ctrl-C stops")

    def log(action: Action) -> None:
        stamp = time.strftime("%H:%M:%S")
        say(f"{stamp} {action.line()}", style="green" if action.sent else "yellow")

    def failure(message: str) -> None:
        say(f"{time.strftime('%H:%M:%S')} {message}", style="red")

    try:
        summary = keeper(chain, deployments, interval, rounds, stop, on_action=log, on_failure=failure)
    finally:
        restore()
    say(summary.line())


@app.command("check-onchain")
def check_onchain_command(
    file: Path = typer.Argument(..., help="The programme spec (TOML) to check."),
    budget: Optional[str] = typer.Option(None, "--budget", help="Budget address (default: the one recorded for the chain)."),
    rpc: Optional[str] = rpc_opt,
    root: Path = root_opt,
) -> None:
    """`tpp check` against a deployed Budget: its parameters, admitted epochs and committed total."""
    from tpp.specs.spec import summarize
    from tpp.workflow.local import check_onchain

    chain, deployments = chain_and_deployments(rpc, False, None, root, read_only=True)
    address = budget or deployments.stack.get("budget")
    if not address:
        raise UserError(f"no Budget recorded for chain {deployments.chain_id}: pass --budget ADDRESS")
    result = check_onchain(file, chain, address)
    for line in result.differences:
        say(line, style="yellow")
    for problem in result.errors:
        say(str(problem), style="red")
    for problem in result.warnings:
        say(f"warning: {problem}", style="yellow")
    if result.errors or result.spec is None:
        raise UserError(
            f"{file}: {len(result.errors)} problem(s) against the Budget at {address}; the spec would not be admitted"
        )
    say(f"{file}: valid against the Budget at {address} on chain {deployments.chain_id}", style="green")
    for line in summarize(result.spec):
        say(line)


@app.command("deploy")
def deploy_command(
    file: Path = typer.Argument(..., help="The programme spec (TOML) whose programmes one vote creates."),
    rpc: Optional[str] = rpc_opt,
    embedded: bool = embedded_opt,
    keystore: Optional[Path] = keystore_opt,
    root: Path = root_opt,
    set_globals: bool = typer.Option(
        True, "--set-globals/--keep-globals", help="Local chains: first a GAP vote setting the Budget to the spec's globals."
    ),
) -> None:
    """Devnet / embedded: create a spec's programmes through the local Token governor and record them."""
    from tpp.workflow.local import deploy_file

    if rpc:
        raise UserError(
            f"{rpc}: a real governor decides here; write the payload with `tpp propose {file}` and put it to a vote (nothing was sent)"
        )
    chain, deployments = chain_and_deployments(None, embedded, keystore, root)
    done = deploy_file(chain, file, deployments, set_globals=set_globals, fresh_stack=embedded, say=say)
    say(f"proposal {done.proposal_id} executed: {len(done.programmes)} programme(s) created")
    for name, address in done.programmes.items():
        say(f"  {name}: {address}")
    if not embedded:
        say(f"recorded in {deployments.save()}")


@app.command("decide")
def decide_command(
    name: str = typer.Argument(..., help="A recorded programme."),
    outcome: str = typer.Argument(..., help="STOP, CONTINUE, ITERATE, PAUSE or KILL."),
    cap: Optional[str] = typer.Option(None, "--cap", help='The next epoch\'s cap with ITERATE, e.g. "16m ZK".'),
    rpc: Optional[str] = rpc_opt,
    root: Path = root_opt,
) -> None:
    """Devnet: one decision through a local Token-governor vote (a slate of one)."""
    from tpp.workflow.local import decide_locally

    if rpc:
        raise UserError(f"{rpc}: a decision is a vote; write it with `tpp propose --slate WINDOW.toml` (nothing was sent)")
    chain, deployments = chain_and_deployments(None, False, None, root)
    done = decide_locally(chain, deployments, name, outcome, cap)
    say(done.line())


@app.command("dial")
def dial_command(
    name: str = typer.Argument(..., help="A recorded programme."),
    dial: str = typer.Argument(..., help="The dial, e.g. throttle_bps."),
    value: str = typer.Argument(..., help='New value: "90%", "9000 bps" or an integer.'),
    reason: str = typer.Option(..., "--reason", help="Why (logged on chain, at most 128 bytes)."),
    rpc: Optional[str] = rpc_opt,
    keystore: Optional[Path] = keystore_opt,
    root: Path = root_opt,
) -> None:
    """The steward moves a dial (devnet: through the stack's steward Safe, recorded as steward_safe, whose address the spec names as steward)."""
    from tpp.workflow.local import move_dial, parse_dial_value

    chain, deployments = chain_and_deployments(rpc, False, keystore, root)
    new = move_dial(chain, deployments, name, dial, parse_dial_value(value), reason)
    say(f"{name}: {dial} is now {new}")


@app.command("index")
def index_command(
    rpc: Optional[str] = rpc_opt,
    devnet: bool = typer.Option(False, "--devnet", help="Index the running local devnet (the default without --rpc)."),
    db: Optional[Path] = typer.Option(None, "--db", help="The SQLite index (default: ROOT/index/<chain-id>.sqlite)."),
    confirmations: Optional[int] = typer.Option(None, "--confirmations", help="Index up to head minus N blocks (default 2)."),
    verify: bool = typer.Option(
        False,
        "--verify",
        help="Then reconcile minted totals and programme states with the chain, and flag mints not traced to a vote (exit 1).",
    ),
    follow: bool = typer.Option(False, "--follow", help="Keep indexing new blocks until Ctrl-C (what `tpp serve` follows)."),
    interval: float = typer.Option(DEFAULT_INTERVAL, "--interval", help="Seconds between runs with --follow."),
    root: Path = root_opt,
) -> None:
    """Index every tpp contract's events into SQLite: incremental, reorg-safe, one transaction per batch."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from tpp.cli.root import rich_console
    from tpp.workflow.index import default_db_path, index_chain, open_index_source, verify_index

    if rpc and devnet:
        raise UserError("pass --rpc URL or --devnet, not both")
    source, deployments = open_index_source(rpc, root)
    path = db or default_db_path(deployments.chain_id, root)
    columns = (TextColumn("indexing"), BarColumn(), TextColumn("block {task.fields[block]}"), TimeElapsedColumn())
    with Progress(*columns, console=rich_console(), transient=True) as progress:
        task = progress.add_task("indexing", total=None, block="…")

        def advanced(first: int, last: int, target: int) -> None:
            progress.update(task, total=target - first + 1, completed=last - first + 1, block=f"{last}/{target}")

        def note(text: str) -> None:
            progress.console.print(text, markup=False, highlight=False, soft_wrap=True)

        summary = index_chain(source, deployments, path, confirmations=confirmations, say=note, on_batch=advanced)
    say(summary.line())
    if verify:
        from tpp.workflow.provenance import IndexData

        say(verify_index(source, path).line(), style="green")
        data = IndexData.load(path)
        attribution = data.attribution
        for mint in attribution.unattributed:
            say(f"UNATTRIBUTED: {data.amount(mint.amount)} to {mint.to} in tx {mint.log.tx}: {mint.problem}", style="bold red")
        say(attribution.line(data), style="bold red" if attribution.unattributed else "green")
        if attribution.unattributed:
            raise typer.Exit(1)
    if follow:
        if interval <= 0:
            raise UserError(f"--interval must be above 0 seconds, not {interval:g}")
        say(f"following: indexing every {interval:g} s (Ctrl-C stops)")
        try:
            while True:
                time.sleep(interval)
                summary = index_chain(source, deployments, path, confirmations=confirmations)
                if summary.new_logs or summary.rolled_back_from is not None:
                    say(summary.line())
        except KeyboardInterrupt:
            say("stopped following; the index is whole up to its last batch")
