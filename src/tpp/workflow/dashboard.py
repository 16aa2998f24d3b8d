"""`tpp serve`: a read-only dashboard over the index.

Starlette serves the pages, Jinja2 renders them with autoescaping on (every string from the
chain — descriptions, reasons, labels — is text, never markup), and Plotly draws the charts
from its own bundled script, served locally (no network). The index is opened read-only and
read again when its file changes, so the pages follow the chain while `tpp index --follow`
writes; each page also polls `/api/cursor` and reloads when a new batch lands.

Pages: the overview (programmes with state, epoch, minted vs cap vs unlock, next transition
and a countdown; the provenance banner), the Budget (scheduled supply vs actual mints, the
aggregate rate vs the threshold), the decision calendar (windows and their load), a page per
programme (its evaluation brief and epochs) and per mint transaction (its provenance), and
CSV/Parquet downloads of the mints and the logs.
"""

from __future__ import annotations

import csv
import io
import json
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import plotly.graph_objects as go
import plotly.offline
from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from tpp.base import units
from tpp.base.vocab import State
from tpp.workflow.evaluate import brief
from tpp.workflow.index import IndexProblem
from tpp.workflow.provenance import IndexData, epoch_json, mint_json, trace

__all__ = ["create_app", "page_urls", "serve"]

# Points on the Budget's scheduled-supply curve.
CURVE_POINTS = 240


class _Cache:
    """The index in memory, read again when the database (or its write-ahead log) changes."""

    def __init__(self, path: Path):
        self.path = path
        self._key: tuple[float, ...] | None = None
        self._data: IndexData | None = None
        self._lock = threading.Lock()

    def _stamp(self) -> tuple[float, ...]:
        out = []
        for p in (self.path, self.path.with_name(self.path.name + "-wal")):
            try:
                st = os.stat(p)
                out += [st.st_mtime_ns, st.st_size]
            except FileNotFoundError:
                out += [0, 0]
        return tuple(out)

    def get(self) -> IndexData:
        with self._lock:
            key = self._stamp()
            if self._data is None or key != self._key:
                self._data, self._key = IndexData.load(self.path), key
            return self._data


@dataclass
class _Row:
    address: str
    name: str
    kind: str
    state: str
    epoch: int
    minted: int
    cap: int
    unlocked: int
    next_label: str
    next_at: int | None


