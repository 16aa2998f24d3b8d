"""The demo's HTML report: supply minted vs scheduled vs threshold, rate, minted per programme
and the state timeline, as offline SVG (no scripts, no network)."""

from __future__ import annotations

import html
from pathlib import Path

from tpp.reports.charts import WAD, line_chart, state_timeline


def write_report(path: Path, result, rows: list[dict]) -> Path:
    """Write the demo report. `result` is a programme_story.DemoResult; `rows` the summary table."""
    samples = result.samples
    times = [s.time for s in samples]
    start = times[0]
    supply = line_chart(
        "Supply minted vs the Budget's scheduled supply vs the threshold (cumulative)",
        times,
        [
            ("minted", [s.total_minted / WAD for s in samples], ""),
            ("scheduled supply", [s.scheduled_supply / WAD for s in samples], "6 4"),
            ("threshold × elapsed", [s.threshold * (s.time - start) / WAD for s in samples], "2 3"),
        ],
        "TPP",
    )
    rate = line_chart(
        "Aggregate scheduled emission rate vs the inflation threshold",
        times,
        [
            ("scheduled rate", [s.rate / WAD for s in samples], ""),
            ("threshold", [s.threshold / WAD for s in samples], "6 4"),
        ],
        "TPP per second",
    )
    names = list(samples[0].minted)
    per_programme = line_chart(
        "Minted per programme",
        times,
        [(name, [s.minted[name] / WAD for s in samples], "") for name in names],
        "TPP",
    )
    timeline = state_timeline(times, {name: [s.states[name] for s in samples] for name in names})
    table_rows = "\n".join("<tr>" + "".join(f"<td>{html.escape(str(row[k]))}</td>" for k in row) + "</tr>" for row in rows)
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
<h1>tpp demo: six programmes of five mechanism kinds, two epochs, one slate</h1>
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
