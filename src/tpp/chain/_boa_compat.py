"""Work around two titanoboa 0.2.8 defects tpp hits.

First, tpp creates many EVMs.

titanoboa wraps py-evm's SHA3 and SSTORE opcodes with tracers every time it builds a VM,
but the opcode table it patches is shared by every VM of the process. Each new VM (a new
embedded env, and every fork reset of a network env: one per transaction on anvil) therefore
wraps the previous wrapper, until a later call overflows Python's recursion limit. Here the
tracers unwrap what they are given and report to the env of the computation that runs them,
so there is one wrapper however many VMs were built, and each env still gets its traces.
"""

from typing import Any

from boa.contracts.vyper.vyper_contract import VyperContract
from boa.vm import py_evm
from boa.vm.py_evm import Sha3PreimageTracer as _Sha3
from boa.vm.py_evm import SstoreTracer as _Sstore


def _innermost(op, cls, attribute):
    while isinstance(op, cls):
        op = getattr(op, attribute)
    return op


class Sha3PreimageTracer(_Sha3):
    env: Any  # set by titanoboa's tracer; replaced here by the env of the computation

    def __init__(self, sha3_op, env):
        super().__init__(_innermost(sha3_op, _Sha3, "sha3"), env)

    def __call__(self, computation):
        self.env = getattr(computation, "env", self.env)
        return super().__call__(computation)


class SstoreTracer(_Sstore):
    env: Any  # set by titanoboa's tracer; replaced here by the env of the computation

    def __init__(self, sstore_op, env):
        super().__init__(_innermost(sstore_op, _Sstore, "sstore"), env)

    def __call__(self, computation):
        self.env = getattr(computation, "env", self.env)
        return super().__call__(computation)


def install() -> None:
    """Both work-arounds, once per process."""
    if py_evm.Sha3PreimageTracer is not Sha3PreimageTracer:
        py_evm.Sha3PreimageTracer = Sha3PreimageTracer
        py_evm.SstoreTracer = SstoreTracer
    if VyperContract.debug_frame is not _debug_frame_or_none:
        VyperContract.debug_frame = _debug_frame_or_none
        VyperContract.__repr__ = _repr_without_broken_storage


# Second, titanoboa 0.2.8 decodes a reverting Vyper frame's local variables to show them in its
# stack trace, and fails (UnicodeDecodeError) when a String variable's memory holds bytes that
# are not UTF-8 yet, which happens when the revert comes before the string was written. The
# error then escapes instead of the revert. The frame's variables are only a debugging aid:
# without them the trace, the revert data and the reason are the same.
_debug_frame = VyperContract.debug_frame


def _debug_frame_or_none(self: Any, computation: Any) -> Any:
    try:
        return _debug_frame(self, computation)
    except (UnicodeDecodeError, ValueError):
        return None


# The same for the contract's repr, which titanoboa takes of every contract whose call
# reverts and which dumps its storage from the env's SSTORE trace: after an anchor is rolled
# back, a later contract deployed at the same address inherits the trace of the earlier one,
# whose keys need not decode as its own (AttributeError: 'IntegerT' … 'key_type'). Without
# the storage the repr still names the contract and its address.
_repr = VyperContract.__repr__


def _repr_without_broken_storage(self: Any) -> str:
    try:
        return _repr(self)
    except (AttributeError, UnicodeDecodeError, ValueError, KeyError, TypeError, IndexError):
        return f"<{self.compiler_data.contract_path} at {self.address} (storage not shown: stale trace)>"
