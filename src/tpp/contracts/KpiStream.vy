# pragma version ~=0.4.3
# pragma optimize gas
"""
@title KpiStream
@license AGPL-3.0-only
@notice A KPI competition stream: candidates fixed at creation (protocols A, B, …, each with a
        recipient) compete to hold one KPI — an asset balance held by a contract, an
        AggregatorV3 feed's answer, or a view returning uint256 — at or above a threshold.
        Anyone may `poke()` a reading. The emission of the interval between two consecutive
        readings is paid only to the candidates whose KPI held at both of them, and only if
        the readings are at most `max_gap` seconds apart; it is shared equally among them
        (each holder gets the same share, whatever its margin above the threshold, so a
        candidate cannot buy a larger share by overshooting; the division's remainder, under
        one wei per holder, is dropped). An interval nobody qualifies for pays nothing, and
        its emission is never minted. A one-time deposit earns nothing: a candidate must
        hold the KPI at every reading, and any competitor can take a reading the moment it
        stops holding it.
        Lifecycle: cloned and initialised by the factory with its programme, the KPI asset
        and its parameters; each epoch the programme points it at the epoch's minter; every
        programme call (epoch switch, halt, settlement) takes a reading first, so no
        interval is judged twice or skipped.
@dev Invariants: Σ paid + Σ owed == minted + owed-but-unminted == accrued <= the minters'
     unlocks; nothing is credited for an interval without two valid readings at most
     `max_gap` apart; a reader that reverts, returns garbage or burns gas reads as "not held".
@custom:kill The programme halts accrual and settles on KILL: each candidate's owed amount is
     minted to its recipient as far as the minter still can; what it cannot is forfeited.
"""

from .interfaces import IMechanism
from . import emission
from . import oracle_feed

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

# Most candidates one stream may have.
MAX_CANDIDATES: constant(uint256) = 8
# Longest parameters blob the factory passes (programme_spec.MAX_PARAMS).
_MAX_PARAMS: constant(uint256) = 2048
# How a candidate's KPI is read.
READ_BALANCE: constant(uint8) = 1  # the KPI asset's balanceOf(subject)
READ_FEED: constant(uint8) = 2  # an AggregatorV3 feed at `reader` (18-decimal threshold)
READ_VIEW: constant(uint8) = 3  # `reader`'s view `selector`() returning uint256
# Gas one balance or view read may use: a reader cannot starve a reading.
_READ_GAS: constant(uint256) = 60_000


struct Candidate:
    recipient: address
    read: uint8
    reader: address
    subject: address
    selector: bytes4
    threshold: uint256


# The asset whose balance READ_BALANCE candidates are judged by.
asset: public(address)
# Longest interval (seconds) between two readings that still pays.
max_gap: public(uint256)
# The candidates, fixed at creation.
_candidates: DynArray[Candidate, MAX_CANDIDATES]
# Time of the last reading (0: none yet) and the candidates holding the KPI at it (bit i: candidate i).
last_reading: public(uint256)
held_mask: public(uint256)
# Wei credited to each candidate and not yet minted to its recipient.
owed: public(HashMap[uint256, uint256])
# Wei minted to each candidate's recipient over all epochs.
paid: public(HashMap[uint256, uint256])


event Reading:
    caller: indexed(address)
    held_mask: uint256
    paid_mask: uint256
    amount: uint256
    dropped: uint256


event Claimed:
    candidate: indexed(uint256)
    recipient: indexed(address)
    amount: uint256


@deploy
def __init__():
    """
    @notice Deploys the implementation every KPI stream clone delegates to.
    """
    emission._init(self)


