"""`tpp deploy` on a real devnet (anvil): the dry run inside an anvil snapshot is rolled back
whole (state and time), then both votes run for real; a refused deploy sends nothing."""

from __future__ import annotations

import boa
import pytest

from tests.ops.test_deploy_decide import write_local_spec
from tpp.chain.anvil import free_port
from tpp.specs.spec import check_spec
from tpp.workflow.deployments import OpsError, load_deployments
from tpp.workflow.devnet import DEVNET_CHAIN_ID, devnet_chain, devnet_down, devnet_up
from tpp.workflow.local import deploy_file

pytestmark = [pytest.mark.integration, pytest.mark.ignore_isolation]


def test_deploy_on_the_devnet_dry_runs_then_sends(tmp_path):
    previous = boa.env
    root = tmp_path / ".tpp"
    try:
        devnet_up(root, free_port())
        chain = devnet_chain(root)
        deployments = load_deployments(DEVNET_CHAIN_ID, root)
        spec = write_local_spec(chain, tmp_path / "spec.toml", deployments)
        budget = chain.at("Budget", deployments.stack["budget"])
        done = deploy_file(chain, spec, deployments)
        deployments.save()
        assert list(done.programmes) == ["builders", "audits"]
        # The first caps and the reserves the programmes hold for their later epochs.
        assert budget.committed() == sum(p.lifetime_cap for p in check_spec(spec, now=0).spec.programmes)
        # Once recorded, the same names are refused before anything is sent: no GAP vote, no
        # time passing, nothing recorded twice.
        spec.write_text(spec.read_text().replace('max_share = "25%"', 'max_share = "20%"'))
        before = (budget.max_share_bps(), budget.committed(), chain.now())
        with pytest.raises(OpsError, match="already recorded"):
            deploy_file(chain, spec, load_deployments(DEVNET_CHAIN_ID, root))
        chain.refresh()
        assert (budget.max_share_bps(), budget.committed()) == before[:2] and chain.now() - before[2] < 60
    finally:
        devnet_down(root)
        boa.set_env(previous)
