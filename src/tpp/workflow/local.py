"""Votes run here, on the devnet or the embedded chain: deploy a spec's portfolio, decide,
move a dial, and check a spec against a deployed Budget.

On the devnet and the embedded chain the stack's governors are local: the delegates are local
actors ("delegate-0" … "delegate-3", as `tpp.system.stack.deploy_stack` made them), so a vote
can be run from propose to execute here (`governance.run_proposal`, time moved by
`chain.warp`). On any other chain a vote is a vote: tpp writes the payload (`tpp propose`) and
never pretends to deploy.

The steward of the local flow is the stack's steward Safe (2 of 3 local owners, recorded as
``steward_safe`` in the deployments file): a spec whose programmes `tpp dial` should move on
the devnet names that Safe's address as `steward`, and `tpp dial` executes the move through
the Safe (``approveHash`` from one owner, ``execTransaction`` from another). A programme
whose steward is the plain local actor "steward" is still moved by that actor.
"""

from __future__ import annotations

import contextlib
import copy
import io
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from tpp.base import units
from tpp.base.vocab import ADMITTER_ADMIN_ROLE, DEFAULT_ADMIN_ROLE, TOKEN_MINTER_ROLE, Outcome, State, dial_id
from tpp.chain import Chain, Reverted
from tpp.specs import spec as spec_module
from tpp.specs.spec import DEFAULT_VOTE_LEAD, UINT48, AdmittedEpoch, CheckResult, GlobalParams, SpecError, check_spec
from tpp.system.governance import GovernanceError, explain_revert, run_proposal, vote_duration
from tpp.system.safes import SafeError, safe_layer_at
from tpp.system.stack import LOCAL_SAFES, deploy_stack, local_safe
from tpp.workflow.deployments import Deployments, OpsError, record_programmes, record_stack, safe_key
from tpp.workflow.keeper import advance_due, is_due, read_latest
from tpp.workflow.proposals import Decision, ProposalError, portfolio_payload, slate_payload

__all__ = [
    "DecisionResult",
    "DeployResult",
    "OnchainCheck",
    "admitted_from_budget",
    "check_onchain",
    "decide_locally",
    "deploy_file",
    "deploy_spec",
    "earliest_start",
    "global_differences",
    "globals_from_budget",
    "move_dial",
    "parse_cap",
    "parse_dial_value",
    "set_globals_locally",
]

LOCAL_DELEGATES = tuple(f"delegate-{i}" for i in range(4))
STEWARD_ACTOR = "steward"


def _token_of_spec(path: Path) -> tuple[str, int]:
    """The token symbol and decimals a spec writes its amounts in (defaults ZK, 18)."""
    try:
        raw = tomllib.loads(Path(path).read_text("utf-8"))
    except (OSError, tomllib.TOMLDecodeError):
        return "ZK", 18
    try:
        return spec_module._token_of(raw, Path(path))
    except Exception:  # noqa: BLE001 - the check itself reports a bad token
        return "ZK", 18


def globals_from_budget(chain: Chain, budget_address: str, token: str = "ZK", decimals: int = 18):
    """The global parameters a deployed Budget holds, as a `spec.GlobalParams` (`token` and
    `decimals` only say how amounts are written; the chain holds wei)."""
    read_latest(chain)
    b = chain.at("Budget", str(budget_address))
    return GlobalParams(
        inflation_threshold=int(b.inflation_threshold()),
        allocation=int(b.allocation()),
        max_share_bps=int(b.max_share_bps()),
        cycle_genesis=int(b.cycle_genesis()),
        cycle_length=int(b.cycle_length()),
        window_length=int(b.window_length()),
        load_limit=int(b.load_limit()),
        token=token,
        decimals=decimals,
    )


def admitted_from_budget(chain: Chain, budget_address: str) -> tuple[list[Any], int]:
    """(every epoch the Budget admitted as `spec.AdmittedEpoch`, the committed total in wei)."""
    read_latest(chain)
    b = chain.at("Budget", str(budget_address))
    epochs = []
    for i in range(int(b.epoch_count())):
        minter = str(b.epoch_at(i))
        cap, start, end = (int(x) for x in b.schedule_of(minter))
        epochs.append(AdmittedEpoch(f"on-chain epoch minter {minter}", cap, start, end))
    return epochs, int(b.committed())


