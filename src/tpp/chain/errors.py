"""What every backend raises when the chain refuses: one `Reverted` with the contract's reason.

The fast engines raise it themselves. titanoboa (the embedded chain, anvil, any RPC) raises
its own `BoaError`; `reverted_from` reads the reason out of it structurally — the revert data
the call returned, decoded with every known ABI's custom errors — so no caller scrapes
titanoboa's text, and `Chain.reverts()` turns any of them into `Reverted` where tpp calls the
chain on a user's behalf.
"""

from __future__ import annotations

from typing import Any

from tpp.base.errors import TppError, UserError
from tpp.chain.abi import revert_reason

__all__ = ["ChainUnreachable", "Reverted", "reverted_from"]


class Reverted(TppError):
    """A call or deployment failed; `reason` is the revert string (e.g. "budget: paused") or
    the decoded custom error; `where` is "Contract.function" when a handle made the call."""

    def __init__(self, reason: str, data: bytes = b"", where: str = ""):
        self.reason = reason
        self.data = data
        self.where = where
        super().__init__(f"{where}: {reason}" if where else reason)


class ChainUnreachable(UserError):
    """The node did not answer (wrong URL, not running, refused): the user can fix that."""


def _known_errors():
    # The registry compiles every ABI on first use; only a revert pays for it.
    from tpp.chain.artifacts import error_table

    return error_table()


def reverted_from(exc: BaseException) -> Reverted | None:
    """The `Reverted` a titanoboa error stands for (None if `exc` is not a revert)."""
    if isinstance(exc, Reverted):
        return exc
    if type(exc).__name__ == "RPCError" and getattr(exc, "code", None) == 3:
        return _from_rpc_message(str(exc).split(": ", 1)[-1])
    trace = getattr(exc, "call_trace", None)
    if trace is None:
        return None
    data = bytes(getattr(trace, "output", b"") or b"")
    reason = revert_reason(data, _known_errors()) if data else _vm_reason(exc)
    return Reverted(reason, data)


def _vm_reason(exc: Any) -> str:
    """A revert without data: out of gas, an invalid opcode, a dev reason of the compiler."""
    frame = getattr(getattr(exc, "stack_trace", None), "last_frame", None)
    detail = getattr(frame, "vm_error", None)
    if detail is not None:
        return f"halted: {type(detail).__name__}"
    return "reverted without a reason"


def reverted_with(data: bytes) -> Reverted:
    """The `Reverted` for raw revert data (custom errors decoded by name)."""
    data = bytes(data)
    known = _known_errors() if data[:4] and len(data) >= 4 else None
    return Reverted(revert_reason(data, known), data)


def _from_rpc_message(message: str) -> Reverted:
    """A node's "execution reverted: <reason>" (titanoboa keeps the message, not the data):
    the reason, or a custom error's data ("custom error 0x…") decoded by name."""
    reason = message.removeprefix("execution reverted").lstrip(": ").strip() or "reverted without a reason"
    marker = "custom error 0x"
    if marker in reason:
        hex_data = reason.split(marker, 1)[1].split()[0].rstrip(",.;)")
        try:
            return reverted_with(bytes.fromhex(hex_data))
        except ValueError:
            pass  # not hex after all: keep the node's words
    return Reverted(reason)
