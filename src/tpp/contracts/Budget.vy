# pragma version ~=0.4.3
# pragma optimize gas
"""
@title Budget
@license AGPL-3.0-only
@notice The one minter between the token and every programme. Governance (GAPs, executed
        by the GAP executor) sets the global bounds here: the inflation threshold (the most
        tokens per second all programmes together may be scheduled to emit), the lifetime
        allocation, the largest share of the remaining allocation one epoch may take, the
        decision-cycle calendar and the delegate-load limit. The TPP executor, or a factory
        or programme it authorised, asks the Budget to admit each epoch minter with its
        (cap, start, end); the Budget admits it only if every bound holds, and from then on
        lets that minter mint no faster than its linear schedule. Anyone can read the
        scheduled supply curve, the aggregate rate and the headroom left.
        Lifecycle: deployed with the token and the executors; the token grants it MINTER_ROLE;
        epochs are admitted and mint; parameters move by GAP votes; it ends by `close()`.
@dev Invariants: for every admitted minter, minted <= cap * (now - start) / (end - start)
     (so total minted <= scheduled_supply(now)); the aggregate scheduled rate is at or under
     the threshold in force at each admission, at every instant of every admitted interval;
     the sum of admitted caps is at or under the allocation in force at each admission;
     the epochs ending on a decision-cycle boundary (the decisions of the evaluation window
     closing there) are at or under the load limit in force at each admission that ends there.
     Every global parameter is bounded (see the _MAX_ constants) so that no programme's
     48-bit times can overflow. Lowering a parameter binds later admissions only: admitted
     epochs keep their schedule.
     The published curve is the truth: an admitted minter that ends early or leaves cap unused
     `release`s its schedule, after which it may mint only the total it kept; the rest of its
     cap returns to the allocation, its rate leaves the breakpoints from that second on, its
     decision leaves the window it no longer ends in, and the supply curve drops to the kept
     total from the release on (its past is left as it was, so the curve never claims less
     than was minted by any past time).
     A programme's continuation never competes for room: with its first epoch it `hold`s
     room for the epochs after it (a rate from its latest epoch's end on, with no end, and a
     reserve of the allocation), taken in the vote that created it, and each later epoch it
     admits is carved out of that hold, so no threshold, allocation or share rule is checked
     again and the order in which programmes ending on one boundary are advanced cannot
     decide which of them continue. Raising a hold is checked like an admission (a later
     ITERATE to a higher cap, in the vote that decides it); lowering it is always allowed.
     `committed` counts every admitted cap and every reserve; the breakpoints carry every
     epoch's rate and every hold, so `headroom` and `max_rate` show the room held for
     continuations as taken, while `scheduled_supply` and `rate_at` show admitted epochs only.
     The aggregate rate is kept as a sorted linked list of breakpoints keyed by timestamp,
     each holding the rate in force until the next one. Epochs that end on the shared
     decision-cycle boundaries share breakpoints, so admission reads and writes a handful of
     nodes however many epochs are live.
@custom:kill `close()` by the CLOSER_ROLE (the GAP executor) stops all minting and admission
     through the Budget for good; `pause()` by the GUARDIAN_ROLE stops them until `unpause()`.
"""

from ethereum.ercs import IERC165
from snekmate.auth import access_control
from snekmate.auth.interfaces import IAccessControl
from snekmate.utils import pausable

from .interfaces import IBudget
from .interfaces import IMintable
from . import constants as c
from . import linear_unlock
from . import schedule

implements: IERC165
implements: IAccessControl
implements: IBudget
implements: IMintable

initializes: access_control
initializes: pausable

# `set_role_admin` is deliberately not exported: the role tree (GAP executor over parameters,
# closing and guardians; TPP executor over admitters) is fixed at deployment.
exports: (
    access_control.supportsInterface,
    access_control.DEFAULT_ADMIN_ROLE,
    access_control.hasRole,
    access_control.getRoleAdmin,
    access_control.grantRole,
    access_control.revokeRole,
    access_control.renounceRole,
    pausable.paused,
)

# Sets the global parameters: the GAP executor.
PARAMETER_ROLE: public(constant(bytes32)) = keccak256("PARAMETER_ROLE")
# Closes the Budget for good: the GAP executor.
CLOSER_ROLE: public(constant(bytes32)) = c.CLOSER_ROLE
# Admits epoch minters: the TPP executor and the factories / programmes it authorises.
ADMITTER_ROLE: public(constant(bytes32)) = c.ADMITTER_ROLE
# Grants and revokes ADMITTER_ROLE, and is its own admin: the TPP executor, which may share it
# with a programme factory so that the factory lets each new programme admit its epochs.
ADMITTER_ADMIN_ROLE: public(constant(bytes32)) = keccak256("ADMITTER_ADMIN_ROLE")
# Pauses and unpauses all minting and admission: the guardian (an emergency brake).
GUARDIAN_ROLE: public(constant(bytes32)) = keccak256("GUARDIAN_ROLE")

