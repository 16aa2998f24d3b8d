// SPDX-License-Identifier: AGPL-3.0-only
pragma solidity 0.8.30;

/// @title TppGovernor
/// @notice OpenZeppelin Governor stand-in for local runs, tests and the demo. One contract
///         serves as both the Token governor (votes on TPPs, executes through the TPP
///         executor timelock) and the GovOps governor (votes on GAPs, executes through the GAP
///         executor timelock); the two deployments differ only in their settings.
/// @dev Composition only, no logic of its own: settings changeable by governance, simple
///      for/against/abstain counting, votes read from an IVotes token on the token's clock
///      (timestamps for TppToken, so every delay and period is in seconds), quorum as a
///      percentage of the past total supply, a late-quorum extension so a last-minute quorum
///      leaves others time to react, and execution through a TimelockController that must
///      grant this governor PROPOSER_ROLE and CANCELLER_ROLE.
/// @custom:kill A governor is retired by its own proposal: the timelock revokes this
///      governor's PROPOSER_ROLE (and CANCELLER_ROLE), or `updateTimelock` moves execution
///      elsewhere. Nothing it queued can run once the timelock no longer honours it.
import {Governor} from "@openzeppelin/contracts/governance/Governor.sol";
import {GovernorSettings} from "@openzeppelin/contracts/governance/extensions/GovernorSettings.sol";
import {GovernorCountingSimple} from "@openzeppelin/contracts/governance/extensions/GovernorCountingSimple.sol";
import {GovernorVotes} from "@openzeppelin/contracts/governance/extensions/GovernorVotes.sol";
import {GovernorVotesQuorumFraction} from
    "@openzeppelin/contracts/governance/extensions/GovernorVotesQuorumFraction.sol";
import {GovernorPreventLateQuorum} from
    "@openzeppelin/contracts/governance/extensions/GovernorPreventLateQuorum.sol";
import {GovernorTimelockControl} from
    "@openzeppelin/contracts/governance/extensions/GovernorTimelockControl.sol";
import {TimelockController} from "@openzeppelin/contracts/governance/TimelockController.sol";
import {IVotes} from "@openzeppelin/contracts/governance/utils/IVotes.sol";

// Order matters: GovernorSettings is constructed before GovernorPreventLateQuorum, whose
// constructor checks the extension against votingPeriod().
contract TppGovernor is
    Governor,
    GovernorSettings,
    GovernorCountingSimple,
    GovernorVotes,
    GovernorVotesQuorumFraction,
    GovernorPreventLateQuorum,
    GovernorTimelockControl
{
    /// @param name_ Governor name (EIP-712 domain for signature votes).
    /// @param token Voting token (TppToken, or the real ZK token).
    /// @param timelock_ Executor; must grant this governor PROPOSER_ROLE and CANCELLER_ROLE.
    /// @param votingDelay_ Token-clock units (seconds) from proposal to vote snapshot/start.
    /// @param votingPeriod_ Token-clock units (seconds) the vote stays open; must be > 0.
    /// @param proposalThreshold_ Votes (wei) a proposer needs at the previous timepoint.
    /// @param quorumNumerator_ Quorum in percent of the total supply at the snapshot (0-100).
    /// @param lateQuorumExtension_ Seconds the vote stays open after quorum is reached;
    ///        at most votingPeriod_.
    constructor(
        string memory name_,
        IVotes token,
        TimelockController timelock_,
        uint48 votingDelay_,
        uint32 votingPeriod_,
        uint256 proposalThreshold_,
        uint256 quorumNumerator_,
        uint48 lateQuorumExtension_
    )
        Governor(name_)
        GovernorSettings(votingDelay_, votingPeriod_, proposalThreshold_)
        GovernorVotes(token)
        GovernorVotesQuorumFraction(quorumNumerator_)
        GovernorPreventLateQuorum(lateQuorumExtension_)
        GovernorTimelockControl(timelock_)
    {}

    // The overrides below only pick which base implementation wins; none adds behaviour.

    function votingDelay() public view override(Governor, GovernorSettings) returns (uint256) {
        return super.votingDelay();
    }

    function votingPeriod() public view override(Governor, GovernorSettings) returns (uint256) {
        return super.votingPeriod();
    }

    function proposalThreshold() public view override(Governor, GovernorSettings) returns (uint256) {
        return super.proposalThreshold();
    }

    function quorum(uint256 timepoint)
        public
        view
        override(Governor, GovernorVotesQuorumFraction)
        returns (uint256)
    {
        return super.quorum(timepoint);
    }

    function proposalDeadline(uint256 proposalId)
        public
        view
        override(Governor, GovernorPreventLateQuorum)
        returns (uint256)
    {
        return super.proposalDeadline(proposalId);
    }

    function state(uint256 proposalId)
        public
        view
        override(Governor, GovernorTimelockControl)
        returns (ProposalState)
    {
        return super.state(proposalId);
    }

    function proposalNeedsQueuing(uint256 proposalId)
        public
        view
        override(Governor, GovernorTimelockControl)
        returns (bool)
    {
        return super.proposalNeedsQueuing(proposalId);
    }

    function _tallyUpdated(uint256 proposalId) internal override(Governor, GovernorPreventLateQuorum) {
        super._tallyUpdated(proposalId);
    }

    function _queueOperations(
        uint256 proposalId,
        address[] memory targets,
        uint256[] memory values,
        bytes[] memory calldatas,
        bytes32 descriptionHash
    ) internal override(Governor, GovernorTimelockControl) returns (uint48) {
        return super._queueOperations(proposalId, targets, values, calldatas, descriptionHash);
    }

    function _executeOperations(
        uint256 proposalId,
        address[] memory targets,
        uint256[] memory values,
        bytes[] memory calldatas,
        bytes32 descriptionHash
    ) internal override(Governor, GovernorTimelockControl) {
        super._executeOperations(proposalId, targets, values, calldatas, descriptionHash);
    }

    function _cancel(
        address[] memory targets,
        uint256[] memory values,
        bytes[] memory calldatas,
        bytes32 descriptionHash
    ) internal override(Governor, GovernorTimelockControl) returns (uint256) {
        return super._cancel(targets, values, calldatas, descriptionHash);
    }

    function _executor() internal view override(Governor, GovernorTimelockControl) returns (address) {
        return super._executor();
    }
}
