"""A self-contained HTML report (inline SVG, no scripts, readable offline) of a demo run:
supply actually minted vs the Budget's scheduled supply and the threshold, minted per
programme, and each programme's state over time."""

from __future__ import annotations

import html
from datetime import datetime, timezone
from pathlib import Path

WAD = 10**18
COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"]
STATE_COLORS = {
    "SCHEDULED": "#c7c7c7",
    "RUNNING": "#2ca02c",
    "EVALUATING": "#ff7f0e",
    "PAUSED": "#9467bd",
    "STOPPED": "#7f7f7f",
    "KILLED": "#d62728",
}
WIDTH, HEIGHT, PAD = 760, 280, 56
LEFT = 84  # room for the value axis labels


def _compact(value: float) -> str:
    """12_500_000 -> 12.5m; 4.05 -> 4.05."""
    for limit, suffix in ((1e9, "bn"), (1e6, "m"), (1e3, "k")):
        if abs(value) >= limit:
            return f"{value / limit:,.1f}{suffix}"
    return f"{value:,.2f}".rstrip("0").rstrip(".") if value else "0"


def _date(t: int) -> str:
    return datetime.fromtimestamp(t, tz=timezone.utc).strftime("%Y-%m-%d")


def _line_chart(title: str, times: list[int], series: list[tuple[str, list[float], str]], unit: str) -> str:
    """An SVG line chart; `series` are (label, values, dash pattern)."""
    t0, t1 = times[0], max(times[-1], times[0] + 1)
    top = max([max(values) for _, values, _ in series] + [1e-9]) * 1.08

    def x(t):
        return LEFT + (t - t0) / (t1 - t0) * (WIDTH - LEFT - 16)

    def y(v):
        return HEIGHT - PAD + 20 - v / top * (HEIGHT - PAD - 30)

    parts = [f'<svg viewBox="0 0 {WIDTH} {HEIGHT + 20}" role="img" aria-label="{html.escape(title)}">']
    parts.append(f'<text x="{LEFT}" y="16" class="title">{html.escape(title)}</text>')
    base = y(0)
    parts.append(f'<line x1="{LEFT}" y1="{base:.1f}" x2="{WIDTH - 16}" y2="{base:.1f}" class="axis"/>')
    for k in range(5):
        value = top * k / 4
        yy = y(value)
        parts.append(f'<line x1="{LEFT}" y1="{yy:.1f}" x2="{WIDTH - 16}" y2="{yy:.1f}" class="grid"/>')
        parts.append(f'<text x="{LEFT - 6}" y="{yy + 4:.1f}" class="tick" text-anchor="end">{_compact(value)}</text>')
    for k in range(5):
        t = t0 + (t1 - t0) * k / 4
        anchor = "start" if k == 0 else "end" if k == 4 else "middle"
        parts.append(f'<text x="{x(t):.1f}" y="{base + 16:.1f}" class="tick" text-anchor="{anchor}">{_date(int(t))}</text>')
    for index, (label, values, dash) in enumerate(series):
        color = COLORS[index % len(COLORS)]
        points = " ".join(f"{x(t):.1f},{y(v):.1f}" for t, v in zip(times, values))
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        parts.append(f'<polyline points="{points}" fill="none" stroke="{color}" stroke-width="2"{dash_attr}/>')
        lx = LEFT + 8 + 170 * index
        parts.append(f'<line x1="{lx}" y1="32" x2="{lx + 18}" y2="32" stroke="{color}" stroke-width="2"{dash_attr}/>')
        parts.append(f'<text x="{lx + 22}" y="36" class="legend">{html.escape(label)}</text>')
    parts.append(f'<text x="12" y="{HEIGHT / 2:.0f}" class="tick" transform="rotate(-90 12 {HEIGHT / 2:.0f})">{html.escape(unit)}</text>')
    parts.append("</svg>")
    return "\n".join(parts)


