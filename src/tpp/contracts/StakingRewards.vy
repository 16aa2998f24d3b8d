# pragma version ~=0.4.3
# pragma optimize gas
"""
@title StakingRewards
@license AGPL-3.0-only
@notice Shares a programme's emission pro rata among stakers of one token (an LP token),
        second by second, with a reward-per-token accumulator. Stakes carry over from epoch
        to epoch: a new epoch only points the emission clock at a new minter.
        Lifecycle: cloned and initialised by the factory with its programme and stake token;
        users `stake`, `withdraw`, `claim`; anyone may `drip()` what has accrued into the
        contract so claims are plain transfers; accrual stops at each epoch's end, while the
        guardian halts it, and for good when the programme ends. Stakes can always be
        withdrawn, whatever the programme's state.
@dev Known pitfalls of the Synthetix/Uniswap design, and what this contract does instead:
     - emission for time with nothing staked is dropped at the tick, so it is never minted
       (unused cap, not stranded tokens);
     - rounding always favours the contract, and is bounded whatever the stake token's
       decimals or the rate: each tick adds floor(amount * 1e36 / total_staked) to the
       accumulator, which withholds less than total_staked / 1e36 wei from the stakers
       together (from one staker: less than its balance / 1e36 wei); settled rewards are
       kept unrounded, so only the payout floors (less than 1 wei). A claim therefore pays
       at most E, the staker's exact pro-rata share of the ticked emission since its last
       claim, and more than E - 1 - sum(balance / 1e36) over the k ticks in between (a tick
       is one second or more of accrual, so k is at most the seconds accrued). `stake` caps
       total_staked at _MAX_TOTAL_STAKE = 1e30 units (1e12 tokens of 18 decimals, 1e24 of
       6), so a claim pays more than E - 1 - k / 1e6 wei: floor(E), or 1 wei less, for
       k <= 1e6, and every tick withholds less than 1e-6 wei in total. Without the cap,
       "1 wei per claim" would no longer hold for a staker above 1e36 / k units; above
       1e36 units a tick can withhold whole wei, and one worth less than
       total_staked / 1e36 wei adds nothing to the accumulator while it is still minted
       (stranded in `held`);
     - rewards are minted (dripped) on demand, so there is no "notifyRewardAmount" balance
       check and the stake token may differ from the reward token without any balance trick:
       stakes are tracked in `total_staked`, rewards in `held`;
     - a staker's paid-per-token is set when they stake, so nobody is paid for time before
       they joined.
     Invariants: sum(paid) <= held + paid == minted <= accrued <= the minters' unlocks.
@custom:kill The programme halts accrual and closes the epoch minter on KILL; stakes stay
     withdrawable and rewards already accrued stay claimable: dripped by the final settlement
     or, after a kill while the Budget is paused, minted by claims once it unpauses.
"""

from ethereum.ercs import IERC20
from .interfaces import IMechanism
from .interfaces import IStakingRewards
from . import emission

implements: IMechanism
implements: IStakingRewards

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

# Fixed-point scale of the accumulator: 36 decimals, enough for 6-decimal stake tokens.
_ACC_SCALE: constant(uint256) = 10**36
# Most stake token units all stakers together may deposit (1e12 tokens of 18 decimals, 1e24
# of 6): keeps the accumulator's rounding under 1e-6 wei per tick (see the header).
_MAX_TOTAL_STAKE: constant(uint256) = 10**30

# The governance token rewards are paid in (shared by every clone).
REWARD_TOKEN: public(immutable(IERC20))

# The token stakers deposit; set once at initialisation.
stake_token: public(IERC20)
# Stake token units deposited by all stakers; the accumulator's denominator.
total_staked: public(uint256)
# Stake token units deposited per staker; always withdrawable.
balanceOf: public(HashMap[address, uint256])
# Reward wei per staked unit, scaled by _ACC_SCALE, since the first epoch.
reward_per_token: public(uint256)
# Accumulator value each staker was last settled at.
paid_per_token: public(HashMap[address, uint256])
# Reward settled to a staker but not yet claimed, in wei * _ACC_SCALE: kept unrounded, so
# however often a staker is settled (stake, withdraw, claim) only the payout itself rounds.
_rewards: HashMap[address, uint256]


event Staked:
    staker: indexed(address)
    amount: uint256


event Withdrawn:
    staker: indexed(address)
    amount: uint256


event RewardPaid:
    staker: indexed(address)
    amount: uint256


event Dripped:
    caller: indexed(address)
    amount: uint256


interface IGate:
    def credential(account: address, proof: Bytes[2048]) -> bytes32: view


