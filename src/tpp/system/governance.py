"""The governance stand-in: deploy and drive OpenZeppelin's token, governors and timelocks.

Everything here goes through the `Chain` it is given (embedded, anvil, or a fast engine) and
the contract handles that chain returns, so it runs the same on every backend. Chain time is
moved with `chain.warp`.

Layout deployed by :func:`deploy_governance` (docs/ARCHITECTURE.md, "Contracts")::

    TppToken ──votes──► Token governor  ─► TimelockController "TPP executor"
             └─votes──► GovOps governor ─► TimelockController "GAP executor"

Each timelock has its governor as sole proposer and canceller, execution open to anyone, and
no admin but itself, so every later change of roles or delays needs a vote.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from eth_utils import keccak

from tpp.base.errors import TppError
from tpp.base.vocab import ZERO_ADDRESS, ProposalState, Vote
from tpp.chain.abi import plain

if TYPE_CHECKING:
    from tpp.chain import Chain

__all__ = [
    "Governance",
    "GovernanceError",
    "GovernorSettings",
    "ProposalState",
    "deploy_governance",
    "deploy_governor",
    "description_hash",
    "explain_revert",
    "run_proposal",
    "vote_duration",
]


class GovernanceError(TppError):
    """A proposal did not reach the state it needed (defeated, cancelled, stuck, …)."""


@dataclass(frozen=True)
class GovernorSettings:
    """Settings of one governor and its timelock. Times in seconds (the token's clock).

    The defaults keep the shape of ZKsync's governors (a short delay before the snapshot, a
    voting period, a percentage quorum of the total supply, a late-quorum extension, a
    timelock delay before execution) scaled down so local runs take minutes of chain time.
    """

    voting_delay: int = 60  # s from propose to snapshot/vote start; delegate before it ends
    voting_period: int = 3_600  # s the vote stays open (uint32)
    proposal_threshold: int = 0  # wei of votes the proposer needs (0: anyone may propose)
    quorum_numerator: int = 3  # percent of total supply at the snapshot (for + abstain)
    late_quorum_extension: int = 600  # s a vote stays open after quorum; <= voting_period
    timelock_delay: int = 600  # s between queue and execute (TimelockController min delay)

    def __post_init__(self) -> None:
        checks = [
            (0 <= self.voting_delay < 2**48, "voting_delay must fit uint48 seconds"),
            (0 < self.voting_period < 2**32, "voting_period must be 1..2**32-1 seconds"),
            (self.proposal_threshold >= 0, "proposal_threshold must be >= 0"),
            (0 <= self.quorum_numerator <= 100, "quorum_numerator is a percentage (0-100)"),
            (
                0 <= self.late_quorum_extension <= self.voting_period,
                "late_quorum_extension must be between 0 and voting_period",
            ),
            (self.timelock_delay >= 0, "timelock_delay must be >= 0"),
        ]
        for ok, message in checks:
            if not ok:
                raise ValueError(f"governance: {message} (got {self})")


@dataclass
class Governance:
    """Handles (titanoboa ABI contracts) of one deployed governance stand-in."""

    token: Any  # TppToken
    tpp_governor: Any  # Token governor (TPPs)
    tpp_timelock: Any  # TPP executor
    gap_governor: Any  # GovOps governor (GAPs)
    gap_timelock: Any  # GAP executor
    tpp_settings: GovernorSettings = field(default_factory=GovernorSettings)
    gap_settings: GovernorSettings = field(default_factory=GovernorSettings)


def _address(value: Any) -> str:
    return str(plain(value))


# ---------------------------------------------------------------------------------------------
# Deploying the stand-in


def deploy_governor(chain: Chain, name: str, token: Any, settings: GovernorSettings, *, sender: Any = None) -> tuple[Any, Any]:
    """Deploy one TppGovernor and its TimelockController; returns ``(governor, timelock)``.

    The timelock is deployed first with the governor's (predicted) address as its only
    proposer and canceller, executor role open to anyone (address(0)) and no admin but itself.
    """
    _, governor_address = chain.next_create_addresses(sender, 2)
    timelock = chain.deploy_artifact(
        "TimelockController",
        settings.timelock_delay,
        [governor_address],  # proposers (OpenZeppelin also makes them cancellers)
        [ZERO_ADDRESS],  # executors: anyone may execute a ready operation
        ZERO_ADDRESS,  # admin: none; the timelock administers itself
        sender=sender,
    )
    governor = chain.deploy_artifact(
        "TppGovernor",
        name,
        token,
        timelock,
        settings.voting_delay,
        settings.voting_period,
        settings.proposal_threshold,
        settings.quorum_numerator,
        settings.late_quorum_extension,
        sender=sender,
    )
    if str(governor.address).lower() != governor_address.lower():
        raise GovernanceError(
            f"governance: {name} deployed at {governor.address} but its timelock expects "
            f"{governor_address} (did another transaction from the deployer land in between?)"
        )
    return governor, timelock


def deploy_governance(
    chain: Chain,
    admin: Any,
    *,
    token_name: str = "TPP Governance Token",
    token_symbol: str = "TPP",
    tpp: GovernorSettings | None = None,
    gap: GovernorSettings | None = None,
    sender: Any = None,
) -> Governance:
    """Deploy the token, the Token governor + TPP executor and the GovOps governor + GAP executor.

    ``admin`` receives the token's DEFAULT_ADMIN_ROLE and MINTER_ADMIN_ROLE (hand them to a
    timelock with a later transaction once the initial distribution is minted). ``sender``
    pays for the deployments (default: the chain's sender).
    """
    tpp = tpp or GovernorSettings()
    gap = gap or GovernorSettings()
    token = chain.deploy_artifact("TppToken", token_name, token_symbol, admin, sender=sender)
    tpp_governor, tpp_timelock = deploy_governor(chain, "TPP Token Governor", token, tpp, sender=sender)
    gap_governor, gap_timelock = deploy_governor(chain, "TPP GovOps Governor", token, gap, sender=sender)
    return Governance(token, tpp_governor, tpp_timelock, gap_governor, gap_timelock, tpp, gap)


# ---------------------------------------------------------------------------------------------
# Driving a proposal


def vote_duration(chain: Chain, governor: Any, timelock: Any) -> int:
    """Seconds from propose to execute on `governor`: its voting delay and voting period, the
    timelock's delay, and a minute for the transactions in between."""
    lock = chain.artifact_at("TimelockController", timelock) if isinstance(timelock, str) else timelock
    return int(governor.votingDelay()) + int(governor.votingPeriod()) + int(lock.getMinDelay()) + 60


def explain_revert(reason: str) -> str:
    """OpenZeppelin's governor and timelock custom errors in words (other reasons as they are)."""
    name, _, rest = reason.partition("(")
    args = dict(part.split("=", 1) for part in rest.rstrip(")").split(", ") if "=" in part)
    if name == "GovernorUnexpectedProposalState":
        state = ProposalState.label(int(args.get("current", "-1"))) if args.get("current", "").isdigit() else "?"
        return (
            f"a proposal with the same calls and description already exists (id {args.get('proposalId', '?')}, "
            f"{state.lower()}); the governor gives one id to one set of calls and description ({reason})"
        )
    if name == "GovernorInsufficientProposerVotes":
        return f"the proposer holds {args.get('votes', '?')} votes, the governor needs {args.get('threshold', '?')} to propose ({reason})"
    if name == "GovernorNonexistentProposal":
        return f"no proposal {args.get('proposalId', '?')} on this governor ({reason})"
    if name == "TimelockUnexpectedOperationState":
        return f"the timelock operation is not in the state the step needs ({reason})"
    if name == "TimelockInsufficientDelay":
        return f"the timelock delay is shorter than its minimum ({reason})"
    return reason


def description_hash(description: str) -> bytes:
    """keccak256 of the description, as the governor's queue/execute/cancel expect it."""
    return keccak(text=description)


def _state(governor: Any, proposal_id: int) -> ProposalState:
    return ProposalState(governor.state(proposal_id))


def _wait_until(governor: Any, timepoint: int, warp: Callable[[int], Any]) -> None:
    """Move chain time until the governor's clock reads at least ``timepoint``."""
    for _ in range(5):
        now = governor.clock()
        if now >= timepoint:
            return
        warp(timepoint - now)
    raise GovernanceError(
        f"governance: chain time did not reach {timepoint} (clock reads {governor.clock()}); "
        "does the warp callable move block.timestamp?"
    )


def _tally(governor: Any, proposal_id: int) -> str:
    against, for_, abstain = governor.proposalVotes(proposal_id)
    quorum = governor.quorum(governor.proposalSnapshot(proposal_id))
    return f"for={for_}, against={against}, abstain={abstain}, quorum={quorum}"


def _unexpected(governor: Any, proposal_id: int, step: str, expected: ProposalState) -> GovernanceError:
    state = _state(governor, proposal_id)
    return GovernanceError(
        f"governance: proposal {proposal_id} is {state.name.lower()} {step}, expected "
        f"{expected.name.lower()} ({_tally(governor, proposal_id)})"
    )


def run_proposal(
    chain: Chain,
    governor: Any,
    targets: Sequence[Any],
    values: Sequence[int],
    calldatas: Sequence[bytes],
    description: str,
    voters: Sequence[Any],
    *,
    proposer: Any = None,
) -> int:
    """Take one proposal from propose to execute; returns the proposal id.

    Steps: propose (from ``proposer``, default the first voter), wait out the voting delay,
    cast FOR from every voter, wait for the (possibly extended) deadline, queue, wait the
    timelock delay, execute. ``voters`` must hold votes delegated before the proposal (the
    snapshot is taken at proposal time + voting delay). Values are paid from the timelock's
    balance. Raises GovernanceError naming the tally when the proposal is defeated or any step
    finds the proposal in another state.
    """
    if not voters and proposer is None:
        raise ValueError("governance: run_proposal needs at least one voter or a proposer")
    proposer = _address(proposer if proposer is not None else voters[0])
    targets = [_address(t) for t in targets]
    values = list(values)
    calldatas = [bytes(c) for c in calldatas]
    desc_hash = description_hash(description)
    warp = chain.warp

    proposal_id = governor.propose(targets, values, calldatas, description, sender=proposer)

    # Votes count from the snapshot, which must be strictly in the past.
    _wait_until(governor, governor.proposalSnapshot(proposal_id) + 1, warp)
    if _state(governor, proposal_id) != ProposalState.ACTIVE:
        raise _unexpected(governor, proposal_id, "after the voting delay", ProposalState.ACTIVE)
    for voter in voters:
        governor.castVote(proposal_id, Vote.FOR, sender=_address(voter))

    # The deadline is read after voting: a late quorum may have extended it.
    _wait_until(governor, governor.proposalDeadline(proposal_id) + 1, warp)
    state = _state(governor, proposal_id)
    if state == ProposalState.DEFEATED:
        silent = _voters_without_votes(chain, governor, proposal_id, voters)
        hint = f"; voters without votes at the snapshot: {', '.join(silent)}" if silent else ""
        raise GovernanceError(f"governance: proposal defeated ({_tally(governor, proposal_id)}){hint}")
    if state != ProposalState.SUCCEEDED:
        raise _unexpected(governor, proposal_id, "after voting", ProposalState.SUCCEEDED)

    if governor.proposalNeedsQueuing(proposal_id):
        governor.queue(targets, values, calldatas, desc_hash, sender=proposer)
        if _state(governor, proposal_id) != ProposalState.QUEUED:
            raise _unexpected(governor, proposal_id, "after queue", ProposalState.QUEUED)
        _wait_until(governor, governor.proposalEta(proposal_id), warp)

    governor.execute(targets, values, calldatas, desc_hash, sender=proposer)
    if _state(governor, proposal_id) != ProposalState.EXECUTED:
        raise _unexpected(governor, proposal_id, "after execute", ProposalState.EXECUTED)
    return proposal_id


def _voters_without_votes(chain: Chain, governor: Any, proposal_id: int, voters: Sequence[Any]) -> list[str]:
    token = chain.artifact_at("TppToken", governor.token())  # any IVotes token answers getPastVotes
    snapshot = governor.proposalSnapshot(proposal_id)
    return [_address(v) for v in voters if token.getPastVotes(_address(v), snapshot) == 0]
