"""`tpp index` on a real anvil node: a reorg (evm_snapshot / evm_revert, then other
transactions) is detected and rolled back, and an indexer killed with SIGKILL mid-run resumes;
both end equal to a fresh index of the same chain."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import time

import boa
import pytest

from tests.cli.test_check_cli import run as run_cli
from tests.fixtures.budget import DAY
from tests.index.test_index import table_contents
from tests.ops.test_deploy_decide import write_local_spec
from tpp.chain.anvil import free_port, rpc_call
from tpp.workflow.deployments import load_deployments
from tpp.workflow.devnet import DEVNET_CHAIN_ID, devnet_chain, devnet_down, devnet_up
from tpp.workflow.index import RpcLogs, index_chain, verify_index
from tpp.workflow.keeper import advance_due
from tpp.workflow.local import deploy_file

pytestmark = [pytest.mark.integration, pytest.mark.ignore_isolation]

# The indexer run in a subprocess: one block per batch, a pause after each commit.
KILLED_INDEXER = """
import sys, time
from pathlib import Path
from tpp.workflow.deployments import load_deployments
from tpp.workflow.index import RpcLogs, index_chain
url, root, db = sys.argv[1:4]
source = RpcLogs(url)
deployments = load_deployments(source.chain_id(), Path(root))
index_chain(source, deployments, Path(db), confirmations=0, batch_blocks=1, on_batch=lambda *progress: time.sleep(0.02))
"""


@pytest.fixture(scope="module")
def devnet(tmp_path_factory):
    """The devnet with the stack and the local spec's two programmes, created by one vote."""
    previous = boa.env
    base = tmp_path_factory.mktemp("devnet")
    root = base / ".tpp"
    try:
        node = devnet_up(root, free_port())
        chain = devnet_chain(root)
        deployments = load_deployments(DEVNET_CHAIN_ID, root)
        deploy_file(chain, write_local_spec(chain, base / "spec.toml", deployments), deployments)
        deployments.save()
        yield chain, str(node["url"]), root, deployments
    finally:
        devnet_down(root)
        boa.set_env(previous)


def test_a_reorg_is_rolled_back_and_indexed_again(devnet, tmp_path):
    chain, url, _, deployments = devnet
    source = RpcLogs(url)
    path = tmp_path / "reorg.sqlite"
    index_chain(source, deployments, path, confirmations=0)
    builders = chain.at("Programme", deployments.programmes["builders"].address)
    start = builders.epoch_start()

    snapshot = rpc_call(url, "evm_snapshot", [])
    chain.warp_to(start)
    assert advance_due(chain, deployments)  # both programmes start: Transition logs
    before = index_chain(source, deployments, path, confirmations=0)
    assert before.new_logs > 0 and before.rolled_back_from is None

    # The node forgets those blocks; other transactions take their numbers.
    assert rpc_call(url, "evm_revert", [snapshot]) is True
    chain.refresh()
    chain.warp_to(start + 3 * DAY)
    assert advance_due(chain, deployments)
    chain.refresh()
    chain.at("LinearStream", deployments.programmes["builders"].mechanism).claim()
    after = index_chain(source, deployments, path, confirmations=0)
    assert after.rolled_back_from is not None and after.rolled_back_from <= before.last_block
    assert after.last_block == source.head()

    fresh = tmp_path / "fresh.sqlite"
    index_chain(source, deployments, fresh, confirmations=0)
    assert table_contents(path) == table_contents(fresh)
    db = sqlite3.connect(path)
    assert db.execute("SELECT COUNT(*) FROM logs WHERE event = 'Minted'").fetchone()[0] == 1
    db.close()
    assert "match the chain" in verify_index(source, path).line()


def test_an_indexer_killed_mid_run_resumes_without_loss_or_double_count(devnet, tmp_path):
    """Killed three times (at a quarter, half and three quarters of the chain), each time
    resumed by a new process from where the last one's final commit left the cursor."""
    chain, url, root, deployments = devnet
    source = RpcLogs(url)
    path = tmp_path / "killed.sqlite"
    head = source.head()
    kills = []
    for quarter in (1, 2, 3):
        before = _cursor(path)
        kills.append(_kill_when(url, root, path, head * quarter // 4))
        assert before <= kills[-1] < head
    assert kills == sorted(kills) and kills[0] < kills[-1]
    resumed = index_chain(source, deployments, path, confirmations=0)
    assert resumed.first_block == kills[-1] + 1 and resumed.last_block == head

    fresh = tmp_path / "fresh.sqlite"
    index_chain(source, deployments, fresh, confirmations=0)
    assert table_contents(path) == table_contents(fresh)
    verify_index(source, path)


def _kill_when(url, root, path, block) -> int:
    """Run the indexer in a subprocess, SIGKILL it once its cursor reaches `block`; the cursor
    it left."""
    process = subprocess.Popen([sys.executable, "-c", KILLED_INDEXER, url, str(root), str(path)])
    try:
        deadline = time.monotonic() + 120
        while _cursor(path) < block and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.01)
        assert process.poll() is None, "the indexer ended before it was killed"
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=30)
    return _cursor(path)


def test_the_default_confirmations_leave_the_newest_blocks(devnet, tmp_path):
    _, url, _, deployments = devnet
    source = RpcLogs(url)
    summary = index_chain(source, deployments, tmp_path / "confirmed.sqlite")
    assert summary.last_block == source.head() - 2


def _cursor(path) -> int:
    if not path.exists():
        return -1
    db = sqlite3.connect(path)
    try:
        row = db.execute("SELECT block FROM cursor WHERE id = 1").fetchone()
    except sqlite3.OperationalError:
        return -1  # the schema is not there yet
    finally:
        db.close()
    return -1 if row is None else int(row[0])


def test_the_cli_indexes_the_devnet_and_verifies(devnet, monkeypatch, capsys):
    _, url, root, _ = devnet
    code, out = run_cli(["index", "--devnet", "--root", str(root), "--confirmations", "0", "--verify"], monkeypatch, capsys)
    assert code == 0, out
    path = root / "index" / f"{DEVNET_CHAIN_ID}.sqlite"
    assert f"{path}:" in out and "contracts" in out and "match the chain" in out
    code, out = run_cli(["index", "--rpc", url, "--root", str(root), "--confirmations", "-1"], monkeypatch, capsys)
    assert code == 2 and "--confirmations must be 0 or more" in out
