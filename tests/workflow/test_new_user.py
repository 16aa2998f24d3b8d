"""What a new user hit trying the devnet workflow as the README tells it, each a regression test
(issue: "an operator workflow a new user can trust"). On the embedded chain; the devnet's own
(time across restarts, `devnet warp`) are in tests/integration/test_devnet_time.py."""

from __future__ import annotations

import contextlib
import io
import json
import re
import socket
import sys
from pathlib import Path

import boa
import pytest
from rich.console import Console

from tests.ops.test_deploy_decide import CYCLE, WINDOW, write_local_spec
from tpp import cli
from tpp.base import units
from tpp.base.errors import UserError
from tpp.base.vocab import Outcome, State
from tpp.chain import Chain, Reverted
from tpp.cli import root as app_module
from tpp.cli.views import status_table
from tpp.specs.spec import check_spec
from tpp.system.governance import explain_revert
from tpp.system.stack import deploy_stack
from tpp.workflow.deployments import Deployments, OpsError, record_stack
from tpp.workflow.keeper import keeper, status, status_json
from tpp.workflow.local import check_onchain, decide_locally, deploy_file, globals_from_budget, parse_cap
from tpp.workflow.plan import Move, load_for_plan
from tpp.workflow.proposals import build_payload

WAD = 10**18
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture
def fresh(tmp_path):
    """A fresh embedded chain with the local stack, recorded like the devnet records it."""
    previous = boa.env
    chain = Chain.embedded()
    with contextlib.redirect_stdout(io.StringIO()):
        stack = deploy_stack(chain)
    deployments = Deployments(chain_id=chain.chain_id(), path=tmp_path / "deployments" / "1.json")
    record_stack(deployments, stack)
    deployments.save()
    yield chain, stack, deployments
    boa.set_env(previous)


def _budget_state(stack):
    b = stack.budget
    return (
        b.inflation_threshold(),
        b.allocation(),
        b.max_share_bps(),
        b.load_limit(),
        b.committed(),
        stack.factory.programme_count(),
    )


# --- 1. a failed deploy changes nothing --------------------------------------------------------


def test_a_deploy_refused_for_a_recorded_name_runs_no_gap_vote(fresh, tmp_path):
    chain, stack, deployments = fresh
    spec = write_local_spec(chain, tmp_path / "spec.toml", deployments)
    deploy_file(chain, spec, deployments)
    before, saved, now = _budget_state(stack), deployments.path.read_text(), chain.now()
    # Globals that differ from the chain's would need a GAP vote: it must not run either.
    spec.write_text(spec.read_text().replace('inflation_threshold = "10 ZK/s"', 'inflation_threshold = "11 ZK/s"'))
    with pytest.raises(OpsError, match=r"builders, audits already recorded.*nothing was sent"):
        deploy_file(chain, spec, deployments)
    assert _budget_state(stack) == before and deployments.path.read_text() == saved and chain.now() == now


def test_a_deploy_whose_start_a_vote_cannot_reach_names_the_earliest_start(fresh, tmp_path):
    chain, stack, deployments = fresh
    spec = write_local_spec(chain, tmp_path / "spec.toml", deployments)
    text = spec.read_text()
    start = re.search(r'first_start = "([^"]+)"', text).group(1)
    chain.warp_to(units.parse_date(start) - 60)  # a minute before the start: no vote is that fast
    before = _budget_state(stack)
    with pytest.raises(OpsError, match=r"the earliest start that survives a vote started now") as refused:
        deploy_file(chain, spec, deployments)
    assert "programme: start in the past" in str(refused.value) and "nothing was sent" in str(refused.value)
    assert _budget_state(stack) == before and not deployments.programmes


def test_a_deploy_the_budget_would_refuse_is_found_in_a_dry_run_and_nothing_is_sent(fresh, tmp_path):
    """The spec is valid on paper, but with the Budget kept at its own parameters (another
    decision calendar) the TPP vote's execution reverts: the dry run finds it, and neither
    vote happens."""
    chain, stack, deployments = fresh
    spec = write_local_spec(chain, tmp_path / "spec.toml", deployments)
    before, now = _budget_state(stack), chain.now()
    with pytest.raises(
        OpsError, match=r"the vote reverted: programme: epoch end off cycle \(found in a dry run; nothing was sent\)"
    ):
        deploy_file(chain, spec, deployments, set_globals=False)
    assert _budget_state(stack) == before and chain.now() == now and not deployments.programmes
    # And with the GAP vote it goes through, both votes for real.
    done = deploy_file(chain, spec, deployments)
    assert list(done.programmes) == ["builders", "audits"] and stack.factory.programme_count() == 2


