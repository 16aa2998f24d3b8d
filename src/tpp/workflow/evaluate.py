"""`tpp evaluate NAME`: a programme's evaluation brief, from indexed chain data only.

What a delegate reads in five minutes before the window: emitted against cap and unlock per
epoch; who received it (recipients, top-10 share, Gini); how long claims wait; for staking,
how much stake stays after an epoch ends; simple sybil signals (stakers whose first stake
tokens came from one address); the research questions and KPIs declared in the proposal
that created the programme (its on-chain description); and the decision options with what
each does to the Budget (the next epoch's rate against the threshold's headroom, and the
scheduled supply at the next epoch's end). Output: markdown, HTML (every string escaped) and
the programme's entry for `tpp propose --slate`.
"""

from __future__ import annotations

import html
import re
import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from eth_utils import to_checksum_address

from tpp.base import units
from tpp.base.vocab import Outcome, State
from tpp.workflow.index import IndexProblem
from tpp.workflow.proposals import ProposalError, _function, decode_call
from tpp.workflow.provenance import EpochTrace, IndexData, Log, _transfer, reader_amount

__all__ = ["Brief", "brief", "gini"]

_ZERO = "0x" + "00" * 20
# Seconds after an epoch's end at which stake retention is read.
RETENTION_AFTER = 7 * 86_400
# Stakers first funded by one address, from this many on, are a sybil signal.
SYBIL_CLUSTER = 3


def gini(values: list[int]) -> float:
    """Gini coefficient of non-negative amounts: 0 all equal, towards 1 one takes all."""
    xs = sorted(v for v in values if v > 0)
    n, total = len(xs), sum(xs)
    if n == 0 or total == 0:
        return 0.0
    weighted = sum((i + 1) * x for i, x in enumerate(xs))
    return (2 * weighted) / (n * total) - (n + 1) / n


@dataclass
class EpochRow:
    number: int
    start: int
    end: int
    cap: int
    minted: int
    unlocked: int
    mints: int


@dataclass
class Option:
    outcome: str
    next_cap: int
    rate: int  # wei per second of the next epoch
    aggregate: int  # the Budget's aggregate rate in the next epoch with this choice
    supply: int  # scheduled supply at the next epoch's end
    note: str