# Who may stake and claim (an eligibility gate; empty: anyone), how many epochs have opened, and
# which account each credential backs in an epoch: one credential, one staker per epoch.
gate: public(address)
epoch_count: public(uint256)
credential_holder: public(HashMap[uint256, HashMap[bytes32, address]])


@deploy
def __init__(reward_token: IERC20):
    """
    @param reward_token The governance token the Budget mints.
    """
    assert reward_token.address != empty(address), "staking: zero reward token"
    REWARD_TOKEN = reward_token
    emission._init(self)


@external
def initialize(programme: address, stake_token: IERC20, params: Bytes[2048]):
    """
    @notice Sets a fresh clone up. Called once, by the factory, in the cloning transaction.
    @param programme The programme that controls the mechanism.
    @param stake_token The token stakers deposit (an LP token); not empty.
    @param params Empty, or abi.encode(gate): an eligibility gate stakers must pass to stake
           and to claim.
    """
    assert stake_token.address != empty(address), "staking: zero stake token"
    assert len(params) == 0 or len(params) == 32, "staking: parameters are one gate address"
    emission._init(programme)
    self.stake_token = stake_token
    if len(params) == 32:
        gate: address = abi_decode(params, address)
        assert gate != empty(address), "staking: zero gate"
        self.gate = gate
        emission._clock = emission._clock | emission._GATED_BIT


@external
def stake(amount: uint256, credential_proof: Bytes[2048] = b""):
    """
    @notice Deposits `amount` of the stake token; rewards accrue from this second on.
    @param amount Stake token units; not zero; the caller has approved them; all stakes
           together stay at most 1e30 units (_MAX_TOTAL_STAKE).
    @param credential_proof What the pool's eligibility gate (if any) needs to admit the caller.
    """
    assert amount != 0, "staking: zero amount"
    self._update(msg.sender)
    if emission._clock & emission._GATED_BIT != 0:
        self._admit(msg.sender, credential_proof)
    staked: uint256 = self.total_staked + amount
    assert staked <= _MAX_TOTAL_STAKE, "staking: total stake above limit"
    self.total_staked = staked
    self.balanceOf[msg.sender] += amount
    assert extcall self.stake_token.transferFrom(msg.sender, self, amount, default_return_value=True), "staking: transfer failed"
    log Staked(staker=msg.sender, amount=amount)


@external
def withdraw(amount: uint256):
    """
    @notice Takes `amount` of the stake back; always possible, whatever the programme's state.
    @param amount Stake token units; not zero, at most the caller's stake.
    """
    assert amount != 0, "staking: zero amount"
    assert amount <= self.balanceOf[msg.sender], "staking: amount above stake"
    self._update(msg.sender)
    self.total_staked -= amount
    self.balanceOf[msg.sender] -= amount
    assert extcall self.stake_token.transfer(msg.sender, amount, default_return_value=True), "staking: transfer failed"
    log Withdrawn(staker=msg.sender, amount=amount)


@external
def claim(credential_proof: Bytes[2048] = b"") -> uint256:
    """
    @notice Pays the caller's rewards; drips first if the contract holds too little.
    @param credential_proof What the pool's eligibility gate (if any) needs to admit the caller.
    @return The amount paid (wei).
    """
    self._update(msg.sender)
    if emission._clock & emission._GATED_BIT != 0:
        self._admit(msg.sender, credential_proof)
    scaled: uint256 = self._rewards[msg.sender]
    amount: uint256 = scaled // _ACC_SCALE
    if amount == 0:
        return 0
    remainder: uint256 = 0
    if emission._held() < amount:
        dripped: uint256 = emission._mint_available(self)
        if dripped != 0:
            emission._set_held(emission._held() + dripped)
            log Dripped(caller=msg.sender, amount=dripped)
        held: uint256 = emission._held()
        if held < amount:
            # Short only while the minter cannot mint what is owed now (a guardian halt
            # pauses it): pay what is held and keep the rest owed, to be claimed later.
            remainder = scaled - held * _ACC_SCALE
            amount = held
    # The fraction of a wei below the payout is dropped (at most 1 wei per claim); clearing
    # the slot refunds most of what settling it cost.
    self._rewards[msg.sender] = remainder
    emission._set_held(emission._held() - amount)
    assert extcall REWARD_TOKEN.transfer(msg.sender, amount, default_return_value=True), "staking: transfer failed"
    log RewardPaid(staker=msg.sender, amount=amount)
    return amount


@external
def drip() -> uint256:
    """
    @notice Mints everything accrued so far into this contract; anyone may call it, so a
            keeper can batch the minting and claims stay plain transfers.
    @return Wei minted into this contract.
    """
    self._update(empty(address))
    return self._drip()


