"""`tpp index` on the embedded chain: programmes created by the factory, epochs switched,
mints, a kill; the index reconciles with the chain, a tampered index does not, and indexing in
steps ends equal to indexing once."""

import sqlite3

import pytest

from tests.cli.test_check_cli import run as run_cli
from tests.fixtures.budget import DAY
from tpp.base.vocab import THROTTLE, dial_id
from tpp.chain.anvil import AnvilError
from tpp.workflow.deployments import Deployments
from tpp.workflow.index import IndexProblem, LogQuery, LogRecorder, LogSource, RangeRefused, RpcLogs, index_chain, verify_index

TABLES = ("blocks", "logs", "contracts", "cursor")


def table_contents(path):
    """Every row of every table, sorted: two indexes are equal when these are."""
    db = sqlite3.connect(path)
    try:
        return {table: sorted(db.execute(f"SELECT * FROM {table}").fetchall(), key=repr) for table in TABLES}
    finally:
        db.close()


@pytest.fixture(scope="module", autouse=True)
def recorder(chain):
    """Recording starts before this module deploys anything (module fixtures come after)."""
    recording = LogRecorder(chain).attach()
    yield recording
    recording.detach()


@pytest.fixture(scope="module")
def deployments(budget, factory, token):
    return Deployments(
        chain_id=1, stack={"budget": str(budget.address), "factory": str(factory.address), "token": str(token.address)}
    )


@pytest.fixture(scope="module")
def run(chain, create, make_spec, safe, steward, first_epoch, tpp_executor, lp_token, recorder, deployments, tmp_path_factory):
    """Two programmes from one factory call; the stream claims through two epochs and its
    epochs switch; the staking programme is killed. Indexed in three steps on the way."""
    steps = tmp_path_factory.mktemp("index") / "steps.sqlite"
    (stream, stream_mech), (pool, _) = create(make_spec("stream", safe), make_spec("staking", lp_token.address, dials=()))
    index_chain(recorder, deployments, steps)  # step 1: creation only
    start, end = first_epoch
    chain.warp_to(start)
    stream.advance(sender=tpp_executor)
    pool.advance(sender=tpp_executor)
    for day in (10, 30, 60):
        chain.warp_to(start + day * DAY)
        stream_mech.claim(sender=safe)
    index_chain(recorder, deployments, steps)  # step 2: the first epoch's mints
    # More in the block just indexed (an embedded chain's block grows until time moves): the
    # next run sees its hash change and indexes it again.
    stream.move_dial(dial_id(THROTTLE), 9_000, "index test", sender=steward)
    chain.warp_to(end)
    stream.advance(sender=tpp_executor)  # the default CONTINUE opens epoch 2: a new minter
    assert stream.epoch() == 2
    chain.warp_to(end + 5 * DAY)
    stream_mech.claim(sender=safe)
    stream_mech.claim(sender=safe)  # the same block: indexed again when the block grows
    pool.kill(sender=tpp_executor)
    chain.warp(12)
    third = index_chain(recorder, deployments, steps)  # step 3: the rest
    assert third.rolled_back_from is not None
    return steps, stream, pool


def test_index_reconciles_with_the_chain(run, recorder, deployments, tmp_path):
    steps, stream, pool = run
    fresh = tmp_path / "fresh.sqlite"
    summary = index_chain(recorder, deployments, fresh)
    assert summary.logs == summary.new_logs > 0 and summary.rolled_back_from is None
    db = sqlite3.connect(fresh)
    roles = dict(db.execute("SELECT role, COUNT(*) FROM contracts GROUP BY role").fetchall())
    assert roles == {"budget": 1, "factory": 1, "token": 1, "programme": 2, "mechanism": 2, "epoch_minter": 3}
    events = {row[0] for row in db.execute("SELECT DISTINCT event FROM logs")}
    assert {"ProgrammeCreated", "EpochOpened", "Transition", "Minted", "EpochAdmitted", "Transfer"} <= events
    assert db.execute("SELECT COUNT(*) FROM logs WHERE event = 'Minted'").fetchone()[0] == 5
    db.close()
    result = verify_index(recorder, fresh)
    assert {c[0] for c in result.checks} == {"epoch_minter", "budget", "programme"}
    assert pool.state() == 6  # KILLED, and the index says so too
    assert "3 epoch minter(s)" in result.line()


def test_indexing_in_steps_equals_one_run(run, recorder, deployments, tmp_path):
    steps, _, _ = run
    fresh = tmp_path / "fresh.sqlite"
    index_chain(recorder, deployments, fresh)
    index_chain(recorder, deployments, steps)
    assert table_contents(steps) == table_contents(fresh)


