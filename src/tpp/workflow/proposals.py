"""Governor calldata for one-vote slates, Safe Transaction Builder JSON, readable proposal text.

Two kinds of proposal, each one vote (a "slate", docs/ARCHITECTURE.md):

* a **portfolio**: ``ProgrammeFactory.create_programmes(specs)`` for every programme of a spec
  file, optionally preceded by the two role grants a first portfolio needs (the token's
  MINTER_ROLE to the Budget, the Budget's ADMITTER_ADMIN_ROLE to the factory);
* a **decision slate** for one evaluation window: ``Programme.decide(outcome, new_cap)`` for
  every programme due then.

Both become a `Payload`: the ``targets``, ``values`` and ``calldatas`` OpenZeppelin's
``Governor.propose(address[],uint256[],bytes[],string)`` takes, the markdown ``description``,
and the proposal id the governor will give it (``hashProposal``: keccak256 of
``abi.encode(targets, values, calldatas, keccak256(bytes(description)))``). `write_outputs`
writes ``governor.json``, ``safe-batch.json`` (Safe Transaction Builder batch file) and
``proposal.md`` (the forum text, every call decoded back into human units).

Calldata is encoded from the contracts' own ABIs (compiled once per process, no chain needed),
and the readable text is produced by *decoding* that calldata, so what delegates read is what
the governor will execute.

Not here: submitting through a governor (``--submit``) needs accounts and an RPC.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import time
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

import eth_abi
from eth_utils import is_address, keccak, to_checksum_address

from tpp.base import units
from tpp.base.errors import UserError
from tpp.base.vocab import (
    ADMITTER_ADMIN_ROLE,
    DEFAULT_ADMIN_ROLE,
    THRESHOLD_DECIMALS,
    THROTTLE,
    TOKEN_MINTER_ADMIN_ROLE,
    TOKEN_MINTER_ROLE,
    Comparator,
    Outcome,
    dial_id,
)
from tpp.chain.abi import FunctionAbi, functions_of
from tpp.chain.artifacts import abi_of
from tpp.model import kinds
from tpp.model.kinds import bounty as bounty_kind
from tpp.model.kinds import checkpoints as checkpoints_kind
from tpp.model.kinds import kpi_stream as kpi_kind
from tpp.specs.spec import ZERO, GlobalParams, SpecError, SpecFile, check_spec, load_spec

__all__ = [
    "Call",
    "Decision",
    "Payload",
    "ProposalError",
    "SlateFile",
    "decode_call",
    "load_slate",
    "portfolio_payload",
    "proposal_id",
    "propose_command",
    "slate_payload",
    "submit_payload",
    "write_outputs",
]

ROLE_NAMES = {
    TOKEN_MINTER_ROLE: "MINTER_ROLE",
    ADMITTER_ADMIN_ROLE: "ADMITTER_ADMIN_ROLE",
    TOKEN_MINTER_ADMIN_ROLE: "MINTER_ADMIN_ROLE",
    DEFAULT_ADMIN_ROLE: "DEFAULT_ADMIN_ROLE",
}
DIAL_NAMES = {dial_id(THROTTLE): THROTTLE}
# Projected evaluation windows listed per programme in the readable text.
MAX_LISTED_WINDOWS = 6
# The Safe Transaction Builder version whose batch format we write (version "1.0" files).
SAFE_TX_BUILDER_VERSION = "1.18.0"
PROPOSE_SIGNATURE = "propose(address[],uint256[],bytes[],string)"


class ProposalError(UserError, ValueError):
    """A proposal cannot be built from what was given; the message says what to change."""


# --- ABIs: encoded from the contracts, decoded back for the readable text ---------------------


# The contracts a proposal calls, by the name calls carry ("Token" is the governance token).
_PROPOSED = {"ProgrammeFactory": "ProgrammeFactory", "Programme": "Programme", "Budget": "Budget", "Token": "TppToken"}


@functools.cache
def _functions() -> dict[str, dict[str, FunctionAbi]]:
    """contract -> function name -> ABI, from the one artifact registry (no chain needed)."""
    return {
        label: {name: overloads[0] for name, overloads in functions_of(label, abi_of(source)).items()}
        for label, source in _PROPOSED.items()
    }


def _function(contract: str, name: str) -> FunctionAbi:
    try:
        return _functions()[contract][name]
    except KeyError:
        raise KeyError(f"{contract} has no function {name}") from None


@functools.cache
def _by_selector() -> dict[bytes, list[FunctionAbi]]:
    table: dict[bytes, list[FunctionAbi]] = {}
    for functions in _functions().values():
        for fn in functions.values():
            table.setdefault(fn.selector, []).append(fn)
    return table


@dataclass(frozen=True)
class DecodedCall:
    """Calldata read back: the function (and which contract's ABI matched) and its arguments."""

    contract: str  # one of the ABIs that has this selector ("Budget" and "Token" share grantRole)
    function: str
    signature: str
    args: dict[str, Any]


def decode_call(data: bytes, contract: str | None = None) -> DecodedCall:
    """Decode calldata for one of the contracts a tpp proposal calls."""
    data = bytes(data)
    candidates = _by_selector().get(data[:4], [])
    if contract:
        candidates = [f for f in candidates if f.contract == contract] or candidates
    if not candidates:
        raise ProposalError(f"calldata 0x{data[:4].hex()}… is not a call tpp proposes")
    fn = candidates[0]
    return DecodedCall(fn.contract, fn.name, fn.signature, fn.decode_input(data))


# --- payloads -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Call:
    """One call of a proposal."""

    target: str  # checksummed address
    value: int  # wei sent with the call
    data: bytes  # calldata
    contract: str  # which ABI encoded it ("ProgrammeFactory", "Programme", "Budget", "Token")
    label: str  # what the target is, for readers ("ProgrammeFactory", "programme eth-pool")


def proposal_id(targets: Sequence[str], values: Sequence[int], calldatas: Sequence[bytes], description: str) -> int:
    """The id OpenZeppelin's Governor gives this proposal (``Governor.hashProposal``)."""
    encoded = eth_abi.encode(
        ["address[]", "uint256[]", "bytes[]", "bytes32"],
        [list(targets), list(values), [bytes(c) for c in calldatas], keccak(text=description)],
    )
    return int.from_bytes(keccak(encoded), "big")


@dataclass
class Payload:
    """One vote: the calls, the description delegates read, and the id it will have."""

    kind: str  # "portfolio" or "slate"
    title: str
    calls: list[Call]
    description: str  # markdown, exactly as passed to `propose`
    token: str = "ZK"
    decimals: int = 18
    labels: dict[str, str] = field(default_factory=dict)  # address (lowercase) -> readable name
    files: dict[str, Any] = field(default_factory=dict)  # extra files written beside the payload

    @property
    def targets(self) -> list[str]:
        return [c.target for c in self.calls]

    @property
    def values(self) -> list[int]:
        return [c.value for c in self.calls]

    @property
    def calldatas(self) -> list[bytes]:
        return [c.data for c in self.calls]

    @property
    def description_hash(self) -> bytes:
        return keccak(text=self.description)

    @property
    def proposal_id(self) -> int:
        return proposal_id(self.targets, self.values, self.calldatas, self.description)

    def governor_json(self) -> dict[str, Any]:
        return {
            "function": PROPOSE_SIGNATURE,
            "title": self.title,
            "targets": self.targets,
            "values": [str(v) for v in self.values],
            "calldatas": ["0x" + c.hex() for c in self.calldatas],
            "description": self.description,
            "description_hash": "0x" + self.description_hash.hex(),
            # A uint256 does not fit a JSON number most readers parse exactly: decimal text.
            "proposal_id": str(self.proposal_id),
            "proposal_id_hex": hex(self.proposal_id),
        }

    def safe_batch(self, chain_id: int, created_at_ms: int | None = None, safe: str = "") -> dict[str, Any]:
        """The Safe Transaction Builder batch file (``version`` "1.0"): raw ``data`` per call."""
        created = int(time.time() * 1000) if created_at_ms is None else created_at_ms
        return {
            "version": "1.0",
            "chainId": str(chain_id),
            "createdAt": created,
            "meta": {
                "name": self.title[:100],
                "description": f"{self.kind}: {len(self.calls)} call(s); proposal id {self.proposal_id}",
                "txBuilderVersion": SAFE_TX_BUILDER_VERSION,
                "createdFromSafeAddress": safe,
                "createdFromOwnerAddress": "",
            },
            "transactions": [
                {
                    "to": c.target,
                    "value": str(c.value),
                    "data": "0x" + c.data.hex(),
                    "contractMethod": None,
                    "contractInputsValues": None,
                }
                for c in self.calls
            ],
        }

    def markdown(self) -> str:
        """The forum text: the description, then the raw payload and the proposal id."""
        lines = [self.description.rstrip(), "", "## Payload", ""]
        lines.append(f"Proposal id (OpenZeppelin `hashProposal`): `{self.proposal_id}`")
        lines.append(f"Description hash: `0x{self.description_hash.hex()}`")
        lines.append("")
        for number, call in enumerate(self.calls, 1):
            lines.append(f"{number}. to `{call.target}` ({call.label}), value {call.value}")
            lines.append("")
            lines.append(f"   ```\n   0x{call.data.hex()}\n   ```")
            lines.append("")
        return "\n".join(lines) + "\n"


def _checksum(value: Any, what: str) -> str:
    text = str(getattr(value, "address", value)).strip()
    if not is_address(text):
        raise ProposalError(f'{what} "{text}" is not an address (40 hex digits after "0x", checksummed or all lowercase)')
    return to_checksum_address(text)


# --- portfolio -----------------------------------------------------------------------------------


def portfolio_payload(
    spec_file: SpecFile | str | Path,
    factory: Any,
    budget: Any = None,
    token: Any = None,
    include_setup: bool = False,
    *,
    title: str | None = None,
) -> Payload:
    """One vote creating every programme of `spec_file` through `factory` (addresses or handles).

    With `include_setup`, the vote first grants the token's MINTER_ROLE to `budget` and the
    Budget's ADMITTER_ADMIN_ROLE to `factory` (what a first portfolio needs; later portfolios
    leave it out)."""

    spec = spec_file if isinstance(spec_file, SpecFile) else load_spec(spec_file)
    if not spec.programmes:
        raise ProposalError(f"{spec.path}: no programmes to create")
    g = spec.globals
    factory_address = _checksum(factory, "--factory")
    labels = {factory_address.lower(): "ProgrammeFactory"}
    calls: list[Call] = []
    if include_setup:
        if budget is None or token is None:
            raise ProposalError("the setup calls need the Budget's and the token's addresses (--budget and --token)")
        budget_address, token_address = _checksum(budget, "--budget"), _checksum(token, "--token")
        labels[budget_address.lower()] = "Budget"
        labels[token_address.lower()] = "token"
        grant_token = _function("Token", "grantRole")
        grant_budget = _function("Budget", "grantRole")
        calls.append(Call(token_address, 0, grant_token.encode(TOKEN_MINTER_ROLE, budget_address), "Token", "token"))
        calls.append(Call(budget_address, 0, grant_budget.encode(ADMITTER_ADMIN_ROLE, factory_address), "Budget", "Budget"))
    elif budget is not None:
        labels[_checksum(budget, "--budget").lower()] = "Budget"
    create = _function("ProgrammeFactory", "create_programmes")
    specs = [p.to_chain().as_tuple() for p in spec.programmes]
    calls.append(Call(factory_address, 0, create.encode(specs), "ProgrammeFactory", "ProgrammeFactory"))

    title = title or _spec_title(spec) or f"Create {len(spec.programmes)} token programmes"
    payload = Payload("portfolio", title, calls, "", g.token, g.decimals, labels)
    payload.description = _portfolio_text(payload, spec)
    return payload


def _spec_title(spec: SpecFile) -> str:
    try:
        raw = tomllib.loads(Path(spec.path).read_text("utf-8"))
    except (OSError, tomllib.TOMLDecodeError):
        return ""
    return raw.get("title", "") if isinstance(raw.get("title"), str) else ""


def _windows(p: Any, g: GlobalParams) -> list[tuple[int, int]]:
    """(opens, closes) of each evaluation window of a programme, if it runs to max_epochs."""
    from tpp.specs.spec import _epoch_ends  # the one projection `tpp check` uses for the load check

    return [(end - p.window_length, end) for end in _epoch_ends(p, g)]


def _portfolio_text(payload: Payload, spec: SpecFile) -> str:
    g = spec.globals
    amount, date, dur, bps = g.amount, units.format_date, units.format_duration, units.format_bps
    n = len(spec.programmes)
    curve, payload.files["supply.svg"] = _supply_curve(spec)
    if payload.files["supply.svg"] is None:
        del payload.files["supply.svg"]
    out = [f"# {payload.title}", ""]
    setup = len(payload.calls) > 1
    out.append(
        f"One vote creates {n} token programme{'s' if n != 1 else ''} through the ProgrammeFactory at "
        f"`{payload.calls[-1].target}`"
        + (", after granting the two roles a first portfolio needs." if setup else ".")
        + " Each programme emits through capped epoch minters the Budget admits under the global "
        "parameters; unused cap is never minted. Delegates come back only at the evaluation windows below; "
        "without a decision the default outcome applies."
    )
    out += ["", "## Programmes", ""]
    total = 0
    for p in spec.programmes:
        total += p.epoch_cap
        target = kinds.get(p.kind).target_field.replace("_", " ")
        out.append(f"### {p.name} ({p.kind})")
        out.append("")
        if p.description:
            out += [p.description, ""]
        rows = [
            (target, f"`{p.target}`"),
            ("cap per epoch", f"{amount(p.epoch_cap)} ({g.short(p.epoch_cap)})"),
            (
                "first epoch",
                f"{date(p.first_start)} → {date(p.first_end)} ({dur(p.first_end - p.first_start)}), at most {g.rate(p.first_rate)}",
            ),
            (
                "later epochs",
                f"{dur(p.epoch_duration)} each, up to {p.max_epochs} epoch{'s' if p.max_epochs != 1 else ''} in all",
            ),
            ("evaluation window", f"last {dur(p.window_length)} of each epoch"),
            ("default outcome", p.default_outcome),
            ("ITERATE bound", f"±{bps(p.iterate_cap_bps)} of the cap" if p.iterate_cap_bps else "none (ITERATE not allowed)"),
            ("guardian", f"wearers of hat `{p.guardian_hat:#066x}`" if p.guardian_hat else f"`{p.guardian}`"),
            (
                "steward",
                f"wearers of hat `{p.steward_hat:#066x}`"
                if p.steward_hat
                else (f"`{p.steward}`" if p.steward != ZERO else "none"),
            ),
        ]
        if p.oracle != ZERO:
            rows.append(
                (
                    "pause",
                    f"ends when oracle `{p.oracle}` reads {p.comparator} {units.format_fixed(p.threshold, THRESHOLD_DECIMALS)} (in the feed's unit, "
                    f"any decimals; answers older than {dur(p.oracle_max_age)} do not count), "
                    f"at most {dur(p.max_pause) if p.max_pause else 'no limit'}",
                )
            )
        elif p.max_pause:
            rows.append(("pause", f"a vote resumes it; it stops after {dur(p.max_pause)}"))
        for d in p.dials:
            rows.append(
                (
                    f"dial {d.name}",
                    f"{bps(d.initial)} within {bps(d.lower)}..{bps(d.upper)}, step {bps(d.step)}, cooldown {dur(d.cooldown)}",
                )
            )
        if p.metadata_uri:
            rows.append(("metadata", p.metadata_uri))
        out += ["| | |", "|---|---|"] + [f"| {k} | {v} |" for k, v in rows]
        windows = _windows(p, g)
        listed = ", ".join(f"{date(a)} → {date(b)}" for a, b in windows[:MAX_LISTED_WINDOWS])
        more = f" (and {len(windows) - MAX_LISTED_WINDOWS} more)" if len(windows) > MAX_LISTED_WINDOWS else ""
        out += ["", f"Evaluation windows (if every epoch continues): {listed}{more}.", ""]
        if p.research_questions:
            out += ["Research questions:", ""] + [f"- {q}" for q in p.research_questions] + [""]
        if p.kpis:
            out += ["KPIs:", ""] + [f"- {k}" for k in p.kpis] + [""]
    out += [
        "## Budget",
        "",
        f"First epochs together: {amount(total)}; with what is already committed "
        f"({amount(spec.committed)}): {amount(total + spec.committed)} of the {amount(g.allocation)} allocation.",
        "",
        f"Global parameters ({spec.globals_source or 'as given'}): inflation threshold {g.rate(g.inflation_threshold)}; "
        f"an epoch may take at most {bps(g.max_share_bps)} of the remaining allocation; decision cycle "
        f"{dur(g.cycle_length)} from {date(g.cycle_genesis)} with a {dur(g.window_length)} evaluation window; "
        f"at most {g.load_limit} decisions per window.",
        "",
        "## Supply curve",
        "",
        curve,
        "",
        "## Calls",
        "",
    ]
    out += _calls_text(payload)
    return "\n".join(out).rstrip() + "\n"


def _supply_curve(spec: SpecFile) -> tuple[str, str | None]:
    """(text, svg): the scheduled supply curve drawn by `tpp.plan` when it is in the tree,
    else a pointer to `tpp plan`. A failure to draw never stops a proposal."""
    name = Path(spec.path).name
    if importlib.util.find_spec("tpp.plan") is not None:
        try:
            from tpp.workflow import plan

            svg = plan.supply_svg(plan.make_plan(spec))
        except Exception:  # noqa: BLE001 - the plot is an illustration, not part of the payload
            svg = None
        if svg:
            return (
                f"![scheduled supply curve](supply.svg)\n\nThe scheduled supply, the aggregate rate against "
                f"the threshold and each programme's supply, as `tpp plan {name}` draws them (`supply.svg`).",
                svg,
            )
    return f"Run `tpp plan {name}` to draw the scheduled supply curve these programmes add to.", None


# --- decision slates ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Decision:
    """One programme's decision in a slate. `programme` is a name (resolved through the
    programmes mapping) or an address; `new_cap` is wei, only with ITERATE."""

    programme: str
    outcome: str
    new_cap: int = 0
    reason: str = ""


@dataclass
class SlateFile:
    path: Path | None
    title: str
    decisions: list[Decision]
    programmes: dict[str, str]  # name -> address
    token: str = "ZK"
    decimals: int = 18
    window_end: int | None = None
    spec: SpecFile | None = None


def load_slate(path: str | Path, programmes: Mapping[str, str] | None = None) -> SlateFile:
    """Read a slate file::

        title = "TPP-2: decisions for the window closing 2027-04-01"
        window_end = "2027-04-01"      # optional: the cycle boundary the window closes at
        spec = "portfolio.toml"        # optional: token, ITERATE bounds, KPIs for the text
        [programmes]                   # name -> address of programmes named below
        builders-stream = "0x…"
        [decision.builders-stream]
        outcome = "CONTINUE"
        [decision.eth-pool]
        outcome = "ITERATE"
        new_cap = "16m ZK"
        reason = "depth held; try a quarter less"

    A decision's key may be an address instead of a name, or carry ``address = "0x…"``."""
    from tpp.specs.spec import SpecError

    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text("utf-8"))
    except OSError as exc:
        raise ProposalError(f"{path}: cannot read ({exc.strerror or exc})") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ProposalError(f"{path}: not valid TOML ({exc})") from exc
    known = {"title", "window_end", "spec", "token", "decimals", "programmes", "decision"}
    unknown = sorted(set(raw) - known)
    if unknown:
        raise ProposalError(f"{path}: unknown key(s) {', '.join(unknown)} (known: {', '.join(sorted(known))})")
    spec = None
    if isinstance(raw.get("spec"), str):
        try:
            spec = load_spec(path.parent / raw["spec"])
        except SpecError as exc:
            raise ProposalError(f"{path}: spec {raw['spec']} is not valid:\n{exc}") from exc
    token = raw.get("token", spec.globals.token if spec else "ZK")
    decimals = raw.get("decimals", spec.globals.decimals if spec else 18)
    names = {str(k): str(v) for k, v in (raw.get("programmes") or {}).items()}
    names.update(programmes or {})
    table = raw.get("decision")
    if not isinstance(table, dict) or not table:
        raise ProposalError(f'{path}: no decisions (add a [decision.NAME] table with outcome = "CONTINUE", …)')
    decisions = []
    for key, entry in table.items():
        if not isinstance(entry, dict):
            raise ProposalError(f'{path}: decision.{key} should be a table (outcome = "STOP", …)')
        extra = sorted(set(entry) - {"outcome", "new_cap", "reason", "address"})
        if extra:
            raise ProposalError(
                f"{path}: decision.{key}: unknown key(s) {', '.join(extra)} (known: outcome, new_cap, reason, address)"
            )
        if "address" in entry:
            names[key] = str(entry["address"])
        cap = 0
        if "new_cap" in entry:
            try:
                cap = units.parse_amount(entry["new_cap"], token, decimals)
            except units.UnitError as exc:
                raise ProposalError(f"{path}: decision.{key}.new_cap: {exc}") from exc
        decisions.append(Decision(key, str(entry.get("outcome", "")), cap, str(entry.get("reason", ""))))
    window_end = None
    if "window_end" in raw:
        try:
            window_end = units.parse_date(raw["window_end"])
        except units.UnitError as exc:
            raise ProposalError(f"{path}: window_end: {exc}") from exc
    title = raw.get("title") or f"Decision slate ({path.stem})"
    return SlateFile(path, str(title), decisions, names, token, decimals, window_end, spec)


