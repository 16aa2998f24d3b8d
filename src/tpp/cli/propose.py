"""`tpp propose`: one vote's governor payload, Safe batch and forum text; `--submit` proposes it."""

from __future__ import annotations

from pathlib import Path
from typing import Optional  # Optional: typer reads the command signatures

import typer

from tpp.cli.ops import DEFAULT_ROOT, chain_and_deployments
from tpp.cli.root import app, say


@app.command("propose")
def propose(
    file: Optional[Path] = typer.Argument(None, help="Programme spec (TOML) whose programmes one vote creates."),
    factory: Optional[str] = typer.Option(
        None, "--factory", help="ProgrammeFactory address (default: the one recorded for the chain)."
    ),
    budget: Optional[str] = typer.Option(None, "--budget", help="Budget address for --setup (default: the recorded one)."),
    token: Optional[str] = typer.Option(None, "--token", help="Token address for --setup (default: the recorded one)."),
    setup: bool = typer.Option(
        False, "--setup", help="First grant MINTER_ROLE to the Budget and ADMITTER_ADMIN_ROLE to the factory."
    ),
    slate: Optional[Path] = typer.Option(
        None, "--slate", help="A decision slate (TOML) for one evaluation window; see examples/slate.toml."
    ),
    programme: Optional[list[str]] = typer.Option(
        None, "--programme", help="NAME=ADDRESS of a programme named in the slate (repeatable)."
    ),
    chain_id: Optional[int] = typer.Option(
        None, "--chain-id", help="Chain id written into the Safe batch (default: the recorded chain's, else 1)."
    ),
    out: Optional[Path] = typer.Option(None, "--out", help="Output directory (default out/propose/<stem>/)."),
    title: Optional[str] = typer.Option(None, "--title", help="Proposal title (default: the spec's or slate's)."),
    submit: bool = typer.Option(
        False, "--submit", help="Also call Governor.propose (the account needs the proposal threshold in votes)."
    ),
    governor: Optional[str] = typer.Option(
        None, "--governor", help="Governor to submit to (default: the Token governor recorded for the chain)."
    ),
    rpc: Optional[str] = typer.Option(None, "--rpc", help="JSON-RPC URL for --submit (default: the local devnet)."),
    keystore: Optional[Path] = typer.Option(None, "--keystore", help="Encrypted keystore for --submit (or TPP_PRIVATE_KEY)."),
    root: Path = typer.Option(DEFAULT_ROOT, "--root", help="Where deployments and the devnet live."),
) -> None:
    """Governor calldata, a Safe batch and readable text for one vote: a portfolio or a decision slate.

    Addresses default to what `.tpp/deployments/<chain-id>.json` records: with --submit or
    --rpc that chain's file, else the only deployments file there is (the devnet's, say)."""
    from tpp.workflow.deployments import only_recorded
    from tpp.workflow.proposals import build_payload, propose_command, submit_payload

    if submit or rpc:
        chain, recorded = chain_and_deployments(rpc, False, keystore, root)
    else:
        chain, recorded = None, only_recorded(root)
    written_chain_id = chain_id if chain_id is not None else (recorded.chain_id if recorded is not None else 1)
    now = chain.now() if chain is not None else None
    propose_command(
        file, factory, budget, token, setup, slate, programme, written_chain_id, out, title, echo=say, recorded=recorded, now=now
    )
    if submit:
        from tpp.base.errors import UserError

        payload, _ = build_payload(file, factory, budget, token, setup, slate, programme, title, recorded, now)
        target = governor or recorded.stack.get("tpp_governor")
        if not target:
            raise UserError(f"no Token governor recorded for chain {recorded.chain_id}: pass --governor ADDRESS")
        pid = submit_payload(chain, target, payload)
        say(f"submitted to the governor at {target}: proposal id {pid}")
