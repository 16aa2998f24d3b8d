"""Merkle trees of cumulative amounts, as ImpactCheckpoints.vy checks them.

A leaf is keccak256(abi.encode(distributor, account, cumulative)): binding the distributor's
address means a tree for one programme is worthless in another, and a 96-byte preimage can
never be mistaken for an inner node (64 bytes). Inner nodes hash their two children in sorted
order, so a proof is just the siblings; a level's last node without a partner moves up
unchanged. Leaves are ordered by account, so the same amounts always give the same root.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from eth_utils import keccak

__all__ = ["MerkleTree", "leaf_hash", "levels_of", "proof_of", "verify"]


def _address_word(address: str) -> bytes:
    raw = bytes.fromhex(address.removeprefix("0x"))
    if len(raw) != 20:
        raise ValueError(f"not a 20-byte address: {address!r}")
    return bytes(12) + raw


def leaf_hash(distributor: str, account: str, cumulative: int) -> bytes:
    """The leaf ImpactCheckpoints.claim recomputes for (account, cumulative)."""
    if not 0 <= cumulative < 1 << 256:
        raise ValueError(f"cumulative amount out of range: {cumulative}")
    return keccak(_address_word(distributor) + _address_word(account) + cumulative.to_bytes(32, "big"))


def _pair(a: bytes, b: bytes) -> bytes:
    return keccak(a + b) if a < b else keccak(b + a)


def levels_of(leaves: Sequence[bytes]) -> tuple[tuple[bytes, ...], ...]:
    """Every level of the tree over `leaves` (in that order), leaves first, the root last."""
    if not leaves:
        raise ValueError("a tree needs at least one leaf")
    level = tuple(leaves)
    levels = [level]
    while len(level) > 1:
        nxt = [_pair(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            nxt.append(level[-1])
        level = tuple(nxt)
        levels.append(level)
    return tuple(levels)


def proof_of(levels: Sequence[Sequence[bytes]], index: int) -> list[bytes]:
    """The siblings from leaf `index` up to the root."""
    out: list[bytes] = []
    for level in levels[:-1]:
        sibling = index ^ 1
        if sibling < len(level):
            out.append(level[sibling])
        index //= 2
    return out


def verify(root: bytes, leaf: bytes, proof: Sequence[bytes]) -> bool:
    node = leaf
    for sibling in proof:
        node = _pair(node, sibling)
    return node == root


@dataclass(frozen=True)
class MerkleTree:
    """A tree over {account: cumulative amount (wei)} for one distributor."""

    distributor: str
    accounts: tuple[str, ...]  # checksummed or not; ordered by lower-case hex
    amounts: tuple[int, ...]
    levels: tuple[tuple[bytes, ...], ...]  # leaves first, root last

    @classmethod
    def build(cls, distributor: str, amounts: Mapping[str, int]) -> MerkleTree:
        if not amounts:
            raise ValueError("a tree needs at least one account")
        seen: dict[str, str] = {}
        for account in amounts:
            key = account.lower()
            if key in seen:
                raise ValueError(f"account {account} appears twice (also as {seen[key]})")
            seen[key] = account
        accounts = tuple(sorted(amounts, key=str.lower))
        values = tuple(int(amounts[a]) for a in accounts)
        levels = levels_of([leaf_hash(distributor, a, v) for a, v in zip(accounts, values)])
        return cls(distributor, accounts, values, levels)

    @property
    def root(self) -> bytes:
        return self.levels[-1][0]

    @property
    def total(self) -> int:
        return sum(self.amounts)

    def index(self, account: str) -> int:
        key = account.lower()
        for i, a in enumerate(self.accounts):
            if a.lower() == key:
                return i
        raise KeyError(f"{account} is not in this tree")

    def amount(self, account: str) -> int:
        return self.amounts[self.index(account)]

    def proof(self, account: str) -> list[bytes]:
        return proof_of(self.levels, self.index(account))
