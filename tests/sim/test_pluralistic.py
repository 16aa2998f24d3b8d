"""The pluralistic mechanisms in the simulator: each gaming agent against the honest one on the
real contracts (what it earns with the defence on and off), the kind metrics, both engines, and
the scenario rules that keep such a run meaningful."""

from __future__ import annotations

import math

import pytest

from tpp.sim import metrics
from tpp.sim.runner import run_scenario
from tpp.sim.scenario import load_scenario
from tpp.specs.spec import SpecError

from .conftest import EXAMPLES, WAD, paid_by_kind

SCENARIO = EXAMPLES / "pluralistic.toml"


def _run(overrides=None, seed=None, engine=None):
    result = run_scenario(load_scenario(SCENARIO, overrides or {}, seed), engine=engine)
    rows = {row["programme"]: row for row in metrics.run_rows(result.trace)}
    return result, rows


@pytest.fixture(scope="module")
def defended():
    return _run()


@pytest.fixture(scope="module")
def undefended():
    # The three defences off: the holder does not read after the others, the scorer counts
    # transfers to anyone, the judges never spot a duplicate.
    return _run({"agents.protocol-a.watch": False, "scoring.impact.apps_only": False, "agents.filer.detected": "0%"})


def test_kpi_flash_depositor_earns_nothing_against_a_watching_holder(defended, undefended):
    result, rows = defended
    paid = paid_by_kind(result.trace, "depth")
    assert paid.get("kpi_flash", 0) == 0
    assert paid["kpi_holder"] == pytest.approx(600_000 * WAD, rel=1e-9)  # every interval held, all of it to A
    assert rows["depth"]["kpi_held_days"] > 59  # 60 days of emission, held throughout
    # Without the holder's own readings the keeper's reading is the only one, and the flash
    # depositor is holding at every one of them: it takes about half.
    result, rows = undefended
    paid = paid_by_kind(result.trace, "depth")
    assert 0.4 < paid["kpi_flash"] / sum(paid.values()) < 0.6
    assert rows["depth"]["kpi_candidate_days"] > rows["depth"]["kpi_held_days"]


def test_wash_trader_earns_nothing_when_only_the_app_counts(defended, undefended):
    result, rows = defended
    assert paid_by_kind(result.trace, "impact").get("wash_trader", 0) == 0
    impact = rows["impact"]
    deciles = [impact[f"impact_decile_{d}"] for d in range(1, 11)]
    assert sum(deciles) == pytest.approx(1.0)
    assert deciles[0] > deciles[-1]  # rewards follow the activity that reached the app
    assert impact["share_amount_builder"] == pytest.approx(1.0)
    # Counting every transfer, the ring's volume beats the builders' even with a 20% cap per
    # account (its ten addresses are ten accounts), and its true impact is the lowest decile.
    result, rows = undefended
    assert rows["impact"]["share_amount_wash_trader"] > 0.5
    assert rows["impact"]["impact_decile_10"] > 0.5


def test_duplicate_filer_earns_less_than_filing_once(tmp_path):
    # Every researcher and the filer get 60 points a finding (no spread).
    fixed = {"agents.researchers.spread": "0%"}
    result, rows = _run(fixed)
    trace = result.trace
    paid = paid_by_kind(trace, "research")
    per_finding = paid["researcher"] / (6 * 2 * 2)  # 6 researchers x 2 findings x 2 epochs
    # One finding filed from 4 addresses and caught: 0.9^3 of one filing's weight, shared by 4.
    assert paid["duplicate_filer"] == pytest.approx(2 * per_finding * 0.9**3, rel=1e-6)
    assert paid["duplicate_filer"] < 2 * per_finding
    research = rows["research"]
    assert research["submissions"] == 2 * (12 + 4)
    assert research["authors"] == 7
    assert research["awards_per_submission"] == pytest.approx(research["rewards_tokens"] / 32)
    # Uncaught, each of the 4 filings counts as a finding of its own.
    result, _ = _run({**fixed, "agents.filer.detected": "0%"})
    paid = paid_by_kind(result.trace, "research")
    assert paid["duplicate_filer"] == pytest.approx(2 * 4 * paid["researcher"] / 24, rel=1e-6)


def test_what_is_paid_never_exceeds_what_was_emitted_or_the_caps(defended, undefended):
    for result, rows in (defended, undefended):
        budget_minted = result.trace.samples[-1].minted_total
        for name, cap in (("depth", 300_000), ("impact", 300_000), ("research", 200_000)):
            row = rows[name]
            assert row["rewards_tokens"] <= row["emitted_tokens"] * (1 + 1e-12)
            assert row["emitted_tokens"] <= 2 * cap * (1 + 1e-12)  # two epochs
        assert sum(sum(r.values()) for r in result.trace.rewards.values()) <= budget_minted
        scorer = result.world.operators["impact"]
        assert scorer.refused == 0 and scorer.roots >= 6  # a root every 10 days, two epochs


def test_the_engines_agree_on_the_pluralistic_mechanisms():
    short = {"horizon": "20d"}
    revm = _run(short, engine="revm")
    pyevm = _run(short, engine="pyevm")
    assert revm[0].trace.rewards == pyevm[0].trace.rewards
    same = [
        {k: ("nan" if isinstance(v, float) and math.isnan(v) else v) for k, v in row.items() if k != "engine"}
        for row in (revm[1]["depth"], revm[1]["impact"], revm[1]["research"])
    ]
    other = [
        {k: ("nan" if isinstance(v, float) and math.isnan(v) else v) for k, v in row.items() if k != "engine"}
        for row in (pyevm[1]["depth"], pyevm[1]["impact"], pyevm[1]["research"])
    ]
    assert same == other


# --- scenario rules ------------------------------------------------------------------------------


