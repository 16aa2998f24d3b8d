"""One indexed story for the provenance, brief and dashboard tests: the demo's story (a GAP
vote, a TPP vote creating three programmes, a slate, participants) on a fresh embedded
chain, then a fourth programme created by a vote whose description is hostile markup, and a
mint outside the tree by a rogue minter; all indexed from the embedded chain's logs."""

from __future__ import annotations

import contextlib
import io
from dataclasses import dataclass
from pathlib import Path

import boa
import pytest

from tpp.base.vocab import TOKEN_MINTER_ROLE
from tpp.chain import Chain
from tpp.stories.demo import write_index
from tpp.stories.programme_story import CYCLE, DemoConfig, PlannedProgramme, _specs, run_programme_story
from tpp.system.stack import WAD
from tpp.workflow.index import LogRecorder
from tpp.workflow.provenance import IndexData

HOSTILE = '# TPP-9 <script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2"> [[red]] \x1b[31m'
ROGUE_MINT = 777 * WAD
SYBILS = 3


@dataclass
class Story:
    chain: object
    result: object
    path: Path
    hostile: object  # the programme the hostile description created
    rogue: str  # who received the mint outside the tree
    farmer: str  # who funded the sybil stakers
    logs: object  # the LogRecorder the index was built from (a LogSource)

    def data(self) -> IndexData:
        return IndexData.load(self.path)


@pytest.fixture(scope="session")
def story(tmp_path_factory):
    previous = boa.env
    chain = Chain.embedded()
    logs = LogRecorder(chain).attach()
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            result = run_programme_story(chain, DemoConfig(participants=12))
        stack = result.stack
        start = stack.budget.next_cycle_boundary(chain.now() + 1)
        plan = (
            PlannedProgramme("hostile", "stream", 1_000 * WAD, "STOP"),
            PlannedProgramme("farm", "staking", 1_000 * WAD, "STOP"),
        )
        lp = chain.deploy("testing/StakeToken", "farm LP", "FARM", 18, sender=stack.deployer)
        specs = _specs(plan, start, start + CYCLE, stack.recipient, stack.steward, stack.guardian, {"farm": lp})
        first = stack.factory.programme_count()
        stack.tpp_vote([(stack.factory, "create_programmes", ([s.as_tuple() for s in specs],))], HOSTILE)
        hostile = chain.at("Programme", stack.factory.programme_at(first))
        farm = chain.at("Programme", stack.factory.programme_at(first + 1))
        pool = chain.at("StakingRewards", farm.mechanism())
        chain.warp_to(start + 86_400)
        hostile.advance()
        farm.advance()
        # A farmer splits one wallet's LP over three addresses (a sybil signal); an honest
        # staker's LP is minted to it.
        farmer, honest = chain.actor("farmer"), chain.actor("honest")
        lp.mint(farmer, 300 * WAD, sender=stack.deployer)
        lp.mint(honest, 50 * WAD, sender=stack.deployer)
        for i in range(SYBILS):
            split = chain.actor(f"split-{i}")
            lp.transfer(split, 100 * WAD, sender=farmer)
            lp.approve(pool.address, 2**256 - 1, sender=split)
            pool.stake(100 * WAD, sender=split)
        lp.approve(pool.address, 2**256 - 1, sender=honest)
        pool.stake(50 * WAD, sender=honest)
        chain.warp_to(start + 3 * 86_400)
        chain.at("LinearStream", hostile.mechanism()).claim()
        pool.claim(sender=honest)
        # A minter outside the tree: the token's minter admin (the TPP executor) grants a rogue.
        rogue = chain.actor("rogue")
        stack.token.grantRole(TOKEN_MINTER_ROLE, rogue, sender=str(stack.governance.tpp_timelock.address))
        stack.token.mint(rogue, ROGUE_MINT, sender=rogue)
        result.programmes["hostile"] = hostile
        result.mechanisms["hostile"] = chain.at("LinearStream", hostile.mechanism())
        result.kinds["hostile"] = "stream"
        result.programmes["farm"] = farm
        result.mechanisms["farm"] = pool
        result.kinds["farm"] = "staking"
        path = tmp_path_factory.mktemp("openness") / "index.sqlite"
        write_index(path, logs, result)
    finally:
        # Handles stay bound to the story's chain; every other test gets its own env back now.
        logs.detach()
        boa.set_env(previous)
    return Story(chain, result, path, hostile, str(rogue), str(farmer), logs)