def held_from_budget(
    chain: Chain, budget_address: str, admitted: list[Any], own_epochs: list[Any], own_programmes: list[str], now: int
) -> list[Any]:
    """The rest of the Budget's rate curve (its breakpoints, exactly what admissions are checked
    against) beyond the own rates of the epochs in `admitted`, from `now` on, as rate segments
    (`AdmittedEpoch` with `held_rate`): the room programmes hold for their later epochs, less
    what releases gave back. The contributions of `own_epochs` and of the holds of
    `own_programmes` (a spec's programmes already on chain, which the spec stands for) are left
    out too."""
    b = chain.at("Budget", str(budget_address))
    words = [int(w) for w in b.rate_breakpoints()]
    points = [(w >> 200, w & ((1 << 200) - 1)) for w in words]
    own: list[tuple[int, int, int]] = []
    for e in own_epochs:
        minter = e.name.rsplit(" ", 1)[-1]
        released, _, released_at = (int(x) for x in b.released_of(minter))
        until = min(e.end, max(e.start, released_at)) if released else e.end
        own.append((e.start, until, e.rate))
    for address in own_programmes:
        rate, _, held_from = (int(x) for x in b.hold_of(address))
        if rate:
            own.append((held_from, UINT48, rate))
    segments = []
    for i, (t, rate) in enumerate(points):
        following = points[i + 1][0] if i + 1 < len(points) else UINT48
        start = max(t, now)
        if following <= start:
            continue
        counted = sum(e.rate for e in admitted if e.start <= start < e.end) + sum(r for s, u, r in own if s <= start < u)
        rest = rate - counted
        if rest:
            segments.append(AdmittedEpoch(f"rate held in the Budget from {start}", 0, start, following, held_rate=rest))
    return segments


@dataclass
class OnchainCheck(CheckResult):
    """`check_spec` against a deployed Budget, plus where the spec's own globals differ from
    the chain's, and which of the spec's programmes are already on chain."""

    differences: list[str] = field(default_factory=list)
    on_chain: list[str] = field(default_factory=list)  # spec programmes already deployed


_GLOBAL_FIELDS = (
    "inflation_threshold",
    "allocation",
    "max_share_bps",
    "cycle_genesis",
    "cycle_length",
    "window_length",
    "load_limit",
)


def _describe(g: GlobalParams, name: str) -> str:
    value = getattr(g, name)
    if name == "inflation_threshold":
        return g.rate(value)
    if name == "allocation":
        return g.amount(value)
    if name == "max_share_bps":
        return units.format_bps(value)
    if name == "cycle_genesis":
        return units.format_date(value)
    if name in ("cycle_length", "window_length"):
        return units.format_duration(value)
    return str(value)


def global_differences(spec_globals: GlobalParams, onchain: GlobalParams) -> list[str]:
    """One line per global parameter where the spec's file and the Budget disagree."""
    return [
        f"globals.{name}: the spec says {_describe(spec_globals, name)}, the Budget holds {_describe(onchain, name)} (the check uses the Budget's)"
        for name in _GLOBAL_FIELDS
        if getattr(spec_globals, name) != getattr(onchain, name)
    ]


def _own_epochs(chain: Chain, admitted: list[AdmittedEpoch], programmes: list[str]) -> set[str]:
    """The epoch minters (by AdmittedEpoch name) that belong to `programmes` (addresses)."""
    own = set()
    for epoch in admitted:
        minter = chain.at("EpochMinter", epoch.name.rsplit(" ", 1)[-1])
        if any(bool(minter.hasRole(DEFAULT_ADMIN_ROLE, p)) for p in programmes):
            own.add(epoch.name)
    return own


