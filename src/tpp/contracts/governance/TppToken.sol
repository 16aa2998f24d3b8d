// SPDX-License-Identifier: AGPL-3.0-only
pragma solidity 0.8.30;

/// @title TppToken
/// @notice Governance token stand-in for local runs, tests and the demo: an ERC20 with
///         permit and vote delegation whose minting is gated like the ZK token's
///         (MINTER_ROLE, administered by MINTER_ADMIN_ROLE). Budgets and capped minters hang
///         under it exactly as they would under the real ZK token.
/// @dev Votes are checkpointed on a timestamp clock (`clock()` is `block.timestamp`,
///      `CLOCK_MODE()` is "mode=timestamp"), so governor delays and periods are in seconds.
///      Invariants: only MINTER_ROLE holders change the supply (there is no burn); MINTER_ROLE
///      is granted and revoked only by MINTER_ADMIN_ROLE holders; DEFAULT_ADMIN_ROLE
///      administers every other role, including MINTER_ADMIN_ROLE.
/// @custom:kill The token itself cannot be disabled. Emission is stopped for good by having
///      MINTER_ADMIN_ROLE revoke MINTER_ROLE from every holder and then renouncing
///      MINTER_ADMIN_ROLE (and DEFAULT_ADMIN_ROLE) so no minter can ever be granted again.
import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";
import {ERC20Votes} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Votes.sol";
import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {Nonces} from "@openzeppelin/contracts/utils/Nonces.sol";

contract TppToken is ERC20, ERC20Permit, ERC20Votes, AccessControl {
    /// @notice Role allowed to mint; held by the budget (and, in tests, by chosen actors).
    bytes32 public constant MINTER_ROLE = keccak256("MINTER_ROLE");

    /// @notice Role that grants and revokes MINTER_ROLE; like the ZK token's minter admin.
    bytes32 public constant MINTER_ADMIN_ROLE = keccak256("MINTER_ADMIN_ROLE");

    /// @param name_ ERC20 name, also the EIP-712 domain name used by permit.
    /// @param symbol_ ERC20 symbol.
    /// @param admin Receives DEFAULT_ADMIN_ROLE and MINTER_ADMIN_ROLE (usually a timelock).
    constructor(string memory name_, string memory symbol_, address admin)
        ERC20(name_, symbol_)
        ERC20Permit(name_)
    {
        require(admin != address(0), "token: admin is zero address");
        _setRoleAdmin(MINTER_ROLE, MINTER_ADMIN_ROLE);
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(MINTER_ADMIN_ROLE, admin);
    }

    /// @notice Mints `amount` wei of token to `to`.
    /// @dev Reverts with AccessControlUnauthorizedAccount unless the caller holds MINTER_ROLE;
    ///      ERC20Votes reverts if the total supply would exceed 2**208 - 1.
    function mint(address to, uint256 amount) external onlyRole(MINTER_ROLE) {
        _mint(to, amount);
    }

    /// @notice Current timepoint of the vote checkpoints: the block timestamp in seconds.
    function clock() public view override returns (uint48) {
        return uint48(block.timestamp);
    }

    /// @notice Machine-readable description of the clock (EIP-6372).
    // solhint-disable-next-line func-name-mixedcase
    function CLOCK_MODE() public pure override returns (string memory) {
        return "mode=timestamp";
    }

    // Both ERC20 and ERC20Votes define _update; ERC20Votes' version moves the checkpoints.
    function _update(address from, address to, uint256 value) internal override(ERC20, ERC20Votes) {
        super._update(from, to, value);
    }

    // Permit and Votes share one nonce counter (Nonces), as in OpenZeppelin's wizard output.
    function nonces(address owner) public view override(ERC20Permit, Nonces) returns (uint256) {
        return super.nonces(owner);
    }
}
