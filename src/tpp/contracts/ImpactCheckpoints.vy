# pragma version ~=0.4.3
# pragma optimize gas
"""
@title ImpactCheckpoints
@license AGPL-3.0-only
@notice Periodic impact checkpoints: every `period` seconds of an epoch (and at its end) the
        emission that unlocked so far may be distributed to everyone who met the programme's
        criteria, in amounts computed from their results. A scorer posts a Merkle root of
        cumulative amounts (each leaf: this contract, an account, everything the account has
        earned over the programme's life) with the hash of its scoring rules and of its input
        data, so that anyone can recompute it (`tpp checkpoint score`). A dispute window
        follows; during it anyone may freeze the root by posting a bond, until the TPP
        executor resolves the dispute by keeping the root or lowering it. Once the window has
        passed unchallenged (or the executor has resolved it) the root is final and accounts
        claim the difference between their cumulative amount and what they claimed before.
        Lifecycle: cloned and initialised by the factory with its programme, its scorer and
        its parameters (period, dispute window, bond); each epoch the programme points it at
        the epoch's minter. Tokens are minted into this contract when a root is posted and
        when an epoch is settled (its minter closes then), and paid out by claims.
@dev Invariants: a root's total never exceeds the emission minted up to its checkpoint
     (checked when it is posted), Σ claimed <= the final root's total <= Σ minted <= the
     minters' unlocks; a root only becomes claimable after its dispute window, unfrozen, or
     by the executor's resolution; a resolution can only keep or lower a root's total, never
     below the previous final root's. What no root distributes carries over to later
     checkpoints; once the programme has ended and no root is pending, the executor may
     sweep what no final root assigns (`sweep`), so no token is stranded here.
@custom:kill The programme halts accrual and settles on KILL: what accrued is minted into this
     contract as far as the minter still can (the rest is forfeited); roots already posted
     stay claimable, and the scorer may still post one root for the emission up to the kill.
"""

from .interfaces import IMechanism
from . import constants as c
from . import emission

implements: IMechanism

initializes: emission

exports: (
    emission.programme,
    emission.minter,
    emission.epoch_start,
    emission.epoch_end,
    emission.rate,
    emission.throttle_bps,
    emission.last_update,
    emission.halted,
    emission.accrued,
    emission.minted_current,
    emission.minted_before,
    emission.forfeited,
)


interface IToken:
    def transfer(to: address, amount: uint256) -> bool: nonpayable


interface IProgrammeOf:
    def BUDGET() -> address: view
    def EXECUTOR() -> address: view


interface IBudgetOf:
    def TOKEN() -> address: view


interface IGate:
    def credential(account: address, proof: Bytes[2048]) -> bytes32: view


# Longest parameters blob the factory passes (programme_spec.MAX_PARAMS).
_MAX_PARAMS: constant(uint256) = 2048
# Deepest Merkle proof accepted (trees of up to 2**32 leaves).
_MAX_PROOF: constant(uint256) = 32
# Shortest checkpoint period and dispute window (seconds).
_MIN_PERIOD: constant(uint256) = 3600
# State layout, one slot so a claim reads and writes it once: bits 0..95 the final root's
# total (wei), 96..191 Σ claimed (wei), 192..239 when the pending root was posted (0: none
# pending), bit 240 set while the pending root is frozen by a challenge. 96 bits hold 7.9e28
# wei: far above any token's supply a Budget could allocate.
_AMOUNT96: constant(uint256) = (1 << 96) - 1
_CLAIMED_SHIFT: constant(uint256) = 96
_POSTED_SHIFT: constant(uint256) = 192
_FROZEN_BIT: constant(uint256) = 1 << 240
# Set when claims must pass the eligibility gate (read from the same slot: ungated claims pay nothing for it).
_GATED_BIT: constant(uint256) = 1 << 241

# The token every clone pays out: the Budget's (checked when a clone is initialised).
TOKEN: public(immutable(address))

