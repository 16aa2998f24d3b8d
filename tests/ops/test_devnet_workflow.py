"""The operator's workflow on a REAL anvil devnet: deploy a spec through the local governors,
read status, decide in the window and turn a dial, then stop and restart the node and find
everything where it was."""

import contextlib
import io

import boa
import pytest

from tests.ops.test_deploy_decide import WINDOW, write_local_spec
from tpp.base.vocab import THROTTLE, Outcome, dial_id
from tpp.chain.anvil import free_port
from tpp.specs.spec import load_spec
from tpp.workflow.deployments import OpsError, load_deployments
from tpp.workflow.devnet import DEVNET_CHAIN_ID, devnet_chain, devnet_down, devnet_up
from tpp.workflow.keeper import status
from tpp.workflow.local import decide_locally, deploy_spec, move_dial, set_globals_locally

pytestmark = [pytest.mark.integration, pytest.mark.ignore_isolation]

DAY = 86_400


def test_deploy_status_decide_dial_and_restart_on_a_devnet(tmp_path):
    previous = boa.env
    root = tmp_path / ".tpp"
    devnet_up(root, free_port())
    try:
        chain = devnet_chain(root)
        deployments = load_deployments(DEVNET_CHAIN_ID, root)
        spec_path = write_local_spec(chain, tmp_path / "devnet.toml", deployments)
        spec = load_spec(spec_path, now=chain.now())
        with contextlib.redirect_stdout(io.StringIO()):
            set_globals_locally(chain, deployments, spec.globals)
            result = deploy_spec(chain, spec, deployments)
        deployments.save()  # as `tpp deploy` does
        assert list(result.programmes) == ["builders", "audits"]

        rows = {row["name"]: row for row in status(chain, load_deployments(DEVNET_CHAIN_ID, root))}
        assert set(rows) == {"builders", "audits"}
        assert all(row["state"] == "SCHEDULED" for row in rows.values())

        # In the window: a decision by a local vote, and the steward's dial.
        builders = chain.at("Programme", deployments.programmes["builders"].address)
        chain.warp_to(spec.programme("builders").first_end - WINDOW + DAY)
        with contextlib.redirect_stdout(io.StringIO()):
            decide_locally(chain, deployments, "builders", "CONTINUE")
            move_dial(chain, deployments, "builders", THROTTLE, 9_000, "KPI 2 behind plan")
        assert builders.pending_outcome() == Outcome["CONTINUE"]
        assert builders.dial(dial_id(THROTTLE))[0] == 9_000
        with pytest.raises(OpsError, match="dial outside bounds"):
            move_dial(chain, deployments, "builders", THROTTLE, 3_000, "too far")
        before = {row["name"]: (row["state"], row["epoch"]) for row in status(chain, deployments)}

        # Stop and start the node: the deployment and the programmes' state survive.
        assert devnet_down(root)
        node = devnet_up(root)
        assert not node["deployed"]
        chain = devnet_chain(root)
        after = {row["name"]: (row["state"], row["epoch"]) for row in status(chain, load_deployments(DEVNET_CHAIN_ID, root))}
        assert after == before
        assert chain.at("Programme", deployments.programmes["builders"].address).pending_outcome() == Outcome["CONTINUE"]
    finally:
        devnet_down(root)
        boa.set_env(previous)