def check_onchain(
    path: str | Path, chain: Chain, budget_address: str, now: int | None = None, deployments: Deployments | None = None
) -> OnchainCheck:
    """`spec.check_spec` against a deployed Budget: its parameters, admitted epochs and
    committed total replace what the file says. Programmes of the spec that are already
    recorded on this chain (same name) are not counted twice: their admitted epochs are left
    out of what was admitted before, since the spec itself stands for them."""
    token, decimals = _token_of_spec(Path(path))
    params = globals_from_budget(chain, budget_address, token, decimals)
    admitted, committed = admitted_from_budget(chain, budget_address)
    now = chain.now() if now is None else now
    lead = DEFAULT_VOTE_LEAD
    if deployments is not None and deployments.stack.get("tpp_governor") and deployments.stack.get("tpp_timelock"):
        governor = chain.artifact_at("TppGovernor", deployments.stack["tpp_governor"])
        lead = vote_duration(chain, governor, deployments.stack["tpp_timelock"])
    params = replace(params, vote_lead=lead)
    own_file = check_spec(path, now=0)  # only for the file's own globals
    differences = global_differences(own_file.spec.globals, params) if own_file.spec is not None else []
    on_chain: list[str] = []
    own_epochs: list[AdmittedEpoch] = []
    own_programmes: list[str] = []
    if deployments is not None and own_file.spec is not None:
        names = [p.name for p in own_file.spec.programmes if p.name in deployments.programmes]
        if names:
            own_programmes = [deployments.programmes[n].address for n in names]
            own = _own_epochs(chain, admitted, own_programmes)
            own_epochs = [e for e in admitted if e.name in own]
            b = chain.at("Budget", str(budget_address))
            committed -= sum(e.cap for e in own_epochs) + sum(int(b.reserve_of(a)) for a in own_programmes)
            admitted = [e for e in admitted if e.name not in own]
            on_chain = names
    held = held_from_budget(chain, budget_address, admitted, own_epochs, own_programmes, now)
    result = check_spec(
        path, globals=params, already_admitted=admitted, committed=committed, now=now, deployed=on_chain, held=held
    )
    return OnchainCheck(result.spec, result.errors, result.warnings, differences, on_chain)


def _stack_handles(chain: Chain, deployments: Deployments) -> dict[str, Any]:
    s = deployments.stack
    missing = [k for k in ("token", "budget", "factory", "tpp_governor", "tpp_timelock") if not s.get(k)]
    if missing:
        raise OpsError(
            f"chain {deployments.chain_id}: no {', '.join(missing)} recorded in {deployments.path or 'the deployments'} "
            "(on the devnet: `tpp devnet up` deploys the stack)"
        )
    handles = {
        "token": chain.artifact_at("TppToken", s["token"]),
        "budget": chain.at("Budget", s["budget"]),
        "factory": chain.at("ProgrammeFactory", s["factory"]),
        "tpp_governor": chain.artifact_at("TppGovernor", s["tpp_governor"]),
        "tpp_timelock": s["tpp_timelock"],
    }
    if s.get("gap_governor"):
        handles["gap_governor"] = chain.artifact_at("TppGovernor", s["gap_governor"])
    return handles


def _local_vote(chain: Chain, governor: Any, targets, values, calldatas, description: str) -> int:
    """One vote on a local governor with the local delegates, propose to execute."""
    if not chain.is_local:
        raise OpsError(
            "a vote can only be run here on the devnet or the embedded chain; put the payload to delegates with `tpp propose`"
        )
    delegates = [chain.actor(name) for name in LOCAL_DELEGATES]
    try:
        with contextlib.redirect_stdout(io.StringIO()), chain.reverts():
            return run_proposal(chain, governor, targets, values, calldatas, description, delegates)
    except GovernanceError as exc:
        raise OpsError(str(exc)) from exc
    except Reverted as exc:
        raise OpsError(f"the vote reverted: {explain_revert(exc.reason)}") from exc


def budget_matches(params: Any, onchain: Any) -> bool:
    fields = (
        "inflation_threshold",
        "allocation",
        "max_share_bps",
        "cycle_genesis",
        "cycle_length",
        "window_length",
        "load_limit",
    )
    return all(getattr(params, f) == getattr(onchain, f) for f in fields)


def set_globals_locally(
    chain: Chain, deployments: Deployments, params: Any, say: Callable[[str], None] = lambda text: None
) -> int | None:
    """On a local chain: one GAP vote (GovOps governor, local delegates) setting the Budget's
    parameters to `params` where they differ. Returns the proposal id, None if nothing differs."""
    h = _stack_handles(chain, deployments)
    if "gap_governor" not in h:
        raise OpsError("no GovOps governor recorded: cannot set the Budget's parameters")
    budget = h["budget"]
    current = globals_from_budget(chain, str(budget.address))
    calls: list[tuple[str, tuple[Any, ...]]] = []
    if params.inflation_threshold != current.inflation_threshold:
        calls.append(("set_inflation_threshold", (params.inflation_threshold,)))
    if params.allocation != current.allocation:
        calls.append(("set_allocation", (params.allocation,)))
    if params.max_share_bps != current.max_share_bps:
        calls.append(("set_max_share", (params.max_share_bps,)))
    if (params.cycle_genesis, params.cycle_length, params.window_length) != (
        current.cycle_genesis,
        current.cycle_length,
        current.window_length,
    ):
        calls.append(("set_decision_cycle", (params.cycle_genesis, params.cycle_length, params.window_length)))
    if params.load_limit != current.load_limit:
        calls.append(("set_load_limit", (params.load_limit,)))
    if not calls:
        return None
    say(f"GAP vote: setting the Budget's {', '.join(fn for fn, _ in calls)} to the spec's globals")
    calldatas = [getattr(budget, fn).prepare_calldata(*args) for fn, args in calls]
    description = _salted("GAP: global parameters from the spec", chain)
    return _local_vote(chain, h["gap_governor"], [str(budget.address)] * len(calls), [0] * len(calls), calldatas, description)


