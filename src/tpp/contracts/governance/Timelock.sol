// SPDX-License-Identifier: AGPL-3.0-only
pragma solidity 0.8.30;

/// @title Timelock (compilation unit only)
/// @notice Pulls OpenZeppelin's TimelockController into the build so it is emitted as the
///         `TimelockController` artifact: the TPP executor (behind the Token governor) and the
///         GAP executor (behind the GovOps governor) are two deployments of it.
/// @dev No subclass: the audited contract is deployed as is. Deployed by tpp.governance with
///      the governor as proposer and canceller, execution open to anyone, and no admin other
///      than the timelock itself, so every role change goes through a vote and the delay.
/// @custom:kill A timelock is retired by a proposal that revokes its governor's PROPOSER_ROLE;
///      it then never executes again. Queued operations are dropped by the CANCELLER_ROLE.
import {TimelockController} from "@openzeppelin/contracts/governance/TimelockController.sol";
