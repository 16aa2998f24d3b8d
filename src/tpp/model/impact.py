"""The arithmetic of an impact checkpoint, shared by `tpp checkpoint score` (which feeds it
transfers read from an index) and the simulator's scorer (which feeds it the transfers its
agents sent): who was active, who is eligible, and how a checkpoint's award is split.

Only plain data goes in: transfers as (time, sender, recipient, value), addresses as strings
compared exactly (callers checksum them). Nothing here reads a chain.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field

__all__ = ["METRICS", "Activity", "award_accounts", "split", "tally"]

METRICS = ("volume", "transactions", "active_days")
DAY = 86_400


@dataclass
class Activity:
    """One sender's counted transfers in a checkpoint's period, and what it was awarded."""

    account: str
    transactions: int = 0
    volume: int = 0
    days: set[int] = field(default_factory=set)  # UTC day numbers with a counted transfer
    eligible: bool = False
    award: int = 0
    cumulative: int = 0

    def metric(self, name: str) -> int:
        return {"volume": self.volume, "transactions": self.transactions, "active_days": len(self.days)}[name]


def tally(
    transfers: Iterable[tuple[int, str, str, int]],
    *,
    start: int,
    end: int,
    counterparties: Collection[str] = (),
    excluded: Collection[str] = (),
    min_transactions: int = 1,
    min_active_days: int = 1,
) -> dict[str, Activity]:
    """Each sender's activity over [start, end): a transfer counts if it falls in the period,
    goes to one of `counterparties` (when any are named) and its sender is not `excluded`;
    eligibility is at least `min_transactions` counted transfers on `min_active_days` days."""
    counted = set(counterparties)
    skip = set(excluded)
    people: dict[str, Activity] = {}
    for time, sender, to, value in transfers:
        if not start <= time < end or (counted and to not in counted) or sender in skip:
            continue
        p = people.setdefault(sender, Activity(sender))
        p.transactions += 1
        p.volume += value
        p.days.add(time // DAY)
    for p in people.values():
        p.eligible = p.transactions >= min_transactions and len(p.days) >= min_active_days
    return people


def split(award: int, weights: dict[str, int], cap: int) -> dict[str, int]:
    """`award` split in proportion to `weights`, no one above `cap`: whoever the proportional
    split would put above the cap gets the cap, and the rest is split again among the others
    (floored; the dust stays unassigned)."""
    out = dict.fromkeys(weights, 0)
    open_ = {a: w for a, w in weights.items() if w > 0}
    left = award
    while open_ and left > 0:
        total = sum(open_.values())
        capped = {a for a, w in open_.items() if left * w // total >= cap - out[a]}
        if not capped:
            for a, w in open_.items():
                out[a] += left * w // total
            break
        for a in capped:
            left -= cap - out[a]
            out[a] = cap
            del open_[a]
    return out


def award_accounts(
    people: dict[str, Activity], award: int, metric: str, max_share_bps: int, prior: dict[str, int]
) -> dict[str, int]:
    """Split `award` among the eligible by `metric`, capped at `max_share_bps` of it each, and
    return the new cumulative amounts (`prior` plus this checkpoint's awards); fills in each
    activity's `award` and `cumulative`."""
    weights = {p.account: p.metric(metric) for p in people.values() if p.eligible}
    for account, amount in split(award, weights, award * max_share_bps // 10_000).items():
        people[account].award = amount
    cumulative = dict(prior)
    for p in people.values():
        if p.award:
            cumulative[p.account] = cumulative.get(p.account, 0) + p.award
        p.cumulative = cumulative.get(p.account, 0)
    return cumulative