@dataclass
class DeployResult:
    proposal_id: int
    programmes: dict[str, str]  # name -> programme address
    setup: bool  # whether the vote carried the two setup grants


def factory_authorised(chain: Chain, deployments: Deployments) -> bool:
    """Whether the token lets the Budget mint and the Budget lets the factory admit."""
    h = _stack_handles(chain, deployments)
    return bool(h["token"].hasRole(TOKEN_MINTER_ROLE, h["budget"].address)) and bool(
        h["budget"].hasRole(ADMITTER_ADMIN_ROLE, h["factory"].address)
    )


def _salted(description: str, chain: Chain) -> str:
    """A description no earlier proposal has: the governor derives a proposal's id from its
    calls and description, so the same decision taken again (or a choice switched back) needs a
    new description to be a new proposal."""
    return f"{description}\n\n(proposed at chain time {units.format_date(chain.now())}, {chain.now()})"


def earliest_start(chain: Chain, deployments: Deployments, gap_vote: bool) -> int:
    """The earliest first start a portfolio voted now can have: the votes' voting delays,
    voting periods and timelock delays from now (the GAP vote first, when there is one)."""
    h = _stack_handles(chain, deployments)
    needed = vote_duration(chain, h["tpp_governor"], h["tpp_timelock"])
    if gap_vote and "gap_governor" in h:
        needed += vote_duration(chain, h["gap_governor"], deployments.stack["gap_timelock"])
    return chain.now() + needed


def _deploy(chain: Chain, spec: Any, deployments: Deployments, set_globals: bool, say: Callable[[str], None]) -> DeployResult:
    if set_globals:
        set_globals_locally(chain, deployments, spec.globals, say)
    return deploy_spec(chain, spec, deployments, say)


def deploy_file(
    chain: Chain,
    file: str | Path,
    deployments: Deployments,
    *,
    set_globals: bool = True,
    fresh_stack: bool = False,
    say: Callable[[str], None] = lambda text: None,
) -> DeployResult:
    """`tpp deploy FILE`: check everything first, then (on a local chain) a GAP vote setting
    the Budget to the spec's globals where they differ, and one TPP vote creating the
    portfolio. Nothing is sent unless all of it would succeed: the spec, its names against the
    deployments file, its first starts against the time the votes take, and then both votes
    run in full inside a snapshot that is rolled back."""
    if not chain.is_local:
        raise OpsError(
            "this chain has a real governor: tpp does not deploy here; put the portfolio to a vote with `tpp propose FILE`"
        )
    if fresh_stack:
        with contextlib.redirect_stdout(io.StringIO()):
            record_stack(deployments, deploy_stack(chain))
        say("embedded chain: a fresh local stack deployed (nothing is recorded: the chain ends with this command)")
    read_latest(chain)
    result = check_spec(file, now=chain.now())
    if result.errors or result.spec is None:
        raise OpsError(f"{file}: the spec is not valid (run `tpp check {file}`); nothing was sent:\n{SpecError(result.errors)}")
    spec = result.spec
    clash = [p.name for p in spec.programmes if p.name in deployments.programmes]
    if clash:
        raise OpsError(
            f"programme(s) {', '.join(clash)} already recorded on chain {deployments.chain_id}; rename them in the spec (nothing was sent)"
        )
    budget = _stack_handles(chain, deployments)["budget"]  # names what is not recorded, if anything
    current = globals_from_budget(chain, str(budget.address))
    gap_vote = set_globals and not budget_matches(spec.globals, current)
    earliest = earliest_start(chain, deployments, gap_vote)
    early = [p for p in spec.programmes if p.first_start < earliest]
    if early:
        names = ", ".join(f"{p.name} ({units.format_date(p.first_start)})" for p in early)
        raise OpsError(
            f"{file}: first_start of {names} is before {units.format_date(earliest)}, the earliest start that survives "
            f"the vote{'s' if gap_vote else ''} (voting delay, voting period and timelock); move it later (nothing was sent)"
        )
    with chain.anchor():
        try:
            _deploy(chain, spec, copy.deepcopy(deployments), set_globals, lambda text: None)
        except OpsError as exc:
            raise OpsError(f"{exc} (found in a dry run; nothing was sent)") from exc
    read_latest(chain)
    return _deploy(chain, spec, deployments, set_globals, say)