def slate_payload(
    decisions: Sequence[Decision] | SlateFile,
    programmes: Mapping[str, str] | None = None,
    *,
    title: str | None = None,
    token: str = "ZK",
    decimals: int = 18,
    window_end: int | None = None,
    spec: SpecFile | None = None,
) -> Payload:
    """One vote carrying a `decide(outcome, new_cap)` per programme due in one evaluation window."""
    if isinstance(decisions, SlateFile):
        slate = decisions
        programmes = {**slate.programmes, **(programmes or {})}
        title, token, decimals = title or slate.title, slate.token, slate.decimals
        window_end, spec = window_end or slate.window_end, spec or slate.spec
        decisions = slate.decisions
    programmes = dict(programmes or {})
    if not decisions:
        raise ProposalError("a slate needs at least one decision")
    decide = _function("Programme", "decide")
    calls, labels, seen = [], {}, set()
    for d in decisions:
        outcome = d.outcome.strip().upper()
        if outcome not in Outcome.__members__ or outcome == "NONE":
            raise ProposalError(f'{d.programme}: "{d.outcome}" is not an outcome (STOP, CONTINUE, ITERATE, PAUSE or KILL)')
        if outcome == "ITERATE" and not d.new_cap:
            raise ProposalError(f'{d.programme}: ITERATE needs new_cap, the next epoch\'s cap (e.g. new_cap = "4m {token}")')
        if outcome != "ITERATE" and d.new_cap:
            raise ProposalError(f"{d.programme}: new_cap only goes with ITERATE ({outcome} keeps or ends the cap)")
        if d.programme in programmes:
            name, address = d.programme, _checksum(programmes[d.programme], f"programme {d.programme}")
        elif is_address(d.programme):
            address = to_checksum_address(d.programme)
            name = next((n for n, a in programmes.items() if a.lower() == address.lower()), address)
        else:
            known = ", ".join(sorted(programmes)) or "none given"
            raise ProposalError(f"{d.programme}: no address for this programme (known names: {known}; add it under [programmes])")
        if address.lower() in seen:
            raise ProposalError(f"{name}: two decisions for one programme (the last would stand; keep one)")
        seen.add(address.lower())
        if spec is not None and outcome == "ITERATE":
            try:
                p = spec.programme(name)
            except KeyError:
                p = None
            if p is not None:
                bound = p.epoch_cap * p.iterate_cap_bps // 10_000
                if not p.epoch_cap - bound <= d.new_cap <= p.epoch_cap + bound:
                    raise ProposalError(
                        f"{name}: ITERATE to {units.format_amount(d.new_cap, token, decimals)} is outside ±"
                        f"{units.format_bps(p.iterate_cap_bps)} of {units.format_amount(p.epoch_cap, token, decimals)}"
                    )
        labels[address.lower()] = f"programme {name}"
        calls.append(Call(address, 0, decide.encode(Outcome[outcome], d.new_cap), "Programme", f"programme {name}"))
    title = title or f"Decision slate: {len(calls)} programme{'s' if len(calls) != 1 else ''}"
    payload = Payload("slate", title, calls, "", token, decimals, labels)
    payload.description = _slate_text(payload, list(decisions), window_end, spec)
    return payload