@external
@view
def earned(staker: address) -> uint256:
    """
    @notice Rewards (wei) `staker` could claim now.
    @param staker Any address.
    @return Wei settled plus accrued since, rounded down.
    """
    rpt: uint256 = self.reward_per_token
    if self.total_staked != 0:
        rpt += emission._pending() * _ACC_SCALE // self.total_staked
    return (self._rewards[staker] + self.balanceOf[staker] * (rpt - self.paid_per_token[staker])) // _ACC_SCALE


@external
def start_epoch(minter: address, start: uint256, end: uint256, cap: uint256):
    """
    @notice Drips what the old epoch owes, then points emission at `minter` over [start, end].
    @dev Programme only.
    @param minter The new epoch's minter; this contract holds its MINTER_ROLE.
    @param start The epoch's start (unix seconds).
    @param end The epoch's end (unix seconds); after `start`.
    @param cap Most tokens (wei) the epoch emits.
    """
    emission._only_programme()
    self._update(empty(address))
    if emission.minter.address != empty(address):
        amount: uint256 = emission._settle_old(self)
        if amount != 0:
            emission._set_held(emission._held() + amount)
            log Dripped(caller=msg.sender, amount=amount)
    emission._switch(minter, start, end, cap)
    self.epoch_count += 1


@internal
def _admit(account: address, proof: Bytes[2048]):
    """
    @dev Reverts unless the gate admits `account` and its credential backs no other account
         this epoch; binds the credential to `account` for the epoch.
    """
    credential: bytes32 = staticcall IGate(self.gate).credential(account, proof)
    assert credential != empty(bytes32), "staking: not eligible"
    epoch: uint256 = self.epoch_count
    holder: address = self.credential_holder[epoch][credential]
    assert holder == empty(address) or holder == account, "staking: credential used by another account this epoch"
    if holder == empty(address):
        self.credential_holder[epoch][credential] = account


@external
def set_halted(halted: bool):
    """
    @notice The programme halts (guardian pause, kill) or resumes accrual.
    @dev Programme only; ticks first, so what accrued before the switch is kept.
    @param halted True to halt accrual, False to resume it.
    """
    emission._only_programme()
    self._update(empty(address))
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
    self._update(empty(address))
    emission._set_throttle(name, new_value)


@external
def settle():
    """
    @notice The programme settles the epoch before closing its minter (on STOP or KILL): drips what
            can still be minted and forfeits (logs) the rest. Programme-only, so nobody can
            force a forfeit while a mint would merely have to wait.
    """
    emission._only_programme()
    self._update(empty(address))
    amount: uint256 = emission._settle_old(self)
    if amount != 0:
        emission._set_held(emission._held() + amount)
        log Dripped(caller=msg.sender, amount=amount)


@external
@view
def total_paid() -> uint256:
    """
    @notice Reward wei paid out to stakers over the contract's life (minted minus held).
    @return Wei paid.
    """
    return emission._total_minted() - emission._held()


@external
@view
def rewards(staker: address) -> uint256:
    """
    @notice Reward wei settled to `staker` and not yet claimed (rounded down).
    @param staker Any address.
    @return Wei settled at the last stake, withdraw or claim of `staker`.
    """
    return self._rewards[staker] // _ACC_SCALE


@external
@view
def held() -> uint256:
    """
    @notice Reward wei this contract holds for stakers (dripped minus paid).
    @return Wei held.
    """
    return emission._held()


@external
@view
def total_minted() -> uint256:
    """
    @notice Reward wei minted into this contract over all epochs.
    @return Wei minted.
    """
    return emission._total_minted()


@internal
def _update(staker: address):
    """
    @dev Ticks the emission clock into the accumulator, then settles `staker` (if any).
    @param staker The staker to settle, or empty to only tick.
    """
    amount: uint256 = emission._tick()
    if amount != 0:
        staked: uint256 = self.total_staked
        if staked != 0:
            self.reward_per_token += amount * _ACC_SCALE // staked
            emission._add_accrued(amount)
        # With nothing staked the tick is dropped: that emission is simply never minted.
    if staker != empty(address):
        rpt: uint256 = self.reward_per_token
        paid: uint256 = self.paid_per_token[staker]
        if paid != rpt:
            self._rewards[staker] += self.balanceOf[staker] * (rpt - paid)
            self.paid_per_token[staker] = rpt


@internal
def _drip() -> uint256:
    """
    @dev Mints everything owed into this contract and counts it as held.
    @return Wei minted.
    """
    amount: uint256 = emission._mint_owed(self)
    if amount != 0:
        emission._set_held(emission._held() + amount)
        log Dripped(caller=msg.sender, amount=amount)
    return amount
