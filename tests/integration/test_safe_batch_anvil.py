"""`tpp propose`'s Safe batch executed by a real Safe through MultiSendCallOnly on a real anvil
node started (and stopped) by the test: every approveHash and execTransaction is a signed
transaction of a local actor, as an owner's wallet would send it."""

import boa
import pytest

from tests.proposals.safe_batch_checks import check_portfolio_batch, check_slate_batch, deploy_safe_run
from tpp.chain import Chain
from tpp.chain.anvil import AnvilNode
from tpp.system.safes import SafeError

pytestmark = [pytest.mark.integration, pytest.mark.ignore_isolation]


def test_the_batches_run_through_the_executor_safe_on_anvil(tmp_path):
    previous = boa.env
    with AnvilNode() as node:
        try:
            chain = Chain.anvil(node)
            run = deploy_safe_run(chain, tmp_path)
            created = check_portfolio_batch(run, tmp_path / "portfolio")
            check_slate_batch(run, created, tmp_path / "slate")
            # A refusal on a real node reads the same: Safe's code in words.
            coin = run.stake_token
            with pytest.raises(SafeError, match="GS026: invalid owner provided, or signatures not sorted"):
                run.executor.call(coin, "approve", chain.actor("stranger"), 1, signers=[chain.actor("stranger"), *run.signers])
        finally:
            boa.set_env(previous)
