"""`tpp trace`: where every minted token comes from, read from the index alone.

A token mint is the token's `Transfer` from the zero address. It is *attributed* when, in the
same transaction, an epoch minter the index knows logs `Minted` for the same recipient and
amount; that minter's `EpochOpened` names its programme and epoch, and the Budget's
`EpochAdmitted` names the transaction that admitted it. The authority for the epoch is a vote:

- the programme's first epoch is admitted in the transaction that executes the TPP proposal
  creating it (the governor's `ProposalExecuted` is in that transaction);
- a later epoch runs because a vote decided CONTINUE or ITERATE on the epoch before it
  (`Decided` in a transaction that executes a TPP proposal), or, with no decision, because
  the creation vote made CONTINUE the programme's default.

A proposal carries its calls and description in `ProposalCreated`, its votes in `VoteCast`;
the quorum is the governor's quorum numerator in force (`QuorumNumeratorUpdated`) times the
token's supply at the vote's snapshot, summed from the indexed mints and burns (the token's
clock is timestamps, as TppToken's and ZK's are). The GAP parameters in force at the
admission are the Budget's last `*Set` events before it, each with the GAP vote that set it
or "at deployment".

A mint that none of this explains — a minter outside the tree, or an epoch whose authority
is not a governor's vote — is *unattributed*, and is reported as such by `tpp trace`,
`tpp index --verify` and the dashboard. Everything here reads strings written by whoever sent
a transaction (descriptions, reasons): they are data, never markup.
"""

from __future__ import annotations

import json
import sqlite3
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from eth_utils import to_checksum_address

from tpp.base import units
from tpp.base.vocab import Outcome
from tpp.workflow.index import IndexProblem, open_index
from tpp.workflow.proposals import ProposalError, decode_call

__all__ = [
    "Attribution",
    "EpochTrace",
    "GapInForce",
    "IndexData",
    "Log",
    "MintTrace",
    "Proposal",
    "Trace",
    "reader_amount",
    "trace",
]

_ZERO = "0x" + "00" * 20
_SUPPORT = {0: "against", 1: "for", 2: "abstain"}
# The Budget's GAP events: what each sets, read from its arguments.
GAP_EVENTS = {
    "InflationThresholdSet": "inflation threshold",
    "AllocationSet": "allocation",
    "MaxShareSet": "max share",
    "DecisionCycleSet": "decision cycle",
    "LoadLimitSet": "load limit",
}
_CONTINUING = (int(Outcome.CONTINUE), int(Outcome.ITERATE))


@dataclass(frozen=True)
class Log:
    block: int
    index: int
    tx: str
    address: str
    event: str
    args: dict[str, Any]

    @property
    def position(self) -> tuple[int, int]:
        return (self.block, self.index)

    def int(self, key: str) -> int:
        return int(self.args[key])