# Most breakpoints one admission or view walks; beyond this the schedule is too fragmented
# to admit on-chain (about 100 years of quarterly epochs with no shared boundaries).
_MAX_WALK: constant(uint256) = 4_096
# Most admitted epochs a supply-curve view sums; views only, admissions do not iterate them.
_MAX_EPOCHS: constant(uint256) = 65_536
# Largest threshold accepted (wei per second): rates are packed into 200 bits.
_MAX_THRESHOLD: constant(uint256) = 2**200 - 1
# Largest allocation accepted (wei): OpenZeppelin 5's ERC20Votes (the governance stand-in) caps
# total supply at 2**208 - 1, so no larger allocation could ever be minted; and the share rule
# multiplies the remaining allocation by up to c.BPS (< 2**14), which then stays inside uint256
# (an allocation near 2**256 made every admission overflow).
_MAX_ALLOCATION: constant(uint256) = 2**208 - 1
# Latest first cycle boundary accepted (unix seconds): 3000-01-01T00:00:00Z. With the longest
# cycle below, ~891,000 cycles (8.9 million years) fit after it before a boundary, an epoch end
# or an end plus a claim grace leaves uint48: every programme stays far inside its 48-bit
# times for any realistic number of cycles (the issue asked for at least 100 years).
_MAX_GENESIS: constant(uint256) = 32_503_680_000
# Longest decision cycle accepted (seconds): ten years of 365.25 days. A programme's next end,
# the first boundary after `start + duration - min(duration, cycle)`, is at most
# max(genesis, start + max(duration, cycle)): with this bound and _MAX_GENESIS it stays within
# uint48 for any start before the year 8 million less ten years.
_MAX_CYCLE: constant(uint256) = 315_576_000
# Largest delegate-load limit accepted (decisions per window): a window asking delegates for
# more than a thousand decisions is no review at all, so a larger value is a typo, not a policy.
_MAX_LOAD_LIMIT: constant(uint256) = 1_000
# Set in a minter's packed schedule once it has released it (bits 0..223 hold the schedule).
_RELEASED_BIT: constant(uint256) = 1 << 224
# Bit offset of the release time in `_released` (below it: the kept total, 128 bits).
_RELEASED_AT_SHIFT: constant(uint256) = 128
# Hold layout in `_hold`: the reserve (wei, 128 bits) @0, the end of the holder's latest admitted
# epoch, from which the hold runs (48 bits) @128, the held rate (wei per second, 80 bits) @176.
# Bit offset of the held-from time in `_hold`.
_HOLD_FROM_SHIFT: constant(uint256) = 128
# Bit offset of the held rate in `_hold`.
_HOLD_RATE_SHIFT: constant(uint256) = 176
# Largest rate (wei per second) one holder can hold: 80 bits, about 1.2 million tokens a second
# at 18 decimals, so reserve, time and rate share one storage word.
_MAX_HOLD_RATE: constant(uint256) = (1 << 80) - 1
# Breakpoint node layout: bit 255 marks a node, bits 200..247 the next node's time
# (0 = last, 48 bits), bits 0..199 the aggregate rate (wei per second) from this node to the next.
# Marks a stored breakpoint (bit 255), so a node with rate 0 and no successor is still set.
_NODE_EXISTS: constant(uint256) = 1 << 255
# Mask of a node's aggregate rate, wei per second (bits 0..199).
_RATE_MASK: constant(uint256) = (1 << 200) - 1
# Bit offset of a node's successor time (48 bits, masked with c.TIME_MASK).
_NEXT_SHIFT: constant(uint256) = 200

# The governance token, minted only through `mint` by admitted minters.
TOKEN: public(immutable(IMintable))

# Most aggregate scheduled emission (wei per second, at most _MAX_THRESHOLD) an admission may
# bring any instant to.
inflation_threshold: public(uint256)
# Most tokens (wei, at most _MAX_ALLOCATION) all admitted epochs together may be capped at,
# over the Budget's life.
allocation: public(uint256)
# Largest share (basis points, 1..10_000) of the not yet admitted allocation one epoch may take.
max_share_bps: public(uint256)
# Unix time of the first decision-cycle boundary (at most _MAX_GENESIS); cycles repeat every
# `cycle_length` from it.
cycle_genesis: public(uint256)
# Seconds per decision cycle (e.g. 90 days); 1.._MAX_CYCLE.
cycle_length: public(uint256)
# Seconds at the end of each cycle in which every programme's evaluation window falls; 1..cycle_length.
window_length: public(uint256)
# Most decisions one evaluation window may ask of delegates (1.._MAX_LOAD_LIMIT): an admission
# that would make more epochs end on one cycle boundary reverts.
load_limit: public(uint256)

# Sum of admitted caps and held reserves (wei); never above the allocation in force when each
# was admitted or raised.
committed: public(uint256)
# True once closed; permanent.
closed: public(bool)
# Number of admitted minters; at most _MAX_EPOCHS, so the supply-curve views stay bounded.
epoch_count: public(uint256)
# Admitted minters in order of admission (0-based), for the supply-curve views.
epoch_at: public(HashMap[uint256, address])
# Packed (cap, start, end) per admitted minter in the `schedule` layout, plus _RELEASED_BIT once
# released; 0 for minters never admitted (a set cap marks the minter as admitted, since caps
# are never zero).
_schedule: HashMap[address, uint256]
# Per released minter: the total (wei) it kept (bits 0..127; it may never mint more) and the
# time of its first release (bits 128..175), from which the supply curve counts only that total.
_released: HashMap[address, uint256]
# Tokens (wei) minted by each admitted minter.
minted_by: public(HashMap[address, uint256])
# Admitted epochs ending at each unix time (seconds). At a decision-cycle boundary this is the
# number of decisions the evaluation window closing there asks of delegates; it is kept for
# every end, on or off the calendar, so a later calendar change that makes an end a boundary
# counts the epochs already ending there (as the spec checker does). An epoch released before
# its end no longer ends there, so its release takes it off again.
window_load: public(HashMap[uint256, uint256])
# Per admitter (hold layout above): the reserve of the allocation it holds for the epochs it will
# admit later (counted in `committed`), and the rate it holds from the end of its latest admitted
# epoch on, with no end; see `hold`. The end is recorded for every admitter, so a hold can follow
# the epoch admitted just before it.
_hold: HashMap[address, uint256]
# Breakpoints of the aggregate rate, keyed by unix time; see _NODE_EXISTS for the layout.
_node: HashMap[uint256, uint256]
# Time of the first live breakpoint (0 = none). Moves forward as breakpoints fall behind now.
_head: uint256


