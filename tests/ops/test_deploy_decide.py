"""Deploying a spec, deciding and dialling through the local governors (tpp.ops), on the
embedded chain inside titanoboa's test isolation: the Budget's parameters read back as the
spec's globals, one Token-governor vote creates and records exactly the spec's programmes, a
one-decision slate sets the pending outcome in the window, the steward's dial moves, and a
move outside the bounds is refused with the rule (exit code 2 at the command line)."""

import contextlib
import io

import pytest

from tpp.base import units
from tpp.base.vocab import THROTTLE, Outcome, State, dial_id
from tpp.chain import Chain
from tpp.specs.spec import load_spec
from tpp.system.stack import LOCAL_SAFES, deploy_stack
from tpp.workflow.deployments import Deployments, OpsError, record_stack, safe_key
from tpp.workflow.local import (
    STEWARD_ACTOR,
    check_onchain,
    decide_locally,
    deploy_spec,
    globals_from_budget,
    move_dial,
    set_globals_locally,
)

DAY = 86_400
WAD = 10**18
CYCLE = 30 * DAY
WINDOW = 7 * DAY

SPEC = """
title = "two local streams"

[globals]
token = "ZK"
decimals = 18
inflation_threshold = "10 ZK/s"
allocation = "100m ZK"
max_share = "25%"
cycle_genesis = "{genesis}"
cycle_length = "30d"
window_length = "7d"
load_limit = 4

[programme.builders]
kind = "stream"
recipient = "{safe}"
epoch_cap = "1m ZK"
first_start = "{start}"
first_end = "{end}"
epoch_duration = "30d"
evaluation_window = "7d"
default_outcome = "CONTINUE"
max_epochs = 2
iterate_bound = "20%"
steward = "{steward}"
guardian = "{guardian}"

[programme.builders.dials.throttle_bps]
initial = "100%"
lower = "50%"
upper = "100%"
step = "10%"
cooldown = "1d"

[programme.audits]
kind = "stream"
recipient = "{audit_safe}"
epoch_cap = "500k ZK"
first_start = "{start}"
first_end = "{end}"
epoch_duration = "30d"
evaluation_window = "7d"
guardian = "{guardian}"
"""


def write_local_spec(chain, path, deployments):
    """SPEC for this chain: cycles from the day after tomorrow, the first epochs one cycle later,
    the stack's Safes as the builders' recipient, steward and both guardians (the audits
    recipient is a plain role-named actor)."""
    now = chain.now()
    genesis = now - now % DAY + 2 * DAY
    path.write_text(
        SPEC.format(
            genesis=units.format_date(genesis),
            start=units.format_date(genesis + CYCLE),
            end=units.format_date(genesis + 2 * CYCLE),
            safe=deployments.stack[safe_key("recipient")],
            audit_safe=chain.actor("audits-safe"),
            steward=deployments.stack[safe_key("steward")],
            guardian=deployments.stack[safe_key("guardian")],
        ),
        encoding="utf-8",
    )
    return path


@pytest.fixture(scope="module")
def local(tmp_path_factory):
    """A whole local stack on the embedded chain, recorded like the devnet records it."""
    chain = Chain.current()
    with contextlib.redirect_stdout(io.StringIO()):
        stack = deploy_stack(chain)
    deployments = Deployments(chain_id=1, path=tmp_path_factory.mktemp("deployments") / "1.json")
    record_stack(deployments, stack)
    spec_path = write_local_spec(chain, tmp_path_factory.mktemp("spec") / "local.toml", deployments)
    spec = load_spec(spec_path, now=chain.now())
    set_globals_locally(chain, deployments, spec.globals)
    result = deploy_spec(chain, spec, deployments)
    return chain, stack, deployments, spec, spec_path, result


def test_globals_from_budget_are_the_budgets_parameters(local):
    chain, stack, _, spec, spec_path, _ = local
    b = stack.budget
    g = globals_from_budget(chain, str(b.address))
    assert (g.inflation_threshold, g.allocation, g.max_share_bps) == (b.inflation_threshold(), b.allocation(), b.max_share_bps())
    assert (g.cycle_genesis, g.cycle_length, g.window_length, g.load_limit) == (
        b.cycle_genesis(),
        b.cycle_length(),
        b.window_length(),
        b.load_limit(),
    )
    # The GAP vote set them to the spec's globals.
    assert g == spec.globals
    # Checked against the chain: the Budget's parameters, its admitted epochs and committed
    # total replace the file's.
    result = check_onchain(spec_path, chain, str(b.address))
    assert result.errors == [] and result.spec is not None
    assert result.spec.globals == g
    # Each first cap and the reserve each programme holds for its later epochs.
    assert result.spec.committed == b.committed() == sum(p.lifetime_cap for p in spec.programmes)
    assert len(result.spec.already_admitted) == len(spec.programmes)