@external
def initialize(programme: address, asset: address, params: Bytes[_MAX_PARAMS]):
    """
    @notice Sets a fresh clone up. Called once, by the factory, in the cloning transaction.
    @param programme The programme that controls the stream.
    @param asset The KPI asset READ_BALANCE candidates are judged by; not empty.
    @param params abi.encode(max_gap, candidates): the longest paying interval (seconds, at
           least 1) and 1 to 8 candidates (recipient, read, reader, subject, selector, threshold).
    """
    assert asset != empty(address), "kpi: zero asset"
    max_gap: uint256 = 0
    candidates: DynArray[Candidate, MAX_CANDIDATES] = []
    max_gap, candidates = abi_decode(params, (uint256, DynArray[Candidate, MAX_CANDIDATES]))
    assert max_gap != 0 and max_gap <= convert(max_value(uint48), uint256), "kpi: max gap out of range"
    assert len(candidates) != 0, "kpi: no candidates"
    for candidate: Candidate in candidates:
        assert candidate.recipient != empty(address), "kpi: zero recipient"
        assert candidate.read >= READ_BALANCE and candidate.read <= READ_VIEW, "kpi: unknown reader kind"
        if candidate.read == READ_BALANCE:
            assert candidate.subject != empty(address), "kpi: zero subject"
        else:
            assert candidate.reader != empty(address), "kpi: zero reader"
        if candidate.read == READ_FEED:
            assert candidate.threshold <= convert(max_value(int256), uint256), "kpi: feed threshold above int256"
    emission._init(programme)
    self.asset = asset
    self.max_gap = max_gap
    self._candidates = candidates


# --- readings --------------------------------------------------------------------------------


@external
def poke() -> uint256:
    """
    @notice Takes a reading: judges the interval since the last one and credits its emission
            to the candidates that held the KPI at both; anyone may call it, at any time.
    @return Wei credited by this reading.
    """
    return self._read()


@external
def claim(candidate: uint256) -> uint256:
    """
    @notice Takes a reading, then mints what `candidate` is owed to its recipient; anyone may
            call it on the candidate's behalf.
    @param candidate The candidate's index (creation order).
    @return Wei minted.
    """
    assert candidate < len(self._candidates), "kpi: no such candidate"
    self._read()
    amount: uint256 = self.owed[candidate]
    if amount == 0:
        return 0
    recipient: address = self._candidates[candidate].recipient
    self.owed[candidate] = 0
    self.paid[candidate] += amount
    emission.minted_current += amount
    extcall emission.minter.mint(recipient, amount)
    log Claimed(candidate=candidate, recipient=recipient, amount=amount)
    return amount


@external
@view
def held_now() -> uint256:
    """
    @notice The candidates holding the KPI now (bit i: candidate i), as a reading would see them.
    @return The mask.
    """
    return self._held_mask()


@external
@view
def candidate_count() -> uint256:
    """
    @return How many candidates compete.
    """
    return len(self._candidates)


@external
@view
def candidate(index: uint256) -> Candidate:
    """
    @param index The candidate's index (creation order).
    @return Its recipient, reader kind, reader, subject, selector and threshold.
    """
    return self._candidates[index]


@internal
def _read() -> uint256:
    """
    @dev One reading: ticks the emission clock, judges the interval since the last reading,
         credits or drops its emission, and remembers who holds the KPI now.
    @return Wei credited.
    """
    amount: uint256 = emission._tick()
    mask: uint256 = self._held_mask()
    last: uint256 = self.last_reading
    paying: uint256 = 0
    if last != 0 and block.timestamp - last <= self.max_gap:
        paying = mask & self.held_mask
    holders: uint256 = 0
    for i: uint256 in range(MAX_CANDIDATES):
        if paying & (1 << i) != 0:
            holders += 1
    credited: uint256 = 0
    if holders != 0 and amount != 0:
        share: uint256 = amount // holders
        for i: uint256 in range(MAX_CANDIDATES):
            if paying & (1 << i) != 0:
                self.owed[i] += share
        credited = share * holders
        emission._add_accrued(credited)
    self.last_reading = block.timestamp
    self.held_mask = mask
    log Reading(caller=msg.sender, held_mask=mask, paid_mask=paying, amount=credited, dropped=amount - credited)
    return credited


