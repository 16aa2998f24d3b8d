# pragma version ~=0.4.3
"""
@title HatGate
@license AGPL-3.0-only
@notice Eligible: wearers of one hat, asked of a Hats-compatible registry (`isWearerOfHat`) at
        call time. The credential is (hat, wearer): a registry that reverts, answers garbage
        or burns gas reads as "not a wearer".
"""

from . import IGate

implements: IGate

# Gas the registry may use to answer.
_HATS_GAS: constant(uint256) = 50_000

HATS: public(immutable(address))
HAT: public(immutable(uint256))


@deploy
def __init__(hats: address, hat: uint256):
    """
    @param hats The Hats-compatible registry.
    @param hat The hat whose wearers are eligible; not zero.
    """
    assert hats != empty(address), "gate: zero registry"
    assert hat != 0, "gate: zero hat"
    HATS = hats
    HAT = hat


@external
@view
def credential(account: address, proof: Bytes[2048]) -> bytes32:
    """
    @notice keccak256(abi.encode(hat, account)) if `account` wears the hat now, else zero.
    @param account Who enters or claims.
    @param proof Unused (empty).
    @return The credential, or zero.
    """
    ok: bool = False
    response: Bytes[32] = b""
    ok, response = raw_call(
        HATS,
        abi_encode(account, HAT, method_id=method_id("isWearerOfHat(address,uint256)")),
        max_outsize=32,
        gas=_HATS_GAS,
        is_static_call=True,
        revert_on_failure=False,
    )
    if not ok or len(response) != 32 or convert(response, uint256) != 1:
        return empty(bytes32)
    return keccak256(abi_encode(HAT, account))
