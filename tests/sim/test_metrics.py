"""Metrics of a simulation run, checked against a tiny hand-made trace whose numbers are worked
out by hand in the comments below."""

import dataclasses
import math

import pytest

from tpp.sim.metrics import TOTAL, gini, run_rows, series_rows
from tpp.sim.trace import Participant, ProgrammeInfo, ProgrammeSample, Sample, Trace, Window

WAD = 10**18
DAY = 86_400
START = 1_767_225_600  # 2026-01-01 00:00 UTC

LOYAL = "0x1111111111111111111111111111111111111111"
MERCENARY = "0xAbCdEf0000000000000000000000000000000001"  # mixed case: rewards use it lower-cased
SYBIL_1 = "0x5555555555555555555555555555555555555501"
SYBIL_2 = "0x5555555555555555555555555555555555555502"
WHALE = "0x7777777777777777777777777777777777777777"
STRANGER = "0x9999999999999999999999999999999999999999"  # rewarded, but no participant: "other"

# The sample days. The gap after day 5 is on purpose: retention is read at the first sample at or
# after stop + 30 days (day 35), which is day 36, not day 34.
DAYS = [0, 1, 2, 3, 4, 5, 34, 36]
PRICE = [1.0, 2.0, 2.0, 1.5, 1.0, 1.0, 0.5, 0.5]
LP_VALUE = [2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 4.0]
# farm: a staking programme, emitting on days 1-4, stopped on day 5 (tokens)
FARM_MINTED = [0, 100, 200, 300, 400, 400, 400, 400]
FARM_STAKED = [0, 1000, 1500, 1500, 1000, 500, 300, 200]
FARM_STAKERS = [0, 2, 4, 4, 3, 2, 1, 1]
FARM_EMITTING = [False, True, True, True, True, False, False, False]
FARM_STATE = ["SCHEDULED", "RUNNING", "RUNNING", "RUNNING", "EVALUATING", "STOPPED", "STOPPED", "STOPPED"]
# grants: a stream, emitting on days 1-5, never stopped
GRANTS_MINTED = [0, 50, 100, 150, 200, 250, 250, 250]
GRANTS_EMITTING = [False, True, True, True, True, True, False, False]
GRANTS_STATE = ["SCHEDULED", "RUNNING", "RUNNING", "RUNNING", "RUNNING", "RUNNING", "EVALUATING", "EVALUATING"]
SCHEDULED = [0, 200, 400, 600, 800, 1000, 1000, 1000]
THRESHOLD = 2 * 10**15  # wei per second = 172.8 tokens per day


def make_trace(*, scale: float = 1.0, seed: int = 7, params: dict | None = None, scenario: str = "tiny") -> Trace:
    """The hand-made trace; `scale` multiplies prices and LP values (so every USD figure)."""
    samples = []
    for i, day in enumerate(DAYS):
        samples.append(
            Sample(
                time=START + day * DAY,
                price=PRICE[i] * scale,
                lp_value=LP_VALUE[i] * scale,
                minted_total=(FARM_MINTED[i] + GRANTS_MINTED[i]) * WAD,
                scheduled_total=SCHEDULED[i] * WAD,
                threshold=THRESHOLD,
                programmes={
                    "farm": ProgrammeSample(
                        FARM_STATE[i],
                        FARM_MINTED[i] * WAD,
                        FARM_STAKED[i] * WAD,
                        FARM_STAKERS[i],
                        FARM_EMITTING[i],
                        FARM_MINTED[i] * WAD,
                    ),
                    "grants": ProgrammeSample(
                        GRANTS_STATE[i], GRANTS_MINTED[i] * WAD, 0, 0, GRANTS_EMITTING[i], GRANTS_MINTED[i] * WAD
                    ),
                },
            )
        )
    return Trace(
        scenario=scenario,
        seed=seed,
        engine="pyevm",
        params={"programme.rate": "fast", "agents.mercenary": 5, "keeper.on": True, "mix": [1, 2]} if params is None else params,
        start=START,
        step=DAY,
        horizon=36 * DAY,
        programmes=[
            ProgrammeInfo("farm", "staking", "0xf0", "0xf1"),
            ProgrammeInfo("grants", "stream", "0xe0", "0xe1"),
        ],
        participants=[
            Participant(LOYAL, "lps", "loyal_lp", LOYAL),
            Participant(MERCENARY, "farmers", "mercenary", MERCENARY),
            Participant(SYBIL_1, "sybils", "sybil", "sybil-owner"),
            Participant(SYBIL_2, "sybils", "sybil", "sybil-owner"),
            Participant(WHALE, "whales", "whale", WHALE),
        ],
        samples=samples,
        rewards={
            # 150 + 120 + 40 + 40 + 50 = 400 tokens over 5 addresses
            "farm": {LOYAL: 150 * WAD, MERCENARY.lower(): 120 * WAD, SYBIL_1: 40 * WAD, SYBIL_2: 40 * WAD, WHALE: 50 * WAD},
            # 100 + 60 = 160 tokens over 2 addresses; the whale's 0 does not count as rewarded
            "grants": {LOYAL: 100 * WAD, STRANGER: 60 * WAD, WHALE: 0},
        },
        windows=[
            Window("farm", START + 2 * DAY, START + 4 * DAY, 10, 4, 0.4, "stop", True),
            Window("grants", START + 2 * DAY, START + 4 * DAY, 10, 2, 0.2, "continue", False),
            Window("grants", START + 32 * DAY, START + 34 * DAY, 10, 3, 0.3, "continue", True),
        ],
        stopped_at={"farm": START + 5 * DAY, "grants": None},
        transactions=123,
    )


