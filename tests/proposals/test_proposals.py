"""`tpp.proposals`: payloads executed for real through the local Token governor.

One module-scoped stack whose Budget holds examples/globals.toml's parameters; the portfolio
payload for examples/portfolio.toml goes through propose, vote, queue and execute, and must
create exactly the specified programmes; a decision slate for the first window then sets each
due programme's pending outcome. The Safe batch and governor.json decode to the same calls.
"""

from __future__ import annotations

import json
from pathlib import Path

import eth_abi
import pytest
import typer
from eth_utils import keccak
from typer.testing import CliRunner

from tpp.base.vocab import Outcome
from tpp.cli import app as tpp_app
from tpp.model import kinds
from tpp.specs.spec import load_spec
from tpp.system.governance import run_proposal
from tpp.system.stack import BudgetParams, StackConfig, deploy_stack
from tpp.workflow.proposals import (
    ADMITTER_ADMIN_ROLE,
    TOKEN_MINTER_ROLE,
    Decision,
    ProposalError,
    decode_call,
    load_slate,
    portfolio_payload,
    proposal_id,
    slate_payload,
    write_outputs,
)

ROOT = Path(__file__).resolve().parents[2]
PORTFOLIO = ROOT / "examples" / "portfolio.toml"
WAD = 10**18
HOUR = 3_600
ITERATED = 16_000_000 * WAD  # eth-pool's cap lowered by a fifth (bound 25%)


@pytest.fixture(scope="module")
def spec():
    return load_spec(PORTFOLIO)


@pytest.fixture(scope="module")
def stack(chain, spec):
    """The local stack with a Budget holding the spec's global parameters."""
    # The embedded chain starts on 2026-01-01 and every test's time travel is undone, so the
    # example's 2027 dates are ahead; if that ever changes this must fail, not pass quietly.
    assert chain.now() < min(p.first_start for p in spec.programmes) - 30 * 86_400, "example dates are in the chain's past"
    g = spec.globals
    params = BudgetParams(
        g.inflation_threshold, g.allocation, g.max_share_bps, g.cycle_genesis, g.cycle_length, g.window_length, g.load_limit
    )
    return deploy_stack(chain, StackConfig(budget=params))


@pytest.fixture(scope="module")
def portfolio(stack, spec):
    return portfolio_payload(spec, stack.factory, stack.budget, stack.token, include_setup=True)


@pytest.fixture(scope="module")
def executed(chain, stack, portfolio):
    """The portfolio vote, run for real: propose, vote, queue, execute. Returns the id."""
    return run_proposal(
        chain,
        stack.governance.tpp_governor,
        portfolio.targets,
        portfolio.values,
        portfolio.calldatas,
        portfolio.description,
        stack.delegates,
    )


@pytest.fixture(scope="module")
def created(chain, stack, spec, executed):
    """Name -> (programme handle, mechanism handle), in the spec's order."""
    factory = stack.factory
    out = {}
    for index, p in enumerate(spec.programmes):
        programme = chain.at("Programme", factory.programme_at(index))
        mechanism = chain.at("LinearStream" if p.kind == "stream" else "StakingRewards", programme.mechanism())
        out[p.name] = (programme, mechanism)
    return out


def test_portfolio_vote_creates_exactly_the_spec(stack, spec, created):
    assert stack.factory.programme_count() == len(spec.programmes) == 3
    for p in spec.programmes:
        programme, mechanism = created[p.name]
        assert programme.epoch_cap() == p.epoch_cap
        assert programme.epoch_end() == p.first_end
        assert programme.epoch_start() == p.first_start
        assert programme.epoch_duration() == p.epoch_duration
        assert programme.window_length() == p.window_length
        assert programme.max_epochs() == p.max_epochs
        assert programme.default_outcome() == Outcome[p.default_outcome]
        assert programme.iterate_cap_bps() == p.iterate_cap_bps
        assert programme.max_pause() == p.max_pause
        target = mechanism.recipient() if p.kind == "stream" else mechanism.stake_token()
        assert str(target).lower() == p.target.lower()
    # The setup calls took effect: the Budget mints, the factory authorises programmes.
    assert stack.token.hasRole(TOKEN_MINTER_ROLE, stack.budget.address)
    assert stack.budget.hasRole(ADMITTER_ADMIN_ROLE, stack.factory.address)