@dataclass
class IndexData:
    """An index read into memory once: its logs by event and by transaction, its contracts,
    labels and token. Readers (trace, evaluate, the dashboard) share one of these."""

    path: Path
    chain_id: int
    cursor: int
    contracts: dict[str, tuple[str, str | None, str | None]]  # address -> (role, kind, parent)
    labels: dict[str, str]
    meta: dict[str, str]
    symbol: str
    decimals: int
    logs: list[Log]
    timestamps: dict[int, int]

    @classmethod
    def load(cls, path: Path) -> IndexData:
        db = open_index(Path(path))
        try:
            chain_id, cursor = db.execute("SELECT chain_id, block FROM cursor WHERE id = 1").fetchone()
            contracts = {str(a): (str(r), k, p) for a, r, k, p in db.execute("SELECT address, role, kind, parent FROM contracts")}
            labels = {str(a): str(n) for a, n in db.execute("SELECT address, label FROM labels")}
            meta = {str(k): str(v) for k, v in db.execute("SELECT key, value FROM meta")}
            logs = [
                Log(int(b), int(i), str(tx), str(a), str(e), json.loads(args))
                for b, i, tx, a, e, args in db.execute(
                    "SELECT block, log_index, tx_hash, address, event, args FROM logs ORDER BY block, log_index"
                )
            ]
            timestamps = {int(n): int(t) for n, t in db.execute("SELECT number, timestamp FROM blocks")}
        except sqlite3.Error as exc:
            raise IndexProblem(f"{path}: cannot read the index ({exc})") from None
        finally:
            db.close()
        return cls(
            path=Path(path),
            chain_id=int(chain_id),
            cursor=int(cursor),
            contracts=contracts,
            labels=labels,
            meta=meta,
            symbol=meta.get("token_symbol", "tokens"),
            decimals=int(meta.get("token_decimals", "18")),
            logs=logs,
            timestamps=timestamps,
        )

    # --- lookups --------------------------------------------------------------------------

    def _grouped(self, key: Callable[[Log], Any]) -> dict[Any, list[Log]]:
        """The logs grouped by `key`, each group in chain order."""
        out: dict[Any, list[Log]] = defaultdict(list)
        for log in self.logs:
            out[key(log)].append(log)
        return out

    @cached_property
    def by_event(self) -> dict[str, list[Log]]:
        return self._grouped(lambda log: log.event)

    @cached_property
    def by_address(self) -> dict[str, list[Log]]:
        return self._grouped(lambda log: log.address)

    @cached_property
    def by_tx(self) -> dict[str, list[Log]]:
        return self._grouped(lambda log: log.tx)

    @cached_property
    def _by_event_address(self) -> dict[tuple[str, str], list[Log]]:
        return self._grouped(lambda log: (log.event, log.address))

    def events(self, event: str, address: str | None = None, role: str | None = None) -> list[Log]:
        """`event` logs in chain order: all, one contract's, or those of contracts with `role`."""
        if address is not None:
            return self._by_event_address.get((event, address), [])
        logs = self.by_event.get(event, [])
        if role is not None:
            return [log for log in logs if self.role(log.address) == role]
        return logs

    def role(self, address: str) -> str | None:
        entry = self.contracts.get(address)
        return entry[0] if entry else None

    def of_role(self, role: str) -> list[str]:
        return sorted(a for a, (r, _, _) in self.contracts.items() if r == role)

    def one(self, role: str) -> str | None:
        found = self.of_role(role)
        return found[0] if found else None

    def time_of(self, log: Log) -> int:
        return self.timestamps.get(log.block, 0)

    @property
    def now(self) -> int:
        """The newest indexed block's time (the index's "now")."""
        return max(self.timestamps.values(), default=0)

    @property
    def indexed_until(self) -> int:
        """The time of the last block the index has read (logs or not): nothing before it is missing."""
        return max(self.now, int(self.meta.get("cursor_time", 0)))

    def name(self, address: str) -> str:
        """A contract's label ("builders", "TPP governor"), else its role, else the address."""
        if address in self.labels:
            return self.labels[address]
        role = self.role(address)
        return role.replace("_", " ") if role else address

    def amount(self, wei: int) -> str:
        return reader_amount(wei, self.symbol, self.decimals)

    # --- the provenance tree ----------------------------------------------------------------

    @cached_property
    def proposals(self) -> dict[tuple[str, int], Proposal]:
        out: dict[tuple[str, int], Proposal] = {}
        for log in self.events("ProposalCreated"):
            if self.role(log.address) not in ("tpp_governor", "gap_governor"):
                continue
            pid = log.int("proposalId")
            out[(log.address, pid)] = Proposal.from_log(self, log)
        for event in ("VoteCast", "VoteCastWithParams"):
            for log in self.events(event):
                proposal = out.get((log.address, log.int("proposalId")))
                if proposal is not None:
                    proposal.count(log)
        for log in self.events("ProposalExecuted"):
            proposal = out.get((log.address, log.int("proposalId")))
            if proposal is not None:
                proposal.executed = log
        return out

    @cached_property
    def executions(self) -> dict[str, Proposal]:
        """Transaction -> the proposal it executed."""
        return {p.executed.tx: p for p in self.proposals.values() if p.executed is not None}

    def supply_at(self, timestamp: int) -> int:
        """The token's supply at `timestamp`: indexed mints less burns in blocks up to it."""
        token = self.one("token")
        total = 0
        for log in self.events("Transfer", address=token) if token else []:
            if self.time_of(log) > timestamp:
                continue
            sender, receiver, value = _transfer(log)
            if sender == _ZERO:
                total += value
            if receiver == _ZERO:
                total -= value
        return total

    def quorum_numerator(self, governor: str, before: tuple[int, int]) -> int | None:
        numerator = None
        for log in self.events("QuorumNumeratorUpdated", address=governor):
            if log.position < before:
                numerator = log.int("newQuorumNumerator")
        return numerator

    def gap_in_force(self, before: tuple[int, int]) -> list[GapInForce]:
        """Each GAP parameter's last setting before `before`, with the vote that set it."""
        budget = self.one("budget")
        out = []
        for event, what in GAP_EVENTS.items():
            last = None
            for log in self.events(event, address=budget) if budget else []:
                if log.position < before:
                    last = log
            if last is not None:
                out.append(GapInForce(what, _gap_value(self, event, last.args), last, self.executions.get(last.tx)))
        return out

    @cached_property
    def epochs(self) -> dict[str, EpochTrace]:
        """Epoch minter -> its epoch, admission and authority."""
        admitted = {str(log.args["minter"]): log for log in self.events("EpochAdmitted", role="budget")}
        created = {str(log.args["programme"]): log for log in self.events("ProgrammeCreated", role="factory")}
        decided: dict[tuple[str, int], list[Log]] = defaultdict(list)
        for log in self.events("Decided", role="programme"):
            decided[(log.address, log.int("epoch"))].append(log)
        out = {}
        for log in self.events("EpochOpened", role="programme"):
            minter = str(log.args["minter"])
            epoch = EpochTrace(
                programme=log.address,
                number=log.int("epoch"),
                minter=minter,
                cap=log.int("cap"),
                start=log.int("start"),
                end=log.int("end"),
                opened=log,
                admission=admitted.get(minter),
            )
            creation = created.get(log.address)
            epoch.creation_vote = self.executions.get(creation.tx) if creation else None
            if epoch.number <= 1:
                epoch.vote = self.executions.get(log.tx)
                epoch.how = "created by this vote"
            else:
                earlier = [d for d in decided.get((log.address, epoch.number - 1), []) if d.position < log.position]
                if earlier:
                    decision = earlier[-1]
                    epoch.decision = decision
                    epoch.vote = self.executions.get(decision.tx)
                    epoch.how = f"continued by this vote ({Outcome.label(decision.int('outcome'))})"
                else:
                    epoch.vote = epoch.creation_vote
                    epoch.how = "continued by default: the creation vote made CONTINUE the default"
            if epoch.admission is not None:
                epoch.gap = self.gap_in_force(epoch.admission.position)
            out[minter] = epoch
        return out

    @cached_property
    def mints(self) -> list[MintTrace]:
        """Every indexed token mint, attributed or not, in chain order."""
        token, budget = self.one("token"), self.one("budget")
        budget_logs = self.by_address.get(budget, []) if budget else []
        budget_from = budget_logs[0].position if budget_logs else None
        out: list[MintTrace] = []
        matched: dict[str, set[tuple[int, int]]] = defaultdict(set)
        for log in self.events("Transfer", address=token) if token else []:
            sender, receiver, value = _transfer(log)
            if sender != _ZERO:
                continue
            mint = MintTrace(log=log, to=receiver, amount=value, genesis=budget_from is None or log.position < budget_from)
            taken = matched[log.tx]  # Minted logs of this transaction already matched to a mint
            for other in self.by_tx[log.tx]:
                if (
                    other.event == "Minted"
                    and other.position > log.position
                    and other.position not in taken
                    and self.role(other.address) == "epoch_minter"
                    and str(other.args["to"]) == receiver
                    and other.int("amount") == value
                ):
                    mint.minted = other
                    mint.epoch = self.epochs.get(other.address)
                    taken.add(other.position)
                    break
            out.append(mint)
        return out

    @cached_property
    def attribution(self) -> Attribution:
        result = Attribution()
        for mint in self.mints:
            if mint.status == "genesis":
                result.genesis += mint.amount
                continue
            if mint.status == "traced":
                result.attributed += mint.amount
            else:
                result.unattributed.append(mint)
            result.total += mint.amount
        return result