def rows_by_programme(trace: Trace) -> dict[str, dict]:
    return {row["programme"]: row for row in run_rows(trace, run_id=3, set_id=1)}


# --- gini --------------------------------------------------------------------------------------


def test_gini_of_known_vectors():
    assert gini([1, 1, 1, 1]) == 0
    # sorted [0,0,0,1]: (2·(4·1) − 5·1) / (4·1) = 3/4, the largest a 4-vector can reach
    assert gini([0, 0, 0, 1]) == pytest.approx(0.75)
    assert gini([1, 0, 0, 0]) == pytest.approx(0.75)  # order does not matter
    # [1,2,3,4]: Σ i·x = 1+4+9+16 = 30; (60 − 5·10) / (4·10) = 1/4
    assert gini([4, 3, 2, 1]) == pytest.approx(0.25)
    # [60, 100]: Σ i·x = 60 + 200 = 260; (520 − 3·160) / (2·160) = 0.125
    assert gini([100 * WAD, 60 * WAD]) == pytest.approx(0.125)  # exact on wei-sized integers
    assert gini([2.5, 2.5]) == 0


def test_gini_of_degenerate_inputs():
    assert gini([]) == 0
    assert gini([5]) == 0
    assert gini([0, 0, 0]) == 0
    with pytest.raises(ValueError, match="non-negative"):
        gini([1, -1])
    with pytest.raises(ValueError, match="non-negative"):
        gini([1.0, float("nan")])


# --- per programme -----------------------------------------------------------------------------


def test_every_row_carries_the_run_and_its_parameters():
    rows = run_rows(make_trace(), run_id=3, set_id=1) + series_rows(make_trace(), run_id=3, set_id=1)
    for row in rows:
        assert (row["run_id"], row["set_id"], row["seed"], row["engine"], row["scenario"]) == (3, 1, 7, "pyevm", "tiny")
        assert row["param.programme.rate"] == "fast"  # a string as it is
        assert row["param.agents.mercenary"] == "5"  # anything else as JSON
        assert row["param.keeper.on"] == "true"
        assert row["param.mix"] == "[1, 2]"
    assert [row["programme"] for row in run_rows(make_trace())] == ["farm", "grants", TOTAL]


