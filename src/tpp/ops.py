"""Operating deployed programmes: the deployments file, status, advancing what is due, and
the keeper loop that does it every few seconds.

`Programme.advance()` is permissionless and idempotent on chain; this module makes the
*sender* idempotent too: a transaction is only sent when a transition is due now, and only
after a simulation (on the chain's latest state) shows it would change something. Two keepers
running at once therefore never both send the same transition: the second one sees, on
re-reading, that nothing is due any more, and drops its transaction.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import signal
import threading
import time
import urllib.error
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Optional  # Optional: typer reads the command signatures

from eth_utils import keccak

from tpp.chain import Chain
from tpp.programmes import STATE, STATES, THROTTLE, ZERO, dial_id

# Where per-chain deployment records live, relative to the working directory.
DEFAULT_ROOT = Path(".tpp")
# The Transition event's topic: one log per state change of a programme.
TRANSITION_TOPIC = int.from_bytes(keccak(text="Transition(address,uint256,uint8,uint8,string)"), "big")
# Dials tpp knows by name (dials are stored by hash on chain and cannot be listed).
KNOWN_DIALS = (THROTTLE,)
# Keeper defaults: seconds between rounds; retries of a failing RPC round, and the backoff.
DEFAULT_INTERVAL = 15.0
DEFAULT_RETRIES = 5
BACKOFF_BASE = 1.0  # seconds, doubled on each consecutive failure
BACKOFF_MAX = 60.0  # seconds


class OpsError(RuntimeError):
    """An operation could not be done (no deployment, RPC down for too long, …)."""


# --- the deployments file ----------------------------------------------------------------------


@dataclass
class ProgrammeRecord:
    address: str
    mechanism: str
    kind: str  # "stream" or "staking"


@dataclass
class Deployments:
    """What is deployed on one chain: the stack's addresses and programmes by name."""

    chain_id: int
    stack: dict[str, str] = field(default_factory=dict)
    programmes: dict[str, ProgrammeRecord] = field(default_factory=dict)
    path: Path | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "chain_id": self.chain_id,
            "stack": dict(self.stack),
            "programmes": {name: asdict(record) for name, record in self.programmes.items()},
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any], path: Path | None = None) -> "Deployments":
        return cls(
            chain_id=int(data["chain_id"]),
            stack={str(k): str(v) for k, v in data.get("stack", {}).items()},
            programmes={name: ProgrammeRecord(**record) for name, record in data.get("programmes", {}).items()},
            path=path,
        )

    def save(self) -> Path:
        """Write the file atomically (a reader never sees half a file)."""
        path = self.path or deployments_path(self.chain_id)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(self.to_json(), indent=2) + "\n", encoding="utf-8")
        os.replace(tmp, path)
        self.path = path
        return path


def deployments_path(chain_id: int, root: Path = DEFAULT_ROOT) -> Path:
    return Path(root) / "deployments" / f"{chain_id}.json"


def chain_id_of(chain: Chain) -> int:
    if chain.backend == "embedded":
        return int(chain.env.evm.patch.chain_id)
    return int(chain.env.get_chain_id())