@dataclass
class Proposal:
    governor: str
    governor_role: str  # tpp_governor or gap_governor
    id: int
    proposer: str
    description: str
    calls: list[tuple[str, str]]  # (target, "Contract.function: summary")
    created: Log
    vote_start: int
    vote_end: int
    votes: dict[str, int] = field(default_factory=lambda: {"for": 0, "against": 0, "abstain": 0})
    voters: list[tuple[str, str, int]] = field(default_factory=list)  # (voter, support, weight)
    quorum: int | None = None
    quorum_numerator: int | None = None
    executed: Log | None = None

    @classmethod
    def from_log(cls, data: IndexData, log: Log) -> Proposal:
        args = log.args
        calls = []
        for target, calldata in zip(args.get("targets", []), args.get("calldatas", [])):
            calls.append((str(target), _call_summary(data, str(target), str(calldata))))
        proposal = cls(
            governor=log.address,
            governor_role=data.role(log.address) or "",
            id=log.int("proposalId"),
            proposer=str(args.get("proposer", "")),
            description=str(args.get("description", "")),
            calls=calls,
            created=log,
            vote_start=log.int("voteStart"),
            vote_end=log.int("voteEnd"),
        )
        proposal.quorum_numerator = data.quorum_numerator(log.address, log.position)
        if proposal.quorum_numerator is not None:
            proposal.quorum = data.supply_at(proposal.vote_start) * proposal.quorum_numerator // 100
        return proposal

    def count(self, log: Log) -> None:
        support = _SUPPORT.get(log.int("support"), "unknown")
        weight = log.int("weight")
        self.votes[support] = self.votes.get(support, 0) + weight
        self.voters.append((str(log.args["voter"]), support, weight))

    @property
    def title(self) -> str:
        """The description's first line without its heading marks (attacker-written text)."""
        first = next((line for line in self.description.splitlines() if line.strip()), "")
        printable = "".join(c for c in first if c.isprintable())  # no terminal escapes
        return printable.lstrip("# ").strip()[:200] or f"proposal {self.id}"

    @property
    def kind(self) -> str:
        return "GAP" if self.governor_role == "gap_governor" else "TPP"

    @property
    def quorum_reached(self) -> bool | None:
        if self.quorum is None:
            return None
        return self.votes["for"] + self.votes["abstain"] >= self.quorum

    def vote_line(self, data: IndexData) -> str:
        v = self.votes
        quorum = ""
        if self.quorum is not None:
            quorum = f"; quorum {data.amount(self.quorum)} ({self.quorum_numerator}% of supply) {'reached' if self.quorum_reached else 'NOT reached'}"
        return (
            f"for {data.amount(v['for'])}, against {data.amount(v['against'])}, abstain {data.amount(v['abstain'])}"
            f"{quorum}; {len(self.voters)} voter(s)"
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "governor": self.governor,
            "id": str(self.id),
            "title": self.title,
            "description": self.description,
            "proposer": self.proposer,
            "created_tx": self.created.tx,
            "created_block": self.created.block,
            "executed_tx": self.executed.tx if self.executed else None,
            "calls": [{"target": t, "call": c} for t, c in self.calls],
            "votes": {k: str(v) for k, v in self.votes.items()},
            "voters": [{"voter": a, "support": s, "weight": str(w)} for a, s, w in self.voters],
            "quorum": None if self.quorum is None else str(self.quorum),
            "quorum_numerator_percent": self.quorum_numerator,
            "quorum_reached": self.quorum_reached,
        }