def _slate_text(payload: Payload, decisions: list[Decision], window_end: int | None, spec: SpecFile | None) -> str:
    out = [f"# {payload.title}", ""]
    when = ""
    if window_end is not None:
        opens = window_end - spec.globals.window_length if spec else None
        opening = f"{units.format_date(opens)} → " if opens else "closing "
        when = f" in the evaluation window {opening}{units.format_date(window_end)}"
    out.append(
        f"One vote decides {len(decisions)} programme{'s' if len(decisions) != 1 else ''}{when}. "
        "A decision applies at its epoch's end; programmes not in this slate take their default outcome."
    )
    out += ["", "## Decisions", ""]
    for d, call in zip(decisions, payload.calls):
        name = call.label.removeprefix("programme ")
        outcome = d.outcome.strip().upper()
        text = f"- **{name}** (`{call.target}`): {outcome}"
        if outcome == "ITERATE":
            text += f", next epoch's cap {units.format_amount(d.new_cap, payload.token, payload.decimals)}"
        if d.reason:
            text += f" — {d.reason}"
        out.append(text)
        if spec is not None:
            try:
                p = spec.programme(name)
            except KeyError:
                continue
            for q in p.research_questions:
                out.append(f"  - research question: {q}")
            for k in p.kpis:
                out.append(f"  - KPI: {k}")
    out += ["", "## Calls", ""]
    out += _calls_text(payload)
    return "\n".join(out).rstrip() + "\n"