def load_deployments(chain_id: int, root: Path = DEFAULT_ROOT) -> Deployments:
    """The deployments recorded for `chain_id` (an empty record if there is no file yet)."""
    path = deployments_path(chain_id, root)
    if not path.exists():
        return Deployments(chain_id=chain_id, path=path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return Deployments.from_json(data, path)
    except (ValueError, KeyError, TypeError) as exc:
        raise OpsError(f"{path}: not a tpp deployments file ({exc})") from exc


def record_stack(deployments: Deployments, stack: Any) -> Deployments:
    """Record a deployed `tpp.stack.Stack` (token, governors, timelocks, budget, factory)."""
    g = stack.governance
    deployments.stack.update(
        token=str(g.token.address),
        tpp_governor=str(g.tpp_governor.address),
        tpp_timelock=str(g.tpp_timelock.address),
        gap_governor=str(g.gap_governor.address),
        gap_timelock=str(g.gap_timelock.address),
        budget=str(stack.budget.address),
    )
    if stack.factory is not None:
        deployments.stack["factory"] = str(stack.factory.address)
    return deployments


def record_programme(deployments: Deployments, name: str, address: str, mechanism: str, kind: str) -> Deployments:
    if kind not in ("stream", "staking"):
        raise OpsError(f"programme {name!r}: kind must be 'stream' or 'staking', not {kind!r}")
    deployments.programmes[name] = ProgrammeRecord(str(address), str(mechanism), kind)
    return deployments


def record_programmes(deployments: Deployments, chain: Chain, names_and_kinds: Iterable[tuple[str, str]], addresses: Iterable[str]) -> Deployments:
    """Record programmes created in one factory call, reading each one's mechanism."""
    for (name, kind), address in zip(names_and_kinds, addresses):
        programme = chain.at("Programme", str(address))
        record_programme(deployments, name, str(address), str(programme.mechanism()), kind)
    return deployments


# --- status ------------------------------------------------------------------------------------


def _programme_map(programmes: Deployments | Mapping[str, Any]) -> dict[str, str]:
    """name -> address from a Deployments, {name: ProgrammeRecord} or {name: address}."""
    items = programmes.programmes if isinstance(programmes, Deployments) else programmes
    return {name: (value.address if isinstance(value, ProgrammeRecord) else str(value)) for name, value in items.items()}


def _fresh(chain: Chain) -> None:
    """Activate `chain` and, on a network, re-fork its latest block: titanoboa answers views
    from a local fork taken at the last transaction, which another sender may have outdated."""
    chain.activate()
    if chain.backend != "embedded" and hasattr(chain.env, "_reset_fork"):
        chain.env._reset_fork()


def status(chain: Chain, deployments: Deployments | Mapping[str, Any], dials: Iterable[str] = KNOWN_DIALS) -> list[dict[str, Any]]:
    """One dict per programme: state, epoch and its window, minted vs cap and vs the linear
    unlock, the next time-driven transition and when it is due, and the known dials."""
    _fresh(chain)
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
            "state": STATES.get(state, str(state)),
            "epoch": int(p.epoch()),
            "max_epochs": int(p.max_epochs()),
            "epoch_start": int(p.epoch_start()),
            "epoch_end": epoch_end,
            "window_start": max(0, epoch_end - window),
            "window_end": epoch_end,
            "in_window": epoch_end - window <= now < epoch_end,
            "halted": bool(p.halted()),
            "now": now,
            "next_state": STATES.get(int(next_state)) if int(next_state) else None,
            "next_at": int(next_at) if int(next_state) else None,
            "due": bool(int(next_state)) and int(next_at) <= now,
        }
        minter_address = str(p.minter())
        if minter_address != ZERO:
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
                row["dials"][dial] = dict(value=value, lower=lower, upper=upper, step=step, cooldown=cooldown, last_move=last_move)
        rows.append(row)
    return rows


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
            path = " → ".join([self.transitions[0][0], *(new for _, new in self.transitions)]) if self.transitions else f"{self.old_state} → {self.new_state}"
            return f"{self.name}: {path}"
        return f"{self.name}: {self.kind} ({self.detail or self.old_state})"


def _is_due(p: Any, now: int) -> bool:
    next_state, when = p.next_transition()
    if int(next_state) and int(when) <= now:
        return True
    return int(p.state()) == STATE["PAUSED"] and str(p.oracle()) != ZERO and bool(p.pause_condition_met())


def _transitions(computation: Any, address: str) -> list[tuple[str, str]]:
    """(old, new) state names of every Transition the programme logged in `computation`."""
    out = []
    target = int(address, 16)
    for entry in computation.get_log_entries():
        log_address, topics, data = entry[0], entry[1], entry[2]
        emitter = int.from_bytes(log_address, "big") if isinstance(log_address, bytes) else int(str(log_address), 16)
        if emitter != target or not topics or int(topics[0]) != TRANSITION_TOPIC:
            continue
        # data: old_state (word 0), new_state (word 1), then the reason's offset and bytes.
        old, new = int.from_bytes(data[0:32], "big"), int.from_bytes(data[32:64], "big")
        out.append((STATES.get(old, str(old)), STATES.get(new, str(new))))
    return out


def advance_due(chain: Chain, programmes: Deployments | Mapping[str, Any], sender: str | None = None) -> list[Action]:
    """Call `advance()` on every programme whose next transition is due now (or that is PAUSED
    with an oracle whose condition holds). Each is re-read and simulated on the latest state
    right before sending; one that would change nothing (another keeper was faster, or the
    Budget is paused) or would revert is not sent. Returns what was done, sent or skipped;
    programmes with nothing due are left out."""
    _fresh(chain)
    actions = []
    for name, address in _programme_map(programmes).items():
        p = chain.at("Programme", address)
        if not _is_due(p, chain.now()):
            continue
        old_state = STATES.get(int(p.state()), "?")
        kwargs = {"sender": sender} if sender else {}
        # Simulate on the latest state (network: a fresh fork of the node's latest block).
        try:
            p.advance(simulate=True, **kwargs)
        except Exception as exc:  # noqa: BLE001 - a revert of any kind: do not send
            if _is_rpc_failure(exc):
                raise
            actions.append(Action(name, address, "reverted", old_state, old_state, detail=str(exc).splitlines()[0][:160]))
            continue
        if not _transitions(p._computation, address):
            actions.append(Action(name, address, "skipped", old_state, old_state, detail="nothing to do on the latest state"))
            continue
        # titanoboa prints every broadcast on network chains; the keeper logs its own line.
        with contextlib.redirect_stdout(io.StringIO()):
            new_state_code = p.advance(**kwargs)
        transitions = tuple(_transitions(p._computation, address))
        actions.append(Action(name, address, "advanced", old_state, STATES.get(int(new_state_code), "?"), transitions))
    return actions