@dataclass(frozen=True)
class GapInForce:
    what: str
    value: str  # in human units
    log: Log
    vote: Proposal | None  # None: set at deployment (no GAP vote in that transaction)

    def line(self) -> str:
        source = f"GAP proposal {self.vote.title!r}" if self.vote else f"set at deployment (block {self.log.block})"
        return f"{self.what} {self.value} ({source})"


@dataclass
class EpochTrace:
    programme: str
    number: int
    minter: str
    cap: int
    start: int
    end: int
    opened: Log
    admission: Log | None
    vote: Proposal | None = None
    how: str = ""
    decision: Log | None = None
    creation_vote: Proposal | None = None
    gap: list[GapInForce] = field(default_factory=list)

    @property
    def problem(self) -> str | None:
        if self.admission is None:
            return "the Budget's admission of this epoch is not in the index"
        if self.vote is None:
            where = self.decision.tx if self.decision is not None else self.opened.tx
            return f"no governor vote authorised it (transaction {where} executes no indexed proposal)"
        return None


@dataclass
class MintTrace:
    log: Log
    to: str
    amount: int
    minted: Log | None = None  # the epoch minter's Minted log
    epoch: EpochTrace | None = None
    genesis: bool = False  # before the Budget's first log: supply that predates every programme

    @property
    def status(self) -> str:
        """ "traced" to a vote; "genesis" supply (outside the tree, before the Budget existed);
        or "unattributed": outside the tree or without a vote, after it."""
        if self.problem is None:
            return "traced"
        return "genesis" if self.genesis and self.minted is None else "unattributed"

    @property
    def problem(self) -> str | None:
        if self.minted is None:
            return "minted outside the tree: no tpp epoch minter logged this mint"
        if self.epoch is None:
            return f"epoch minter {self.minted.address} was not opened by an indexed programme"
        return self.epoch.problem


