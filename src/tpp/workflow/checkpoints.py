"""Scoring a checkpoint (`tpp checkpoint score`): the Merkle tree a checkpoint programme's
scorer posts, computed from indexed chain data only, so anyone holding the same index and the
same rules file gets the same root.

The rules file (TOML, one `[scoring]` table) names:

- `activity`: a token the index holds every `Transfer` of (today: a staking pool's stake
  token, which `tpp index` follows from its first stake); each transfer an account sends is
  one transaction of that account;
- `counterparties` (optional): only transfers to one of these addresses count (a pool, a
  protocol's contracts);
- `exclude` (optional): addresses never eligible (pools, treasuries, the Budget);
- eligibility: `min_transactions` and `min_active_days` (UTC days with a counted transfer);
- `metric`: what an eligible account's share is proportional to — `volume` (tokens sent),
  `transactions` or `active_days`;
- `max_share`: the most one account may receive of a checkpoint's award (Optimism Retro
  Funding's per-project cap): the excess goes to the others in proportion, repeatedly;
- `award` (optional): what the checkpoint distributes; by default everything the epoch's
  linear unlock has emitted up to the checkpoint that earlier roots did not assign (at full
  throttle: with a lowered throttle or a halt the contract refuses that total, and the rules
  should state an `award`).

The period scored is [the previous checkpoint's time, this checkpoint's time): a transfer in
the checkpoint's own second may land after the scorer read the chain, so it counts for the
next checkpoint, and a score never changes once the checkpoint has passed. Amounts are
cumulative: the previous checkpoint's tree (`--previous`) is added, as the contract expects.
`rules_hash` is keccak256 of the rules file's bytes, `data_hash` keccak256 of the transfers
used, one CSV line each (block,log_index,tx,from,to,value), so a challenger can show which
input differs.
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from eth_utils import keccak, to_checksum_address
from pydantic import BaseModel, ConfigDict, ValidationError

from tpp.base import units
from tpp.base.errors import UserError
from tpp.model import impact
from tpp.model.merkle import MerkleTree
from tpp.specs.spec import LineIndex, Problem, SpecError, pydantic_problems
from tpp.workflow.provenance import IndexData, _transfer

__all__ = ["CheckpointScore", "ScoringRules", "load_rules", "score_checkpoint"]

METRICS = impact.METRICS
_RATE_SCALE = 10**18  # emission.vy's fixed-point scale of the per-second rate


class _Rules(BaseModel):
    model_config = ConfigDict(extra="forbid")

    activity: str
    counterparties: list[str] = []
    exclude: list[str] = []
    min_transactions: int = 1
    min_active_days: int = 1
    metric: str = "volume"
    max_share: str = "100%"
    award: str | None = None


@dataclass(frozen=True)
class ScoringRules:
    activity: str
    counterparties: tuple[str, ...]
    exclude: tuple[str, ...]
    min_transactions: int
    min_active_days: int
    metric: str
    max_share_bps: int
    award: str | None  # as written ("10000 ZK"); read in the index's token units when scoring
    rules_hash: bytes
    path: Path


def load_rules(path: Path) -> ScoringRules:
    """The `[scoring]` table of `path`, checked; every problem names the file, line and key."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise UserError(f"{path}: cannot read the scoring rules ({exc.strerror or exc})") from None
    try:
        text = raw.decode("utf-8")
        doc = tomllib.loads(text)
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise UserError(f"{path}: not valid TOML ({exc})") from None
    lines = LineIndex(text)
    problems: list[Problem] = []

    def bad(key: tuple, message: str) -> None:
        problems.append(Problem(str(path), lines.line(key), ".".join(map(str, key)), message))

    extra = sorted(set(doc) - {"scoring"})
    for key in extra:
        bad((key,), "unknown key (the rules are one [scoring] table)")
    table = doc.get("scoring")
    if not isinstance(table, dict):
        bad(("scoring",), "is missing: a [scoring] table with activity, metric, min_transactions, …")
        raise SpecError(problems)
    try:
        model = _Rules(**table)
    except ValidationError as exc:
        for loc, message in pydantic_problems(exc, ("scoring",), lambda loc: list(_Rules.model_fields)):
            bad(loc, message)
        raise SpecError(problems) from None

    def address(key: tuple, value: str) -> str:
        try:
            return to_checksum_address(value)
        except ValueError:
            bad(key, f"{value!r} is not an address")
            return value

    activity = address(("scoring", "activity"), model.activity)
    counterparties = tuple(address(("scoring", "counterparties"), a) for a in model.counterparties)
    exclude = tuple(address(("scoring", "exclude"), a) for a in model.exclude)
    if model.metric not in METRICS:
        bad(("scoring", "metric"), f'must be one of {", ".join(METRICS)}, not "{model.metric}"')
    for key in ("min_transactions", "min_active_days"):
        if getattr(model, key) < 0:
            bad(("scoring", key), "must not be negative")
    share = 0
    try:
        share = units.parse_bps(model.max_share)
        if not 0 < share <= 10_000:
            bad(("scoring", "max_share"), "must be more than 0% and at most 100%")
    except units.UnitError as exc:
        bad(("scoring", "max_share"), str(exc))
    if problems:
        raise SpecError(problems)
    return ScoringRules(
        activity,
        counterparties,
        exclude,
        model.min_transactions,
        model.min_active_days,
        model.metric,
        share,
        model.award,
        keccak(raw),
        path,
    )


