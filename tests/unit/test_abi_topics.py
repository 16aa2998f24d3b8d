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
