"""`tpp propose`'s Safe batch executed by a real Safe through MultiSendCallOnly on the embedded
chain (the anvil variant: tests/integration/test_safe_batch_anvil.py)."""

import json

import pytest

from tests.proposals.safe_batch_checks import check_portfolio_batch, check_slate_batch, deploy_safe_run, write_setup_batch
from tpp.system.safes import SafeError, batch_calls


def test_the_portfolio_and_slate_batches_run_through_the_executor_safe(chain, tmp_path):
    run = deploy_safe_run(chain, tmp_path)
    created = check_portfolio_batch(run, tmp_path / "portfolio")
    check_slate_batch(run, created, tmp_path / "slate")


def test_a_batch_the_safe_may_not_execute_is_refused_before_anyone_signs(chain, tmp_path):
    """The guardian Safe holds none of the executor's powers: the refusal names the call and
    the rule, and nothing is approved or executed."""
    run = deploy_safe_run(chain, tmp_path)
    out = tmp_path / "portfolio"
    write_setup_batch(run, out)
    calls = batch_calls(json.loads((out / "safe-batch.json").read_text()))
    signers = [chain.actor("guardian-1"), chain.actor("guardian-2")]
    with pytest.raises(SafeError, match=r"call 1 of 3 \(to .*\): AccessControlUnauthorizedAccount"):
        run.guardian.execute_batch(calls, signers=signers)
    assert run.guardian.nonce() == 0 and run.factory.programme_count() == 0