# --- 3. the same decision again, or a choice switched back -------------------------------------


def test_a_decision_can_be_taken_again_and_switched_back(fresh, tmp_path):
    chain, _, deployments = fresh
    spec = write_local_spec(chain, tmp_path / "spec.toml", deployments)
    deploy_file(chain, spec, deployments)
    p = chain.at("Programme", deployments.programmes["builders"].address)
    chain.warp_to(p.epoch_end() - WINDOW + 60)
    for outcome in ("CONTINUE", "STOP", "CONTINUE", "CONTINUE"):
        result = decide_locally(chain, deployments, "builders", outcome)
        assert p.pending_outcome() == Outcome[outcome] and result.state == State.EVALUATING.name
    assert "pending outcome CONTINUE" in result.line()


def test_a_repeated_proposal_is_explained_in_words(fresh):
    """The governor's custom error (formerly printed as "========") reads as what happened."""
    chain, stack, _ = fresh
    governor = stack.governance.tpp_governor
    args = ([stack.budget.address], [0], [stack.budget.load_limit.prepare_calldata()], "TPP: the same proposal twice")
    delegate = stack.delegates[0]
    governor.propose(*args, sender=delegate)
    with pytest.raises(Reverted) as twice, chain.reverts():
        governor.propose(*args, sender=delegate)
    assert twice.value.reason.startswith("GovernorUnexpectedProposalState(proposalId=")
    words = explain_revert(twice.value.reason)
    assert "a proposal with the same calls and description already exists" in words and "pending" in words


# --- 5. check-onchain counts a deployed spec once and shows where its globals differ ------------


def test_check_onchain_counts_the_specs_own_epochs_once_and_names_differing_globals(fresh, tmp_path):
    chain, stack, deployments = fresh
    spec = write_local_spec(chain, tmp_path / "spec.toml", deployments)
    deploy_file(chain, spec, deployments)
    # The first caps and the reserves the programmes hold for their later epochs.
    caps = sum(p.lifetime_cap for p in check_spec(spec, now=0).spec.programmes)
    assert stack.budget.committed() == caps
    result = check_onchain(spec, chain, str(stack.budget.address), deployments=deployments)
    assert result.errors == [] and result.on_chain == ["builders", "audits"]
    assert result.spec.committed == 0 and result.spec.already_admitted == []
    assert result.differences == []
    # Without the deployments file the chain's epochs and the spec's are the same epochs
    # counted twice: that is what the file is for.
    twice = check_onchain(spec, chain, str(stack.budget.address))
    assert twice.spec.committed == caps and len(twice.spec.already_admitted) == 2
    # The file's globals differ from the Budget's: said, field by field, and the chain's used.
    spec.write_text(spec.read_text().replace('max_share = "25%"', 'max_share = "20%"'))
    differing = check_onchain(spec, chain, str(stack.budget.address), deployments=deployments)
    assert differing.differences == [
        "globals.max_share_bps: the spec says 20%, the Budget holds 25% (the check uses the Budget's)"
    ]
    assert differing.spec.globals.max_share_bps == globals_from_budget(chain, str(stack.budget.address)).max_share_bps


# --- 6. propose defaults its addresses from the deployments file --------------------------------


def test_propose_takes_factory_budget_and_token_from_the_deployments_file(fresh, tmp_path):
    chain, stack, deployments = fresh
    spec = write_local_spec(chain, tmp_path / "spec.toml", deployments)
    payload, stem = build_payload(spec, setup=True, recorded=deployments, now=chain.now())
    assert stem == "spec"
    assert [c.target for c in payload.calls] == [str(stack.token.address), str(stack.budget.address), str(stack.factory.address)]
    with pytest.raises(UserError, match=r"--factory ADDRESS is needed"):
        build_payload(spec, recorded=Deployments(chain_id=5, path=tmp_path / "5.json"), now=chain.now())


