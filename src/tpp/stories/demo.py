"""`tpp demo`: the main job on the embedded chain.

Runs the programme story (`tpp.stories.programme_story`): votes set the bounds and start six
programmes of all five mechanism kinds, a hundred participants use them over two epochs,
delegates vote one slate in the evaluation window, and the programmes stop by themselves.
Writes `report.html`, `events.jsonl` (every event, decoded), `timeline.json`, the index and
the checkpoint scorer's rules and scores (`checkpoints/`) to the output folder. Progress and
narration go to callbacks; the CLI prints them.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tpp.base.units import DAY
from tpp.base.vocab import DEFAULT_ADMIN_ROLE, State
from tpp.chain import Chain
from tpp.chain.events import EventRecorder
from tpp.reports.demo import write_report
from tpp.stories.programme_story import CYCLE, EPOCHS, DemoConfig, DemoResult, Moment, run_programme_story
from tpp.system.stack import WAD
from tpp.workflow.deployments import Deployments, record_programme, record_stack
from tpp.workflow.index import LogRecorder, index_chain, verify_index
from tpp.workflow.provenance import IndexData

__all__ = ["DAYS", "DemoOutput", "run_demo", "summary_rows"]

# Days the story covers: every epoch, and a day on either side.
DAYS = EPOCHS * CYCLE // DAY + 2


@dataclass
class DemoOutput:
    result: DemoResult
    rows: list[dict[str, Any]]  # the summary table, one row per programme
    budget_line: str
    files: dict[str, Path]
    events: int
    provenance: str  # where the minted tokens come from, as `tpp trace` reads the index


def summary_rows(result: DemoResult) -> list[dict[str, Any]]:
    """Per programme: kind, epochs, minted vs the caps admitted, participants, final state."""
    rows = []
    budget = result.stack.budget
    for name, programme in result.programmes.items():
        mechanism = result.mechanisms[name]
        caps = 0
        for index in range(budget.epoch_count()):
            minter = budget.epoch_at(index)
            if result.stack.chain.at("EpochMinter", minter).hasRole(DEFAULT_ADMIN_ROLE, programme.address):
                caps += budget.schedule_of(minter)[0]
        kind = result.kinds[name]
        stakers = _people(result, name, kind)
        minted = mechanism.total_minted()
        rows.append(
            {
                "programme": name,
                "kind": kind,
                "epochs": programme.epoch(),
                "minted TPP": f"{minted / WAD:,.0f}",
                "caps TPP": f"{caps / WAD:,.0f}",
                "of caps": f"{minted / caps:.1%}" if caps else "-",
                "people": stakers,
                "state": State.label(programme.state()),
            }
        )
    return rows


def _people(result: DemoResult, name: str, kind: str) -> int:
    """Who took part: a pool's stakers, a KPI stream's candidates, the accounts a checkpoint
    programme paid, a bounty's authors, a stream's one recipient."""
    mechanism = result.mechanisms[name]
    if kind == "staking":
        return sum(1 for p in result.participants if p.pool == name)
    if kind == "kpi_stream":
        return int(mechanism.candidate_count())
    if kind == "checkpoints" and result.scores:
        return len(json.loads(result.scores[-1].read_text())["leaves"])
    if kind == "bounty":
        return len(result.payees.get(name, ()))
    return 1


def run_demo(
    out_dir: Path,
    config: DemoConfig | None = None,
    *,
    on_moment: Callable[[Moment], None] | None = None,
    on_day: Callable[[int], None] | None = None,
) -> DemoOutput:
    """Run the story on a fresh embedded chain and write its files under `out_dir`."""
    out_dir.mkdir(parents=True, exist_ok=True)
    chain = Chain.embedded()
    logs = LogRecorder(chain)  # for the index; the event recorder is for events.jsonl
    logs.attach()
    recorder = EventRecorder(chain.env).attach()
    try:
        result = run_programme_story(
            chain, config, on_moment=on_moment, on_day=on_day, recorder=recorder, logs=logs, workdir=out_dir / "checkpoints"
        )
    finally:
        recorder.detach()
        logs.detach()
    index, provenance = write_index(out_dir / "index.sqlite", logs, result)
    rows = summary_rows(result)
    budget = result.stack.budget
    now = result.stack.chain.now()
    budget_line = (
        f"Budget: {budget.total_minted() / WAD:,.0f} TPP minted, scheduled supply {budget.scheduled_supply(now) / WAD:,.0f} TPP, "
        f"threshold {budget.inflation_threshold() / WAD:,.0f} TPP/s. Participant actions: "
        + ", ".join(f"{v} {k}" for k, v in result.actions.items())
    )
    report = write_report(out_dir / "report.html", result, rows)
    events = recorder.write_jsonl(out_dir / "events.jsonl")
    timeline = out_dir / "timeline.json"
    timeline.write_text(
        json.dumps([{"date": m.date, "time": m.time, "kind": m.kind, "text": m.text} for m in result.moments], indent=1)
    )
    files = {"report": report, "events": events, "timeline": timeline, "index": index, "checkpoints": out_dir / "checkpoints"}
    return DemoOutput(result, rows, budget_line, files, len(recorder.records), provenance)


def write_index(path: Path, logs: LogRecorder, result: DemoResult) -> tuple[Path, str]:
    """Index the story's chain into `path` (made anew), reconcile it with the chain, and say
    where its minted tokens come from: what `tpp serve`, `tpp trace` and `tpp evaluate` read."""
    for stale in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        stale.unlink(missing_ok=True)
    deployments = record_stack(Deployments(chain_id=result.stack.chain.chain_id()), result.stack)
    for name, programme in result.programmes.items():
        record_programme(deployments, name, str(programme.address), str(result.mechanisms[name].address), result.kinds[name])
    index_chain(logs, deployments, path)
    verify_index(logs, path)
    data = IndexData.load(path)
    return path, data.attribution.line(data)
