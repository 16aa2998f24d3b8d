"""`kpi_stream`: a KPI competition. Candidates fixed at creation (protocols A, B, …) are paid,
per second, for the time they hold one KPI (an asset balance, a feed's answer or a view) at or
above a threshold, between two readings at most `max_gap` apart; the emission of an interval
nobody holds it through is never minted. Contract: `KpiStream.vy`; its candidates and gap
travel in the spec's `params` (`encode_params`)."""

from __future__ import annotations

from dataclasses import dataclass

from tpp.model.kinds import ZERO_ADDRESS, MechanismKind, word_address
from tpp.model.kinds import abi_address as _address
from tpp.model.kinds import abi_word as _word

# How a candidate's KPI is read (KpiStream.vy's READ_*).
READERS = {"balance": 1, "feed": 2, "view": 3}
MAX_CANDIDATES = 8
ZERO = ZERO_ADDRESS


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


def decode_params(blob: bytes) -> tuple[int, tuple[KpiCandidate, ...]]:
    """(max_gap, candidates) from a `params` blob (ValueError if it does not decode)."""
    if len(blob) < 96 or len(blob) % 32:
        raise ValueError(f"KPI parameters are at least three words, not {len(blob)} bytes")
    words = [int.from_bytes(blob[i : i + 32], "big") for i in range(0, len(blob), 32)]
    max_gap, offset, count = words[:3]
    if offset != 64 or len(words) != 3 + 6 * count:
        raise ValueError("KPI parameters do not decode (the candidates list)")
    reads = {code: name for name, code in READERS.items()}
    out = []
    for i in range(count):
        recipient, read, reader, subject, selector, threshold = words[3 + 6 * i : 9 + 6 * i]
        if read not in reads:
            raise ValueError(f"KPI parameters: candidate {i}'s reader kind {read} is unknown")
        out.append(
            KpiCandidate(
                word_address(recipient, f"candidate {i}'s recipient"),
                reads[read],
                word_address(subject, f"candidate {i}'s subject"),
                word_address(reader, f"candidate {i}'s reader"),
                selector.to_bytes(32, "big")[:4],
                threshold,
            )
        )
    return max_gap, tuple(out)


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