def test_deploy_creates_and_records_exactly_the_specs_programmes(local):
    chain, stack, deployments, spec, _, result = local
    assert result.setup  # the first portfolio carried the two role grants
    assert list(result.programmes) == [p.name for p in spec.programmes]
    assert stack.factory.programme_count() == len(spec.programmes)
    assert set(deployments.programmes) == {"builders", "audits"}
    for name, address in result.programmes.items():
        record = deployments.programmes[name]
        assert record.address == address and record.kind == "stream"
        programme = chain.at("Programme", address)
        assert str(programme.mechanism()) == record.mechanism
        assert programme.state() == State["SCHEDULED"]
    builders = chain.at("Programme", result.programmes["builders"])
    assert builders.steward() == stack.steward == deployments.stack[safe_key("steward")]
    assert builders.guardian() == stack.guardian == deployments.stack[safe_key("guardian")]
    assert {safe_key(role) for role in LOCAL_SAFES} <= set(deployments.stack)
    # A second deploy of the same names is refused before any vote.
    with pytest.raises(OpsError, match="already recorded"):
        deploy_spec(chain, spec, deployments)


def test_decide_sets_the_pending_outcome_after_a_vote_in_the_window(local):
    chain, _, deployments, spec, _, _ = local
    p = chain.at("Programme", deployments.programmes["builders"].address)
    # Outside the window the decision is refused before any vote, naming the rule.
    with pytest.raises(OpsError, match=r"builders.*not in evaluation window"):
        decide_locally(chain, deployments, "builders", "STOP")
    end = spec.programme("builders").first_end
    chain.warp_to(end - WINDOW + DAY)
    cap = 900_000 * WAD
    decide_locally(chain, deployments, "builders", "ITERATE", cap)
    assert p.state() == State["EVALUATING"]
    assert p.pending_outcome() == Outcome["ITERATE"] and p.pending_cap() == cap
    # ITERATE beyond the declared bound: refused by the simulation with the programme's rule.
    with pytest.raises(OpsError, match="iterate outside bounds"):
        decide_locally(chain, deployments, "builders", "ITERATE", 500_000 * WAD)


def test_dial_moves_the_throttle_through_the_steward_safe_and_refuses_outside_bounds(local):
    chain, stack, deployments, spec, _, _ = local
    chain.warp_to(spec.programme("builders").first_start)
    steward = stack.safes["steward"]
    assert steward.nonce() == 0
    assert move_dial(chain, deployments, "builders", THROTTLE, 9_000, "ease emission") == 9_000
    p = chain.at("Programme", deployments.programmes["builders"].address)
    assert p.dial(dial_id(THROTTLE))[0] == 9_000
    assert steward.nonce() == 1  # one Safe transaction, two of its three owners signed
    with pytest.raises(OpsError, match=r"programme builders: .*dial outside bounds"):
        move_dial(chain, deployments, "builders", THROTTLE, 4_000, "too far")
    assert steward.nonce() == 1  # refused by the simulation: nothing approved or executed
    with pytest.raises(OpsError, match="not its steward"):
        move_dial(chain, deployments, "audits", THROTTLE, 9_000, "no steward")
    # The plain actor "steward" is not the steward: the Safe is.
    with pytest.raises(OpsError, match="not its steward"):
        move_dial(chain, deployments, "builders", THROTTLE, 8_000, "as the actor", sender=chain.actor(STEWARD_ACTOR))


def test_dial_command_outside_bounds_exits_2_with_the_reason(local, monkeypatch, capsys):
    """`tpp dial` at the command line: the simulation's revert reason, exit code 2."""
    from tpp import cli
    from tpp.workflow import connect
    from tpp.workflow import deployments as deployments_module

    chain, _, deployments, _, _, _ = local
    monkeypatch.setattr(connect, "open_chain", lambda *args, **kwargs: chain)
    monkeypatch.setattr(deployments_module, "load_deployments", lambda *args, **kwargs: deployments)
    monkeypatch.setattr("sys.argv", ["tpp", "dial", "builders", THROTTLE, "30%", "--reason", "far too far"])
    with pytest.raises(SystemExit) as exited:
        cli.main()
    assert exited.value.code == 2
    out = " ".join(capsys.readouterr().out.split())
    assert "programme builders" in out and "programme: dial outside bounds" in out


def test_submit_a_slate_to_the_governor(local):
    """`propose --submit`'s library half: Governor.propose from an account with votes."""
    from tpp.workflow.proposals import Decision, ProposalError, slate_payload, submit_payload

    chain, stack, deployments, _, _, _ = local
    payload = slate_payload([Decision("audits", "STOP")], {"audits": deployments.programmes["audits"].address})
    governor = stack.governance.tpp_governor
    pid = submit_payload(chain, governor.address, payload, proposer=chain.actor("delegate-0"))
    assert pid == payload.proposal_id and governor.state(pid) == 0  # PENDING
    with pytest.raises(ProposalError, match="not an address"):
        submit_payload(chain, "nope", payload)


def test_off_the_devnet_a_safe_steward_gets_the_call_its_owners_execute(local, monkeypatch):
    """On a chain tpp does not run (no local owners to sign), the refusal says what the
    steward's Safe should execute."""
    chain, _, deployments, _, _, _ = local
    monkeypatch.setattr(chain, "is_local", False)
    p = chain.at("Programme", deployments.programmes["builders"].address)
    with pytest.raises(OpsError, match=r"not its steward .* its owners execute to 0x[0-9a-fA-F]{40} the data 0x") as refused:
        move_dial(chain, deployments, "builders", THROTTLE, 9_000, "ease emission")
    data = str(refused.value).rsplit("the data 0x", 1)[1]
    assert bytes.fromhex(data) == p.move_dial.prepare_calldata(dial_id(THROTTLE), 9_000, "ease emission")
