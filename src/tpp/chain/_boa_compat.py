"""Work around a titanoboa 0.2.8 defect that tpp hits because it creates many EVMs.

titanoboa wraps py-evm's SHA3 and SSTORE opcodes with tracers every time it builds a VM,
but the opcode table it patches is shared by every VM of the process. Each new VM (a new
embedded env, and every fork reset of a network env: one per transaction on anvil) therefore
wraps the previous wrapper, until a later call overflows Python's recursion limit. Here the
tracers unwrap what they are given and report to the env of the computation that runs them,
so there is one wrapper however many VMs were built, and each env still gets its traces.
"""

from boa.vm import py_evm

_Sha3 = py_evm.Sha3PreimageTracer
_Sstore = py_evm.SstoreTracer


def _innermost(op, cls, attribute):
    while isinstance(op, cls):
        op = getattr(op, attribute)
    return op


class Sha3PreimageTracer(_Sha3):
    def __init__(self, sha3_op, env):
        super().__init__(_innermost(sha3_op, _Sha3, "sha3"), env)

    def __call__(self, computation):
        self.env = getattr(computation, "env", self.env)
        return super().__call__(computation)


class SstoreTracer(_Sstore):
    def __init__(self, sstore_op, env):
        super().__init__(_innermost(sstore_op, _Sstore, "sstore"), env)

    def __call__(self, computation):
        self.env = getattr(computation, "env", self.env)
        return super().__call__(computation)


def install() -> None:
    if py_evm.Sha3PreimageTracer is not Sha3PreimageTracer:
        py_evm.Sha3PreimageTracer = Sha3PreimageTracer
        py_evm.SstoreTracer = SstoreTracer