event EpochAdmitted:
    minter: indexed(address)
    admitter: indexed(address)
    cap: uint256
    start: uint256
    end: uint256
    rate: uint256


event HoldSet:
    holder: indexed(address)
    rate: uint256
    reserve: uint256
    held_from: uint256


event EpochReleased:
    minter: indexed(address)
    kept: uint256
    released: uint256
    released_at: uint256


event InflationThresholdSet:
    old_threshold: uint256
    new_threshold: uint256
    effective_at: uint256


event AllocationSet:
    old_allocation: uint256
    new_allocation: uint256
    effective_at: uint256


event MaxShareSet:
    old_bps: uint256
    new_bps: uint256
    effective_at: uint256


event DecisionCycleSet:
    old_genesis: uint256
    new_genesis: uint256
    old_cycle_length: uint256
    new_cycle_length: uint256
    old_window_length: uint256
    new_window_length: uint256
    effective_at: uint256


event LoadLimitSet:
    old_limit: uint256
    new_limit: uint256
    effective_at: uint256


event Closed:
    closer: address


@deploy
def __init__(
    token: IMintable,
    gap_executor: address,
    tpp_executor: address,
    guardian: address,
    inflation_threshold: uint256,
    allocation: uint256,
    max_share_bps: uint256,
    cycle_genesis: uint256,
    cycle_length: uint256,
    window_length: uint256,
    load_limit: uint256,
):
    """
    @param token The governance token; must grant this contract its MINTER_ROLE.
    @param gap_executor GovOps timelock: admin, sets parameters, closes.
    @param tpp_executor Token-governor timelock: admits epochs and authorises admitters.
    @param guardian Pauses and unpauses.
    @param inflation_threshold Most aggregate scheduled emission, wei per second; at most 2**200 - 1.
    @param allocation Most tokens (wei) all admitted epochs together may be capped at; at most 2**208 - 1.
    @param max_share_bps Largest share (basis points) of the remaining allocation per epoch; 1 to 10_000.
    @param cycle_genesis Unix time of the first decision-cycle boundary; at most the year 3000.
    @param cycle_length Seconds per decision cycle; 1 to ten years.
    @param window_length Seconds of the evaluation window at the end of each cycle; 1 to `cycle_length`.
    @param load_limit Most decisions one evaluation window may carry; 1 to 1_000.
    """
    assert token.address != empty(address), "budget: zero token"
    assert gap_executor != empty(address), "budget: zero gap executor"
    assert tpp_executor != empty(address), "budget: zero tpp executor"
    assert guardian != empty(address), "budget: zero guardian"

    access_control.__init__()
    pausable.__init__()
    if gap_executor != msg.sender:
        access_control._grant_role(access_control.DEFAULT_ADMIN_ROLE, gap_executor)
        access_control._revoke_role(access_control.DEFAULT_ADMIN_ROLE, msg.sender)
    access_control._grant_role(PARAMETER_ROLE, gap_executor)
    access_control._grant_role(CLOSER_ROLE, gap_executor)
    access_control._set_role_admin(ADMITTER_ROLE, ADMITTER_ADMIN_ROLE)
    access_control._set_role_admin(ADMITTER_ADMIN_ROLE, ADMITTER_ADMIN_ROLE)
    access_control._grant_role(ADMITTER_ADMIN_ROLE, tpp_executor)
    access_control._grant_role(ADMITTER_ROLE, tpp_executor)
    access_control._grant_role(GUARDIAN_ROLE, guardian)

    TOKEN = token
    self._set_threshold(inflation_threshold)
    self._set_allocation(allocation)
    self._set_max_share(max_share_bps)
    self._set_decision_cycle(cycle_genesis, cycle_length, window_length)
    self._set_load_limit(load_limit)


# --- minting -------------------------------------------------------------------------------


@external
def mint(_to: address, _amount: uint256):
    """
    @notice Mints `_amount` of the token to `_to` for an admitted minter, no faster than that
            minter's linear schedule.
    @param _to Receives the tokens.
    @param _amount Tokens (wei) to mint; counts against the caller's schedule.
    """
    assert not self.closed, "budget: closed"
    pausable._require_not_paused()
    packed: uint256 = self._schedule[msg.sender]
    assert packed != 0, "budget: minter not admitted"
    cap: uint256 = schedule._cap(packed)
    start: uint256 = schedule._start(packed)
    end: uint256 = schedule._end(packed)
    assert block.timestamp >= start, "budget: epoch not started"
    new_minted: uint256 = self.minted_by[msg.sender] + _amount
    assert new_minted <= linear_unlock._unlocked(cap, start, end, block.timestamp), "budget: above schedule"
    if packed & _RELEASED_BIT != 0:
        assert new_minted <= self._released[msg.sender] & c.CAP_MASK, "budget: above released total"
    self.minted_by[msg.sender] = new_minted
    extcall TOKEN.mint(_to, _amount)


# --- admission -----------------------------------------------------------------------------


