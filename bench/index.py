"""Index and dashboard benchmark: how fast `tpp index` reads a real node, how big its database
grows, and how long the dashboard takes to render a page over it.

One run, one real anvil node (the devnet, under a temporary root, on a free loopback port):

1. The chain. The local stack and a two-programme portfolio (a stream and a staking pool, one
   TPP vote) are deployed, time is moved to the first epoch's start and both programmes are
   advanced; then some 50,000 ordinary transactions are sent: in every block `claim()` on the
   stream (one a block: a second claim in the same second mints nothing) and eleven of
   `stake`, `claim` and `withdraw` on the staking pool from twelve stakers, 12 seconds of chain
   time between blocks. About 27 indexed logs a block: dense. One transaction a block would be
   the realistic layout of a quiet chain, but anvil (1.7.1) mines slower the longer its chain
   (about 450 blocks/s at first, under 100 blocks/s after 4,000 blocks, the state kept or not),
   so 100,000 logs at three a block would take far longer than the benchmark's budget. How
   they are sent, the fastest way found that does not stall: automine off,
   `eth_sendTransaction` from impersonated accounts with a fixed gas limit (no estimate) and
   nonces counted here, one request at a time over one kept-alive HTTP connection, then
   `evm_mine`. (With automine on, anvil answers before it mines and, sent faster than it mines,
   now and then leaves a mined transaction in its pool, after which it mines nothing more; a
   JSON-RPC batch is refused without nonces.) `--per-block` changes the layout.
2. Throughput. `index_chain(RpcLogs(url), deployments, db, confirmations=0)` from scratch into
   a fresh SQLite file, against raw `eth_getLogs`: the very requests the first index run sent
   (same block ranges, same address and topic filters, recorded through `RpcLogs`' transport),
   replayed with the same transport and nothing else (no decoding, no block headers, no
   database). Both are taken as the indexed logs over their wall time, so their ratio is
   raw seconds / index seconds. The two alternate for several rounds (index first, then raw
   first, ...), so a burst of load on the shared machine hits both; reported: the median
   ratio and its spread. Every index run's time in each RPC method is measured too (the
   transport is timed), and a full run ends with one more index run, of the chain's first
   blocks, under cProfile: together they say where the time goes. Target: index / raw at
   least 0.5.
3. The database: its size after a WAL checkpoint (the file and any -wal file), per 100,000
   indexed logs.
4. The dashboard (`tpp.workflow.dashboard`): each of `page_urls(db)` rendered through
   Starlette's TestClient (in process, no network) over the index, repeated and interleaved
   over rounds; median and p90 per page, the spread of each page's median between rounds, and
   a fixed CPU loop timed before, between and after the rounds as a reference for the
   machine's noise. The cost of loading the index into memory (what the first page after a
   new batch pays) is reported apart. Target: every page's median at most 300 ms.

This is a benchmark, not a test: nothing here asserts a number. Outputs: bench/results/index.json,
bench/results/index.md and the "Index and dashboard" section of docs/PERFORMANCE.md (`--quick`
writes bench/results/index-quick.json and .md only, and leaves the docs alone).

Run from the repository root:  .venv/bin/python bench/index.py [--quick] [--no-profile] [--blocks N] [--per-block K]
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import dataclasses
import datetime as dt
import http.client
import io
import itertools
import json
import os
import platform
import pstats
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
import urllib.parse
import warnings
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO / "src") not in sys.path:  # tpp is installed editable; this only helps bare checkouts
    sys.path.insert(0, str(REPO / "src"))

import boa
from eth_utils import keccak, to_checksum_address
from rich.console import Console
from rich.table import Table

from perfdoc import PERFORMANCE_DOC, write_section
from tpp.base import units
from tpp.chain.anvil import free_port, rpc_call
from tpp.chain.artifacts import anvil_executable
from tpp.workflow.deployments import Deployments, load_deployments, safe_key
from tpp.workflow.devnet import DEVNET_CHAIN_ID, devnet_chain, devnet_down, devnet_up
from tpp.workflow.index import DEFAULT_BATCH_BLOCKS, MAX_LOGS_PER_REQUEST, RpcLogs, index_chain
from tpp.workflow.keeper import advance_due
from tpp.workflow.local import deploy_file

RESULTS_DIR = REPO / "bench" / "results"
HEADING = "Index and dashboard"

DAY = 86_400
WAD = 10**18
PER = 100_000  # sizes are given per this many indexed logs
BLOCK_SECONDS = 12  # chain time between two blocks while the transactions are sent
GAS = 600_000  # gas limit of every generated transaction (no estimate: anvil runs it once)
STAKERS = 12
PER_BLOCK = 11  # staking transactions in each block, besides the stream's claim
PROFILE_BLOCKS = 1_200  # blocks of the chain the profiled index run reads
STAKE = 10 * WAD  # stake token units each stake moves in and each withdrawal moves out

# --- targets ---------------------------------------------------------------------------------

INDEX_VS_RAW = 0.5  # index throughput over raw eth_getLogs throughput, at least
PAGE_MS = 300.0  # dashboard server time per page (median), at most
PAGE_ROUND_BUDGET = 12.0  # seconds one page may take per dashboard round (fewer renders if slow)


@dataclass(frozen=True)
class Sizes:
    blocks: int  # generated after the set-up, each with 1 + per_block transactions
    per_block: int
    rounds: int  # index / raw rounds
    page_reps: int  # renders of each page per dashboard round
    page_rounds: int


FULL = Sizes(blocks=4_300, per_block=PER_BLOCK, rounds=3, page_reps=7, page_rounds=3)
QUICK = Sizes(blocks=200, per_block=PER_BLOCK, rounds=1, page_reps=3, page_rounds=1)

# The portfolio: a stream and a staking pool, cycles from the day after tomorrow, both first
# epochs one cycle later (the votes take days of chain time).
SPEC = """\
title = "index benchmark"

