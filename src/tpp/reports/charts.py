"""The charts the demo, `tpp plan` and `tpp sim` share: inline SVG line charts and state
timelines, self-contained (no scripts, readable offline). Every label is HTML-escaped."""

from __future__ import annotations

import html
from datetime import UTC, datetime

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


def compact(value: float) -> str:
    """12_500_000 -> 12.5m; 4.05 -> 4.05."""
    for limit, suffix in ((1e9, "bn"), (1e6, "m"), (1e3, "k")):
        if abs(value) >= limit:
            return f"{value / limit:,.1f}{suffix}"
    return f"{value:,.2f}".rstrip("0").rstrip(".") if value else "0"


def date_label(t: int) -> str:
    return datetime.fromtimestamp(t, tz=UTC).strftime("%Y-%m-%d")


def line_chart(title: str, times: list[int], series: list[tuple[str, list[float], str]], unit: str) -> str:
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
        parts.append(f'<text x="{LEFT - 6}" y="{yy + 4:.1f}" class="tick" text-anchor="end">{compact(value)}</text>')
    for k in range(5):
        t = t0 + (t1 - t0) * k / 4
        anchor = "start" if k == 0 else "end" if k == 4 else "middle"
        parts.append(f'<text x="{x(t):.1f}" y="{base + 16:.1f}" class="tick" text-anchor="{anchor}">{date_label(int(t))}</text>')
    for index, (label, values, dash) in enumerate(series):
        color = COLORS[index % len(COLORS)]
        points = " ".join(f"{x(t):.1f},{y(v):.1f}" for t, v in zip(times, values))
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        parts.append(f'<polyline points="{points}" fill="none" stroke="{color}" stroke-width="2"{dash_attr}/>')
        lx = LEFT + 8 + 170 * index
        parts.append(f'<line x1="{lx}" y1="32" x2="{lx + 18}" y2="32" stroke="{color}" stroke-width="2"{dash_attr}/>')
        parts.append(f'<text x="{lx + 22}" y="36" class="legend">{html.escape(label)}</text>')
    parts.append(
        f'<text x="12" y="{HEIGHT / 2:.0f}" class="tick" transform="rotate(-90 12 {HEIGHT / 2:.0f})">{html.escape(unit)}</text>'
    )
    parts.append("</svg>")
    return "\n".join(parts)


def state_timeline(times: list[int], states: dict[str, list[str]]) -> str:
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
                f'fill="{STATE_COLORS.get(state, "#eee")}"><title>{html.escape(name)} {date_label(times[k])}: {state}</title></rect>'
            )
    legend_y = 20 + row * len(states) + 16
    for i, (state, color) in enumerate(STATE_COLORS.items()):
        parts.append(f'<rect x="{150 + i * 100}" y="{legend_y - 10}" width="12" height="12" fill="{color}"/>')
        parts.append(f'<text x="{166 + i * 100}" y="{legend_y}" class="tick">{state}</text>')
    parts.append("</svg>")
    return "\n".join(parts)