@dataclass
class CheckpointScore:
    programme: str
    mechanism: str
    checkpoint: int
    period_start: int
    award: int
    tree: MerkleTree
    participants: list[impact.Activity]
    rules_hash: bytes
    data_hash: bytes
    transfers: int

    def to_json(self) -> dict[str, Any]:
        return {
            "programme": self.programme,
            "mechanism": self.mechanism,
            "checkpoint": self.checkpoint,
            "period_start": self.period_start,
            "award": str(self.award),
            "root": "0x" + self.tree.root.hex(),
            "total": str(self.tree.total),
            "rules_hash": "0x" + self.rules_hash.hex(),
            "data_hash": "0x" + self.data_hash.hex(),
            "transfers": self.transfers,
            "leaves": [
                {"account": a, "cumulative": str(v), "proof": ["0x" + p.hex() for p in self.tree.proof(a)]}
                for a, v in zip(self.tree.accounts, self.tree.amounts)
            ],
            "participants": [
                {
                    "account": p.account,
                    "transactions": p.transactions,
                    "volume": str(p.volume),
                    "active_days": len(p.days),
                    "eligible": p.eligible,
                    "award": str(p.award),
                }
                for p in self.participants
            ],
        }


def _mechanism_of(data: IndexData, programme: str) -> tuple[str, str]:
    """(programme, mechanism) addresses of a checkpoint programme named or addressed by `programme`."""
    by_label = {v: k for k, v in data.labels.items()}
    target = by_label.get(programme, programme)
    try:
        target = to_checksum_address(target)
    except ValueError:
        raise UserError(f"{programme!r}: not a programme name or address the index knows") from None
    for address, (role, kind, parent) in data.contracts.items():
        if role == "mechanism" and (parent == target or address == target):
            if kind != "checkpoints":
                raise UserError(f"{programme}: a {kind} programme, not a checkpoint programme")
            return str(parent), address
    raise UserError(f"{programme!r}: no checkpoint programme with that name or address in {data.path}")


