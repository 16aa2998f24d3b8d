"""Lean contract handles over one in-process engine (`tpp.chain.engines`).

The simulator sends hundreds of thousands of transactions, so the per-call cost outside the
EVM matters as much as the EVM itself. A `Contract` handle keeps each function's `FunctionAbi`
(selector and encoders precomputed by `tpp.chain.abi`) and accepts the same calling convention
as titanoboa's handles (`handle.fn(*args, sender=...)`, `handle.fn.prepare_calldata(*args)`), so
the deploy and governance code of tpp runs unchanged on every backend.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import eth_abi
from eth_utils import to_checksum_address

from tpp.chain.abi import EventDecoder, FunctionAbi, abi_type, functions_of, plain
from tpp.chain.engines import RawLog, actor_address, create_address
from tpp.chain.errors import Reverted

__all__ = ["Contract", "EngineEnv", "Function"]


class Function:
    """One function of a contract (all its overloads, told apart by argument count)."""

    def __init__(self, contract: Contract, overloads: list[FunctionAbi]):
        self.contract = contract
        self.name = overloads[0].name
        self._by_arity = {len(fn.types): fn for fn in overloads}
        # The hot path reads these once per call: (abi, is_view, returns, decode), per arity.
        self._calls = {n: (fn, fn.is_view, fn.returns, fn.decode_result) for n, fn in self._by_arity.items()}

    def _arity_error(self, args: tuple) -> TypeError:
        counts = " or ".join(str(n) for n in sorted(self._by_arity))
        return TypeError(f"{self.contract._contract_name}.{self.name} takes {counts} arguments, got {len(args)}")

    def _resolve(self, args: tuple) -> FunctionAbi:
        fn = self._by_arity.get(len(args))
        if fn is None:
            raise self._arity_error(args)
        return fn

    def prepare_calldata(self, *args: Any) -> bytes:
        return self._resolve(args).encode(*args)

    def __call__(self, *args: Any, sender: Any = None, value: int = 0) -> Any:
        call = self._calls.get(len(args))
        if call is None:
            raise self._arity_error(args)
        fn, is_view, returns, decode = call
        data = fn.encode(*args)
        contract = self.contract
        env = contract._env
        who = env.sender if sender is None else (sender if isinstance(sender, str) else str(plain(sender)))
        try:
            if is_view:
                out = env.engine.call(who, contract.address, data)
            else:
                out = env.transact(who, contract.address, data, value)
        except Reverted as exc:
            raise Reverted(exc.reason, exc.data, f"{contract._contract_name}.{self.name}") from None
        if returns and len(out) < 32:
            where = f"{contract._contract_name}.{self.name}"
            raise Reverted(f"no result (is there a {contract._contract_name} at {contract.address}?)", out, where)
        return decode(out)


class Contract:
    """A handle on a deployed contract, bound to an `EngineEnv`."""

    def __init__(self, env: EngineEnv, name: str, abi: Sequence[Mapping[str, Any]], address: str):
        # Underscored: a contract's own functions (`name()` of an ERC-20) become attributes.
        self._env = env
        self._contract_name = name
        self._abi = abi
        self.address = to_checksum_address(address)
        for fn_name, overloads in functions_of(name, abi).items():
            if fn_name in ("address", "decode_log"):
                raise ValueError(f"chain: {name} has a function {fn_name!r}, which the handle needs for itself")
            setattr(self, fn_name, Function(self, overloads))
        self._events = EventDecoder.from_abis({name: abi})

    def __repr__(self) -> str:
        return f"<{self._contract_name} at {self.address}>"

    def decode_log(self, log: RawLog) -> tuple[str, dict[str, Any]] | None:
        """(event name, arguments) of one of this contract's logs, or None if not its event."""
        decoded = self._events.decode(log.address, log.topics, log.data)
        if decoded is None:
            return None
        return decoded["event"], decoded["args"]


class EngineEnv:
    """Accounts, deployment and lean handles over one engine; counts transactions and keeps
    every log in order when `record_logs` is on."""

    def __init__(self, engine: Any, record_logs: bool = False):
        self.engine = engine
        self.sender = actor_address("deployer")
        self.transactions = 0
        self.record_logs = record_logs
        self.logs: list[RawLog] = []

    def transact(self, sender: str, to: str, data: bytes, value: int = 0) -> bytes:
        """Send a transaction (with `value` native wei, for payable functions)."""
        out, logs = self.engine.transact(sender, to, data, value)
        self.transactions += 1
        if self.record_logs and logs:
            self.logs.extend(self.engine.raw_logs(logs))
        return out

    def deploy_code(self, initcode: bytes, sender: str | None = None) -> str:
        return self.engine.deploy(sender or self.sender, initcode)

    def contract(self, name: str, abi: Sequence[Mapping[str, Any]], address: str) -> Contract:
        return Contract(self, name, abi, address)

    def deploy_contract(
        self, name: str, bytecode: bytes, abi: Sequence[Mapping[str, Any]], args: Sequence[Any], sender: str | None = None
    ) -> Contract:
        ctor = next((item for item in abi if item.get("type") == "constructor"), None)
        types = [abi_type(p) for p in ctor["inputs"]] if ctor else []
        if len(args) != len(types):
            raise TypeError(f"{name} constructor takes {len(types)} arguments ({', '.join(types)}), got {len(args)}")
        initcode = bytes(bytecode) + (eth_abi.encode(types, [plain(a) for a in args]) if types else b"")
        return self.contract(name, abi, self.deploy_code(initcode, sender))

    def next_create_addresses(self, sender: str | None, count: int) -> list[str]:
        who = sender or self.sender
        nonce = self.engine.nonce(who)
        return [create_address(who, nonce + i) for i in range(count)]
