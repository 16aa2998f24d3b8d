"""The war-game report delegates read: one self-contained HTML file (inline SVG and CSS, no
scripts, readable offline) over the rows of `metrics.run_rows` and `metrics.series_rows`.

For each parameter set it draws percentile bands over time — the runs of a set differ only in
their seed and share one time grid, so at every time index the band spans the 5th to 95th
percentile of the runs and the line is their median — and it compares the sets (and, below,
each programme in each set) by the median and [p5, p95] of the headline metrics, highlighting
the best median of each column.
"""

from __future__ import annotations

import html
import math
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tpp.reports.charts import COLORS, compact, date_label
from tpp.sim.metrics import TOTAL

WIDTH, HEIGHT = 760, 300  # SVG units, as the demo report
LEFT, RIGHT = 84, 16  # room for the value axis labels; right margin
BAND_OPACITY = 0.18  # light enough that two overlapping bands stay readable
LOW, MID, HIGH = 5, 50, 95  # the percentiles shown: band edges and line
NAN = float("nan")
# Recipients a programme does not mean to pay for: the gaming agents of every mechanism.
EXTRACTIVE_KINDS = ("mercenary", "sybil", "whale", "kpi_flash", "wash_trader", "duplicate_filer")


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0..100) of `values`, interpolating linearly between the two closest
    ranks (numpy's default method). NaN when there are no values; callers drop NaN beforehand."""
    if not 0 <= q <= 100:
        raise ValueError(f"percentile: q must be within 0..100, got {q!r}")
    xs = sorted(values)
    if not xs:
        return NAN
    position = (len(xs) - 1) * q / 100
    lower = math.floor(position)
    upper = min(lower + 1, len(xs) - 1)
    if xs[upper] == xs[lower]:  # also keeps inf from turning into NaN
        return float(xs[lower])
    return xs[lower] + (xs[upper] - xs[lower]) * (position - lower)


@dataclass(frozen=True)
class Spread:
    """Median and percentile band of one metric over the runs that have a value for it."""

    low: float
    mid: float
    high: float
    n: int  # runs with a value (not None, not NaN)


def _spread(values: Sequence[Any]) -> Spread:
    present = [float(v) for v in values if v is not None and not (isinstance(v, float) and math.isnan(v))]
    return Spread(percentile(present, LOW), percentile(present, MID), percentile(present, HIGH), len(present))


def _value(row: dict, key: str) -> float:
    value = row.get(key)
    return NAN if value is None else float(value)


def _extractive_share(row: dict) -> float:
    """Σ of the gaming kinds' shares (a kind without a column in the row counts as none)."""
    return sum(_value(row, f"share_amount_{kind}") for kind in EXTRACTIVE_KINDS if f"share_amount_{kind}" in row)


@dataclass(frozen=True)
class Metric:
    label: str
    value: Callable[[dict], float]
    better: str | None  # "higher", "lower", or None when neither is better
    percent: bool = False


TOTAL_METRICS = [
    Metric("emitted (USD)", lambda r: _value(r, "emitted_usd"), "lower"),
    Metric("TVL-days per token", lambda r: _value(r, "tvl_days_per_token"), "higher"),
    Metric("retention", lambda r: _value(r, "retention"), "higher", percent=True),
    Metric("captured by gaming agents", _extractive_share, "lower", percent=True),
    Metric("gini of rewards", lambda r: _value(r, "gini"), "lower"),
    Metric("turnout", lambda r: _value(r, "turnout"), "higher", percent=True),
    Metric("decisions asked per window", lambda r: _value(r, "mean_decisions_per_window"), "lower"),
]
# Per programme every window asks one decision, so the last column counts them instead.
PROGRAMME_METRICS = [*TOTAL_METRICS[:-1], Metric("decisions asked", lambda r: _value(r, "decisions_asked"), None)]


def _column(key: str) -> Callable[[dict], float]:
    return lambda r: _value(r, key)


_EMITTED, _GINI = TOTAL_METRICS[0], TOTAL_METRICS[4]
# The pluralistic mechanisms are judged by what each is for, and by what its gaming agent took.
KIND_METRICS = {
    "kpi_stream": [
        _EMITTED,
        Metric("KPI held (days)", _column("kpi_held_days"), "higher"),
        Metric("KPI days held per 1k tokens", lambda r: _value(r, "kpi_held_days_per_token") * 1_000, "higher"),
        Metric("captured by the flash depositor", _column("share_amount_kpi_flash"), "lower", percent=True),
        Metric("captured by holders", _column("share_amount_kpi_holder"), "higher", percent=True),
    ],
    "checkpoints": [
        _EMITTED,
        Metric("to the top impact decile", _column("impact_decile_1"), None, percent=True),
        Metric("to the bottom half", lambda r: sum(_value(r, f"impact_decile_{d}") for d in range(6, 11)), None, percent=True),
        Metric("captured by wash traders (sybil share)", _column("share_amount_wash_trader"), "lower", percent=True),
        _GINI,
    ],
    "bounty": [
        _EMITTED,
        Metric("submissions", _column("submissions"), None),
        Metric("awards per submission", _column("awards_per_submission"), None),
        Metric("awards per author", _column("awards_per_author"), None),
        Metric("captured by duplicate filers", _column("share_amount_duplicate_filer"), "lower", percent=True),
    ],
}


def _num(value: float, percent: bool = False) -> str:
    """Three significant digits: 2050 -> 2.05k, 0.3636 -> 0.364 (36.4% as a percent)."""
    if value is None or math.isnan(value):
        return "—"
    if math.isinf(value):
        return "∞" if value > 0 else "−∞"
    if percent:
        return f"{float(f'{value * 100:.3g}'):g}%"
    rounded = float(f"{value:.3g}")
    for limit, suffix in ((1e9, "bn"), (1e6, "m"), (1e3, "k")):
        if abs(rounded) >= limit:
            return f"{rounded / limit:g}{suffix}"
    return f"{rounded:g}"


def _e(text: Any) -> str:
    return html.escape(str(text))


# ---------------------------------------------------------------------------------------------
# charts


@dataclass(frozen=True)
class Band:
    label: str
    low: list[float]
    mid: list[float]
    high: list[float]
    dash: str = ""


def _band_chart(title: str, days: list[float], bands: list[Band], unit: str, runs: int) -> str:
    """An SVG chart of percentile bands over days: shaded p5–p95, p50 line, legend with the end value."""
    legend_top = 34
    plot_top = legend_top + 18 * len(bands) + 4
    base = HEIGHT - 24
    d0 = days[0]
    d1 = days[-1] if days[-1] > d0 else d0 + 1
    finite = [v for band in bands for v in band.low + band.high if not math.isnan(v) and not math.isinf(v)]
    bottom = min([0.0, *finite])
    top = max([*finite, bottom + 1e-9])
    top = bottom + (top - bottom) * 1.08

    def x(day: float) -> float:
        return LEFT + (day - d0) / (d1 - d0) * (WIDTH - LEFT - RIGHT)

    def y(value: float) -> float:
        return base - (value - bottom) / (top - bottom) * (base - plot_top)

    def points(xs: list[float], ys: list[float]) -> str:
        return " ".join(f"{x(d):.1f},{y(v):.1f}" for d, v in zip(xs, ys) if math.isfinite(v))

    parts = [f'<svg viewBox="0 0 {WIDTH} {HEIGHT + 8}" role="img" aria-label="{_e(title)}">']
    parts.append(f'<text x="{LEFT}" y="16" class="title">{_e(title)}</text>')
    for k in range(5):
        value = bottom + (top - bottom) * k / 4
        yy = y(value)
        parts.append(f'<line x1="{LEFT}" y1="{yy:.1f}" x2="{WIDTH - RIGHT}" y2="{yy:.1f}" class="grid"/>')
        parts.append(f'<text x="{LEFT - 6}" y="{yy + 4:.1f}" class="tick" text-anchor="end">{_e(compact(value))}</text>')
    parts.append(f'<line x1="{LEFT}" y1="{y(bottom):.1f}" x2="{WIDTH - RIGHT}" y2="{y(bottom):.1f}" class="axis"/>')
    for k in range(5):
        day = d0 + (d1 - d0) * k / 4
        anchor = "start" if k == 0 else "end" if k == 4 else "middle"
        parts.append(
            f'<text x="{x(day):.1f}" y="{base + 16:.1f}" class="tick" text-anchor="{anchor}">day {_e(compact(day))}</text>'
        )
    for index, band in enumerate(bands):
        color = COLORS[index % len(COLORS)]
        dash = f' stroke-dasharray="{band.dash}"' if band.dash else ""
        outline = points(days, band.high) + " " + points(days[::-1], band.low[::-1])
        parts.append(
            f'<polygon points="{outline}" fill="{color}" fill-opacity="{BAND_OPACITY}" stroke="none">'
            f"<title>{_e(band.label)}: p{LOW}–p{HIGH} of {runs} runs</title></polygon>"
        )
        parts.append(
            f'<polyline points="{points(days, band.mid)}" fill="none" stroke="{color}" stroke-width="2"{dash}>'
            f"<title>{_e(band.label)}: median of {runs} runs</title></polyline>"
        )
        if len(days) == 1:  # a single sample draws no line: mark it
            parts.append(f'<circle cx="{x(days[0]):.1f}" cy="{y(band.mid[0]):.1f}" r="3" fill="{color}"/>')
        ly = legend_top + 18 * index
        parts.append(f'<rect x="{LEFT + 8}" y="{ly - 7}" width="22" height="12" fill="{color}" fill-opacity="{BAND_OPACITY}"/>')
        parts.append(
            f'<line x1="{LEFT + 8}" y1="{ly - 1}" x2="{LEFT + 30}" y2="{ly - 1}" stroke="{color}" stroke-width="2"{dash}/>'
        )
        end = f"{band.label}: p50 {_num(band.mid[-1])} on day {compact(days[-1])}"
        if runs > 1:
            end += f" (p{LOW} {_num(band.low[-1])} – p{HIGH} {_num(band.high[-1])})"
        parts.append(f'<text x="{LEFT + 36}" y="{ly + 3}" class="legend">{_e(end)}</text>')
    middle = (plot_top + base) / 2
    parts.append(f'<text x="12" y="{middle:.0f}" class="tick" transform="rotate(-90 12 {middle:.0f})">{_e(unit)}</text>')
    parts.append("</svg>")
    return "\n".join(parts)


def _set_charts(series: list[dict]) -> str:
    """The three band charts of one parameter set from its `*total*` series rows."""
    by_run: dict[Any, list[dict]] = defaultdict(list)
    for row in series:
        if row.get("programme") == TOTAL:
            by_run[row.get("run_id")].append(row)
    if not by_run:
        return "<p>No samples were recorded for this set.</p>"
    runs = [sorted(rows, key=lambda r: r["time"]) for rows in by_run.values()]
    length = min(len(run) for run in runs)  # runs share the time grid; a cut-short run ends it
    days = [float(runs[0][i]["day"]) for i in range(length)]

    def band(key: str, label: str, dash: str = "") -> Band:
        spreads = [_spread([run[i].get(key) for run in runs]) for i in range(length)]
        return Band(label, [s.low for s in spreads], [s.mid for s in spreads], [s.high for s in spreads], dash)

    n = len(runs)
    return "\n".join(
        [
            _band_chart(
                "Total minted vs the Budget's scheduled supply",
                days,
                [band("minted", "minted"), band("scheduled", "scheduled supply", "6 4")],
                "tokens",
                n,
            ),
            _band_chart("TVL staked in all programmes", days, [band("tvl_usd", "TVL")], "USD", n),
            _band_chart("Token price", days, [band("price", "price")], "USD per token", n),
        ]
    )


# ---------------------------------------------------------------------------------------------
# tables


def _comparison(groups: list[tuple[str, list[dict]]], metrics: list[Metric], first_header: str) -> str:
    """A table with one row per (label, run rows) group: median [p5, p95] of each metric."""
    spreads = [[_spread([metric.value(r) for r in rows]) for metric in metrics] for _, rows in groups]
    best: list[set[int]] = []
    for column, metric in enumerate(metrics):
        medians = [(i, row[column].mid) for i, row in enumerate(spreads) if row[column].n]
        if metric.better is None or len(medians) < 2:
            best.append(set())
            continue
        target = (max if metric.better == "higher" else min)(m for _, m in medians)
        winners = {i for i, m in medians if m == target}
        best.append(winners if len(winners) < len(medians) else set())  # a tie of all shades nothing

    arrows = {"higher": " ↑", "lower": " ↓", None: ""}
    head = f"<tr><th>{_e(first_header)}</th>" + "".join(f"<th>{_e(m.label + arrows[m.better])}</th>" for m in metrics) + "</tr>"
    body = []
    for i, ((label, rows), row_spreads) in enumerate(zip(groups, spreads)):
        cells = [f"<th>{_e(label)}</th>"]
        for column, (metric, spread) in enumerate(zip(metrics, row_spreads)):
            cells.append(_cell(spread, len(rows), metric.percent, i in best[column]))
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f'<table class="compare">{head}{"".join(body)}</table>'


def _cell(spread: Spread, runs: int, percent: bool, best: bool) -> str:
    if spread.n == 0:
        text = "—"
    else:
        text = _e(_num(spread.mid, percent))
        if spread.n > 1:
            text += f' <span class="range">[{_e(_num(spread.low, percent))}, {_e(_num(spread.high, percent))}]</span>'
    if spread.n < runs:
        text += f' <span class="range">n={spread.n}/{runs}</span>'
    title = f"median {spread.mid!r}; p{LOW} {spread.low!r}; p{HIGH} {spread.high!r}; {spread.n} of {runs} runs"
    css = ' class="best"' if best else ""
    return f'<td{css} title="{_e(title)}">{text}</td>'


RUN_COLUMNS = [
    ("emitted (USD)", "emitted_usd", False),
    ("TVL-days per token", "tvl_days_per_token", False),
    ("retention", "retention", True),
    ("minted / scheduled", "minted_vs_scheduled", True),
    ("peak rate / threshold", "peak_rate_vs_threshold", False),
    ("gini", "gini", False),
    ("turnout", "turnout", True),
    ("transactions", "transactions", False),
]


def _runs_table(totals: list[dict], labels: dict[Any, str]) -> str:
    head = (
        "<tr><th>set</th><th>seed</th><th>run</th><th>captured by mercenary + sybil + whale</th>"
        + "".join(f"<th>{_e(label)}</th>" for label, _, _ in RUN_COLUMNS)
        + "</tr>"
    )
    body = []
    for row in sorted(totals, key=lambda r: (r.get("set_id"), r.get("seed"), r.get("run_id"))):
        cells = [
            f"<td>{_e(labels.get(row.get('set_id'), row.get('set_id')))}</td>",
            f"<td>{_e(row.get('seed'))}</td>",
            f"<td>{_e(row.get('run_id'))}</td>",
            f"<td>{_e(_num(_extractive_share(row), True))}</td>",
        ]
        cells += [f"<td>{_e(_num(_value(row, key), percent))}</td>" for _, key, percent in RUN_COLUMNS]
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f'<table class="runs">{head}{"".join(body)}</table>'


# ---------------------------------------------------------------------------------------------
# the page


def _distinct(values) -> list:
    return list(dict.fromkeys(values))


def _count_text(counts: list[int]) -> str:
    if not counts:
        return "0"
    low, high = min(counts), max(counts)
    return str(low) if low == high else f"{low}–{high}"


HOW_TO_READ = """
<dl>
<dt>Bands</dt><dd>The runs of one parameter set differ only in their random seed. At each day the shaded
band spans the 5th to the 95th percentile of those runs and the line is their median (p50): nine in ten
runs fall inside the band. With a single run the band collapses to the line.</dd>
<dt>Emitted (USD)</dt><dd>The tokens the programmes emitted (minted, or owed to their recipients and
minted when they claim), each valued at the token price on the day it was emitted. Cheaper is better only if the outcome holds up; read it with the next column.</dd>
<dt>TVL-days per token</dt><dd>What a token bought: the dollars of liquidity staked, times the days they
stayed staked, divided by the tokens emitted. Streams hold no stake, so theirs is 0.</dd>
<dt>Retention</dt><dd>Liquidity still staked 30 days after the programme stopped, as a share of the
average liquidity while it was emitting. Empty when the programme never stopped, or the simulation ended
less than 30 days after it did.</dd>
<dt>Captured by gaming agents</dt><dd>The share of all rewards (claimed or still claimable)
that went to addresses of mercenary farmers, sybils, whales, KPI flash depositors, wash traders and
duplicate filers, rather than to loyal liquidity providers, KPI holders, builders, researchers or anyone
else.</dd>
<dt>KPI streams</dt><dd>Days the KPI was held (some candidate held it at two consecutive samples), those
days per thousand tokens emitted, and the shares that went to the candidate holding the KPI and to the one
depositing only around the keeper's readings.</dd>
<dt>Impact checkpoints</dt><dd>The programme's agents ranked by true impact (activity that reached the app)
and cut into tenths: the share of the rewards the top tenth got, and the bottom five tenths; the share wash
traders took; the gini of the rewards.</dd>
<dt>Research bounties</dt><dd>Submissions filed, tokens awarded per submission and per author (an owner
filing from several addresses is one author), and the share that went to duplicate filers.</dd>
<dt>Gini of rewards</dt><dd>How unevenly rewards were spread over the addresses that got any: 0 when all
got the same, close to 1 when one address took nearly everything. A sybil splitting itself over many
addresses makes this look more even than it is.</dd>
<dt>Turnout</dt><dd>The mean share of the delegates' voting power that voted when a programme asked for a
decision at the end of an epoch.</dd>
<dt>Decisions asked per window</dt><dd>How many programme decisions were put to the delegates at the same
moment (evaluation windows closing together), on average: the load on a delegate's attention.</dd>
</dl>
<p>Tables show the median over the runs of a set, with the 5th and 95th percentile in brackets;
<em>n=k/N</em> means only k of the N runs had a value. ↑ marks a column where higher is better, ↓ one where
lower is better; the best median of each column is shaded.</p>
"""

STYLE = """
body { font-family: system-ui, sans-serif; max-width: 1000px; margin: 2em auto; color: #222; }
table { border-collapse: collapse; margin: 1em 0; font-size: 13px; }
td, th { border: 1px solid #ccc; padding: 4px 8px; text-align: left; vertical-align: top; }
td.best { background: #e4f1e4; }
.range { color: #666; font-size: 11px; white-space: nowrap; }
svg { width: 100%; height: auto; margin: 1em 0; }
.title { font-weight: 600; font-size: 14px; } .tick { font-size: 10px; fill: #555; } .legend { font-size: 11px; }
.axis { stroke: #333; } .grid { stroke: #eee; }
dt { font-weight: 600; margin-top: .5em; } dd { margin-left: 1.5em; }
.facts { color: #444; }
"""


def write_sim_report(path: Path, *, scenario: str, runs: list[dict], series: list[dict], parameters: list[str]) -> Path:
    """Write the report of one scenario's sweep to `path` (parent directories created).

    `runs` are `metrics.run_rows` of every run, `series` their `metrics.series_rows`, and
    `parameters` the swept keys (dotted, with or without the `param.` prefix).
    """
    path = Path(path)
    columns = [p if p.startswith("param.") else f"param.{p}" for p in parameters]
    totals = [r for r in runs if r.get("programme") == TOTAL]
    written_ids: set[Any] = {r.get("set_id") for r in runs} | {r.get("set_id") for r in series}
    set_ids = sorted(written_ids)

    labels: dict[Any, str] = {}
    for set_id in set_ids:
        rows = [r for r in totals if r.get("set_id") == set_id] or [r for r in series if r.get("set_id") == set_id]
        values = "; ".join(f"{c.removeprefix('param.')} = {rows[0].get(c, '?')}" for c in columns) if rows else ""
        labels[set_id] = f"set {set_id}: {values}" if values else f"set {set_id}"

    run_count = len({(r.get("set_id"), r.get("run_id")) for r in totals})
    seeds = [len({r.get("seed") for r in totals if r.get("set_id") == s}) for s in set_ids]
    engines = ", ".join(str(e) for e in _distinct(r.get("engine") for r in totals)) or "—"
    times = [r["time"] for r in series if r.get("time") is not None]
    days = [r["day"] for r in series if r.get("day") is not None]
    period = f"from {date_label(min(times))}, {compact(max(days))} days simulated" if times and days else "no samples"

    if columns:
        swept = "".join(
            f"<li><code>{_e(c.removeprefix('param.'))}</code>: {_e(', '.join(str(v) for v in _distinct(r.get(c) for r in totals)))}</li>"
            for c in columns
        )
        sweep = (
            "<p>Sweep = Cartesian product of parameter values × seeds. Swept here:</p>"
            f"<ul>{swept}</ul><p>{len(set_ids)} parameter sets × {_count_text(seeds)} seeds = {run_count} runs.</p>"
        )
    else:
        sweep = (
            "<p>Sweep = Cartesian product of parameter values × seeds. Nothing was swept here: "
            f"one parameter set, {_count_text(seeds)} seed(s).</p>"
        )

    sections = []
    for set_id in set_ids:
        set_series = [r for r in series if r.get("set_id") == set_id]
        set_seeds = sorted({r.get("seed") for r in totals if r.get("set_id") == set_id}, key=str)
        sections.append(
            f"<h3>{_e(labels[set_id])}</h3>"
            f'<p class="facts">{len(set_seeds)} run(s), seeds {_e(", ".join(str(s) for s in set_seeds)) or "—"}</p>'
            + _set_charts(set_series)
        )

    by_set = [(labels[s], [r for r in totals if r.get("set_id") == s]) for s in set_ids]
    programmes = _distinct(r.get("programme") for r in runs if r.get("programme") != TOTAL)
    programme_tables = []
    for name in programmes:
        groups = [(labels[s], [r for r in runs if r.get("programme") == name and r.get("set_id") == s]) for s in set_ids]
        kind = next((r.get("programme_kind") for r in runs if r.get("programme") == name), None)
        programme_tables.append(
            f"<h3>{_e(name)}{f' ({_e(kind)})' if kind else ''}</h3>"
            + _comparison([g for g in groups if g[1]], KIND_METRICS.get(str(kind), PROGRAMME_METRICS), "parameter set")
        )

    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>tpp simulation: {_e(scenario)}</title>
<style>{STYLE}</style></head><body>
<h1>Simulation: {_e(scenario)}</h1>
<p class="facts">{run_count} runs · {len(set_ids)} parameter set(s) · {_e(_count_text(seeds))} seed(s) per set ·
engine {_e(engines)} · {_e(period)}</p>
{sweep}
<h2>How to read this</h2>
{HOW_TO_READ}
<h2>Parameter sets compared (all programmes together)</h2>
{_comparison(by_set, TOTAL_METRICS, "parameter set")}
<h2>Per programme</h2>
{"".join(programme_tables) or "<p>No programme rows.</p>"}
<h2>Over time, per parameter set</h2>
{"".join(sections)}
<h2>Every run</h2>
<details><summary>{run_count} runs, all programmes together</summary>
{_runs_table(totals, labels)}
</details>
</body></html>
"""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page, encoding="utf-8")
    return path