@dataclass
class Attribution:
    """Mints since the Budget's first log (`total`), those traced to a vote, those not; and
    the genesis supply minted before the Budget existed (never part of `total`)."""

    total: int = 0
    attributed: int = 0
    unattributed: list[MintTrace] = field(default_factory=list)
    genesis: int = 0

    def share(self) -> float:
        return self.attributed / self.total if self.total else 1.0

    def line(self, data: IndexData) -> str:
        genesis = f" (and {data.amount(self.genesis)} of genesis supply minted before the Budget existed)" if self.genesis else ""
        if not self.unattributed:
            return f"provenance: all {data.amount(self.total)} minted since the Budget was deployed traced to votes{genesis}"
        amount = sum(m.amount for m in self.unattributed)
        return (
            f"UNATTRIBUTED: {data.amount(amount)} in {len(self.unattributed)} mint(s) not traced to a vote "
            f"({data.amount(self.attributed)} of {data.amount(self.total)} traced); `tpp trace unattributed` lists them"
        )


# --- tracing a target ---------------------------------------------------------------------------


@dataclass
class Trace:
    """What `tpp trace TARGET` found: the mints concerned and the epochs they came from."""

    target: str
    what: str  # "transaction", "recipient", "programme", "epoch minter", "unattributed"
    mints: list[MintTrace]
    epochs: list[EpochTrace]

    def lines(self, data: IndexData) -> list[str]:
        total = sum(m.amount for m in self.mints)
        traced = sum(m.amount for m in self.mints if m.problem is None)
        out = [
            f"{self.what} {self.target}: {len(self.mints)} mint(s), {data.amount(total)}; {data.amount(traced)} traced to votes"
        ]
        for mint in self.mints:
            if mint.status == "genesis":
                out.append(
                    f"  genesis supply: {data.amount(mint.amount)} to {mint.to} in block {mint.log.block}, before the Budget existed"
                )
            elif mint.status == "unattributed":
                out.append(
                    f"  ! UNATTRIBUTED mint of {data.amount(mint.amount)} to {mint.to} in block {mint.log.block} "
                    f"(tx {mint.log.tx}): {mint.problem}"
                )
        for epoch in self.epochs:
            out += epoch_lines(data, epoch, [m for m in self.mints if m.epoch is epoch])
        return out

    def to_json(self, data: IndexData) -> dict[str, Any]:
        return {
            "target": self.target,
            "what": self.what,
            "mints": [mint_json(data, m) for m in self.mints],
            "epochs": [epoch_json(data, e) for e in self.epochs],
        }


