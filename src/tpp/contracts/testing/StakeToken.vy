# pragma version ~=0.4.3
"""
@title StakeToken
@license AGPL-3.0-only
@notice A plain ERC-20 with a chosen number of decimals that stands in for an LP token in
        local runs, tests and the demo (on a real chain the stake token is the real LP
        token). snekmate's audited ERC-20 with its owner-only `mint`.
@custom:kill Not applicable: a local stand-in with no value.
"""

from snekmate.auth import ownable
from snekmate.tokens import erc20

initializes: ownable
initializes: erc20[ownable := ownable]

exports: erc20.__interface__


@deploy
def __init__(name: String[25], symbol: String[5], decimals: uint8):
    """
    @notice Deploys the token; the deployer owns it and may mint.
    @param name The token name (also the EIP-712 domain name).
    @param symbol The token symbol.
    @param decimals The token's decimals (e.g. 6 or 18).
    """
    ownable.__init__()
    erc20.__init__(name, symbol, decimals, name, "1")