@internal
@view
def _held_mask() -> uint256:
    mask: uint256 = 0
    i: uint256 = 0
    for candidate: Candidate in self._candidates:
        if self._holds(candidate):
            mask |= 1 << i
        i += 1
    return mask


@internal
@view
def _holds(candidate: Candidate) -> bool:
    """
    @dev Whether the candidate's KPI is at or above its threshold now; a reader that fails in
         any way reads as "not held".
    """
    if candidate.read == READ_FEED:
        valid: bool = False
        sign: int8 = 0
        valid, sign = oracle_feed._compare(oracle_feed._pack(candidate.reader, self.max_gap), convert(candidate.threshold, int256))
        return valid and sign >= 0
    target: address = self.asset
    data: Bytes[36] = b""
    if candidate.read == READ_BALANCE:
        data = abi_encode(candidate.subject, method_id=method_id("balanceOf(address)"))
    else:
        target = candidate.reader
        data = concat(candidate.selector, b"")
    ok: bool = False
    response: Bytes[33] = b""
    ok, response = raw_call(target, data, max_outsize=33, gas=_READ_GAS, is_static_call=True, revert_on_failure=False)
    if not ok or len(response) != 32:
        return False
    return extract32(response, 0, output_type=uint256) >= candidate.threshold


# --- the programme's calls -----------------------------------------------------------------------


@external
def start_epoch(minter: address, start: uint256, end: uint256, cap: uint256):
    """
    @notice Takes a reading, pays out what the old epoch owes, then streams from `minter`.
    @dev Programme only.
    @param minter The new epoch's minter; this stream holds its MINTER_ROLE.
    @param start The epoch's start (unix seconds).
    @param end The epoch's end (unix seconds); after `start`.
    @param cap Most tokens (wei) the epoch emits.
    """
    emission._only_programme()
    self._read()
    if emission.minter.address != empty(address):
        self._settle_all()
    emission._switch(minter, start, end, cap)


@external
def set_halted(halted: bool):
    """
    @notice The programme halts (guardian pause, kill) or resumes accrual.
    @dev Programme only; takes a reading first, so the interval before the switch is judged.
    @param halted True to halt accrual, False to resume it.
    """
    emission._only_programme()
    self._read()
    emission._set_halted(halted)


@external
def set_dial(name: bytes32, new_value: uint256):
    """
    @notice The programme moves a dial for its steward; only `throttle_bps` exists here.
    @dev Programme only; takes a reading first, so the new value applies from now on.
    @param name keccak256 of the dial's name ("throttle_bps").
    @param new_value The new value (basis points, at most 10_000).
    """
    emission._only_programme()
    self._read()
    emission._set_throttle(name, new_value)


@external
def settle():
    """
    @notice The programme settles the epoch before closing its minter (STOP or KILL): takes a
            reading, mints each candidate's owed amount as far as the minter can, forfeits the rest.
    """
    emission._only_programme()
    self._read()
    self._settle_all()


@internal
def _settle_all():
    """
    @dev Mints every candidate's owed amount to its recipient without ever reverting; what the
         minter can no longer mint (or the Budget refuses) is forfeited.
    """
    for i: uint256 in range(MAX_CANDIDATES):
        if i >= len(self._candidates):
            break
        amount: uint256 = self.owed[i]
        if amount == 0:
            continue
        self.owed[i] = 0
        minted: uint256 = emission._try_mint(self._candidates[i].recipient, amount)
        self.paid[i] += minted
        if minted != 0:
            log Claimed(candidate=i, recipient=self._candidates[i].recipient, amount=minted)


@external
@view
def total_paid() -> uint256:
    """
    @notice Wei minted to the candidates' recipients over all epochs.
    @return Wei paid.
    """
    return emission._total_minted()


@external
@view
def total_minted() -> uint256:
    """
    @notice Wei minted over all epochs (equal to what was paid: it mints to recipients).
    @return Wei minted.
    """
    return emission._total_minted()
