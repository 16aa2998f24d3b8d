# pragma version ~=0.4.3
"""
@title oracle_feed
@license AGPL-3.0-only
@notice How a programme reads the Chainlink-style AggregatorV3 feed of its PAUSE condition
        without trusting it: only a fresh, complete, positive answer counts; it is compared
        with a threshold written as an 18-decimal fixed-point number, whatever decimals the
        feed reports; and a feed that reverts, answers malformed, short or oversized data,
        or burns gas reads as "no answer" at a bounded cost, so it can never block or starve
        the transaction that reads it.
@dev An answer counts only when the round is complete (`answeredInRound >= roundId`,
     `startedAt != 0`), fresh (`updatedAt != 0`, `updatedAt <= now`, `now - updatedAt <=
     max age`), positive (`answer > 0`), ABI-exact (160 bytes, uint80 round ids) and the
     feed's `decimals()` (32 bytes, at most `MAX_DECIMALS`) reads too. The comparison is exact:
     no rounding, no overflow. Each read is a static call with its own gas cap; the caller
     must leave it that whole cap (a CALL forwards at most 63/64 of the gas left, EIP-150),
     else the read reverts "oracle: too little gas for the feed", so a caller cannot pick a
     gas limit that makes a healthy feed look broken (and gas estimation finds a limit at
     which the feed was really read). Reading a broken feed costs at most
     `_ROUND_GAS + _DECIMALS_GAS` beyond the calls' own overhead.
     The oracle word packs the feed's address (bits 0..159) and the largest answer age in
     seconds (bits 160..207); 0 means no oracle. No storage: the importer keeps the word.
"""

from . import constants as c

# Decimals of every threshold (an 18-decimal fixed-point number): "1850.5" is stored as
# 1850.5 * 10**18 and means 1850.5 of the feed's unit, whether the feed has 8 or 18 decimals.
THRESHOLD_DECIMALS: constant(uint256) = 18
# Most decimals a feed may report; more reads as a broken feed (no real feed has over 18, and
# 10**36 keeps every scaling within 256 bits).
MAX_DECIMALS: constant(uint256) = 36

# Gas cap of `latestRoundData()`. A real Chainlink feed is a proxy (EACAggregatorProxy: its
# access controller and current phase, two cold SLOADs) calling an OCR aggregator (its access
# list, latest round id and that round's transmission: three cold SLOADs) through one more
# cold CALL. A stand-in with exactly those reads (tests/unit/test_oracle_feed.py) costs its
# caller 17,217 gas, both cold accounts included; the test asserts a margin of at least 4x.
# 100_000 (5.8x) leaves room for Solidity's heavier call path, composite feeds (one answer
# derived from two feeds), a proxy upgraded to a dearer aggregator and future repricings of
# cold state access, while a feed that burns its whole cap costs a keeper at most 100k more
# per `advance()`, far below any block's gas.
_ROUND_GAS: constant(uint256) = 100_000
# Gas cap of `decimals()`: the proxy's phase SLOAD and a cold CALL to an aggregator that
# returns an immutable, 8,116 gas measured the same way; 40_000 (4.9x) for the same reasons.
_DECIMALS_GAS: constant(uint256) = 40_000
# Gas a read needs besides 64/63 of its cap: the CALL's own charge (a cold account, 2,600),
# the answer's memory and the code between the gas check and the CALL.
_CALL_SLACK: constant(uint256) = 5_000
# Bytes of the ABI answer of `latestRoundData()`: five words.
_ROUND_SIZE: constant(uint256) = 160
# Bytes of the ABI answer of `decimals()`: one word.
_DECIMALS_SIZE: constant(uint256) = 32
# Largest round id (`uint80` in the AggregatorV3 ABI).
_UINT80: constant(uint256) = (1 << 80) - 1
# Mask of the feed's address (bits 0..159) in the oracle word.
_FEED_MASK: constant(uint256) = (1 << 160) - 1
# Bit offset of the largest answer age (seconds, 48 bits) in the oracle word.
_MAX_AGE_SHIFT: constant(uint256) = 160


@internal
@pure
def _pack(feed: address, max_age: uint256) -> uint256:
    """
    @dev Packs the oracle word (layout above); the caller has bounded `max_age`.
    @param feed The AggregatorV3 feed (not empty).
    @param max_age Oldest answer that counts, in seconds; 1 to 2**48 - 1.
    @return The oracle word; never 0 for a non-empty feed.
    """
    return convert(feed, uint256) | (max_age << _MAX_AGE_SHIFT)


