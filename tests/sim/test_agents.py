"""Each agent's policy, seen through real runs of the tiny pool (three 14-day epochs from
2027-01-01: ends on day 14, 28 and 42, the last one final)."""

from __future__ import annotations

import math

import pytest

from tpp.sim.agents import Market, rule_outcome
from tpp.sim.runner import run_scenario
from tpp.sim.scenario import DelegateRule, load_scenario

from .conftest import DAY, WAD

START = 1_798_761_600  # 2027-01-01


def _day(trace, day):
    return trace.samples[day]


def _positions(result, population):
    return [p for a in result.agents if a.population == population for p in a.positions]


def test_loyal_lp_joins_within_its_window_and_stays_after_emission_stops(write_scenario):
    path = write_scenario(
        '[[agents]]\nname = "loyal"\nkind = "loyal_lp"\ncount = 3\ncapital = "1_000 LP"\njoin_within = "4d"\n', horizon="50d"
    )
    result = run_scenario(load_scenario(path))
    trace = result.trace
    joins = sorted(a.join_at for a in result.agents)
    assert all(START <= t <= START + 4 * DAY and (t - START) % DAY == 0 for t in joins)
    assert trace.samples[4].programmes["tiny-pool"].stakers == 3
    last = trace.samples[-1].programmes["tiny-pool"]
    assert last.state == "STOPPED"  # the third epoch ended on day 42
    assert last.staked == 3_000 * WAD and last.stakers == 3  # still staked after emission stopped


def test_mercenary_enters_above_its_hurdle_and_leaves_when_emission_stops(write_scenario):
    agents = (
        '[[agents]]\nname = "farmers"\nkind = "mercenary"\ncount = 2\ncapital = "5_000 LP"\nhurdle = "50%"\nclaim_every = "1d"\n'
    )
    result = run_scenario(load_scenario(path := write_scenario(agents, horizon="50d")))
    trace = result.trace
    pool = [s.programmes["tiny-pool"] for s in trace.samples]
    # 200k ZK per 14 days at 0.25 USD over 10k LP at 40 USD: an APR far above 50%.
    assert pool[0].stakers == 2 and pool[0].staked == 10_000 * WAD
    stopped = next(i for i, s in enumerate(pool) if s.state == "STOPPED")
    assert pool[stopped - 1].staked == 10_000 * WAD
    assert pool[stopped].staked == 0 and pool[stopped].stakers == 0  # emission stopped: they left
    assert all(s.staked == 0 for s in pool[stopped:])
    # They claimed on the way out: what they captured is in their wallets.
    for position in _positions(result, "farmers"):
        assert result.world.views["tiny-pool"].stake_token.balanceOf(position.address) == 5_000 * WAD
        assert trace.rewards["tiny-pool"][position.address] > 0
    # A hurdle no programme beats keeps them out.
    shy = run_scenario(load_scenario(path, {"agents.farmers.hurdle": "1_000_000%"})).trace
    assert all(s.programmes["tiny-pool"].stakers == 0 for s in shy.samples)
    assert shy.rewards["tiny-pool"] == {}


def test_mercenary_leaves_when_the_apr_falls_below_its_exit(write_scenario):
    # A whale-sized loyal stake arriving on day 3 dilutes the APR under the farmer's exit level.
    agents = (
        '[[agents]]\nname = "farmers"\nkind = "mercenary"\ncount = 1\ncapital = "1_000 LP"\nhurdle = "500%"\nexit_below = "400%"\n'
        '[[agents]]\nname = "loyal"\nkind = "loyal_lp"\ncount = 1\ncapital = "2_000_000 LP"\njoin_within = "0d"\n'
    )
    trace = run_scenario(load_scenario(write_scenario(agents, horizon="10d"))).trace
    # 2m LP at 40 USD = 80m USD of TVL: APR = 200k*26 epochs*0.25/80m, about 16%: never above 500%.
    farmer = next(p for p in trace.participants if p.population == "farmers").address
    assert trace.rewards["tiny-pool"].get(farmer, 0) == 0


def test_sybil_splits_one_budget_across_its_addresses(write_scenario):
    agents = '[[agents]]\nname = "ring"\nkind = "sybil"\ncount = 2\ncapital = "6_000 LP"\naddresses = 3\nhurdle = "10%"\n'
    result = run_scenario(load_scenario(write_scenario(agents, horizon="5d")))
    ring = [p for p in result.trace.participants if p.population == "ring"]
    assert len(ring) == 6 and len({p.address for p in ring}) == 6
    assert len({p.owner for p in ring}) == 2  # two operators, three addresses each
    for agent in result.agents:
        assert [p.capital for p in agent.positions] == [2_000 * WAD] * 3
    assert result.trace.samples[0].programmes["tiny-pool"].stakers == 6