def deploy_spec(
    chain: Chain, spec: Any, deployments: Deployments, say: Callable[[str], None] = lambda text: None
) -> DeployResult:
    """Put a spec's portfolio through the local Token governor (propose, vote, queue, execute
    with the local delegates) and record every created programme by the spec's name."""
    if not chain.is_local:
        raise OpsError(
            "this chain has a real governor: tpp does not deploy here; put the portfolio to a vote with "
            "`tpp propose FILE --factory … [--setup]` (or `tpp propose --submit`)"
        )
    read_latest(chain)
    h = _stack_handles(chain, deployments)
    clash = [p.name for p in spec.programmes if p.name in deployments.programmes]
    if clash:
        raise OpsError(
            f"programme(s) {', '.join(clash)} already recorded on chain {deployments.chain_id}; rename them in the spec"
        )
    setup = not factory_authorised(chain, deployments)
    try:
        payload = portfolio_payload(spec, h["factory"].address, h["budget"].address, h["token"].address, include_setup=setup)
    except ProposalError as exc:
        raise OpsError(str(exc)) from exc
    factory = h["factory"]
    first = int(factory.programme_count())
    say(f"TPP vote: {payload.title} ({len(payload.calls)} call(s){', with the setup grants' if setup else ''})")
    pid = _local_vote(
        chain, h["tpp_governor"], payload.targets, payload.values, payload.calldatas, _salted(payload.description, chain)
    )
    read_latest(chain)
    count = int(factory.programme_count())
    addresses = [str(factory.programme_at(i)) for i in range(first, count)]
    if len(addresses) != len(spec.programmes):
        raise OpsError(f"the factory created {len(addresses)} programme(s), the spec has {len(spec.programmes)}")
    record_programmes(deployments, chain, [(p.name, p.kind) for p in spec.programmes], addresses)
    return DeployResult(pid, {p.name: a for p, a in zip(spec.programmes, addresses)}, setup)


def _programme(chain: Chain, deployments: Deployments, name: str):
    record = deployments.programmes.get(name)
    if record is None:
        known = ", ".join(sorted(deployments.programmes)) or "none"
        raise OpsError(f"no programme {name!r} recorded on chain {deployments.chain_id} (recorded: {known})")
    return chain.at("Programme", record.address)


def _simulate(chain: Chain, name: str, what: str, fn: Callable[[], Any]) -> None:
    try:
        with contextlib.redirect_stdout(io.StringIO()), chain.reverts():
            fn()
    except Reverted as exc:
        raise OpsError(f"programme {name}: {what} would revert: {exc.reason}") from exc


@dataclass(frozen=True)
class DecisionResult:
    name: str
    proposal_id: int
    outcome: str
    cap_text: str | None
    state: str

    def line(self) -> str:
        cap = f", next cap {self.cap_text}" if self.cap_text else ""
        return f"proposal {self.proposal_id} executed: {self.name} pending outcome {self.outcome}{cap} (state {self.state})"


