"""Start-up of the `tpp` command line against a bare Python, side by side in one run.

Each command is started as a fresh process, as a user starts it, alternating between the
commands so that load on the shared machine falls on all of them alike; the table reports the
median wall time of each and its ratio to `python -c pass` (target: `tpp --help` within 10x).
Also reported: whether `tpp check` loaded titanoboa, Vyper or pyrevm (it must not).

    .venv/bin/python bench/cli.py [--reps 15]

Writes bench/results/cli.json and cli.md and refreshes the "CLI start-up" section of
docs/PERFORMANCE.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from perfdoc import write_section

RESULTS = ROOT / "bench" / "results"
PYTHON = sys.executable
TPP = [PYTHON, "-m", "tpp.cli"]
COMMANDS = {
    "python -c pass": [PYTHON, "-c", "pass"],
    "tpp --help": [*TPP, "--help"],
    "tpp check examples/portfolio.toml": [*TPP, "check", str(ROOT / "examples" / "portfolio.toml")],
    "tpp --version": [*TPP, "--version"],
}
TARGET = ("tpp --help", 10.0)
# What `tpp check` must not load: the EVM and the compiler.
HEAVY = ("boa", "vyper", "pyrevm", "eth_abi")


def time_once(argv: list[str]) -> float:
    started = time.perf_counter()
    done = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} exited {done.returncode}:\n{done.stdout}\n{done.stderr}")
    return elapsed


def heavy_modules_of_check() -> list[str]:
    probe = (
        "import sys\n"
        "from tpp.specs.spec import check_spec\n"
        f"check_spec({str(ROOT / 'examples' / 'portfolio.toml')!r})\n"
        f"print(','.join(m for m in {HEAVY!r} if m in sys.modules))\n"
    )
    out = subprocess.run([PYTHON, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()
    return [m for m in out.split(",") if m]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=15, help="Starts of each command (default 15).")
    args = parser.parse_args()

    for argv in COMMANDS.values():  # warm the file cache and the bytecode caches once
        time_once(argv)
    samples: dict[str, list[float]] = {name: [] for name in COMMANDS}
    for _ in range(args.reps):
        for name, argv in COMMANDS.items():
            samples[name].append(time_once(argv))
    base = statistics.median(samples["python -c pass"])
    rows = []
    for name, values in samples.items():
        median = statistics.median(values)
        spread = statistics.quantiles(values, n=10) if len(values) >= 10 else [min(values), max(values)]
        rows.append(
            {
                "command": name,
                "median_s": median,
                "p10_s": spread[0],
                "p90_s": spread[-1],
                "ratio": median / base,
            }
        )
    heavy = heavy_modules_of_check()
    name, bound = TARGET
    ratio = next(r["ratio"] for r in rows if r["command"] == name)
    result = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        "reps": args.reps,
        "rows": rows,
        "target": {"command": name, "within": bound, "ratio": ratio, "met": ratio <= bound},
        "check_loads": heavy,
    }
    lines = [
        "| command | median | p10 – p90 | × `python -c pass` |",
        "|---|---:|---:|---:|",
        *(
            f"| `{r['command']}` | {r['median_s'] * 1000:,.0f} ms | {r['p10_s'] * 1000:,.0f} – {r['p90_s'] * 1000:,.0f} ms | "
            f"{r['ratio']:.1f}× |"
            for r in rows
        ),
    ]
    table = "\n".join(lines)
    verdict = f"`{name}` is {ratio:.1f}× a bare Python start (target ≤ {bound:g}×: {'met' if ratio <= bound else 'NOT met'})."
    loads = "loads none of " + ", ".join(HEAVY) if not heavy else "loads " + ", ".join(heavy) + " (it should not)"
    print(table)
    print(verdict)
    print(f"`tpp check` {loads}.")
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "cli.json").write_text(json.dumps(result, indent=2) + "\n")
    (RESULTS / "cli.md").write_text(table + "\n")
    section = f"""## CLI start-up

How long the `tpp` command takes to start, each command a fresh process as a user starts it,
side by side with a bare `python -c pass` in the same run (the commands alternate, so the
shared machine's load falls on all alike). Produced by `bench/cli.py` (`make bench-cli`); raw
figures in `bench/results/cli.json`. Last run: {result["when"]}, {args.reps} starts of each, on
{result["machine"]["cpus"]} cores.

{table}

{verdict} The command modules import the library inside each command, so `--help` loads typer
and click but no EVM; `tpp check` {loads} (the layer contract in `pyproject.toml` keeps
specs free of the chain layer).
"""
    write_section("CLI start-up", section)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