def test_whale_arrives_late_and_leaves_after_the_epoch_end(write_scenario):
    agents = (
        '[[agents]]\nname = "loyal"\nkind = "loyal_lp"\ncount = 1\ncapital = "1_000 LP"\n'
        '[[agents]]\nname = "whale"\nkind = "whale"\ncount = 1\ncapital = "50_000 LP"\narrive_before_end = "3d"\n'
    )
    result = run_scenario(load_scenario(write_scenario(agents, horizon="20d")))
    staked = [s.programmes["tiny-pool"].staked for s in result.trace.samples]
    # The first epoch ends on day 14: the whale is in on days 11, 12 and 13 only.
    assert staked[10] == 1_000 * WAD
    assert staked[11] == staked[13] == 51_000 * WAD
    assert staked[14] == 1_000 * WAD  # left as the epoch ended (and claimed)
    whale = _positions(result, "whale")[0].address
    assert result.trace.rewards["tiny-pool"][whale] > 0
    assert staked[17] == 1_000 * WAD  # waits for the next epoch's last days (25..27)


def test_delegates_who_show_up_decide_by_their_rule(write_scenario):
    agents = '[[agents]]\nname = "loyal"\nkind = "loyal_lp"\ncount = 2\ncapital = "1_000 LP"\n'
    rule = '\n[delegates.rule]\ncontinue_below = "40%"\nstop_above = "150%"\niterate_by = "-20%"\n'
    # 2k LP at 40 USD against 200k ZK a fortnight: a huge APR, so the rule says STOP.
    trace = run_scenario(load_scenario(write_scenario(agents, horizon="20d", attendance="100%", extra=rule))).trace
    assert len(trace.windows) == 1
    window = trace.windows[0]
    assert (window.decided, window.outcome, window.attendees, window.delegates) == (True, "STOP", 5, 5)
    assert window.turnout == pytest.approx(1.0)
    assert window.closes == START + 14 * DAY and window.opens == START + 11 * DAY
    assert trace.samples[14].programmes["tiny-pool"].state == "STOPPED"
    assert trace.stopped_at["tiny-pool"] == START + 14 * DAY


def test_absent_delegates_leave_the_default_outcome(write_scenario):
    agents = '[[agents]]\nname = "loyal"\nkind = "loyal_lp"\ncount = 1\ncapital = "1_000 LP"\n'
    trace = run_scenario(load_scenario(write_scenario(agents, horizon="30d", attendance="0%"))).trace
    assert [(w.decided, w.outcome, w.attendees, w.turnout) for w in trace.windows] == [(False, "CONTINUE", 0, 0.0)] * 2
    assert trace.samples[15].programmes["tiny-pool"].state == "RUNNING"  # CONTINUE opened epoch 2


def test_a_delegate_out_of_decisions_this_month_does_not_vote(write_scenario):
    agents = '[[agents]]\nname = "loyal"\nkind = "loyal_lp"\ncount = 1\ncapital = "1_000 LP"\n'
    scenario = load_scenario(write_scenario(agents, horizon="20d", attendance="100%"), {"delegates.decisions_per_month": 0})
    trace = run_scenario(scenario).trace
    assert [(w.decided, w.attendees) for w in trace.windows] == [(False, 0)]


def test_rule_outcome_thresholds():
    rule = DelegateRule(continue_below=0.4, stop_above=1.5, iterate_by_bps=-2_000)
    assert [rule_outcome(apr, rule) for apr in (0.0, 0.4, 0.41, 1.49, 1.5, math.inf)] == [
        "CONTINUE",
        "CONTINUE",
        "ITERATE",
        "ITERATE",
        "STOP",
        "STOP",
    ]


def test_delegates_iterate_between_their_bounds(write_scenario):
    # 200k LP at 40 USD = 8m USD; 200k ZK per 14 days at 0.25 USD is about 1.3m USD a year: 16%.
    agents = '[[agents]]\nname = "loyal"\nkind = "loyal_lp"\ncount = 1\ncapital = "200_000 LP"\n'
    rule = '\n[delegates.rule]\ncontinue_below = "5%"\nstop_above = "150%"\niterate_by = "-20%"\n'
    result = run_scenario(load_scenario(write_scenario(agents, horizon="20d", attendance="100%", extra=rule)))
    assert [(w.decided, w.outcome) for w in result.trace.windows] == [(True, "ITERATE")]
    programme = result.world.views["tiny-pool"].programme
    assert programme.epoch() == 2 and programme.epoch_cap() == 160_000 * WAD  # the cap cut by a fifth


