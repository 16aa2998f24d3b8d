"""`tpp index`: every tpp contract's events in an embedded database, incremental, reorg-safe and
transactional.

What is indexed: the Budget, the ProgrammeFactory, the governors and timelocks named in the
deployments record, the token's mints and the transfers out of the Budget, and every
programme, mechanism and epoch minter the factory created. Those last ones are discovered
while indexing, from the factory's `ProgrammeCreated` and each programme's `EpochOpened`
events, and a newly discovered contract's logs are fetched from the block it appeared in, so
none is missed even when it is created in the same batch as its first events.

Why SQLite (the standard library's `sqlite3`): no new dependency, the whole index is one file
a user can copy or open with any SQLite tool, and it has real transactions. Each batch — its
logs, its blocks, the contracts it discovered and the move of the cursor — commits in one
transaction (WAL mode), so a process killed at any instant leaves the database as it was
after the last whole batch, and a restart neither loses a log nor counts one twice.

Reorgs: only blocks at least `confirmations` below the head are indexed, and every run first
compares the stored hashes of the last `reorg_depth` indexed blocks with the node's; from the
first block that differs everything is deleted (in one transaction) and indexed again. Stored
blocks are the blocks that carry logs, and the cursor keeps the hash of the newest indexed
block, so that one is always at hand: as hashes chain, any reorg below it changes it. (So the
tables' contents do not depend on how a run was cut into batches.)

Where the logs come from is a `LogSource`: a JSON-RPC node's `eth_getLogs` (any RPC, anvil,
the devnet), in block ranges that halve when the node refuses a range or returns too many
logs and grow back after successes; or, on the embedded chain, which has no RPC, a
`LogRecorder` attached to it before the transactions (the event recorder of `tpp.chain.events`
keeping raw logs with their block), filtered by the same queries. Everything after the fetch
is one code path. Decoding is the one codec's (`tpp.chain.abi.EventDecoder`).
"""

from __future__ import annotations

import bisect
import json
import sqlite3
import urllib.error
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eth_utils import keccak, to_checksum_address

from tpp.base.errors import UserError
from tpp.base.vocab import State
from tpp.chain.abi import EventDecoder, checksum, functions_of
from tpp.chain.anvil import AnvilError, rpc_call
from tpp.chain.artifacts import ARTIFACT_NAMES, abi_of, all_abis
from tpp.chain.events import EventRecorder
from tpp.model import kinds
from tpp.workflow.deployments import DEFAULT_ROOT, Deployments, load_deployments
from tpp.workflow.devnet import running_node

__all__ = [
    "DEFAULT_REORG_DEPTH",
    "IndexProblem",
    "IndexSummary",
    "LogQuery",
    "LogRecorder",
    "LogSource",
    "RangeRefused",
    "RawLog",
    "Reconciliation",
    "RpcLogs",
    "default_db_path",
    "index_chain",
    "open_index",
    "open_index_source",
    "verify_index",
]

# Blocks below the newest indexed one whose hashes every run re-checks against the node.
DEFAULT_REORG_DEPTH = 64
# Blocks per batch (one eth_getLogs range, one transaction); halved on a refusal, grown back after.
DEFAULT_BATCH_BLOCKS = 2_000
# More logs than this in one answer and the range is halved (many providers cap at 10,000).
MAX_LOGS_PER_REQUEST = 10_000
# Successful batches in a row after which a refused span may be tried again.
GROW_PROBE = 8
# Times a batch is read again when one of its blocks changes under the reader (a reorg).
MAX_REREADS = 3