def _problems(tmp_path, text: str, spec: str | None = None) -> str:
    folder = tmp_path / "s"
    folder.mkdir(exist_ok=True)
    programmes = (EXAMPLES / "pluralistic-programmes.toml").read_text()
    if spec is not None:
        programmes = spec(programmes)
    (folder / "pluralistic-programmes.toml").write_text(programmes)
    path = folder / "scenario.toml"
    path.write_text(text)
    with pytest.raises(SpecError) as caught:
        load_scenario(path)
    return str(caught.value)


def _scenario(replace: dict[str, str]) -> str:
    text = SCENARIO.read_text()
    for old, new in replace.items():
        assert old in text
        text = text.replace(old, new, 1)
    return text


def test_one_kpi_agent_per_candidate(tmp_path):
    text = _scenario({'kind = "kpi_flash"\ncount = 1': 'kind = "kpi_flash"\ncount = 2'})
    message = _problems(tmp_path, text)
    assert 'programme "depth" has 2 candidate(s) and 3 KPI agent(s) meet it' in message
    assert "scenario.toml:" in message


def test_kpi_agent_capital_must_reach_its_threshold(tmp_path):
    text = _scenario({'capital = "12_000 LP"               # units': 'capital = "9_000 LP"               # units'})
    message = _problems(tmp_path, text)
    assert "agents[0].capital: 9_000 LP (with its spread) is below the threshold of the candidate it plays (10_000)" in message


def test_readings_further_apart_than_the_gap_are_refused(tmp_path):
    text = _scenario({'[keeper]\ninterval = "6h"': '[keeper]\ninterval = "1d"'})
    text = text.replace('programme = "depth"\nclaim_every = "7d"', 'programme = "depth"\nclaim_every = "7d"\nwatch = false', 1)
    message = _problems(tmp_path, text)
    assert 'readings of "depth" come every "1d", further apart than its max_gap "6h"' in message


def test_only_balance_candidates_are_simulated(tmp_path):
    def view_candidate(spec: str) -> str:
        return spec.replace(
            'subject = "0xb000000000000000000000000000000000000002"',
            'read = "view"\nreader = "0xb000000000000000000000000000000000000002"\nfunction = "totalAssets()"',
        )

    message = _problems(tmp_path, SCENARIO.read_text(), view_candidate)
    assert 'programme "depth": candidate 2 reads a view; the simulator plays candidates that hold a balance' in message


def test_scoring_tables_name_checkpoint_programmes(tmp_path):
    text = SCENARIO.read_text() + '\n[scoring.research]\nmetric = "volume"\n[scoring.impakt]\nmetric = "likes"\n'
    message = _problems(tmp_path, text)
    assert "scoring.research: is not a checkpoint programme of the specs" in message
    assert 'scoring.impakt: is not a checkpoint programme of the specs (did you mean "impact"?)' in message


def test_scoring_metric_and_share_are_checked(tmp_path):
    text = _scenario({'metric = "volume"': 'metric = "likes"', 'max_share = "20%"': 'max_share = "0%"'})
    message = _problems(tmp_path, text)
    assert '"likes" is not a metric (one of volume, transactions, active_days)' in message
    assert "scoring.impact.max_share: must be more than 0%" in message


def test_researchers_hold_no_capital_and_give_at_most_100_points(tmp_path):
    text = _scenario({"findings = 2\npoints = 60": 'findings = 2\npoints = 160\ncapital = "5 LP"'})
    message = _problems(tmp_path, text)
    assert "160: judges give 0 to 100 points" in message
    assert "capital: does not apply to researcher agents" in message


def test_a_bounty_epoch_holds_at_most_64_submissions(tmp_path):
    text = _scenario({'kind = "researcher"\ncount = 6': 'kind = "researcher"\ncount = 40'})
    message = _problems(tmp_path, text)
    assert 'the agents of "research" file 84 submissions an epoch; a bounty holds at most 64' in message


def test_agents_meet_a_programme_of_their_kind(tmp_path):
    text = _scenario({'kind = "builder"\ncount = 20': 'kind = "builder"\ncount = 20\nprogramme = "depth"'})
    text = text.replace(
        'programme = "impact"\nclaim_every = "5d"\n\n[[agents]]\nname = "washer"',
        'claim_every = "5d"\n\n[[agents]]\nname = "washer"',
        1,
    )
    message = _problems(tmp_path, text)
    assert '"depth" is a KPI stream; builder agents meet a checkpoint programme (try "impact")' in message


def test_the_report_judges_each_kind_by_its_own_columns(defended, tmp_path):
    from tpp.sim.report import write_sim_report

    result, _ = defended
    page = write_sim_report(
        tmp_path / "report.html",
        scenario="pluralistic",
        runs=metrics.run_rows(result.trace),
        series=metrics.series_rows(result.trace),
        parameters=[],
    ).read_text()
    for heading, labels in (
        ("depth (kpi_stream)", ("KPI held (days)", "KPI days held per 1k tokens", "captured by the flash depositor")),
        ("impact (checkpoints)", ("to the top impact decile", "to the bottom half", "captured by wash traders (sybil share)")),
        ("research (bounty)", ("awards per submission", "awards per author", "captured by duplicate filers")),
    ):
        section = page.split(f"<h3>{heading}</h3>", 1)[1].split("<h3>", 1)[0]
        assert all(label in section for label in labels), heading
    # the headline share counts every gaming kind: here only the duplicate filer's 1.67% of all
    # rewards (its 6.67% of the bounty's 400k, out of 1.6m)
    comparison = page.split("<h2>Parameter sets compared", 1)[1].split("<h2>", 1)[0]
    assert "captured by gaming agents" in comparison and "1.67%" in comparison
