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

from . import programme_spec

interface IProgramme:
    def initialize(spec: programme_spec.ProgrammeSpec, mechanism: address): nonpayable

interface IStream:
    def initialize(programme: address, recipient: address): nonpayable

interface IStaking:
    def initialize(programme: address, stake_token: address): nonpayable

interface IAccessControl:
    def grantRole(role: bytes32, account: address): nonpayable

# Most programmes one call creates (a 30M-gas proposal holds well under this many).
MAX_BATCH: constant(uint256) = 128
# The Budget role each programme needs to admit its later epochs.
ADMITTER_ROLE: constant(bytes32) = keccak256("ADMITTER_ROLE")

# The Budget, and the TPP executor (the only creator).
BUDGET: public(immutable(address))
EXECUTOR: public(immutable(address))
# Implementations the proxies delegate to.
PROGRAMME_IMPLEMENTATION: public(immutable(address))
STREAM_IMPLEMENTATION: public(immutable(address))
STAKING_IMPLEMENTATION: public(immutable(address))

# Programmes created so far, in order.
programme_count: public(uint256)
programme_at: public(HashMap[uint256, address])


event ProgrammeCreated:
    programme: indexed(address)
    mechanism: indexed(address)
    index: uint256
    kind: uint8
    metadata_uri: String[programme_spec.MAX_URI]


@deploy
def __init__(budget: address, executor: address, programme_impl: address, stream_impl: address, staking_impl: address):
    assert budget != empty(address), "factory: zero budget"
    assert executor != empty(address), "factory: zero executor"
    assert programme_impl != empty(address) and stream_impl != empty(address) and staking_impl != empty(address), "factory: zero implementation"
    BUDGET = budget
    EXECUTOR = executor
    PROGRAMME_IMPLEMENTATION = programme_impl
    STREAM_IMPLEMENTATION = stream_impl
    STAKING_IMPLEMENTATION = staking_impl


@external
def create_programmes(specs: DynArray[programme_spec.ProgrammeSpec, MAX_BATCH]) -> DynArray[address, MAX_BATCH]:
    """
    @notice Creates one programme per spec and admits each first epoch; all or nothing.
    @return The new programmes' addresses, in the order of `specs`.
    """
    assert msg.sender == EXECUTOR, "factory: caller is not the executor"
    created: DynArray[address, MAX_BATCH] = []
    index: uint256 = self.programme_count
    for spec: programme_spec.ProgrammeSpec in specs:
        programme: address = create_minimal_proxy_to(PROGRAMME_IMPLEMENTATION)
        mechanism: address = empty(address)
        if spec.kind == programme_spec.STREAM:
            mechanism = create_minimal_proxy_to(STREAM_IMPLEMENTATION)
            extcall IStream(mechanism).initialize(programme, spec.target)
        elif spec.kind == programme_spec.STAKING:
            mechanism = create_minimal_proxy_to(STAKING_IMPLEMENTATION)
            extcall IStaking(mechanism).initialize(programme, spec.target)
        else:
            raise "factory: unknown mechanism kind"
        extcall IAccessControl(BUDGET).grantRole(ADMITTER_ROLE, programme)
        extcall IProgramme(programme).initialize(spec, mechanism)
        self.programme_at[index] = programme
        log ProgrammeCreated(programme=programme, mechanism=mechanism, index=index, kind=spec.kind, metadata_uri=spec.metadata_uri)
        created.append(programme)
        index += 1
    self.programme_count = index
    return created