@external
def admit(minter: address, cap: uint256, start: uint256, end: uint256):
    """
    @notice Admits `minter` to mint up to `cap` linearly over [start, end], if the aggregate
            scheduled rate stays at or under the threshold at every instant of the interval,
            the allocation holds and the epoch takes no more than its share.
    @dev Reverts with the name of the first rule broken; nothing is half-admitted.
    @param minter The epoch minter to admit; never admitted before.
    @param cap Most tokens (wei) it may mint; 1 to 2**128 - 1.
    @param start First second of its linear schedule; not in the past.
    @param end Second by which its whole cap has unlocked; after `start`, below 2**48. When it
           is a decision-cycle boundary, the epochs ending there, this one included, must not
           exceed the load limit.
    """
    access_control._check_role(ADMITTER_ROLE, msg.sender)
    assert not self.closed, "budget: closed"
    pausable._require_not_paused()
    assert minter != empty(address), "budget: zero minter"
    assert self._schedule[minter] == 0, "budget: minter already admitted"
    assert cap != 0, "budget: zero cap"
    assert cap <= c.CAP_MASK, "budget: cap above uint128"
    assert end <= c.TIME_MASK, "budget: time beyond uint48"
    assert start < end, "budget: start not before end"
    assert start >= block.timestamp, "budget: start in the past"

    # A holder's epoch comes after its latest one and is taken out of its hold first: the part
    # of the cap its reserve covers, and the part of the rate its held rate covers, were checked
    # when the hold was set, so only what goes beyond the hold is checked now.
    held: uint256 = self._hold[msg.sender]
    held_rate: uint256 = held >> _HOLD_RATE_SHIFT
    reserve: uint256 = held & c.CAP_MASK
    if held_rate != 0 or reserve != 0:
        assert start >= (held >> _HOLD_FROM_SHIFT) & c.TIME_MASK, "budget: epoch before the holder's latest end"
    from_reserve: uint256 = min(cap, reserve)
    fresh: uint256 = cap - from_reserve
    committed: uint256 = self.committed
    new_committed: uint256 = committed + fresh
    if fresh != 0:
        assert new_committed <= self.allocation, "budget: allocation exceeded"
        assert fresh * c.BPS <= (self.allocation - committed) * self.max_share_bps, "budget: share above limit"

    # Delegate load: each epoch ending on a cycle boundary is one decision in the window that
    # closes there. The limit in force now binds this admission only: lowering it later leaves
    # the epochs already admitted (a window may then carry more than the new limit, and admits
    # no more until it is raised). The boundary test reads the calendar only when the count
    # would break the limit, so the usual admission pays one counter read and write.
    # A release before the end takes the decision off again (see `release`).
    load: uint256 = self.window_load[end] + 1
    if load > self.load_limit:
        assert self._next_boundary(end - 1) != end, "budget: window load above limit"
    self.window_load[end] = load

    # Rounded up, so the recorded rate is never below the epoch's true rate. Over the epoch the
    # breakpoints carried the held rate: they now carry the epoch's own rate there instead, and
    # the hold goes on from the epoch's end.
    rate: uint256 = (cap + (end - start) - 1) // (end - start)
    if rate > held_rate:
        self._add_rate(start, end, rate - held_rate, self.inflation_threshold)
    elif rate < held_rate:
        self._sub_rate(start, end, held_rate - rate)
    self._hold[msg.sender] = (held_rate << _HOLD_RATE_SHIFT) | (end << _HOLD_FROM_SHIFT) | (reserve - from_reserve)

    self.committed = new_committed
    self._schedule[minter] = schedule._pack(cap, start, end)
    index: uint256 = self.epoch_count
    assert index < _MAX_EPOCHS, "budget: too many epochs"
    self.epoch_at[index] = minter
    self.epoch_count = index + 1
    log EpochAdmitted(minter=minter, admitter=msg.sender, cap=cap, start=start, end=end, rate=rate)


@external
def hold(rate: uint256, reserve: uint256):
    """
    @notice The caller holds room for the epochs it will admit after its latest one: `rate`
            wei per second at every instant from that epoch's end on (until it lowers the
            hold), and `reserve` tokens of the allocation. Its later epochs are carved out of
            the hold (see `admit`), so a programme that holds room for its continuations never
            competes for it with other programmes when its epoch ends.
    @dev Raising either part is checked like an admission, at the same instant: ADMITTER_ROLE,
         not closed, the threshold over the held interval (which has no end) and the
         allocation; the share rule binds each epoch, not a reserve. A pause does not stop it:
         a hold mints nothing and admits no epoch (the epochs carved out of it wait for the
         unpause like any admission), and a vote that continues a programme during an
         emergency must still be recorded. Lowering is always allowed, also while closed and
         after the role is revoked, so a programme can always give back what it no longer
         needs. A holder can only set its own hold.
    @param rate Wei per second to hold from the end of the caller's latest admitted epoch on;
           at most 2**80 - 1.
    @param reserve Tokens (wei) of the allocation to hold for the caller's later epochs; at
           most 2**128 - 1.
    """
    held: uint256 = self._hold[msg.sender]
    old_rate: uint256 = held >> _HOLD_RATE_SHIFT
    held_from: uint256 = (held >> _HOLD_FROM_SHIFT) & c.TIME_MASK
    old_reserve: uint256 = held & c.CAP_MASK
    if rate == old_rate and reserve == old_reserve:
        return
    if rate > old_rate or reserve > old_reserve:
        access_control._check_role(ADMITTER_ROLE, msg.sender)
        assert not self.closed, "budget: closed"
        assert held_from != 0, "budget: no admitted epoch to hold after"
        assert rate <= _MAX_HOLD_RATE, "budget: held rate above uint80"
        assert reserve <= c.CAP_MASK, "budget: reserve above uint128"
    start: uint256 = max(held_from, block.timestamp)
    if start < c.TIME_MASK:
        if rate > old_rate:
            self._add_rate(start, c.TIME_MASK, rate - old_rate, self.inflation_threshold)
        elif rate < old_rate:
            self._sub_rate(start, c.TIME_MASK, old_rate - rate)
    if reserve > old_reserve:
        new_committed: uint256 = self.committed + (reserve - old_reserve)
        assert new_committed <= self.allocation, "budget: allocation exceeded"
        self.committed = new_committed
    elif reserve < old_reserve:
        self.committed -= old_reserve - reserve
    self._hold[msg.sender] = (rate << _HOLD_RATE_SHIFT) | (held_from << _HOLD_FROM_SHIFT) | reserve
    log HoldSet(holder=msg.sender, rate=rate, reserve=reserve, held_from=start)


