"""A persistent local chain: `tpp devnet up | down | status`.

anvil runs in the background on a loopback port (8545 unless told otherwise) with
`--state .tpp/devnet/state.json`, so whatever was deployed survives `down` / `up`: anvil
writes its state when it gets SIGTERM and loads it when it starts. The process id and port are
kept in `.tpp/devnet/node.json`. On the first `up` the local stack (governance stand-in, Safes,
Budget, programme factory) is deployed once and recorded in `.tpp/deployments/31337.json`.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import signal
import subprocess
import time
import urllib.error
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tpp.base import units
from tpp.chain import Chain
from tpp.chain.anvil import LOOPBACK, AnvilError, rpc_call
from tpp.chain.artifacts import anvil_executable
from tpp.system.stack import deploy_stack
from tpp.workflow.deployments import DEFAULT_ROOT, OpsError, load_deployments, record_stack

DEFAULT_PORT = 8545
DEVNET_CHAIN_ID = 31337
# Seconds anvil gets to write its state file after SIGTERM before it is killed.
STOP_TIMEOUT = 30.0
START_TIMEOUT = 30.0

# anvil processes started by this Python process (waited on, so none is left a zombie).
_children: dict[int, subprocess.Popen] = {}


@dataclass(frozen=True)
class DevnetPaths:
    root: Path

    @property
    def dir(self) -> Path:
        return Path(self.root) / "devnet"

    @property
    def state(self) -> Path:
        return self.dir / "state.json"

    @property
    def node(self) -> Path:
        return self.dir / "node.json"

    @property
    def log(self) -> Path:
        return self.dir / "anvil.log"

    @property
    def clock(self) -> Path:
        """The chain time at the last `down`, so the next `up` never goes back in time."""
        return self.dir / "clock.json"


def _alive(pid: int) -> bool:
    child = _children.get(pid)
    if child is not None:
        return child.poll() is None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie is not running
        return " Z " not in Path(f"/proc/{pid}/stat").read_text().split(")", 1)[1][:4]
    except OSError:
        return True


def _read_node(paths: DevnetPaths) -> dict[str, Any] | None:
    try:
        return json.loads(paths.node.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _answers(url: str) -> bool:
    try:
        rpc_call(url, "eth_chainId", timeout=1.0)
        return True
    except (urllib.error.URLError, OSError, AnvilError, ValueError):
        return False


def running_node(root: Path = DEFAULT_ROOT) -> dict[str, Any] | None:
    """node.json's content ({pid, port, url}) if the devnet runs and answers, else None."""
    node = _read_node(DevnetPaths(root))
    if node and _alive(int(node["pid"])) and _answers(node["url"]):
        return node
    return None


def start_node(root: Path = DEFAULT_ROOT, port: int = DEFAULT_PORT) -> dict[str, Any]:
    """Start anvil in the background (its own session: a Ctrl-C in this terminal leaves it)."""
    paths = DevnetPaths(root)
    paths.dir.mkdir(parents=True, exist_ok=True)
    url = f"http://{LOOPBACK}:{port}"
    if _answers(url):
        raise OpsError(f"{url}: something already listens there; pick another port with --port")
    args = [
        str(anvil_executable()),
        "--host",
        LOOPBACK,
        "--port",
        str(port),
        "--chain-id",
        str(DEVNET_CHAIN_ID),
        "--accounts",
        "0",
        "--gas-limit",
        "60000000",
        "--code-size-limit",
        "49152",
        "--state",
        str(paths.state),
    ]
    with open(paths.log, "ab") as log:
        process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
    _children[process.pid] = process
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise OpsError(f"anvil exited with code {process.returncode}; see {paths.log}")
        if _answers(url):
            node = {"pid": process.pid, "port": port, "url": url, "state": str(paths.state)}
            paths.node.write_text(json.dumps(node, indent=2) + "\n", encoding="utf-8")
            _keep_time_moving_forward(url, paths)
            return node
        time.sleep(0.05)
    _terminate(process.pid)
    raise OpsError(f"anvil did not answer on {url} within {START_TIMEOUT:g}s; see {paths.log}")


def _latest_time(url: str) -> int:
    return int(rpc_call(url, "eth_getBlockByNumber", ["latest", False])["timestamp"], 16)


def _keep_time_moving_forward(url: str, paths: DevnetPaths) -> None:
    """anvil restarts its clock from the wall clock, although the state it loaded may hold
    blocks from later (time moved by `tpp devnet warp` or votes). Chain time must never go
    backwards: set the node's clock to the latest time it has seen, from the loaded blocks or
    the time recorded at the last `down`."""
    recorded = 0
    with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
        recorded = int(json.loads(paths.clock.read_text(encoding="utf-8"))["time"])
    latest = max(_latest_time(url), recorded)
    if latest >= int(time.time()):
        rpc_call(url, "evm_setTime", [latest + 1])
        rpc_call(url, "evm_mine", [])


