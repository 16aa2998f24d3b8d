"""The on-chain vocabulary, mirrored once: every module that speaks of states, outcomes,
comparators, roles or dials imports it from here.

The codes are the contracts' (`Programme.vy`, `programme_spec.vy`, OpenZeppelin's governor);
a test reads them back from the compiled contracts so the two cannot drift apart. Mechanism
kinds are not listed here: each kind registers its own code in `tpp.kinds`.
"""

from __future__ import annotations

from enum import IntEnum

from eth_utils import keccak

__all__ = [
    "ADMITTER_ADMIN_ROLE",
    "ADMITTER_ROLE",
    "DEFAULT_ADMIN_ROLE",
    "FINAL_STATES",
    "THRESHOLD_DECIMALS",
    "THROTTLE",
    "TOKEN_MINTER_ADMIN_ROLE",
    "TOKEN_MINTER_ROLE",
    "ZERO_ADDRESS",
    "Comparator",
    "Outcome",
    "ProposalState",
    "State",
    "Vote",
    "dial_id",
]

ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"


class _Named(IntEnum):
    @classmethod
    def label(cls, code: int) -> str:
        """The name of `code`, or the number itself when the chain returns an unknown one."""
        try:
            return cls(int(code)).name
        except ValueError:
            return str(int(code))

    @classmethod
    def parse(cls, text: str) -> _Named:
        """The member named `text` (any case, surrounding blanks ignored); ValueError names the
        choices."""
        try:
            return cls[text.strip().upper()]
        except KeyError:
            choices = ", ".join(m.name for m in cls if m.value)
            raise ValueError(f"{text!r} is not one of {choices}") from None


class State(_Named):
    """`Programme.state()`."""

    NONE = 0
    SCHEDULED = 1
    RUNNING = 2
    EVALUATING = 3
    PAUSED = 4
    STOPPED = 5
    KILLED = 6


FINAL_STATES = frozenset({State.STOPPED, State.KILLED})


class Outcome(_Named):
    """`Programme.decide(outcome, …)` and a programme's default outcome."""

    NONE = 0
    STOP = 1
    CONTINUE = 2
    ITERATE = 3
    PAUSE = 4
    KILL = 5


class Comparator(_Named):
    """How a PAUSE oracle's answer is compared with the threshold (`programme_spec.vy`)."""

    NONE = 0
    GT = 1
    GE = 2
    LT = 3
    LE = 4

    @property
    def symbol(self) -> str:
        return _SYMBOLS[self]

    @classmethod
    def from_symbol(cls, symbol: str) -> Comparator:
        for member, text in _SYMBOLS.items():
            if text == symbol.strip():
                return member
        raise ValueError(f"{symbol!r} is not a comparator (use >, >=, < or <=)")


_SYMBOLS = {Comparator.NONE: "", Comparator.GT: ">", Comparator.GE: ">=", Comparator.LT: "<", Comparator.LE: "<="}

# Decimals of a PAUSE oracle's threshold on chain (`oracle_feed.THRESHOLD_DECIMALS`): an
# 18-decimal fixed-point number, compared with the feed's answer scaled to 18 decimals.
THRESHOLD_DECIMALS = 18


class ProposalState(_Named):
    """OpenZeppelin IGovernor.ProposalState, in enum order."""

    PENDING = 0
    ACTIVE = 1
    CANCELED = 2
    DEFEATED = 3
    SUCCEEDED = 4
    QUEUED = 5
    EXPIRED = 6
    EXECUTED = 7


class Vote(_Named):
    """GovernorCountingSimple's vote types (the `support` argument of castVote)."""

    AGAINST = 0
    FOR = 1
    ABSTAIN = 2


# The one dial every mechanism knows: the share of the epoch's emission that flows, in bps.
THROTTLE = "throttle_bps"


def dial_id(name: str) -> bytes:
    """The key a programme stores a dial under: keccak256 of its name."""
    return keccak(text=name)


# Roles (AccessControl ids). The token's are the ZK token's names.
DEFAULT_ADMIN_ROLE = b"\x00" * 32
TOKEN_MINTER_ROLE = keccak(b"MINTER_ROLE")
TOKEN_MINTER_ADMIN_ROLE = keccak(b"MINTER_ADMIN_ROLE")
ADMITTER_ROLE = keccak(b"ADMITTER_ROLE")
ADMITTER_ADMIN_ROLE = keccak(b"ADMITTER_ADMIN_ROLE")
