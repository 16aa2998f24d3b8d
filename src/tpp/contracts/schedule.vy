# pragma version ~=0.4.3
"""
@title schedule
@license AGPL-3.0-only
@notice The one bit layout of an epoch's linear schedule (cap, start, end) packed into one
        storage word, shared by the Budget (one word per admitted minter) and by every
        EpochMinter (its own schedule).
@dev Layout: bits 0..127 cap (wei), 128..175 start, 176..223 end (unix seconds). Callers
     keep `cap <= c.CAP_MASK` and times `<= c.TIME_MASK` before packing, so no field spills
     into the next. Caps are never zero, so a packed word is non-zero exactly when set.
     The helpers are `@pure` and tiny; they read no storage, so the caller reads the word once.
"""

from . import constants as c
from . import linear_unlock

# Bit offset of the start time in a packed schedule.
_START_SHIFT: constant(uint256) = 128
# Bit offset of the end time in a packed schedule.
_END_SHIFT: constant(uint256) = 176


@internal
@pure
def _pack(cap: uint256, start: uint256, end: uint256) -> uint256:
    """
    @dev Packs a schedule; the caller has bounded the fields (see the layout above).
    @param cap Most tokens (wei) the schedule unlocks; below 2**128.
    @param start First second (unix time) of the schedule; below 2**48.
    @param end Second (unix time) by which the whole cap has unlocked; below 2**48.
    @return The packed word.
    """
    return cap | (start << _START_SHIFT) | (end << _END_SHIFT)


@internal
@pure
def _cap(packed: uint256) -> uint256:
    """
    @param packed A packed schedule.
    @return Its cap (wei).
    """
    return packed & c.CAP_MASK


@internal
@pure
def _start(packed: uint256) -> uint256:
    """
    @param packed A packed schedule.
    @return Its start (unix seconds).
    """
    return (packed >> _START_SHIFT) & c.TIME_MASK


@internal
@pure
def _end(packed: uint256) -> uint256:
    """
    @param packed A packed schedule.
    @return Its end (unix seconds).
    """
    return (packed >> _END_SHIFT) & c.TIME_MASK


@internal
@pure
def _unlocked(packed: uint256, t: uint256) -> uint256:
    """
    @dev The linear unlock of a packed schedule at `t`, by the one shared formula.
    @param packed A packed schedule.
    @param t Unix time (seconds).
    @return Tokens (wei) unlocked by `t`.
    """
    return linear_unlock._unlocked(self._cap(packed), self._start(packed), self._end(packed), t)