@external
def release(keep: uint256):
    """
    @notice The calling admitted minter ends its schedule now: from now on it may mint at most
            `keep` more (and never more than has unlocked by now); the rest of its cap is
            returned to the allocation, its rate leaves the breakpoints from now on, and its
            decision leaves the window it was to end in if that is still ahead. A minter calls
            it when its epoch is closed early (STOP, KILL) or ends with cap unused, so the
            supply curve, the headroom and the allocation tell the truth.
    @dev Only lowers: a second call may lower the kept total further, never raise it. Allowed
         while the Budget is paused or closed (it mints nothing). A minter can only release
         its own schedule (the caller is the key), so nobody can cut another's epoch.
    @param keep Tokens (wei) the minter may still mint after this call; 0 to end minting.
    """
    packed: uint256 = self._schedule[msg.sender]
    assert packed != 0, "budget: minter not admitted"
    cap: uint256 = schedule._cap(packed)
    start: uint256 = schedule._start(packed)
    end: uint256 = schedule._end(packed)
    minted: uint256 = self.minted_by[msg.sender]
    unlocked: uint256 = linear_unlock._unlocked(cap, start, end, block.timestamp)
    kept: uint256 = minted + min(keep, unlocked - minted)
    old_total: uint256 = cap
    released_at: uint256 = block.timestamp
    if packed & _RELEASED_BIT != 0:
        previous: uint256 = self._released[msg.sender]
        old_total = previous & c.CAP_MASK
        released_at = (previous >> _RELEASED_AT_SHIFT) & c.TIME_MASK
        kept = min(kept, old_total)
    else:
        self._schedule[msg.sender] = packed | _RELEASED_BIT
        if block.timestamp < end:
            # The rest of the epoch is not emitted: free its rate and its decision.
            rate: uint256 = (cap + (end - start) - 1) // (end - start)
            self._sub_rate(max(block.timestamp, start), end, rate)
            self.window_load[end] -= 1
    self._released[msg.sender] = kept | (released_at << _RELEASED_AT_SHIFT)
    self.committed -= old_total - kept
    log EpochReleased(minter=msg.sender, kept=kept, released=old_total - kept, released_at=released_at)


# --- global parameters (GAPs) ----------------------------------------------------------------


@external
def set_inflation_threshold(new_threshold: uint256):
    """
    @notice Sets the most aggregate scheduled emission (wei per second) later admissions may
            reach; admitted epochs keep their schedule.
    @param new_threshold Wei per second; at most 2**200 - 1.
    """
    access_control._check_role(PARAMETER_ROLE, msg.sender)
    self._set_threshold(new_threshold)


@external
def set_allocation(new_allocation: uint256):
    """
    @notice Sets the lifetime allocation (wei) that the sum of admitted caps may reach.
    @param new_allocation Wei, at most 2**208 - 1; lowering it below `committed` only blocks
           later admissions.
    """
    access_control._check_role(PARAMETER_ROLE, msg.sender)
    self._set_allocation(new_allocation)


@external
def set_max_share(new_bps: uint256):
    """
    @notice Sets the largest share (basis points) of the remaining allocation one epoch may take.
    @param new_bps Basis points, 1 to 10_000.
    """
    access_control._check_role(PARAMETER_ROLE, msg.sender)
    self._set_max_share(new_bps)


@external
def set_decision_cycle(genesis: uint256, cycle_length: uint256, window_length: uint256):
    """
    @notice Sets the shared decision calendar: cycle boundaries at genesis + k * cycle_length,
            each preceded by an evaluation window of `window_length` seconds.
    @param genesis Unix time of the first boundary; at most 32_503_680_000 (the year 3000).
    @param cycle_length Seconds per cycle; 1 to 315_576_000 (ten years).
    @param window_length Seconds of each evaluation window; 1 to `cycle_length`.
    """
    access_control._check_role(PARAMETER_ROLE, msg.sender)
    self._set_decision_cycle(genesis, cycle_length, window_length)


@external
def set_load_limit(new_limit: uint256):
    """
    @notice Sets the most decisions one evaluation window may carry; binds later admissions
            only (windows already carrying more keep their epochs).
    @param new_limit Decisions per window; 1 to 1_000.
    """
    access_control._check_role(PARAMETER_ROLE, msg.sender)
    self._set_load_limit(new_limit)


# --- emergency brake and end of life --------------------------------------------------------


@external
def pause():
    """
    @notice Stops all minting and admission through the Budget until `unpause()`.
    @dev GUARDIAN_ROLE only; reverts once closed or if already paused.
    """
    assert not self.closed, "budget: closed"
    access_control._check_role(GUARDIAN_ROLE, msg.sender)
    pausable._pause()


@external
def unpause():
    """
    @notice Lets minting and admission resume.
    @dev GUARDIAN_ROLE only; reverts once closed or if not paused.
    """
    assert not self.closed, "budget: closed"
    access_control._check_role(GUARDIAN_ROLE, msg.sender)
    pausable._unpause()