def score_checkpoint(
    data: IndexData,
    programme: str,
    rules: ScoringRules,
    checkpoint: int,
    previous: dict[str, Any] | None = None,
) -> CheckpointScore:
    """The tree for `programme`'s checkpoint at unix time `checkpoint` (see the module doc)."""
    programme_address, mechanism = _mechanism_of(data, programme)
    prior: dict[str, int] = {}
    period_start = 0
    if previous is not None:
        if str(previous.get("mechanism", "")).lower() != mechanism.lower():
            raise UserError(f"the previous checkpoint's file is for {previous.get('mechanism')}, not for {mechanism}")
        prior = {to_checksum_address(leaf["account"]): int(leaf["cumulative"]) for leaf in previous["leaves"]}
        period_start = int(previous["checkpoint"])
        if checkpoint <= period_start:
            raise UserError(f"checkpoint {units.format_date(checkpoint)} is not after the previous one's")
    if checkpoint > data.indexed_until:
        raise UserError(
            f"checkpoint {units.format_date(checkpoint)} is after the last indexed block "
            f"({units.format_date(data.indexed_until)}); run `tpp index` first"
        )
    role = data.role(rules.activity)
    if role != "stake_token":
        why = (
            "the index holds only the governance token's mints, burns and Budget transfers"
            if role == "token"
            else "the index does not hold its transfers"
        )
        raise UserError(
            f"{rules.path}: activity {rules.activity}: {why}; score on a token the index holds every transfer of "
            "(a staking pool's stake token)"
        )

    excluded = set(rules.exclude) | {"0x" + "00" * 20, mechanism, programme_address}
    transfers: list[tuple[int, str, str, int]] = []
    lines: list[str] = []
    for log in data.events("Transfer", address=rules.activity):
        t = data.time_of(log)
        if not period_start <= t < checkpoint:
            continue
        sender, to, value = _transfer(log)
        if rules.counterparties and to not in rules.counterparties:
            continue
        lines.append(f"{log.block},{log.index},{log.tx},{sender},{to},{value}")
        transfers.append((t, sender, to, value))
    people = impact.tally(
        transfers,
        start=period_start,
        end=checkpoint,
        excluded=excluded,
        min_transactions=rules.min_transactions,
        min_active_days=rules.min_active_days,
    )
    award = _award(data, mechanism, rules, checkpoint, sum(prior.values()))
    cumulative = impact.award_accounts(people, award, rules.metric, rules.max_share_bps, prior)
    if not cumulative:
        raise UserError(
            f"nobody is eligible at {units.format_date(checkpoint)} ({len(people)} account(s) active, "
            f"{len(lines)} transfer(s)) and no earlier checkpoint assigned anything: there is no tree to post"
        )
    tree = MerkleTree.build(mechanism, cumulative)
    return CheckpointScore(
        programme=programme_address,
        mechanism=mechanism,
        checkpoint=checkpoint,
        period_start=period_start,
        award=award,
        tree=tree,
        participants=sorted(people.values(), key=lambda p: (-p.award, p.account.lower())),
        rules_hash=rules.rules_hash,
        data_hash=keccak("\n".join(lines).encode()),
        transfers=len(lines),
    )


def _award(data: IndexData, mechanism: str, rules: ScoringRules, checkpoint: int, assigned: int) -> int:
    if rules.award is not None:
        try:
            return units.parse_amount(rules.award, data.symbol, data.decimals)
        except units.UnitError as exc:
            raise UserError(f"{rules.path}: award: {exc}") from None
    # Everything the epochs emitted up to the checkpoint at full throttle (the contract's rate
    # formula), less what earlier checkpoints assigned, less a wei for every call that ticked
    # the contract's clock (each floors; each logs an event), so the total is never above the
    # contract's own bound. Throttled or halted time is not modelled: state an `award` then.
    programme = str(next(p for a, (r, _, p) in data.contracts.items() if a == mechanism))
    emitted = 0
    for log in data.events("EpochOpened", address=programme):
        start, end, cap = log.int("start"), log.int("end"), log.int("cap")
        if checkpoint > start:
            emitted += cap * _RATE_SCALE // (end - start) * (min(checkpoint, end) - start) // _RATE_SCALE
    ticks = sum(1 for a in (programme, mechanism) for log in data.by_address.get(a, []) if data.time_of(log) < checkpoint)
    return max(0, emitted - assigned - ticks)


def write_score(result: CheckpointScore, out: Path) -> Path:
    """Writes the score as JSON (root, total, hashes, every leaf with its proof) under `out`."""
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"checkpoint-{result.mechanism[:10].lower()}-{result.checkpoint}.json"
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(result.to_json(), indent=2) + "\n")
    tmp.replace(path)
    return path


def share_text(wei: int, total: int) -> str:
    return f"{Decimal(wei) * 100 / Decimal(total):.2f}%" if total else "0%"


def posted_roots(data: IndexData, mechanism: str) -> list[dict[str, Any]]:
    """The roots a checkpoint mechanism's scorer posted, as indexed (RootPosted logs)."""
    out = []
    for log in data.events("RootPosted", address=mechanism):
        out.append(
            {
                "number": log.int("number"),
                "checkpoint": log.int("checkpoint"),
                "root": _hex(log.args["root"]),
                "total": str(log.int("total")),
                "rules_hash": _hex(log.args["rules_hash"]),
                "data_hash": _hex(log.args["data_hash"]),
                "tx": log.tx,
            }
        )
    return out


def _hex(value: Any) -> str:
    text = str(value)
    return text if text.startswith("0x") else "0x" + text
