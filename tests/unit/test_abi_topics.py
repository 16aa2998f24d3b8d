"""The event decoder's fast path for indexed topics gives exactly what eth_abi (and the
codec's `convert`) give, and refuses what eth_abi refuses."""

from __future__ import annotations

import eth_abi
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tpp.chain.abi import _topic_value, convert

topics = st.binary(min_size=32, max_size=32)


def _reference(kind: str, raw: bytes):
    return convert(eth_abi.decode([kind], raw)[0])


@given(raw=topics, kind=st.sampled_from(["address", "uint256", "uint8", "uint48", "bytes32", "bool", "int256"]))
def test_the_fast_path_equals_eth_abi(raw, kind):
    try:
        expected = _reference(kind, raw)
    except Exception as exc:  # noqa: BLE001 - eth_abi refuses it: so must the fast path
        with pytest.raises(type(exc)):
            _topic_value(kind, raw)
        return
    assert _topic_value(kind, raw) == expected


@given(value=st.integers(min_value=0, max_value=2**160 - 1))
def test_addresses_are_checksummed(value):
    raw = value.to_bytes(32, "big")
    assert _topic_value("address", raw) == _reference("address", raw)


def test_a_log_address_given_as_bytes_or_text_decodes_the_same():
    """py-evm hands log addresses over as 20 bytes, RPC nodes as hex text: one checksummed result."""
    from eth_utils import keccak

    from tpp.chain.abi import EventDecoder

    abi = {
        "Token": [
            {
                "type": "event",
                "name": "Transfer",
                "anonymous": False,
                "inputs": [
                    {"name": "from", "type": "address", "indexed": True},
                    {"name": "to", "type": "address", "indexed": True},
                    {"name": "value", "type": "uint256", "indexed": False},
                ],
            }
        ]
    }
    decoder = EventDecoder.from_abis(abi)
    raw = bytes.fromhex("c6acb7d16d51f72eaa659668f30a40d87e2e0551")
    topics = [keccak(text="Transfer(address,address,uint256)"), b"\0" * 32, b"\0" * 12 + raw]
    data = (5).to_bytes(32, "big")
    as_bytes, as_text = decoder.decode(raw, topics, data), decoder.decode("0x" + raw.hex(), topics, data)
    assert as_bytes == as_text and as_bytes["address"] == "0xC6Acb7D16D51f72eAA659668F30A40d87E2E0551"
    assert as_bytes["args"] == {"from": "0x" + "00" * 20, "to": "0xC6Acb7D16D51f72eAA659668F30A40d87E2E0551", "value": 5}