def epoch_lines(data: IndexData, epoch: EpochTrace, mints: list[MintTrace]) -> list[str]:
    minted = sum(m.amount for m in mints)
    out = [
        f"  {data.name(epoch.programme)} ({epoch.programme}) epoch {epoch.number}: minter {epoch.minter}, cap {data.amount(epoch.cap)}, "
        f"{units.format_date(epoch.start)} → {units.format_date(epoch.end)}; {data.amount(minted)} in {len(mints)} mint(s) here"
    ]
    if epoch.admission is not None:
        out.append(f"    admitted by the Budget in block {epoch.admission.block} (tx {epoch.admission.tx})")
    vote = epoch.vote
    if vote is not None:
        out.append(f"    authority: {vote.kind} proposal {vote.title!r} (id {vote.id}), {epoch.how}")
        out.append(
            f"      proposed by {vote.proposer} in block {vote.created.block}; executed in tx {vote.executed.tx if vote.executed else '?'}"
        )
        out.append(f"      votes: {vote.vote_line(data)}")
        for target, call in vote.calls:
            out.append(f"      call {data.name(target)}: {call}")
    if epoch.problem is not None:
        out.append(f"    ! UNATTRIBUTED: {epoch.problem}")
    if epoch.gap:
        out.append("    GAP parameters in force at admission:")
        out += [f"      {g.line()}" for g in epoch.gap]
    return out


def mint_json(data: IndexData, mint: MintTrace) -> dict[str, Any]:
    return {
        "tx": mint.log.tx,
        "block": mint.log.block,
        "time": data.time_of(mint.log),
        "to": mint.to,
        "amount": str(mint.amount),
        "minter": mint.minted.address if mint.minted else None,
        "programme": mint.epoch.programme if mint.epoch else None,
        "epoch": mint.epoch.number if mint.epoch else None,
        "status": mint.status,
        "problem": mint.problem,
    }


def epoch_json(data: IndexData, epoch: EpochTrace) -> dict[str, Any]:
    return {
        "programme": epoch.programme,
        "name": data.name(epoch.programme),
        "epoch": epoch.number,
        "minter": epoch.minter,
        "cap": str(epoch.cap),
        "start": epoch.start,
        "end": epoch.end,
        "admission_tx": epoch.admission.tx if epoch.admission else None,
        "how": epoch.how,
        "vote": epoch.vote.to_json() if epoch.vote else None,
        "gap_in_force": [
            {"parameter": g.what, "value": g.value, "vote": g.vote.title if g.vote else None, "block": g.log.block}
            for g in epoch.gap
        ],
        "problem": epoch.problem,
    }


def trace(data: IndexData, target: str, names: dict[str, str] | None = None) -> Trace:
    """Trace a transaction hash, an address (programme, epoch minter or recipient), a
    programme's name (from `names` or the index's labels), or "unattributed"."""
    text = target.strip()
    if text == "unattributed":
        mints = [m for m in data.mints if m.status == "unattributed"]
        return Trace(text, "unattributed", mints, _epochs_of(mints))
    if text.startswith("0x") and len(text) == 66:
        mints = [m for m in data.mints if m.log.tx.lower() == text.lower()]
        if not mints and text.lower() not in {tx.lower() for tx in data.by_tx}:
            raise IndexProblem(f"transaction {text}: not in the index (no tpp event in it); is the index up to date?")
        return Trace(text, "transaction", mints, _epochs_of(mints))
    address = _address(text, data, names or {})
    role = data.role(address)
    if role == "programme":
        epochs = sorted((e for e in data.epochs.values() if e.programme == address), key=lambda e: e.number)
        minters = {e.minter for e in epochs}
        mints = [m for m in data.mints if m.minted is not None and m.minted.address in minters]
        return Trace(f"{data.name(address)} ({address})", "programme", mints, epochs)
    if role == "epoch_minter":
        mints = [m for m in data.mints if m.minted is not None and m.minted.address == address]
        epoch = data.epochs.get(address)
        return Trace(address, "epoch minter", mints, [epoch] if epoch else [])
    mints = [m for m in data.mints if m.to == address]
    if not mints:
        raise IndexProblem(f"{text}: no indexed mint to this address, and it is no programme or epoch minter the index knows")
    return Trace(address, "recipient", mints, _epochs_of(mints))