@dataclass
class Brief:
    name: str
    address: str
    kind: str
    state: str
    now: int
    epochs: list[EpochRow]
    recipients: list[tuple[str, int]]  # by amount, descending
    top10_share: float
    gini: float
    latency_days: tuple[float, float] | None  # median, p90
    retention: list[tuple[int, int, int, float]]  # (epoch, stake at end, stake a week later, share)
    stake_decimals: int
    sybil: list[tuple[str, int, int]]  # (source, stakers, their stake)
    questions: list[str]
    kpis: list[str]
    options: list[Option]
    threshold: int
    default: str
    symbol: str
    decimals: int
    notes: list[str] = field(default_factory=list)

    def amount(self, wei: int) -> str:
        return reader_amount(wei, self.symbol, self.decimals)

    def stake(self, units_: int) -> str:
        return f"{units_ / 10**self.stake_decimals:,.2f}"

    def rate(self, wei_per_s: int) -> str:
        return units.format_rate(wei_per_s, self.symbol, self.decimals)

    # --- outputs ------------------------------------------------------------------------

    def slate_entry(self) -> str:
        """The programme's [decision] table for `tpp propose --slate`, its default filled in."""
        if len(self.options) <= 1:
            return f"# {self.name}: nothing to decide ({self.options[0].note if self.options else 'no epoch yet'})\n"
        others = ", ".join(o.outcome for o in self.options if o.outcome != self.default)
        return (
            f"[decision.{_toml_key(self.name)}]\n"
            f'address = "{self.address}"\n'
            f'outcome = "{self.default}"               # the default; or {others} (ITERATE needs new_cap)\n'
            f'reason = ""                        # what the brief showed\n'
        )

    def markdown(self) -> str:
        md = _md
        out = [f"# Evaluation brief: {md(self.name)}", ""]
        out.append(
            f"Programme `{self.address}` ({md(self.kind)}), **{self.state}**, read from the index at {units.format_date(self.now)}. "
            f"Without a vote it takes its default: **{self.default}**."
        )
        out += [
            "",
            "## Emission",
            "",
            "| epoch | window | cap | unlocked | minted | of cap | mints |",
            "|---|---|---|---|---|---|---|",
        ]
        for e in self.epochs:
            share = f"{e.minted / e.cap:.1%}" if e.cap else "-"
            out.append(
                f"| {e.number} | {units.format_date(e.start)} → {units.format_date(e.end)} | {self.amount(e.cap)} | "
                f"{self.amount(e.unlocked)} | {self.amount(e.minted)} | {share} | {e.mints} |"
            )
        out += ["", "## Recipients", ""]
        out.append(
            f"{len(self.recipients)} recipient(s); the top 10 received {self.top10_share:.1%}; Gini {self.gini:.2f}."
            + (
                f" Claims waited a median {self.latency_days[0]:.1f} days (p90 {self.latency_days[1]:.1f})."
                if self.latency_days
                else ""
            )
        )
        for address, amount in self.recipients[:5]:
            out.append(f"- `{address}`: {self.amount(amount)}")
        if self.retention:
            out += ["", "## Stake retention", "", "| epoch | stake at its end | a week later | kept |", "|---|---|---|---|"]
            for number, at_end, later, kept in self.retention:
                out.append(f"| {number} | {self.stake(at_end)} | {self.stake(later)} | {kept:.1%} |")
        out += ["", "## Sybil signals", ""]
        if self.sybil:
            for source, count, stake in self.sybil:
                out.append(f"- {count} stakers were first funded by `{source}` (their stake: {self.stake(stake)})")
        else:
            out.append(f"None found: no {SYBIL_CLUSTER} or more stakers were first funded by one address.")
        out += ["", "## Declared at proposal time", ""]
        out += [f"- research question: {md(q)}" for q in self.questions] or ["- no research questions were declared"]
        out += [f"- KPI: {md(k)}" for k in self.kpis] or ["- no KPIs were declared"]
        out += [
            "",
            "## Options and their effect on the Budget",
            "",
            f"Inflation threshold {self.rate(self.threshold)}.",
            "",
            "| outcome | next epoch's cap | its rate | aggregate rate | headroom | scheduled supply at its end | note |",
            "|---|---|---|---|---|---|---|",
        ]
        for o in self.options:
            out.append(
                f"| {o.outcome} | {self.amount(o.next_cap)} | {self.rate(o.rate)} | {self.rate(o.aggregate)} | "
                f"{self.rate(max(0, self.threshold - o.aggregate))} | {self.amount(o.supply)} | {o.note} |"
            )
        out += ["", "## Slate entry", "", "```toml", self.slate_entry().rstrip(), "```", ""]
        out += [f"_{md(n)}_" for n in self.notes]
        return "\n".join(out).rstrip() + "\n"

    def html(self) -> str:
        """The same brief as one self-contained HTML page; every string is escaped."""
        e = html.escape
        rows = "".join(
            f"<tr><td>{x.number}</td><td>{e(units.format_date(x.start))} → {e(units.format_date(x.end))}</td>"
            f"<td>{e(self.amount(x.cap))}</td><td>{e(self.amount(x.unlocked))}</td><td>{e(self.amount(x.minted))}</td>"
            f"<td>{(x.minted / x.cap if x.cap else 0):.1%}</td><td>{x.mints}</td></tr>"
            for x in self.epochs
        )
        options = "".join(
            f"<tr><td>{e(o.outcome)}</td><td>{e(self.amount(o.next_cap))}</td><td>{e(self.rate(o.rate))}</td>"
            f"<td>{e(self.rate(o.aggregate))}</td><td>{e(self.rate(max(0, self.threshold - o.aggregate)))}</td>"
            f"<td>{e(self.amount(o.supply))}</td><td>{e(o.note)}</td></tr>"
            for o in self.options
        )
        recipients = "".join(f"<li><code>{e(a)}</code>: {e(self.amount(v))}</li>" for a, v in self.recipients[:5])
        retention = "".join(
            f"<tr><td>{epoch}</td><td>{e(self.stake(at_end))}</td><td>{e(self.stake(later))}</td><td>{share:.1%}</td></tr>"
            for epoch, at_end, later, share in self.retention
        )
        sybil = "".join(
            f"<li>{n} stakers first funded by <code>{e(s)}</code> (stake {e(self.stake(stake))})</li>"
            for s, n, stake in self.sybil
        )
        declared = "".join(f"<li>research question: {e(q)}</li>" for q in self.questions) + "".join(
            f"<li>KPI: {e(k)}</li>" for k in self.kpis
        )
        latency = (
            f" Claims waited a median {self.latency_days[0]:.1f} days (p90 {self.latency_days[1]:.1f})."
            if self.latency_days
            else ""
        )
        return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Evaluation brief: {e(self.name)}</title>
