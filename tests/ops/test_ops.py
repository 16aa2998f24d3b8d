"""tpp.ops on the embedded chain: status, advancing only what is due, the deployments file."""

import boa
import pytest

from tests.fixtures.budget import DAY
from tpp.workflow.deployments import Deployments, ProgrammeRecord, load_deployments, record_programme
from tpp.workflow.keeper import advance_due, status


@pytest.fixture(scope="module")
def programmes(create, make_spec, safe, lp_token):
    (stream, stream_mech), (pool, pool_mech) = create(make_spec("stream", safe), make_spec("staking", lp_token.address, dials=()))
    deployments = Deployments(chain_id=1)
    record_programme(deployments, "builders", stream.address, stream_mech.address, "stream")
    record_programme(deployments, "pool", pool.address, pool_mech.address, "staking")
    return deployments, stream, pool


def test_status_before_start(chain, programmes, first_epoch):
    deployments, _, _ = programmes
    rows = {r["name"]: r for r in status(chain, deployments)}
    start, end = first_epoch
    builders = rows["builders"]
    assert builders["state"] == "SCHEDULED"
    assert builders["kind"] == "stream"
    assert builders["epoch"] == 1
    assert (builders["epoch_start"], builders["epoch_end"]) == (start, end)
    assert builders["window_start"] == end - 14 * DAY and not builders["in_window"]
    assert builders["next_state"] == "RUNNING" and builders["next_at"] == start
    assert builders["due"] is (start <= chain.now())
    assert builders["minted"] == 0 and builders["cap"] > 0
    assert builders["unlocked"] == 0
    assert builders["dials"]["throttle_bps"]["value"] == 10_000
    assert builders["dials"]["throttle_bps"]["lower"] == 5_000
    assert rows["pool"]["dials"] == {}