# --- reading calls back ------------------------------------------------------------------------


def _calls_text(payload: Payload) -> list[str]:
    """Every call, decoded from its calldata, arguments in human units."""
    out = []
    for number, call in enumerate(payload.calls, 1):
        decoded = decode_call(call.data, call.contract)
        out.append(f"{number}. `{call.label}` at `{call.target}`: `{decoded.function}`")
        for line in _explain(decoded, payload):
            out.append(f"   - {line}")
    return out


def _who(address: str, payload: Payload) -> str:
    label = payload.labels.get(address.lower())
    return f"`{to_checksum_address(address)}`" + (f" ({label})" if label else "")


def _explain(decoded: DecodedCall, payload: Payload) -> list[str]:
    amount = lambda wei: units.format_amount(wei, payload.token, payload.decimals)  # noqa: E731
    args = decoded.args
    if decoded.function == "grantRole":
        role = ROLE_NAMES.get(bytes(args["role"]), "0x" + bytes(args["role"]).hex())
        on = "the token" if decoded.contract == "Token" else "the Budget"
        return [f"grants {role} on {on} to {_who(args['account'], payload)}"]
    if decoded.function == "decide":
        outcome = Outcome.label(args["outcome"])
        line = f"outcome {outcome}"
        if args["new_cap"]:
            line += f", new cap {amount(args['new_cap'])} per epoch"
        return [line]
    if decoded.function == "create_programmes":
        components = _function("ProgrammeFactory", "create_programmes").inputs[0]["components"]
        out = [f"creates {len(args['specs'])} programme(s), in this order:"]
        for index, values in enumerate(args["specs"]):
            fields = {c["name"]: v for c, v in zip(components, values)}
            out.append(f"programme #{index}: " + "; ".join(_spec_fields(fields, payload, amount)))
        return out
    return [f"{k} = {v}" for k, v in args.items()]


