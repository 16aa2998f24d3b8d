"""`tpp check` and `tpp init` through the real entry point (`tpp.cli.main`), as a user runs them."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tpp import cli
from tpp.cli import root as app_module

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
ERROR_LINE = re.compile(r"^\S+\.toml:\d+ ", re.MULTILINE)


def run(args: list[str], monkeypatch, capsys) -> tuple[int, str]:
    """Run `tpp ARGS` in-process; (exit code, everything printed)."""
    monkeypatch.setattr(sys, "argv", ["tpp", *args])
    app_module.state["debug"] = False
    code = 0
    try:
        cli.main()
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    captured = capsys.readouterr()
    return code, captured.out + captured.err


@pytest.mark.parametrize("name", ["liquidity.toml", "stream.toml", "portfolio.toml"])
def test_examples_are_valid(name, monkeypatch, capsys):
    code, out = run(["check", str(EXAMPLES / name)], monkeypatch, capsys)
    assert code == 0, out
    assert "valid" in out and "after admission:" in out and "Traceback" not in out


def test_portfolio_summary_in_human_units(monkeypatch, capsys):
    code, out = run(["check", str(EXAMPLES / "portfolio.toml")], monkeypatch, capsys)
    assert code == 0
    assert "3 programmes, valid" in out
    assert "cap 20_000_000 ZK per epoch of 90d; first epoch 2027-01-01 → 2027-04-01 (90d)" in out
    assert "already admitted: 1 epoch, 10_000_000 ZK committed" in out
    assert "window 2027-03-18 → 2027-04-01: builders-stream, eth-pool (2 of 6)" in out


def test_broken_file_reports_every_problem_with_file_and_line(tmp_path, monkeypatch, capsys):
    shutil.copy(EXAMPLES / "globals.toml", tmp_path / "globals.toml")
    text = (EXAMPLES / "stream.toml").read_text()
    text = text.replace('epoch_cap = "4.5m ZK"', 'epoch_cap = "4.5m ETH"').replace(
        'iterate_bound = "50%"', 'iterate_bound = "150%"'
    )
    spec = tmp_path / "spec.toml"
    spec.write_text(text)
    code, out = run(["check", str(spec)], monkeypatch, capsys)
    assert code == 2
    lines = text.splitlines()
    cap_line = next(i for i, line in enumerate(lines, 1) if line.startswith("epoch_cap"))
    bound_line = next(i for i, line in enumerate(lines, 1) if line.startswith("iterate_bound"))
    assert f'{spec}:{cap_line} programme.builders-stream.epoch_cap: "4.5m ETH" is in ETH, but the budget mints ZK' in out
    assert f'{spec}:{bound_line} programme.builders-stream.iterate_bound: "150%" is above 100%' in out
    assert "error: " in out and "2 problems found" in out
    assert "Traceback" not in out


def test_toml_syntax_error(tmp_path, monkeypatch, capsys):
    spec = tmp_path / "spec.toml"
    spec.write_text('title = "x"\n[programme.a\nkind = "stream"\n')
    code, out = run(["check", str(spec)], monkeypatch, capsys)
    assert code == 2 and f"{spec}:2 TOML syntax:" in out and "Traceback" not in out


def test_missing_file(tmp_path, monkeypatch, capsys):
    code, out = run(["check", str(tmp_path / "nope.toml")], monkeypatch, capsys)
    assert code == 2 and "nope.toml:1 cannot read the file" in out


def test_brackets_in_values_are_printed_not_taken_as_markup(tmp_path, monkeypatch, capsys):
    spec = tmp_path / "spec.toml"
    spec.write_text('globals = "[red]x[/red]"\n[programme.a]\nkind = "[bold]"\n')
    code, out = run(["check", str(spec)], monkeypatch, capsys)
    assert code == 2 and '"[red]x[/red]" is not a file' in out and '"[bold]" is not a mechanism kind' in out


def test_init_writes_a_valid_spec_and_refuses_to_overwrite(tmp_path, monkeypatch, capsys):
    target = tmp_path / "programmes.toml"
    code, out = run(["init", str(target)], monkeypatch, capsys)
    assert code == 0 and target.exists() and "tpp check" in out
    code, out = run(["check", str(target)], monkeypatch, capsys)
    assert code == 0 and "2 programmes, valid" in out
    target.write_text("# mine")
    code, out = run(["init", str(target)], monkeypatch, capsys)
    assert code == 2 and "already exists; pass --force" in out and target.read_text() == "# mine"
    code, out = run(["init", str(target), "--force"], monkeypatch, capsys)
    assert code == 0 and "[programme.builders-stream]" in target.read_text()


def test_init_default_path(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    code, _ = run(["init"], monkeypatch, capsys)
    assert code == 0 and (tmp_path / "programmes.toml").exists()


def test_subprocess_exit_codes_and_no_traceback(tmp_path):
    """The installed entry point, as a shell runs it."""
    spec = tmp_path / "spec.toml"
    spec.write_text('globals = "missing.toml"\n[programme.a]\nkind = "stream"\n')
    broken = subprocess.run([sys.executable, "-m", "tpp.cli", "check", str(spec)], capture_output=True, text=True, timeout=120)
    assert broken.returncode == 2, broken.stdout + broken.stderr
    assert ERROR_LINE.search(broken.stdout) and "Traceback" not in broken.stdout + broken.stderr
    good = subprocess.run(
        [sys.executable, "-m", "tpp.cli", "check", str(EXAMPLES / "portfolio.toml")], capture_output=True, text=True, timeout=120
    )
    assert good.returncode == 0 and "valid" in good.stdout


def test_a_command_that_stops_with_an_exit_code_gives_it_to_the_shell(monkeypatch, capsys, tmp_path):
    # `tpp plan` ends its errors with typer.Exit(2); the entry point must pass the 2 on.
    code, out = run(["plan", str(tmp_path / "missing.toml")], monkeypatch, capsys)
    assert code == 2, out
    assert "cannot read the file" in out and "Traceback" not in out
