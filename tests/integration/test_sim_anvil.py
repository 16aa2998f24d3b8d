"""`tpp sim` on a real anvil node (one started and stopped per run): the three pluralistic
mechanisms meet their agents, honest and gaming, over two 6-day epochs, and
the outcomes match the same run on revm. anvil's clock moves a second or so with each block,
so emission amounts differ a little; who earned nothing, and each agent's share, do not."""

from __future__ import annotations

import subprocess
import sys

import boa
import pytest

from tests.sim.conftest import EXAMPLES, paid_by_kind
from tpp.sim.runner import run_scenario
from tpp.sim.scenario import load_scenario

pytestmark = [pytest.mark.integration, pytest.mark.ignore_isolation]

SHORT = EXAMPLES / "pluralistic-short.toml"  # two 6-day epochs over 13 days, few agents


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
    scenario = load_scenario(SHORT)
    on_anvil = run_scenario(scenario, engine="anvil").trace
    assert boa.env is previous  # the run's node is gone and the embedded env is back
    on_revm = run_scenario(scenario, engine="revm").trace
    assert on_anvil.engine == "anvil" and on_anvil.transactions > 300
    for trace in (on_anvil, on_revm):
        depth, impact, research = (paid_by_kind(trace, name) for name in ("depth", "impact", "research"))
        # In one block (revm) the flash depositor's moment between two readings lasts 0 s; on
        # anvil every transaction is a block a second or so later, so it is paid for the
        # seconds it really held between the keeper's reading and another one: dust.
        assert depth["kpi_holder"] > 0 and depth.get("kpi_flash", 0) <= depth["kpi_holder"] * 1e-5
        assert impact.get("wash_trader", 0) == 0 and impact["builder"] > 0
        assert 0 < research["duplicate_filer"] < research["researcher"]
    # The actors' addresses differ between the chains (anvil's are real keys); their agents
    # are the same. The bounty splits each epoch's emission by points: the same shares.
    assert paid_by_kind(on_revm, "depth").get("kpi_flash", 0) == 0
    anvil_paid, revm_paid = _paid_by_agent(on_anvil, "research"), _paid_by_agent(on_revm, "research")
    assert anvil_paid.keys() == revm_paid.keys()
    for agent, wei in revm_paid.items():
        assert anvil_paid[agent] == pytest.approx(wei, rel=1e-4), agent
    # The KPI stream and the checkpoints pay by the second and by the activity in each period,
    # and anvil's block times move both a little: the totals agree within a few percent.
    for name in ("depth", "impact"):
        assert sum(on_anvil.rewards[name].values()) == pytest.approx(sum(on_revm.rewards[name].values()), rel=0.05), name


def test_tpp_sim_engine_anvil_from_the_command_line(tmp_path):
    path = tmp_path / "pluralistic-short.toml"
    path.write_text(SHORT.read_text().replace('horizon = "13d"', 'horizon = "3d"'))
    (tmp_path / "pluralistic-short-programmes.toml").write_text((EXAMPLES / "pluralistic-short-programmes.toml").read_text())
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