<style>body{{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}}
table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:.25rem .5rem;text-align:right}}
td:first-child{{text-align:left}}pre{{background:#f4f4f4;padding:.5rem}}</style></head><body>
<h1>Evaluation brief: {e(self.name)}</h1>
<p>Programme <code>{e(self.address)}</code> ({e(self.kind)}), <b>{e(self.state)}</b>, read from the index at
{e(units.format_date(self.now))}. Without a vote it takes its default: <b>{e(self.default)}</b>.</p>
<h2>Emission</h2><table><tr><th>epoch</th><th>window</th><th>cap</th><th>unlocked</th><th>minted</th><th>of cap</th><th>mints</th></tr>{rows}</table>
<h2>Recipients</h2><p>{len(self.recipients)} recipient(s); the top 10 received {self.top10_share:.1%}; Gini {self.gini:.2f}.{e(latency)}</p><ul>{recipients}</ul>
{"<h2>Stake retention</h2><table><tr><th>epoch</th><th>stake at its end</th><th>a week later</th><th>kept</th></tr>" + retention + "</table>" if retention else ""}
<h2>Sybil signals</h2>{"<ul>" + sybil + "</ul>" if sybil else f"<p>None found: no {SYBIL_CLUSTER} or more stakers were first funded by one address.</p>"}
<h2>Declared at proposal time</h2><ul>{declared or "<li>nothing declared</li>"}</ul>
<h2>Options and their effect on the Budget</h2><p>Inflation threshold {e(self.rate(self.threshold))}.</p>
<table><tr><th>outcome</th><th>next epoch's cap</th><th>its rate</th><th>aggregate rate</th><th>headroom</th><th>scheduled supply at its end</th><th>note</th></tr>{options}</table>
<h2>Slate entry</h2><pre>{e(self.slate_entry())}</pre>
</body></html>
"""


def brief(data: IndexData, target: str, names: dict[str, str] | None = None) -> Brief:
    """The brief for programme `target` (a name from the index's labels or `names`, or an address)."""
    by_name = {**{v: k for k, v in data.labels.items()}, **(names or {})}
    address: str
    try:
        address = to_checksum_address(by_name.get(target, target))
    except ValueError:
        address = ""
    if data.role(address) != "programme":
        known = ", ".join(sorted(n for n, a in by_name.items() if data.role(to_checksum_address(a)) == "programme")) or "none"
        raise IndexProblem(f"{target!r}: not a programme the index knows (programmes: {known})")
    now = data.now
    epochs = sorted((e for e in data.epochs.values() if e.programme == address), key=lambda e: e.number)
    minters = {e.minter: e for e in epochs}
    mints = [m for m in data.mints if m.minted is not None and m.minted.address in minters]
    released = {str(log.args["minter"]): log for log in data.events("EpochReleased", role="budget")}
    rows = []
    for e in epochs:
        minted = [m for m in mints if m.minted is not None and m.minted.address == e.minter]
        unlocked = _unlocked(e, now)
        if e.minter in released:
            unlocked = min(unlocked, released[e.minter].int("kept"))
        rows.append(EpochRow(e.number, e.start, e.end, e.cap, sum(m.amount for m in minted), unlocked, len(minted)))
    mechanism = next((a for a, (role, _, parent) in data.contracts.items() if role == "mechanism" and parent == address), None)
    kind = (data.contracts[mechanism][1] or "?") if mechanism else "?"
    # Who received it: the mints' recipients, or for a mechanism that mints to itself (a pool,
    # checkpoints) who it paid out to: the stakers, the accounts that claimed.
    paid = [
        (str(log.args["staker"]), log.int("amount"), data.time_of(log))
        for log in data.events("RewardPaid", address=mechanism or "")
    ] + [
        (str(log.args["account"]), log.int("amount"), data.time_of(log))
        for log in data.events("Claimed", address=mechanism or "")
        if "account" in log.args
    ]
    received = paid or [(m.to, m.amount, data.time_of(m.log)) for m in mints]
    totals: dict[str, int] = defaultdict(int)
    for who, amount, _ in received:
        totals[who] += amount
    recipients = sorted(totals.items(), key=lambda kv: (-kv[1], kv[0]))
    whole = sum(totals.values())
    top10 = sum(v for _, v in recipients[:10]) / whole if whole else 0.0
    latency = _latency(received, epochs)
    retention, sybil = ([], [])
    stake_token = next(
        (a for a, (role, _, parent) in data.contracts.items() if role == "stake_token" and parent == mechanism), None
    )
    stake_decimals = int(data.meta.get(f"decimals:{stake_token}", "18"))
    if mechanism is not None and data.events("Staked", address=mechanism):
        retention = _retention(data, mechanism, epochs, now)
        sybil = _sybil(data, mechanism)
    section, spec = _creation(data, address)
    questions, kpis = _declared(section)
    state = _state(data, address)
    default = Outcome.label(int(spec["default_outcome"])) if spec else "?"
    threshold = _last(data, "InflationThresholdSet", "new_threshold")
    options = _options(data, address, epochs, spec, now, state)
    notes = []
    if spec is None:
        notes.append("The creation vote's calls are not in the index: the options omit ITERATE bounds.")
    return Brief(
        name=data.labels.get(address, address),
        address=address,
        kind=kind,
        state=state,
        now=now,
        epochs=rows,
        recipients=recipients,
        top10_share=top10,
        gini=gini(list(totals.values())),
        latency_days=latency,
        retention=retention,
        stake_decimals=stake_decimals,
        sybil=sybil,
        questions=questions,
        kpis=kpis,
        options=options,
        threshold=threshold,
        default=default,
        symbol=data.symbol,
        decimals=data.decimals,
        notes=notes,
    )


# --- the parts ------------------------------------------------------------------------------------


def _unlocked(epoch: EpochTrace, now: int) -> int:
    if now <= epoch.start:
        return 0
    if now >= epoch.end or epoch.end <= epoch.start:
        return epoch.cap
    return epoch.cap * (now - epoch.start) // (epoch.end - epoch.start)


def _latency(received: list[tuple[str, int, int]], epochs: list[EpochTrace]) -> tuple[float, float] | None:
    """Days each claim waited since the same recipient's previous claim (or the start of the
    epoch it falls in): median and 90th percentile."""
    last: dict[str, int] = {}
    waits = []
    for who, _, t in received:
        running = [e.start for e in epochs if e.start <= t]
        since = max([last.get(who, 0), *running[-1:]])
        waits.append(max(0, t - since) / 86_400)
        last[who] = t
    if not waits:
        return None
    ordered = sorted(waits)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))]


