"""Tables the commands print, laid out to stay readable at 80 columns."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from rich.table import Table

__all__ = ["status_table"]


def _when(t: int | None, now: int) -> str:
    if t is None:
        return "—"
    stamp = datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%d %H:%M")
    delta = t - now
    if delta <= 0:
        return f"{stamp}\n(due)"
    return f"{stamp}\n(in {delta // 86_400}d {delta % 86_400 // 3600}h)"


def _short(wei: int, token: str) -> str:
    value = wei / 10**18
    for size, suffix in ((1e9, "b"), (1e6, "m"), (1e3, "k")):
        if abs(value) >= size:
            return f"{value / size:,.2f}{suffix} {token}"
    return f"{value:,.2f} {token}"


def _dial(name: str, dial: dict[str, int]) -> str:
    if name.endswith("_bps"):
        return f"{name.removesuffix('_bps')} {dial['value'] / 100:g}%"
    return f"{name} {dial['value']}"


def status_table(rows: list[dict[str, Any]], chain_id: int, token: str = "ZK") -> Table:
    """One row per programme; amounts short with their unit, dials in %, the pending outcome
    (or the default that will apply), cells that wrap instead of being cut."""
    table = Table(title=f"programmes on chain {chain_id}", expand=False)
    table.add_column("programme", overflow="fold", min_width=8)
    table.add_column("state", overflow="fold")
    table.add_column("minted / unlocked / cap", overflow="fold")
    table.add_column("next", overflow="fold")
    table.add_column("decision", overflow="fold")
    for r in rows:
        state = f"{r['state']}{' halted' if r['halted'] else ''}\nepoch {r['epoch']}/{r['max_epochs']}"
        amounts = f"{_short(r['minted'], token)}\n{_short(r['unlocked'], token)}\n{_short(r['cap'], token)}"
        nxt = f"{r['next_state'] or '—'}\n{_when(r['next_at'], r['now'])}"
        if r.get("waiting"):
            nxt += f"\n{r['waiting']}"
        pending = r.get("pending_outcome")
        decision = f"{pending} (voted)" if pending else f"default {r.get('default_outcome', '?')}"
        if r["in_window"]:
            decision += "\nwindow open"
        dials = ", ".join(_dial(k, v) for k, v in r["dials"].items())
        if dials:
            decision += f"\n{dials}"
        table.add_row(r["name"], state, amounts, nxt, decision)
    return table