[globals]
token = "ZK"
decimals = 18
inflation_threshold = "100 ZK/s"
allocation = "100m ZK"
max_share = "25%"
cycle_genesis = "{genesis}"
cycle_length = "30d"
window_length = "7d"
load_limit = 4

[programme.stream]
kind = "stream"
recipient = "{recipient}"
epoch_cap = "1m ZK"
first_start = "{start}"
first_end = "{end}"
epoch_duration = "30d"
evaluation_window = "7d"
guardian = "{guardian}"

[programme.pool]
kind = "staking"
stake_token = "{stake_token}"
epoch_cap = "1m ZK"
first_start = "{start}"
first_end = "{end}"
epoch_duration = "30d"
evaluation_window = "7d"
guardian = "{guardian}"
"""


def selector(signature: str) -> bytes:
    return keccak(text=signature)[:4]


def word(value: int | str) -> bytes:
    """One ABI word: an integer, or an address."""
    if isinstance(value, str):
        return bytes.fromhex(value[2:]).rjust(32, b"\0")
    return value.to_bytes(32, "big")


CLAIM = selector("claim()")
STAKE_CALL = selector("stake(uint256)") + word(STAKE)
WITHDRAW_CALL = selector("withdraw(uint256)") + word(STAKE)


def account(label: str) -> str:
    """A fresh address nobody else uses (anvil impersonates it: no key is needed)."""
    return to_checksum_address(keccak(text=f"tpp index bench: {label}")[12:])


# --- noise reference ---------------------------------------------------------------------------


def cpu_reference() -> float:
    """Seconds of a fixed pure-Python loop: on a quiet machine always about the same, so its
    spread over a run is the machine's noise."""
    started = time.perf_counter()
    total = 0
    for i in range(1_500_000):
        total += i * i % 7
    if total < 0:  # never true; keeps the loop from looking dead
        raise AssertionError
    return time.perf_counter() - started


# --- 1. the chain ------------------------------------------------------------------------------


class Connection:
    """JSON-RPC over one kept-alive HTTP connection (urllib opens a new one per request)."""

    def __init__(self, url: str):
        parts = urllib.parse.urlsplit(url)
        self._http = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port or 80, timeout=60)
        self._ids = itertools.count(1)
        self._nonces: dict[str, int] = {}

    def call(self, method: str, params: list) -> Any:
        body = json.dumps({"jsonrpc": "2.0", "id": next(self._ids), "method": method, "params": params})
        self._http.request("POST", "/", body, {"Content-Type": "application/json"})
        reply = json.loads(self._http.getresponse().read())
        if "error" in reply:
            raise RuntimeError(f"{method}: {reply['error'].get('message', reply['error'])}")
        return reply["result"]

    def send(self, sender: str, to: str, data: bytes) -> str:
        """Send a transaction with the sender's next nonce, counted here: anvil mines in the
        background, and when it picks the nonce itself while its miner is busy it can hand out
        one already taken, and the pool then stalls behind that transaction."""
        if sender not in self._nonces:
            self._nonces[sender] = int(self.call("eth_getTransactionCount", [sender, "pending"]), 16)
        nonce = self._nonces[sender]
        self._nonces[sender] = nonce + 1
        transaction = {"from": sender, "to": to, "data": "0x" + data.hex(), "gas": hex(GAS), "nonce": hex(nonce)}
        return self.call("eth_sendTransaction", [transaction])

    def close(self) -> None:
        self._http.close()


@dataclass
class Devnet:
    url: str
    root: Path
    deployments: Deployments
    stake_token: str
    owner: str  # may mint the stake token
    setup_seconds: float = 0.0


def start_devnet(base: Path) -> Devnet:
    """The devnet under `base`, the stack on it, the portfolio voted and both programmes
    running (their first epochs open)."""
    started = time.perf_counter()
    root = base / ".tpp"
    node = devnet_up(root, free_port())
    chain = devnet_chain(root)
    deployments = load_deployments(DEVNET_CHAIN_ID, root)
    owner = chain.actor("stake-token-owner")
    with contextlib.redirect_stdout(io.StringIO()):
        stake_token = str(chain.deploy("testing/StakeToken", "Bench LP", "BLP", 18, sender=owner).address)
    now = chain.now()
    genesis = now - now % DAY + 2 * DAY
    spec = base / "spec.toml"
    spec.write_text(
        SPEC.format(
            genesis=units.format_date(genesis),
            start=units.format_date(genesis + 30 * DAY),
            end=units.format_date(genesis + 60 * DAY),
            recipient=deployments.stack[safe_key("recipient")],
            guardian=deployments.stack[safe_key("guardian")],
            stake_token=stake_token,
        ),
        encoding="utf-8",
    )
    with contextlib.redirect_stdout(io.StringIO()):
        deploy_file(chain, spec, deployments)
    deployments.save()
    stream = chain.at("Programme", deployments.programmes["stream"].address)
    chain.warp_to(int(stream.epoch_start()))
    with contextlib.redirect_stdout(io.StringIO()):
        actions = advance_due(chain, deployments)
    advanced = sorted(a.name for a in actions if a.kind == "advanced")
    if advanced != ["pool", "stream"]:
        raise RuntimeError(f"the programmes did not start: {actions}")
    return Devnet(str(node["url"]), root, deployments, stake_token, owner, time.perf_counter() - started)


@dataclass
class Generation:
    transactions: int
    blocks: int
    seconds: float
    first_block: int
    last_block: int
    sent: dict[str, int] = field(default_factory=dict)  # transactions per kind
    slowest_blocks_per_second: float = 0.0  # over the last tenth of the blocks

    @property
    def rate(self) -> float:
        return self.transactions / self.seconds