def test_proposal_id_is_the_governors(stack, portfolio, executed):
    governor = stack.governance.tpp_governor
    computed = portfolio.proposal_id
    assert computed == executed
    assert computed == governor.hashProposal(
        portfolio.targets, portfolio.values, portfolio.calldatas, keccak(text=portfolio.description)
    )
    assert computed == proposal_id(portfolio.targets, portfolio.values, portfolio.calldatas, portfolio.description)


def test_outputs_decode_to_the_same_calls(tmp_path, spec, portfolio, stack):
    written = write_outputs(portfolio, tmp_path, chain_id=324, created_at_ms=1_700_000_000_000)
    assert {p.name for p in written} >= {"governor.json", "safe-batch.json", "proposal.md"}

    batch = json.loads((tmp_path / "safe-batch.json").read_text())
    assert batch["version"] == "1.0" and batch["chainId"] == "324" and batch["createdAt"] == 1_700_000_000_000
    assert batch["meta"]["name"] == portfolio.title
    txs = batch["transactions"]
    assert [t["to"] for t in txs] == portfolio.targets
    assert [t["value"] for t in txs] == ["0"] * 3
    assert [bytes.fromhex(t["data"][2:]) for t in txs] == portfolio.calldatas

    # Decode the raw data with eth_abi, independently of tpp's decoder.
    data = [bytes.fromhex(t["data"][2:]) for t in txs]
    grant = keccak(text="grantRole(bytes32,address)")[:4]
    assert data[0][:4] == data[1][:4] == grant
    assert eth_abi.decode(["bytes32", "address"], data[0][4:]) == (TOKEN_MINTER_ROLE, str(stack.budget.address).lower())
    assert eth_abi.decode(["bytes32", "address"], data[1][4:]) == (ADMITTER_ADMIN_ROLE, str(stack.factory.address).lower())
    spec_type = "(uint8,address,uint256,uint256,uint256,uint256,uint256,uint8,uint256,uint256,address,address,address,uint8,int256,uint256,uint256,uint256,uint256,string,(bytes32,uint256,uint256,uint256,uint256,uint256)[],bytes)"
    assert data[2][:4] == keccak(text=f"create_programmes({spec_type}[])")[:4]
    (specs,) = eth_abi.decode([f"{spec_type}[]"], data[2][4:])
    assert len(specs) == len(spec.programmes)
    for decoded, p in zip(specs, spec.programmes):
        expected = p.to_chain().as_tuple()
        assert decoded[0] == kinds.get(p.kind).code
        assert decoded[1] == p.target.lower()
        assert decoded[2:10] == tuple(expected[2:10])
        assert decoded[13:19] == tuple(expected[13:19])  # comparator, threshold, max_pause, oracle_max_age, hats
        assert decoded[19] == p.metadata_uri
        assert len(decoded[20]) == len(p.dials)

    gov = json.loads((tmp_path / "governor.json").read_text())
    assert gov["targets"] == portfolio.targets
    assert [bytes.fromhex(c[2:]) for c in gov["calldatas"]] == portfolio.calldatas
    assert int(gov["proposal_id"]) == portfolio.proposal_id
    assert (
        proposal_id(
            gov["targets"], [int(v) for v in gov["values"]], [bytes.fromhex(c[2:]) for c in gov["calldatas"]], gov["description"]
        )
        == portfolio.proposal_id
    )


def test_proposal_text_reads_the_calls_in_human_units(tmp_path, portfolio):
    text = portfolio.markdown()
    for expected in (
        "grants MINTER_ROLE on the token",
        "grants ADMITTER_ADMIN_ROLE on the Budget",
        "create_programmes",
        "epoch cap 20_000_000 ZK",
        "first epoch 2027-01-01 → 2027-04-01",
        "2027-03-18 → 2027-04-01",  # the first evaluation window
        "Does depth stay when rewards fall by a quarter?",  # research question
        "ZK emitted per $ of depth",  # KPI
        "dial throttle_bps 100% in 50%..100%",
        str(portfolio.proposal_id),
    ):
        assert expected in text, expected
    assert "supply" in text.lower()


def test_proposal_text_reads_the_pause_oracle_in_the_feeds_unit(stack):
    payload = portfolio_payload(load_spec(ROOT / "examples" / "liquidity.toml"), stack.factory)
    text = payload.markdown()
    # The decoded call: the 18-decimal threshold back in the feed's unit, and the answers' max age.
    assert "pause oracle 0x7000000000000000000000000000000000000007 >= 1500, answers at most 1d old" in text
    assert "reads >= 1500 (in the feed's unit, any decimals; answers older than 1d do not count)" in text
    assert "(raw)" not in text