def _state_timeline(times: list[int], states: dict[str, list[str]]) -> str:
    t0, t1 = times[0], max(times[-1], times[0] + 1)
    row = 26
    height = 30 + row * len(states) + 30

    def x(t):
        return 150 + (t - t0) / (t1 - t0) * (WIDTH - 170)

    parts = [f'<svg viewBox="0 0 {WIDTH} {height}" role="img" aria-label="programme states over time">']
    for i, (name, sequence) in enumerate(states.items()):
        top = 20 + i * row
        parts.append(f'<text x="4" y="{top + 15}" class="legend">{html.escape(name)}</text>')
        for k in range(len(times) - 1):
            state = sequence[k]
            parts.append(
                f'<rect x="{x(times[k]):.1f}" y="{top}" width="{max(x(times[k + 1]) - x(times[k]), 0.5):.1f}" height="{row - 6}" '
                f'fill="{STATE_COLORS.get(state, "#eee")}"><title>{html.escape(name)} {_date(times[k])}: {state}</title></rect>'
            )
    legend_y = 20 + row * len(states) + 16
    for i, (state, color) in enumerate(STATE_COLORS.items()):
        parts.append(f'<rect x="{150 + i * 100}" y="{legend_y - 10}" width="12" height="12" fill="{color}"/>')
        parts.append(f'<text x="{166 + i * 100}" y="{legend_y}" class="tick">{state}</text>')
    parts.append("</svg>")
    return "\n".join(parts)


def write_report(path: Path, result, rows: list[dict]) -> Path:
    """Write the demo report. `result` is a programme_story.DemoResult; `rows` the summary table."""
    samples = result.samples
    times = [s.time for s in samples]
    start = times[0]
    supply = _line_chart(
        "Supply minted vs the Budget's scheduled supply vs the threshold (cumulative)",
        times,
        [
            ("minted", [s.total_minted / WAD for s in samples], ""),
            ("scheduled supply", [s.scheduled_supply / WAD for s in samples], "6 4"),
            ("threshold × elapsed", [s.threshold * (s.time - start) / WAD for s in samples], "2 3"),
        ],
        "TPP",
    )
    rate = _line_chart(
        "Aggregate scheduled emission rate vs the inflation threshold",
        times,
        [
            ("scheduled rate", [s.rate / WAD for s in samples], ""),
            ("threshold", [s.threshold / WAD for s in samples], "6 4"),
        ],
        "TPP per second",
    )
    names = list(samples[0].minted)
    per_programme = _line_chart(
        "Minted per programme",
        times,
        [(name, [s.minted[name] / WAD for s in samples], "") for name in names],
        "TPP",
    )
    timeline = _state_timeline(times, {name: [s.states[name] for s in samples] for name in names})
    table_rows = "\n".join(
        "<tr>" + "".join(f"<td>{html.escape(str(row[k]))}</td>" for k in row) + "</tr>" for row in rows
    )
    headers = "".join(f"<th>{html.escape(k)}</th>" for k in rows[0]) if rows else ""
    moments = "\n".join(
        f"<tr><td>{m.date}</td><td>{html.escape(m.kind)}</td><td>{html.escape(m.text)}</td></tr>" for m in result.moments
    )
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>tpp demo report</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 900px; margin: 2em auto; color: #222; }}
table {{ border-collapse: collapse; margin: 1em 0; }} td, th {{ border: 1px solid #ccc; padding: 4px 8px; text-align: left; }}
svg {{ width: 100%; height: auto; margin: 1em 0; }} .title {{ font-weight: 600; font-size: 14px; }}
.tick {{ font-size: 10px; fill: #555; }} .legend {{ font-size: 11px; }} .axis {{ stroke: #333; }} .grid {{ stroke: #eee; }}
</style></head><body>
<h1>tpp demo: three programmes, two epochs, one slate</h1>
<p>Every token shown here was minted through capped minters admitted by the Budget under bounds a GAP vote set;
the programmes were started by one TPP vote and stopped by themselves. Dates are simulated chain time.</p>
<h2>Programmes</h2><table><tr>{headers}</tr>{table_rows}</table>
<h2>Supply</h2>{supply}{rate}
<h2>Minted per programme</h2>{per_programme}
<h2>States over time</h2>{timeline}
<h2>Timeline</h2><table><tr><th>date</th><th>what</th><th></th></tr>{moments}</table>
</body></html>
"""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page)
    return path
