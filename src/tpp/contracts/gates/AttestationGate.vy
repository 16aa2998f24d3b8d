# pragma version ~=0.4.3
"""
@title AttestationGate
@license AGPL-3.0-only
@notice Eligible: the recipient of an Ethereum Attestation Service attestation of one schema by
        one attester, present, not revoked and not expired. The proof is the attestation's
        uid and the credential is the uid, so one attestation backs one account.
"""

from . import IGate

implements: IGate

# Bytes of EAS.getAttestation's answer read: the offset word and the ten head words of the
# Attestation struct (uid, schema, time, expirationTime, revocationTime, refUID, recipient,
# attester, revocable, data's offset); the data itself is not needed.
_HEAD: constant(uint256) = 352
_EAS_GAS: constant(uint256) = 100_000

EAS: public(immutable(address))
SCHEMA: public(immutable(bytes32))
ATTESTER: public(immutable(address))


@deploy
def __init__(eas: address, schema: bytes32, attester: address):
    """
    @param eas The EAS contract.
    @param schema The schema uid an attestation must have; not empty.
    @param attester Who must have made it; not empty.
    """
    assert eas != empty(address), "gate: zero EAS"
    assert schema != empty(bytes32), "gate: empty schema"
    assert attester != empty(address), "gate: zero attester"
    EAS = eas
    SCHEMA = schema
    ATTESTER = attester


@external
@view
def credential(account: address, proof: Bytes[2048]) -> bytes32:
    """
    @notice The attestation's uid if it is of SCHEMA, by ATTESTER, to `account`, not revoked
            and not expired; else zero (also if EAS fails to answer).
    @param account Who enters or claims.
    @param proof abi.encode(bytes32 uid).
    @return The credential, or zero.
    """
    if len(proof) != 32:
        return empty(bytes32)
    uid: bytes32 = extract32(proof, 0)
    ok: bool = False
    response: Bytes[_HEAD] = b""
    ok, response = raw_call(
        EAS,
        abi_encode(uid, method_id=method_id("getAttestation(bytes32)")),
        max_outsize=_HEAD,
        gas=_EAS_GAS,
        is_static_call=True,
        revert_on_failure=False,
    )
    if not ok or len(response) < _HEAD:
        return empty(bytes32)
    if extract32(response, 32) != uid or uid == empty(bytes32):
        return empty(bytes32)  # EAS answers an empty attestation for an unknown uid
    if extract32(response, 64) != SCHEMA:
        return empty(bytes32)
    expires: uint256 = extract32(response, 128, output_type=uint256)
    revoked: uint256 = extract32(response, 160, output_type=uint256)
    if revoked != 0 or (expires != 0 and expires <= block.timestamp):
        return empty(bytes32)
    if extract32(response, 224, output_type=address) != account:
        return empty(bytes32)
    if extract32(response, 256, output_type=address) != ATTESTER:
        return empty(bytes32)
    return uid