# Posts roots (a Safe that runs `tpp checkpoint score`); set once.
scorer: public(address)
# Seconds between checkpoints of an epoch; the epoch's end is always a checkpoint.
period: public(uint256)
# Seconds after posting during which a root can be challenged.
dispute_window: public(uint256)
# Wei (native) a challenge must post; returned if the executor lowers the root.
bond: public(uint256)
# Final root total, Σ claimed, pending-root timestamp and frozen flag (layout above).
_state: uint256
# The final root claims are checked against (empty before the first final root).
root: public(bytes32)
# Roots posted so far (the pending one included); the n-th root is checkpoint number n.
root_count: public(uint256)
# The pending root, its total, and the checkpoint time it covers.
pending_root: public(bytes32)
pending_total: public(uint256)
pending_checkpoint: public(uint256)
# Who froze the pending root (empty: not challenged).
challenger: public(address)
# Checkpoint time the final root covers.
root_checkpoint: public(uint256)
# The latest checkpoint that has passed (unix seconds) and the emission minted or mintable up
# to it over the programme's life (wei): the most a root for it may distribute.
checkpoint_at: public(uint256)
checkpoint_emission: public(uint256)
# Each account's cumulative amount claimed.
claimed: public(HashMap[address, uint256])
# Native bonds (wei) waiting to be withdrawn: refunds to challengers, forfeits to the executor.
bonds: public(HashMap[address, uint256])
# Set when the programme settles for the last time (STOP or KILL).
ended: public(bool)
# Who may claim (an eligibility gate; empty: anyone in the tree), how many epochs have opened,
# and which account each credential backs in an epoch: one credential, one claimant per epoch.
gate: public(address)
epoch_count: public(uint256)
credential_holder: public(HashMap[uint256, HashMap[bytes32, address]])


event RootPosted:
    number: indexed(uint256)
    root: bytes32
    total: uint256
    checkpoint: uint256
    rules_hash: bytes32
    data_hash: bytes32


event Challenged:
    number: indexed(uint256)
    challenger: indexed(address)
    bond: uint256


event Resolved:
    number: indexed(uint256)
    root: bytes32
    total: uint256
    upheld: bool


event Finalised:
    number: indexed(uint256)
    root: bytes32
    total: uint256


event Claimed:
    account: indexed(address)
    amount: uint256
    cumulative: uint256


event Swept:
    to: indexed(address)
    amount: uint256


@deploy
def __init__(token: address):
    """
    @notice Deploys the implementation every checkpoints clone delegates to.
    @param token The token the clones pay out (the Budget's); not empty.
    """
    assert token != empty(address), "checkpoints: zero token"
    TOKEN = token
    emission._init(self)


@external
def initialize(programme: address, scorer: address, params: Bytes[_MAX_PARAMS]):
    """
    @notice Sets a fresh clone up. Called once, by the factory, in the cloning transaction.
    @param programme The programme that controls the mechanism.
    @param scorer Posts the roots; not empty.
    @param params abi.encode(period, dispute_window, bond, gate): seconds between checkpoints
           (at least an hour), seconds a root can be challenged (at least an hour, shorter
           than the period), the native bond a challenge posts (wei, not zero) and an
           eligibility gate claimants must pass (empty: none).
    """
    assert scorer != empty(address), "checkpoints: zero scorer"
    period: uint256 = 0
    window: uint256 = 0
    bond: uint256 = 0
    gate: address = empty(address)
    period, window, bond, gate = abi_decode(params, (uint256, uint256, uint256, address))
    assert period >= _MIN_PERIOD and period <= c.TIME_MASK, "checkpoints: period out of range"
    assert window >= _MIN_PERIOD, "checkpoints: dispute window under an hour"
    assert window < period, "checkpoints: dispute window not shorter than the period"
    assert bond != 0, "checkpoints: zero bond"
    assert bond <= c.CAP_MASK, "checkpoints: bond out of range"
    emission._init(programme)
    assert staticcall IBudgetOf(staticcall IProgrammeOf(programme).BUDGET()).TOKEN() == TOKEN, "checkpoints: not the Budget's token"
    self.scorer = scorer
    self.period = period
    self.dispute_window = window
    self.bond = bond
    if gate != empty(address):
        self.gate = gate
        self._state = _GATED_BIT


# --- roots ---------------------------------------------------------------------------------------


@external
def post_root(root: bytes32, total: uint256, rules_hash: bytes32, data_hash: bytes32):
    """
    @notice The scorer posts the root of the latest checkpoint that has passed.
    @dev Scorer only. The previous root must be final; `total` (wei, Σ of the leaves'
         cumulative amounts) may not fall below the final root's nor exceed the emission up
         to the checkpoint. Mints what has accrued into this contract first.
    @param root Merkle root of leaves keccak256(abi.encode(this, account, cumulative)), pairs
           hashed in sorted order.
    @param total Σ cumulative amounts in the tree (wei).
    @param rules_hash keccak256 of the scoring rules the tree was computed with.
    @param data_hash keccak256 of the input data it was computed from.
    """
    assert msg.sender == self.scorer, "checkpoints: caller is not the scorer"
    assert root != empty(bytes32), "checkpoints: empty root"
    self._advance()
    if not self.ended:
        emission._mint_available(self)
    state: uint256 = self._promote(self._state)
    assert (state >> _POSTED_SHIFT) & c.TIME_MASK == 0, "checkpoints: a root is pending"
    at: uint256 = self.checkpoint_at
    assert at > self.root_checkpoint and at != 0, "checkpoints: no new checkpoint has passed"
    assert total >= state & _AMOUNT96, "checkpoints: total below the final root's"
    assert total <= _AMOUNT96, "checkpoints: total above 96 bits"
    assert total <= self.checkpoint_emission, "checkpoints: total above the emission up to the checkpoint"
    assert total <= emission._total_minted(), "checkpoints: emission not mintable yet"
    number: uint256 = self.root_count + 1
    self.root_count = number
    self.pending_root = root
    self.pending_total = total
    self.pending_checkpoint = at
    self._state = state | (block.timestamp << _POSTED_SHIFT)
    log RootPosted(number=number, root=root, total=total, checkpoint=at, rules_hash=rules_hash, data_hash=data_hash)