def test_small_batches_equal_one_batch(run, recorder, deployments, tmp_path):
    """Contracts discovered in the batch of their first events or before a later batch's: the
    same index. (The embedded chain counts a block per 12 seconds warped: 1.3m blocks here.)"""
    one, small = tmp_path / "one.sqlite", tmp_path / "small.sqlite"
    assert index_chain(recorder, deployments, one, batch_blocks=10_000_000).batches == 1
    assert index_chain(recorder, deployments, small, batch_blocks=997).batches > 1_000
    assert table_contents(one) == table_contents(small)


def test_a_tampered_index_fails_verify_naming_the_minter(run, recorder, deployments, tmp_path):
    path = tmp_path / "tampered.sqlite"
    index_chain(recorder, deployments, path)
    db = sqlite3.connect(path)
    minter = db.execute("SELECT address FROM logs WHERE event = 'Minted' ORDER BY block LIMIT 1").fetchone()[0]
    db.execute(
        "DELETE FROM logs WHERE rowid = (SELECT rowid FROM logs WHERE event = 'Minted' AND address = ? LIMIT 1)", (minter,)
    )
    db.commit()
    db.close()
    with pytest.raises(IndexProblem, match=rf"epoch minter {minter}: indexed \d+, on chain \d+") as caught:
        verify_index(recorder, path)
    assert "Budget" in str(caught.value)


def test_bad_input_writes_nothing(recorder, deployments, tmp_path):
    path = tmp_path / "bad.sqlite"
    with pytest.raises(IndexProblem, match="no Budget recorded for chain 1"):
        index_chain(recorder, Deployments(chain_id=1), path)
    with pytest.raises(IndexProblem, match="--confirmations must be 0 or more"):
        index_chain(recorder, deployments, path, confirmations=-1)
    assert not path.exists()
    with pytest.raises(IndexProblem, match="is a directory"):
        index_chain(recorder, deployments, tmp_path)
    index_chain(recorder, deployments, path)
    with pytest.raises(IndexProblem, match="indexes chain 1, not chain 5"):
        index_chain(recorder, Deployments(chain_id=5, stack=deployments.stack), path)
    with pytest.raises(IndexProblem, match="no index yet"):
        verify_index(recorder, tmp_path / "missing.sqlite")
    other = tmp_path / "other.sqlite"
    db = sqlite3.connect(other)
    db.execute("CREATE TABLE notes (text TEXT)")
    db.commit()
    db.close()
    with pytest.raises(IndexProblem, match="not a tpp index database"):
        index_chain(recorder, deployments, other)
    garbage = tmp_path / "garbage.sqlite"
    garbage.write_text("not sqlite at all " * 100)
    with pytest.raises(IndexProblem, match="not a tpp index database"):
        index_chain(recorder, deployments, garbage)
    assert garbage.read_text() == "not sqlite at all " * 100
    db = sqlite3.connect(other)
    assert [r[0] for r in db.execute("SELECT name FROM sqlite_master")] == ["notes"]
    db.close()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--rpc", "http://127.0.0.1:9", "--devnet"], "pass --rpc URL or --devnet, not both"),
        (["--rpc", "http://127.0.0.1:9"], "http://127.0.0.1:9: the node did not answer eth_chainId"),
        ([], "the devnet is not running"),
    ],
)
def test_cli_bad_input_is_one_line_exit_2_and_writes_nothing(args, message, tmp_path, monkeypatch, capsys):
    root = tmp_path / ".tpp"
    code, out = run_cli(["index", *args, "--root", str(root)], monkeypatch, capsys)
    assert code == 2, out
    assert message in out and "Traceback" not in out
    assert not root.exists()


class Refusing(LogSource):
    """The recorder behind a node that refuses ranges wider than `widest` blocks."""

    def __init__(self, inner, widest):
        self.inner, self.widest, self.ranges = inner, widest, []
        self.confirmations = inner.confirmations

    def head(self):
        return self.inner.head()

    def block(self, number):
        return self.inner.block(number)

    def view(self, contract, address, function, block):
        return self.inner.view(contract, address, function, block)

    def logs(self, first, last, query):
        self.ranges.append(last - first + 1)
        if last - first + 1 > self.widest:
            raise RangeRefused(f"range above {self.widest} blocks")
        return self.inner.logs(first, last, query)


