"""Deploy the whole local stack in one call: governance stand-in, Safes and Budget.

Layout (docs/ARCHITECTURE.md, "Contracts"): the token's minter admin is the TPP executor, so minting power
is only ever granted by a Token-governor vote; the Budget is owned by the GAP executor, so
global parameters only move by a GovOps vote. The deployer keeps no role anywhere.

The people around the programmes are real Safes (Safe 1.4.1, `tpp.system.safes`) owned by
role-named local actors (`LOCAL_SAFES`): the guardian (2 of 3; it is also the Budget's
guardian), the steward (2 of 3) and a stream recipient (1 of 2). Whatever the guardian or the
steward does goes through its Safe's ``execTransaction`` (`Stack.act`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from tpp.base.units import DAY
from tpp.base.vocab import DEFAULT_ADMIN_ROLE, TOKEN_MINTER_ADMIN_ROLE, TOKEN_MINTER_ROLE
from tpp.chain import Chain
from tpp.system.governance import Governance, GovernorSettings, deploy_governance, run_proposal
from tpp.system.programmes import ProgrammeLayer, deploy_programme_layer
from tpp.system.safes import Execution, Safe, SafeLayer, deploy_safe_layer

__all__ = [
    "DAY",
    "DEFAULT_ADMIN_ROLE",
    "LOCAL_SAFES",
    "TOKEN_MINTER_ADMIN_ROLE",
    "TOKEN_MINTER_ROLE",
    "WAD",
    "BudgetParams",
    "SafeSeat",
    "Stack",
    "StackConfig",
    "deploy_stack",
    "local_safe",
]

WAD = 10**18


@dataclass(frozen=True)
class SafeSeat:
    """A role the local stack gives to a Safe: its owners (role-named local actors) and how
    many of them must sign."""

    owners: tuple[str, ...]
    threshold: int

    def __post_init__(self) -> None:
        if not 1 <= self.threshold <= len(self.owners) or len(set(self.owners)) != len(self.owners):
            raise ValueError(f"stack: a Safe needs distinct owners and 1 <= threshold <= owners (got {self})")


# The local stack's Safes, by role. The guardian and the steward need two of three owners: one
# lost or stolen key neither halts emission nor turns a dial on its own, and one absent owner
# blocks neither. A stream recipient needs one of two: being paid must not wait for a quorum.
LOCAL_SAFES: Mapping[str, SafeSeat] = {
    "guardian": SafeSeat(("guardian-1", "guardian-2", "guardian-3"), 2),
    "steward": SafeSeat(("steward-1", "steward-2", "steward-3"), 2),
    "recipient": SafeSeat(("recipient-1", "recipient-2"), 1),
}


@dataclass(frozen=True)
class BudgetParams:
    """Global parameters the Budget starts with (a GAP vote can change each later).

    Threshold and allocation default to zero: nothing can be admitted until governance has
    voted the bounds in, so every token minted traces back to a vote.
    """

    inflation_threshold: int = 0  # wei per second
    allocation: int = 0  # wei, over the Budget's life
    max_share_bps: int = 5_000  # of the not yet admitted allocation, per epoch
    cycle_genesis: int | None = None  # unix time; default: next midnight UTC after deployment
    cycle_length: int = 90 * DAY  # seconds
    window_length: int = 14 * DAY  # seconds
    load_limit: int = 8  # decisions per evaluation window


@dataclass(frozen=True)
class StackConfig:
    """What `deploy_stack` builds."""

    # Delegates (role names) and the voting power (wei) each is minted and self-delegates.
    delegates: dict[str, int] = field(default_factory=lambda: {f"delegate-{i}": (4 - i) * 10_000_000 * WAD for i in range(4)})
    tpp_governor: GovernorSettings = field(default_factory=GovernorSettings)
    gap_governor: GovernorSettings = field(default_factory=GovernorSettings)
    budget: BudgetParams = field(default_factory=BudgetParams)
    token_name: str = "TPP Governance Token"
    token_symbol: str = "TPP"
    # The roles held by Safes (role -> owners and threshold). None: no Safe contracts at all,
    # each role a plain local actor of its name (the simulator, whose agents never act as a
    # guardian or a steward, saves the deployments in every run).
    safes: Mapping[str, SafeSeat] | None = field(default_factory=lambda: dict(LOCAL_SAFES))


Call = tuple[Any, str, Sequence[Any]]  # (contract handle, function name, arguments)


@dataclass
class Stack:
    """Handles on a deployed stack plus the actors that drive it."""

    chain: Chain
    governance: Governance
    budget: Any
    deployer: str
    guardian: str  # the guardian's address: its Safe's, or a plain actor's without Safes
    delegates: list[str]
    layer: ProgrammeLayer | None = None
    safe_layer: SafeLayer | None = None
    safes: dict[str, Safe] = field(default_factory=dict)  # role -> its Safe
    seats: dict[str, SafeSeat] = field(default_factory=dict)  # role -> owners and threshold

    @property
    def factory(self):
        return self.layer.factory if self.layer else None

    def holder(self, role: str) -> str:
        """The address holding `role` ("guardian", "steward", "recipient"): its Safe's, or the
        plain local actor of that name when the stack has no Safe for it."""
        safe = self.safes.get(role)
        return safe.address if safe is not None else self.chain.actor(role)

    @property
    def steward(self) -> str:
        return self.holder("steward")

    @property
    def recipient(self) -> str:
        return self.holder("recipient")

    def act(self, role: str, contract: Any, function: str, *args: Any) -> Execution | None:
        """Call ``contract.function(*args)`` as the holder of `role`: through its Safe's
        ``execTransaction``, signed by the first `threshold` owners of its seat (a Safe
        refusal or a call that would revert raises `SafeError`), or from the plain actor."""
        safe = self.safes.get(role)
        if safe is None:
            getattr(contract, function)(*args, sender=self.chain.actor(role))
            return None
        seat = self.seats[role]
        signers = [self.chain.actor(name) for name in seat.owners[: seat.threshold]]
        return safe.call(contract, function, *args, signers=signers)

    @property
    def token(self):
        return self.governance.token

    @property
    def tpp_executor(self):
        return self.governance.tpp_timelock

    @property
    def gap_executor(self):
        return self.governance.gap_timelock

    def gap_vote(self, calls: Sequence[Call], description: str) -> int:
        """Put `calls` to one GovOps-governor vote (a GAP) and execute it; returns its id."""
        return self._vote(self.governance.gap_governor, calls, description)

    def tpp_vote(self, calls: Sequence[Call], description: str, voters: Sequence[str] | None = None) -> int:
        """Put `calls` to one Token-governor vote (a TPP slate) and execute it; returns its id.
        `voters` (default: every delegate) vote FOR; a vote short of quorum raises
        GovernanceError."""
        return self._vote(self.governance.tpp_governor, calls, description, voters)

    def _vote(self, governor, calls: Sequence[Call], description: str, voters: Sequence[str] | None = None) -> int:
        targets = [str(contract.address) for contract, _, _ in calls]
        calldatas = [getattr(contract, fn).prepare_calldata(*args) for contract, fn, args in calls]
        return run_proposal(
            self.chain,
            governor,
            targets,
            [0] * len(calls),
            calldatas,
            description,
            self.delegates if voters is None else list(voters),
        )


def deploy_stack(chain: Chain, config: StackConfig | None = None) -> Stack:
    """Deploy token, both governors and timelocks, and the Budget; hand every power to votes."""
    config = config or StackConfig()
    deployer = chain.actor("deployer")
    chain.set_sender(deployer)

    governance = deploy_governance(
        chain,
        deployer,
        token_name=config.token_name,
        token_symbol=config.token_symbol,
        tpp=config.tpp_governor,
        gap=config.gap_governor,
        sender=deployer,
    )
    token = governance.token

    # Initial distribution: voting power for the delegates, who delegate to themselves.
    delegates = [chain.actor(name) for name in config.delegates]
    token.grantRole(TOKEN_MINTER_ROLE, deployer, sender=deployer)
    for address, amount in zip(delegates, config.delegates.values()):
        token.mint(address, amount, sender=deployer)
        token.delegate(address, sender=address)
    token.revokeRole(TOKEN_MINTER_ROLE, deployer, sender=deployer)

    # The Safes: Safe's contracts once, then one proxy per role, owned by local actors.
    safe_layer, safes, seats = None, {}, dict(config.safes or {})
    if seats:
        safe_layer = deploy_safe_layer(chain, sender=deployer)
        for role, seat in seats.items():
            owners = [chain.actor(name) for name in seat.owners]
            safes[role] = safe_layer.create(owners, seat.threshold, sender=deployer)
    guardian = safes["guardian"].address if "guardian" in safes else chain.actor("guardian")

    params = config.budget
    genesis = params.cycle_genesis
    if genesis is None:
        now = chain.now()
        genesis = now - now % DAY + DAY
    budget = chain.deploy(
        "Budget",
        token.address,
        governance.gap_timelock.address,
        governance.tpp_timelock.address,
        guardian,
        params.inflation_threshold,
        params.allocation,
        params.max_share_bps,
        genesis,
        params.cycle_length,
        params.window_length,
        params.load_limit,
        sender=deployer,
    )

    # Minting power is administered by the TPP executor from now on; the deployer leaves.
    tpp_executor = governance.tpp_timelock.address
    token.grantRole(TOKEN_MINTER_ADMIN_ROLE, tpp_executor, sender=deployer)
    token.grantRole(DEFAULT_ADMIN_ROLE, tpp_executor, sender=deployer)
    token.renounceRole(TOKEN_MINTER_ADMIN_ROLE, deployer, sender=deployer)
    token.renounceRole(DEFAULT_ADMIN_ROLE, deployer, sender=deployer)

    # The programme layer: shared implementations and the factory only the TPP executor drives.
    # It can create nothing until a TPP vote lets it authorise programmes on the Budget.
    layer = deploy_programme_layer(chain, budget, token, tpp_executor, sender=deployer)

    return Stack(chain, governance, budget, deployer, guardian, delegates, layer, safe_layer, safes, seats)


def local_safe(stack_or_layer: Stack | SafeLayer, address: str, seat: SafeSeat) -> tuple[Safe, list[str]]:
    """A Safe of the local stack found again by its address (e.g. from a deployments file)
    and the local actors who sign for it: as many of its seat's actors as its threshold (read
    on chain), each made able to send on this chain. Raises ValueError when they own too few
    of its seats."""
    layer = stack_or_layer.safe_layer if isinstance(stack_or_layer, Stack) else stack_or_layer
    if layer is None:
        raise ValueError("stack: no Safe layer")
    safe = layer.at(address)
    chain = layer.chain
    actors = [chain.actor(name) for name in seat.owners]
    owners = {o.lower() for o in safe.owners()}
    threshold = safe.threshold()
    signers = [a for a in actors if a.lower() in owners][:threshold]
    if len(signers) < threshold:
        raise ValueError(
            f"stack: the Safe at {address} needs {safe.threshold()} signatures; the local actors "
            f"{', '.join(seat.owners)} own {len(signers)} of its seats"
        )
    return safe, signers