def _kind_name(code: int) -> str:
    try:
        return kinds.by_code(code).name
    except KeyError:
        return str(code)


def _comparator_symbol(code: int) -> str:
    try:
        return Comparator(code).symbol or "none"
    except ValueError:
        return "?"


def _spec_fields(f: dict[str, Any], payload: Payload, amount) -> list[str]:
    date, dur, bps = units.format_date, units.format_duration, units.format_bps
    kind = _kind_name(f["kind"])
    parts = [
        f"kind {kind}",
        f"{kinds.get(kind).target_field.replace('_', ' ') if kind in kinds.names() else 'target'} {to_checksum_address(f['target'])}",
        f"epoch cap {amount(f['epoch_cap'])}",
        f"first epoch {date(f['first_start'])} → {date(f['first_end'])}",
        f"epoch duration {dur(f['epoch_duration'])}",
        f"evaluation window {dur(f['window_length'])}",
        f"default {Outcome.label(f['default_outcome'])}",
        f"max epochs {f['max_epochs']}",
        f"ITERATE bound {bps(f['iterate_cap_bps'])}",
    ]
    # A role is an address or a hat; `.get` keeps decoding calldata written before hats existed.
    if f.get("guardian_hat"):
        parts.append(f"guardian: wearers of hat {int(f['guardian_hat']):#066x}")
    else:
        parts.append(f"guardian {to_checksum_address(f['guardian'])}")
    if f.get("steward_hat"):
        parts.append(f"steward: wearers of hat {int(f['steward_hat']):#066x}")
    elif int(f["steward"], 16):
        parts.append(f"steward {to_checksum_address(f['steward'])}")
    if int(f["oracle"], 16):
        parts.append(
            f"pause oracle {to_checksum_address(f['oracle'])} {_comparator_symbol(f['comparator'])} "
            f"{units.format_fixed(f['threshold'], THRESHOLD_DECIMALS)}, answers at most {dur(f['oracle_max_age'])} old"
        )
    if f["max_pause"]:
        parts.append(f"max pause {dur(f['max_pause'])}")
    if f["metadata_uri"]:
        parts.append(f"metadata {f['metadata_uri']}")
    for name, initial, lower, upper, step, cooldown in f["dials"]:
        label = DIAL_NAMES.get(bytes(name), "0x" + bytes(name).hex())
        parts.append(f"dial {label} {bps(initial)} in {bps(lower)}..{bps(upper)} step {bps(step)} cooldown {dur(cooldown)}")
    if kind == "staking" and f.get("params"):
        gate = bytes(f["params"])
        if len(gate) == 32 and not any(gate[:12]):
            parts.append(f"stakers must pass eligibility gate {to_checksum_address(gate[12:])}")
        else:
            parts.append(f"parameters that do not decode as a staking pool's gate: 0x{gate.hex()}")
    elif kind == "kpi_stream" and f.get("params"):
        parts += _kpi_fields(bytes(f["params"]))
    elif kind == "checkpoints" and f.get("params"):
        parts += _checkpoint_fields(bytes(f["params"]))
    elif kind == "bounty" and f.get("params"):
        parts += _bounty_fields(bytes(f["params"]))
    elif f.get("params"):
        parts.append(f"parameters 0x{bytes(f['params']).hex()}")
    return parts