Transaction = tuple[str, str, str, bytes]  # kind, sender, to, calldata


def plan(blocks: int, per_block: int, stream: str, pool: str, claimer: str, stakers: list[str]) -> list[list[Transaction]]:
    """The transactions of each block: the stream's claim, then `per_block` staking ones, the
    stakers in turn, each going stake, claim, withdraw (so no stake runs out)."""
    cycle = (("stake", STAKE_CALL), ("pool claim", CLAIM), ("withdraw", WITHDRAW_CALL))
    turns = [0] * len(stakers)
    turn = itertools.count()
    out = []
    for _ in range(blocks):
        block: list[Transaction] = [("stream claim", claimer, stream, CLAIM)]
        for _ in range(per_block):
            who = next(turn) % len(stakers)
            kind, data = cycle[turns[who] % len(cycle)]
            turns[who] += 1
            block.append((kind, stakers[who], pool, data))
        out.append(block)
    return out


def waiting(url: str) -> int:
    """Transactions in anvil's pool, not mined yet."""
    status = rpc_call(url, "txpool_status")
    return int(status["pending"], 16) + int(status["queued"], 16)


def generate(devnet: Devnet, blocks: int, per_block: int, note: Callable[[str], None]) -> Generation:
    """Fund the accounts, give the stakers stake tokens and approvals, then mine `blocks`
    blocks of 1 + `per_block` transactions, 12 s of chain time apart."""
    url, programmes = devnet.url, devnet.deployments.programmes
    stream, pool = programmes["stream"].mechanism, programmes["pool"].mechanism
    claimer, stakers = account("claimer"), [account(f"staker {i}") for i in range(STAKERS)]
    rpc_call(url, "anvil_autoImpersonateAccount", [True])
    for address in [claimer, *stakers]:
        rpc_call(url, "anvil_setBalance", [address, hex(10**24)])
    rpc_call(url, "evm_setAutomine", [False])  # blocks are mined below, one `evm_mine` each
    connection = Connection(url)
    try:
        for staker in stakers:
            connection.send(
                devnet.owner, devnet.stake_token, selector("mint(address,uint256)") + word(staker) + word(10**6 * WAD)
            )
            connection.send(staker, devnet.stake_token, selector("approve(address,uint256)") + word(pool) + word(2**256 - 1))
        connection.call("evm_mine", [])
        rpc_call(url, "anvil_setBlockTimestampInterval", [BLOCK_SECONDS])
        layout = plan(blocks, per_block, stream, pool, claimer, stakers)
        first = int(rpc_call(url, "eth_blockNumber"), 16) + 1
        sent: dict[str, int] = {}
        started = time.perf_counter()
        tail_from, tail_started = blocks - max(1, blocks // 10), started
        for b, block in enumerate(layout, 1):
            for kind, sender, to, data in block:
                connection.send(sender, to, data)
                sent[kind] = sent.get(kind, 0) + 1
            connection.call("evm_mine", [])
            if b == tail_from:
                tail_started = time.perf_counter()
            if b % 1_000 == 0:
                elapsed = time.perf_counter() - started
                note(
                    f"chain: {b:,} of {blocks:,} blocks mined ({b / elapsed:,.0f} blocks/s, {sum(sent.values()) / elapsed:,.0f} tx/s)"
                )
        seconds = time.perf_counter() - started
        tail_rate = (blocks - tail_from) / max(seconds - (tail_started - started), 1e-9)
        if waiting(url):
            raise RuntimeError(f"anvil left {waiting(url)} transaction(s) unmined")
        last = int(rpc_call(url, "eth_blockNumber"), 16)
    finally:
        connection.close()
    return Generation(sum(sent.values()), last - first + 1, seconds, first, last, sent, tail_rate)


# --- 2. throughput -----------------------------------------------------------------------------


REFUSED = "eth_getLogs, refused"  # an answer of more logs than the indexer takes at once


class TimedTransport:
    """The transport handed to `RpcLogs` (the same call it makes by default), timed per
    method, the eth_getLogs answers the indexer refuses for their size (and then asks again
    in halves) apart; with `record`, every eth_getLogs filter whose answer it kept is kept
    for the raw replay."""

    def __init__(self, record: bool = False):
        self.record = record
        self.filters: list[dict[str, Any]] = []
        self.seconds: dict[str, float] = {}
        self.calls: dict[str, int] = {}

    def __call__(self, url: str, method: str, params: list) -> Any:
        started = time.perf_counter()
        answer = rpc_call(url, method, params, timeout=60.0)
        seconds = time.perf_counter() - started
        kind = method
        if method == "eth_getLogs":
            query = params[0]
            if len(answer) > MAX_LOGS_PER_REQUEST and query["fromBlock"] != query["toBlock"]:
                kind = REFUSED
            elif self.record:
                self.filters.append(query)
        self.seconds[kind] = self.seconds.get(kind, 0.0) + seconds
        self.calls[kind] = self.calls.get(kind, 0) + 1
        return answer


@dataclass
class IndexRun:
    seconds: float
    logs: int
    blocks: int
    contracts: int
    batches: int
    db_bytes: int
    rpc_seconds: dict[str, float]
    rpc_calls: dict[str, int]

    @property
    def rate(self) -> float:
        return self.logs / self.seconds


@dataclass
class RawRun:
    seconds: float
    requests: int
    returned: int  # logs in the answers (a log two filters match counts twice)


def database_bytes(path: Path) -> int:
    """The database's size with its write-ahead log folded in (and any -wal file left)."""
    db = sqlite3.connect(path)
    try:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        db.close()
    wal = path.with_name(path.name + "-wal")
    return path.stat().st_size + (wal.stat().st_size if wal.exists() else 0)


def index_once(devnet: Devnet, path: Path, note: Callable[[str], None], record: bool = False) -> tuple[IndexRun, list]:
    transport = TimedTransport(record)
    heard: list[str] = []  # the indexer's own lines: ranges refused and halved, every batch
    started = time.perf_counter()
    summary = index_chain(RpcLogs(devnet.url, call=transport), devnet.deployments, path, confirmations=0, say=heard.append)
    seconds = time.perf_counter() - started
    if heard:
        note(f"index_chain said {len(heard)} time(s), first: {heard[0]}")
    run = IndexRun(
        seconds=seconds,
        logs=summary.logs,
        blocks=summary.blocks,
        contracts=summary.contracts,
        batches=summary.batches,
        db_bytes=database_bytes(path),
        rpc_seconds=dict(transport.seconds),
        rpc_calls=dict(transport.calls),
    )
    return run, transport.filters


def raw_once(url: str, filters: list[dict[str, Any]]) -> RawRun:
    """The indexer's eth_getLogs requests again (those whose answers it kept), answers parsed
    and counted, nothing else."""
    returned = 0
    started = time.perf_counter()
    for query in filters:
        returned += len(rpc_call(url, "eth_getLogs", [query], timeout=60.0))
    return RawRun(time.perf_counter() - started, len(filters), returned)


def event_counts(path: Path) -> dict[str, int]:
    db = sqlite3.connect(path)
    try:
        return {str(e): int(n) for e, n in db.execute("SELECT event, COUNT(*) FROM logs GROUP BY event ORDER BY event")}
    finally:
        db.close()


def measure_throughput(devnet: Devnet, work: Path, sizes: Sizes, note: Callable[[str], None]) -> dict[str, Any]:
    """Index and raw alternately: round 1 index then raw (the index run records the
    requests), round 2 raw then index, and so on."""
    index_runs: list[IndexRun] = []
    raw_runs: list[RawRun] = []
    filters: list[dict[str, Any]] = []
    references = [cpu_reference()]
    for r in range(sizes.rounds):
        order = ("index", "raw") if r % 2 == 0 else ("raw", "index")
        for what in order:
            if what == "index":
                path = work / f"index-{r + 1}.sqlite"
                run, recorded = index_once(devnet, path, note, record=not filters)
                filters = filters or recorded
                index_runs.append(run)
                note(
                    f"round {r + 1}/{sizes.rounds}: index_chain {run.logs:,} logs in {run.seconds:.2f} s ({run.rate:,.0f} logs/s)"
                )
            else:
                raw = raw_once(devnet.url, filters)
                raw_runs.append(raw)
                note(
                    f"round {r + 1}/{sizes.rounds}: raw eth_getLogs {raw.requests} requests, {raw.returned:,} logs "
                    f"in {raw.seconds:.2f} s ({index_runs[-1].logs / raw.seconds:,.0f} indexed logs/s)"
                )
        references.append(cpu_reference())
    last = work / f"index-{sizes.rounds}.sqlite"
    for r in range(1, sizes.rounds):  # keep the last index for the dashboard
        for suffix in ("", "-wal", "-shm"):
            Path(f"{work / f'index-{r}.sqlite'}{suffix}").unlink(missing_ok=True)
    ratios = [raw.seconds / run.seconds for run, raw in zip(index_runs, raw_runs)]
    logs = index_runs[-1].logs
    return {
        "index_runs": [asdict(r) | {"logs_per_second": r.rate} for r in index_runs],
        "raw_runs": [asdict(r) | {"indexed_logs_per_second": logs / r.seconds} for r in raw_runs],
        "ratios": ratios,
        "ratio_median": statistics.median(ratios),
        "index_rate_median": statistics.median(r.rate for r in index_runs),
        "raw_rate_median": statistics.median(logs / r.seconds for r in raw_runs),
        "logs": logs,
        "blocks": index_runs[-1].blocks,
        "contracts": index_runs[-1].contracts,
        "batches": index_runs[-1].batches,
        "db_bytes": index_runs[-1].db_bytes,
        "db_bytes_per_100k": index_runs[-1].db_bytes * PER / max(logs, 1),
        "events": event_counts(last),
        "cpu_reference_seconds": references,
        "db_path": last,
    }


# Named costs read from a profile: (label, file name, function name) — cumulative time, so
# the rows overlap (checksumming happens inside decoding and inside reading the answers).
PROFILE_COSTS = (
    ("the whole run (index_chain)", "index.py", "index_chain"),
    ("RpcLogs.logs: eth_getLogs and building RawLogs from the answers", "index.py", "logs"),
    ("RpcLogs.block: eth_getBlockByNumber", "index.py", "block"),
    ("every JSON-RPC request (rpc_call)", "anvil.py", "rpc_call"),
    ("decoding (EventDecoder.decode)", "abi.py", "decode"),
    ("to_checksum_address, wherever called", "address.py", "to_checksum_address"),
    ("JSON of the stored rows (json.dumps)", "__init__.py", "dumps"),
    ("SQLite inserts (executemany)", "~", "<method 'executemany' of 'sqlite3.Connection' objects>"),
)


def profile_index(devnet: Devnet, path: Path, blocks: int, top: int = 12) -> dict[str, Any]:
    """One more index run under cProfile, of the chain's first `blocks` blocks (cProfile
    doubles the time): the named costs above and the functions with the most time of their
    own."""
    source = RpcLogs(devnet.url)
    profiler = cProfile.Profile()
    profiler.enable()
    summary = index_chain(source, devnet.deployments, path, confirmations=max(0, source.head() - blocks))
    profiler.disable()
    stats = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    whole = next(v[3] for (f, _, n), v in stats.items() if Path(f).name == "index.py" and n == "index_chain")
    costs = []
    for label, file_name, function in PROFILE_COSTS:
        seconds = sum(v[3] for (f, _, n), v in stats.items() if n == function and (Path(f).name == file_name or f == file_name))
        calls = sum(v[1] for (f, _, n), v in stats.items() if n == function and (Path(f).name == file_name or f == file_name))
        costs.append({"what": label, "calls": calls, "seconds": seconds, "share": seconds / whole})
    own = [
        {
            "function": f"{Path(f).name}:{line}({n})" if line else n,
            "calls": v[1],
            "own_seconds": v[2],
            "own_share": v[2] / whole,
            "cumulative_seconds": v[3],
        }
        for (f, line, n), v in stats.items()
    ]
    own.sort(key=lambda r: -r["own_seconds"])
    return {"seconds": whole, "blocks": summary.last_block + 1, "logs": summary.logs, "costs": costs, "own": own[:top]}


# --- 3. the dashboard --------------------------------------------------------------------------


def p90(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.9 * (len(ordered) - 1)))]