def test_refused_ranges_are_halved_and_grown_back(run, recorder, deployments, tmp_path):
    one, refused = tmp_path / "one.sqlite", tmp_path / "refused.sqlite"
    index_chain(recorder, deployments, one, batch_blocks=10_000_000)
    source = Refusing(recorder, widest=300_000)
    lines = []
    index_chain(source, deployments, refused, batch_blocks=1_000_000, say=lines.append)
    assert table_contents(refused) == table_contents(one)
    assert max(r for r in source.ranges if r <= 300_000) > 150_000  # halved to what the node takes, not below
    assert any("range above 300000 blocks; trying" in line for line in lines)
    verify_index(source, refused)


def test_rpc_refusals_and_oversized_answers_ask_for_a_smaller_range():
    def refuse(url, method, params):
        raise AnvilError("eth_getLogs: query exceeds max block range 1000")

    query = LogQuery(("0x" + "11" * 20,))
    with pytest.raises(RangeRefused, match="max block range"):
        RpcLogs("http://node", call=refuse).logs(0, 5_000, query)
    with pytest.raises(IndexProblem, match="refused block 7"):
        RpcLogs("http://node", call=refuse).logs(7, 7, query)
    many = [
        {
            "blockNumber": "0x1",
            "logIndex": hex(i),
            "transactionHash": "0x00",
            "address": query.addresses[0],
            "topics": [],
            "data": "0x",
            "blockHash": "0x00",
        }
        for i in range(10_001)
    ]
    with pytest.raises(RangeRefused, match="10001 logs"):
        RpcLogs("http://node", call=lambda url, method, params: many).logs(0, 1, query)
    assert len(RpcLogs("http://node", call=lambda url, method, params: many).logs(1, 1, query)) == 10_001


def test_a_lost_transition_fails_verify_naming_the_programme(run, recorder, deployments, tmp_path):
    _, _, pool = run
    path = tmp_path / "tampered.sqlite"
    index_chain(recorder, deployments, path)
    db = sqlite3.connect(path)
    db.execute(
        "DELETE FROM logs WHERE rowid = (SELECT rowid FROM logs WHERE event = 'Transition' AND address = ?"
        " ORDER BY block DESC, log_index DESC LIMIT 1)",
        (str(pool.address),),
    )
    db.commit()
    db.close()
    with pytest.raises(IndexProblem, match=rf"programme {pool.address}: indexed state \w+ \(\d\), on chain KILLED \(6\)"):
        verify_index(recorder, path)


def test_a_node_that_sends_block_times_with_its_logs_is_read_without_headers(run, recorder, deployments, tmp_path):
    """Nodes that put `blockHash` and `blockTimestamp` on every log (anvil, recent geth) spare
    the indexer a header read per block: only the cursor's block is read when it has no log.
    The index is the same as one built from headers."""
    headers = []

    def node(url, method, params):
        if method == "eth_blockNumber":
            return hex(recorder.head())
        if method == "eth_getBlockByNumber":
            number = int(params[0], 16)
            headers.append(number)
            block_hash, time = recorder.block(number)
            return {"hash": block_hash, "timestamp": hex(time)}
        assert method == "eth_getLogs", method
        f = params[0]
        topics = tuple(None if t is None else tuple(bytes.fromhex(v[2:]) for v in t) for t in f.get("topics", []))
        query = LogQuery(tuple(f.get("address", ())), topics)
        out = []
        for log in recorder.logs(int(f["fromBlock"], 16), int(f["toBlock"], 16), query):
            block_hash, time = recorder.block(log.block)
            out.append(
                {
                    "blockNumber": hex(log.block),
                    "logIndex": hex(log.log_index),
                    "transactionHash": log.tx_hash,
                    "address": log.address,
                    "topics": ["0x" + t.hex() for t in log.topics],
                    "data": "0x" + log.data.hex(),
                    "blockHash": block_hash,
                    "blockTimestamp": hex(time),
                }
            )
        return out

    class Node(RpcLogs):
        confirmations = 0

        def view(self, contract, address, function, block):
            return recorder.view(contract, address, function, block)

    from_logs, from_headers = tmp_path / "logs.sqlite", tmp_path / "headers.sqlite"
    summary = index_chain(Node("http://node", call=node), deployments, from_logs, batch_blocks=10_000_000)
    index_chain(recorder, deployments, from_headers, batch_blocks=10_000_000)
    assert summary.batches == 1 and summary.blocks > 1
    assert set(headers) <= {recorder.head()}  # at most the cursor's own block, once
    assert table_contents(from_logs) == table_contents(from_headers)