def _checkpoint_fields(params: bytes) -> list[str]:
    """A checkpoint programme's period, dispute window and bond read back from its `params`."""
    try:
        period, window, bond, gate = checkpoints_kind.decode_params(params)
    except ValueError:
        return [f"parameters that do not decode as a checkpoint programme's: 0x{params.hex()}"]
    out = [
        f"a checkpoint every {units.format_duration(period)} and at each epoch end",
        f"roots can be challenged for {units.format_duration(window)} with a bond of {units.format_fixed(bond, 18)} ETH",
    ]
    if int(gate, 16):
        out.append(f"claimants must pass eligibility gate {to_checksum_address(gate)}")
    return out


def _bounty_fields(params: bytes) -> list[str]:
    """A research bounty's scoring period, duplicate decay, deposit and judges from its `params`."""
    try:
        period, decay, deposit, hat, gate, judges = bounty_kind.decode_params(params)
    except ValueError:
        return [f"parameters that do not decode as a research bounty's: 0x{params.hex()}"]
    out = [
        f"submissions close {units.format_duration(period)} before each epoch end; a duplicate keeps "
        f"{units.format_bps(decay)} per extra filing; deposit {units.format_fixed(deposit, 18)} ETH"
    ]
    if hat:
        out.append(f"wearers of hat {hat:#x} judge")
    if int(gate, 16):
        out.append(f"authors must pass eligibility gate {to_checksum_address(gate)}")
    out += [f"judge {to_checksum_address(j)}" for j in judges]
    return out