def test_the_example_slate_builds_from_the_programmes_a_deployments_file_records(tmp_path):
    """examples/slate.toml names examples/portfolio.toml's programmes; their addresses come
    from the deployments file, as `tpp propose --slate examples/slate.toml` reads it."""
    from tpp.workflow.deployments import ProgrammeRecord

    names = ("builders-stream", "eth-pool", "usdc-pool")
    recorded = Deployments(chain_id=31337, path=tmp_path / "31337.json")
    for i, name in enumerate(names, 1):
        recorded.programmes[name] = ProgrammeRecord(f"0x{i:040x}", f"0x{i + 10:040x}", "stream")
    payload, stem = build_payload(slate=EXAMPLES / "slate.toml", recorded=recorded)
    assert stem == "slate" and [c.label for c in payload.calls] == [f"programme {n}" for n in names]
    assert [c.target.lower() for c in payload.calls] == [f"0x{i:040x}" for i in (1, 2, 3)]
    with pytest.raises(UserError, match="usdc-pool"):
        del recorded.programmes["usdc-pool"]
        build_payload(slate=EXAMPLES / "slate.toml", recorded=recorded)


# --- 7. status at 80 columns, amounts with units, dials in %, the pending outcome; JSON strings ---


def test_status_reads_at_80_columns_with_units_percentages_and_the_pending_outcome(fresh, tmp_path):
    chain, _, deployments = fresh
    spec = write_local_spec(chain, tmp_path / "spec.toml", deployments)
    deploy_file(chain, spec, deployments)
    p = chain.at("Programme", deployments.programmes["builders"].address)
    chain.warp_to(p.epoch_end() - WINDOW + 60)
    decide_locally(chain, deployments, "builders", "ITERATE", "900k ZK")
    rows = status(chain, deployments)
    console = Console(width=80, record=True, color_system=None)
    console.print(status_table(rows, deployments.chain_id))
    text = console.export_text()
    assert "…" not in text and max(len(line) for line in text.splitlines()) <= 80
    assert "builders" in text and "audits" in text
    assert "ITERATE (voted)" in text and "default STOP" in text  # audits' default
    assert "throttle 100%" in text and " ZK" in text
    as_json = status_json(rows)
    builders = next(r for r in as_json if r["name"] == "builders")
    assert isinstance(builders["cap"], str) and int(builders["cap"]) == 1_000_000 * WAD
    assert builders["pending_outcome"] == "ITERATE" and isinstance(builders["epoch"], int)
    json.dumps(as_json)


# --- 8. an unreachable node is one line and exit 2, also with --debug ---------------------------


