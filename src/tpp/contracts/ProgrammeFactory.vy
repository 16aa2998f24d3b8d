# pragma version ~=0.4.3
# pragma optimize gas
"""
@title ProgrammeFactory
@license AGPL-3.0-only
@notice Creates many programmes in one call, so one Token-governor vote starts a whole
        portfolio. Each programme is a controller, a mechanism and a first epoch minter, all
        minimal proxies (EIP-1167) of shared implementations initialised in the same call,
        and its first epoch is admitted by the Budget in the same call too: a programme that
        breaks a bound makes the whole batch revert with the Budget's reason.
        Lifecycle: deployed with the implementations; the TPP executor grants it the Budget's
        ADMITTER_ADMIN_ROLE (so it can let each new programme admit its later epochs); the
        TPP executor calls `create_programmes` in TPP proposals.
@dev Only the TPP executor creates. The factory holds no tokens and no minting power.
@custom:kill Revoke the factory's ADMITTER_ADMIN_ROLE on the Budget: it can then create
     nothing that mints.
"""

from snekmate.auth.interfaces import IAccessControl

from .interfaces import IMechanismInit
from .interfaces import IProgramme
from . import constants as c
from . import programme_spec

# Most programmes one call creates (a 30M-gas proposal holds well under this many).
_MAX_BATCH: constant(uint256) = 128
# Most mechanism kinds one factory knows (kind codes 1.._MAX_KINDS).
_MAX_KINDS: constant(uint256) = 16

# The Budget: each new programme gets its ADMITTER_ROLE (c.ADMITTER_ROLE) from the factory.
BUDGET: public(immutable(address))
# The TPP executor: the only caller of `create_programmes`.
EXECUTOR: public(immutable(address))
# The Programme implementation every programme proxy delegates to.
PROGRAMME_IMPLEMENTATION: public(immutable(address))
# The mechanism implementation of each kind, kind code k at index k - 1 (kind codes are
# registered in tpp.model.kinds): a new kind is a new implementation, not a new factory.
_IMPLEMENTATIONS: immutable(DynArray[address, _MAX_KINDS])

# Number of programmes created so far; the next one's index.
programme_count: public(uint256)
# Programmes created so far, by 0-based index in order of creation.
programme_at: public(HashMap[uint256, address])


event ProgrammeCreated:
    programme: indexed(address)
    mechanism: indexed(address)
    index: uint256
    kind: uint8
    metadata_uri: String[programme_spec.MAX_URI]


@deploy
def __init__(budget: address, executor: address, programme_impl: address, mechanism_impls: DynArray[address, _MAX_KINDS]):
    """
    @param budget The Budget, which must grant this factory ADMITTER_ADMIN_ROLE.
    @param executor The TPP executor: the only creator.
    @param programme_impl The Programme implementation.
    @param mechanism_impls One mechanism implementation per kind, in kind-code order (code 1
           first): LinearStream, StakingRewards, … Each has `initialize(programme, target)`.
    """
    assert budget != empty(address), "factory: zero budget"
    assert executor != empty(address), "factory: zero executor"
    assert programme_impl != empty(address), "factory: zero implementation"
    assert len(mechanism_impls) != 0, "factory: no mechanism kinds"
    for impl: address in mechanism_impls:
        assert impl != empty(address), "factory: zero implementation"
    BUDGET = budget
    EXECUTOR = executor
    PROGRAMME_IMPLEMENTATION = programme_impl
    _IMPLEMENTATIONS = mechanism_impls


@external
@view
def implementation(kind: uint8) -> address:
    """
    @notice The mechanism implementation the factory clones for `kind`.
    @param kind A mechanism kind code (1 = stream, 2 = staking, …).
    @return The implementation, or the zero address for a kind this factory does not know.
    """
    if kind == 0 or convert(kind, uint256) > len(_IMPLEMENTATIONS):
        return empty(address)
    return _IMPLEMENTATIONS[convert(kind, uint256) - 1]


@external
@view
def kind_count() -> uint256:
    """
    @notice How many mechanism kinds this factory creates (codes 1..kind_count).
    @return The number of kinds.
    """
    return len(_IMPLEMENTATIONS)


@external
def create_programmes(specs: DynArray[programme_spec.ProgrammeSpec, _MAX_BATCH]) -> DynArray[address, _MAX_BATCH]:
    """
    @notice Creates one programme per spec and admits each first epoch; all or nothing.
    @param specs One spec per programme (at most 128), in creation order.
    @return The new programmes' addresses, in the order of `specs`.
    """
    assert msg.sender == EXECUTOR, "factory: caller is not the executor"
    created: DynArray[address, _MAX_BATCH] = []
    index: uint256 = self.programme_count
    for spec: programme_spec.ProgrammeSpec in specs:
        programme: address = create_minimal_proxy_to(PROGRAMME_IMPLEMENTATION)
        assert spec.kind != 0 and convert(spec.kind, uint256) <= len(_IMPLEMENTATIONS), "factory: unknown mechanism kind"
        mechanism: address = create_minimal_proxy_to(_IMPLEMENTATIONS[convert(spec.kind, uint256) - 1])
        extcall IMechanismInit(mechanism).initialize(programme, spec.target, spec.params)
        extcall IAccessControl(BUDGET).grantRole(c.ADMITTER_ROLE, programme)
        extcall IProgramme(programme).initialize(spec, mechanism)
        self.programme_at[index] = programme
        log ProgrammeCreated(programme=programme, mechanism=mechanism, index=index, kind=spec.kind, metadata_uri=spec.metadata_uri)
        created.append(programme)
        index += 1
    self.programme_count = index
    return created