def _epochs_of(mints: Iterable[MintTrace]) -> list[EpochTrace]:
    seen: dict[str, EpochTrace] = {}
    for mint in mints:
        if mint.epoch is not None:
            seen.setdefault(mint.epoch.minter, mint.epoch)
    return sorted(seen.values(), key=lambda e: (e.programme, e.number))


def _address(text: str, data: IndexData, names: dict[str, str]) -> str:
    by_name = {**{v: k for k, v in data.labels.items()}, **names}
    if text in by_name:
        return to_checksum_address(by_name[text])
    try:
        return to_checksum_address(text)
    except ValueError:
        known = ", ".join(sorted(n for n in by_name if data.role(to_checksum_address(by_name[n])) == "programme")) or "none"
        raise IndexProblem(
            f"{text!r}: not a transaction hash, an address or a programme name the index knows (programmes: {known})"
        ) from None


# --- helpers --------------------------------------------------------------------------------------


def reader_amount(wei: int, symbol: str, decimals: int) -> str:
    """An amount for readers of traces, briefs and the dashboard: whole tokens with thousands
    separators from 1,000 up, else at most three decimals."""
    value = wei / 10**decimals
    text = f"{value:,.0f}" if abs(value) >= 1000 else f"{value:,.3f}".rstrip("0").rstrip(".")
    return f"{text} {symbol}"


def _transfer(log: Log) -> tuple[str, str, int]:
    """(from, to, value) of a Transfer log, whatever the ERC-20's argument names (the index
    stores addresses checksummed, as the decoder gives them)."""
    values = list(log.args.values())
    return str(values[0]), str(values[1]), int(values[2])


def _call_summary(data: IndexData, target: str, calldata: str) -> str:
    try:
        decoded = decode_call(bytes.fromhex(calldata.removeprefix("0x")))
    except (ProposalError, ValueError):
        return f"calldata {calldata[:10]}… (not a call tpp knows)"
    args = decoded.args
    if decoded.function == "create_programmes":
        detail = f"creates {len(args['specs'])} programme(s)"
    elif decoded.function == "decide":
        detail = f"{Outcome.label(int(args['outcome']))}" + (
            f", new cap {data.amount(int(args['new_cap']))}" if args["new_cap"] else ""
        )
    else:
        detail = ", ".join(f"{k}={_short(v)}" for k, v in args.items())
    return f"{decoded.function}({detail})"


def _short(value: Any) -> str:
    if isinstance(value, (bytes, bytearray)):
        return "0x" + bytes(value).hex()[:16] + ("…" if len(value) > 8 else "")
    return str(value)


def _gap_value(data: IndexData, event: str, args: dict[str, Any]) -> str:
    if event == "InflationThresholdSet":
        return units.format_rate(int(args["new_threshold"]), data.symbol, data.decimals)
    if event == "AllocationSet":
        return data.amount(int(args["new_allocation"]))
    if event == "MaxShareSet":
        return units.format_bps(int(args["new_bps"]))
    if event == "DecisionCycleSet":
        return (
            f"{units.format_duration(int(args['new_cycle_length']))} cycles from {units.format_date(int(args['new_genesis']))}, "
            f"{units.format_duration(int(args['new_window_length']))} window"
        )
    return str(int(args["new_limit"])) + " decisions per window"
