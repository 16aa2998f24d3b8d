"""The same foundation loop against a real anvil node started (and stopped) by the test."""

from pathlib import Path

import boa
import pytest

from tests.e2e.story_checks import check_story
from tpp.chain import Chain
from tpp.chain.anvil import AnvilNode, rpc_call
from tpp.stories.foundation import run_foundation_story

pytestmark = [pytest.mark.integration, pytest.mark.ignore_isolation]


@pytest.fixture
def anvil_chain():
    previous = boa.env
    with AnvilNode() as node:
        chain = Chain.anvil(node)
        try:
            yield chain
        finally:
            boa.set_env(previous)


def test_foundation_story_on_anvil(anvil_chain):
    result = run_foundation_story(anvil_chain)
    # Blocks on a real node are mined a second or more after the state a call was built on,
    # so unlocked amounts are checked as bounds there rather than to the wei.
    check_story(result, exact_times=False)
    assert int(rpc_call(anvil_chain.url, "eth_chainId"), 16) == 31337


def test_anvil_node_stops_and_frees_its_port():
    """stop() returns once anvil itself has exited, so its port is free at once (regression:
    the npm launcher exited first and a busy machine saw the node still answer)."""
    node = AnvilNode().start()
    url = node.url
    assert node.running and int(rpc_call(url, "eth_chainId"), 16) == 31337
    assert node.process is not None and Path(node.process.args[0]).name == "anvil"
    assert Path(node.process.args[0]).parent.parent.name.startswith("anvil-")  # the binary, not bin.mjs
    node.stop()
    assert not node.running
    with pytest.raises(OSError):
        rpc_call(url, "eth_chainId", timeout=2)