def decide_locally(
    chain: Chain, deployments: Deployments, name: str, outcome: str, cap: int | str | None = None
) -> DecisionResult:
    """A one-decision slate for `name` through the local Token governor. The programme is
    advanced first if a transition is due; the decision is simulated from the TPP executor
    now, and the vote must be able to execute before the evaluation window closes. `cap` is
    wei, or an amount with its unit ("16m ZK"), the same rule as in specs. The same decision
    may be taken again, or a choice switched back: each vote is a new proposal."""
    if not chain.is_local:
        raise OpsError("a decision is a vote: on this chain write the slate with `tpp propose --slate` and put it to delegates")
    try:
        code = Outcome.parse(outcome)
    except ValueError as exc:
        raise OpsError(f"outcome {exc}") from None
    if isinstance(cap, int):
        new_cap, token = cap, "ZK"
    else:
        new_cap, token = parse_cap(cap) if cap else (0, "ZK")
    cap_text = units.format_amount(new_cap, token) if new_cap else None
    read_latest(chain)
    h = _stack_handles(chain, deployments)
    p = _programme(chain, deployments, name)
    address = deployments.programmes[name].address
    payload = slate_payload([Decision(name, code.name, new_cap)], {name: address}, token=token)
    if is_due(p, chain.now()):
        advance_due(chain, {name: address})
        read_latest(chain)
    executor = h["tpp_timelock"]
    _simulate(chain, name, f"decide({code.name})", lambda: p.decide(code, new_cap, sender=executor, simulate=True))
    needed = vote_duration(chain, h["tpp_governor"], executor)
    window_end = int(p.epoch_end())
    if code != Outcome.KILL and chain.now() + needed >= window_end:
        raise OpsError(
            f"programme {name}: a vote started now executes after the evaluation window closes at "
            f"{units.format_date(window_end)} (a vote needs {units.format_duration(needed)}; programme: not in evaluation window)"
        )
    pid = _local_vote(
        chain, h["tpp_governor"], payload.targets, payload.values, payload.calldatas, _salted(payload.description, chain)
    )
    read_latest(chain)
    return DecisionResult(name, pid, code.name, cap_text, State.label(p.state()))


def move_dial(
    chain: Chain, deployments: Deployments, name: str, dial: str, value: int, reason: str, sender: str | None = None
) -> int:
    """The steward moves `dial` of programme `name` to `value`; simulated first, so a move the
    programme would refuse (bounds, step, cooldown, not the steward) raises OpsError with the
    rule. On a local chain a programme whose steward is the recorded steward Safe is moved by
    a Safe transaction its local owners sign. Returns the dial's new value."""
    read_latest(chain)
    p = _programme(chain, deployments, name)
    steward = str(p.steward())
    steward_safe = deployments.stack.get(safe_key("steward"), "")
    through_safe = sender is None and chain.is_local and steward_safe.lower() == steward.lower()
    if through_safe:
        sender = steward
    elif sender is None:
        sender = chain.actor(STEWARD_ACTOR) if chain.is_local else str(chain.env.eoa)
    if len(reason.encode()) > 128:
        raise OpsError(f"programme {name}: the reason is longer than 128 bytes")
    key = dial_id(dial)
    if steward.lower() != str(sender).lower():
        hint = ""
        if not chain.is_local and int(steward, 16):  # a Safe there signs with its owners' wallets
            data = p.move_dial.prepare_calldata(key, value, reason)
            hint = f"; if the steward is a Safe, its owners execute to {p.address} the data 0x{bytes(data).hex()}"
        raise OpsError(f"programme {name}: {sender} is not its steward ({steward}) (programme: caller is not the steward){hint}")
    # Simulated from the steward itself, its Safe's address too: no key is needed to simulate.
    _simulate(chain, name, f"move_dial({dial}, {value})", lambda: p.move_dial(key, value, reason, sender=sender, simulate=True))
    with contextlib.redirect_stdout(io.StringIO()):
        if not through_safe:
            p.move_dial(key, value, reason, sender=sender)
            return int(p.dial(key)[0])
        try:
            safe, signers = local_safe(safe_layer_at(chain, deployments.stack), steward, LOCAL_SAFES["steward"])
        except (KeyError, ValueError) as exc:
            raise OpsError(
                f"programme {name}: its steward is the Safe {steward}, which the local owners cannot sign for ({exc})"
            ) from exc
        try:
            safe.call(p, "move_dial", key, value, reason, signers=signers)
        except SafeError as exc:
            raise OpsError(f"programme {name}: {exc}") from exc
    return int(p.dial(key)[0])


def parse_cap(text: str) -> tuple[int, str]:
    """ "16m ZK" -> (wei, "ZK"): an amount with its unit, the same rule as in specs (a bare
    number is refused and the message shows how to write it)."""
    words = text.strip().split()
    token = words[-1] if len(words) > 1 and words[-1].isalpha() and words[-1].lower() != "wei" else "ZK"
    try:
        return units.parse_amount(text, token, 18), token
    except units.UnitError as exc:
        raise OpsError(f'--cap "{text}": {exc}') from exc


def parse_dial_value(text: str) -> int:
    text = text.strip()
    if text.isdigit():
        return int(text)
    try:
        return units.parse_bps(text)
    except units.UnitError as exc:
        raise OpsError(f'dial value "{text}": {exc} (or a plain integer)') from exc