def test_keeper_absent_nothing_advances(write_scenario):
    agents = '[[agents]]\nname = "loyal"\nkind = "loyal_lp"\ncount = 1\ncapital = "1_000 LP"\n'
    kept = run_scenario(load_scenario(write_scenario(agents, horizon="30d"))).trace
    alone = run_scenario(load_scenario(write_scenario(agents, horizon="30d", keeper=False, name="alone.toml"))).trace
    assert kept.samples[-1].programmes["tiny-pool"].state == "RUNNING"
    assert kept.samples[-1].programmes["tiny-pool"].minted > 200_000 * WAD - WAD  # epoch 2 is emitting
    assert {s.programmes["tiny-pool"].state for s in alone.samples} == {"SCHEDULED"}
    # Without anyone calling advance() the first epoch still emits (it was admitted at creation),
    # but no second epoch ever opens: emission stops at 200k.
    assert alone.samples[-1].programmes["tiny-pool"].minted <= 200_000 * WAD


def test_market_is_seeded_gbm_or_a_pinned_path():
    a = Market(1.0, 0.8, 0.0, 4.0, DAY, seed=3)
    b = Market(1.0, 0.8, 0.0, 4.0, DAY, seed=3)
    c = Market(1.0, 0.8, 0.0, 4.0, DAY, seed=4)
    path_a, path_b, path_c = [], [], []
    for _ in range(30):
        a.step(), b.step(), c.step()
        path_a.append(a.price), path_b.append(b.price), path_c.append(c.price)
    assert path_a == path_b and path_a != path_c
    assert a.lp_value == pytest.approx(4.0 * math.sqrt(a.price))
    flat = Market(1.0, 0.0, 0.0, 4.0, DAY, seed=1)
    flat.step()
    assert flat.price == pytest.approx(1.0)  # no volatility, no drift: the price stays
    pinned = Market(1.0, 0.8, 0.0, 4.0, DAY, seed=1, path=(1.0, 2.0, 4.0))
    pinned.step(), pinned.step()
    assert pinned.price == 4.0 and pinned.lp_value == pytest.approx(8.0)


def _short_window_scenario(tmp_path, window: str, step: str) -> object:
    from .conftest import POOL

    spec = tmp_path / "short-pool.toml"
    spec.write_text(
        POOL.read_text()
        .replace('window_length = "3d"', f'window_length = "{window}"')
        .replace('evaluation_window = "3d"', f'evaluation_window = "{window}"')
    )
    scenario = tmp_path / "short.toml"
    scenario.write_text(
        f'programmes = ["{spec.name}"]\nhorizon = "16d"\nstep = "{step}"\nseed = 1\n'
        '[market]\nprice = 0.25\nlp_value = 40.0\n[delegates]\ncount = 3\nattendance = "100%"\n'
        '[[agents]]\nname = "loyal"\nkind = "loyal_lp"\ncount = 1\ncapital = "1_000 LP"\nclaim_every = "1d"\n'
    )
    return load_scenario(scenario)


def test_a_window_between_two_steps_is_asked_and_left_to_its_default(tmp_path):
    # A 6-hour window (18:00 to midnight) that no daily step falls into.
    trace = run_scenario(_short_window_scenario(tmp_path, "6h", "1d")).trace
    assert [(w.decided, w.outcome, w.attendees, w.opens, w.closes) for w in trace.windows] == [
        (False, "CONTINUE", 0, START + 14 * DAY - 6 * 3600, START + 14 * DAY)
    ]


def test_no_vote_is_started_that_cannot_execute_before_the_window_closes(tmp_path):
    # A 1-hour window: the governor needs about 71 minutes (delay, voting, timelock).
    trace = run_scenario(_short_window_scenario(tmp_path, "1h", "1h")).trace
    assert [(w.decided, w.outcome) for w in trace.windows] == [(False, "CONTINUE")]
    assert trace.samples[-1].programmes["tiny-pool"].state == "RUNNING"  # epoch 2 opened by default


def test_a_window_on_the_step_grid_is_voted(tmp_path):
    trace = run_scenario(_short_window_scenario(tmp_path, "6h", "6h")).trace
    assert [(w.decided, w.attendees) for w in trace.windows] == [(True, 3)]
