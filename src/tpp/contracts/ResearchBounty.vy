# pragma version ~=0.4.3
# pragma optimize gas
"""
@title ResearchBounty
@license AGPL-3.0-only
@notice A competitive research bounty: instead of paying one data-science outfit, an epoch's
        emission goes to the researchers whose inputs the judges valued. During an epoch
        anyone registers a submission (the hash of its content, its author), posting a
        refundable deposit; judges (the judge address, the listed judges, and wearers of the
        judge hat) give each submission 0 to 100 points and mark duplicates of one finding.
        At the epoch's end (the programme's next epoch, STOP or KILL) the epoch's emission is
        split by weight: a finding's weight is its points times `decay`^(n - 1) when n
        submissions report it, shared equally by the n (Code4rena's rule), so one finding
        filed from several addresses earns less in total than filing it once. What no
        submission earns is never minted. Awards are minted into this contract at the epoch's
        end and claimed by the authors; deposits come back to authors of submissions that
        earned points, the others go to the TPP executor.
        Lifecycle: cloned and initialised by the factory with its programme, its judge and its
        parameters; each epoch the programme points it at the epoch's minter and settles the
        one before.
@dev Invariants: Σ awarded per epoch <= the epoch's emission (what the clock accrued), Σ claimed
     <= Σ awarded == Σ minted; splitting a finding over k submissions gives them together
     `decay`^(k - 1) of what one would get; only judges score, only before the epoch ends.
@custom:kill The programme settles on KILL: the epoch's submissions are awarded what accrued up
     to the kill, as far as the minter can still mint; what it cannot is forfeited.
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
    def HATS() -> address: view


interface IBudgetOf:
    def TOKEN() -> address: view


interface IGate:
    def credential(account: address, proof: Bytes[2048]) -> bytes32: view


# Longest parameters blob the factory passes (programme_spec.MAX_PARAMS).
_MAX_PARAMS: constant(uint256) = 2048
# Most submissions one epoch takes, and most judges listed besides the judge address.
MAX_SUBMISSIONS: constant(uint256) = 64
MAX_JUDGES: constant(uint256) = 8
# Most points one judge gives one submission.
MAX_POINTS: constant(uint256) = 100
# Gas a Hats registry may use to answer isWearerOfHat.
_HATS_GAS: constant(uint256) = 50_000


struct Submission:
    author: address
    content: bytes32
    points: uint256  # Σ of the judges' points
    primary: uint256  # index + 1 of the submission it duplicates (0: none; it is a primary)


# The token paid out: the Budget's (checked when a clone is initialised).
TOKEN: public(immutable(address))

# Scores, and lists the other judges' scores with it; set once.
judge: public(address)
judges: public(DynArray[address, MAX_JUDGES])
# A hat whose wearers also judge (0: none), checked at call time against the programme's registry.
judge_hat: public(uint256)
# Who may submit (an eligibility gate; empty: anyone), and which account each credential backs
# in an epoch (epoch number -> credential -> account): one credential, one author per epoch.
gate: public(address)
credential_holder: public(HashMap[uint256, HashMap[bytes32, address]])
# Seconds before an epoch's end when submissions close (judging goes on to the end).
scoring_period: public(uint256)
# Share (basis points) a finding keeps for each duplicate beyond the first.
decay_bps: public(uint256)
# Native deposit (wei) each submission posts.
deposit: public(uint256)
# The current epoch's submissions (cleared when the next epoch opens).
_submissions: DynArray[Submission, MAX_SUBMISSIONS]
# Content hashes already registered in an epoch: epoch number -> hash -> registered.
_seen: HashMap[uint256, HashMap[bytes32, bool]]
# Points each judge gave: epoch number -> submission index -> judge -> points.
given: public(HashMap[uint256, HashMap[uint256, HashMap[address, uint256]]])
# Which epoch's submissions `_submissions` holds (counts start_epoch calls).
epoch_number: public(uint256)
# Wei awarded to each author and not yet claimed; Σ awarded and Σ claimed over all epochs.
owed: public(HashMap[address, uint256])
total_awarded: public(uint256)
total_claimed: public(uint256)
# Wei of the emission ticked in the current epoch (what its submissions may share).
epoch_emission: public(uint256)
# Deposits (wei) waiting to be withdrawn: refunds to authors, forfeits to the executor.
deposits: public(HashMap[address, uint256])


event Submitted:
    epoch: indexed(uint256)
    index: uint256
    author: indexed(address)
    content: bytes32


event Scored:
    epoch: indexed(uint256)
    index: uint256
    judge: indexed(address)
    points: uint256


event Duplicate:
    epoch: indexed(uint256)
    index: uint256
    primary: uint256


event Awarded:
    epoch: indexed(uint256)
    index: uint256
    author: indexed(address)
    amount: uint256


event EpochSettled:
    epoch: indexed(uint256)
    emission: uint256
    awarded: uint256


event Claimed:
    account: indexed(address)
    amount: uint256


@deploy
def __init__(token: address):
    """
    @notice Deploys the implementation every bounty clone delegates to.
    @param token The token the clones pay out (the Budget's); not empty.
    """
    assert token != empty(address), "bounty: zero token"
    TOKEN = token
    emission._init(self)


@external
def initialize(programme: address, judge: address, params: Bytes[_MAX_PARAMS]):
    """
    @notice Sets a fresh clone up. Called once, by the factory, in the cloning transaction.
    @param programme The programme that controls the bounty.
    @param judge Scores submissions (a judges' Safe, or one judge); not empty.
    @param params abi.encode(scoring_period, decay_bps, deposit, judge_hat, gate, judges):
           seconds before each epoch's end when submissions close (at least an hour), the
           share a finding keeps per duplicate (basis points, below 10_000), the native
           deposit per submission (wei), a judge hat (0: none), an eligibility gate for
           authors (empty: anyone) and up to 8 more judges.
    """
    assert judge != empty(address), "bounty: zero judge"
    period: uint256 = 0
    decay: uint256 = 0
    deposit: uint256 = 0
    hat: uint256 = 0
    gate: address = empty(address)
    others: DynArray[address, MAX_JUDGES] = []
    period, decay, deposit, hat, gate, others = abi_decode(
        params, (uint256, uint256, uint256, uint256, address, DynArray[address, MAX_JUDGES])
    )
    assert period >= 3600 and period <= c.TIME_MASK, "bounty: scoring period out of range"
    assert decay < c.BPS, "bounty: duplicates must earn less than one finding"
    assert deposit <= c.CAP_MASK, "bounty: deposit out of range"
    for other: address in others:
        assert other != empty(address), "bounty: zero judge"
    emission._init(programme)
    assert staticcall IBudgetOf(staticcall IProgrammeOf(programme).BUDGET()).TOKEN() == TOKEN, "bounty: not the Budget's token"
    self.judge = judge
    self.judges = others
    self.judge_hat = hat
    self.gate = gate
    self.scoring_period = period
    self.decay_bps = decay
    self.deposit = deposit


# --- researchers and judges --------------------------------------------------------------------


@external
@payable
def submit(content: bytes32, proof: Bytes[2048] = b"") -> uint256:
    """
    @notice Registers a submission for the current epoch: the hash of its content, with the
            caller as author; sends exactly `deposit` wei. The hash binds the author:
            keccak256(abi.encode(author, keccak256(input))), so judges can tell the author from
            someone who copied the hash (a copy scores nothing); a hash already registered
            this epoch is refused.
    @param content keccak256(abi.encode(author, keccak256(the research input))).
    @param proof What the gate needs (if there is one) to admit the caller.
    @return The submission's index in this epoch.
    """
    assert emission.minter.address != empty(address), "bounty: no epoch open"
    end: uint256 = (emission._clock >> emission._END_SHIFT) & c.TIME_MASK
    start: uint256 = (emission._clock >> emission._START_SHIFT) & c.TIME_MASK
    assert block.timestamp >= start, "bounty: epoch not started"
    assert block.timestamp + self.scoring_period < end, "bounty: submissions closed"
    assert content != empty(bytes32), "bounty: empty content hash"
    epoch: uint256 = self.epoch_number
    gate: address = self.gate
    if gate != empty(address):
        credential: bytes32 = staticcall IGate(gate).credential(msg.sender, proof)
        assert credential != empty(bytes32), "bounty: not eligible"
        holder: address = self.credential_holder[epoch][credential]
        assert holder == empty(address) or holder == msg.sender, "bounty: credential used by another account this epoch"
        self.credential_holder[epoch][credential] = msg.sender
    assert not self._seen[epoch][content], "bounty: content already submitted"
    self._seen[epoch][content] = True
    assert msg.value == self.deposit, "bounty: wrong deposit"
    index: uint256 = len(self._submissions)
    assert index < MAX_SUBMISSIONS, "bounty: epoch full"
    self._submissions.append(Submission(author=msg.sender, content=content, points=0, primary=0))
    log Submitted(epoch=epoch, index=index, author=msg.sender, content=content)
    return index


@external
def score(index: uint256, points: uint256):
    """
    @notice A judge gives a submission 0 to 100 points (replacing what it gave before).
    @dev Judges only, before the epoch's end.
    @param index The submission's index in the current epoch.
    @param points 0 to 100.
    """
    self._check_judge()
    assert index < len(self._submissions), "bounty: no such submission"
    assert points <= MAX_POINTS, "bounty: more than 100 points"
    epoch: uint256 = self.epoch_number
    before: uint256 = self.given[epoch][index][msg.sender]
    self.given[epoch][index][msg.sender] = points
    self._submissions[index].points = self._submissions[index].points + points - before
    log Scored(epoch=epoch, index=index, judge=msg.sender, points=points)


@external
def mark_duplicate(index: uint256, primary: uint256):
    """
    @notice A judge marks a submission as reporting the same finding as `primary` (or, with
            primary == index, as a finding of its own again).
    @dev Judges only, before the epoch's end. The primary must be a primary itself, and a
         submission others duplicate cannot become a duplicate.
    @param index The duplicate's index.
    @param primary The index of the first submission of the finding.
    """
    self._check_judge()
    count: uint256 = len(self._submissions)
    assert index < count and primary < count, "bounty: no such submission"
    if primary == index:
        self._submissions[index].primary = 0
    else:
        assert self._submissions[primary].primary == 0, "bounty: the primary is a duplicate itself"
        for i: uint256 in range(MAX_SUBMISSIONS):
            if i >= count:
                break
            assert self._submissions[i].primary != index + 1, "bounty: others duplicate this submission"
        self._submissions[index].primary = primary + 1
    log Duplicate(epoch=self.epoch_number, index=index, primary=primary)


@external
def claim(account: address) -> uint256:
    """
    @notice Sends `account` what it was awarded; anyone may call it on the account's behalf.
    @param account The author.
    @return Wei sent.
    """
    amount: uint256 = self.owed[account]
    assert amount != 0, "bounty: nothing to claim"
    self.owed[account] = 0
    self.total_claimed += amount
    assert extcall IToken(TOKEN).transfer(account, amount, default_return_value=True)
    log Claimed(account=account, amount=amount)
    return amount


@external
def withdraw_deposit() -> uint256:
    """
    @notice Sends the caller the deposits it is owed.
    @return Wei sent.
    """
    amount: uint256 = self.deposits[msg.sender]
    assert amount != 0, "bounty: no deposit owed"
    self.deposits[msg.sender] = 0
    raw_call(msg.sender, b"", value=amount)
    return amount


# --- views ---------------------------------------------------------------------------------------


@external
@view
def submission_count() -> uint256:
    """
    @return How many submissions the current epoch holds.
    """
    return len(self._submissions)


@external
@view
def submission(index: uint256) -> Submission:
    """
    @param index A submission's index in the current epoch.
    @return Its author, content hash, points and primary (index + 1; 0: a primary).
    """
    return self._submissions[index]


@external
@view
def is_judge(account: address) -> bool:
    """
    @return Whether `account` may score now.
    """
    return self._is_judge(account)


@external
@view
def weights() -> DynArray[uint256, MAX_SUBMISSIONS]:
    """
    @notice Each submission's weight as the split would count it now (points x decay^(n-1) / n
            within its finding, scaled by 10_000^63 to stay integral).
    @return One weight per submission.
    """
    return self._weights()


@external
@view
def total_paid() -> uint256:
    """
    @return Wei paid out to authors over all epochs.
    """
    return self.total_claimed


@external
@view
def total_minted() -> uint256:
    """
    @return Wei minted into this contract over all epochs (what was awarded).
    """
    return emission._total_minted()


# --- the programme's calls -----------------------------------------------------------------------


@external
def start_epoch(minter: address, start: uint256, end: uint256, cap: uint256):
    """
    @notice Awards the old epoch's emission to its submissions, then opens the new one.
    @dev Programme only.
    """
    emission._only_programme()
    self._tick()
    if emission.minter.address != empty(address):
        self._settle_epoch()
    emission._switch(minter, start, end, cap)
    self.epoch_number += 1
    self._submissions = []
    self.epoch_emission = 0


@external
def set_halted(halted: bool):
    """
    @notice The programme halts (guardian pause, kill) or resumes accrual.
    @dev Programme only; ticks first.
    """
    emission._only_programme()
    self._tick()
    emission._set_halted(halted)


@external
def set_dial(name: bytes32, new_value: uint256):
    """
    @notice The programme moves a dial for its steward; only `throttle_bps` exists here.
    @dev Programme only; ticks first.
    """
    emission._only_programme()
    self._tick()
    emission._set_throttle(name, new_value)


@external
def settle():
    """
    @notice The programme's last settlement (STOP or KILL): awards the epoch's emission so far.
    @dev Programme only.
    """
    emission._only_programme()
    self._tick()
    self._settle_epoch()


# --- internals -----------------------------------------------------------------------------------


@internal
def _tick():
    """
    @dev Counts what the clock emitted since the last tick towards this epoch's split.
    """
    self.epoch_emission += emission._tick()


@internal
@view
def _is_judge(account: address) -> bool:
    if account == self.judge:
        return True
    for other: address in self.judges:
        if account == other:
            return True
    hat: uint256 = self.judge_hat
    if hat == 0:
        return False
    hats: address = staticcall IProgrammeOf(emission.programme).HATS()
    if hats == empty(address):
        return False
    ok: bool = False
    response: Bytes[32] = b""
    ok, response = raw_call(
        hats,
        abi_encode(account, hat, method_id=method_id("isWearerOfHat(address,uint256)")),
        max_outsize=32,
        gas=_HATS_GAS,
        is_static_call=True,
        revert_on_failure=False,
    )
    return ok and len(response) == 32 and convert(response, uint256) == 1


@internal
@view
def _check_judge():
    assert self._is_judge(msg.sender), "bounty: caller is not a judge"
    end: uint256 = (emission._clock >> emission._END_SHIFT) & c.TIME_MASK
    assert block.timestamp < end, "bounty: judging is over"


@internal
@view
def _weights() -> DynArray[uint256, MAX_SUBMISSIONS]:
    """
    @dev points(primary) x decay^(n - 1) / n for each of a finding's n submissions; a
         duplicate's own points do not count (the finding is scored once, on its primary).
         The decay power is fixed point at 1e18, floored at each step.
    @return One weight per submission, in submission order.
    """
    count: uint256 = len(self._submissions)
    members: uint256[MAX_SUBMISSIONS] = empty(uint256[MAX_SUBMISSIONS])
    for i: uint256 in range(MAX_SUBMISSIONS):
        if i >= count:
            break
        primary: uint256 = self._submissions[i].primary
        root: uint256 = i if primary == 0 else primary - 1
        members[root] += 1
    out: DynArray[uint256, MAX_SUBMISSIONS] = []
    decay: uint256 = self.decay_bps
    for i: uint256 in range(MAX_SUBMISSIONS):
        if i >= count:
            break
        primary: uint256 = self._submissions[i].primary
        root: uint256 = i if primary == 0 else primary - 1
        n: uint256 = members[root]
        factor: uint256 = 10**18
        for k: uint256 in range(MAX_SUBMISSIONS):
            if k + 1 >= n:
                break
            factor = factor * decay // c.BPS
        out.append(self._submissions[root].points * factor // n)
    return out


@internal
def _settle_epoch():
    """
    @dev Splits the epoch's emission by weight, mints the awards into this contract (as far as
         the minter can: the rest is forfeited, and the awards shrink with it), credits the
         authors and returns or forfeits the deposits. Never reverts.
    """
    count: uint256 = len(self._submissions)
    weights: DynArray[uint256, MAX_SUBMISSIONS] = self._weights()
    whole: uint256 = 0
    for w: uint256 in weights:
        whole += w
    emitted: uint256 = self.epoch_emission
    epoch: uint256 = self.epoch_number
    awards: DynArray[uint256, MAX_SUBMISSIONS] = []
    awarded: uint256 = 0
    for w: uint256 in weights:
        share: uint256 = 0
        if whole != 0:
            share = emitted * w // whole
        awards.append(share)
        awarded += share
    minted: uint256 = 0
    if awarded != 0:
        emission._add_accrued(awarded)
        minted = emission._try_mint(self, awarded)
    executor: address = empty(address)
    deposit: uint256 = self.deposit
    if deposit != 0:
        executor = staticcall IProgrammeOf(emission.programme).EXECUTOR()
    paid: uint256 = 0
    for i: uint256 in range(MAX_SUBMISSIONS):
        if i >= count:
            break
        author: address = self._submissions[i].author
        amount: uint256 = 0
        if awarded != 0:
            amount = awards[i] * minted // awarded
        if amount != 0:
            self.owed[author] += amount
            paid += amount
            log Awarded(epoch=epoch, index=i, author=author, amount=amount)
        if deposit != 0:
            # Back to authors whose finding earned points; the rest to the executor.
            if weights[i] != 0:
                self.deposits[author] += deposit
            else:
                self.deposits[executor] += deposit
    self.total_awarded += paid
    # The pro-rata scaling's rounding (only when part was forfeited): minted but credited to
    # no author, so it goes to the executor (the DAO's treasury) rather than stay stranded.
    if minted > paid:
        if executor == empty(address):
            executor = staticcall IProgrammeOf(emission.programme).EXECUTOR()
        self.owed[executor] += minted - paid
        self.total_awarded += minted - paid
    log EpochSettled(epoch=epoch, emission=emitted, awarded=minted)
    self._submissions = []
    self.epoch_emission = 0