# --- the keeper --------------------------------------------------------------------------------


def _is_rpc_failure(exc: BaseException) -> bool:
    """Whether `exc` is a transport failure worth retrying (not a revert)."""
    try:
        import requests

        transport: tuple[type[BaseException], ...] = (requests.exceptions.RequestException,)
    except ImportError:  # pragma: no cover
        transport = ()
    from tpp.anvil import AnvilError

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
) -> KeeperSummary:
    """Run `advance_due` every `interval` seconds until `stop_event` is set or `max_rounds`
    rounds ran. A round that fails on the transport is retried with exponential backoff
    (`backoff_base` doubling up to `backoff_max`); after `retries` consecutive failures the
    keeper gives up with OpsError. Every action is passed to `on_action`."""
    stop_event = stop_event or threading.Event()
    summary = KeeperSummary()
    failures_in_a_row = 0
    while not stop_event.is_set() and (max_rounds is None or summary.rounds < max_rounds):
        if before_round:
            before_round(summary.rounds)
        try:
            actions = advance_due(chain, deployments, sender=sender)
        except Exception as exc:  # noqa: BLE001 - only transport failures are retried
            if not _is_rpc_failure(exc):
                raise
            failures_in_a_row += 1
            summary.failures += 1
            if failures_in_a_row > retries:
                raise OpsError(f"keeper: the node did not answer after {retries} retries: {exc}") from exc
            stop_event.wait(min(backoff_max, backoff_base * 2 ** (failures_in_a_row - 1)))
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


# --- accounts and chains for the commands ------------------------------------------------------


