# pragma version ~=0.4.3
"""
@title linear_unlock
@license AGPL-3.0-only
@notice The one formula for "how much of a cap has unlocked by time t" shared by every
        capped minter and by the Budget, so the minters, the Budget's schedule check and
        the published supply curve can never disagree.
@dev Nothing before `start`; `cap` from `end` on (so a zero-length window is a cliff at
     `start`); in between `cap * (t - start) // (end - start)`, floored so the unlock never
     runs ahead of the schedule. Callers keep `cap < 2**128` and times `< 2**48`, so the
     product cannot overflow.
"""


@internal
@pure
def _unlocked(cap: uint256, start: uint256, end: uint256, t: uint256) -> uint256:
    """
    @dev The linear unlock formula (see the module notice).
    @param cap Most tokens (wei) that unlock; below 2**128.
    @param start When unlocking starts (unix seconds); below 2**48.
    @param end When the whole cap has unlocked (unix seconds); not before `start`.
    @param t Unix time (seconds) to evaluate at.
    @return Tokens (wei) unlocked by `t`: 0 before `start`, `cap` from `end`, floored in between.
    """
    if t < start:
        return 0
    if t >= end:
        return cap
    return cap * (t - start) // (end - start)