def test_staking_programme_emission_and_outcome():
    farm = rows_by_programme(make_trace())["farm"]
    assert farm["programme_kind"] == "staking"
    assert farm["emitted_tokens"] == 400
    # Δminted × price: 100·2 + 100·2 + 100·1.5 + 100·1 = 650
    assert farm["emitted_usd"] == pytest.approx(650)
    # Σ staked × 1 day: 0 + 1000 + 1500 + 1500 + 1000 + 500 + 300 + 200 = 6000
    assert farm["stake_days"] == pytest.approx(6000)
    # Σ staked × lp_value: 0 + 2000 + 3000 + 3000 + 2000 + 1000 + 600 + 800 = 12400
    assert farm["tvl_usd_days"] == pytest.approx(12400)
    assert farm["tvl_days_per_token"] == pytest.approx(12400 / 400)  # 31
    assert farm["tvl_days_per_usd"] == pytest.approx(12400 / 650)
    # emitting days 1-4: TVL 2000, 3000, 3000, 2000 -> mean 2500
    assert farm["tvl_during"] == pytest.approx(2500)
    # stopped day 5 -> read at the first sample at or after day 35: day 36, 200 × 4 = 800
    assert farm["tvl_after"] == pytest.approx(800)
    assert farm["retention"] == pytest.approx(800 / 2500)  # 0.32
    assert farm["peak_stakers"] == 4
    assert farm["final_state"] == "STOPPED"


def test_stream_programme_holds_no_stake_and_never_stopped():
    grants = rows_by_programme(make_trace())["grants"]
    assert grants["programme_kind"] == "stream"
    assert grants["emitted_tokens"] == 250
    # 50·2 + 50·2 + 50·1.5 + 50·1 + 50·1 = 375
    assert grants["emitted_usd"] == pytest.approx(375)
    assert grants["stake_days"] == 0
    assert grants["tvl_usd_days"] == 0
    assert grants["tvl_days_per_token"] == 0  # something was emitted, nothing bought in TVL
    assert grants["tvl_during"] == 0  # mean of the zero TVL on emitting days 1-5
    assert math.isnan(grants["tvl_after"])  # never stopped
    assert math.isnan(grants["retention"])
    assert grants["peak_stakers"] == 0
    assert grants["final_state"] == "EVALUATING"


def test_capture_shares_by_kind():
    rows = rows_by_programme(make_trace())
    farm, grants = rows["farm"], rows["grants"]
    # farm: 400 tokens; loyal 150, mercenary 120 (matched despite the case), sybils 40 + 40, whale 50
    assert farm["share_amount_loyal_lp"] == pytest.approx(150 / 400)
    assert farm["share_amount_mercenary"] == pytest.approx(120 / 400)
    assert farm["share_amount_sybil"] == pytest.approx(80 / 400)
    assert farm["share_amount_whale"] == pytest.approx(50 / 400)
    assert farm["share_amount_other"] == 0
    # 5 rewarded addresses, the sybil owner's two count one by one
    assert farm["rewarded_addresses"] == 5
    assert farm["share_addresses_loyal_lp"] == pytest.approx(1 / 5)
    assert farm["share_addresses_mercenary"] == pytest.approx(1 / 5)
    assert farm["share_addresses_sybil"] == pytest.approx(2 / 5)
    assert farm["share_addresses_whale"] == pytest.approx(1 / 5)
    assert farm["rewards_tokens"] == pytest.approx(400)
    # sorted [40, 40, 50, 120, 150]: Σ i·x = 40 + 80 + 150 + 480 + 750 = 1500; (3000 − 6·400) / (5·400) = 0.3
    assert farm["gini"] == pytest.approx(0.3)
    # grants: 160 tokens; loyal 100, the stranger 60 ("other"); the whale's 0 is not a reward
    assert grants["share_amount_loyal_lp"] == pytest.approx(100 / 160)
    assert grants["share_amount_other"] == pytest.approx(60 / 160)
    assert grants["share_amount_whale"] == 0
    assert grants["rewarded_addresses"] == 2
    assert grants["share_addresses_loyal_lp"] == pytest.approx(0.5)
    assert grants["share_addresses_other"] == pytest.approx(0.5)
    assert grants["share_addresses_whale"] == 0
    assert grants["gini"] == pytest.approx(0.125)


def test_windows_per_programme():
    rows = rows_by_programme(make_trace())
    farm, grants = rows["farm"], rows["grants"]
    assert (farm["decisions_asked"], farm["decisions_taken"], farm["defaults_applied"]) == (1, 1, 0)
    assert farm["turnout"] == pytest.approx(0.4)
    assert (grants["decisions_asked"], grants["decisions_taken"], grants["defaults_applied"]) == (2, 1, 1)
    assert grants["turnout"] == pytest.approx((0.2 + 0.3) / 2)


