"""The devnet and the keeper on a REAL anvil node: a programme advanced across an epoch end by
the keeper, the deployment surviving a stop / start of the node, and no duplicate
transactions from two keepers."""

import threading

import boa
import pytest

from tpp.base.vocab import ADMITTER_ADMIN_ROLE
from tpp.chain import Chain
from tpp.chain.anvil import free_port, rpc_call
from tpp.model.programme import ProgrammeSpec
from tpp.system.stack import TOKEN_MINTER_ROLE
from tpp.workflow import keeper as keeper_module
from tpp.workflow.deployments import Deployments, OpsError, ProgrammeRecord, load_deployments, record_programmes
from tpp.workflow.devnet import DEVNET_CHAIN_ID, devnet_chain, devnet_down, devnet_status, devnet_up
from tpp.workflow.keeper import advance_due, keeper, status

pytestmark = [pytest.mark.integration, pytest.mark.ignore_isolation]

DAY = 86_400
WAD = 10**18
CYCLE = 30 * DAY
WINDOW = 7 * DAY


@pytest.fixture
def restore_env():
    previous = boa.env
    yield
    boa.set_env(previous)


def _create_programme(chain, root):
    """On the devnet's stack: one TPP vote lets the Budget mint, the factory admit, and
    creates a two-epoch stream (default CONTINUE); recorded as "builders"."""
    deployments = load_deployments(DEVNET_CHAIN_ID, root)
    s = deployments.stack
    token = chain.artifact_at("TppToken", s["token"])
    budget = chain.at("Budget", s["budget"])
    factory = chain.at("ProgrammeFactory", s["factory"])
    gap = chain.artifact_at("TppGovernor", s["gap_governor"])
    tpp = chain.artifact_at("TppGovernor", s["tpp_governor"])
    delegates = [chain.actor(f"delegate-{i}") for i in range(4)]

    from tpp.system.governance import run_proposal

    def vote(governor, calls, description):
        run_proposal(
            chain,
            governor,
            [str(c.address) for c, _, _ in calls],
            [0] * len(calls),
            [getattr(c, fn).prepare_calldata(*args) for c, fn, args in calls],
            description,
            delegates,
        )

    genesis = chain.now() - chain.now() % DAY + DAY
    vote(
        gap,
        [
            (budget, "set_inflation_threshold", (10 * WAD,)),
            (budget, "set_allocation", (100_000_000 * WAD,)),
            (budget, "set_decision_cycle", (genesis, CYCLE, WINDOW)),
        ],
        "GAP: bounds",
    )
    start = budget.next_cycle_boundary(chain.now() + DAY)
    spec = ProgrammeSpec(
        kind="stream",
        target=chain.actor("builders-safe"),
        epoch_cap=1_000_000 * WAD,
        first_start=start,
        first_end=start + CYCLE,
        epoch_duration=CYCLE,
        window_length=WINDOW,
        guardian=chain.actor("guardian"),
        default_outcome="CONTINUE",
        max_epochs=2,
    )
    first = factory.programme_count()
    vote(
        tpp,
        [
            (token, "grantRole", (TOKEN_MINTER_ROLE, budget.address)),
            (budget, "grantRole", (ADMITTER_ADMIN_ROLE, factory.address)),
            (factory, "create_programmes", ([spec.as_tuple()],)),
        ],
        "TPP: builders stream",
    )
    record_programmes(deployments, chain, [("builders", "stream")], [factory.programme_at(first)])
    deployments.save()
    return deployments, start


def test_keeper_across_an_epoch_end_and_a_restart(tmp_path, restore_env):
    root = tmp_path / ".tpp"
    port = free_port()
    node = devnet_up(root, port)
    try:
        assert node["deployed"]
        chain = devnet_chain(root)
        deployments, start = _create_programme(chain, root)
        keeper_address = chain.actor("keeper")
        chain.set_sender(keeper_address)
        programme = chain.at("Programme", deployments.programmes["builders"].address)
        assert programme.state() == 1  # SCHEDULED

        # The keeper moves time (like a clock would) before each round.
        plan = {0: start, 2: programme.epoch_end()}

        def before_round(n):
            if n in plan:
                chain.warp_to(plan[n])
            elif n > 2:
                chain.warp(60)

        seen = []
        summary = keeper(chain, deployments, interval=0.01, max_rounds=4, before_round=before_round, on_action=seen.append)
        assert summary.rounds == 4
        assert [(a.name, a.old_state, a.new_state) for a in seen if a.sent] == [
            ("builders", "SCHEDULED", "RUNNING"),
            ("builders", "RUNNING", "RUNNING"),
        ]
        assert seen[1].transitions == (("RUNNING", "EVALUATING"), ("EVALUATING", "RUNNING"))
        assert programme.epoch() == 2 and programme.state() == 2
        assert summary.sent == 2 and "2 transaction(s) sent" in summary.line()

        # Two keepers at once: the second one's read was stale (it thought something was due);
        # its simulation on the latest state shows nothing to do, and it sends nothing.
        chain.warp_to(programme.epoch_end() - WINDOW)
        other = Chain.anvil(url=chain.url)
        other_sender = other.actor("keeper-2")
        other.set_sender(other_sender)
        first = advance_due(chain, deployments)
        assert [a.kind for a in first] == ["advanced"]
        nonce = rpc_call(chain.url, "eth_getTransactionCount", [other_sender, "latest"])
        original = keeper_module.is_due
        keeper_module.is_due = lambda p, now: True
        try:
            second = advance_due(other, deployments)
        finally:
            keeper_module.is_due = original
        assert [(a.kind, a.sent) for a in second] == [("skipped", False)]
        assert rpc_call(chain.url, "eth_getTransactionCount", [other_sender, "latest"]) == nonce
        assert advance_due(chain, deployments) == []
        chain.activate()
        before = {k: status(chain, deployments)[0][k] for k in ("state", "epoch", "epoch_end", "minter", "cap")}
        assert before["state"] == "EVALUATING"
    finally:
        assert devnet_down(root)
    assert not devnet_status(root)["running"]
    assert (root / "devnet" / "state.json").exists()

    # Start again from the saved state: the stack, the programme and its state are back.
    node = devnet_up(root, port)
    try:
        assert not node["deployed"]
        chain = devnet_chain(root)
        again = load_deployments(DEVNET_CHAIN_ID, root)
        after = {k: status(chain, again)[0][k] for k in ("state", "epoch", "epoch_end", "minter", "cap")}
        assert after == before
        info = devnet_status(root)
        assert info["running"] and info["block"] > 0
    finally:
        devnet_down(root)


def test_keeper_stops_on_its_event_and_retries_rpc_failures(tmp_path, restore_env):
    """A keeper whose node is down retries with backoff, then gives up; the stop event ends a
    healthy keeper at once."""
    calls = []

    class Down:
        backend = "rpc"
        env = None

        def activate(self):
            return self

        def refresh(self):
            calls.append(0)

        def at(self, name, address):
            calls.append(1)
            raise ConnectionError("node down")

    deployments = Deployments(chain_id=1, programmes={"x": ProgrammeRecord("0x" + "11" * 20, "0x" + "22" * 20, "stream")})
    with pytest.raises(OpsError, match="did not answer after 3 retries"):
        keeper(Down(), deployments, interval=0.01, retries=3, backoff_base=0.001)
    assert calls.count(1) == 4

    stop = threading.Event()
    stop.set()
    assert keeper(Down(), deployments, interval=0.01, stop_event=stop).rounds == 0
