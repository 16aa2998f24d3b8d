# pragma version ~=0.4.3
"""
@title MerkleGate
@license AGPL-3.0-only
@notice Eligible: the accounts of a Merkle allowlist fixed at deployment. A leaf is
        keccak256(abi.encode(gate, account)) (bound to this gate, 64 bytes: never an inner
        node's preimage of another tree's leaf), pairs hashed in sorted order. The credential
        is the leaf.
"""

from . import IGate

implements: IGate

_MAX_PROOF: constant(uint256) = 62

ROOT: public(immutable(bytes32))


@deploy
def __init__(root: bytes32):
    """
    @param root The allowlist's Merkle root; not empty.
    """
    assert root != empty(bytes32), "gate: empty root"
    ROOT = root


@external
@view
def credential(account: address, proof: Bytes[2048]) -> bytes32:
    """
    @notice The account's leaf if `proof` (abi.encode(bytes32[] siblings)) proves it, else zero.
    @param account Who enters or claims.
    @param proof abi.encode(bytes32[]): the siblings from the leaf up.
    @return The credential, or zero.
    """
    # Read by hand, never reverting: a malformed proof is simply no proof.
    if len(proof) < 64 or extract32(proof, 0, output_type=uint256) != 32:
        return empty(bytes32)
    count: uint256 = extract32(proof, 32, output_type=uint256)
    if count > _MAX_PROOF or len(proof) != 64 + 32 * count:
        return empty(bytes32)
    leaf: bytes32 = keccak256(abi_encode(self, account))
    node: bytes32 = leaf
    for i: uint256 in range(_MAX_PROOF):
        if i >= count:
            break
        sibling: bytes32 = extract32(proof, 64 + 32 * i)
        if convert(node, uint256) < convert(sibling, uint256):
            node = keccak256(concat(node, sibling))
        else:
            node = keccak256(concat(sibling, node))
    if node != ROOT:
        return empty(bytes32)
    return leaf
