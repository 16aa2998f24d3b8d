"""Start and stop a real anvil node (from node_modules) on a free loopback port.

Used by the integration tests (each starts its own node and stops it) and by the persistent
local devnet. Only loopback addresses are ever bound.
"""

from __future__ import annotations

import contextlib
import json
import socket
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from tpp.base.errors import TppError
from tpp.chain.artifacts import anvil_executable

LOOPBACK = "127.0.0.1"


class AnvilError(TppError, RuntimeError):
    """anvil could not be started or did not answer."""


def free_port() -> int:
    """A TCP port on the loopback interface that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        return sock.getsockname()[1]


def rpc_call(url: str, method: str, params: list | None = None, timeout: float = 10.0):
    """One JSON-RPC call; raises AnvilError with the node's message on an error reply."""
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params or []}).encode()
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        reply = json.loads(response.read())
    if "error" in reply:
        raise AnvilError(f"{method}: {reply['error'].get('message', reply['error'])}")
    return reply["result"]


@dataclass
class AnvilNode:
    """A running anvil process. Use as a context manager, or call `start()` / `stop()`."""

    port: int | None = None
    state_file: Path | None = None
    chain_id: int = 31337
    block_time: int | None = None
    extra_args: list[str] = field(default_factory=list)
    process: subprocess.Popen | None = None
    log_path: Path | None = None

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    def start(self, timeout: float = 30.0) -> AnvilNode:
        binary = anvil_executable()
        last_error = "no attempt"
        for _attempt in range(3):
            port = self.port or free_port()
            args = [
                str(binary),
                "--host",
                LOOPBACK,
                "--port",
                str(port),
                "--chain-id",
                str(self.chain_id),
                "--accounts",
                "0",
                "--gas-limit",
                "60000000",
                "--code-size-limit",
                "49152",
                *self.extra_args,
            ]
            if self.block_time:
                args += ["--block-time", str(self.block_time)]
            if self.state_file is not None:
                self.state_file.parent.mkdir(parents=True, exist_ok=True)
                args += ["--state", str(self.state_file)]
            # The child keeps its own copy of the log's descriptor; ours closes at once.
            with open(self.log_path, "ab") if self.log_path else contextlib.nullcontext(subprocess.DEVNULL) as log:
                process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
            self.port = port
            self.process = process
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                if process.poll() is not None:
                    last_error = f"anvil exited with code {process.returncode}"
                    break
                try:
                    rpc_call(self.url, "eth_chainId", timeout=1.0)
                    return self
                except (urllib.error.URLError, ConnectionError, OSError, AnvilError) as exc:
                    last_error = str(exc)
                    time.sleep(0.05)
            self.stop()
            if self.port is not None and _attempt < 2 and self.state_file is None:
                self.port = None  # the port was taken in between: pick another
        raise AnvilError(f"anvil did not start on {LOOPBACK}: {last_error}")

    def stop(self, timeout: float = 10.0) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        # SIGTERM lets anvil write its --state file before it exits.
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=timeout)

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def __enter__(self) -> AnvilNode:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