@external
def close():
    """
    @notice Ends the Budget: no minting or admission, for good.
    @dev CLOSER_ROLE only; closing twice reverts.
    """
    access_control._check_role(CLOSER_ROLE, msg.sender)
    assert not self.closed, "budget: closed"
    self.closed = True
    log Closed(closer=msg.sender)


# --- views ---------------------------------------------------------------------------------


@external
@view
def schedule_of(minter: address) -> (uint256, uint256, uint256):
    """
    @notice The (cap, start, end) a minter was admitted with; zeros if never admitted.
    @param minter An epoch minter.
    @return Its cap (wei), start and end (unix seconds).
    """
    packed: uint256 = self._schedule[minter]
    return schedule._cap(packed), schedule._start(packed), schedule._end(packed)


@external
@view
def unlocked_of(minter: address, t: uint256) -> uint256:
    """
    @notice The most `minter` may have minted by time `t` under its admitted schedule, as
            released (from its release on: the total it kept).
    @param minter An epoch minter.
    @param t Unix time (seconds).
    @return Tokens (wei) unlocked by `t`; 0 if never admitted.
    """
    return self._unlocked_of(minter, t)


@external
@view
def hold_of(holder: address) -> (uint256, uint256, uint256):
    """
    @notice The room `holder` holds for the epochs it will admit after its latest one.
    @param holder An admitter (a programme).
    @return (rate in wei per second, reserve in wei, the time the held rate runs from: the end
            of its latest admitted epoch); zeros for an admitter that never admitted.
    """
    held: uint256 = self._hold[holder]
    return held >> _HOLD_RATE_SHIFT, held & c.CAP_MASK, (held >> _HOLD_FROM_SHIFT) & c.TIME_MASK


@external
@view
def reserve_of(holder: address) -> uint256:
    """
    @notice Tokens (wei) of the allocation `holder` holds for the epochs it will admit later
            (counted in `committed`).
    @param holder An admitter (a programme).
    @return The reserve (wei).
    """
    return self._hold[holder] & c.CAP_MASK


@external
@view
def released_of(minter: address) -> (bool, uint256, uint256):
    """
    @notice Whether `minter` has released its schedule, the total it kept and when.
    @param minter An epoch minter.
    @return (released, kept total in wei, time of the first release); (False, 0, 0) if not released.
    """
    if self._schedule[minter] & _RELEASED_BIT == 0:
        return False, 0, 0
    released: uint256 = self._released[minter]
    return True, released & c.CAP_MASK, (released >> _RELEASED_AT_SHIFT) & c.TIME_MASK


@external
@view
def scheduled_supply(t: uint256) -> uint256:
    """
    @notice The most that can have been minted through the Budget by time `t` under every
            epoch admitted so far: the curve market actors can model.
    @param t Unix time (seconds).
    @return Tokens (wei) unlocked by `t`, summed over admitted minters; a released minter
            counts only its kept total from its release on.
    """
    total: uint256 = 0
    for i: uint256 in range(self.epoch_count, bound=_MAX_EPOCHS):
        total += self._unlocked_of(self.epoch_at[i], t)
    return total


@external
@view
def total_minted() -> uint256:
    """
    @notice Tokens (wei) minted through the Budget so far: the sum over admitted minters.
    @dev Summed on read rather than kept in storage, which saves every mint a storage write.
    @return Tokens (wei) minted through the Budget.
    """
    total: uint256 = 0
    for i: uint256 in range(self.epoch_count, bound=_MAX_EPOCHS):
        total += self.minted_by[self.epoch_at[i]]
    return total


@external
@view
def rate_at(t: uint256) -> uint256:
    """
    @notice Aggregate scheduled emission rate (wei per second, each epoch's rate rounded up)
            in force at time `t`: admitted epochs only (the room programmes hold for their
            continuations is in `max_rate` and `headroom`, not here).
    @param t Unix time (seconds).
    @return Wei per second, summed over the epochs whose [start, end) holds `t` and which had
            not released their schedule by `t`.
    """
    total: uint256 = 0
    for i: uint256 in range(self.epoch_count, bound=_MAX_EPOCHS):
        minter: address = self.epoch_at[i]
        packed: uint256 = self._schedule[minter]
        start: uint256 = schedule._start(packed)
        end: uint256 = schedule._end(packed)
        until: uint256 = end
        if packed & _RELEASED_BIT != 0:
            until = min(end, max(start, (self._released[minter] >> _RELEASED_AT_SHIFT) & c.TIME_MASK))
        if start <= t and t < until:
            cap: uint256 = schedule._cap(packed)
            total += (cap + (end - start) - 1) // (end - start)
    return total


@external
@view
def max_rate(start: uint256, end: uint256) -> uint256:
    """
    @notice Highest aggregate rate (wei per second) at any instant of [start, end), read from
            the breakpoint list that admissions use: admitted epochs and held rates.
    @param start Start of the interval (unix seconds).
    @param end End of the interval (unix seconds, exclusive).
    @return Wei per second.
    """
    return self._max_rate(start, end)


@external
@view
def rate_breakpoints() -> DynArray[uint256, _MAX_WALK]:
    """
    @notice The aggregate rate admissions are checked against, as breakpoints from the one in
            force now: each word is `time << 200 | rate`, the rate (wei per second: admitted
            epochs and held rates) from that time to the next breakpoint (the last one to
            2**48 - 1). Off-chain checkers rebuild the exact schedule from it.
    @return The breakpoints in time order.
    """
    out: DynArray[uint256, _MAX_WALK] = []
    cursor: uint256 = self._head
    for _: uint256 in range(_MAX_WALK):
        if cursor == 0:
            break
        node: uint256 = self._node[cursor]
        out.append((cursor << _NEXT_SHIFT) | (node & _RATE_MASK))
        cursor = (node >> _NEXT_SHIFT) & c.TIME_MASK
    return out