@external
@payable
def challenge():
    """
    @notice Freezes the pending root until the executor resolves it; anyone may challenge
            during the dispute window by sending exactly `bond` wei.
    """
    state: uint256 = self._state
    posted: uint256 = (state >> _POSTED_SHIFT) & c.TIME_MASK
    assert posted != 0, "checkpoints: no root pending"
    assert state & _FROZEN_BIT == 0, "checkpoints: already challenged"
    assert block.timestamp < posted + self.dispute_window, "checkpoints: dispute window over"
    assert msg.value == self.bond, "checkpoints: wrong bond"
    self._state = state | _FROZEN_BIT
    self.challenger = msg.sender
    log Challenged(number=self.root_count, challenger=msg.sender, bond=msg.value)


@external
def resolve(root: bytes32, total: uint256):
    """
    @notice The TPP executor resolves a challenge: keeping the root (the challenger's bond goes
            to the executor) or replacing it with one whose total is not higher (the bond is
            returned). Either way the root is final at once.
    @dev Executor only; the pending root must be frozen.
    @param root The root to finalise: the pending one to reject the challenge, another to uphold it.
    @param total Its total (wei); at most the pending total, at least the final root's.
    """
    assert msg.sender == staticcall IProgrammeOf(emission.programme).EXECUTOR(), "checkpoints: caller is not the executor"
    state: uint256 = self._state
    assert state & _FROZEN_BIT != 0, "checkpoints: no challenged root"
    assert root != empty(bytes32), "checkpoints: empty root"
    assert total <= self.pending_total, "checkpoints: a resolution cannot raise the total"
    assert total >= state & _AMOUNT96, "checkpoints: total below the final root's"
    upheld: bool = root != self.pending_root or total != self.pending_total
    winner: address = self.challenger if upheld else msg.sender
    self.bonds[winner] += self.bond
    self.challenger = empty(address)
    self.pending_root = root
    self.pending_total = total
    self._state = self._finalise(state)
    log Resolved(number=self.root_count, root=root, total=total, upheld=upheld)


@external
def withdraw_bond() -> uint256:
    """
    @notice Sends the caller the bonds it is owed (a refund, or forfeits to the executor).
    @return Wei sent.
    """
    amount: uint256 = self.bonds[msg.sender]
    assert amount != 0, "checkpoints: no bond owed"
    self.bonds[msg.sender] = 0
    raw_call(msg.sender, b"", value=amount)
    return amount


@external
def finalise() -> bool:
    """
    @notice Makes the pending root final once its dispute window has passed unchallenged;
            anyone may call it (claims do it too).
    @return Whether a root became final.
    """
    state: uint256 = self._state
    promoted: uint256 = self._promote(state)
    if promoted == state:
        return False
    self._state = promoted
    return True


# --- claims --------------------------------------------------------------------------------------


