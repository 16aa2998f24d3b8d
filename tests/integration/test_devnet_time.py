"""The devnet's chain time never goes backwards across `down` / `up`, and `tpp devnet warp`
reaches a date without hand-made RPC calls (regression: after a restart block 127 was dated
26 days before block 126). Against a real anvil node on a free loopback port."""

from __future__ import annotations

import boa
import pytest

from tpp.base import units
from tpp.chain.anvil import free_port, rpc_call
from tpp.workflow.deployments import OpsError
from tpp.workflow.devnet import devnet_chain, devnet_down, devnet_up, devnet_warp

pytestmark = [pytest.mark.integration, pytest.mark.ignore_isolation]

DAY = 86_400


def _block_time(url: str, tag: str = "latest") -> int:
    return int(rpc_call(url, "eth_getBlockByNumber", [tag, False])["timestamp"], 16)


def test_chain_time_survives_a_restart_and_warp_moves_it_forward(tmp_path):
    previous = boa.env
    root = tmp_path / ".tpp"
    try:
        node = devnet_up(root, free_port(), deploy=False)
        start = _block_time(node["url"])
        before, after = devnet_warp(root, seconds=26 * DAY)
        assert after - before >= 26 * DAY and _block_time(node["url"]) == after
        with pytest.raises(OpsError, match="time only moves forward"):
            devnet_warp(root, to=before)
        target = after + 3 * DAY
        _, reached = devnet_warp(root, to=target)
        assert reached >= target
        assert devnet_down(root)

        node = devnet_up(root, free_port(), deploy=False)
        url = node["url"]
        assert _block_time(url) >= reached  # the newest block after the restart
        rpc_call(url, "evm_mine", [])
        mined = _block_time(url)
        assert mined >= reached > start + 28 * DAY  # a new block is not dated back to the wall clock
        chain = devnet_chain(root)
        assert chain.now() == mined
        assert units.format_date(mined) >= units.format_date(reached)
    finally:
        devnet_down(root)
        boa.set_env(previous)
