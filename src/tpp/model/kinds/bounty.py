"""`bounty`: a competitive research bounty. During an epoch anyone registers a submission (a
content hash, its author, a refundable deposit); judges give points and mark duplicates; at
the epoch's end its emission is split by weight, a finding filed n times sharing points x
decay^(n-1) among the n, so splitting one finding over addresses earns less than filing it
once; what nobody earns is never minted. Contract: `ResearchBounty.vy`; its scoring period,
decay, deposit, judge hat and extra judges travel in the spec's `params` (`encode_params`)."""

from __future__ import annotations

from collections.abc import Sequence

from eth_utils import keccak

from tpp.model.kinds import ZERO_ADDRESS, MechanismKind, word_address
from tpp.model.kinds import abi_address as _address
from tpp.model.kinds import abi_word as _word

# ResearchBounty.vy's bounds.
MIN_SCORING_PERIOD = 3600
MAX_JUDGES = 8
MAX_SUBMISSIONS = 64
MAX_POINTS = 100
MAX_DEPOSIT = (1 << 128) - 1


ZERO = ZERO_ADDRESS


def encode_params(
    scoring_period: int, decay_bps: int, deposit: int, judge_hat: int = 0, judges: Sequence[str] = (), gate: str = ZERO
) -> bytes:
    """The `params` blob ResearchBounty.initialize decodes: abi.encode(uint256 scoring_period,
    uint256 decay_bps, uint256 deposit, uint256 judge_hat, address gate, address[] judges) —
    five words, the array's offset (192), its length and one word per judge."""
    out = _word(scoring_period) + _word(decay_bps) + _word(deposit) + _word(judge_hat) + _address(gate)
    out += _word(192) + _word(len(judges))
    for judge in judges:
        out += _address(judge)
    return out


def decode_params(blob: bytes) -> tuple[int, int, int, int, str, tuple[str, ...]]:
    """(scoring_period, decay_bps, deposit, judge_hat, gate, judges) from a `params` blob."""
    if len(blob) < 224 or len(blob) % 32:
        raise ValueError(f"bounty parameters are at least seven words, not {len(blob)} bytes")
    words = [int.from_bytes(blob[i : i + 32], "big") for i in range(0, len(blob), 32)]
    period, decay, deposit, hat, gate, offset, count = words[:7]
    if offset != 192 or len(words) != 7 + count:
        raise ValueError("bounty parameters do not decode (the judges list)")
    judges = tuple(word_address(w, "a judge") for w in words[7:])
    return period, decay, deposit, hat, word_address(gate, "bounty parameters: the gate"), judges


def content_hash(author: str, text: str) -> bytes:
    """A submission's content hash as ResearchBounty.submit expects it:
    keccak256(abi.encode(author, keccak256(text))), so the hash names its author."""
    return keccak(_address(author) + keccak(text=text))


KIND = MechanismKind(
    name="bounty",
    code=5,
    contract="ResearchBounty",
    title="researchers' submissions, scored by judges, share each epoch's emission",
    noun="research bounty",
    plural="research bounties",
    target_field="judge",
    target_hint="who scores the submissions (a judges' Safe; more judges and a judge hat may be listed)",
    target_label="judged by",
    implementation_args=lambda handles: (handles["token"].address,),
    stakes=False,
)
