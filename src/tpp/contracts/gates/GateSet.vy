# pragma version ~=0.4.3
"""
@title GateSet
@license AGPL-3.0-only
@notice Gates composed: ALL of them (the credential binds every member's credential) or ANY
        of them (the credential of the first member that admits the account). The proof is
        abi.encode(bytes[] proofs), one per member, in order.
"""

from . import IGate

implements: IGate

MAX_GATES: constant(uint256) = 4
_MAX_PROOF: constant(uint256) = 2048
_MEMBER_PROOF: constant(uint256) = 416

ALL: public(immutable(bool))
_gates: DynArray[address, MAX_GATES]


@deploy
def __init__(gates: DynArray[address, MAX_GATES], require_all: bool):
    """
    @param gates 1 to 4 member gates.
    @param require_all True: all of them; False: any of them.
    """
    assert len(gates) != 0, "gate: no members"
    for g: address in gates:
        assert g != empty(address), "gate: zero member"
    self._gates = gates
    ALL = require_all


@external
@view
def gates() -> DynArray[address, MAX_GATES]:
    """
    @return The member gates.
    """
    return self._gates


@external
@view
def credential(account: address, proof: Bytes[_MAX_PROOF]) -> bytes32:
    """
    @param account Who enters or claims.
    @param proof abi.encode(bytes[]): each member's proof (each at most 416 bytes: a Merkle member proves up to 11 levels).
    @return The composed credential, or zero.
    """
    proofs: DynArray[Bytes[_MEMBER_PROOF], MAX_GATES] = []
    if len(proof) != 0:
        proofs = abi_decode(proof, DynArray[Bytes[_MEMBER_PROOF], MAX_GATES])
    combined: bytes32 = empty(bytes32)
    i: uint256 = 0
    for g: address in self._gates:
        member_proof: Bytes[_MEMBER_PROOF] = b""
        if i < len(proofs):
            member_proof = proofs[i]
        got: bytes32 = staticcall IGate(g).credential(account, member_proof)
        i += 1
        if ALL:
            if got == empty(bytes32):
                return empty(bytes32)
            combined = keccak256(concat(combined, got))
        elif got != empty(bytes32):
            return got
    return combined