@external
def claim(
    account: address, cumulative: uint256, proof: DynArray[bytes32, _MAX_PROOF], credential_proof: Bytes[2048] = b""
) -> uint256:
    """
    @notice Pays `account` what the final root gives it beyond what it claimed before;
            anyone may call it on the account's behalf.
    @param account The leaf's account; receives the tokens.
    @param cumulative The leaf's cumulative amount (wei).
    @param proof Sibling hashes from the leaf up to the root.
    @param credential_proof What the eligibility gate (if any) needs to admit `account`.
    @return Wei paid.
    """
    state: uint256 = self._state
    if (state >> _POSTED_SHIFT) & c.TIME_MASK != 0:
        state = self._promote(state)
    if state & _GATED_BIT != 0:
        credential: bytes32 = staticcall IGate(self.gate).credential(account, credential_proof)
        assert credential != empty(bytes32), "checkpoints: not eligible"
        epoch: uint256 = self.epoch_count
        holder: address = self.credential_holder[epoch][credential]
        assert holder == empty(address) or holder == account, "checkpoints: credential used by another account this epoch"
        self.credential_holder[epoch][credential] = account
    node: bytes32 = keccak256(abi_encode(self, account, cumulative))
    for sibling: bytes32 in proof:
        if convert(node, uint256) < convert(sibling, uint256):
            node = keccak256(concat(node, sibling))
        else:
            node = keccak256(concat(sibling, node))
    assert node == self.root, "checkpoints: invalid proof"
    before: uint256 = self.claimed[account]
    assert cumulative > before, "checkpoints: nothing to claim"
    amount: uint256 = cumulative - before
    claimed_total: uint256 = ((state >> _CLAIMED_SHIFT) & _AMOUNT96) + amount
    assert claimed_total <= state & _AMOUNT96, "checkpoints: claims above the root's total"
    self.claimed[account] = cumulative
    self._state = (state & ~(_AMOUNT96 << _CLAIMED_SHIFT)) | (claimed_total << _CLAIMED_SHIFT)
    assert extcall IToken(TOKEN).transfer(account, amount, default_return_value=True)
    log Claimed(account=account, amount=amount, cumulative=cumulative)
    return amount


@external
def sweep(to: address) -> uint256:
    """
    @notice Once the programme has ended and no root is pending, sends what no final root
            assigns (minted but never distributed) to `to`, so no token is stranded here.
    @dev Executor only.
    @param to Receives the tokens (the DAO's treasury); not empty.
    @return Wei sent.
    """
    assert msg.sender == staticcall IProgrammeOf(emission.programme).EXECUTOR(), "checkpoints: caller is not the executor"
    assert to != empty(address), "checkpoints: zero recipient"
    assert self.ended, "checkpoints: programme still running"
    state: uint256 = self._promote(self._state)
    assert (state >> _POSTED_SHIFT) & c.TIME_MASK == 0, "checkpoints: a root is pending"
    amount: uint256 = emission._total_minted() - (state & _AMOUNT96)
    assert amount != 0, "checkpoints: nothing to sweep"
    # Counted as assigned and claimed: the final root's total grows by what leaves here, so
    # the same tokens can never be assigned again.
    total: uint256 = (state & _AMOUNT96) + amount
    claimed_total: uint256 = ((state >> _CLAIMED_SHIFT) & _AMOUNT96) + amount
    assert total <= _AMOUNT96, "checkpoints: total above 96 bits"
    self._state = (state & ~(_AMOUNT96 | (_AMOUNT96 << _CLAIMED_SHIFT))) | total | (claimed_total << _CLAIMED_SHIFT)
    assert extcall IToken(TOKEN).transfer(to, amount, default_return_value=True)
    log Swept(to=to, amount=amount)
    return amount


# --- the programme's calls -----------------------------------------------------------------------


@external
def start_epoch(minter: address, start: uint256, end: uint256, cap: uint256):
    """
    @notice Mints what the old epoch accrued into this contract (its minter closes next), then
            streams from `minter`.
    @dev Programme only.
    @param minter The new epoch's minter; this contract holds its MINTER_ROLE.
    @param start The epoch's start (unix seconds).
    @param end The epoch's end (unix seconds); after `start`.
    @param cap Most tokens (wei) the epoch emits.
    """
    emission._only_programme()
    self._advance()
    self._settle_epoch()
    emission._switch(minter, start, end, cap)
    self.epoch_count += 1


@external
def set_halted(halted: bool):
    """
    @notice The programme halts (guardian pause, kill) or resumes accrual.
    @dev Programme only; ticks first, so what accrued before the switch counts.
    @param halted True to halt accrual, False to resume it.
    """
    emission._only_programme()
    self._advance()
    emission._set_halted(halted)


@external
def set_dial(name: bytes32, new_value: uint256):
    """
    @notice The programme moves a dial for its steward; only `throttle_bps` exists here.
    @dev Programme only; ticks first, so the new value applies from now on.
    @param name keccak256 of the dial's name ("throttle_bps").
    @param new_value The new value (basis points, at most 10_000).
    """
    emission._only_programme()
    self._advance()
    emission._set_throttle(name, new_value)


@external
def settle():
    """
    @notice The programme's last settlement (STOP or KILL): mints what accrued into this
            contract as far as the minter can (the rest is forfeited) and makes now the last
            checkpoint; roots keep being posted, finalised and claimed afterwards.
    @dev Programme only.
    """
    emission._only_programme()
    self._advance()
    self._settle_epoch()
    self.ended = True


