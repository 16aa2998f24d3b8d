"""`checkpoints`: periodic impact checkpoints. Every `period` of an epoch (and at its end) a
scorer posts a Merkle root of cumulative amounts earned by everyone who met the programme's
criteria, with the hashes of its rules and input data; a bonded challenge during the dispute
window freezes the root until the TPP executor keeps or lowers it; then accounts claim.
Contract: `ImpactCheckpoints.vy`; its period, window and bond travel in the spec's `params`
(`encode_params`); the trees are built by `tpp.model.merkle` and `tpp checkpoint score`."""

from __future__ import annotations

from tpp.model.kinds import ZERO_ADDRESS, MechanismKind, abi_address, abi_word, word_address

# ImpactCheckpoints.vy's bounds.
MIN_PERIOD = 3600  # seconds; the dispute window too
MAX_BOND = (1 << 128) - 1


ZERO = ZERO_ADDRESS


def encode_params(period: int, dispute_window: int, bond: int, gate: str = ZERO) -> bytes:
    """The `params` blob ImpactCheckpoints.initialize decodes: abi.encode(uint256 period,
    uint256 dispute_window, uint256 bond, address gate) — four static words."""
    return b"".join(abi_word(v) for v in (period, dispute_window, bond)) + abi_address(gate)


def decode_params(blob: bytes) -> tuple[int, int, int, str]:
    """(period, dispute_window, bond, gate) from a `params` blob (ValueError if it is not four words)."""
    if len(blob) != 128:
        raise ValueError(f"checkpoint parameters are 128 bytes (four words), not {len(blob)}")
    period, window, bond, gate = (int.from_bytes(blob[i : i + 32], "big") for i in (0, 32, 64, 96))
    return period, window, bond, word_address(gate, "checkpoint parameters: the gate")


KIND = MechanismKind(
    name="checkpoints",
    code=4,
    contract="ImpactCheckpoints",
    title="a scorer's Merkle roots pay everyone who met the criteria, at each checkpoint",
    noun="checkpoint programme",
    plural="checkpoint programmes",
    target_field="scorer",
    target_hint="who posts each checkpoint's root (a Safe running `tpp checkpoint score`)",
    target_label="scored by",
    implementation_args=lambda handles: (handles["token"].address,),
    stakes=False,
)
