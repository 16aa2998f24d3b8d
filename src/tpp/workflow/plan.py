"""The decision calendar and the budget picture of a portfolio, before anything is deployed.

`make_plan` takes a spec (`tpp.spec.SpecFile`) and projects every programme's chain of epoch
ends as if it kept continuing up to ``max_epochs`` (each end aligned to the next decision-cycle
boundary, as ``Programme._aligned_end`` does for on-time keepers). Each end is one decision in
the shared evaluation window before that boundary. Epochs already admitted that end on a
boundary count too (as `tpp.spec`'s load check counts them) and never move.

Programmes are placed in the order they are listed (the order the factory admits them); a
programme whose chain would push a window above the delegate-load limit is moved to the
nearest later boundary where every one of its windows has room, at most ``max_shift`` cycles
later. So the latest-listed programmes are the ones moved. A moved programme keeps its first
start: its first epoch gets longer and its rate lower, so a move never raises the aggregate
rate of the first epochs the Budget checks. When no shift within ``max_shift`` cycles works,
the plan says it cannot fit, which programme, and which windows are full with whom.

`write_plan` writes ``calendar.ics`` (RFC 5545, one VEVENT per evaluation window),
``calendar.md`` (a markdown table) and ``supply.svg`` (scheduled supply, cumulative and per
programme, and the aggregate rate against the threshold, drawn with `tpp.reports.charts.line_chart`).
The ``tpp plan`` verb is `tpp.cli.plan`.
"""

from __future__ import annotations

import time
import tomllib
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from tpp.base import units
from tpp.reports.charts import HEIGHT, WIDTH, line_chart

if TYPE_CHECKING:
    from tpp.specs.spec import GlobalParams, SpecFile

__all__ = [
    "Decision",
    "Move",
    "Plan",
    "PlannedEpoch",
    "ics_text",
    "load_for_plan",
    "make_plan",
    "markdown_text",
    "supply_svg",
    "write_plan",
]

DEFAULT_MAX_SHIFT = 4  # cycles a programme may be moved later before the plan gives up
MAX_PROJECTED_EPOCHS = 400  # same bound as tpp.spec's load check
UINT48 = (1 << 48) - 1
ICS_LINE_OCTETS = 75  # RFC 5545 3.1: lines longer than this are folded
ADMITTED = "already admitted"  # the series name of epochs admitted before these programmes
NO_LOAD_LIMIT = 1 << 30  # used to read an overloaded spec: the plan does the load check itself


# --- what a plan is -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Decision:
    """One decision due in an evaluation window: epoch `number` of `programme` ends there."""

    programme: str
    number: int  # 1-based epoch number; 0 for an epoch admitted before these programmes
    max_epochs: int
    default_outcome: str
    window_length: int  # seconds: the programme's own window, inside the shared one

    @property
    def fixed(self) -> bool:
        return self.number == 0

    def describe(self) -> str:
        if self.fixed:
            return f"{self.programme} ({ADMITTED}; ends)"
        if self.number >= self.max_epochs:
            return f"{self.programme} epoch {self.number}/{self.max_epochs} (last; stops by itself)"
        return f"{self.programme} epoch {self.number}/{self.max_epochs} (default {self.default_outcome})"