@internal
@pure
def _feed(word: uint256) -> address:
    """
    @param word An oracle word (0: no oracle).
    @return The feed's address (empty without an oracle).
    """
    return convert(convert(word & _FEED_MASK, uint160), address)


@internal
@pure
def _max_age(word: uint256) -> uint256:
    """
    @param word An oracle word (0: no oracle).
    @return The oldest answer that counts, in seconds (0 without an oracle).
    """
    return (word >> _MAX_AGE_SHIFT) & c.TIME_MASK


@internal
@view
def _compare(word: uint256, threshold: int256) -> (bool, int8):
    """
    @dev Reads the feed and compares its answer with the threshold, never reverting on
         anything the feed does (see the module notice); reverts only when the caller left
         too little gas for a full read.
    @param word The oracle word (not 0).
    @param threshold The threshold, an 18-decimal fixed-point number.
    @return Whether the feed gave an answer that counts, and the sign of
            (answer - threshold) with both at 18 decimals: -1, 0 or 1 (0 when it gave none).
    """
    feed: address = self._feed(word)
    assert msg.gas >= _ROUND_GAS * 64 // 63 + _CALL_SLACK, "oracle: too little gas for the feed"
    ok: bool = False
    data: Bytes[_ROUND_SIZE + 1] = b""
    # One byte more than the ABI answer, so oversized return data is seen (and refused).
    ok, data = raw_call(
        feed,
        method_id("latestRoundData()"),
        max_outsize=_ROUND_SIZE + 1,
        gas=_ROUND_GAS,
        is_static_call=True,
        revert_on_failure=False,
    )
    if not ok or len(data) != _ROUND_SIZE:
        return False, 0
    round_id: uint256 = extract32(data, 0, output_type=uint256)
    answer: int256 = extract32(data, 32, output_type=int256)
    started_at: uint256 = extract32(data, 64, output_type=uint256)
    updated_at: uint256 = extract32(data, 96, output_type=uint256)
    answered_in_round: uint256 = extract32(data, 128, output_type=uint256)
    if round_id > _UINT80 or answered_in_round > _UINT80:
        return False, 0
    # An incomplete round: the answer was carried over from an older one, or never started.
    if answered_in_round < round_id or started_at == 0:
        return False, 0
    # A stale (or future-dated) answer.
    if updated_at == 0 or updated_at > block.timestamp or block.timestamp - updated_at > self._max_age(word):
        return False, 0
    if answer <= 0:
        return False, 0

    assert msg.gas >= _DECIMALS_GAS * 64 // 63 + _CALL_SLACK, "oracle: too little gas for the feed"
    response: Bytes[_DECIMALS_SIZE + 1] = b""
    ok, response = raw_call(
        feed,
        method_id("decimals()"),
        max_outsize=_DECIMALS_SIZE + 1,
        gas=_DECIMALS_GAS,
        is_static_call=True,
        revert_on_failure=False,
    )
    if not ok or len(response) != _DECIMALS_SIZE:
        return False, 0
    decimals: uint256 = extract32(response, 0, output_type=uint256)
    if decimals > MAX_DECIMALS:
        return False, 0
    return True, self._sign(convert(answer, uint256), decimals, threshold)


@internal
@pure
def _sign(answer: uint256, decimals: uint256, threshold: int256) -> int8:
    """
    @dev The sign of (answer / 10**decimals - threshold / 10**18), exactly: the side with fewer
         decimals is compared by quotient and remainder instead of being scaled up, so
         nothing rounds and nothing overflows.
    @param answer The feed's answer, positive.
    @param decimals The feed's decimals, at most MAX_DECIMALS.
    @param threshold The threshold, an 18-decimal fixed-point number.
    @return -1 below, 0 equal, 1 above the threshold.
    """
    if threshold <= 0:
        return 1
    limit: uint256 = convert(threshold, uint256)
    if decimals <= THRESHOLD_DECIMALS:
        # answer * unit against limit = quotient * unit + remainder, with remainder < unit.
        unit: uint256 = pow_mod256(10, THRESHOLD_DECIMALS - decimals)
        quotient: uint256 = limit // unit
        if answer != quotient:
            return 1 if answer > quotient else -1
        return 0 if limit % unit == 0 else -1
    # answer = quotient * unit + remainder against limit * unit.
    unit: uint256 = pow_mod256(10, decimals - THRESHOLD_DECIMALS)
    quotient: uint256 = answer // unit
    if quotient != limit:
        return 1 if quotient > limit else -1
    return 0 if answer % unit == 0 else 1
