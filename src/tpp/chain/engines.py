"""Two in-process EVM engines behind one small interface, for the simulator's backends.

- `RevmEngine`: revm (Rust) through the `pyrevm` package, the simulator's default;
- `PyEvmEngine`: py-evm through a fresh titanoboa environment, executing raw calldata.

Both run the same bytecode (from `tpp.chain.artifacts`) and raise `Reverted` with the
contract's reason. Determinism: contract addresses derive from the deployer's nonce
(deployments bump it, calls do not, on both engines), the gas price is zero, and block time and
number are set explicitly, so one scenario gives the same logs on both engines.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import rlp
from eth_utils import keccak, to_checksum_address

from tpp.chain.errors import Reverted, reverted_with

ENGINES = ("revm", "pyevm")
# Gas every call and deployment may use, the same on both engines (a block's worth).
GAS_LIMIT = 30_000_000


@dataclass(frozen=True)
class RawLog:
    address: str  # checksummed
    topics: tuple[bytes, ...]
    data: bytes


def actor_address(name: str) -> str:
    """The address of a role-named actor: the same on every engine, derived from the name."""
    return to_checksum_address(keccak(b"tpp actor: " + name.encode())[12:])


def create_address(sender: str, nonce: int) -> str:
    """The address a CREATE from `sender` at `nonce` gets."""
    return to_checksum_address(keccak(rlp.encode([bytes.fromhex(sender[2:]), nonce]))[12:])


# --- engines ------------------------------------------------------------------------------


class RevmEngine:
    """revm through pyrevm. Calls from an externally owned account do not bump its nonce;
    deployments do, as on py-evm."""

    name = "revm"

    def __init__(self, timestamp: int, chain_id: int = 1):
        import pyrevm

        self._pyrevm = pyrevm
        self.evm = pyrevm.EVM(env=pyrevm.Env(cfg=pyrevm.CfgEnv(chain_id=chain_id)))
        self._number = 1
        self._timestamp = timestamp
        self._sync_block()

    def _sync_block(self) -> None:
        self.evm.set_block_env(self._pyrevm.BlockEnv(number=self._number, timestamp=self._timestamp))

    @property
    def timestamp(self) -> int:
        return self._timestamp

    @property
    def block_number(self) -> int:
        return self._number

    def set_block(self, timestamp: int, number: int) -> None:
        self._timestamp, self._number = timestamp, number
        self._sync_block()

    def set_balance(self, address: str, wei: int) -> None:
        self.evm.set_balance(address, wei)

    def balance(self, address: str) -> int:
        return self.evm.get_balance(address)

    def nonce(self, address: str) -> int:
        return self.evm.basic(address).nonce

    def deploy(self, sender: str, initcode: bytes) -> str:
        try:
            address = self.evm.deploy(sender, initcode, gas=GAS_LIMIT)
        except RuntimeError as exc:
            raise _revm_failure(exc) from None
        return to_checksum_address(address)

    def transact(self, sender: str, to: str, data: bytes, value: int = 0) -> tuple[bytes, list]:
        evm = self.evm
        try:
            out = evm.message_call(sender, to, data, value=value or None, gas=GAS_LIMIT)
        except RuntimeError as exc:
            raise _revm_failure(exc) from None
        result = evm.result
        assert result is not None, "pyrevm keeps the result of the call it just made"
        return out, result.logs

    def call(self, sender: str, to: str, data: bytes) -> bytes:
        try:
            return self.evm.message_call(sender, to, data, gas=GAS_LIMIT, is_static=True)
        except RuntimeError as exc:
            raise _revm_failure(exc) from None

    @staticmethod
    def raw_logs(logs: list) -> list[RawLog]:
        return [
            RawLog(to_checksum_address(log.address), tuple(bytes.fromhex(t[2:]) for t in log.topics), log.data[1]) for log in logs
        ]

    @contextlib.contextmanager
    def anchor(self) -> Iterator[None]:
        checkpoint = self.evm.snapshot()
        timestamp, number = self._timestamp, self._number
        try:
            yield
        finally:
            self.evm.revert(checkpoint)
            self.set_block(timestamp, number)


def _revm_failure(exc: RuntimeError) -> Reverted:
    text = str(exc)
    marker = "output: 0x"
    if text.startswith("Revert") and marker in text:
        hex_data = text.split(marker, 1)[1].split()[0].rstrip("},")
        data = bytes.fromhex(hex_data)
        return reverted_with(data)
    return Reverted(f"halted: {text}")


class PyEvmEngine:
    """py-evm through a fresh titanoboa environment, fed raw calldata (no titanoboa handles)."""

    name = "pyevm"

    def __init__(self, timestamp: int):
        import boa

        self.env = boa.Env()
        self.env.evm.patch.timestamp = timestamp
        self.env.evm.patch.block_number = 1

    @property
    def timestamp(self) -> int:
        return int(self.env.evm.patch.timestamp)

    @property
    def block_number(self) -> int:
        return int(self.env.evm.patch.block_number)

    def set_block(self, timestamp: int, number: int) -> None:
        self.env.evm.patch.timestamp = timestamp
        self.env.evm.patch.block_number = number

    def set_balance(self, address: str, wei: int) -> None:
        self.env.set_balance(address, wei)

    def balance(self, address: str) -> int:
        return self.env.get_balance(address)

    def nonce(self, address: str) -> int:
        return self.env.evm.vm.state.get_nonce(bytes.fromhex(address[2:]))

    def deploy(self, sender: str, initcode: bytes) -> str:
        from boa.vm.py_evm import titanoboa_computation  # noqa: F401 - boa's computation hooks

        try:
            address, _ = self.env.deploy_code(sender=sender, bytecode=initcode, gas=GAS_LIMIT)
        except Exception as exc:  # noqa: BLE001 - titanoboa raises its own error types
            # titanoboa puts the revert data itself (or an object carrying it) first.
            first = exc.args[0] if exc.args else b""
            data = first if isinstance(first, (bytes, bytearray)) else getattr(first, "output", b"") or b""
            raise (reverted_with(bytes(data)) if data else Reverted(f"deployment failed: {exc}")) from None
        return to_checksum_address(str(address))

    def _execute(self, sender: str, to: str, data: bytes, modifying: bool, value: int = 0):
        computation = self.env.execute_code(
            to_address=to, sender=sender, data=data, gas=GAS_LIMIT, value=value, is_modifying=modifying
        )
        if computation.is_error:
            output = bytes(computation.output or b"")
            raise reverted_with(output) if output or _is_revert(computation) else Reverted(f"halted: {computation.error}", output)
        return computation

    def transact(self, sender: str, to: str, data: bytes, value: int = 0) -> tuple[bytes, list]:
        computation = self._execute(sender, to, data, True, value)
        return computation.output, computation.get_log_entries()

    def call(self, sender: str, to: str, data: bytes) -> bytes:
        return self._execute(sender, to, data, False).output

    @staticmethod
    def raw_logs(entries: Sequence) -> list[RawLog]:
        return [
            RawLog(to_checksum_address(address), tuple(t.to_bytes(32, "big") for t in topics), data)
            for address, topics, data in entries
        ]

    @contextlib.contextmanager
    def anchor(self) -> Iterator[None]:
        with self.env.anchor():
            yield


def _is_revert(computation) -> bool:
    return type(computation.error).__name__ == "Revert"


def make_engine(name: str, timestamp: int):
    if name == "revm":
        return RevmEngine(timestamp)
    if name == "pyevm":
        return PyEvmEngine(timestamp)
    raise ValueError(f"evm: unknown engine {name!r} (choose {' or '.join(ENGINES)})")