def _terminate(pid: int, timeout: float = STOP_TIMEOUT) -> None:
    try:
        os.kill(pid, signal.SIGTERM)  # anvil writes its --state file, then exits
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and _alive(pid):
        time.sleep(0.05)
    if _alive(pid):
        os.kill(pid, signal.SIGKILL)
    child = _children.pop(pid, None)
    if child is not None:
        child.wait(timeout=timeout)


def devnet_chain(root: Path = DEFAULT_ROOT) -> Chain:
    """A Chain on the running devnet (local actors are funded with anvil_setBalance)."""
    node = running_node(root)
    if node is None:
        raise OpsError("the devnet is not running; start it with `tpp devnet up`")
    chain = Chain.anvil(url=node["url"])
    chain.set_sender(chain.actor("keeper"))
    return chain


def _stack_deployed(chain: Chain, deployments) -> bool:
    token = deployments.stack.get("token")
    return bool(token) and rpc_call(str(chain.url), "eth_getCode", [token, "latest"]) not in ("0x", "0x0")


def devnet_up(root: Path = DEFAULT_ROOT, port: int = DEFAULT_PORT, deploy: bool = True, say=lambda text: None) -> dict[str, Any]:
    """Start the devnet if it is not running; deploy and record the stack if it is not there.
    Returns node.json's content plus `deployed` (whether the stack was deployed now)."""
    node = running_node(root)
    if node is None:
        node = start_node(root, port)
        say(f"anvil started on {node['url']} (pid {node['pid']}), state in {node['state']}")
    else:
        say(f"the devnet already runs on {node['url']} (pid {node['pid']})")
    node = dict(node, deployed=False)
    if deploy:
        chain = Chain.anvil(url=node["url"])
        deployments = load_deployments(DEVNET_CHAIN_ID, root)
        if not _stack_deployed(chain, deployments):
            say("deploying the local stack (token, governors, timelocks, Safes, Budget, factory)…")
            # titanoboa prints every deployment and broadcast; the summary line says what matters.
            with contextlib.redirect_stdout(io.StringIO()):
                stack = deploy_stack(chain)
            record_stack(deployments, stack)
            path = deployments.save()
            node["deployed"] = True
            for role, safe in stack.safes.items():
                seat = stack.seats[role]
                say(f"{role} Safe {safe.address} ({seat.threshold} of {len(seat.owners)}: {', '.join(seat.owners)})")
            say(f"stack recorded in {path}")
    return node


def devnet_down(root: Path = DEFAULT_ROOT) -> bool:
    """SIGTERM the devnet and wait until it wrote its state and exited; False if not running."""
    paths = DevnetPaths(root)
    node = _read_node(paths)
    if node is None or not _alive(int(node["pid"])):
        paths.node.unlink(missing_ok=True)
        return False
    with contextlib.suppress(OSError, ValueError, KeyError, AnvilError, urllib.error.URLError):
        paths.clock.write_text(json.dumps({"time": _latest_time(node["url"])}) + "\n", encoding="utf-8")
    _terminate(int(node["pid"]))
    paths.node.unlink(missing_ok=True)
    return True


def devnet_warp(root: Path = DEFAULT_ROOT, seconds: int | None = None, to: int | None = None) -> tuple[int, int]:
    """Move the devnet's chain time forward by `seconds`, or to the timestamp `to`, and mine a
    block; returns (time before, time after). Time never moves back: a `to` in the past is
    refused."""
    chain = devnet_chain(root)
    before = chain.now()
    if (seconds is None) == (to is None):
        raise OpsError("warp needs either a duration or --to DATE")
    if to is not None:
        if to <= before:
            raise OpsError(
                f"chain time is already {units.format_date(before)}; time only moves forward (asked for {units.format_date(to)})"
            )
        seconds = to - before
    assert seconds is not None
    if seconds <= 0:
        raise OpsError("warp needs a positive duration (e.g. 30d)")
    return before, chain.warp(seconds)


def devnet_status(root: Path = DEFAULT_ROOT) -> dict[str, Any]:
    paths = DevnetPaths(root)
    node = running_node(root)
    if node is None:
        return {"running": False, "state": str(paths.state), "state_saved": paths.state.exists()}
    block = rpc_call(node["url"], "eth_getBlockByNumber", ["latest", False])
    return {
        "running": True,
        "url": node["url"],
        "pid": node["pid"],
        "block": int(block["number"], 16),
        "time": int(block["timestamp"], 16),
        "state": str(paths.state),
    }
