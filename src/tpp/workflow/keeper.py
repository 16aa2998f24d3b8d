"""Operating deployed programmes: status, advancing what is due, and the keeper loop that does
it every few seconds.

`Programme.advance()` is permissionless and idempotent on chain; this module makes the
*sender* idempotent too: a transaction is only sent when a transition is due now, and only
after a simulation (on the chain's latest state) shows it would change something. Two keepers
running at once therefore never both send the same transition: the second one sees, on
re-reading, that nothing is due any more, and drops its transaction.
"""

from __future__ import annotations

import contextlib
import io
import signal
import threading
import urllib.error
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import eth_abi
import eth_abi.exceptions
import requests
from eth_utils import keccak

from tpp.base import units
from tpp.base.vocab import THROTTLE, ZERO_ADDRESS, Outcome, State, dial_id
from tpp.chain import Chain
from tpp.chain.anvil import AnvilError
from tpp.workflow.deployments import Deployments, OpsError, ProgrammeRecord

__all__ = [
    "DEFAULT_INTERVAL",
    "KNOWN_DIALS",
    "Action",
    "KeeperSummary",
    "advance_due",
    "install_stop_handlers",
    "is_rpc_failure",
    "keeper",
    "status",
]

# The Transition event's topic: one log per state change of a programme.
TRANSITION_TOPIC = int.from_bytes(keccak(text="Transition(address,uint256,uint8,uint8,string)"), "big")
# Logged by advance() when the Budget has no room for the next epoch (the programme waits).
DEFERRED_TOPIC = int.from_bytes(keccak(text="AdmissionDeferred(address,uint256,uint256,uint256,uint256,string)"), "big")
# Dials tpp knows by name (dials are stored by hash on chain and cannot be listed).
KNOWN_DIALS = (THROTTLE,)
# Keeper defaults: seconds between rounds; retries of a failing RPC round, and the backoff.
DEFAULT_INTERVAL = 15.0
DEFAULT_RETRIES = 5
BACKOFF_BASE = 1.0  # seconds, doubled on each consecutive failure
BACKOFF_MAX = 60.0  # seconds


# --- status ------------------------------------------------------------------------------------


def _programme_map(programmes: Deployments | Mapping[str, Any]) -> dict[str, str]:
    """name -> address from a Deployments, {name: ProgrammeRecord} or {name: address}."""
    items = programmes.programmes if isinstance(programmes, Deployments) else programmes
    return {name: (value.address if isinstance(value, ProgrammeRecord) else str(value)) for name, value in items.items()}


def read_latest(chain: Chain) -> None:
    """Activate `chain` and read its latest state: on a network titanoboa answers views from a
    local fork taken at the last transaction, which another sender may have outdated."""
    chain.activate()
    chain.refresh()


def status(
    chain: Chain, deployments: Deployments | Mapping[str, Any], dials: Iterable[str] = KNOWN_DIALS
) -> list[dict[str, Any]]:
    """One dict per programme: state, epoch and its window, minted vs cap and vs the linear
    unlock, the next time-driven transition and when it is due, and the known dials."""
    read_latest(chain)
    now = chain.now()
    kinds = {}
    if isinstance(deployments, Deployments):
        kinds = {name: record.kind for name, record in deployments.programmes.items()}
    rows = []
    for name, address in _programme_map(deployments).items():
        p = chain.at("Programme", address)
        state = int(p.state())
        next_state, next_at = p.next_transition()
        epoch_end = int(p.epoch_end())
        window = int(p.window_length())
        row: dict[str, Any] = {
            "name": name,
            "address": str(address),
            "kind": kinds.get(name),
            "mechanism": str(p.mechanism()),
            "state": State.label(state),
            "epoch": int(p.epoch()),
            "max_epochs": int(p.max_epochs()),
            "epoch_start": int(p.epoch_start()),
            "epoch_end": epoch_end,
            "window_start": max(0, epoch_end - window),
            "window_end": epoch_end,
            "in_window": epoch_end - window <= now < epoch_end,
            "halted": bool(p.halted()),
            "pending_outcome": Outcome.label(p.pending_outcome()) if int(p.pending_outcome()) else None,
            "default_outcome": Outcome.label(p.default_outcome()),
            "now": now,
            "next_state": State.label(next_state) if int(next_state) else None,
            "next_at": int(next_at) if int(next_state) else None,
            "due": bool(int(next_state)) and int(next_at) <= now,
            "waiting": None,
        }
        if state == State.EVALUATING and now >= epoch_end:
            # Past the end and still evaluating: either the Budget is paused or it refused the
            # next epoch for room (every window it could end in is full). Say which (advance()
            # is only simulated, nothing is sent).
            try:
                p.advance(simulate=True)
                row["waiting"] = _deferred(p._computation, str(address)) or None
            except Exception as exc:
                if is_rpc_failure(exc):
                    raise
            if row["waiting"] is None and bool(chain.at("Budget", str(p.BUDGET())).paused()):
                row["waiting"] = "waiting for the Budget's guardian to unpause"
        minter_address = str(p.minter())
        if minter_address != ZERO_ADDRESS:
            minter = chain.at("EpochMinter", minter_address)
            row.update(
                minter=minter_address,
                minted=int(minter.minted()),
                cap=int(minter.CAP()),
                unlocked=int(minter.unlocked_at(now)),
            )
        else:
            row.update(minter=None, minted=0, cap=0, unlocked=0)
        row["dials"] = {}
        for dial in dials:
            value, lower, upper, step, cooldown, last_move = (int(x) for x in p.dial(dial_id(dial)))
            if upper:
                row["dials"][dial] = dict(
                    value=value, lower=lower, upper=upper, step=step, cooldown=cooldown, last_move=last_move
                )
        rows.append(row)
    return rows