@external
@view
def headroom(start: uint256, end: uint256) -> uint256:
    """
    @notice Largest cap (wei) an epoch over [start, end] could be admitted with now: the least
            of what the threshold, the allocation and the share limit leave. 0 for an interval
            that could not be admitted at all (in the past, empty, beyond uint48, ending on a
            cycle boundary whose window already carries `load_limit` decisions) or while the
            Budget is paused or closed.
    @param start The epoch's start (unix seconds).
    @param end The epoch's end (unix seconds).
    @return The largest admissible cap (wei).
    """
    if self.closed or pausable.paused:
        return 0
    if start >= end or start < block.timestamp or end > c.TIME_MASK:
        return 0
    if self.window_load[end] >= self.load_limit and self._next_boundary(end - 1) == end:
        return 0
    threshold: uint256 = self.inflation_threshold
    peak: uint256 = self._max_rate(start, end)
    if peak >= threshold:
        return 0
    # An epoch of cap c gets rate ceil(c / d), which stays at or under `free` iff c <= free * d.
    by_rate: uint256 = (threshold - peak) * (end - start)
    remaining: uint256 = self.allocation - min(self.allocation, self.committed)
    by_share: uint256 = remaining * self.max_share_bps // c.BPS
    return min(min(by_rate, remaining), min(by_share, c.CAP_MASK))


@external
@view
def next_cycle_boundary(t: uint256) -> uint256:
    """
    @notice First decision-cycle boundary strictly after `t` (the genesis itself when `t` is
            before it). Epochs that end on these boundaries share one evaluation window.
    @param t Unix time (seconds).
    @return The boundary (unix seconds).
    """
    return self._next_boundary(t)


@external
@view
def window_of(boundary: uint256) -> (uint256, uint256):
    """
    @notice The evaluation window (start, end) that closes at a cycle boundary.
    @param boundary A decision-cycle boundary (unix seconds).
    @return The window's start and end (unix seconds; end == boundary).
    """
    return boundary - min(boundary, self.window_length), boundary


# --- internal ------------------------------------------------------------------------------