def measure_dashboard(db: Path, sizes: Sizes, names: dict[str, str], note: Callable[[str], None]) -> dict[str, Any]:
    """Every representative page through Starlette's TestClient, interleaved: each round
    renders every page `page_reps` times, page after page. `names`: what to call a page whose
    path ends in a programme's address."""
    try:
        with warnings.catch_warnings():  # starlette 1.x: "install httpx2" (httpx works)
            warnings.simplefilter("ignore")
            from starlette.testclient import TestClient

        from tpp.workflow.dashboard import create_app, page_urls
    except ImportError as exc:
        return {"available": False, "reason": f"tpp.workflow.dashboard not available ({exc})"}
    try:
        references = [cpu_reference()]
        started = time.perf_counter()
        app = create_app(db)
        create_seconds = time.perf_counter() - started
        urls = page_urls(db)
        samples: dict[str, list[float]] = {url: [] for url in urls}
        round_medians: dict[str, list[float]] = {url: [] for url in urls}
        bytes_of: dict[str, int] = {}
        with TestClient(app) as client:
            started = time.perf_counter()
            first = client.get(urls[0])
            first_ms = (time.perf_counter() - started) * 1000
            reps: dict[str, int] = {}
            for url in urls:  # a warm-up render of each page, and its status
                started = time.perf_counter()
                response = client.get(url)
                warm = time.perf_counter() - started
                if response.status_code != 200:
                    raise RuntimeError(f"GET {url}: HTTP {response.status_code}: {response.text[:200]}")
                bytes_of[url] = len(response.content)
                # A page far over the target gets fewer renders, so the run stays in its budget.
                reps[url] = max(2, min(sizes.page_reps, int(PAGE_ROUND_BUDGET / warm)))
            for r in range(sizes.page_rounds):
                this_round: dict[str, list[float]] = {url: [] for url in urls}
                for rep in range(sizes.page_reps):
                    for url in (u for u in urls if rep < reps[u]):
                        started = time.perf_counter()
                        response = client.get(url)
                        this_round[url].append((time.perf_counter() - started) * 1000)
                        if response.status_code != 200:
                            raise RuntimeError(f"GET {url}: HTTP {response.status_code}")
                for url in urls:
                    samples[url] += this_round[url]
                    round_medians[url].append(statistics.median(this_round[url]))
                references.append(cpu_reference())
                note(
                    f"dashboard round {r + 1}/{sizes.page_rounds}: "
                    + ", ".join(f"{u} {round_medians[u][-1]:.0f} ms" for u in urls)
                )
    except Exception as exc:  # noqa: BLE001 - the dashboard is young: report its failure, keep the rest
        return {"available": True, "error": f"{type(exc).__name__}: {exc}"}
    pages = [
        {
            "url": url,
            "name": names.get(url.rsplit("/", 1)[-1].lower()),
            "median_ms": statistics.median(samples[url]),
            "p90_ms": p90(samples[url]),
            "round_spread": max(round_medians[url]) / min(round_medians[url]) - 1 if len(round_medians[url]) > 1 else None,
            "renders": len(samples[url]),
            "bytes": bytes_of[url],
        }
        for url in urls
    ]
    return {
        "available": True,
        "create_app_seconds": create_seconds,
        "first_page_ms": first_ms,
        "first_page_status": first.status_code,
        "pages": pages,
        "worst_median_ms": max(p["median_ms"] for p in pages),
        "cpu_reference_seconds": references,
        "cpu_reference_spread": max(references) / min(references) - 1,
    }