def _stakes_at(data: IndexData, mechanism: str, t: int) -> int:
    total = 0
    for event, sign in (("Staked", 1), ("Withdrawn", -1)):
        for log in data.events(event, address=mechanism):
            if data.time_of(log) <= t:
                total += sign * log.int("amount")
    return total


def _retention(data: IndexData, mechanism: str, epochs: list[EpochTrace], now: int) -> list[tuple[int, int, int, float]]:
    out = []
    for e in epochs:
        if e.end > now:
            continue
        later = min(now, e.end + RETENTION_AFTER)
        at_end, after = _stakes_at(data, mechanism, e.end), _stakes_at(data, mechanism, later)
        out.append((e.number, at_end, after, after / at_end if at_end else 0.0))
    return out


def _sybil(data: IndexData, mechanism: str) -> list[tuple[str, int, int]]:
    """Stakers grouped by the address their first stake tokens came from (minted to them:
    no source); groups of SYBIL_CLUSTER or more."""
    tokens = [a for a, (role, _, parent) in data.contracts.items() if role == "stake_token" and parent == mechanism]
    stake: dict[str, int] = defaultdict(int)
    for log in data.events("Staked", address=mechanism):
        stake[str(log.args["staker"])] += log.int("amount")
    first_source: dict[str, str] = {}
    for token in tokens:
        for log in data.events("Transfer", address=token):
            sender, receiver, _ = _transfer(log)
            if receiver in stake and receiver not in first_source:
                first_source[receiver] = sender
    groups: dict[str, list[str]] = defaultdict(list)
    for staker, source in first_source.items():
        if source != _ZERO and data.role(source) is None:
            groups[source].append(staker)
    return sorted(
        ((s, len(members), sum(stake[m] for m in members)) for s, members in groups.items() if len(members) >= SYBIL_CLUSTER),
        key=lambda g: -g[1],
    )