def _overview(data: IndexData) -> list[_Row]:
    rows = []
    now = data.now
    for address in data.of_role("programme"):
        epochs = sorted((e for e in data.epochs.values() if e.programme == address), key=lambda e: e.number)
        transitions = data.events("Transition", address=address)
        state = State.label(transitions[-1].int("new_state")) if transitions else "NONE"
        mechanism = next((a for a, (r, _, p) in data.contracts.items() if r == "mechanism" and p == address), None)
        kind = (data.contracts[mechanism][1] or "?") if mechanism else "?"
        minted = sum(m.amount for m in data.mints if m.epoch is not None and m.epoch.programme == address)
        cap = sum(e.cap for e in epochs)
        unlocked = sum(e.cap if now >= e.end else max(0, e.cap * (now - e.start) // max(1, e.end - e.start)) for e in epochs)
        current = epochs[-1] if epochs else None
        if state in ("STOPPED", "KILLED") or current is None:
            label, at = ("none: " + state.lower()) if current else "first epoch not opened", None
        elif now < current.start:
            label, at = f"epoch {current.number} starts", current.start
        else:
            label, at = f"epoch {current.number} ends", current.end
        rows.append(
            _Row(address, data.name(address), kind, state, current.number if current else 0, minted, cap, unlocked, label, at)
        )
    return rows


def _countdown(seconds: int) -> str:
    if seconds <= 0:
        return "due"
    days, rest = divmod(seconds, 86_400)
    return f"in {days}d {rest // 3600}h" if days else f"in {rest // 3600}h {rest % 3600 // 60}m"


def _budget_figures(data: IndexData) -> tuple[str, str]:
    """(supply figure JSON, rate figure JSON): scheduled supply vs actual mints, and the
    aggregate scheduled rate vs the inflation threshold."""
    admitted = [e for e in data.epochs.values() if e.admission is not None]
    mints = [m for m in data.mints if m.status != "genesis"]
    times = [e.start for e in admitted] + [e.end for e in admitted] + [data.time_of(m.log) for m in mints]
    if not times:
        return "{}", "{}"
    first, last = min(times), max(max(times), data.now)
    step = max(1, (last - first) // CURVE_POINTS)
    xs = list(range(first, last + step, step))

    def unlocked(t: int) -> int:
        return sum(e.cap if t >= e.end else max(0, e.cap * (t - e.start) // max(1, e.end - e.start)) for e in admitted)

    def rate(t: int) -> int:
        return sum(e.admission.int("rate") for e in admitted if e.admission is not None and e.start <= t < e.end)

    scale = 10**data.decimals
    mint_times = sorted((data.time_of(m.log), m.amount) for m in mints)
    minted, total, i = [], 0, 0
    for t in xs:
        while i < len(mint_times) and mint_times[i][0] <= t:
            total += mint_times[i][1]
            i += 1
        minted.append(total / scale)
    dates = [units.format_date(t) for t in xs]
    supply = go.Figure()
    supply.add_trace(go.Scatter(x=dates, y=[unlocked(t) / scale for t in xs], name="scheduled supply (unlocked)", mode="lines"))
    supply.add_trace(go.Scatter(x=dates, y=minted, name="minted", mode="lines"))
    supply.update_layout(title=f"Supply from programmes ({data.symbol})", height=380, margin=dict(l=60, r=20, t=50, b=40))
    thresholds = data.events("InflationThresholdSet", role="budget")

    def threshold_at(t: int) -> float:
        value = 0
        for log in thresholds:
            if data.time_of(log) <= t:
                value = log.int("new_threshold")
        return value / scale

    rates = go.Figure()
    rates.add_trace(go.Scatter(x=dates, y=[rate(t) / scale for t in xs], name="aggregate scheduled rate", mode="lines"))
    rates.add_trace(
        go.Scatter(x=dates, y=[threshold_at(t) for t in xs], name="inflation threshold", mode="lines", line=dict(dash="dash"))
    )
    rates.update_layout(title=f"Rate ({data.symbol}/s)", height=320, margin=dict(l=60, r=20, t=50, b=40))
    return supply.to_json(), rates.to_json()


def _calendar(data: IndexData) -> list[dict[str, Any]]:
    cycles = data.events("DecisionCycleSet", role="budget")
    if not cycles:
        return []
    args = cycles[-1].args
    genesis, length, window = int(args["new_genesis"]), int(args["new_cycle_length"]), int(args["new_window_length"])
    limits = data.events("LoadLimitSet", role="budget")
    limit = limits[-1].int("new_limit") if limits else 0
    ends: dict[int, list[str]] = {}
    for e in data.epochs.values():
        ends.setdefault(e.end, []).append(data.name(e.programme))
    if not ends or length <= 0:
        return []
    out = []
    boundary = genesis + ((min(ends) - genesis) // length) * length
    while boundary <= max(ends) + length:
        due = sorted(ends.get(boundary, []))
        out.append(
            {
                "opens": units.format_date(boundary - window),
                "closes": units.format_date(boundary),
                "due": due,
                "load": f"{len(due)} of {limit}" if limit else str(len(due)),
                "past": boundary <= data.now,
            }
        )
        boundary += length
    return out


def create_app(db_path: Path) -> Starlette:
    """The dashboard over the index at `db_path` (read-only; GET only)."""
    path = Path(db_path)
    IndexData.load(path)  # fail now, with the index's own message, not at the first request
    cache = _Cache(path)
    env = Environment(loader=PackageLoader("tpp.workflow", "templates"), autoescape=select_autoescape(default=True))
    env.filters["date"] = units.format_date

    def page(template: str, request: Request, status: int = 200, **values: Any) -> HTMLResponse:
        data = cache.get()
        attribution = data.attribution
        body = env.get_template(template).render(
            data=data, attribution=attribution, banner=attribution.line(data), cursor=data.cursor, **values
        )
        return HTMLResponse(body, status_code=status)

    async def overview(request: Request) -> Response:
        data = cache.get()
        rows = _overview(data)
        return page("overview.html", request, rows=rows, now=data.now, countdown=_countdown)

    async def budget(request: Request) -> Response:
        supply, rates = _budget_figures(cache.get())
        return page("budget.html", request, supply=supply, rates=rates)

    async def calendar(request: Request) -> Response:
        return page("calendar.html", request, windows=_calendar(cache.get()))

    async def programme(request: Request) -> Response:
        data = cache.get()
        address = request.path_params["address"]
        try:
            evaluation = brief(data, address)
            traced = trace(data, address)
        except IndexProblem as exc:
            return page("error.html", request, status=404, message=str(exc))
        return page(
            "programme.html", request, brief=evaluation, trace=traced, epochs=[epoch_json(data, e) for e in traced.epochs]
        )

    async def mint(request: Request) -> Response:
        data = cache.get()
        try:
            traced = trace(data, request.path_params["tx"])
        except IndexProblem as exc:
            return page("error.html", request, status=404, message=str(exc))
        return page(
            "mint.html",
            request,
            trace=traced,
            mints=[mint_json(data, m) for m in traced.mints],
            epochs=[epoch_json(data, e) for e in traced.epochs],
        )

    async def plotly_js(request: Request) -> Response:
        return Response(
            plotly.offline.get_plotlyjs(), media_type="application/javascript", headers={"Cache-Control": "max-age=86400"}
        )

    async def api_cursor(request: Request) -> Response:
        data = cache.get()
        return JSONResponse({"cursor": data.cursor, "logs": len(data.logs)})

    async def download(request: Request) -> Response:
        data = cache.get()
        table, fmt = request.path_params["table"], request.path_params["fmt"]
        if table == "mints":
            rows = [mint_json(data, m) for m in data.mints]
        elif table == "logs":
            rows = [
                {
                    "block": g.block,
                    "log_index": g.index,
                    "tx": g.tx,
                    "address": g.address,
                    "event": g.event,
                    "args": json.dumps(g.args),
                }
                for g in data.logs
            ]
        else:
            return page("error.html", request, status=404, message=f"no table {table!r} (mints, logs)")
        if fmt == "csv":
            out = io.StringIO()
            if rows:
                writer = csv.DictWriter(out, fieldnames=list(rows[0]))
                writer.writeheader()
                writer.writerows({k: _csv_safe(v) for k, v in r.items()} for r in rows)
            return Response(
                out.getvalue(), media_type="text/csv", headers={"Content-Disposition": f"attachment; filename={table}.csv"}
            )
        if fmt == "parquet":
            import pyarrow as pa
            import pyarrow.parquet as pq

            sink = io.BytesIO()
            columns = list(rows[0]) if rows else []
            pq.write_table(pa.table({c: [None if r[c] is None else str(r[c]) for r in rows] for c in columns}), sink)
            return Response(
                sink.getvalue(),
                media_type="application/octet-stream",
                headers={"Content-Disposition": f"attachment; filename={table}.parquet"},
            )
        return page("error.html", request, status=404, message=f"no format {fmt!r} (csv, parquet)")

    routes = [
        Route("/", overview),
        Route("/budget", budget),
        Route("/calendar", calendar),
        Route("/programme/{address}", programme),
        Route("/mint/{tx}", mint),
        Route("/static/plotly.js", plotly_js),
        Route("/api/cursor", api_cursor),
        Route("/download/{table}.{fmt}", download),
    ]
    return Starlette(routes=routes)


def _csv_safe(value: Any) -> Any:
    """A cell a spreadsheet will not run: text starting with = + - @ is quoted with an apostrophe."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value


def page_urls(db_path: Path) -> list[str]:
    """Representative pages (for the benchmark and the browser test): the overview, the
    Budget, the calendar, each programme and the newest traced mint."""
    data = IndexData.load(Path(db_path))
    urls = ["/", "/budget", "/calendar"] + [f"/programme/{a}" for a in data.of_role("programme")]
    traced = [m for m in data.mints if m.status == "traced"]
    if traced:
        urls.append(f"/mint/{traced[-1].log.tx}")
    return urls


def serve(db_path: Path, host: str = "127.0.0.1", port: int = 8000) -> None:
    """Serve the dashboard until interrupted."""
    import uvicorn

    uvicorn.run(create_app(db_path), host=host, port=port, log_level="warning")