@internal
@view
def _next_boundary(t: uint256) -> uint256:
    """
    @dev See `next_cycle_boundary`.
    @param t Unix time (seconds).
    @return The first boundary strictly after `t`, or the genesis when `t` is before it.
    """
    genesis: uint256 = self.cycle_genesis
    if t < genesis:
        return genesis
    length: uint256 = self.cycle_length
    return genesis + ((t - genesis) // length + 1) * length


@internal
@view
def _unlocked_of(minter: address, t: uint256) -> uint256:
    """
    @dev See `unlocked_of`.
    @param minter An epoch minter.
    @param t Unix time (seconds).
    @return Tokens (wei) unlocked by `t` under its schedule as released; 0 if never admitted.
    """
    packed: uint256 = self._schedule[minter]
    if packed & _RELEASED_BIT != 0:
        released: uint256 = self._released[minter]
        if t >= (released >> _RELEASED_AT_SHIFT) & c.TIME_MASK:
            return released & c.CAP_MASK
    return schedule._unlocked(packed, t)


@internal
def _prune():
    """
    @dev Moves the head past breakpoints whose successor is already in the past, so walks
         start near now. The head node itself may lie in the past: it holds the rate in force
         now. Pruned nodes are left in storage (clearing them costs more than it refunds).
         No parameters, nothing returned: it only moves `_head`.
    """
    head: uint256 = self._head
    for _: uint256 in range(_MAX_WALK):
        if head == 0:
            break
        following: uint256 = (self._node[head] >> _NEXT_SHIFT) & c.TIME_MASK
        if following == 0 or following > block.timestamp:
            break
        head = following
    self._head = head


@internal
def _ensure_node(t: uint256, from_time: uint256) -> uint256:
    """
    @dev Makes sure a breakpoint exists at `t`, walking from `from_time` (a node time <= t, or
         0 to start at the head), and returns the time of the node it inserted after (0 when
         it became the head or already existed).
    @param t The breakpoint time (unix seconds).
    @param from_time Where to start walking: a node time <= t, or 0 for the head.
    @return The time of the node inserted after; 0 when `t` became the head or existed.
    """
    if self._node[t] & _NODE_EXISTS != 0:
        return 0
    head: uint256 = self._head
    if head == 0 or t < head:
        # Before the first breakpoint no epoch is scheduled: the new node carries rate 0.
        self._node[t] = _NODE_EXISTS | (head << _NEXT_SHIFT)
        self._head = t
        return 0
    cursor: uint256 = head
    if from_time != 0 and from_time > head:
        cursor = from_time
    for _: uint256 in range(_MAX_WALK):
        node: uint256 = self._node[cursor]
        following: uint256 = (node >> _NEXT_SHIFT) & c.TIME_MASK
        if following == 0 or following > t:
            # Insert between cursor and following: the rate in force at t is cursor's.
            self._node[t] = _NODE_EXISTS | (following << _NEXT_SHIFT) | (node & _RATE_MASK)
            self._node[cursor] = (node & ~(c.TIME_MASK << _NEXT_SHIFT)) | (t << _NEXT_SHIFT)
            return cursor
        cursor = following
    raise "budget: schedule too long"


@internal
def _add_rate(start: uint256, end: uint256, rate: uint256, threshold: uint256):
    """
    @dev Adds `rate` to every breakpoint in [start, end), reverting if any would exceed the
         threshold.
    @param start First breakpoint the rate applies from (unix seconds).
    @param end Breakpoint the rate stops at (unix seconds, exclusive).
    @param rate Wei per second to add.
    @param threshold Most aggregate rate any breakpoint may reach, wei per second.
    """
    self._prune()
    self._ensure_node(start, 0)
    self._ensure_node(end, start)
    cursor: uint256 = start
    for _: uint256 in range(_MAX_WALK):
        if cursor == end:
            return
        node: uint256 = self._node[cursor]
        new_rate: uint256 = (node & _RATE_MASK) + rate
        assert new_rate <= threshold, "budget: rate above threshold"
        self._node[cursor] = (node & ~_RATE_MASK) | new_rate
        cursor = (node >> _NEXT_SHIFT) & c.TIME_MASK
    raise "budget: schedule too long"


@internal
def _sub_rate(start: uint256, end: uint256, rate: uint256):
    """
    @dev Takes `rate` off every breakpoint in [start, end): a released epoch's rest, a hold
         lowered, or the part of a hold an epoch carved out of it does not use. The rate was
         added over an interval that covers [start, end), so every breakpoint there carries
         at least `rate` and the subtraction cannot underflow.
    @param start First second the rate no longer applies (unix seconds); before `end`.
    @param end Where it applies again (unix seconds, exclusive).
    @param rate Wei per second to take off.
    """
    self._prune()
    self._ensure_node(start, 0)
    self._ensure_node(end, start)
    cursor: uint256 = start
    for _: uint256 in range(_MAX_WALK):
        if cursor == end:
            return
        node: uint256 = self._node[cursor]
        self._node[cursor] = node - rate
        cursor = (node >> _NEXT_SHIFT) & c.TIME_MASK
    raise "budget: schedule too long"


@internal
@view
def _max_rate(start: uint256, end: uint256) -> uint256:
    """
    @dev Walks the breakpoints from the head; see `max_rate`.
    @param start Start of the interval (unix seconds).
    @param end End of the interval (unix seconds, exclusive).
    @return The highest aggregate rate over the interval, wei per second.
    """
    cursor: uint256 = self._head
    peak: uint256 = 0
    for _: uint256 in range(_MAX_WALK):
        if cursor == 0 or cursor >= end:
            return peak
        node: uint256 = self._node[cursor]
        following: uint256 = (node >> _NEXT_SHIFT) & c.TIME_MASK
        # The node's rate holds over [cursor, following); count it if that meets [start, end).
        if following == 0 or following > start:
            peak = max(peak, node & _RATE_MASK)
        cursor = following
    raise "budget: schedule too long"


@internal
def _set_threshold(new_threshold: uint256):
    """
    @dev Checks, logs and stores the inflation threshold.
    @param new_threshold Wei per second; at most _MAX_THRESHOLD.
    """
    assert new_threshold <= _MAX_THRESHOLD, "budget: threshold too large"
    log InflationThresholdSet(old_threshold=self.inflation_threshold, new_threshold=new_threshold, effective_at=block.timestamp)
    self.inflation_threshold = new_threshold


@internal
def _set_allocation(new_allocation: uint256):
    """
    @dev Checks, logs and stores the lifetime allocation.
    @param new_allocation Wei; at most _MAX_ALLOCATION.
    """
    assert new_allocation <= _MAX_ALLOCATION, "budget: allocation too large"
    log AllocationSet(old_allocation=self.allocation, new_allocation=new_allocation, effective_at=block.timestamp)
    self.allocation = new_allocation


@internal
def _set_max_share(new_bps: uint256):
    """
    @dev Checks, logs and stores the largest share one epoch may take.
    @param new_bps Basis points, 1 to c.BPS.
    """
    assert new_bps != 0, "budget: zero share"
    assert new_bps <= c.BPS, "budget: share above 100%"
    log MaxShareSet(old_bps=self.max_share_bps, new_bps=new_bps, effective_at=block.timestamp)
    self.max_share_bps = new_bps


@internal
def _set_decision_cycle(genesis: uint256, cycle_length: uint256, window_length: uint256):
    """
    @dev Checks, logs and stores the decision calendar.
    @param genesis Unix time of the first boundary; at most _MAX_GENESIS.
    @param cycle_length Seconds per cycle; 1 to _MAX_CYCLE.
    @param window_length Seconds of each evaluation window; 1 to `cycle_length`.
    """
    assert cycle_length != 0, "budget: zero cycle length"
    assert cycle_length <= _MAX_CYCLE, "budget: cycle too long"
    assert window_length != 0, "budget: zero window length"
    assert window_length <= cycle_length, "budget: window longer than cycle"
    assert genesis <= _MAX_GENESIS, "budget: genesis too late"
    log DecisionCycleSet(
        old_genesis=self.cycle_genesis,
        new_genesis=genesis,
        old_cycle_length=self.cycle_length,
        new_cycle_length=cycle_length,
        old_window_length=self.window_length,
        new_window_length=window_length,
        effective_at=block.timestamp,
    )
    self.cycle_genesis = genesis
    self.cycle_length = cycle_length
    self.window_length = window_length


@internal
def _set_load_limit(new_limit: uint256):
    """
    @dev Checks, logs and stores the delegate-load limit.
    @param new_limit Decisions per window; 1 to _MAX_LOAD_LIMIT.
    """
    assert new_limit != 0, "budget: zero load limit"
    assert new_limit <= _MAX_LOAD_LIMIT, "budget: load limit too large"
    log LoadLimitSet(old_limit=self.load_limit, new_limit=new_limit, effective_at=block.timestamp)
    self.load_limit = new_limit
