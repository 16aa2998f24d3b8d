"""Whole runs: determinism, metrics checked by hand on a tiny scenario, and the two engines
giving identical logs, balances and metrics."""

from __future__ import annotations

import math

import pytest

from tpp.sim import metrics
from tpp.sim.runner import run_scenario
from tpp.sim.scenario import load_scenario

from .conftest import DAY, EXAMPLES, WAD

START = 1_798_761_600  # 2027-01-01
MIXED = (
    '[[agents]]\nname = "loyal"\nkind = "loyal_lp"\ncount = 3\ncapital = "2_000 LP"\nspread = "30%"\njoin_within = "5d"\n'
    '[[agents]]\nname = "farmers"\nkind = "mercenary"\ncount = 2\ncapital = "5_000 LP"\nhurdle = "200%"\nexit_below = "100%"\nclaim_every = "1d"\n'
    '[[agents]]\nname = "ring"\nkind = "sybil"\ncount = 1\ncapital = "3_000 LP"\naddresses = 3\nhurdle = "150%"\n'
)


def _comparable(rows):
    return [{k: ("nan" if isinstance(v, float) and math.isnan(v) else v) for k, v in row.items()} for row in rows]


def test_same_seed_same_run_different_seed_different_run(write_scenario):
    path = write_scenario(MIXED, horizon="30d", attendance="60%")
    first = run_scenario(load_scenario(path)).trace
    again = run_scenario(load_scenario(path)).trace
    other = run_scenario(load_scenario(path, seed=2)).trace
    assert first.to_dict() == again.to_dict()
    assert _comparable(metrics.run_rows(first)) == _comparable(metrics.run_rows(again))
    assert [s.price for s in first.samples] != [s.price for s in other.samples]
    assert first.rewards != other.rewards
    assert _comparable(metrics.run_rows(first)) != _comparable(metrics.run_rows(other))


def test_metrics_of_a_lone_loyal_lp_checked_by_hand(write_scenario):
    # One LP staking 1,000 LP from the first second, a flat price (no volatility) of 0.25 USD
    # and an LP value of 40 USD; nobody votes, so the defaults (CONTINUE, CONTINUE, then the
    # last epoch's STOP) run three 14-day epochs of 200k ZK: emission stops on day 42.
    path = write_scenario('[[agents]]\nname = "loyal"\nkind = "loyal_lp"\ncount = 1\ncapital = "1_000 LP"\n', horizon="75d")
    scenario = load_scenario(path, {"market.volatility": "0%"})
    trace = run_scenario(scenario).trace
    rows = {row["programme"]: row for row in metrics.run_rows(trace)}
    pool, total = rows["tiny-pool"], rows["*total*"]
    # The lone staker is paid everything but rounding (at most 1 wei per claim, a few claims).
    lone = next(iter(trace.rewards["tiny-pool"].values()))
    assert 600_000 * WAD - 100 <= lone <= 600_000 * WAD
    assert pool["emitted_tokens"] == pytest.approx(600_000, abs=1e-9)
    assert pool["emitted_usd"] == pytest.approx(150_000, rel=1e-12)  # 600k x 0.25
    # 76 daily samples (days 0..75), 1,000 LP staked at each: 76,000 LP-days, x 40 USD.
    assert pool["stake_days"] == pytest.approx(76_000)
    assert pool["tvl_usd_days"] == pytest.approx(3_040_000)
    assert pool["tvl_days_per_token"] == pytest.approx(3_040_000 / 600_000, rel=1e-9)
    # Emitting on days 0..41; the LP stays, so TVL 30 days after the stop is the same.
    assert trace.stopped_at["tiny-pool"] == START + 42 * DAY
    assert pool["tvl_during"] == pytest.approx(40_000)
    assert pool["tvl_after"] == pytest.approx(40_000)
    assert pool["retention"] == pytest.approx(1.0)
    assert pool["share_amount_loyal_lp"] == 1.0 and pool["share_addresses_loyal_lp"] == 1.0
    assert pool["share_amount_mercenary"] == 0.0
    assert pool["gini"] == 0.0 and pool["rewarded_addresses"] == 1
    # Two windows asked a decision (the third epoch is the last), both left to the default.
    assert (pool["decisions_asked"], pool["decisions_taken"], pool["defaults_applied"]) == (2, 0, 2)
    assert total["minted_total"] == pytest.approx(600_000, abs=1e-9)
    assert total["scheduled_total"] == pytest.approx(600_000)
    assert total["minted_vs_scheduled"] == pytest.approx(1.0, abs=1e-12)


def test_retention_is_zero_when_everyone_was_a_mercenary(write_scenario):
    path = write_scenario(
        '[[agents]]\nname = "farmers"\nkind = "mercenary"\ncount = 3\ncapital = "1_000 LP"\nhurdle = "10%"\n', horizon="75d"
    )
    trace = run_scenario(load_scenario(path)).trace
    pool = next(r for r in metrics.run_rows(trace) if r["programme"] == "tiny-pool")
    assert pool["tvl_during"] > 0
    assert pool["tvl_after"] == 0.0 and pool["retention"] == 0.0
    assert pool["share_amount_mercenary"] == pytest.approx(1.0)
    assert pool["share_addresses_mercenary"] == 1.0


def test_both_engines_give_identical_logs_balances_and_metrics():
    scenario = load_scenario(EXAMPLES / "tiny.toml")
    results = {engine: run_scenario(scenario, engine=engine, record_logs=True) for engine in ("revm", "pyevm")}
    revm, pyevm = results["revm"], results["pyevm"]
    assert len(revm.chain.env.logs) > 500
    assert revm.chain.env.logs == pyevm.chain.env.logs
    token_r, token_p = revm.world.stack.token, pyevm.world.stack.token
    for participant in revm.trace.participants:
        assert token_r.balanceOf(participant.address) == token_p.balanceOf(participant.address)
    for name, view in revm.world.views.items():
        other = pyevm.world.views[name]
        assert view.mechanism.total_minted() == other.mechanism.total_minted()
        assert view.programme.state() == other.programme.state()
    assert revm.world.stack.budget.total_minted() == pyevm.world.stack.budget.total_minted()
    rows_r = [{k: v for k, v in row.items() if k != "engine"} for row in metrics.run_rows(revm.trace)]
    rows_p = [{k: v for k, v in row.items() if k != "engine"} for row in metrics.run_rows(pyevm.trace)]
    assert _comparable(rows_r) == _comparable(rows_p)
    assert revm.trace.transactions == pyevm.trace.transactions


def test_a_run_leaves_the_chain_that_was_active_before(write_scenario):
    import boa

    before = boa.env  # titanoboa's environment is the current one, and stays it
    result = run_scenario(
        load_scenario(
            write_scenario('[[agents]]\nname = "loyal"\nkind = "loyal_lp"\ncount = 1\ncapital = "1 LP"\n', horizon="2d")
        )
    )
    assert boa.env is before
    assert result.world.stack.budget.inflation_threshold() > 0  # the result's handles still answer
