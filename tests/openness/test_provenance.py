"""`tpp trace` from the index alone: every token a programme minted is traced to the vote that
authorised its epoch, with the vote's numbers as the governor counts them and the GAP bounds
in force; a mint outside the tree is flagged, not hidden."""

from __future__ import annotations

import json

import pytest

from tests.cli.test_check_cli import run as run_cli
from tests.openness.conftest import HOSTILE, ROGUE_MINT
from tpp.workflow.index import IndexProblem
from tpp.workflow.provenance import trace


def test_every_programme_mint_is_traced_and_the_rogue_mint_is_flagged(story):
    data = story.data()
    attribution = data.attribution
    budget = story.result.stack.budget
    # Everything the Budget let programmes mint is traced to votes; the rogue mint is not.
    assert attribution.attributed == budget.total_minted() > 0
    assert [m.amount for m in attribution.unattributed] == [ROGUE_MINT]
    assert attribution.unattributed[0].to == story.rogue
    assert "outside the tree" in attribution.unattributed[0].problem
    assert attribution.total == budget.total_minted() + ROGUE_MINT
    # The delegates' voting supply predates the Budget: genesis, counted apart.
    assert attribution.genesis == story.result.stack.token.totalSupply() - budget.total_minted() - ROGUE_MINT
    assert "UNATTRIBUTED" in attribution.line(data)


def test_each_epoch_names_the_vote_that_authorised_it(story):
    data = story.data()
    by_name = {name: p.address for name, p in story.result.programmes.items()}
    stream = trace(data, "builders-stream")
    first, second = stream.epochs
    assert first.vote.title.startswith("TPP-1") and first.how == "created by this vote"
    assert second.vote.title.startswith("TPP-2") and "CONTINUE" in second.how
    pool = trace(data, by_name["eth-pool"])
    assert "ITERATE" in pool.epochs[1].how and pool.epochs[1].cap == 4_800_000 * 10**18
    assert sum(m.amount for m in stream.mints) == story.result.mechanisms["builders-stream"].total_minted()
    assert all(m.status == "traced" for m in stream.mints + pool.mints)


def test_vote_numbers_and_quorum_are_the_governors(story):
    data = story.data()
    governor = story.result.stack.governance.tpp_governor
    epoch = trace(data, "builders-stream").epochs[0]
    vote = epoch.vote
    against, for_, abstain = governor.proposalVotes(vote.id)
    assert (vote.votes["for"], vote.votes["against"], vote.votes["abstain"]) == (for_, against, abstain)
    assert vote.quorum == governor.quorum(governor.proposalSnapshot(vote.id)) > 0
    assert vote.quorum_reached and len(vote.voters) > 0
    assert any("create_programmes" in call for _, call in vote.calls)


def test_the_gap_bounds_in_force_are_the_budgets(story):
    budget = story.result.stack.budget
    epoch = trace(story.data(), "builders-stream").epochs[0]
    bounds = {g.what: g for g in epoch.gap}
    assert set(bounds) == {"inflation threshold", "allocation", "max share", "decision cycle", "load limit"}
    assert all(g.vote is not None and g.vote.kind == "GAP" for g in bounds.values())
    assert bounds["allocation"].log.int("new_allocation") == budget.allocation()
    assert bounds["inflation threshold"].log.int("new_threshold") == budget.inflation_threshold()


def test_a_transaction_and_a_recipient_trace_to_the_same_epoch(story):
    data = story.data()
    mint = next(m for m in data.mints if m.status == "traced")
    by_tx = trace(data, mint.log.tx)
    assert [m.log for m in by_tx.mints] == [mint.log]
    by_recipient = trace(data, mint.to)
    assert mint.epoch.minter in {e.minter for e in by_recipient.epochs}
    assert trace(data, "unattributed").mints[0].amount == ROGUE_MINT


def test_hostile_descriptions_stay_data(story):
    data = story.data()
    epoch = trace(data, story.hostile.address).epochs[0]
    assert epoch.vote.description == HOSTILE
    assert "\x1b" not in epoch.vote.title  # no terminal escapes reach a terminal


def test_unknown_targets_name_what_the_index_knows(story):
    data = story.data()
    with pytest.raises(
        IndexProblem,
        match="programmes: builder-impact, builders-stream, eth-depth, eth-pool, farm, hostile, impact, research, usdc-pool",
    ):
        trace(data, "no-such-programme")
    with pytest.raises(IndexProblem, match="not in the index"):
        trace(data, "0x" + "ab" * 32)


def test_the_cli_traces_as_text_and_json_and_refuses_bad_input(story, tmp_path, monkeypatch, capsys):
    code, out = run_cli(monkeypatch=monkeypatch, capsys=capsys, args=["trace", "builders-stream", "--db", str(story.path)])
    assert code == 0 and "TPP-1" in out and "UNATTRIBUTED" in out  # the rogue mint is named in the summary
    code, out = run_cli(
        monkeypatch=monkeypatch, capsys=capsys, args=["trace", "builders-stream", "--db", str(story.path), "--json"]
    )
    assert code == 0 and json.loads(out)["epochs"][0]["vote"]["kind"] == "TPP"
    code, out = run_cli(monkeypatch=monkeypatch, capsys=capsys, args=["trace", "nope", "--db", str(story.path)])
    assert code == 2 and "not a transaction hash" in out and "Traceback" not in out
    code, out = run_cli(monkeypatch=monkeypatch, capsys=capsys, args=["trace", "nope", "--db", str(tmp_path / "missing.sqlite")])
    assert code == 2 and "no index yet" in out
    (tmp_path / "junk.sqlite").write_text("not a database")
    code, out = run_cli(monkeypatch=monkeypatch, capsys=capsys, args=["trace", "nope", "--db", str(tmp_path / "junk.sqlite")])
    assert code == 2 and "not a tpp index database" in out


def test_index_verify_flags_the_rogue_mint_and_exits_1(story, tmp_path, monkeypatch, capsys):
    """`tpp index --verify`: the index matches the chain, but a mint outside the tree is named
    loudly and the exit code says so (1), so a monitor can act on it."""
    from tpp.workflow import index as index_module
    from tpp.workflow.deployments import Deployments, record_programme, record_stack

    result = story.result
    deployments = record_stack(Deployments(chain_id=result.stack.chain.chain_id()), result.stack)
    for name, programme in result.programmes.items():
        record_programme(deployments, name, str(programme.address), str(result.mechanisms[name].address), result.kinds[name])
    monkeypatch.setattr(index_module, "open_index_source", lambda rpc, root: (story.logs, deployments))
    code, out = run_cli(["index", "--db", str(tmp_path / "verify.sqlite"), "--verify"], monkeypatch, capsys)
    assert code == 1, out
    assert "match the chain" in out and f"UNATTRIBUTED: 777 TPP to {story.rogue}" in out


def test_serve_refuses_a_port_in_use_and_a_missing_index_in_one_line(story, tmp_path, monkeypatch, capsys):
    import socket

    with socket.create_server(("127.0.0.1", 0)) as busy:
        port = busy.getsockname()[1]
        code, out = run_cli(["serve", "--db", str(story.path), "--port", str(port)], monkeypatch, capsys)
    assert code == 2 and f"cannot listen on 127.0.0.1:{port}" in out and "Traceback" not in out
    code, out = run_cli(["serve", "--db", str(tmp_path / "none.sqlite")], monkeypatch, capsys)
    assert code == 2 and "no index yet" in out
    code, out = run_cli(["serve", "--db", str(story.path), "--port", "0"], monkeypatch, capsys)
    assert code == 2 and "--port must be 1-65535" in out