def dashboard_present() -> bool:
    return (REPO / "src" / "tpp" / "workflow" / "dashboard.py").is_file()


# --- reporting ---------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    model = "unknown"
    with contextlib.suppress(OSError):
        model = next(
            (
                line.split(":", 1)[1].strip()
                for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")
            ),
            model,
        )
    try:
        anvil = subprocess.run([str(anvil_executable()), "--version"], capture_output=True, text=True, check=False).stdout
        anvil = anvil.splitlines()[0].replace("anvil Version: ", "") if anvil else "unknown"
    except OSError:
        anvil = "unknown"
    return {
        "cpus": os.cpu_count(),
        "cpu_model": model,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "anvil": anvil,
        "sqlite": sqlite3.sqlite_version,
        "starlette": metadata.version("starlette"),
    }


def load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def spread(values: list[float]) -> str:
    return f"{min(values):.2f} – {max(values):.2f}" if len(values) > 1 else "one round"


def met(ok: bool) -> str:
    return "yes" if ok else "**no**"


def result_rows(result: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """(metric, value, target, met?) for the table and the docs."""
    gen, tp, dash = result["generation"], result["throughput"], result["dashboard"]
    logs = tp["logs"]
    last = tp["index_runs"][-1]
    rpc, calls = last["rpc_seconds"], last["rpc_calls"]
    headers, getlogs, refused = (rpc.get(k, 0.0) for k in ("eth_getBlockByNumber", "eth_getLogs", REFUSED))
    rest = last["seconds"] - sum(rpc.values())
    rows = [
        (
            "chain generated",
            f"{gen['transactions']:,} tx in {gen['blocks']:,} blocks, {gen['seconds']:.0f} s "
            f"({gen['transactions'] / gen['seconds']:,.0f} tx/s; the last tenth {gen['slowest_blocks_per_second']:,.0f} blocks/s)",
            "—",
            "—",
        ),
        (
            "logs indexed",
            f"{logs:,} in {tp['blocks']:,} blocks ({logs / max(tp['blocks'], 1):.1f} a block), {tp['contracts']} contracts, "
            f"{tp['batches']} batches",
            "—",
            "—",
        ),
        (
            f"raw eth_getLogs (median of {len(tp['raw_runs'])})",
            f"{tp['raw_rate_median']:,.0f} logs/s ({tp['raw_runs'][0]['requests']} requests)",
            "baseline",
            "—",
        ),
        (f"index_chain from scratch (median of {len(tp['index_runs'])})", f"{tp['index_rate_median']:,.0f} logs/s", "—", "—"),
        (
            "index / raw throughput",
            f"{tp['ratio_median']:.2f} (rounds: {spread(tp['ratios'])})",
            f"≥ {INDEX_VS_RAW}",
            met(tp["ratio_median"] >= INDEX_VS_RAW),
        ),
        (
            "index time: eth_getLogs kept / refused (too many logs) / eth_getBlockByNumber / the rest (decoding, SQLite, Python)",
            f"{getlogs / last['seconds']:.0%} ({calls.get('eth_getLogs', 0):,} calls) / "
            f"{refused / last['seconds']:.0%} ({calls.get(REFUSED, 0):,}) / "
            f"{headers / last['seconds']:.0%} ({calls.get('eth_getBlockByNumber', 0):,}) / {rest / last['seconds']:.0%}",
            "—",
            "—",
        ),
        (
            "database size per 100k logs",
            f"{tp['db_bytes_per_100k'] / 1e6:.1f} MB ({tp['db_bytes'] / 1e6:.1f} MB for {logs:,} logs)",
            "—",
            "—",
        ),
    ]
    if not dash.get("available"):
        rows.append(("dashboard", "tpp.workflow.dashboard not available", f"≤ {PAGE_MS:.0f} ms", "not run"))
    elif "error" in dash:
        rows.append(("dashboard", f"failed: {dash['error']}", f"≤ {PAGE_MS:.0f} ms", "not run"))
    else:
        scale = f" (at {logs:,} logs)" if abs(logs - PER) > PER // 10 else ""
        rows.append(
            (
                f"dashboard: create_app (loads the index) / the first page after it (computes what pages share){scale}",
                f"{dash['create_app_seconds'] * 1000:,.0f} ms / {dash['first_page_ms']:,.0f} ms",
                "—",
                "—",
            )
        )
        for page in dash["pages"]:
            rows.append(
                (
                    f"dashboard `{short_url(page['url'])}`{named(page)} median / p90{scale}",
                    f"{page['median_ms']:.1f} / {page['p90_ms']:.1f} ms ({rounds_note(page)}, {page['renders']} renders, {page['bytes'] / 1e3:,.0f} kB)",
                    f"≤ {PAGE_MS:.0f} ms",
                    met(page["median_ms"] <= PAGE_MS),
                )
            )
        rows.append(
            (
                "machine noise: fixed CPU loop during the dashboard rounds",
                f"{min(dash['cpu_reference_seconds']) * 1000:.0f} – {max(dash['cpu_reference_seconds']) * 1000:.0f} ms "
                f"(spread {dash['cpu_reference_spread']:.0%})",
                "—",
                "—",
            )
        )
    return rows


def rounds_note(page: dict[str, Any]) -> str:
    return "one round" if page["round_spread"] is None else f"rounds ±{page['round_spread'] / 2:.0%}"


def named(page: dict[str, Any]) -> str:
    return f" ({page['name']})" if page.get("name") else ""


def short_url(url: str) -> str:
    """A page path with its address or hash cut short."""
    head, _, tail = url.rpartition("/")
    return f"{head}/{tail[:6]}…{tail[-4:]}" if tail.startswith("0x") and len(tail) > 14 else url


def markdown_table(rows: list[tuple[str, str, str, str]]) -> str:
    out = ["| metric | value | target | met? |", "|---|---:|---|---|"]
    out += [f"| {m} | {v} | {t} | {ok} |" for m, v, t, ok in rows]
    return "\n".join(out)


def docs_section(result: dict[str, Any], rows: list[tuple[str, str, str, str]]) -> str:
    meta, box, tp, dash = result["meta"], result["machine"], result["throughput"], result["dashboard"]
    gen = result["generation"]
    ratio_ok = tp["ratio_median"] >= INDEX_VS_RAW
    verdicts = [f"index / raw {tp['ratio_median']:.2f} (target ≥ {INDEX_VS_RAW}: {'met' if ratio_ok else 'not met'})"]
    if dash.get("pages"):
        worst = max(dash["pages"], key=lambda p: p["median_ms"])
        ok = worst["median_ms"] <= PAGE_MS
        verdicts.append(
            f"slowest dashboard page `{short_url(worst['url'])}`{named(worst)} {worst['median_ms']:.0f} ms median "
            f"(target ≤ {PAGE_MS:.0f} ms: {'met' if ok else 'not met'}), and the first page after each (re)load of the "
            f"index {dash['first_page_ms'] / 1000:.1f} s"
        )
    else:
        verdicts.append("the dashboard was not measured (" + (dash.get("reason") or dash.get("error", "")) + ")")
    last = tp["index_runs"][-1]
    per_header = last["rpc_seconds"].get("eth_getBlockByNumber", 0.0) / max(last["rpc_calls"].get("eth_getBlockByNumber", 1), 1)
    renders = max(p["renders"] for p in dash["pages"]) if dash.get("pages") else 0
    logs_per_block = tp["logs"] / max(gen["blocks"], 1)
    profile = ""
    if result.get("profile"):
        costs = result["profile"]["costs"]
        profile = (
            f"\n\nWhere the rest goes: one more index run, of the first {result['profile']['blocks']:,} blocks "
            f"({result['profile']['logs']:,} logs), under cProfile (which slows it down), cumulative time, overlapping: "
            + "; ".join(f"{c['what']} {c['share']:.0%}" for c in costs[1:])
            + ". Most own time: "
            + "; ".join(f"`{r['function']}` {r['own_share']:.0%}" for r in result["profile"]["own"][:5])
            + "."
        )
    return reflow(f"""## {HEADING}

How fast `tpp index` reads a real node, next to raw `eth_getLogs` on the same node in the same
run; how big the index gets; how long the dashboard takes to render a page over it. Produced by
`bench/index.py` (`make bench-index`; `--quick` for a smoke check; a full run ends with a
cProfile of part of one more index run, `--no-profile` leaves it out); raw figures in `bench/results/index.json`, the table alone in
`bench/results/index.md`. Last run: {meta["run_at"]}, {meta["minutes"]:.0f} minutes, anvil
{box["anvil"]}, SQLite {box["sqlite"]}, Starlette {box["starlette"]}.

**Machine: {box["cpus"]} cores** ({box["cpu_model"]}), Python {box["python"]}; anvil runs on the
same cores as the indexer. The machine is **shared** (load average {meta["load_start"][0]} at the
start, {meta["load_end"][0]} at the end): absolute times move between runs, so throughput is
given as a ratio of two figures measured side by side.

### Results

{markdown_table(rows)}

{"; ".join(verdicts)}.

### Method

The devnet (anvil {box["anvil"]}, a temporary root, a free loopback port) gets the local stack
and a portfolio of a stream and a staking pool; both first epochs are opened, then
{gen["blocks"]:,} blocks are mined, {BLOCK_SECONDS} s of chain time apart, each with the
stream's `claim()` (one a block: a second claim in the same second mints nothing) and
{result["meta"]["sizes"]["per_block"]} of `stake`, `claim` and `withdraw` on the pool from
{STAKERS} stakers: {gen["transactions"]:,} transactions, {logs_per_block:.1f} indexed logs a
block. That is dense on purpose: anvil {box["anvil"].split()[0]} mines slower the longer its
chain is (here {gen["slowest_blocks_per_second"]:,.0f} blocks/s over the last tenth), so
100,000 logs at one transaction a block would not fit in minutes. They are sent the fastest way
found that does not stall: automine off, `eth_sendTransaction` from impersonated accounts with
a fixed gas limit and nonces counted by the sender, one request at a time over one kept-alive
connection, then `evm_mine` (with automine on, anvil answers before it mines and, outrun, can
leave a mined transaction in its pool and stop mining; a JSON-RPC batch is refused without
nonces). `index_chain(RpcLogs(url), …, confirmations=0)` then indexes the chain from scratch
into a fresh SQLite file, and the raw baseline replays the `eth_getLogs` requests whose answers
the indexer kept (same ranges, same address and topic filters, same transport), parsing the
answers and nothing more. Both rates are indexed logs over wall time, so the ratio is raw
seconds over index seconds; {len(tp["ratios"])} round(s) alternate which goes first, and the
median ratio is reported with its range. The transport of every index run is timed per method:
besides its `eth_getLogs`, the indexer reads the header of every block that carries a log
(`eth_getBlockByNumber`, one HTTP request each, {per_header * 1000:.2f} ms apiece here), which
raw `eth_getLogs` does not; and at this density a batch of {DEFAULT_BATCH_BLOCKS:,} blocks holds
more than {MAX_LOGS_PER_REQUEST:,} logs, so the indexer refuses the answer and asks again in
halves (the refused requests are timed apart and not replayed). On a chain of one tpp
transaction per block the header reads would be one request per two or three logs. The database
is measured after `PRAGMA wal_checkpoint(TRUNCATE)` (file plus any -wal). Each page of
`page_urls(db)` is rendered through Starlette's TestClient over the last index (in process, no
network), up to {renders} times each (fewer for a page far over the target), interleaved over rounds; "rounds ±" is half the spread of a
page's median between rounds, and a fixed CPU loop timed before, between and after the rounds
shows the machine's own noise. The first page after `create_app` (and after every new batch
`tpp index --follow` commits: the dashboard reloads the index when the file changes) loads the
index into memory and computes what the pages share (the mints' provenance, the attribution):
that is reported apart, as one figure.{profile}
""")


def reflow(markdown: str, width: int = 96) -> str:
    """Prose paragraphs filled to `width` columns; headings, tables and lists left as they are."""
    out = []
    for paragraph in markdown.split("\n\n"):
        if paragraph.lstrip().startswith(("#", "|", "-", "*  ")):
            out.append(paragraph)
        else:
            out.append(textwrap.fill(" ".join(paragraph.split()), width, break_on_hyphens=False, break_long_words=False))
    return "\n\n".join(out).rstrip("\n") + "\n"


def show(console: Console, rows: list[tuple[str, str, str, str]], title: str) -> None:
    table = Table(title=title)
    for name, justify in (("metric", "left"), ("value", "right"), ("target", "left"), ("met?", "left")):
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    for row in rows:
        table.add_row(*(cell.replace("**", "") for cell in row))
    console.print(table)


# --- main ----------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a small chain and one round (docs left alone)")
    parser.add_argument("--blocks", type=int, help=f"blocks to generate (default {FULL.blocks:,}; --quick {QUICK.blocks:,})")
    parser.add_argument("--per-block", type=int, help=f"staking transactions per block besides the claim (default {PER_BLOCK})")
    parser.add_argument(
        "--profile",
        action=argparse.BooleanOptionalAction,
        help="profile part of one more index run with cProfile (default: on in a full run, off with --quick)",
    )
    args = parser.parse_args()
    if args.profile is None:
        args.profile = not args.quick
    sizes = QUICK if args.quick else FULL
    sizes = dataclasses.replace(
        sizes,
        blocks=args.blocks or sizes.blocks,
        per_block=sizes.per_block if args.per_block is None else args.per_block,
    )
    console = Console(width=None if sys.stdout.isatty() else 160)
    began = time.perf_counter()

    def note(text: str) -> None:
        console.print(f"[dim]{time.perf_counter() - began:6.1f}s[/dim] {text}", highlight=False)

    load_start = load()
    note(f"{'quick' if args.quick else 'full'} run; {os.cpu_count()} cores, load average {load_start}")
    previous = boa.env
    result: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="tpp-index-bench-") as tmp:
        work = Path(tmp)
        root = work / ".tpp"
        try:
            devnet = start_devnet(work)
            note(f"devnet on {devnet.url}: stack and portfolio deployed, epochs open ({devnet.setup_seconds:.0f} s)")
            generation = generate(devnet, sizes.blocks, sizes.per_block, note)
            note(
                f"chain: {generation.transactions:,} transactions in blocks {generation.first_block:,}-{generation.last_block:,}, "
                f"mined in {generation.seconds:.1f} s ({generation.rate:,.0f} tx/s)"
            )
            throughput = measure_throughput(devnet, work, sizes, note)
            db_path = throughput.pop("db_path")
            expected = {"Claimed": generation.sent.get("stream claim", 0), "Staked": generation.sent.get("stake", 0)}
            for event, count in expected.items():
                if throughput["events"].get(event, 0) < count:
                    note(f"[yellow]warning: {throughput['events'].get(event, 0)} {event} logs indexed, {count} sent[/yellow]")
            if args.profile:
                note("profiling one more index run")
                result["profile"] = profile_index(devnet, work / "profiled.sqlite", PROFILE_BLOCKS)
        finally:
            devnet_down(root)
            boa.set_env(previous)
        note("devnet stopped")
        if not dashboard_present():
            note("dashboard: tpp.workflow.dashboard not available")
        names = {r.address.lower(): f"{name}, a {r.kind} programme" for name, r in devnet.deployments.programmes.items()}
        dashboard = measure_dashboard(db_path, sizes, names, note)
        if not dashboard.get("available"):
            note(f"dashboard: {dashboard['reason']}")
        elif "error" in dashboard:
            note(f"[yellow]dashboard failed: {dashboard['error']}[/yellow]")

    minutes = (time.perf_counter() - began) / 60
    run_at = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
    command = " ".join(["python bench/index.py", *sys.argv[1:]])
    result |= {
        "meta": {
            "mode": "quick" if args.quick else "full",
            "command": command,
            "run_at": run_at,
            "minutes": minutes,
            "load_start": load_start,
            "load_end": load(),
            "sizes": asdict(sizes),
            "targets": {"index_vs_raw_at_least": INDEX_VS_RAW, "page_median_ms_at_most": PAGE_MS},
        },
        "machine": machine(),
        "generation": asdict(generation),
        "throughput": throughput,
        "dashboard": dashboard,
    }
    rows = result_rows(result)
    show(console, rows, f"tpp index and dashboard ({result['meta']['mode']} run, {os.cpu_count()} cores, shared machine)")
    if result.get("profile"):
        costs = Table(
            title=f"index_chain of blocks 0-{result['profile']['blocks'] - 1:,} under cProfile "
            f"({result['profile']['seconds']:.1f} s): cumulative time, overlapping"
        )
        for name in ("what", "calls", "seconds", "share"):
            costs.add_column(name, justify="left" if name == "what" else "right")
        for c in result["profile"]["costs"]:
            costs.add_row(c["what"], f"{c['calls']:,}", f"{c['seconds']:.2f}", f"{c['share']:.0%}")
        console.print(costs)
        own = Table(title="... and the most own time")
        for name in ("function", "calls", "own s", "share", "cumulative s"):
            own.add_column(name, justify="left" if name == "function" else "right")
        for r in result["profile"]["own"]:
            own.add_row(
                r["function"],
                f"{r['calls']:,}",
                f"{r['own_seconds']:.2f}",
                f"{r['own_share']:.0%}",
                f"{r['cumulative_seconds']:.2f}",
            )
        console.print(own)

    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    stem = "index-quick" if args.quick else "index"
    json_path, md_path = RESULTS_DIR / f"{stem}.json", RESULTS_DIR / f"{stem}.md"
    json_path.write_text(json.dumps(result, indent=2, default=str) + "\n")
    md_path.write_text(
        f"# tpp index and dashboard ({result['meta']['mode']} run)\n\n`{command}`, {run_at}, {os.cpu_count()} cores, "
        f"shared machine (load average {load_start[0]} → {result['meta']['load_end'][0]}). "
        "See docs/PERFORMANCE.md for the method.\n\n" + markdown_table(rows) + "\n"
    )
    written = [json_path, md_path]
    if not args.quick:
        write_section(HEADING, docs_section(result, rows))
        written.append(PERFORMANCE_DOC)
    note(f"wrote {', '.join(str(p.relative_to(REPO)) for p in written)} ({minutes:.1f} minutes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
