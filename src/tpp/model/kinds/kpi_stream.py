"""`kpi_stream`: a KPI competition. Candidates fixed at creation (protocols A, B, …) are paid,
per second, for the time they hold one KPI (an asset balance, a feed's answer or a view) at or
above a threshold, between two readings at most `max_gap` apart; the emission of an interval
nobody holds it through is never minted. Contract: `KpiStream.vy`; its candidates and gap
travel in the spec's `params` (`encode_params`)."""

from __future__ import annotations

from dataclasses import dataclass

from tpp.model.kinds import MechanismKind

# How a candidate's KPI is read (KpiStream.vy's READ_*).
READERS = {"balance": 1, "feed": 2, "view": 3}
MAX_CANDIDATES = 8
ZERO = "0x" + "00" * 20


@dataclass(frozen=True)
class KpiCandidate:
    recipient: str
    read: str = "balance"  # balance | feed | view
    subject: str = ZERO  # balance: whose balance of the asset counts
    reader: str = ZERO  # feed: the AggregatorV3 feed; view: the contract
    selector: bytes = b"\0\0\0\0"  # view: the function (no arguments, returns uint256)
    threshold: int = 0  # balance and view: base units; feed: 18-decimal fixed point

    def as_tuple(self) -> tuple:
        return (self.recipient, READERS[self.read], self.reader, self.subject, self.selector, self.threshold)


def _word(value: int) -> bytes:
    return int(value).to_bytes(32, "big")


def _address(value: str) -> bytes:
    return bytes(12) + bytes.fromhex(value.removeprefix("0x").rjust(40, "0"))


def encode_params(max_gap: int, candidates: tuple[KpiCandidate, ...] | list[KpiCandidate]) -> bytes:
    """The `params` blob KpiStream.initialize decodes: abi.encode(uint256 max_gap,
    (address,uint8,address,address,bytes4,uint256)[] candidates) — static tuples, so the
    encoding is the head (the gap, the array's offset) then the length and six words each."""
    out = _word(max_gap) + _word(64) + _word(len(candidates))
    for c in candidates:
        selector = bytes(c.selector)
        if len(selector) != 4:
            raise ValueError(f"a view selector is 4 bytes, not {len(selector)}")
        out += _address(c.recipient) + _word(READERS[c.read]) + _address(c.reader) + _address(c.subject)
        out += selector + bytes(28) + _word(c.threshold)
    return out


KIND = MechanismKind(
    name="kpi_stream",
    code=3,
    contract="KpiStream",
    title="candidates compete to hold a KPI; paid per second while they hold it",
    noun="KPI stream",
    plural="KPI streams",
    target_field="asset",
    target_hint="the token whose balance is the KPI (balance readers)",
    target_label="judges by",
    stakes=False,
)