def test_slate_executes_and_sets_pending_outcomes(tmp_path, chain, stack, spec, created):
    first_end = spec.programme("eth-pool").first_end
    chain.warp_to(first_end - spec.globals.window_length + HOUR)
    names = {name: str(programme.address) for name, (programme, _) in created.items()}
    slate_file = tmp_path / "window.toml"
    slate_file.write_text(
        f'title = "TPP-2: first window"\nwindow_end = "2027-04-01"\nspec = "{PORTFOLIO}"\n'
        "[programmes]\n"
        + "".join(f'{n} = "{a}"\n' for n, a in names.items())
        + '[decision.builders-stream]\noutcome = "CONTINUE"\nreason = "milestones met"\n'
        + '[decision.eth-pool]\noutcome = "ITERATE"\nnew_cap = "16m ZK"\n'
    )
    payload = slate_payload(load_slate(slate_file))
    assert payload.targets == [names["builders-stream"], names["eth-pool"]]
    assert decode_call(payload.calldatas[1]).args == {"outcome": Outcome["ITERATE"], "new_cap": ITERATED}
    assert "next epoch's cap 16_000_000 ZK" in payload.description
    assert "2027-03-18 → 2027-04-01" in payload.description

    governor = stack.governance.tpp_governor
    pid = run_proposal(chain, governor, payload.targets, payload.values, payload.calldatas, payload.description, stack.delegates)
    assert pid == payload.proposal_id
    builders, eth_pool, usdc_pool = (created[n][0] for n in ("builders-stream", "eth-pool", "usdc-pool"))
    assert builders.pending_outcome() == Outcome["CONTINUE"]
    assert eth_pool.pending_outcome() == Outcome["ITERATE"]
    assert eth_pool.pending_cap() == ITERATED
    assert usdc_pool.pending_outcome() == Outcome["NONE"]


@pytest.mark.parametrize(
    "decision, message",
    [
        (Decision("eth-pool", "ITERATE"), "ITERATE needs new_cap"),
        (Decision("eth-pool", "CONTINUE", 5), "new_cap only goes with ITERATE"),
        (Decision("eth-pool", "MAYBE"), "is not an outcome"),
        (Decision("nobody", "STOP"), "no address for this programme"),
        (Decision("eth-pool", "ITERATE", 1 * WAD), "outside ±25%"),
    ],
)
def test_slate_errors_say_what_to_change(spec, decision, message):
    with pytest.raises(ProposalError, match=message):
        slate_payload([decision], {"eth-pool": "0x" + "11" * 20}, spec=spec)


def _app() -> typer.Typer:
    """The real `tpp` application."""
    return tpp_app


def test_cli_writes_the_three_files(tmp_path):
    out = tmp_path / "out"
    args = [
        "propose",
        str(PORTFOLIO),
        "--factory",
        "0x" + "ab" * 20,
        "--budget",
        "0x" + "cd" * 20,
        "--token",
        "0x" + "ef" * 20,
        "--setup",
        "--chain-id",
        "324",
        "--out",
        str(out),
    ]
    result = CliRunner().invoke(_app(), args)
    assert result.exit_code == 0, result.output
    assert "proposal id" in result.output and "create_programmes" in result.output
    assert {"governor.json", "safe-batch.json", "proposal.md"} <= {p.name for p in out.iterdir()}
    assert json.loads((out / "safe-batch.json").read_text())["chainId"] == "324"


def test_cli_user_errors(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no deployments file here to default addresses from
    for args, message in (
        (["propose", str(PORTFOLIO)], "--factory"),
        (["propose", str(PORTFOLIO), "--factory", "0x12", "--out", str(tmp_path)], "is not an address"),
        (["propose", str(PORTFOLIO), "--factory", "0x" + "ab" * 20, "--setup", "--out", str(tmp_path)], "--budget and --token"),
        (["propose"], "either a programme spec"),
    ):
        result = CliRunner().invoke(_app(), args)
        assert result.exit_code == 2, (args, result.output)
        assert "Traceback" not in result.output
        assert message in " ".join(result.output.split()), (args, result.output)
