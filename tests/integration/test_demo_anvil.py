"""The demo's story against a real anvil node started (and stopped) by the test.

Same story and checks as the embedded end-to-end test, with 12 participants instead of 100
so that the run, a few hundred real transactions, stays within a couple of minutes."""

import boa
import pytest

from tests.e2e.demo_checks import check_demo
from tpp.chain import Chain
from tpp.chain.anvil import AnvilNode
from tpp.stories.programme_story import DemoConfig, run_programme_story

pytestmark = [pytest.mark.integration, pytest.mark.ignore_isolation]


def test_demo_story_on_anvil():
    previous = boa.env
    with AnvilNode() as node:
        try:
            result = run_programme_story(Chain.anvil(node), DemoConfig(participants=12))
            check_demo(result, exact=False)
        finally:
            boa.set_env(previous)
