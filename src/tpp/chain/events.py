"""Record and decode every event the embedded chain emits.

The recorder hooks the embedded titanoboa environment: after every successful transaction it
takes the raw logs (including those of contracts created inside the call, such as epoch
minter clones) and decodes them with the ABIs of every tpp and OpenZeppelin contract, so a
run can be written out as JSON lines an indexer or a reader can use without further calls.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from eth_utils import to_checksum_address

from tpp.chain.abi import EventDecoder
from tpp.chain.artifacts import all_abis


def _plain(value: Any) -> Any:
    if isinstance(value, bytes):
        return "0x" + value.hex()
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, int) and abs(value) >= 2**53:
        return str(value)  # JSON readers lose precision above 2**53
    return value


class EventRecorder:
    """Hooks an embedded titanoboa env and keeps every decoded event with its chain time."""

    def __init__(self, env, decoder: EventDecoder | None = None):
        self.env = env
        self.decoder = decoder or EventDecoder.from_abis(all_abis())
        self.records: list[dict[str, Any]] = []
        self.labels: dict[str, str] = {}
        self._original: tuple[Any, Any] | None = None  # the env's execute_code and deploy while attached

    def label(self, address: Any, name: str) -> None:
        """Name an address (a programme, a mechanism) so records say whose event it is."""
        self.labels[to_checksum_address(str(address))] = name

    def attach(self) -> EventRecorder:
        original_call, original_deploy = self.env.execute_code, self.env.deploy
        self._original = (original_call, original_deploy)

        def execute_code(*args, **kwargs):
            computation = original_call(*args, **kwargs)
            if kwargs.get("is_modifying", True) and not kwargs.get("simulate", False) and not computation.is_error:
                self._take(computation)
            return computation

        def deploy(*args, **kwargs):
            # Constructors log too (roles granted at deployment, initial parameters).
            address, computation = original_deploy(*args, **kwargs)
            if not computation.is_error:
                self._take(computation)
            return address, computation

        self.env.execute_code = execute_code
        self.env.deploy = deploy
        return self

    def detach(self) -> None:
        if self._original is not None:
            self.env.execute_code, self.env.deploy = self._original
            self._original = None

    def _take(self, computation) -> None:
        time = int(self.env.evm.patch.timestamp)
        for _log_id, address, topics, data in sorted(computation.get_raw_log_entries()):
            decoded = self.decoder.decode(address, list(topics), bytes(data))
            if decoded is None:
                decoded = {
                    "event": "unknown",
                    "address": to_checksum_address(address),
                    "args": {"topics": [hex(t) for t in topics], "data": "0x" + bytes(data).hex()},
                }
            decoded["time"] = time
            decoded["source"] = self.labels.get(decoded["address"], "")
            self.records.append(decoded)

    def write_jsonl(self, path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w") as fh:
            for record in self.records:
                row = {**record, "args": {k: _plain(v) for k, v in record["args"].items()}}
                fh.write(json.dumps(row) + "\n")
        return path