def _run(args, monkeypatch, capsys):
    monkeypatch.setattr(sys, "argv", ["tpp", *args])
    app_module.state["debug"] = False
    code = 0
    try:
        cli.main()
    except SystemExit as exited:
        code = exited.code if isinstance(exited.code, int) else 1
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("debug", [False, True])
def test_an_unreachable_rpc_is_one_line_and_exit_2(debug, monkeypatch, capsys, tmp_path):
    url = f"http://127.0.0.1:{_closed_port()}"
    args = (["--debug"] if debug else []) + ["status", "--rpc", url, "--root", str(tmp_path)]
    code, out, err = _run(args, monkeypatch, capsys)
    assert code == 2
    lines = [line for line in out.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith(f"error: {url}: the node did not answer")
    assert ("Traceback" in err) == debug and "Traceback" not in out


# --- 9. the keeper says each RPC failure as it happens -------------------------------------------


def test_the_keeper_reports_each_rpc_failure_as_it_happens():
    class Flaky:
        backend, is_local, env = "rpc", False, None
        down = 2

        def activate(self):
            return self

        def refresh(self):
            if self.down:
                self.down -= 1
                raise ConnectionError("connection refused")

        def now(self):
            return 1_800_000_000

    reported: list[str] = []
    summary = keeper(Flaky(), {}, interval=0.0, max_rounds=1, backoff_base=0.0, on_failure=reported.append)
    assert summary.failures == 2 and summary.rounds == 1 and len(reported) == 2
    assert reported[0].startswith("RPC failure 1/5") and "connection refused" in reported[0] and "retrying in" in reported[0]


# --- 10. a plan's move says what it changes --------------------------------------------------------


def test_a_move_says_the_rate_falls_at_the_same_cap():
    g = load_for_plan(EXAMPLES / "stream.toml", now=0).globals
    move = Move(
        "beta",
        requested_end=g.cycle_genesis + CYCLE,
        planned_end=g.cycle_genesis + 5 * CYCLE,
        cycles=4,
        first_start=g.cycle_genesis,
        cap=1_000_000 * WAD,
    )
    text = move.describe(g)
    assert "(150d instead of 30d)" in text and "at the same cap of 1_000_000 ZK" in text
    assert "(20% of the rate)" in text and "raise epoch_cap or move first_start later" in text


def test_the_plans_move_reports_its_cap_and_rate(tmp_path):
    from tests.plan.test_plan import plan_of

    plan = plan_of(tmp_path, 1, [{"name": "alpha"}, {"name": "beta", "cap": "9m ZK"}])
    (move,) = plan.moves
    assert move.cap == 9_000_000 * WAD
    text = move.describe(plan.g)
    assert "(180d instead of 90d)" in text and "at the same cap of 9_000_000 ZK" in text and "(50% of the rate)" in text


# --- 12. one rule for amounts; flags are flags ---------------------------------------------------


def test_a_cap_without_a_unit_is_refused_as_check_refuses_it():
    with pytest.raises(OpsError, match=r'--cap "5000000": "5000000" has no unit \(try "5000000 ZK"'):
        parse_cap("5000000")
    assert parse_cap("16m ZK") == (16_000_000 * WAD, "ZK")
    assert parse_cap("1000 wei") == (1000, "ZK")


def test_init_refuses_a_flag_value_as_a_file_name(monkeypatch, capsys, tmp_path):
    monkeypatch.chdir(tmp_path)
    code, out, _ = _run(["init", "--force", "true"], monkeypatch, capsys)
    assert code == 2 and "looks like a value for --force" in " ".join(out.split())
    assert not (tmp_path / "true").exists()


def test_help_is_plain_text_and_short_options_work(monkeypatch, capsys):
    for args in (["-h"], ["sim", "-h"], ["deploy", "--help"], ["devnet", "warp", "-h"]):
        code, out, _ = _run(args, monkeypatch, capsys)
        assert code == 0 and "<bool>" not in out, args
    code, out, _ = _run(["sim", "--help"], monkeypatch, capsys)
    assert "[sweep]" in out
    code, out, _ = _run(["--version"], monkeypatch, capsys)
    assert code == 0 and out.startswith("tpp ")


# --- 11. every problem at once; a globals file is named as one ----------------------------------


def test_an_invalid_global_does_not_hide_a_programmes_problem(tmp_path):
    from tests.spec.test_spec_rules import GLOBALS, programme, write

    path = write(
        tmp_path, programme("a", first_end='"2027-01-15"'), globals=GLOBALS.replace('max_share = "50%"', 'max_share = "150%"')
    )
    result = check_spec(path, now=units.parse_date("2026-06-01"))
    fields = [e.field for e in result.errors]
    assert fields == ["globals.max_share", "programme.a.first_end"], fields
    assert "is not a decision-cycle boundary" in result.errors[1].message


def test_check_on_a_globals_file_says_it_is_one(monkeypatch, capsys):
    code, out, _ = _run(["check", str(EXAMPLES / "globals.toml")], monkeypatch, capsys)
    text = " ".join(out.split())
    assert code == 2 and "is a globals file" in text and "unknown key" not in text
    assert text.count("globals.toml:1 ") == 1  # one problem, not one per key


def test_the_sweep_table_has_a_column_per_swept_parameter():
    from tpp.cli.sim import _summary_table
    from tpp.sim.sweep import RunOutput

    outputs = [
        RunOutput(
            i,
            i // 2,
            7 + i,
            {"market.volatility": v, "agents.farmers.hurdle": h},
            [{"programme": "*total*", "emitted_tokens": 1e6}],
            [],
            10,
            0.1,
        )
        for i, (v, h) in enumerate([("40%", "5%"), ("40%", "10%"), ("80%", "5%")])
    ]
    console = Console(width=200, record=True, color_system=None)
    console.print(_summary_table(outputs))
    text = console.export_text()
    header = next(line for line in text.splitlines() if "run" in line and "seed" in line)
    assert "agents.farmers.hurdle" in header and "market.volatility" in header
    assert "80%" in text


def test_the_docs_point_to_the_architecture_the_repository_has():
    root = EXAMPLES.parent
    assert (root / "docs" / "ARCHITECTURE.md").is_file()
    for path in [root / "README.md", *sorted((root / "src" / "tpp").rglob("*.py"))]:
        assert "DESIGN.md" not in path.read_text(encoding="utf-8"), path