# --- the *total* row ---------------------------------------------------------------------------


def test_total_row_sums_and_ratios():
    total = rows_by_programme(make_trace())[TOTAL]
    assert total["emitted_tokens"] == 650  # 400 + 250
    assert total["emitted_usd"] == pytest.approx(1025)  # 650 + 375
    assert total["stake_days"] == pytest.approx(6000)
    assert total["tvl_usd_days"] == pytest.approx(12400)
    assert total["tvl_days_per_token"] == pytest.approx(12400 / 650)
    assert total["tvl_days_per_usd"] == pytest.approx(12400 / 1025)
    # some programme emitting on days 1-5: total TVL 2000, 3000, 3000, 2000, 1000 -> mean 2200
    assert total["tvl_during"] == pytest.approx(2200)
    # the only staking programme stopped on day 5 -> day 36: 800
    assert total["tvl_after"] == pytest.approx(800)
    assert total["retention"] == pytest.approx(800 / 2200)
    assert total["transactions"] == 123


def test_total_row_capture_over_all_programmes():
    total = rows_by_programme(make_trace())[TOTAL]
    # per address summed: loyal 150+100 = 250, mercenary 120, sybils 40 + 40, whale 50, stranger 60 = 560
    assert total["share_amount_loyal_lp"] == pytest.approx(250 / 560)
    assert total["share_amount_mercenary"] == pytest.approx(120 / 560)
    assert total["share_amount_sybil"] == pytest.approx(80 / 560)
    assert total["share_amount_whale"] == pytest.approx(50 / 560)
    assert total["share_amount_other"] == pytest.approx(60 / 560)
    assert total["rewarded_addresses"] == 6  # the loyal LP counted once across both programmes
    assert total["share_addresses_sybil"] == pytest.approx(2 / 6)
    assert total["share_addresses_loyal_lp"] == pytest.approx(1 / 6)
    assert total["rewards_tokens"] == pytest.approx(560)
    # sorted [40, 40, 50, 60, 120, 250]: Σ i·x = 40+80+150+240+600+1500 = 2610;
    # (5220 − 7·560) / (6·560) = 1300 / 3360 = 65/168
    assert total["gini"] == pytest.approx(65 / 168)


def test_total_row_supply_against_schedule_and_threshold():
    total = rows_by_programme(make_trace())[TOTAL]
    assert total["minted_total"] == 650
    assert total["scheduled_total"] == 1000
    assert total["minted_vs_scheduled"] == pytest.approx(0.65)
    # 2e15 wei/s × 86400 s = 172.8 tokens a day
    assert total["threshold_tokens_per_day"] == pytest.approx(172.8)
    # fastest step: 150 tokens in a day (days 0-4), 150/172.8
    assert total["peak_rate_vs_threshold"] == pytest.approx(150 / 172.8)


def test_total_row_decisions_per_window():
    total = rows_by_programme(make_trace())[TOTAL]
    # farm and grants both close on day 4 (2 decisions at once), grants again on day 34 (1)
    assert total["windows"] == 2
    assert total["max_decisions_per_window"] == 2
    assert total["mean_decisions_per_window"] == pytest.approx(1.5)
    assert total["turnout"] == pytest.approx((0.4 + 0.2 + 0.3) / 3)
    assert (total["decisions_asked"], total["decisions_taken"], total["defaults_applied"]) == (3, 2, 1)


