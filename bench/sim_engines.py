"""The pluralistic mechanisms' war game on each of the simulator's three engines, side by side:
`examples/scenarios/pluralistic-short.toml` (a KPI stream, impact checkpoints and a research
bounty against a flash depositor, a wash trader and a duplicate filer, two 6-day epochs) run
once on revm, on py-evm and on a fresh anvil node, one after the other in one process.

For each engine: wall time of the whole run (set-up included), the agents' transactions
(`trace.transactions`), transactions per second, and how many times slower than revm that is
in the same run (the machine is shared: ratios, not absolute seconds). And, because the engines must agree
on the outcome, what each gaming agent took of its mechanism's rewards.

This is a benchmark, not a test: nothing here asserts a number. Outputs:
bench/results/sim-engines.json, bench/results/sim-engines.md and the "Simulator engines"
section of docs/PERFORMANCE.md.

Run from the repository root:  .venv/bin/python bench/sim_engines.py [--days N]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO / "src") not in sys.path:
    sys.path.insert(0, str(REPO / "src"))

from rich.console import Console
from rich.table import Table

from perfdoc import write_section
from tpp.sim.runner import run_scenario
from tpp.sim.scenario import load_scenario

SCENARIO = REPO / "examples" / "scenarios" / "pluralistic-short.toml"
RESULTS = REPO / "bench" / "results"
ENGINES = ("revm", "pyevm", "anvil")
GAMING = (("depth", "kpi_flash"), ("impact", "wash_trader"), ("research", "duplicate_filer"))


def share(trace, programme: str, kind: str) -> float:
    kinds = {p.address: p.kind for p in trace.participants}
    rewards = trace.rewards[programme]
    total = sum(rewards.values())
    return sum(w for a, w in rewards.items() if kinds.get(a) == kind) / total if total else float("nan")


def measure(engine: str, days: int | None) -> dict:
    started = time.perf_counter()
    scenario = load_scenario(SCENARIO, {"horizon": f"{days}d"} if days else {})
    trace = run_scenario(scenario, engine=engine).trace
    seconds = time.perf_counter() - started
    return {
        "engine": engine,
        "seconds": seconds,
        "transactions": trace.transactions,
        "rate": trace.transactions / seconds,
        "shares": {f"{programme}/{kind}": share(trace, programme, kind) for programme, kind in GAMING},
    }


def pct(x: float) -> str:
    return "—" if x != x else f"{x * 100:.2f}%"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=None, help="days to run (default: the scenario's 13)")
    args = parser.parse_args()
    console = Console()
    load = os.getloadavg()[0]
    results = []
    for engine in ENGINES:
        console.print(f"running on {engine} …")
        results.append(measure(engine, args.days))
    revm = results[0]["rate"]
    header = ["engine", "wall time", "agent transactions", "tx/s", "slower than revm", *(f"{k} share" for _, k in GAMING)]
    rows = [
        [
            r["engine"],
            f"{r['seconds']:.1f} s",
            f"{r['transactions']:,}",
            f"{r['rate']:,.0f}",
            f"{revm / r['rate']:,.0f}×" if r["engine"] != "revm" else "1×",
            *(pct(r["shares"][f"{p}/{k}"]) for p, k in GAMING),
        ]
        for r in results
    ]
    span = f"{args.days} days" if args.days else "13 days"
    table = Table(title=f"pluralistic-short.toml, {span}, on each engine")
    for column in header:
        table.add_column(column, justify="left" if column == "engine" else "right")
    for row in rows:
        table.add_row(*row)
    console.print(table)

    when = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
    markdown = "| " + " | ".join(header) + " |\n|" + "---|" * len(header) + "\n"
    markdown += "".join("| " + " | ".join(row) + " |\n" for row in rows)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "sim-engines.json").write_text(json.dumps({"when": when, "span": span, "load": load, "runs": results}, indent=2))
    (RESULTS / "sim-engines.md").write_text(markdown)
    section = f"""## Simulator engines

The pluralistic war game on 6-day epochs (`examples/scenarios/pluralistic-short.toml`: a KPI
stream, impact checkpoints and a research bounty against a flash depositor, a wash trader and a
duplicate filer), {span} in 6-hour steps, run once on each engine `tpp sim --engine`
offers, one after the other in one process: revm (in process, the default), py-evm
(titanoboa's, in process) and anvil (a fresh node on a free loopback port, every agent action a
signed transaction over JSON-RPC, stopped after the run; its transactions are counted from its
blocks). Produced by `bench/sim_engines.py`; raw figures in `bench/results/sim-engines.json`.
Last run: {when}, load average {load:.2f} at the start, 2 shared cores: read the ratios, not
the seconds.

{markdown}
Wall time is the whole run: loading the scenario, deploying the stack, the vote that creates
the programmes, funding the agents, the steps and the metrics. The gaming agents' shares are
what each took of its mechanism's rewards; they agree across engines, except that on anvil
every transaction is a block of its own, a second or so after the last, so the flash
depositor is paid for the seconds it really holds between two readings (dust), and amounts
paid by the second move a little.
"""
    write_section("Simulator engines", section)
    console.print("Wrote bench/results/sim-engines.json, bench/results/sim-engines.md and docs/PERFORMANCE.md")


if __name__ == "__main__":
    main()
