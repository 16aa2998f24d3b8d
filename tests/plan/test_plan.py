"""`tpp plan`: staggering, the delegate-load limit, an unsatisfiable portfolio, the files it
writes (iCalendar, markdown, SVG) and the command through a Typer app."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tpp.base import units
from tpp.cli import app as tpp_app
from tpp.workflow.plan import ics_text, load_for_plan, make_plan, markdown_text, supply_svg, write_plan

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
GUARDIAN = "0x6000000000000000000000000000000000000006"
RECIPIENT = "0x1000000000000000000000000000000000000001"
NOW = units.parse_date("2026-06-01")


def write_spec(tmp_path: Path, load_limit: int, programmes: list[dict], admitted: str = "", name: str = "spec.toml") -> Path:
    """A spec with embedded globals (90-day cycle from 2027-01-01, 14-day window)."""
    text = f"""
[globals]
token = "ZK"
inflation_threshold = "1000m ZK/month"
allocation = "2_000_000_000 ZK"
max_share = "25%"
cycle_genesis = "2027-01-01"
cycle_length = "90d"
window_length = "14d"
load_limit = {load_limit}
{admitted}
"""
    for p in programmes:
        text += f"""
[programme.{p["name"]}]
kind = "stream"
recipient = "{RECIPIENT}"
epoch_cap = "{p.get("cap", "1m ZK")}"
first_start = "2027-01-01"
first_end = "{p.get("first_end", "2027-04-01")}"
epoch_duration = "{p.get("epoch_duration", "90d")}"
evaluation_window = "14d"
default_outcome = "{p.get("default_outcome", "CONTINUE")}"
max_epochs = {p.get("max_epochs", 1)}
guardian = "{GUARDIAN}"
"""
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def plan_of(tmp_path, load_limit, programmes, max_shift=4, **kwargs):
    return make_plan(load_for_plan(write_spec(tmp_path, load_limit, programmes, **kwargs), now=NOW), max_shift)


def loads(windows) -> dict[str, list[str]]:
    return {units.format_date(b): [d.programme for d in ds] for b, ds in sorted(windows.items()) if ds}


# --- staggering and the load limit --------------------------------------------------------------


def test_two_programmes_in_one_window_limit_one_moves_the_later_listed(tmp_path):
    plan = plan_of(tmp_path, 1, [{"name": "alpha"}, {"name": "beta"}])
    assert loads(plan.requested) == {"2027-04-01": ["alpha", "beta"]}
    assert [units.format_date(b) for b, _ in plan.overloaded()] == ["2027-04-01"]
    assert plan.fits
    assert loads(plan.planned) == {"2027-04-01": ["alpha"], "2027-06-30": ["beta"]}
    (move,) = plan.moves
    assert (move.programme, move.cycles) == ("beta", 1)
    text = move.describe(plan.g)
    assert "move beta's first epoch to end 2027-06-30 (window 2027-06-16 → 2027-06-30 has room)" in text
    assert plan.first_ends == {"alpha": units.parse_date("2027-04-01"), "beta": units.parse_date("2027-06-30")}


def test_moved_programme_skips_full_windows_to_the_nearest_with_room(tmp_path):
    # alpha runs three epochs (windows 1-3); beta asks for window 1 and lands in window 4.
    plan = plan_of(tmp_path, 1, [{"name": "alpha", "max_epochs": 3}, {"name": "beta"}])
    assert plan.fits
    assert plan.moves[0].cycles == 3
    assert loads(plan.planned)["2027-12-27"] == ["beta"]
    assert all(len(ds) <= 1 for ds in plan.planned.values())


def test_exactly_at_the_load_limit_is_fine(tmp_path):
    plan = plan_of(tmp_path, 2, [{"name": "alpha"}, {"name": "beta"}])
    assert plan.overloaded() == [] and plan.moves == [] and plan.fits
    assert loads(plan.planned) == {"2027-04-01": ["alpha", "beta"]}


def test_one_over_the_load_limit_is_flagged_and_moved(tmp_path):
    plan = plan_of(tmp_path, 2, [{"name": "alpha"}, {"name": "beta"}, {"name": "gamma"}])
    ((boundary, decisions),) = plan.overloaded()
    assert units.format_date(boundary) == "2027-04-01" and len(decisions) == 3
    assert [m.programme for m in plan.moves] == ["gamma"]
    assert plan.overloaded("planned") == []


def test_already_admitted_epoch_on_a_boundary_counts_and_never_moves(tmp_path):
    admitted = '[[already_admitted]]\nname = "audits"\ncap = "1m ZK"\nstart = "2027-01-01"\nend = "2027-04-01"\n'
    plan = plan_of(tmp_path, 1, [{"name": "alpha"}], admitted=admitted)
    assert loads(plan.planned) == {"2027-04-01": ["audits"], "2027-06-30": ["alpha"]}
    assert [m.programme for m in plan.moves] == ["alpha"]


def test_chain_follows_aligned_ends_for_longer_epochs(tmp_path):
    plan = plan_of(tmp_path, 6, [{"name": "half", "first_end": "2027-06-30", "epoch_duration": "180d", "max_epochs": 2}])
    assert loads(plan.planned) == {"2027-06-30": ["half"], "2027-12-27": ["half"]}
    assert [(e.start, e.end) for e in plan.epochs] == [
        (units.parse_date("2027-01-01"), units.parse_date("2027-06-30")),
        (units.parse_date("2027-06-30"), units.parse_date("2027-12-27")),
    ]


def test_unsatisfiable_portfolio_says_cannot_fit_and_names_the_programmes(tmp_path):
    plan = plan_of(tmp_path, 1, [{"name": "alpha", "max_epochs": 8}, {"name": "beta", "max_epochs": 8}], max_shift=4)
    assert not plan.fits and plan.unplaced == ["beta"]
    (problem,) = plan.problems
    assert problem.startswith("cannot fit beta")
    assert "alpha" in problem and "load limit of 1" in problem and "4 cycles" in problem
    # Allowed far enough, it fits after alpha's last window.
    assert plan_of(tmp_path, 1, [{"name": "alpha", "max_epochs": 8}, {"name": "beta", "max_epochs": 8}], max_shift=8).fits


def test_supply_schedule_includes_admitted_and_every_planned_epoch(tmp_path):
    admitted = '[[already_admitted]]\nname = "audits"\ncap = "2m ZK"\nstart = "2027-01-01"\nend = "2027-06-30"\n'
    plan = plan_of(tmp_path, 6, [{"name": "alpha", "max_epochs": 2}], admitted=admitted)
    assert sum(e.cap for e in plan.epochs) == 4 * 10**24
    mid = units.parse_date("2027-04-01")
    # audits half unlocked, alpha's first epoch fully.
    assert sum(e.supply_at(mid) for e in plan.epochs) == 10**24 + 10**24
    assert plan.rate_excess() == []


# --- the files ------------------------------------------------------------------------------


def ics_lines(raw: bytes) -> list[str]:
    assert raw.endswith(b"\r\n")
    physical = raw.split(b"\r\n")[:-1]
    assert all(b"\n" not in line and b"\r" not in line for line in physical)
    assert all(len(line) <= 75 for line in physical), [line for line in physical if len(line) > 75]
    logical: list[str] = []
    for line in physical:
        text = line.decode("utf-8")
        if text.startswith(" "):
            logical[-1] += text[1:]
        else:
            logical.append(text)
    return logical


def test_ics_is_valid_rfc5545(tmp_path):
    plan = make_plan(load_for_plan(EXAMPLES / "portfolio.toml", now=NOW))
    (path,) = [p for p in write_plan(plan, tmp_path, now=NOW) if p.name == "calendar.ics"]
    lines = ics_lines(path.read_bytes())
    stack = []
    for line in lines:
        name, _, value = line.partition(":")
        if name == "BEGIN":
            stack.append(value)
        elif name == "END":
            assert stack.pop() == value
    assert stack == []
    assert lines[0] == "BEGIN:VCALENDAR" and lines[-1] == "END:VCALENDAR"
    assert "VERSION:2.0" in lines and any(line.startswith("PRODID:") for line in lines)
    events = [i for i, line in enumerate(lines) if line == "BEGIN:VEVENT"]
    assert len(events) == len(plan.windows()) == 4
    stamp = re.compile(r"^\d{8}T\d{6}Z$")
    uids = set()
    for start in events:
        end = lines.index("END:VEVENT", start)
        props = dict(line.split(":", 1) for line in lines[start + 1 : end])
        for key in ("DTSTART", "DTEND", "DTSTAMP"):
            assert stamp.match(props[key]), props[key]
        assert props["DTSTART"] < props["DTEND"]
        uids.add(props["UID"])
        assert "SUMMARY" in props and "DESCRIPTION" in props
    assert len(uids) == len(events)
    text = "\n".join(lines)
    assert "DTSTART:20270616T000000Z" in text and "DTEND:20270630T000000Z" in text
    assert "usdc-pool epoch 1/1" in text


def test_ics_folds_long_lines_without_splitting_characters(tmp_path):
    names = [{"name": "a-programme-with-a-rather-long-name-" + "x" * 20 + str(i)} for i in range(3)]
    plan = plan_of(tmp_path, 6, names)
    raw = ics_text(plan, now=NOW).encode("utf-8")
    lines = ics_lines(raw)  # decodes every physical line: none ends inside a character
    assert any(len(line.encode()) > 75 for line in lines)  # something was folded
    # A fold never splits a multi-byte character (the arrow is 3 octets).
    from tpp.workflow.plan import _fold

    line = "DESCRIPTION:" + "→" * 40
    parts = _fold(line)
    assert all(len(p.encode()) <= 75 for p in parts) and "".join([parts[0]] + [p[1:] for p in parts[1:]]) == line


def test_markdown_table_rows(tmp_path):
    plan = plan_of(tmp_path, 1, [{"name": "alpha"}, {"name": "beta"}])
    text = markdown_text(plan)
    rows = [line for line in text.splitlines() if re.match(r"^\| \d+ \|", line)]
    assert rows == [
        "| 1 | 2027-03-18 | 2027-04-01 | 1 | 1/1 | alpha epoch 1/1 (last; stops by itself) |",
        "| 2 | 2027-06-16 | 2027-06-30 | 1 | 1/1 | beta epoch 1/1 (last; stops by itself) |",
    ]
    assert "| # | opens | closes (boundary) | decisions | load | due |" in text
    assert "move beta's first epoch to end 2027-06-30" in text


def test_svg_is_well_formed(tmp_path):
    plan = make_plan(load_for_plan(EXAMPLES / "portfolio.toml", now=NOW))
    root = ET.fromstring(supply_svg(plan))
    ns = "{http://www.w3.org/2000/svg}"
    assert root.tag == ns + "svg"
    charts = root.findall(ns + "svg")
    assert len(charts) == 3  # supply, rate vs threshold, per programme
    polylines = root.iter(ns + "polyline")
    assert sum(1 for _ in polylines) == 2 + 2 + 4  # 3 programmes + already admitted
    labels = {t.text for t in root.iter(ns + "text")}
    assert {"eth-pool", "usdc-pool", "builders-stream", "security-audits-2027h1", "threshold"} <= labels


# --- the command ------------------------------------------------------------------------------


@pytest.fixture
def app():
    """The real `tpp` application."""
    return tpp_app


def test_cli_portfolio(app, tmp_path):
    out = tmp_path / "plan"
    result = CliRunner().invoke(app, ["plan", str(EXAMPLES / "portfolio.toml"), "--out", str(out)])
    assert result.exit_code == 0, result.output
    for name in ("calendar.ics", "calendar.md", "supply.svg"):
        assert (out / name).is_file()
        assert str(out / name) in result.output
    assert "2027-06-16" in result.output and "no programme needs to move" in result.output


def test_cli_default_out_dir(app, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["plan", str(EXAMPLES / "stream.toml")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "out" / "plan" / "stream" / "calendar.ics").is_file()


def test_cli_proposes_a_move(app, tmp_path):
    spec = write_spec(tmp_path, 1, [{"name": "alpha"}, {"name": "beta"}])
    result = CliRunner().invoke(app, ["plan", str(spec), "--out", str(tmp_path / "o")])
    assert result.exit_code == 0, result.output
    assert "move beta's first epoch to end 2027-06-30" in result.output


def test_cli_cannot_fit_exits_2(app, tmp_path):
    spec = write_spec(tmp_path, 1, [{"name": "alpha", "max_epochs": 8}, {"name": "beta", "max_epochs": 8}])
    result = CliRunner().invoke(app, ["plan", str(spec), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2, result.output
    assert "cannot fit beta" in result.output and "Traceback" not in result.output


def test_cli_broken_spec_exits_2_with_file_and_line(app, tmp_path):
    spec = write_spec(tmp_path, 1, [{"name": "alpha", "first_end": "2027-04-02", "cap": "10m ZKK"}], name="broken.toml")
    result = CliRunner().invoke(app, ["plan", str(spec), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2, result.output
    assert re.search(r"broken\.toml:\d+ programme\.alpha\.", result.output), result.output
    assert "not valid" in result.output
    assert not (tmp_path / "o").exists()