_ZERO_TOPIC = b"\0" * 32
_TRANSFER = keccak(text="Transfer(address,address,uint256)")
_PROGRAMME_CREATED = "ProgrammeCreated"
_EPOCH_OPENED = "EpochOpened"
_STAKED = "Staked"
# Deployments keys indexed with all their events, and the role each one gets.
_STACK_ROLES = ("budget", "factory", "tpp_governor", "tpp_timelock", "gap_governor", "gap_timelock")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS cursor (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    chain_id INTEGER NOT NULL,
    block INTEGER NOT NULL,             -- the last indexed block; start_block - 1 before any
    hash TEXT,                          -- its hash, NULL before any
    start_block INTEGER NOT NULL DEFAULT 0  -- where the index began (stake tokens are backfilled from it)
);
CREATE TABLE IF NOT EXISTS blocks (    -- the blocks that carry indexed logs
    number INTEGER PRIMARY KEY,
    hash TEXT NOT NULL,
    timestamp INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS contracts (
    address TEXT PRIMARY KEY,           -- checksummed
    role TEXT NOT NULL,                 -- budget, factory, token, tpp_governor, …, programme, mechanism, epoch_minter
    kind TEXT,                          -- a mechanism's kind ("stream", …); NULL otherwise
    parent TEXT,                        -- the programme of a mechanism or an epoch minter
    discovered_block INTEGER            -- NULL for the deployments record's contracts
);
CREATE TABLE IF NOT EXISTS logs (
    block INTEGER NOT NULL,
    log_index INTEGER NOT NULL,         -- position in the block
    tx_hash TEXT NOT NULL,
    address TEXT NOT NULL,
    event TEXT NOT NULL,                -- the event's name; "unknown" when no tpp ABI has it
    args TEXT NOT NULL,                 -- decoded arguments as JSON (integers above 2**53 as strings)
    topics TEXT NOT NULL,               -- raw topics as a JSON list of hex strings
    data TEXT NOT NULL,                 -- raw data, hex
    PRIMARY KEY (block, log_index)
);
CREATE INDEX IF NOT EXISTS logs_by_address ON logs (address, event);
CREATE TABLE IF NOT EXISTS labels (    -- names the deployments record gives contracts ("builders")
    address TEXT PRIMARY KEY,
    label TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS meta (      -- token_symbol, token_decimals (read once from the token), cursor_time
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"""
_TABLES = frozenset({"cursor", "blocks", "contracts", "logs"})  # labels and meta: created by any run


class IndexProblem(UserError):
    """The index cannot be built or does not match the chain."""


class RangeRefused(Exception):
    """The node refused a block range or answered with too many logs: try a smaller one."""


class BlockChanged(Exception):
    """A block's hash changed while a batch was read (a reorg under way): read it again."""


@dataclass(frozen=True)
class RawLog:
    block: int
    log_index: int
    tx_hash: str
    address: str  # checksummed
    topics: tuple[bytes, ...]
    data: bytes
    block_hash: str | None = None  # as the node reported it with the log (None: embedded)
    block_time: int | None = None  # the block's timestamp, if the node sends it with the log


@dataclass(frozen=True)
class LogQuery:
    """Logs of `addresses` (empty: of any contract) whose topics match `topics` (position by
    position: None matches anything, a tuple any of its values), as eth_getLogs filters them."""

    addresses: tuple[str, ...]
    topics: tuple[tuple[bytes, ...] | None, ...] = ()
    _lowered: frozenset[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_lowered", frozenset(a.lower() for a in self.addresses))

    def matches(self, log: RawLog) -> bool:
        if self.addresses and log.address.lower() not in self._lowered:
            return False
        for position, wanted in enumerate(self.topics):
            if wanted is None:
                continue
            if position >= len(log.topics) or log.topics[position] not in wanted:
                return False
        return True

    def rpc_filter(self, first: int, last: int) -> dict[str, Any]:
        topics = [None if t is None else ["0x" + v.hex() for v in t] for t in self.topics]
        out: dict[str, Any] = {"fromBlock": hex(first), "toBlock": hex(last)}
        if self.addresses:  # none: any contract's logs (still filtered by topics)
            out["address"] = list(self.addresses)
        if topics:
            out["topics"] = topics
        return out


class LogSource(ABC):
    """Where logs, block hashes and views at a block come from."""

    #: Default confirmations: how far below the head a block must be before it is indexed.
    confirmations: int = 2

    @abstractmethod
    def head(self) -> int:
        """The newest block number the source knows."""

    @abstractmethod
    def block(self, number: int) -> tuple[str, int]:
        """(hash, timestamp) of block `number`."""

    @abstractmethod
    def logs(self, first: int, last: int, query: LogQuery) -> list[RawLog]:
        """The logs matching `query` in blocks [first, last], in chain order; raises
        RangeRefused when the range should be smaller."""

    @abstractmethod
    def view(self, contract: str, address: str, function: str, block: int) -> Any:
        """A view function of a tpp contract at `address`, read at `block`."""


class RpcLogs(LogSource):
    """A JSON-RPC node: eth_getLogs, eth_getBlockByNumber, eth_call at a block."""

    confirmations = 2

    def __init__(self, url: str, call: Callable[[str, str, list], Any] | None = None):
        self.url = url
        self._call = call or (lambda url, method, params: rpc_call(url, method, params, timeout=60.0))

    def _rpc(self, method: str, params: list) -> Any:
        try:
            return self._call(self.url, method, params)
        except (urllib.error.URLError, ConnectionError, OSError, ValueError) as exc:
            reason = getattr(exc, "reason", None) or exc
            raise IndexProblem(
                f"{self.url}: the node did not answer {method} ({reason}); is it running, and is the URL right?"
            ) from None

    def head(self) -> int:
        return int(self._rpc("eth_blockNumber", []), 16)

    def chain_id(self) -> int:
        return int(self._rpc("eth_chainId", []), 16)

    def block(self, number: int) -> tuple[str, int]:
        block = self._rpc("eth_getBlockByNumber", [hex(number), False])
        if block is None:
            raise IndexProblem(f"{self.url}: block {number} is not on the node")
        return str(block["hash"]), int(block["timestamp"], 16)

    def logs(self, first: int, last: int, query: LogQuery) -> list[RawLog]:
        try:
            answer = self._rpc("eth_getLogs", [query.rpc_filter(first, last)])
        except AnvilError as exc:
            if first == last:
                raise IndexProblem(f"{self.url}: eth_getLogs refused block {first} ({exc})") from None
            raise RangeRefused(str(exc)) from None
        if len(answer) > MAX_LOGS_PER_REQUEST and first < last:
            raise RangeRefused(f"{len(answer)} logs in blocks {first}-{last}")
        out = [
            RawLog(
                block=int(item["blockNumber"], 16),
                log_index=int(item["logIndex"], 16),
                tx_hash=str(item["transactionHash"]),
                address=checksum(str(item["address"])),
                topics=tuple(bytes.fromhex(t[2:]) for t in item["topics"]),
                data=bytes.fromhex(str(item["data"])[2:]),
                block_hash=str(item["blockHash"]),
                block_time=int(item["blockTimestamp"], 16) if item.get("blockTimestamp") else None,
            )
            for item in answer
            if not item.get("removed")
        ]
        return sorted(out, key=lambda log: (log.block, log.log_index))

    def view(self, contract: str, address: str, function: str, block: int) -> Any:
        abi = functions_of(contract, abi_of(contract))[function][0]
        out = self._rpc("eth_call", [{"to": address, "data": "0x" + abi.encode().hex()}, hex(block)])
        return abi.decode_result(bytes.fromhex(str(out)[2:]))


class LogRecorder(EventRecorder, LogSource):
    """The embedded chain's logs, recorded as its transactions run (attach it before them).

    The embedded chain has no block hashes: a block's hash here is a digest of its number and
    of how many transactions it has recorded so far. The block being built is indexed too (no
    confirmations: nothing reorganises an in-process chain), and when more transactions land
    in it later, its hash changes and the next run re-indexes it like a reorged block."""

    confirmations = 0

    # Transactions undone by an anchor (`chain.anchor()`, the test plugin's isolation) stay
    # recorded: index runs that are not undone.

    def __init__(self, chain: Any, decoder: EventDecoder | None = None):
        super().__init__(chain.env, decoder)
        self.chain = chain
        self._logs: list[RawLog] = []
        self._blocks: list[int] = []  # block of each recorded log, for bisection
        self._txs: dict[int, int] = {}  # transactions recorded per block
        self._counts: dict[int, int] = {}  # logs recorded per block: the next log's index
        self._times: dict[int, int] = {}
        self._tx_count = 0

    def _take(self, computation: Any) -> None:
        number = int(self.env.evm.patch.block_number)
        self._times[number] = int(self.env.evm.patch.timestamp)
        self._tx_count += 1
        self._txs[number] = self._txs.get(number, 0) + 1
        tx_hash = "0x" + keccak(b"tpp embedded transaction %d" % self._tx_count).hex()
        for _log_id, address, topics, data in sorted(computation.get_raw_log_entries()):
            log_index = self._counts.get(number, 0)
            self._counts[number] = log_index + 1
            self._logs.append(
                RawLog(
                    block=number,
                    log_index=log_index,
                    tx_hash=tx_hash,
                    address=checksum(address if isinstance(address, str) else "0x" + bytes(address).hex()),
                    topics=tuple(int(t).to_bytes(32, "big") if isinstance(t, int) else bytes(t) for t in topics),
                    data=bytes(data),
                )
            )
            self._blocks.append(number)

    def head(self) -> int:
        return int(self.env.evm.patch.block_number)

    def block(self, number: int) -> tuple[str, int]:
        digest = keccak(b"tpp embedded block %d with %d transactions" % (number, self._txs.get(number, 0)))
        return "0x" + digest.hex(), self._times.get(number, int(self.env.evm.patch.timestamp))

    def logs(self, first: int, last: int, query: LogQuery) -> list[RawLog]:
        low, high = bisect.bisect_left(self._blocks, first), bisect.bisect_right(self._blocks, last)
        return [log for log in self._logs[low:high] if query.matches(log)]

    def view(self, contract: str, address: str, function: str, block: int) -> Any:
        if block != self.head():
            raise IndexProblem(
                f"the embedded chain reads only its latest state (block {self.head()}), not block {block}; index to the head first"
            )
        handle = self.chain.artifact_at(contract, address) if contract in ARTIFACT_NAMES else self.chain.at(contract, address)
        return getattr(handle, function)()


def open_index(path: Path) -> sqlite3.Connection:
    """An existing index, opened read-only (readers — trace, evaluate, the dashboard — cannot
    change it, and read the last committed batch while `tpp index` writes the next)."""
    path = Path(path)
    if not path.is_file():
        raise IndexProblem(f"{path}: no index yet; run `tpp index` first")
    try:
        db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    except sqlite3.Error as exc:
        raise IndexProblem(f"{path}: not a tpp index database ({exc})") from None
    if not tables >= _TABLES | {"labels", "meta"}:
        db.close()
        raise IndexProblem(
            f"{path}: not a tpp index database (tables: {', '.join(sorted(tables)) or 'none'}); run `tpp index` on it"
        )
    return db


def default_db_path(chain_id: int, root: Path = DEFAULT_ROOT) -> Path:
    """Where `tpp index` keeps a chain's index: next to the deployments records."""
    return Path(root) / "index" / f"{chain_id}.sqlite"


def open_index_source(rpc: str | None, root: Path = DEFAULT_ROOT) -> tuple[RpcLogs, Deployments]:
    """The node `tpp index` reads (`rpc`, or the running devnet under `root`) and the
    deployments recorded for its chain. Reads only: no account, nothing sent."""
    if rpc:
        url = rpc
    else:
        node = running_node(root)
        if node is None:
            raise IndexProblem("the devnet is not running; start it with `tpp devnet up`, or pass --rpc URL")
        url = str(node["url"])
    source = RpcLogs(url)
    return source, load_deployments(source.chain_id(), root)


# --- the database -----------------------------------------------------------------------------


def _open(path: Path, chain_id: int | None) -> sqlite3.Connection:
    """The index database at `path`, created if missing (`chain_id` None: it must hold an index
    already). Any other file, or another chain's index, is refused before anything is written."""
    if path.is_dir():
        raise IndexProblem(f"{path}: is a directory, not an index database")
    if chain_id is None and not path.exists():
        raise IndexProblem(f"{path}: no index yet; run `tpp index` first")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(path, isolation_level=None)  # transactions are explicit below
    except (OSError, sqlite3.Error) as exc:
        raise IndexProblem(f"{path}: cannot open ({exc})") from None
    try:
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if (tables or chain_id is None) and not tables >= _TABLES:
            raise IndexProblem(f"{path}: not a tpp index database (tables: {', '.join(sorted(tables)) or 'none'})")
        row = db.execute("SELECT chain_id FROM cursor WHERE id = 1").fetchone() if tables else None
        if chain_id is None and row is None:
            raise IndexProblem(f"{path}: no index yet; run `tpp index` first")
        if row is not None and chain_id is not None and int(row[0]) != chain_id:
            raise IndexProblem(f"{path}: indexes chain {row[0]}, not chain {chain_id}; pass another --db")
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=FULL")  # a commit is on disk before the next batch starts
        db.executescript(_SCHEMA)
    except sqlite3.Error as exc:
        db.close()
        raise IndexProblem(f"{path}: not a tpp index database ({exc})") from None
    except IndexProblem:
        db.close()
        raise
    return db


@dataclass
class _Contract:
    address: str
    role: str
    kind: str | None = None
    parent: str | None = None
    discovered_block: int | None = None


def _jsonable(value: Any) -> Any:
    if isinstance(value, (bytes, bytearray)):
        return "0x" + bytes(value).hex()
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and abs(value) >= 2**53:
        return str(value)  # JSON readers lose precision above 2**53
    return value


@dataclass
class IndexSummary:
    """What one run did."""

    path: Path
    first_block: int  # first block scanned this run (> last_block: nothing new)
    last_block: int  # the cursor after the run
    blocks: int  # blocks stored in the database
    logs: int  # logs stored in the database
    contracts: int  # contracts indexed
    new_logs: int = 0
    rolled_back_from: int | None = None  # first block deleted by a reorg, if any
    batches: int = 0

    def line(self) -> str:
        scanned = f"blocks {self.first_block}-{self.last_block}" if self.first_block <= self.last_block else "no new blocks"
        reorg = f"; reorg: rolled back from block {self.rolled_back_from}" if self.rolled_back_from is not None else ""
        return (
            f"{self.path}: {self.blocks} blocks, {self.logs} logs ({self.new_logs} new), {self.contracts} contracts; "
            f"{scanned} in {self.batches} batch(es){reorg}"
        )


@dataclass
class _Indexer:
    db: sqlite3.Connection
    source: LogSource
    decoder: EventDecoder
    token: str | None
    budget: str | None
    start_block: int = 0
    batch_blocks: int = DEFAULT_BATCH_BLOCKS
    contracts: dict[str, _Contract] = field(default_factory=dict)
    _found: dict[str, _Contract] = field(default_factory=dict)

    def load_contracts(self) -> None:
        for address, role, kind, parent, block in self.db.execute("SELECT * FROM contracts"):
            self.contracts[address] = _Contract(address, role, kind, parent, block)

    # --- fetching one batch -------------------------------------------------------------

    def _queries(self, addresses: Iterable[str]) -> list[LogQuery]:
        addresses = list(addresses)
        roles = {a: (self.contracts.get(a) or self._found.get(a) or _Contract(a, "")).role for a in addresses}
        full = tuple(a for a in addresses if roles[a] not in ("token", "stake_token"))
        out = [LogQuery(full)] if full else []
        if self.token is not None and self.token in addresses:
            senders = (_ZERO_TOPIC,) + ((_topic(self.budget),) if self.budget else ())
            out.append(LogQuery((self.token,), ((_TRANSFER,), senders)))  # mints and the Budget's transfers
            out.append(LogQuery((self.token,), ((_TRANSFER,), None, (_ZERO_TOPIC,))))  # burns
        stake_tokens = tuple(a for a in addresses if roles[a] == "stake_token")
        if stake_tokens:
            out.append(LogQuery(stake_tokens, ((_TRANSFER,),)))
        pools = tuple(_topic(a) for a in addresses if roles[a] == "mechanism" and _stakes(self._kind_of(a)))
        if pools:
            # Any token's transfers into a staking mechanism: where its stake token is found.
            out.append(LogQuery((), ((_TRANSFER,), None, pools)))
        return out

    def _kind_of(self, address: str) -> str | None:
        contract = self.contracts.get(address) or self._found.get(address)
        return contract.kind if contract else None

    def _discover(self, entries: list[tuple[RawLog, dict[str, Any] | None]], position: int, found: dict[str, _Contract]) -> None:
        log, decoded = entries[position]
        if decoded is None:
            return
        source = self.contracts.get(log.address) or found.get(log.address)
        if source is None:
            return
        args = decoded["args"]
        new: list[_Contract] = []
        if decoded["event"] == _PROGRAMME_CREATED and source.role == "factory":
            programme = str(args["programme"])
            new.append(_Contract(programme, "programme", None, None, log.block))
            new.append(_Contract(str(args["mechanism"]), "mechanism", _kind_name(args.get("kind")), programme, log.block))
        elif decoded["event"] == _EPOCH_OPENED and source.role == "programme":
            new.append(_Contract(str(args["minter"]), "epoch_minter", None, log.address, log.block))
        elif decoded["event"] == _STAKED and source.role == "mechanism":
            token = _stake_transfer(entries, position)
            if token is not None:
                new.append(_Contract(token, "stake_token", None, log.address, log.block))
        for contract in new:
            if contract.address not in self.contracts and contract.address not in found:
                found[contract.address] = contract

    def fetch(self, first: int, last: int) -> tuple[list[tuple[RawLog, dict[str, Any] | None]], dict[str, _Contract]]:
        """Every log of the batch [first, last] in chain order with its decoding, and the
        contracts discovered in it; newly discovered contracts' logs are fetched from the block
        they appeared in, until nothing new turns up. A stake token is found at its first
        stake, and its transfers are fetched from the index's first block (who funded whom
        before staking is what the sybil signals read), in ranges of at most a batch."""
        logs: dict[tuple[int, int], tuple[RawLog, dict[str, Any] | None]] = {}
        found: dict[str, _Contract] = {}
        self._found = found
        pending = [(first, list(self.contracts))]
        while pending:
            start, addresses = pending.pop()
            for query in self._queries(addresses):
                for log in self._logs_in(start, first, last, query):
                    key = (log.block, log.log_index)
                    if key not in logs:
                        logs[key] = (log, self.decoder.decode(log.address, log.topics, log.data))
            before = set(found)
            ordered = [logs[key] for key in sorted(logs)]
            for position in range(len(ordered)):
                self._discover(ordered, position, found)
            fresh = [found[a] for a in found if a not in before]
            for role in ("stake_token", None):
                group = [c for c in fresh if (c.role == "stake_token") == (role is not None)]
                if not group:
                    continue
                since = (
                    self.start_block if role else min(first if c.discovered_block is None else c.discovered_block for c in group)
                )
                pending.append((since, [c.address for c in group]))
        tracked = set(self.contracts) | set(found)
        # Transfers of other tokens into a staking mechanism served only to find its stake token.
        return [logs[key] for key in sorted(logs) if logs[key][0].address in tracked], found

    def _logs_in(self, start: int, first: int, last: int, query: LogQuery) -> list[RawLog]:
        """`query`'s logs in [start, last]. The part before this batch (a backfill) is read in
        ranges of at most a batch, halved when the node refuses one."""
        out: list[RawLog] = []
        low, span = start, self.batch_blocks
        while low < first:
            high = min(first - 1, low + span - 1)
            try:
                out += self.source.logs(low, high, query)
            except RangeRefused:
                if high == low:
                    raise
                span = max(1, (high - low + 1) // 2)
                continue
            low = high + 1
        return out + self.source.logs(max(start, first), last, query)

    # --- writing one batch --------------------------------------------------------------

    def commit(self, first: int, last: int) -> int:
        """Fetch and store the batch [first, last] in one transaction; returns its log count."""
        entries, found = self.fetch(first, last)
        # A block's hash and time: from its logs when the node sends both with each log (anvil,
        # geth since 1.16), else read from its header. Logs of one block that disagree on its
        # hash, or on the header's, were read across a reorg: the batch is read again.
        hashes: dict[int, tuple[str, int]] = {}
        for log, _ in entries:
            if log.block_hash is None or log.block_time is None:
                continue
            known = hashes.setdefault(log.block, (log.block_hash, log.block_time))
            if known[0] != log.block_hash:
                raise BlockChanged(f"block {log.block} changed while it was read")
        for number in sorted(({log.block for log, _ in entries} | {last}) - set(hashes)):
            hashes[number] = self.source.block(number)
        last_hash, last_time = hashes[last]
        if not any(log.block == last for log, _ in entries):
            del hashes[last]  # only in the cursor
        for log, _ in entries:
            if log.block_hash is not None and log.block_hash != hashes[log.block][0]:
                raise BlockChanged(f"block {log.block} changed while it was read")
        rows = []
        for log, decoded in entries:
            event = decoded["event"] if decoded else "unknown"
            args = {k: _jsonable(v) for k, v in decoded["args"].items()} if decoded else {}
            rows.append(
                (
                    log.block,
                    log.log_index,
                    log.tx_hash,
                    log.address,
                    event,
                    json.dumps(args),
                    json.dumps(["0x" + t.hex() for t in log.topics]),
                    "0x" + log.data.hex(),
                )
            )
        db = self.db
        db.execute("BEGIN IMMEDIATE")
        try:
            db.executemany("INSERT INTO logs VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
            db.executemany("INSERT OR REPLACE INTO blocks VALUES (?, ?, ?)", [(n, h, t) for n, (h, t) in hashes.items()])
            db.executemany(
                "INSERT INTO contracts VALUES (?, ?, ?, ?, ?)",
                [(c.address, c.role, c.kind, c.parent, c.discovered_block) for c in found.values()],
            )
            db.execute("UPDATE cursor SET block = ?, hash = ? WHERE id = 1", (last, last_hash))
            # When the cursor's block was made: what "indexed up to" means in time.
            db.execute("INSERT OR REPLACE INTO meta VALUES ('cursor_time', ?)", (str(last_time),))
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        self.contracts.update(found)
        return len(rows)

    # --- reorgs ------------------------------------------------------------------------

    def check_reorg(self, cursor: int, depth: int) -> int | None:
        """The first block to index again because the node's hash differs, or None."""
        stored = self.db.execute(
            "SELECT number, hash FROM blocks WHERE number > ? AND number < ? ORDER BY number", (cursor - depth, cursor)
        ).fetchall()
        stored += self.db.execute("SELECT block, hash FROM cursor WHERE id = 1 AND hash IS NOT NULL").fetchall()
        good, head = cursor - depth, self.source.head()
        for number, stored_hash in stored:
            if number > head or self.source.block(number)[0] != stored_hash:
                return good + 1
            good = number
        return None

    def roll_back(self, block: int) -> None:
        db = self.db
        db.execute("BEGIN IMMEDIATE")
        try:
            db.execute("DELETE FROM logs WHERE block >= ?", (block,))
            # A stake token found in the rolled-back blocks takes its backfilled transfers along.
            db.execute("DELETE FROM logs WHERE address IN (SELECT address FROM contracts WHERE discovered_block >= ?)", (block,))
            db.execute("DELETE FROM blocks WHERE number >= ?", (block,))
            db.execute("DELETE FROM contracts WHERE discovered_block >= ?", (block,))
            db.execute("DELETE FROM blocks WHERE number NOT IN (SELECT block FROM logs)")
            previous = db.execute(
                "SELECT number, hash FROM blocks WHERE number < ? ORDER BY number DESC LIMIT 1", (block,)
            ).fetchone()
            # The cursor moves back to the newest block kept that carries logs (its hash is known).
            db.execute("UPDATE cursor SET block = ?, hash = ? WHERE id = 1", previous if previous else (block - 1, None))
            db.execute("DELETE FROM meta WHERE key = 'cursor_time'")  # known again after the next batch
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        self.contracts = {a: c for a, c in self.contracts.items() if c.discovered_block is None or c.discovered_block < block}


def _topic(address: str) -> bytes:
    return bytes.fromhex(address[2:]).rjust(32, b"\0")


def _stakes(kind: str | None) -> bool:
    try:
        return kind is not None and kinds.get(kind).stakes
    except KeyError:
        return False


def _stake_transfer(entries: Sequence[tuple[RawLog, Any]], position: int) -> str | None:
    """The token of the stake a `Staked` log at `position` records: the nearest Transfer
    before it in the same transaction into the mechanism, of the amount staked (a token
    the stake's transferFrom moved; another contract's earlier log in the transaction cannot
    come between the two)."""
    staked = entries[position][0]
    amount = staked.data[:32]
    for log, _ in reversed(entries[:position]):
        if log.tx_hash != staked.tx_hash or log.block != staked.block:
            return None
        if (
            len(log.topics) == 3
            and log.topics[0] == _TRANSFER
            and log.topics[2] == _topic(staked.address)
            and log.data[:32] == amount
        ):
            return log.address
    return None


def _kind_name(code: Any) -> str | None:
    if code is None:
        return None
    try:
        return kinds.by_code(int(code)).name
    except (KeyError, ValueError):
        return str(code)


def _seeds(deployments: Deployments) -> list[_Contract]:
    stack = deployments.stack
    if not stack.get("budget"):
        raise IndexProblem(
            f"nothing to index: no Budget recorded for chain {deployments.chain_id}"
            f"{f' in {deployments.path}' if deployments.path else ''} (run `tpp devnet up` or deploy the stack first)"
        )
    seeds = [_Contract(to_checksum_address(stack[key]), key) for key in _STACK_ROLES if stack.get(key)]
    if stack.get("token"):
        seeds.append(_Contract(to_checksum_address(stack["token"]), "token"))
    return seeds


def index_chain(
    source: LogSource,
    deployments: Deployments,
    db_path: Path,
    *,
    confirmations: int | None = None,
    start_block: int = 0,
    batch_blocks: int = DEFAULT_BATCH_BLOCKS,
    reorg_depth: int = DEFAULT_REORG_DEPTH,
    say: Callable[[str], None] | None = None,
    on_batch: Callable[[int, int, int], None] | None = None,
) -> IndexSummary:
    """Index the chain of `source` from the cursor (or `start_block`) up to its head less
    `confirmations` into the SQLite database at `db_path`, after rolling back any reorged
    blocks. `say` hears what is worth a line (a reorg rolled back, a range refused);
    `on_batch(first, last, target)` runs after each batch commits (progress: this run's first
    block, the cursor now, the block it indexes up to)."""
    confirmations = source.confirmations if confirmations is None else confirmations
    if confirmations < 0:
        raise IndexProblem(f"--confirmations must be 0 or more, not {confirmations}")
    if batch_blocks < 1:
        raise IndexProblem(f"the batch size must be at least one block, not {batch_blocks}")
    seeds = _seeds(deployments)
    stack = deployments.stack
    db = _open(Path(db_path), deployments.chain_id)
    try:
        indexer = _Indexer(
            db,
            source,
            EventDecoder.from_abis(all_abis()),
            token=to_checksum_address(stack["token"]) if stack.get("token") else None,
            budget=to_checksum_address(stack["budget"]),
            start_block=start_block,
            batch_blocks=batch_blocks,
        )
        db.execute("BEGIN IMMEDIATE")
        db.execute("INSERT OR IGNORE INTO cursor VALUES (1, ?, ?, NULL, ?)", (deployments.chain_id, start_block - 1, start_block))
        db.executemany("INSERT OR IGNORE INTO contracts VALUES (?, ?, NULL, NULL, NULL)", [(c.address, c.role) for c in seeds])
        db.execute("COMMIT")
        indexer.load_contracts()
        cursor, indexer.start_block = (
            int(v) for v in db.execute("SELECT block, start_block FROM cursor WHERE id = 1").fetchone()
        )

        rolled_back = indexer.check_reorg(cursor, reorg_depth) if cursor >= indexer.start_block else None
        if rolled_back is not None:
            indexer.roll_back(rolled_back)
            cursor = int(db.execute("SELECT block FROM cursor WHERE id = 1").fetchone()[0])
            if say:
                say(f"reorg: blocks from {rolled_back} differ on the node; rolled back, indexing them again")

        target = source.head() - confirmations
        first = cursor + 1
        span, new_logs, batches, changed = batch_blocks, 0, 0, 0
        # After a refusal the span grows back no further than the halved span that followed it,
        # so a dense stretch of chain is not asked for (and refused) again at every other
        # batch; after GROW_PROBE successes in a row it may grow again (the chain may thin out).
        ceiling, since_refusal = batch_blocks, 0
        while cursor < target:
            last = min(target, cursor + span)
            try:
                new_logs += indexer.commit(cursor + 1, last)
            except BlockChanged as exc:
                changed += 1
                if changed > MAX_REREADS:
                    raise IndexProblem(
                        f"{exc} {changed} times in a row; is the node reorganising? try more --confirmations"
                    ) from None
                continue
            except RangeRefused as exc:
                if last == cursor + 1:
                    raise IndexProblem(f"block {last}: {exc}") from None
                span = max(1, (last - cursor) // 2)
                ceiling, since_refusal = span, 0
                if say:
                    say(f"blocks {cursor + 1}-{last}: {exc}; trying {span} block(s) at a time")
                continue
            cursor, batches, changed = last, batches + 1, 0
            since_refusal += 1
            if since_refusal >= GROW_PROBE:
                ceiling = batch_blocks
            span = min(batch_blocks, span * 2, ceiling)  # grow back towards the batch size
            if on_batch is not None:
                on_batch(first, last, target)
        _describe(db, source, deployments, to_checksum_address(stack["token"]) if stack.get("token") else None, cursor)
        return IndexSummary(
            path=Path(db_path),
            first_block=first,
            last_block=cursor,
            blocks=int(db.execute("SELECT COUNT(*) FROM blocks").fetchone()[0]),
            logs=int(db.execute("SELECT COUNT(*) FROM logs").fetchone()[0]),
            contracts=int(db.execute("SELECT COUNT(*) FROM contracts").fetchone()[0]),
            new_logs=new_logs,
            rolled_back_from=rolled_back,
            batches=batches,
        )
    finally:
        db.close()


def _describe(db: sqlite3.Connection, source: LogSource, deployments: Deployments, token: str | None, cursor: int) -> None:
    """Labels from the deployments record and, once, the token's symbol and decimals: what
    readers of the index show besides its logs."""
    labels = {}
    for name, record in deployments.programmes.items():
        labels[to_checksum_address(record.address)] = name
        labels[to_checksum_address(record.mechanism)] = f"{name} mechanism"
    for role in _STACK_ROLES:
        if deployments.stack.get(role):
            labels.setdefault(
                to_checksum_address(deployments.stack[role]), role.replace("_", " ").replace("tpp", "TPP").replace("gap", "GAP")
            )
    meta: dict[str, str] = {}
    have = {row[0] for row in db.execute("SELECT key FROM meta")}
    if token is not None and "token_symbol" not in have and cursor >= 0:
        try:
            meta["token_symbol"] = "".join(c for c in str(source.view("TppToken", token, "symbol", cursor)) if c.isprintable())[
                :32
            ]
            meta["token_decimals"] = str(int(source.view("TppToken", token, "decimals", cursor)))
        except Exception:  # noqa: BLE001 - not deployed yet at the cursor, or no symbol(): read next run
            meta = {}
    for (address,) in db.execute("SELECT address FROM contracts WHERE role = 'stake_token'").fetchall():
        if f"decimals:{address}" not in have and cursor >= 0:
            try:
                meta[f"decimals:{address}"] = str(int(source.view("TppToken", address, "decimals", cursor)))
            except Exception:  # noqa: BLE001 - a token without decimals(): shown in its raw units
                meta[f"decimals:{address}"] = "0"
    db.execute("BEGIN IMMEDIATE")
    try:
        db.executemany("INSERT OR REPLACE INTO labels VALUES (?, ?)", labels.items())
        db.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)", meta.items())
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise


# --- reconciliation -----------------------------------------------------------------------------


@dataclass
class Reconciliation:
    """What `verify_index` compared: (contract role, address, indexed, on chain) per check."""

    checks: list[tuple[str, str, int, int]] = field(default_factory=list)

    def line(self) -> str:
        minters = sum(1 for c in self.checks if c[0] == "epoch_minter")
        programmes = sum(1 for c in self.checks if c[0] == "programme")
        return f"verified: {minters} epoch minter(s), the Budget and {programmes} programme(s) match the chain"


def verify_index(source: LogSource, db_path: Path) -> Reconciliation:
    """Reconcile the index with the chain at the last indexed block: each epoch minter's Σ
    `Minted` equals its `minted()`, the Budget's Σ over the minters it admitted equals
    `total_minted()`, each programme's last `Transition` equals `state()`. A difference raises
    IndexProblem naming the contract and both numbers."""
    db = _open(Path(db_path), None)
    try:
        cursor = int(db.execute("SELECT block FROM cursor WHERE id = 1").fetchone()[0])
        result = Reconciliation()
        differences: list[str] = []

        def compare(role: str, address: str, label: str, indexed: int, onchain: int) -> None:
            result.checks.append((role, address, indexed, onchain))
            if indexed != onchain:
                differences.append(f"{label} {address}: indexed {indexed}, on chain {onchain}")

        minted = _sums(db.execute("SELECT address, args FROM logs WHERE event = 'Minted'"), "amount")
        minters = [row[0] for row in db.execute("SELECT address FROM contracts WHERE role = 'epoch_minter' ORDER BY address")]
        for minter in minters:
            compare(
                "epoch_minter",
                minter,
                "epoch minter",
                minted.get(minter, 0),
                int(source.view("EpochMinter", minter, "minted", cursor)),
            )
        budget_row = db.execute("SELECT address FROM contracts WHERE role = 'budget'").fetchone()
        if budget_row is not None:
            budget = str(budget_row[0])
            admitted = {
                str(json.loads(args)["minter"])
                for (args,) in db.execute("SELECT args FROM logs WHERE address = ? AND event = 'EpochAdmitted'", (budget,))
            }
            total = sum(minted.get(m, 0) for m in admitted)
            compare("budget", budget, "Budget", total, int(source.view("Budget", budget, "total_minted", cursor)))
        last_state: dict[str, int] = {}
        for address, args in db.execute("SELECT address, args FROM logs WHERE event = 'Transition' ORDER BY block, log_index"):
            last_state[str(address)] = int(json.loads(args)["new_state"])
        for (programme,) in db.execute("SELECT address FROM contracts WHERE role = 'programme' ORDER BY address"):
            indexed = last_state.get(programme, int(State.NONE))
            onchain = int(source.view("Programme", programme, "state", cursor))
            result.checks.append(("programme", programme, indexed, onchain))
            if indexed != onchain:
                differences.append(
                    f"programme {programme}: indexed state {_state_name(indexed)}, on chain {_state_name(onchain)}"
                )
    finally:
        db.close()
    if differences:
        raise IndexProblem(f"{db_path}: the index differs from the chain at block {cursor}: " + "; ".join(differences))
    return result


def _state_name(value: int) -> str:
    return f"{State.label(value)} ({value})"


def _sums(rows: Iterable[Sequence[Any]], key: str) -> dict[str, int]:
    out: dict[str, int] = {}
    for address, args in rows:
        out[str(address)] = out.get(str(address), 0) + int(json.loads(args)[key])
    return out
