"""Deploy the whole local stack in one call: governance stand-in and Budget.

Layout (docs/ARCHITECTURE.md, "Contracts"): the token's minter admin is the TPP executor, so minting power
is only ever granted by a Token-governor vote; the Budget is owned by the GAP executor, so
global parameters only move by a GovOps vote. The deployer keeps no role anywhere.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from tpp.base.units import DAY
from tpp.base.vocab import DEFAULT_ADMIN_ROLE, TOKEN_MINTER_ADMIN_ROLE, TOKEN_MINTER_ROLE
from tpp.chain import Chain
from tpp.system.governance import Governance, GovernorSettings, deploy_governance, run_proposal
from tpp.system.programmes import ProgrammeLayer, deploy_programme_layer

__all__ = [
    "DAY",
    "DEFAULT_ADMIN_ROLE",
    "TOKEN_MINTER_ADMIN_ROLE",
    "TOKEN_MINTER_ROLE",
    "WAD",
    "BudgetParams",
    "Stack",
    "StackConfig",
    "deploy_stack",
]

WAD = 10**18


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


Call = tuple[Any, str, Sequence[Any]]  # (contract handle, function name, arguments)


@dataclass
class Stack:
    """Handles on a deployed stack plus the actors that drive it."""

    chain: Chain
    governance: Governance
    budget: Any
    deployer: str
    guardian: str
    delegates: list[str]
    layer: ProgrammeLayer | None = None

    @property
    def factory(self):
        return self.layer.factory if self.layer else None

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
    guardian = chain.actor("guardian")
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

    return Stack(chain, governance, budget, deployer, guardian, delegates, layer)