# --- views ---------------------------------------------------------------------------------------


@external
@view
def root_total() -> uint256:
    """
    @return Σ cumulative amounts of the final root (wei).
    """
    return self._state & _AMOUNT96


@external
@view
def total_claimed() -> uint256:
    """
    @return Wei claimed over the programme's life (swept tokens included).
    """
    return (self._state >> _CLAIMED_SHIFT) & _AMOUNT96


@external
@view
def pending_since() -> uint256:
    """
    @return When the pending root was posted (0: none pending).
    """
    return (self._state >> _POSTED_SHIFT) & c.TIME_MASK


@external
@view
def frozen() -> bool:
    """
    @return Whether the pending root is frozen by a challenge.
    """
    return self._state & _FROZEN_BIT != 0


@external
@view
def latest_checkpoint() -> uint256:
    """
    @return The latest checkpoint time of the current epoch that has passed (0: none yet).
    """
    return self._checkpoint_time(emission._clock, block.timestamp)


@external
@view
def unassigned() -> uint256:
    """
    @return Wei minted into this contract that no final root assigns yet.
    """
    return self._unassigned()


@external
@view
def total_paid() -> uint256:
    """
    @notice Wei paid out of this contract over all epochs (claims and sweeps).
    @return Wei paid.
    """
    return (self._state >> _CLAIMED_SHIFT) & _AMOUNT96


@external
@view
def total_minted() -> uint256:
    """
    @notice Wei minted into this contract over all epochs.
    @return Wei minted.
    """
    return emission._total_minted()


# --- internals -----------------------------------------------------------------------------------


@internal
@view
def _unassigned() -> uint256:
    return emission._total_minted() - (self._state & _AMOUNT96)


@internal
@view
def _checkpoint_time(clock: uint256, now: uint256) -> uint256:
    """
    @dev The latest checkpoint of the clock's epoch at or before `now`: start + k * period
         for k >= 1, and the epoch's end; 0 if none has passed yet.
    """
    start: uint256 = (clock >> emission._START_SHIFT) & c.TIME_MASK
    end: uint256 = (clock >> emission._END_SHIFT) & c.TIME_MASK
    if end == 0 or now < start:
        return 0
    if now >= end:
        return end
    k: uint256 = (now - start) // self.period
    if k == 0:
        return 0
    return start + k * self.period


@internal
def _advance():
    """
    @dev Before every tick: if a checkpoint has passed since the last snapshot, records the
         emission up to it (the clock's rate, throttle and halt held since the last tick, so
         the amount is exact), then ticks and counts the emission as accrued.
    """
    clock: uint256 = emission._clock
    t: uint256 = self._checkpoint_time(clock, block.timestamp)
    if t > self.checkpoint_at:
        pending: uint256 = 0
        if t > clock & c.TIME_MASK:
            pending = emission._pending_until(clock, t)
        self.checkpoint_at = t
        self.checkpoint_emission = emission.minted_before + emission._accrued() + pending
    emission._add_accrued(emission._tick())


@internal
def _settle_epoch():
    """
    @dev Mints everything the current epoch accrued into this contract (as far as its minter
         still can; the rest is forfeited), then makes now the checkpoint that closes it.
    """
    if emission.minter.address == empty(address):
        return
    minted: uint256 = emission._settle_old(self)
    end: uint256 = (emission._clock >> emission._END_SHIFT) & c.TIME_MASK
    self.checkpoint_at = max(self.checkpoint_at, min(block.timestamp, end))
    self.checkpoint_emission = emission._total_minted()


@internal
def _promote(state: uint256) -> uint256:
    """
    @dev Makes the pending root final if its dispute window has passed unfrozen.
    @param state The current state word.
    @return The state to store (unchanged if nothing became final).
    """
    posted: uint256 = (state >> _POSTED_SHIFT) & c.TIME_MASK
    if posted == 0 or state & _FROZEN_BIT != 0 or block.timestamp < posted + self.dispute_window:
        return state
    return self._finalise(state)


@internal
def _finalise(state: uint256) -> uint256:
    """
    @dev The pending root becomes the one claims are checked against.
    @param state The current state word.
    @return The state to store: the pending total as the final one, nothing pending, not frozen.
    """
    root: bytes32 = self.pending_root
    total: uint256 = self.pending_total
    self.root = root
    self.root_checkpoint = self.pending_checkpoint
    log Finalised(number=self.root_count, root=root, total=total)
    return (state & ~(_FROZEN_BIT | (c.TIME_MASK << _POSTED_SHIFT) | _AMOUNT96)) | total