@dataclass(frozen=True)
class PlannedEpoch:
    """One epoch of the supply schedule: admitted already, or planned assuming CONTINUE."""

    programme: str
    number: int
    cap: int  # wei
    start: int
    end: int

    @property
    def rate(self) -> int:
        """Wei per second, rounded up as the Budget records it."""
        return -(-self.cap // (self.end - self.start))

    def supply_at(self, t: int) -> int:
        """Wei unlocked by `t` (linear unlock)."""
        if t <= self.start:
            return 0
        if t >= self.end:
            return self.cap
        return self.cap * (t - self.start) // (self.end - self.start)


@dataclass(frozen=True)
class Move:
    """A programme whose first epoch should end later than the spec says, so its windows fit."""

    programme: str
    requested_end: int
    planned_end: int
    cycles: int
    first_start: int
    cap: int = 0  # wei: the first epoch's cap, which a move keeps

    @property
    def rate_before(self) -> int:
        return -(-self.cap // (self.requested_end - self.first_start))

    @property
    def rate_after(self) -> int:
        return -(-self.cap // (self.planned_end - self.first_start))

    def describe(self, g: GlobalParams) -> str:
        """The move and what it changes: the first epoch's end, its length, and (the cap being
        the same) its emission rate."""
        date, dur = units.format_date, units.format_duration
        before, after = self.requested_end - self.first_start, self.planned_end - self.first_start
        text = (
            f"move {self.programme}'s first epoch to end {date(self.planned_end)} (window "
            f"{date(self.planned_end - g.window_length)} → {date(self.planned_end)} has room), "
            f"{self.cycles} cycle{'s' if self.cycles != 1 else ''} after the {date(self.requested_end)} it asks for; "
            f"its first epoch then runs {date(self.first_start)} → {date(self.planned_end)} "
            f"({dur(after)} instead of {dur(before)})"
        )
        if self.cap:
            share = self.rate_after / self.rate_before if self.rate_before else 0.0
            text += (
                f" at the same cap of {g.amount(self.cap)}, so it emits at {g.rate(self.rate_after)} instead of "
                f"{g.rate(self.rate_before)} ({share:.0%} of the rate); to keep the rate, raise epoch_cap or move "
                f"first_start later"
            )
        return text


@dataclass
class Plan:
    spec: SpecFile
    max_shift: int
    requested: dict[int, list[Decision]]  # boundary -> decisions, as the spec asks
    planned: dict[int, list[Decision]]  # boundary -> decisions, after the moves
    first_ends: dict[str, int]  # programme -> planned first end
    moves: list[Move] = field(default_factory=list)
    unplaced: list[str] = field(default_factory=list)  # programmes that cannot fit
    problems: list[str] = field(default_factory=list)  # why they cannot, one line each
    epochs: list[PlannedEpoch] = field(default_factory=list)  # the supply schedule

    @property
    def g(self) -> GlobalParams:
        return self.spec.globals

    @property
    def fits(self) -> bool:
        return not self.unplaced

    def overloaded(self, which: str = "requested") -> list[tuple[int, list[Decision]]]:
        """Windows above the load limit, in the requested layout (default) or the planned one."""
        windows = self.requested if which == "requested" else self.planned
        return [(b, d) for b, d in sorted(windows.items()) if len(d) > self.g.load_limit]

    def windows(self) -> list[tuple[int, int, list[Decision]]]:
        """(opens, closes, decisions) of every planned window with a decision, in time order."""
        return [(b - self.g.window_length, b, d) for b, d in sorted(self.planned.items()) if d]

    def rate_excess(self) -> list[tuple[int, int, int]]:
        """Spans (from, to, aggregate wei/s) where the planned epochs together exceed the threshold:
        the Budget would refuse the later epochs that start there."""
        points = sorted({t for e in self.epochs for t in (e.start, e.end)})
        out: list[tuple[int, int, int]] = []
        for a, b in zip(points, points[1:]):
            rate = sum(e.rate for e in self.epochs if e.start <= a < e.end)
            if rate > self.g.inflation_threshold:
                if out and out[-1][1] == a and out[-1][2] == rate:
                    out[-1] = (out[-1][0], b, rate)
                else:
                    out.append((a, b, rate))
        return out


# --- reading a spec the plan can work on ----------------------------------------------------------


def _is_load_problem(problem) -> bool:
    return "above the load limit" in problem.message


def _read_globals(path: Path):
    """The spec's global parameters, read with tpp.spec's own reader (None if unreadable)."""
    from tpp.specs import spec as S

    try:
        text = path.read_text("utf-8")
        raw = tomllib.loads(text)
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return None
    src = S._Source(str(path), S.LineIndex(text), [])
    params, _, _ = S._load_globals(raw, path, src)
    return params


def load_for_plan(path: str | Path, **kwargs) -> SpecFile:
    """`tpp.spec.load_spec`, except that an overloaded evaluation window is not an error here:
    resolving it is the plan's job. Every other problem raises `SpecError` as `load_spec` does."""
    from tpp.specs.spec import SpecError, check_spec

    path = Path(path)
    result = check_spec(path, **kwargs)
    if result.spec is not None:
        return result.spec
    if not result.errors or not all(_is_load_problem(p) for p in result.errors):
        raise SpecError(result.errors)
    params = kwargs.pop("globals", None) or _read_globals(path)
    if params is None:
        raise SpecError(result.errors)
    relaxed = check_spec(path, globals=replace(params, load_limit=NO_LOAD_LIMIT), **kwargs)
    if relaxed.spec is None:
        raise SpecError(relaxed.errors or result.errors)
    spec = relaxed.spec
    spec.globals = params
    spec.globals_source = "the spec's globals"
    return spec


# --- planning -----------------------------------------------------------------------------------


def _chain(first_end: int, epoch_duration: int, max_epochs: int, g: GlobalParams) -> list[int]:
    """Epoch ends of a programme that keeps continuing (tpp.spec._epoch_ends, from any first end)."""
    ends = [first_end]
    for _ in range(min(max_epochs, MAX_PROJECTED_EPOCHS) - 1):
        start = ends[-1]
        end = g.next_boundary(start + epoch_duration - min(epoch_duration, g.cycle_length))
        if end > UINT48:
            break
        ends.append(end)
    return ends


def _fixed_decisions(spec: SpecFile) -> dict[int, list[Decision]]:
    g = spec.globals
    windows: dict[int, list[Decision]] = {}
    for e in spec.already_admitted:
        if g.is_boundary(e.end):
            windows.setdefault(e.end, []).append(Decision(e.name or ADMITTED, 0, 1, "STOP", g.window_length))
    return windows


def _decisions(p, ends: list[int]) -> list[tuple[int, Decision]]:
    return [(end, Decision(p.name, n, p.max_epochs, p.default_outcome, p.window_length)) for n, end in enumerate(ends, 1)]


def make_plan(spec: SpecFile, max_shift: int = DEFAULT_MAX_SHIFT) -> Plan:
    """The decision calendar of `spec`: where every decision falls as requested, and a layout
    that keeps each window within the load limit by moving later-listed programmes later."""
    g = spec.globals
    date = units.format_date
    requested = _fixed_decisions(spec)
    planned = _fixed_decisions(spec)
    plan = Plan(spec, max_shift, requested, planned, {})

    for p in spec.programmes:
        for end, d in _decisions(p, _chain(p.first_end, p.epoch_duration, p.max_epochs, g)):
            requested.setdefault(end, []).append(d)

    for p in spec.programmes:
        chosen = None
        tried: list[tuple[int, list[int]]] = []  # (first end, full boundaries it would hit)
        for k in range(max_shift + 1):
            first_end = p.first_end + k * g.cycle_length
            if first_end > UINT48:
                break
            ends = _chain(first_end, p.epoch_duration, p.max_epochs, g)
            full = [b for b in ends if len(planned.get(b, [])) >= g.load_limit]
            if not full:
                chosen = (k, first_end, ends)
                break
            tried.append((first_end, full))
        if chosen is None:
            plan.unplaced.append(p.name)
            plan.first_ends[p.name] = p.first_end
            blocked = sorted({b for _, full in tried for b in full})
            shown = "; ".join(
                f"{date(b - g.window_length)} → {date(b)} ({', '.join(d.programme for d in planned.get(b, []))})"
                for b in blocked[:4]
            )
            more = f"; and {len(blocked) - 4} more" if len(blocked) > 4 else ""
            plan.problems.append(
                f"cannot fit {p.name}: with its first epoch ending on {date(p.first_end)} or up to {max_shift} "
                f"cycle{'s' if max_shift != 1 else ''} later, one of its {min(p.max_epochs, MAX_PROJECTED_EPOCHS)} "
                f"evaluation window{'s' if p.max_epochs != 1 else ''} is always full at the load limit of "
                f"{g.load_limit}: {shown}{more} (lower its max_epochs, end it on a boundary further out, "
                f"or raise the load limit by a GAP)"
            )
            continue
        k, first_end, ends = chosen
        plan.first_ends[p.name] = first_end
        if k:
            plan.moves.append(Move(p.name, p.first_end, first_end, k, p.first_start, p.epoch_cap))
        for end, d in _decisions(p, ends):
            planned.setdefault(end, []).append(d)

    # The supply schedule: admitted epochs, then every planned epoch of every programme.
    plan.epochs = [PlannedEpoch(e.name or ADMITTED, 0, e.cap, e.start, e.end) for e in spec.already_admitted]
    for p in spec.programmes:
        ends = _chain(plan.first_ends[p.name], p.epoch_duration, p.max_epochs, g)
        start = p.first_start
        for n, end in enumerate(ends, 1):
            plan.epochs.append(PlannedEpoch(p.name, n, p.epoch_cap, start, end))
            start = end
    return plan


# --- the files --------------------------------------------------------------------------------


def _ics_escape(text: str) -> str:
    """TEXT value escaping (RFC 5545 3.3.11)."""
    return text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def _fold(line: str) -> list[str]:
    """Split a content line into lines of at most 75 octets, continuations starting with a
    space (RFC 5545 3.1), never inside a UTF-8 character."""
    out: list[str] = []
    current, size, limit = "", 0, ICS_LINE_OCTETS
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > limit:
            out.append(current)
            current, size, limit = " ", 1, ICS_LINE_OCTETS
        current += char
        size += width
    out.append(current)
    return out


def _ics_time(t: int) -> str:
    return datetime.fromtimestamp(t, tz=UTC).strftime("%Y%m%dT%H%M%SZ")


def ics_text(plan: Plan, now: int | None = None) -> str:
    """The calendar delegates import: one VEVENT per evaluation window with a decision."""
    g = plan.g
    now = int(time.time()) if now is None else now
    stem = plan.spec.path.stem
    title = f"tpp {stem}"
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//tpp//decision calendar//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{_ics_escape(title + ' evaluation windows')}",
    ]
    for opens, closes, decisions in plan.windows():
        names = ", ".join(dict.fromkeys(d.programme for d in decisions))
        body = [
            f"Evaluation window {units.format_date(opens)} → {units.format_date(closes)} "
            f"(decision-cycle boundary {units.format_date(closes)}).",
            f"{len(decisions)} of {g.load_limit} decisions due:",
        ]
        body += [f"- {d.describe()}" for d in decisions]
        body.append("Without a decision each programme's default outcome applies at the boundary.")
        lines += [
            "BEGIN:VEVENT",
            f"UID:tpp-{stem}-{closes}@tpp.local",
            f"DTSTAMP:{_ics_time(now)}",
            f"DTSTART:{_ics_time(opens)}",
            f"DTEND:{_ics_time(closes)}",
            f"SUMMARY:{_ics_escape(f'tpp evaluation window: {len(decisions)} decision' + ('s' if len(decisions) != 1 else '') + f' ({names})')}",
            f"DESCRIPTION:{_ics_escape(chr(10).join(body))}",
            "TRANSP:TRANSPARENT",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return "".join(folded + "\r\n" for line in lines for folded in _fold(line))


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def markdown_text(plan: Plan) -> str:
    g = plan.g
    date = units.format_date
    out = [
        f"# Decision calendar: {plan.spec.path.name}",
        "",
        f"Decision cycle {units.format_duration(g.cycle_length)} from {date(g.cycle_genesis)}; shared evaluation "
        f"window {units.format_duration(g.window_length)} before each boundary; load limit {g.load_limit} decisions per window.",
        "",
    ]
    if plan.moves:
        out += ["## Moves", ""] + [f"- {m.describe(g)}" for m in plan.moves] + [""]
    if plan.problems:
        out += ["## Cannot fit", ""] + [f"- {_md_cell(p)}" for p in plan.problems] + [""]
    out += [
        "## Evaluation windows",
        "",
        "| # | opens | closes (boundary) | decisions | load | due |",
        "|---:|---|---|---:|---|---|",
    ]
    for index, (opens, closes, decisions) in enumerate(plan.windows(), 1):
        due = "<br>".join(_md_cell(d.describe()) for d in decisions)
        load = f"{len(decisions)}/{g.load_limit}" + (" **over**" if len(decisions) > g.load_limit else "")
        out.append(f"| {index} | {date(opens)} | {date(closes)} | {len(decisions)} | {load} | {due} |")
    out.append("")
    return "\n".join(out)


SVG_STYLE = (
    "<style>.title { font: 600 14px sans-serif; } .tick { font: 10px sans-serif; fill: #555; } "
    ".legend { font: 11px sans-serif; } .axis { stroke: #333; } .grid { stroke: #eee; }</style>"
)
SERIES_PER_CHART = 4  # charts.line_chart spaces legends 170px apart on a 760px chart


def _sample_times(plan: Plan) -> list[int]:
    """Every point where a rate changes, with the second before it, so steps draw as steps."""
    points = sorted({t for e in plan.epochs for t in (e.start, e.end)})
    times: list[int] = []
    for t in points:
        if times and t - 1 > times[-1]:
            times.append(t - 1)
        times.append(t)
    return times


def supply_svg(plan: Plan) -> str:
    """One standalone SVG: scheduled supply, aggregate rate vs threshold, supply per programme."""

    g = plan.g
    one = 10**g.decimals
    times = _sample_times(plan) or [g.cycle_genesis, g.cycle_genesis + g.cycle_length]
    total = [sum(e.supply_at(t) for e in plan.epochs) / one for t in times]
    rate = [sum(e.rate for e in plan.epochs if e.start <= t < e.end) / one for t in times]
    threshold = [g.inflation_threshold / one] * len(times)
    t0 = times[0]
    ceiling = [g.inflation_threshold * (t - t0) / one for t in times]
    charts = [
        line_chart(
            "Scheduled supply (cumulative, all planned epochs incl. already admitted)",
            times,
            [("scheduled supply", total, ""), ("threshold × time", ceiling, "6 4")],
            g.token,
        ),
        line_chart(
            "Aggregate scheduled rate against the inflation threshold",
            times,
            [("aggregate rate", rate, ""), ("threshold", threshold, "6 4")],
            f"{g.token}/s",
        ),
    ]
    names = list(dict.fromkeys(e.programme for e in plan.epochs))
    per = [(name, [sum(e.supply_at(t) for e in plan.epochs if e.programme == name) / one for t in times], "") for name in names]
    for i in range(0, len(per), SERIES_PER_CHART):
        part = f" ({i // SERIES_PER_CHART + 1})" if len(per) > SERIES_PER_CHART else ""
        charts.append(line_chart(f"Scheduled supply per programme{part}", times, per[i : i + SERIES_PER_CHART], g.token))
    height = HEIGHT + 20
    body = []
    for index, chart in enumerate(charts):
        body.append(chart.replace("<svg ", f'<svg x="0" y="{index * height}" width="{WIDTH}" height="{height}" ', 1))
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height * len(charts)}" '
        f'viewBox="0 0 {WIDTH} {height * len(charts)}">\n'
        f'<rect width="100%" height="100%" fill="white"/>\n{SVG_STYLE}\n' + "\n".join(body) + "\n</svg>\n"
    )


def write_plan(plan: Plan, out: Path, now: int | None = None) -> list[Path]:
    """Write calendar.ics, calendar.md and supply.svg under `out`; the paths written."""
    out.mkdir(parents=True, exist_ok=True)
    files = {
        "calendar.ics": ics_text(plan, now),
        "calendar.md": markdown_text(plan),
        "supply.svg": supply_svg(plan),
    }
    written = []
    for name, text in files.items():
        path = out / name
        # newline="" keeps the ICS file's CRLF line endings exactly as written.
        with open(path, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        written.append(path)
    return written
