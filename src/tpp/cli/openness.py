"""`tpp trace`, `tpp evaluate`, `tpp serve`: reading the index (`tpp index`) — no chain needed."""

from __future__ import annotations

import ipaddress
import json
from pathlib import Path
from typing import Optional  # Optional: typer reads the command signatures

import typer

from tpp.base.errors import UserError
from tpp.cli.root import app, say

DEFAULT_ROOT = Path(".tpp")
db_opt = typer.Option(None, "--db", help="The SQLite index (default: the one index under ROOT/index/).")
root_opt = typer.Option(DEFAULT_ROOT, "--root", help="Where deployments and the index live.")


def _db(db: Path | None, root: Path) -> Path:
    """The index to read: --db, or the only one `tpp index` wrote under ROOT."""
    if db is not None:
        return db
    found = sorted((root / "index").glob("*.sqlite")) if (root / "index").is_dir() else []
    if len(found) == 1:
        return found[0]
    if not found:
        raise UserError(
            f"no index under {root / 'index'}; run `tpp index` first, or pass --db (e.g. out/demo/index.sqlite after `tpp demo`)"
        )
    raise UserError(f"{len(found)} indexes under {root / 'index'} ({', '.join(p.name for p in found)}); pass --db")


@app.command("trace")
def trace_command(
    target: str = typer.Argument(
        ..., help='A mint transaction hash, an address (recipient, programme, epoch minter), a programme name, or "unattributed".'
    ),
    db: Optional[Path] = db_opt,
    root: Path = root_opt,
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of text."),
) -> None:
    """Where minted tokens come from: mint ← minter ← epoch ← programme ← admission ← TPP vote ← GAP bounds."""
    from tpp.workflow.provenance import IndexData, trace

    data = IndexData.load(_db(db, root))
    result = trace(data, target)
    if as_json:
        print(json.dumps(result.to_json(data), indent=2))
        return
    for line in result.lines(data):
        say(line, style="bold red" if "UNATTRIBUTED" in line else None)
    attribution = data.attribution
    say(attribution.line(data), style="bold red" if attribution.unattributed else "green")


@app.command("evaluate")
def evaluate_command(
    name: str = typer.Argument(..., help="A programme's name (as recorded) or address."),
    db: Optional[Path] = db_opt,
    root: Path = root_opt,
    out: Path = typer.Option(Path("out/briefs"), "--out", help="Where to write NAME.md, NAME.html and NAME.slate.toml."),
) -> None:
    """A programme's evaluation brief from indexed chain data: markdown, HTML and its slate entry."""
    import os

    from tpp.workflow.evaluate import brief
    from tpp.workflow.provenance import IndexData

    data = IndexData.load(_db(db, root))
    result = brief(data, name)
    stem = "".join(c if c.isalnum() or c in "-_" else "_" for c in result.name)[:80] or "programme"
    try:
        out.mkdir(parents=True, exist_ok=True)
        files = {
            out / f"{stem}.md": result.markdown(),
            out / f"{stem}.html": result.html(),
            out / f"{stem}.slate.toml": result.slate_entry(),
        }
        for path, text in files.items():
            tmp = path.with_name(path.name + ".tmp")
            tmp.write_text(text, encoding="utf-8")
            os.replace(tmp, path)  # whole files only: a reader never sees half a brief
    except OSError as exc:
        raise UserError(f"{out}: cannot write the brief ({exc.strerror or exc})") from None
    say(result.markdown())
    say("wrote " + ", ".join(str(p) for p in files))


@app.command("serve")
def serve_command(
    db: Optional[Path] = db_opt,
    root: Path = root_opt,
    host: str = typer.Option("127.0.0.1", "--host", help="Address to bind (loopback by default)."),
    port: int = typer.Option(8000, "--port", help="Port to listen on."),
) -> None:
    """A read-only dashboard over the index in the browser (follows `tpp index --follow`)."""
    from tpp.workflow.dashboard import create_app

    path = _db(db, root)
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = host == "localhost"
    if not 0 < port < 65536:
        raise UserError(f"--port must be 1-65535, not {port}")
    app_ = create_app(path)  # refuses a missing or foreign database before binding
    import socket

    try:  # a port in use is one line and exit 2, not a server log
        with socket.create_server((host, port)):
            pass
    except OSError as exc:
        raise UserError(f"cannot listen on {host}:{port} ({exc.strerror or exc}); pass another --port") from None
    if not loopback:
        say(f"warning: serving on {host}, reachable beyond this machine (the dashboard is read-only)", style="yellow")
    say(f"serving {path} at http://{host}:{port}/ (Ctrl-C stops)")
    import uvicorn

    try:
        uvicorn.run(app_, host=host, port=port, log_level="warning")
    except OSError as exc:
        raise UserError(f"cannot listen on {host}:{port} ({exc.strerror or exc})") from None
