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


checkpoint = typer.Typer(help="Impact checkpoints: score a checkpoint from the index, check a posted root.", no_args_is_help=True)
app.add_typer(checkpoint, name="checkpoint")


def _time(text: str) -> int:
    from tpp.base import units

    if text.isdigit():
        return int(text)
    try:
        return units.parse_date(text)
    except units.UnitError as exc:
        raise UserError(f"--at: {exc}") from None


def _previous(path: Path | None) -> dict | None:
    if path is None:
        return None
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise UserError(f"{path}: cannot read the previous checkpoint's score ({exc})") from None


@checkpoint.command("score")
def checkpoint_score(
    programme: str = typer.Argument(..., help="The checkpoint programme's name (as recorded) or address."),
    rules: Path = typer.Option(..., "--rules", help="The scoring rules (TOML, one [scoring] table) the vote named."),
    at: str = typer.Option(..., "--at", help='The checkpoint scored: a date ("2027-01-31") or unix seconds.'),
    previous: Optional[Path] = typer.Option(
        None, "--previous", help="The previous checkpoint's score file (amounts are cumulative)."
    ),
    db: Optional[Path] = db_opt,
    root: Path = root_opt,
    out: Path = typer.Option(
        Path("out/checkpoints"), "--out", help="Where to write the score (JSON: root, total, hashes, proofs)."
    ),
) -> None:
    """The Merkle root a checkpoint's scorer posts, recomputed from indexed chain data and the rules file."""
    from tpp.base import units
    from tpp.workflow.checkpoints import load_rules, score_checkpoint, share_text, write_score
    from tpp.workflow.provenance import IndexData

    scoring = load_rules(rules)
    data = IndexData.load(_db(db, root))
    result = score_checkpoint(data, programme, scoring, _time(at), _previous(previous))
    try:
        path = write_score(result, out)
    except OSError as exc:
        raise UserError(f"{out}: cannot write the score ({exc.strerror or exc})") from None
    eligible = [p for p in result.participants if p.eligible]
    say(
        f"checkpoint {units.format_date(result.checkpoint)}: {len(result.participants)} active, {len(eligible)} eligible, "
        f"{result.transfers} transfer(s) scored; award {data.amount(result.award)}"
    )
    for p in eligible[:10]:
        say(
            f"  {p.account}  {data.amount(p.award):>16}  {share_text(p.award, result.award):>7}  ({p.transactions} tx, {len(p.days)} day(s))"
        )
    say(f"root 0x{result.tree.root.hex()}  total {data.amount(result.tree.total)} (cumulative)")
    say(f"rules_hash 0x{result.rules_hash.hex()}  data_hash 0x{result.data_hash.hex()}")
    say(f"wrote {path}: the scorer posts post_root(root, total, rules_hash, data_hash); anyone can re-run this to check it")


@checkpoint.command("verify")
def checkpoint_verify(
    score: Path = typer.Argument(..., help="A score file written by `tpp checkpoint score`."),
    rules: Path = typer.Option(..., "--rules", help="The scoring rules the root claims to follow."),
    previous: Optional[Path] = typer.Option(None, "--previous", help="The previous checkpoint's score file."),
    db: Optional[Path] = db_opt,
    root: Path = root_opt,
) -> None:
    """Recomputes a score and compares it with the file and with the roots posted on chain (exit 1 on a mismatch)."""
    from tpp.workflow.checkpoints import load_rules, posted_roots, score_checkpoint
    from tpp.workflow.provenance import IndexData

    claimed = _previous(score) or {}
    if "mechanism" not in claimed or "checkpoint" not in claimed:
        raise UserError(f"{score}: not a score written by `tpp checkpoint score` (no mechanism or checkpoint)")
    data = IndexData.load(_db(db, root))
    result = score_checkpoint(
        data, str(claimed.get("mechanism", "")), load_rules(rules), int(claimed["checkpoint"]), _previous(previous)
    )
    mine = result.to_json()
    fields = ("root", "total", "rules_hash", "data_hash")
    differ = [f for f in fields if str(mine[f]).lower() != str(claimed.get(f, "")).lower()]
    ok = not differ
    if differ:
        say(
            f"{score}: recomputed {', '.join(differ)} differ(s) from the file: " + "; ".join(f"{f} {mine[f]}" for f in differ),
            style="bold red",
        )
    else:
        say(f"{score}: recomputed from the index and {rules}: same root, total and hashes")
    posted = [r for r in posted_roots(data, result.mechanism) if r["checkpoint"] == result.checkpoint]
    if not posted:
        say(f"no root posted on chain for checkpoint {result.checkpoint} (as indexed up to block {data.cursor})")
    for r in posted:
        same = all(str(r[f]).lower() == str(mine[f]).lower() for f in fields)
        ok = ok and same
        say(
            f"root #{r['number']} posted in {r['tx']}: "
            + ("matches" if same else "DIFFERS from the recomputed score: challenge it"),
            style=None if same else "bold red",
        )
    if not ok:
        raise typer.Exit(1)