def test_peak_rate_uses_the_threshold_in_force_at_the_later_sample():
    trace = make_trace()
    # halve the threshold from day 4: the day 4→5 step mints 50 tokens against 86.4 a day,
    # still under the 150/172.8 of the earlier steps; day 3→4 mints 150 against 86.4 -> 1.736
    trace.samples[4:] = [dataclasses.replace(s, threshold=THRESHOLD // 2) for s in trace.samples[4:]]
    total = rows_by_programme(trace)[TOTAL]
    assert total["peak_rate_vs_threshold"] == pytest.approx(150 / 86.4)
    assert total["threshold_tokens_per_day"] == pytest.approx(86.4)


def test_undefined_metrics_are_nan():
    """Nothing emitted, nothing rewarded, no window, and a horizon too short for retention."""
    trace = make_trace()
    trace.samples = [
        dataclasses.replace(
            s,
            minted_total=0,
            scheduled_total=0,
            programmes={name: dataclasses.replace(p, minted=0, emitted=0, emitting=False) for name, p in s.programmes.items()},
        )
        for s in trace.samples[:6]  # ends on day 5, before stop + 30 days
    ]
    trace.rewards = {}
    trace.windows = []
    trace.stopped_at = {"farm": START + 5 * DAY, "grants": START + 5 * DAY}
    rows = rows_by_programme(trace)
    for row in rows.values():
        assert row["emitted_tokens"] == 0
        assert row["emitted_usd"] == 0
        assert math.isnan(row["tvl_days_per_token"])
        assert math.isnan(row["tvl_days_per_usd"])
        assert math.isnan(row["tvl_during"])  # never emitting
        assert math.isnan(row["tvl_after"])  # the horizon ends before stop + 30 days
        assert math.isnan(row["retention"])
        assert math.isnan(row["share_amount_mercenary"])
        assert math.isnan(row["share_addresses_loyal_lp"])
        assert math.isnan(row["turnout"])
        assert row["rewarded_addresses"] == 0
        assert row["gini"] == 0
        assert row["decisions_asked"] == 0
    total = rows[TOTAL]
    assert math.isnan(total["minted_vs_scheduled"])
    assert total["peak_rate_vs_threshold"] == 0
    assert total["windows"] == 0
    assert total["max_decisions_per_window"] == 0
    assert math.isnan(total["mean_decisions_per_window"])


def test_retention_is_nan_when_stake_was_zero_while_emitting():
    trace = make_trace()
    trace.samples = [
        dataclasses.replace(s, programmes={**s.programmes, "farm": dataclasses.replace(s.programmes["farm"], staked=0)})
        if s.programmes["farm"].emitting
        else s
        for s in trace.samples
    ]
    farm = rows_by_programme(trace)["farm"]
    assert farm["tvl_during"] == 0
    assert farm["tvl_after"] == pytest.approx(800)
    assert math.isnan(farm["retention"])


def test_total_retention_needs_every_staking_programme_stopped():
    trace = make_trace()
    trace.stopped_at = {"farm": None, "grants": START + DAY}  # a stream's stop does not count
    total = rows_by_programme(trace)[TOTAL]
    assert math.isnan(total["tvl_after"])
    assert math.isnan(total["retention"])
    assert total["tvl_during"] == pytest.approx(2200)


def test_a_trace_without_samples_is_refused():
    trace = make_trace()
    trace.samples = []
    with pytest.raises(ValueError, match="no samples"):
        run_rows(trace, run_id=4)


def test_series_rows():
    rows = series_rows(make_trace(), run_id=3, set_id=1)
    assert len(rows) == len(DAYS) * 3  # farm, grants, *total* per sample
    day2 = {row["programme"]: row for row in rows if row["time"] == START + 2 * DAY}
    farm, grants, total = day2["farm"], day2["grants"], day2[TOTAL]
    assert farm["day"] == 2.0
    assert (farm["price"], farm["lp_value"]) == (2.0, 2.0)
    assert farm["minted"] == 200
    assert farm["staked"] == 1500
    assert farm["tvl_usd"] == pytest.approx(3000)
    assert (farm["stakers"], farm["state"], farm["emitting"]) == (4, "RUNNING", True)
    assert grants["minted"] == 100
    assert grants["tvl_usd"] == 0
    assert total["minted"] == 300
    assert total["scheduled"] == 400
    assert total["staked"] == 1500
    assert total["tvl_usd"] == pytest.approx(3000)
    assert total["stakers"] == 4
    assert total["price"] == 2.0
    last = [row for row in rows if row["programme"] == TOTAL][-1]
    assert last["day"] == 36.0
    assert last["tvl_usd"] == pytest.approx(800)