def _creation(data: IndexData, programme: str) -> tuple[str, dict[str, Any] | None]:
    """The creation proposal's description section for this programme and its spec fields
    from the decoded create_programmes call."""
    # The last creation log: an embedded chain's recorder also keeps dry runs that were undone.
    created = next(
        (log for log in reversed(data.events("ProgrammeCreated", role="factory")) if log.args["programme"] == programme), None
    )
    if created is None:
        return "", None
    proposal = data.executions.get(created.tx)
    if proposal is None:
        return "", None
    siblings = [log for log in data.by_tx[created.tx] if log.event == "ProgrammeCreated" and data.role(log.address) == "factory"]
    position = siblings.index(created)
    sections = re.split(r"(?m)^### ", proposal.description)[1:]
    section = sections[position] if position < len(sections) else ""
    spec = None
    for _target, calldata in zip(proposal.created.args.get("targets", []), proposal.created.args.get("calldatas", [])):
        try:
            decoded = decode_call(bytes.fromhex(str(calldata).removeprefix("0x")), "ProgrammeFactory")
        except (ProposalError, ValueError):
            continue
        if decoded.function == "create_programmes" and position < len(decoded.args["specs"]):
            components = _function("ProgrammeFactory", "create_programmes").inputs[0]["components"]
            spec = {c["name"]: v for c, v in zip(components, decoded.args["specs"][position])}
    return section, spec


def _declared(section: str) -> tuple[list[str], list[str]]:
    """The bullet lists under "Research questions:" and "KPIs:" of a description section."""
    lists: dict[str, list[str]] = {"Research questions:": [], "KPIs:": []}
    current = None
    for line in section.splitlines():
        text = line.strip()
        if text in lists:
            current = text
        elif current and text.startswith("- "):
            lists[current].append(text[2:].strip()[:500])
        elif current and text:
            current = None
    return lists["Research questions:"], lists["KPIs:"]


def _state(data: IndexData, programme: str) -> str:
    transitions = data.events("Transition", address=programme)
    return State.label(transitions[-1].int("new_state")) if transitions else State.label(int(State.NONE))


def _last(data: IndexData, event: str, key: str) -> int:
    logs = data.events(event, role="budget")
    return logs[-1].int(key) if logs else 0


def _aggregate_rate(data: IndexData, t: int, without: str) -> int:
    """The Budget's scheduled rate at `t` from the index: admitted epochs running then
    (released ones no longer), plus other holders' held rates; `without` excluded."""
    released = {str(log.args["minter"]) for log in data.events("EpochReleased", role="budget")}
    rate = 0
    for minter, epoch in data.epochs.items():
        if epoch.programme == without or minter in released or epoch.admission is None:
            continue
        if epoch.admission.int("start") <= t < epoch.admission.int("end"):
            rate += epoch.admission.int("rate")
    holds: dict[str, Log] = {}
    for log in data.events("HoldSet", role="budget"):
        holds[str(log.args["holder"])] = log
    for holder, log in holds.items():
        if holder != without and log.int("held_from") <= t:
            rate += log.int("rate")
    return rate


def _options(
    data: IndexData, programme: str, epochs: list[EpochTrace], spec: dict[str, Any] | None, now: int, state: str
) -> list[Option]:
    if not epochs:
        return []
    last = epochs[-1]
    duration = int(spec["epoch_duration"]) if spec else last.end - last.start
    start = last.end
    scheduled = sum(e.admission.int("cap") for e in data.epochs.values() if e.admission is not None)
    others = _aggregate_rate(data, start, without=programme)
    max_epochs = int(spec["max_epochs"]) if spec else 0
    bound = int(spec["iterate_cap_bps"]) if spec else 0
    last_epoch = bool(max_epochs) and last.number >= max_epochs
    out = []

    def add(outcome: str, cap: int, note: str) -> None:
        rate = cap // duration if duration else 0
        out.append(Option(outcome, cap, rate, others + rate, scheduled + cap, note))

    if last_epoch or state in ("STOPPED", "KILLED"):
        add("STOP", 0, "the programme has no later epoch" if last_epoch else f"the programme is {state}")
        return out
    add("STOP", 0, "ends at this epoch's end; room goes back to the Budget")
    add("CONTINUE", last.cap, "same cap for one more epoch")
    if bound:
        low, high = last.cap - last.cap * bound // 10_000, last.cap + last.cap * bound // 10_000
        add("ITERATE", low, f"lowest cap ITERATE allows (−{units.format_bps(bound)})")
        add("ITERATE", high, f"highest cap ITERATE allows (+{units.format_bps(bound)}); the extra room is checked in the vote")
    add("PAUSE", 0, "no emission until a vote or the oracle condition resumes it")
    add("KILL", 0, "ends now; unminted cap is never minted")
    return out


def _md(text: str) -> str:
    """Attacker-written text for markdown: one line, no HTML, markdown's specials escaped."""
    flat = " ".join(str(text).split())
    return re.sub(r"([\\`*_{}\[\]()<>#+!|])", r"\\\1", html.escape(flat, quote=False))[:500]


def _toml_key(name: str) -> str:
    return name if re.fullmatch(r"[A-Za-z0-9_-]+", name) else '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'
