"""`tpp sim` on a real anvil node (one started and stopped per run): the three pluralistic
mechanisms meet their agents, honest and gaming, over two 6-day epochs, and
the outcomes match the same run on revm. anvil's clock moves a second or so with each block,
so emission amounts differ a little; who earned nothing, and each agent's share, do not."""

from __future__ import annotations

import subprocess
import sys

import boa
import pytest

from tests.sim.conftest import EXAMPLES
from tpp.sim.runner import run_scenario
from tpp.sim.scenario import load_scenario

pytestmark = [pytest.mark.integration, pytest.mark.ignore_isolation]

SHORT = {  # the example's 30-day epochs, checkpoints and windows shrunk to fit 13 days
    'cycle_length = "30d"': 'cycle_length = "6d"',
    'window_length = "7d"': 'window_length = "2d"',
    '"2027-01-31"': '"2027-01-07"',
    'epoch_duration = "30d"': 'epoch_duration = "6d"',
    'evaluation_window = "7d"': 'evaluation_window = "2d"',
    'period = "10d"': 'period = "2d"',
    'dispute_window = "2d"': 'dispute_window = "1d"',
    'scoring_period = "7d"': 'scoring_period = "2d"',
    '"300k ZK"': '"60k ZK"',
    '"200k ZK"': '"40k ZK"',
    # On anvil a step's transactions take real seconds of block time, so readings one step
    # apart drift a little beyond it: a gap of exactly the step would drop those intervals.
    'max_gap = "6h"': 'max_gap = "7h"',
}


def _scenario(tmp_path):
    spec = (EXAMPLES / "pluralistic-programmes.toml").read_text()
    for old, new in SHORT.items():
        assert old in spec
        spec = spec.replace(old, new)
    (tmp_path / "pluralistic-programmes.toml").write_text(spec)
    text = (EXAMPLES / "pluralistic.toml").read_text().replace('horizon = "62d"', 'horizon = "13d"')
    text = text.replace('claim_every = "7d"', 'claim_every = "2d"').replace('claim_every = "5d"', 'claim_every = "2d"')
    path = tmp_path / "scenario.toml"
    path.write_text(text)
    # fewer agents: a few hundred transactions keep the node run within a couple of minutes
    # (and no cap per account: with 4 builders a 20% cap leaves a share of each award to the
    # next checkpoint, so the totals would hang on which period a transfer's block falls in)
    return path, {
        "agents.builders.count": 4,
        "agents.washer.addresses": 3,
        "agents.researchers.count": 2,
        "scoring.impact.max_share": "100%",
    }


def _paid_by_kind(trace, programme):
    kinds = {p.address: p.kind for p in trace.participants}
    out: dict[str, int] = {}
    for address, wei in trace.rewards[programme].items():
        out[kinds[address]] = out.get(kinds[address], 0) + wei
    return out


def _paid_by_agent(trace, programme):
    """Wei paid to each agent's addresses, keyed by (population, position among its addresses)."""
    index: dict[str, tuple[str, int]] = {}
    seen: dict[str, int] = {}
    for p in trace.participants:
        seen[p.population] = seen.get(p.population, 0) + 1
        index[p.address] = (p.population, seen[p.population])
    return {index[address]: wei for address, wei in trace.rewards[programme].items()}


def test_pluralistic_mechanisms_on_anvil_match_revm(tmp_path):
    previous = boa.env
    path, overrides = _scenario(tmp_path)
    scenario = load_scenario(path, overrides)
    on_anvil = run_scenario(scenario, engine="anvil").trace
    assert boa.env is previous  # the run's node is gone and the embedded env is back
    on_revm = run_scenario(scenario, engine="revm").trace
    assert on_anvil.engine == "anvil" and on_anvil.transactions > 300
    for trace in (on_anvil, on_revm):
        depth, impact, research = (_paid_by_kind(trace, name) for name in ("depth", "impact", "research"))
        # In one block (revm) the flash depositor's moment between two readings lasts 0 s; on
        # anvil every transaction is a block a second or so later, so it is paid for the
        # seconds it really held between the keeper's reading and another one: dust.
        assert depth["kpi_holder"] > 0 and depth.get("kpi_flash", 0) <= depth["kpi_holder"] * 1e-5
        assert impact.get("wash_trader", 0) == 0 and impact["builder"] > 0
        assert 0 < research["duplicate_filer"] < research["researcher"]
    # The actors' addresses differ between the chains (anvil's are real keys); their agents
    # are the same. The bounty splits each epoch's emission by points: the same shares.
    assert _paid_by_kind(on_revm, "depth").get("kpi_flash", 0) == 0
    anvil_paid, revm_paid = _paid_by_agent(on_anvil, "research"), _paid_by_agent(on_revm, "research")
    assert anvil_paid.keys() == revm_paid.keys()
    for agent, wei in revm_paid.items():
        assert anvil_paid[agent] == pytest.approx(wei, rel=1e-4), agent
    # The KPI stream and the checkpoints pay by the second and by the activity in each period,
    # and anvil's block times move both a little: the totals agree within a few percent.
    for name in ("depth", "impact"):
        assert sum(on_anvil.rewards[name].values()) == pytest.approx(sum(on_revm.rewards[name].values()), rel=0.05), name


def test_tpp_sim_engine_anvil_from_the_command_line(tmp_path):
    path, _ = _scenario(tmp_path)
    path.write_text(path.read_text().replace('horizon = "13d"', 'horizon = "3d"'))
    out = tmp_path / "out"
    done = subprocess.run(
        [sys.executable, "-m", "tpp.cli", "sim", str(path), "--engine", "anvil", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    printed = done.stdout + done.stderr
    assert done.returncode == 0, printed
    assert "on anvil" in printed and "per programme" in printed
    assert "tx broadcasted" not in printed and "Traceback" not in printed
    assert (out / "report.html").is_file() and (out / "runs.parquet").is_file()