def test_status_unlock_grows_linearly(chain, programmes, first_epoch):
    deployments, _, _ = programmes
    start, end = first_epoch
    chain.warp_to(start + (end - start) // 2)
    row = status(chain, deployments)[0]
    assert row["unlocked"] == pytest.approx(row["cap"] // 2, rel=1e-6)
    assert row["due"] and row["next_state"] == "RUNNING"


def test_advance_due_only_when_due_and_idempotent(chain, programmes, first_epoch):
    deployments, stream, pool = programmes
    start, end = first_epoch
    if chain.now() < start:
        assert advance_due(chain, deployments) == []  # nothing due before the start
    chain.warp_to(start)
    actions = advance_due(chain, deployments)
    assert [(a.name, a.kind, a.old_state, a.new_state) for a in actions] == [
        ("builders", "advanced", "SCHEDULED", "RUNNING"),
        ("pool", "advanced", "SCHEDULED", "RUNNING"),
    ]
    assert actions[0].transitions == (("SCHEDULED", "RUNNING"),)
    assert "builders: SCHEDULED → RUNNING" in actions[0].line()
    # A second keeper right after: nothing is due any more, nothing is sent.
    assert advance_due(chain, deployments) == []
    assert stream.state() == 2 and pool.state() == 2

    # Across the window and the epoch end in one go: the default (CONTINUE) opens epoch 2.
    chain.warp_to(end)
    actions = advance_due(chain, {"builders": stream.address})
    assert [a.kind for a in actions] == ["advanced"]
    assert actions[0].transitions == (("RUNNING", "EVALUATING"), ("EVALUATING", "RUNNING"))
    assert stream.epoch() == 2
    assert advance_due(chain, {"builders": stream.address}) == []


def test_a_due_but_blocked_transition_is_not_sent(chain, programmes, first_epoch, budget, guardian):
    """At epoch end with the Budget paused, advance() would change nothing: skipped, not sent."""
    deployments, stream, _ = programmes
    start, end = first_epoch
    chain.warp_to(end)
    budget.pause(sender=guardian)
    rows = {r["name"]: r for r in status(chain, deployments)}
    assert rows["builders"]["due"] and rows["builders"]["waiting"] is None  # not evaluated yet
    first = advance_due(chain, {"builders": stream.address})
    # (each test starts from the module's state: SCHEDULED) Start and window still happen;
    # the epoch change waits for the Budget.
    assert first[0].transitions == (("SCHEDULED", "RUNNING"), ("RUNNING", "EVALUATING"))
    second = advance_due(chain, {"builders": stream.address})
    assert [(a.kind, a.old_state) for a in second] == [("skipped", "EVALUATING")]
    assert stream.state() == 3
    (row,) = [r for r in status(chain, deployments) if r["name"] == "builders"]
    assert row["waiting"] == "waiting for the Budget's guardian to unpause"


def test_a_programme_waiting_for_budget_room_is_skipped_with_the_reason(
    chain, programmes, first_epoch, budget, gap_executor, tpp_executor
):
    """At epoch end with every window the next epoch could end in full (the only room a held
    continuation can lack), advance() only logs that it waits: the keeper sends nothing and says why."""
    deployments, stream, _ = programmes
    start, end = first_epoch
    chain.warp_to(end - DAY)
    advance_due(chain, {"builders": stream.address})
    cycle = int(budget.cycle_length())
    budget.set_load_limit(1, sender=gap_executor)
    for k in range(1, 6):
        if int(budget.window_load(end + k * cycle)) == 0:
            budget.admit(boa.env.generate_address(f"window-{k}"), 10**18, end - DAY, end + k * cycle, sender=tpp_executor)
    chain.warp_to(end)
    (action,) = advance_due(chain, {"builders": stream.address})
    assert (action.kind, action.old_state) == ("skipped", "EVALUATING")
    assert action.detail.startswith("waiting: the Budget refused the next epoch (to ")
    assert action.detail.endswith("): budget: window load above limit")
    assert stream.state() == 3 and stream.epoch() == 1
    # `tpp status` says the same, and looking changes nothing.
    (row,) = [r for r in status(chain, deployments) if r["name"] == "builders"]
    assert row["waiting"] == action.detail
    assert stream.state() == 3 and stream.epoch() == 1


def test_deployments_round_trip(tmp_path):
    d = load_deployments(324, root=tmp_path)
    assert d.programmes == {} and d.stack == {}
    d.stack.update(token="0x" + "11" * 20, budget="0x" + "22" * 20, factory="0x" + "33" * 20)
    record_programme(d, "builders", "0x" + "44" * 20, "0x" + "55" * 20, "stream")
    path = d.save()
    assert path == tmp_path / "deployments" / "324.json"
    again = load_deployments(324, root=tmp_path)
    assert again.stack == d.stack
    assert again.programmes == {"builders": ProgrammeRecord("0x" + "44" * 20, "0x" + "55" * 20, "stream")}
    assert again.chain_id == 324


def test_accounts_from_keystore_or_environment(tmp_path, monkeypatch):
    import json

    from eth_account import Account

    from tpp.workflow.connect import account_from_environment
    from tpp.workflow.deployments import OpsError

    key = "0x" + "42" * 32
    keystore = tmp_path / "keeper.json"
    keystore.write_text(json.dumps(Account.encrypt(key, "correct horse", kdf="pbkdf2", iterations=1_000)))
    monkeypatch.delenv("TPP_PRIVATE_KEY", raising=False)
    monkeypatch.setenv("TPP_KEYSTORE_PASSWORD", "correct horse")
    assert account_from_environment(keystore).address == Account.from_key(key).address
    monkeypatch.delenv("TPP_KEYSTORE_PASSWORD")
    assert account_from_environment(keystore, prompt=lambda _: "correct horse").key.hex().endswith("42" * 32)
    with pytest.raises(OpsError, match="wrong password"):
        account_from_environment(keystore, prompt=lambda _: "wrong")
    with pytest.raises(OpsError, match="needs a password"):
        account_from_environment(keystore)
    assert account_from_environment() is None
    monkeypatch.setenv("TPP_PRIVATE_KEY", key)
    assert account_from_environment().address == Account.from_key(key).address
    monkeypatch.setenv("TPP_PRIVATE_KEY", "not a key")
    with pytest.raises(OpsError, match="not a private key"):
        account_from_environment()