def status_json(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """`status` rows for JSON readers: integers above 2**53 (wei amounts) become strings, which
    JavaScript and many JSON libraries would otherwise round."""

    def safe(value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, int):
            if isinstance(value, dict):
                return {k: safe(v) for k, v in value.items()}
            if isinstance(value, list):
                return [safe(v) for v in value]
            return value
        return str(value) if abs(value) >= 2**53 else value

    return [safe(row) for row in rows]


# --- advancing ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Action:
    """One decision about one programme in one round."""

    name: str
    address: str
    kind: str  # "advanced", "skipped" (simulation: nothing would change), "reverted"
    old_state: str
    new_state: str
    transitions: tuple[tuple[str, str], ...] = ()
    detail: str = ""

    @property
    def sent(self) -> bool:
        return self.kind == "advanced"

    def line(self) -> str:
        if self.kind == "advanced":
            path = (
                " → ".join([self.transitions[0][0], *(new for _, new in self.transitions)])
                if self.transitions
                else f"{self.old_state} → {self.new_state}"
            )
            return f"{self.name}: {path}"
        return f"{self.name}: {self.kind} ({self.detail or self.old_state})"


def is_due(p: Any, now: int) -> bool:
    next_state, when = p.next_transition()
    if int(next_state) and int(when) <= now:
        return True
    return int(p.state()) == State.PAUSED and str(p.oracle()) != ZERO_ADDRESS and bool(p.pause_condition_met())


def _logs(computation: Any, address: str, topic: int) -> list[bytes]:
    """The data of every `topic` log the programme at `address` emitted in `computation`."""
    out = []
    target = int(address, 16)
    for entry in computation.get_log_entries():
        log_address, topics, data = entry[0], entry[1], entry[2]
        emitter = int.from_bytes(log_address, "big") if isinstance(log_address, bytes) else int(str(log_address), 16)
        if emitter == target and topics and int(topics[0]) == topic:
            out.append(bytes(data))
    return out


def _transitions(computation: Any, address: str) -> list[tuple[str, str]]:
    """(old, new) state names of every Transition the programme logged in `computation`."""
    # data: old_state (word 0), new_state (word 1), then the reason's offset and bytes.
    return [
        (State.label(int.from_bytes(d[0:32], "big")), State.label(int.from_bytes(d[32:64], "big")))
        for d in _logs(computation, address, TRANSITION_TOPIC)
    ]


def _deferred(computation: Any, address: str) -> str:
    """Why the simulated advance() changed nothing, when the Budget refused the next epoch for
    room (with the room held since creation, only a full window load can do that)."""
    for d in _logs(computation, address, DEFERRED_TOPIC):
        # data: cap, start, end, then the reason's offset, length and bytes (epoch is indexed).
        end = int.from_bytes(d[64:96], "big")
        try:
            *_, reason = eth_abi.decode(["uint256", "uint256", "uint256", "string"], d)
        except (eth_abi.exceptions.DecodingError, UnicodeDecodeError):
            reason = "an unreadable reason"
        # The reason comes from the chain: keep it to one short printable line.
        shown = "".join(ch for ch in reason if ch.isprintable())[:96]
        return f"waiting: the Budget refused the next epoch (to {units.format_date(end)}): {shown}"
    return ""


def advance_due(chain: Chain, programmes: Deployments | Mapping[str, Any], sender: str | None = None) -> list[Action]:
    """Call `advance()` on every programme whose next transition is due now (or that is PAUSED
    with an oracle whose condition holds). Each is re-read and simulated on the latest state
    right before sending; one that would change nothing (another keeper was faster, or the
    Budget is paused) or would revert is not sent. Returns what was done, sent or skipped;
    programmes with nothing due are left out."""
    read_latest(chain)
    actions = []
    for name, address in _programme_map(programmes).items():
        p = chain.at("Programme", address)
        if not is_due(p, chain.now()):
            continue
        old_state = State.label(p.state())
        kwargs = {"sender": sender} if sender else {}
        # Simulate on the latest state (network: a fresh fork of the node's latest block).
        try:
            p.advance(simulate=True, **kwargs)
        except Exception as exc:
            if is_rpc_failure(exc):
                raise
            actions.append(Action(name, address, "reverted", old_state, old_state, detail=str(exc).splitlines()[0][:160]))
            continue
        if not _transitions(p._computation, address):
            detail = _deferred(p._computation, address) or "nothing to do on the latest state"
            actions.append(Action(name, address, "skipped", old_state, old_state, detail=detail))
            continue
        # titanoboa prints every broadcast on network chains; the keeper logs its own line.
        with contextlib.redirect_stdout(io.StringIO()):
            new_state_code = p.advance(**kwargs)
        transitions = tuple(_transitions(p._computation, address))
        actions.append(Action(name, address, "advanced", old_state, State.label(new_state_code), transitions))
    return actions


# --- the keeper --------------------------------------------------------------------------------


def is_rpc_failure(exc: BaseException) -> bool:
    """Whether `exc` is a transport failure worth retrying (not a revert)."""
    transport: tuple[type[BaseException], ...] = (requests.exceptions.RequestException,)
    return isinstance(exc, (ConnectionError, TimeoutError, urllib.error.URLError, AnvilError, *transport)) or (
        isinstance(exc, OSError) and not isinstance(exc, FileNotFoundError)
    )


@dataclass
class KeeperSummary:
    rounds: int = 0
    sent: int = 0
    skipped: int = 0
    reverted: int = 0
    failures: int = 0
    actions: list[Action] = field(default_factory=list)

    def line(self) -> str:
        return (
            f"keeper stopped after {self.rounds} round(s): {self.sent} transaction(s) sent, "
            f"{self.skipped} skipped, {self.reverted} reverted, {self.failures} RPC failure(s) retried"
        )


def keeper(
    chain: Chain,
    deployments: Deployments | Mapping[str, Any],
    interval: float = DEFAULT_INTERVAL,
    max_rounds: int | None = None,
    stop_event: threading.Event | None = None,
    *,
    sender: str | None = None,
    retries: int = DEFAULT_RETRIES,
    backoff_base: float = BACKOFF_BASE,
    backoff_max: float = BACKOFF_MAX,
    on_action: Callable[[Action], None] | None = None,
    before_round: Callable[[int], None] | None = None,
    on_failure: Callable[[str], None] | None = None,
) -> KeeperSummary:
    """Run `advance_due` every `interval` seconds until `stop_event` is set or `max_rounds`
    rounds ran. A round that fails on the transport is retried with exponential backoff
    (`backoff_base` doubling up to `backoff_max`); after `retries` consecutive failures the
    keeper gives up with OpsError. Every action is passed to `on_action`; every transport
    failure, as it happens, to `on_failure` (with the chain time last seen, and the retry)."""
    stop_event = stop_event or threading.Event()
    summary = KeeperSummary()
    failures_in_a_row = 0
    last_seen = 0
    while not stop_event.is_set() and (max_rounds is None or summary.rounds < max_rounds):
        if before_round:
            before_round(summary.rounds)
        try:
            actions = advance_due(chain, deployments, sender=sender)
            last_seen = chain.now()
        except Exception as exc:
            if not is_rpc_failure(exc):
                raise
            failures_in_a_row += 1
            summary.failures += 1
            if failures_in_a_row > retries:
                raise OpsError(f"keeper: the node did not answer after {retries} retries: {exc}") from exc
            wait = min(backoff_max, backoff_base * 2 ** (failures_in_a_row - 1))
            if on_failure:
                seen = f" (chain time last seen {units.format_date(last_seen)})" if last_seen else ""
                first = str(exc).strip().splitlines()[0][:160] if str(exc).strip() else type(exc).__name__
                on_failure(f"RPC failure {failures_in_a_row}/{retries}{seen}: {first}; retrying in {wait:g}s")
            stop_event.wait(wait)
            continue
        failures_in_a_row = 0
        summary.rounds += 1
        for action in actions:
            summary.actions.append(action)
            summary.sent += action.kind == "advanced"
            summary.skipped += action.kind == "skipped"
            summary.reverted += action.kind == "reverted"
            if on_action:
                on_action(action)
        if max_rounds is not None and summary.rounds >= max_rounds:
            break
        stop_event.wait(interval)
    return summary


def install_stop_handlers(stop_event: threading.Event) -> Callable[[], None]:
    """SIGINT and SIGTERM set `stop_event` (the keeper finishes its round and stops cleanly).
    Returns a function that puts the previous handlers back. Main thread only."""
    previous = {}

    def handler(signum, _frame):
        stop_event.set()

    for sig in (signal.SIGINT, signal.SIGTERM):
        previous[sig] = signal.signal(sig, handler)

    def restore() -> None:
        for sig, old in previous.items():
            signal.signal(sig, old)

    return restore