def _kpi_fields(params: bytes) -> list[str]:
    """A KPI stream's parameters read back from its `params` blob, as delegates check them."""
    from eth_abi import decode

    try:
        max_gap, candidates = decode(["uint256", "(address,uint8,address,address,bytes4,uint256)[]"], params)
    except Exception:  # noqa: BLE001 - shown as what it is: the contract will refuse it at creation
        return [f"parameters that do not decode as a KPI stream's: 0x{params.hex()}"]
    reads = {v: k for k, v in kpi_kind.READERS.items()}
    out = [f"readings at most {units.format_duration(max_gap)} apart pay; {len(candidates)} candidate(s)"]
    for i, (recipient, read, reader, subject, selector, threshold) in enumerate(candidates):
        how = {
            "balance": f"the asset's balance of {to_checksum_address(subject)}",
            "feed": f"feed {to_checksum_address(reader)}'s answer (18 decimals)",
            "view": f"{to_checksum_address(reader)}'s view 0x{bytes(selector).hex()}()",
        }.get(reads.get(read, ""), f"unknown reader kind {read}")
        out.append(f"candidate #{i} pays {to_checksum_address(recipient)} while {how} >= {threshold} (base units)")
    return out


# --- files -------------------------------------------------------------------------------------


def write_outputs(
    payload: Payload, out: str | Path, *, chain_id: int = 1, created_at_ms: int | None = None, safe: str = ""
) -> list[Path]:
    """Write governor.json, safe-batch.json and proposal.md under `out`; returns the paths."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    files = {
        "governor.json": json.dumps(payload.governor_json(), indent=2) + "\n",
        "safe-batch.json": json.dumps(payload.safe_batch(chain_id, created_at_ms, safe), indent=2) + "\n",
        "proposal.md": payload.markdown(),
        **payload.files,
    }
    written = []
    for name, text in files.items():
        path = out / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


# --- submitting ----------------------------------------------------------------------------------


def submit_payload(chain: Any, governor: Any, payload: Payload, proposer: Any = None) -> int:
    """``Governor.propose`` the payload from `proposer` (default: the chain's sender) when it
    holds at least the governor's proposal threshold in votes; returns the proposal id."""
    address = _checksum(governor, "--governor")
    gov = chain.artifact_at("TppGovernor", address)
    proposer = _checksum(proposer or chain.env.eoa, "proposer")
    clock = int(gov.clock())
    votes = int(gov.getVotes(proposer, clock - 1)) if clock else 0
    threshold = int(gov.proposalThreshold())
    if votes < threshold:
        raise ProposalError(
            f"{proposer} holds {units.format_amount(votes, payload.token, payload.decimals)} of votes; the governor at {address} "
            f"needs {units.format_amount(threshold, payload.token, payload.decimals)} to propose (delegate more votes to it, or "
            "hand governor.json to a delegate who has them)"
        )
    pid = int(gov.propose(payload.targets, payload.values, payload.calldatas, payload.description, sender=proposer))
    if pid != payload.proposal_id:
        raise ProposalError(f"the governor answered proposal id {pid}, expected {payload.proposal_id}")
    return pid


# --- the command -------------------------------------------------------------------------------


def build_payload(
    file: Optional[Path] = None,
    factory: Optional[str] = None,
    budget: Optional[str] = None,
    token: Optional[str] = None,
    setup: bool = False,
    slate: Optional[Path] = None,
    programme: Optional[list[str]] = None,
    title: Optional[str] = None,
    recorded: Any = None,
    now: Optional[int] = None,
) -> tuple[Payload, str]:
    """The payload of one proposal (a portfolio from FILE, or a decision slate from --slate)
    and the stem its files are named after. `recorded` (a `Deployments`) supplies the factory,
    Budget and token addresses and the programmes' addresses that were not given; `now` (the
    chain's time when a chain is at hand, else the clock) decides the earliest first start."""
    stack = dict(recorded.stack) if recorded is not None else {}
    known = {name: record.address for name, record in recorded.programmes.items()} if recorded is not None else {}
    factory = factory or stack.get("factory")
    budget = budget or stack.get("budget")
    token = token or stack.get("token")
    if (file is None) == (slate is None):
        raise UserError("give either a programme spec FILE or --slate WINDOW.toml, not both or neither")
    extra = dict(known)
    for item in programme or []:
        name, sep, address = item.partition("=")
        if not sep or not name.strip():
            raise UserError(f'--programme "{item}": write NAME=0xADDRESS')
        extra[name.strip()] = address.strip()
    if slate is not None:
        return slate_payload(load_slate(slate, extra), title=title), slate.stem
    assert file is not None
    if not factory:
        where = f" and {recorded.path} records none" if recorded is not None and recorded.path else ""
        raise UserError(f"--factory ADDRESS is needed: the ProgrammeFactory the TPP executor drives{where}")
    result = check_spec(file, now=now)
    if result.errors or result.spec is None:
        raise UserError(f"{file}: the spec is not valid (run `tpp check {file}`):\n{SpecError(result.errors)}")
    return portfolio_payload(result.spec, factory, budget, token, setup, title=title), file.stem


def propose_command(
    file: Optional[Path] = None,
    factory: Optional[str] = None,
    budget: Optional[str] = None,
    token: Optional[str] = None,
    setup: bool = False,
    slate: Optional[Path] = None,
    programme: Optional[list[str]] = None,
    chain_id: int = 1,
    out: Optional[Path] = None,
    title: Optional[str] = None,
    echo: Any = print,
    recorded: Any = None,
    now: Optional[int] = None,
) -> list[Path]:
    """Build one proposal (a portfolio from FILE, or a decision slate from --slate) and write
    its governor payload, Safe batch and readable text. Returns the files written."""
    payload, stem = build_payload(file, factory, budget, token, setup, slate, programme, title, recorded, now)
    target = out or Path("out/propose") / stem
    try:
        written = write_outputs(payload, target, chain_id=chain_id)
    except OSError as exc:
        raise UserError(f"cannot write under {target}: {exc.strerror or exc}") from exc
    echo(f"{payload.title}: {len(payload.calls)} call(s) in one vote")
    for number, call in enumerate(payload.calls, 1):
        decoded = decode_call(call.data, call.contract)
        echo(f"  {number}. {call.label} {call.target}: {decoded.function}")
    echo(f"proposal id {payload.proposal_id}")
    for path in written:
        echo(f"wrote {path}")
    return written