def account_from_environment(keystore: Path | None = None, password: str | None = None, prompt: Callable[[str], str] | None = None):
    """A signing account: an encrypted keystore file (password from TPP_KEYSTORE_PASSWORD or a
    prompt) or the TPP_PRIVATE_KEY environment variable. Never a key in a config file."""
    from eth_account import Account

    if keystore is not None:
        try:
            encrypted = json.loads(Path(keystore).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise OpsError(f"{keystore}: cannot read the keystore ({exc})") from exc
        password = password if password is not None else os.environ.get("TPP_KEYSTORE_PASSWORD")
        if password is None:
            if prompt is None:
                raise OpsError("the keystore needs a password: set TPP_KEYSTORE_PASSWORD or run interactively")
            password = prompt(f"password for {keystore}")
        try:
            return Account.from_key(Account.decrypt(encrypted, password))
        except ValueError as exc:
            raise OpsError(f"{keystore}: wrong password or damaged keystore") from exc
    key = os.environ.get("TPP_PRIVATE_KEY")
    if key:
        try:
            return Account.from_key(key)
        except (ValueError, TypeError) as exc:
            raise OpsError("TPP_PRIVATE_KEY is not a private key (64 hex digits)") from exc
    return None


def open_chain(
    rpc: str | None = None, embedded: bool = False, keystore: Path | None = None, root: Path = DEFAULT_ROOT, prompt=None, *, read_only: bool = False
) -> Chain:
    """The chain a command works on: --embedded, --rpc URL, or the running devnet (default).
    On an RPC, the sender is the keystore / TPP_PRIVATE_KEY account (`read_only`: none needed);
    on the devnet, a funded local actor ("keeper") unless an account is given."""
    if embedded:
        return Chain.embedded()
    account = account_from_environment(keystore, prompt=prompt)
    if rpc:
        chain = Chain.rpc(rpc)
        if account is None and read_only:
            chain.set_sender(ZERO)  # views only: eth_call needs a `from`
            return chain
        if account is None:
            raise OpsError(f"{rpc}: no account to send with; set TPP_PRIVATE_KEY or pass --keystore FILE")
    else:
        from tpp.devnet import devnet_chain

        chain = devnet_chain(root)
    if account is not None:
        chain.set_sender(chain.add_account(account))
    elif chain.backend == "anvil":
        chain.set_sender(chain.actor("keeper"))
    return chain


# --- commands ----------------------------------------------------------------------------------


def _when(t: int | None, now: int) -> str:
    if t is None:
        return "—"
    from datetime import datetime, timezone

    stamp = datetime.fromtimestamp(t, timezone.utc).strftime("%Y-%m-%d %H:%M")
    delta = t - now
    if delta <= 0:
        return f"{stamp} (due)"
    return f"{stamp} (in {delta // 86_400}d {delta % 86_400 // 3600}h)"


def _amount(wei: int) -> str:
    return f"{wei / 10**18:,.2f}"


def register(app: Any) -> None:
    """Add `tpp status`, `tpp advance` and `tpp keeper` to the typer app."""
    import typer

    def chain_and_deployments(rpc, embedded, keystore, root, read_only=False):
        from tpp.cli import UserError

        try:
            prompt = lambda text: typer.prompt(text, hide_input=True)  # noqa: E731
            chain = open_chain(rpc, embedded, keystore, root, prompt, read_only=read_only)
            return chain, load_deployments(chain_id_of(chain), root)
        except OpsError as exc:
            raise UserError(str(exc)) from exc

    rpc_opt = typer.Option(None, "--rpc", help="JSON-RPC URL (default: the local devnet).")
    embedded_opt = typer.Option(False, "--embedded", help="Use a fresh embedded chain.")
    keystore_opt = typer.Option(None, "--keystore", help="Encrypted keystore (password from TPP_KEYSTORE_PASSWORD or a prompt).")
    root_opt = typer.Option(DEFAULT_ROOT, "--root", help="Where deployments and the devnet live.")

    @app.command("status")
    def status_command(
        rpc: Optional[str] = rpc_opt,
        embedded: bool = embedded_opt,
        keystore: Optional[Path] = keystore_opt,
        root: Path = root_opt,
        as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
    ) -> None:
        """Every recorded programme: state, epoch, minted vs cap and unlock, next transition, dials."""
        from rich.table import Table

        from tpp.cli import console

        chain, deployments = chain_and_deployments(rpc, embedded, keystore, root, read_only=True)
        rows = status(chain, deployments)
        if as_json:
            print(json.dumps(rows, indent=2))
            return
        if not rows:
            console.print(f"no programmes recorded for chain {deployments.chain_id} ({deployments.path})")
            return
        table = Table(title=f"programmes on chain {deployments.chain_id}")
        for column in ("programme", "state", "epoch", "minted / unlocked / cap", "next", "window", "dials"):
            table.add_column(column)
        for r in rows:
            dials = ", ".join(f"{k}={v['value']}" for k, v in r["dials"].items())
            table.add_row(
                r["name"],
                r["state"] + (" (halted)" if r["halted"] else ""),
                f"{r['epoch']}/{r['max_epochs']}",
                f"{_amount(r['minted'])} / {_amount(r['unlocked'])} / {_amount(r['cap'])}",
                f"{r['next_state'] or '—'} {_when(r['next_at'], r['now'])}",
                _when(r["window_start"], r["now"]) + (" open" if r["in_window"] else ""),
                dials,
            )
        console.print(table)

    @app.command("advance")
    def advance_command(
        rpc: Optional[str] = rpc_opt,
        embedded: bool = embedded_opt,
        keystore: Optional[Path] = keystore_opt,
        root: Path = root_opt,
    ) -> None:
        """Advance every recorded programme whose next transition is due (once; see `tpp keeper`)."""
        from tpp.cli import console

        chain, deployments = chain_and_deployments(rpc, embedded, keystore, root)
        actions = advance_due(chain, deployments)
        for action in actions:
            console.print(action.line(), markup=False, highlight=False)
        sent = sum(a.sent for a in actions)
        console.print(f"{sent} transaction(s) sent; {len(deployments.programmes) - sent} programme(s) had nothing due")

    @app.command("keeper")
    def keeper_command(
        rpc: Optional[str] = rpc_opt,
        keystore: Optional[Path] = keystore_opt,
        root: Path = root_opt,
        interval: float = typer.Option(DEFAULT_INTERVAL, "--interval", help="Seconds between rounds."),
        rounds: Optional[int] = typer.Option(None, "--rounds", help="Stop after this many rounds."),
    ) -> None:
        """Advance due programmes every INTERVAL seconds until Ctrl-C / SIGTERM."""
        from tpp.cli import UserError, console

        chain, deployments = chain_and_deployments(rpc, False, keystore, root)
        stop = threading.Event()
        restore = install_stop_handlers(stop)
        console.print(f"keeper: {len(deployments.programmes)} programme(s) on chain {deployments.chain_id}, every {interval:g}s; Ctrl-C stops")

        def log(action: Action) -> None:
            stamp = time.strftime("%H:%M:%S")
            style = "green" if action.sent else "yellow"
            console.print(f"{stamp} {action.line()}", style=style, markup=False, highlight=False)

        try:
            summary = keeper(chain, deployments, interval, rounds, stop, on_action=log)
        except OpsError as exc:
            raise UserError(str(exc)) from exc
        finally:
            restore()
        console.print(summary.line(), soft_wrap=True)

    _register_lifecycle_commands(app, chain_and_deployments, rpc_opt, embedded_opt, keystore_opt, root_opt)


# --- reading the Budget; deploying, deciding and dialling through the local governors ---------
#
# On the devnet and the embedded chain the stack's governors are local: the delegates are
# local actors ("delegate-0" … "delegate-3", as `tpp.stack.deploy_stack` made them), so a vote
# can be run from propose to execute here (`governance.run_proposal`, time moved by
# `chain.warp`). On any other chain a vote is a vote: tpp writes the payload (`tpp propose`)
# and never pretends to deploy.
#
# The steward of the local flow is the local actor named "steward": a spec whose programmes
# `tpp dial` should move on the devnet must name that actor's address as `steward` (print it
# with `tpp steward-address`).

LOCAL_DELEGATES = tuple(f"delegate-{i}" for i in range(4))
STEWARD_ACTOR = "steward"


def _token_of_spec(path: Path) -> tuple[str, int]:
    """The token symbol and decimals a spec writes its amounts in (defaults ZK, 18)."""
    import tomllib

    from tpp import spec as spec_module

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
    from tpp.spec import GlobalParams

    _fresh(chain)
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
    from tpp.spec import AdmittedEpoch

    _fresh(chain)
    b = chain.at("Budget", str(budget_address))
    epochs = []
    for i in range(int(b.epoch_count())):
        minter = str(b.epoch_at(i))
        cap, start, end = (int(x) for x in b.schedule_of(minter))
        epochs.append(AdmittedEpoch(f"on-chain epoch minter {minter}", cap, start, end))
    return epochs, int(b.committed())


def check_onchain(path: str | Path, chain: Chain, budget_address: str, now: int | None = None):
    """`spec.check_spec` against a deployed Budget: its parameters, admitted epochs and
    committed total replace what the file says."""
    from tpp.spec import check_spec

    token, decimals = _token_of_spec(Path(path))
    params = globals_from_budget(chain, budget_address, token, decimals)
    admitted, committed = admitted_from_budget(chain, budget_address)
    return check_spec(path, globals=params, already_admitted=admitted, committed=committed, now=chain.now() if now is None else now)


def _is_local(chain: Chain) -> bool:
    return chain.backend in ("embedded", "anvil")


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
    from tpp.governance import GovernanceError, run_proposal

    if not _is_local(chain):
        raise OpsError("a vote can only be run here on the devnet or the embedded chain; put the payload to delegates with `tpp propose`")
    delegates = [chain.actor(name) for name in LOCAL_DELEGATES]
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            return run_proposal(governor, targets, values, calldatas, description, delegates, chain.warp)
    except GovernanceError as exc:
        raise OpsError(str(exc)) from exc
    except Exception as exc:  # noqa: BLE001 - a revert inside execute: name it
        if _is_rpc_failure(exc):
            raise
        raise OpsError(f"the vote's execution reverted: {_revert_reason(exc)}") from exc


def _revert_reason(exc: BaseException) -> str:
    """The revert reason in a titanoboa error ("programme: dial outside bounds"), else its
    first line."""
    import re

    text = str(exc)
    rule = r"(?:programme|budget|minter|factory|stream|staking|emission|governor|timelock)[A-Za-z]*: [^<>'\"\n]+"
    # titanoboa: the innermost frame's reason in <…> on the trace line, then alone on a line.
    found = re.findall(r"<(" + rule + r")>", text) or re.findall(r"^(" + rule + r")$", text, flags=re.MULTILINE)
    if not found:
        found = re.findall(r"(" + rule + r")", text)
    if found:
        return found[0].strip()
    return text.strip().splitlines()[0][:200] if text.strip() else type(exc).__name__


def budget_matches(params: Any, onchain: Any) -> bool:
    fields = ("inflation_threshold", "allocation", "max_share_bps", "cycle_genesis", "cycle_length", "window_length", "load_limit")
    return all(getattr(params, f) == getattr(onchain, f) for f in fields)


def set_globals_locally(chain: Chain, deployments: Deployments, params: Any, say: Callable[[str], None] = lambda text: None) -> int | None:
    """On a local chain: one GAP vote (GovOps governor, local delegates) setting the Budget's
    parameters to `params` where they differ. Returns the proposal id, None if nothing differs."""
    h = _stack_handles(chain, deployments)
    if "gap_governor" not in h:
        raise OpsError("no GovOps governor recorded: cannot set the Budget's parameters")
    budget = h["budget"]
    current = globals_from_budget(chain, str(budget.address))
    calls = []
    if params.inflation_threshold != current.inflation_threshold:
        calls.append(("set_inflation_threshold", (params.inflation_threshold,)))
    if params.allocation != current.allocation:
        calls.append(("set_allocation", (params.allocation,)))
    if params.max_share_bps != current.max_share_bps:
        calls.append(("set_max_share", (params.max_share_bps,)))
    if (params.cycle_genesis, params.cycle_length, params.window_length) != (current.cycle_genesis, current.cycle_length, current.window_length):
        calls.append(("set_decision_cycle", (params.cycle_genesis, params.cycle_length, params.window_length)))
    if params.load_limit != current.load_limit:
        calls.append(("set_load_limit", (params.load_limit,)))
    if not calls:
        return None
    say(f"GAP vote: setting the Budget's {', '.join(fn for fn, _ in calls)} to the spec's globals")
    calldatas = [getattr(budget, fn).prepare_calldata(*args) for fn, args in calls]
    return _local_vote(chain, h["gap_governor"], [str(budget.address)] * len(calls), [0] * len(calls), calldatas, "GAP: global parameters from the spec")


@dataclass
class DeployResult:
    proposal_id: int
    programmes: dict[str, str]  # name -> programme address
    setup: bool  # whether the vote carried the two setup grants


def factory_authorised(chain: Chain, deployments: Deployments) -> bool:
    """Whether the token lets the Budget mint and the Budget lets the factory admit."""
    from tpp.programmes import ADMITTER_ADMIN_ROLE
    from tpp.stack import TOKEN_MINTER_ROLE

    h = _stack_handles(chain, deployments)
    return bool(h["token"].hasRole(TOKEN_MINTER_ROLE, h["budget"].address)) and bool(
        h["budget"].hasRole(ADMITTER_ADMIN_ROLE, h["factory"].address)
    )


def deploy_spec(chain: Chain, spec: Any, deployments: Deployments, say: Callable[[str], None] = lambda text: None) -> DeployResult:
    """Put a spec's portfolio through the local Token governor (propose, vote, queue, execute
    with the local delegates) and record every created programme by the spec's name."""
    from tpp.proposals import ProposalError, portfolio_payload

    if not _is_local(chain):
        raise OpsError(
            "this chain has a real governor: tpp does not deploy here; put the portfolio to a vote with "
            "`tpp propose FILE --factory … [--setup]` (or `tpp propose --submit`)"
        )
    _fresh(chain)
    h = _stack_handles(chain, deployments)
    clash = [p.name for p in spec.programmes if p.name in deployments.programmes]
    if clash:
        raise OpsError(f"programme(s) {', '.join(clash)} already recorded on chain {deployments.chain_id}; rename them in the spec")
    setup = not factory_authorised(chain, deployments)
    try:
        payload = portfolio_payload(spec, h["factory"].address, h["budget"].address, h["token"].address, include_setup=setup)
    except ProposalError as exc:
        raise OpsError(str(exc)) from exc
    factory = h["factory"]
    first = int(factory.programme_count())
    say(f"TPP vote: {payload.title} ({len(payload.calls)} call(s){', with the setup grants' if setup else ''})")
    pid = _local_vote(chain, h["tpp_governor"], payload.targets, payload.values, payload.calldatas, payload.description)
    _fresh(chain)
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


def _simulate(name: str, what: str, fn: Callable[[], Any]) -> None:
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            fn()
    except Exception as exc:  # noqa: BLE001 - any revert: say why
        if _is_rpc_failure(exc):
            raise
        raise OpsError(f"programme {name}: {what} would revert: {_revert_reason(exc)}") from exc


def decide_locally(chain: Chain, deployments: Deployments, name: str, outcome: str, new_cap: int = 0, *, token: str = "ZK", decimals: int = 18) -> int:
    """A one-decision slate for `name` through the local Token governor. The programme is
    advanced first if a transition is due; the decision is simulated from the TPP executor
    now, and the vote must be able to execute before the evaluation window closes."""
    from tpp.proposals import OUTCOME as OUTCOME_CODES
    from tpp.proposals import Decision, ProposalError, slate_payload

    if not _is_local(chain):
        raise OpsError("a decision is a vote: on this chain write the slate with `tpp propose --slate` and put it to delegates")
    _fresh(chain)
    h = _stack_handles(chain, deployments)
    p = _programme(chain, deployments, name)
    address = deployments.programmes[name].address
    try:
        payload = slate_payload([Decision(name, outcome, new_cap)], {name: address}, token=token, decimals=decimals)
    except ProposalError as exc:
        raise OpsError(str(exc)) from exc
    if _is_due(p, chain.now()):
        advance_due(chain, {name: address})
        _fresh(chain)
    code = OUTCOME_CODES[outcome.strip().upper()]
    executor = h["tpp_timelock"]
    _simulate(name, f"decide({outcome.upper()})", lambda: p.decide(code, new_cap, sender=executor, simulate=True))
    governor = h["tpp_governor"]
    needed = int(governor.votingDelay()) + int(governor.votingPeriod()) + 1
    needed += int(chain.artifact_at("TimelockController", executor).getMinDelay())
    window_end = int(p.epoch_end())
    if code != OUTCOME_CODES["KILL"] and chain.now() + needed >= window_end:
        raise OpsError(
            f"programme {name}: a vote started now executes after the evaluation window closes at {window_end} "
            f"(needs {needed}s; programme: not in evaluation window)"
        )
    return _local_vote(chain, governor, payload.targets, payload.values, payload.calldatas, payload.description)


def move_dial(chain: Chain, deployments: Deployments, name: str, dial: str, value: int, reason: str, sender: str | None = None) -> int:
    """The steward moves `dial` of programme `name` to `value`; simulated first, so a move the
    programme would refuse (bounds, step, cooldown, not the steward) raises OpsError with the
    rule. Returns the dial's new value."""
    _fresh(chain)
    p = _programme(chain, deployments, name)
    if sender is None:
        sender = chain.actor(STEWARD_ACTOR) if _is_local(chain) else str(chain.env.eoa)
    steward = str(p.steward())
    if steward.lower() != str(sender).lower():
        raise OpsError(f"programme {name}: {sender} is not its steward ({steward}) (programme: caller is not the steward)")
    if len(reason.encode()) > 128:
        raise OpsError(f"programme {name}: the reason is longer than 128 bytes")
    key = dial_id(dial)
    _simulate(name, f"move_dial({dial}, {value})", lambda: p.move_dial(key, value, reason, sender=sender, simulate=True))
    with contextlib.redirect_stdout(io.StringIO()):
        p.move_dial(key, value, reason, sender=sender)
    return int(p.dial(key)[0])


def _parse_cap(text: str) -> tuple[int, str]:
    """ "16m ZK" -> (wei, "ZK"); the token is the amount's last word (ZK when it has none)."""
    from tpp import units

    words = text.strip().split()
    token = words[-1] if len(words) > 1 and words[-1].isalpha() else "ZK"
    try:
        return units.parse_amount(text if len(words) > 1 else f"{text} {token}", token, 18), token
    except units.UnitError as exc:
        raise OpsError(f'--cap "{text}": {exc}') from exc


def _parse_dial_value(text: str) -> int:
    from tpp import units

    text = text.strip()
    if text.isdigit():
        return int(text)
    try:
        return units.parse_bps(text)
    except units.UnitError as exc:
        raise OpsError(f'dial value "{text}": {exc} (or a plain integer)') from exc


def _register_lifecycle_commands(app: Any, chain_and_deployments, rpc_opt, embedded_opt, keystore_opt, root_opt) -> None:
    """`tpp check-onchain`, `tpp deploy`, `tpp decide`, `tpp dial`."""
    import typer

    def user_error(exc: Exception):
        from tpp.cli import UserError

        return UserError(str(exc))

    def say(text: str) -> None:
        from tpp.cli import _say

        _say(text)

    @app.command("check-onchain")
    def check_onchain_command(
        file: Path = typer.Argument(..., help="The programme spec (TOML) to check."),
        budget: Optional[str] = typer.Option(None, "--budget", help="Budget address (default: the one recorded for the chain)."),
        rpc: Optional[str] = rpc_opt,
        root: Path = root_opt,
    ) -> None:
        """`tpp check` against a deployed Budget: its parameters, admitted epochs and committed total."""
        from tpp.spec import summarize

        chain, deployments = chain_and_deployments(rpc, False, None, root, read_only=True)
        address = budget or deployments.stack.get("budget")
        if not address:
            raise user_error(OpsError(f"no Budget recorded for chain {deployments.chain_id}: pass --budget ADDRESS"))
        try:
            result = check_onchain(file, chain, address)
        except OpsError as exc:
            raise user_error(exc) from exc
        for problem in result.errors:
            say(str(problem))
        for problem in result.warnings:
            say(f"warning: {problem}")
        if result.errors or result.spec is None:
            raise user_error(OpsError(f"{file}: {len(result.errors)} problem(s) against the Budget at {address}; the spec would not be admitted"))
        say(f"{file}: valid against the Budget at {address} on chain {deployments.chain_id}")
        for line in summarize(result.spec):
            say(line)

    @app.command("deploy")
    def deploy_command(
        file: Path = typer.Argument(..., help="The programme spec (TOML) whose programmes one vote creates."),
        rpc: Optional[str] = rpc_opt,
        embedded: bool = embedded_opt,
        keystore: Optional[Path] = keystore_opt,
        root: Path = root_opt,
        set_globals: bool = typer.Option(True, "--set-globals/--keep-globals", help="Local chains: first a GAP vote setting the Budget to the spec's globals."),
    ) -> None:
        """Devnet / embedded: create a spec's programmes through the local Token governor and record them."""
        from tpp.spec import SpecError, check_spec

        if rpc:
            raise user_error(
                OpsError(f"{rpc}: a real governor decides here; write the payload with `tpp propose {file} --factory …` and put it to a vote (nothing was sent)")
            )
        chain, deployments = chain_and_deployments(None, embedded, keystore, root)
        if embedded:
            from tpp.stack import deploy_stack

            with contextlib.redirect_stdout(io.StringIO()):
                record_stack(deployments, deploy_stack(chain))
            say("embedded chain: a fresh local stack deployed (nothing is recorded: the chain ends with this command)")
        result = check_spec(file, now=chain.now())
        if result.errors or result.spec is None:
            raise user_error(OpsError(f"{file}: the spec is not valid (run `tpp check {file}`):\n{SpecError(result.errors)}"))
        try:
            if set_globals:
                set_globals_locally(chain, deployments, result.spec.globals, say)
            done = deploy_spec(chain, result.spec, deployments, say)
        except OpsError as exc:
            raise user_error(exc) from exc
        say(f"proposal {done.proposal_id} executed: {len(done.programmes)} programme(s) created")
        for name, address in done.programmes.items():
            say(f"  {name}: {address}")
        if not embedded:
            say(f"recorded in {deployments.save()}")

    @app.command("decide")
    def decide_command(
        name: str = typer.Argument(..., help="A recorded programme."),
        outcome: str = typer.Argument(..., help="STOP, CONTINUE, ITERATE, PAUSE or KILL."),
        cap: Optional[str] = typer.Option(None, "--cap", help='The next epoch\'s cap with ITERATE, e.g. "16m ZK".'),
        rpc: Optional[str] = rpc_opt,
        root: Path = root_opt,
    ) -> None:
        """Devnet: one decision through a local Token-governor vote (a slate of one)."""
        if rpc:
            raise user_error(OpsError(f"{rpc}: a decision is a vote; write it with `tpp propose --slate WINDOW.toml` (nothing was sent)"))
        chain, deployments = chain_and_deployments(None, False, None, root)
        try:
            new_cap, token = _parse_cap(cap) if cap else (0, "ZK")
            pid = decide_locally(chain, deployments, name, outcome, new_cap, token=token)
        except OpsError as exc:
            raise user_error(exc) from exc
        p = chain.at("Programme", deployments.programmes[name].address)
        say(f"proposal {pid} executed: {name} pending outcome {outcome.upper()}" + (f", next cap {cap}" if cap else "") + f" (state {STATES.get(int(p.state()))})")

    @app.command("dial")
    def dial_command(
        name: str = typer.Argument(..., help="A recorded programme."),
        dial: str = typer.Argument(..., help="The dial, e.g. throttle_bps."),
        value: str = typer.Argument(..., help='New value: "90%", "9000 bps" or an integer.'),
        reason: str = typer.Option(..., "--reason", help="Why (logged on chain, at most 128 bytes)."),
        rpc: Optional[str] = rpc_opt,
        keystore: Optional[Path] = keystore_opt,
        root: Path = root_opt,
    ) -> None:
        """The steward moves a dial (devnet: the local actor "steward", whose address the spec must name)."""
        chain, deployments = chain_and_deployments(rpc, False, keystore, root)
        try:
            new = move_dial(chain, deployments, name, dial, _parse_dial_value(value), reason)
        except OpsError as exc:
            raise user_error(exc) from exc
        say(f"{name}: {dial} is now {new}")
