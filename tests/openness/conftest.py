"""One indexed story for the provenance, brief, dashboard and checkpoint tests: the demo's
story (a GAP vote, a TPP vote creating three programmes, a slate, participants) on a fresh
embedded chain, then a vote whose description is hostile markup creating a stream, a farm
pool and an impact-checkpoint programme scored on the farm's stakes, a mint outside the tree
by a rogue minter, and the checkpoint's first root, scored from an index of the chain at the
checkpoint, posted and claimed; all indexed from the embedded chain's logs."""

from __future__ import annotations

import contextlib
import io
from dataclasses import dataclass, replace
from pathlib import Path

import boa
import pytest

from tpp.base.vocab import TOKEN_MINTER_ROLE
from tpp.chain import Chain
from tpp.model.kinds.checkpoints import encode_params
from tpp.stories.demo import write_index
from tpp.stories.programme_story import CYCLE, DemoConfig, PlannedProgramme, _specs, run_programme_story
from tpp.system.stack import WAD
from tpp.workflow.checkpoints import load_rules, score_checkpoint, write_score
from tpp.workflow.index import LogRecorder
from tpp.workflow.provenance import IndexData

HOSTILE = '# TPP-9 <script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2"> [[red]] \x1b[31m'
ROGUE_MINT = 777 * WAD
SYBILS = 3
DAY = 86_400
CHECKPOINT_PERIOD = 10 * DAY
CHECKPOINT_WINDOW = 2 * DAY
RULES = """\
[scoring]
activity = "{lp}"          # the farm pool's stake token
counterparties = ["{pool}"] # stakes into the farm pool count
min_transactions = 1
min_active_days = 1
metric = "volume"
max_share = "40%"
"""


@dataclass
class Story:
    chain: object
    result: object
    path: Path
    hostile: object  # the programme the hostile description created
    rogue: str  # who received the mint outside the tree
    farmer: str  # who funded the sybil stakers
    logs: object  # the LogRecorder the index was built from (a LogSource)
    impact: object  # the checkpoint programme's mechanism
    scorer: str
    rules: Path  # the scoring rules its first root was computed with
    score: Path  # that score (tpp checkpoint score's JSON)
    checkpoint: int

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
            PlannedProgramme("impact", "checkpoints", 900 * WAD, "STOP"),
        )
        lp = chain.deploy("testing/StakeToken", "farm LP", "FARM", 18, sender=stack.deployer)
        scorer = chain.actor("scorer")
        specs = _specs(plan, start, start + CYCLE, stack.recipient, stack.steward, stack.guardian, {"farm": lp})
        specs[2] = replace(specs[2], target=scorer, params=encode_params(CHECKPOINT_PERIOD, CHECKPOINT_WINDOW, WAD // 100))
        first = stack.factory.programme_count()
        stack.tpp_vote([(stack.factory, "create_programmes", ([s.as_tuple() for s in specs],))], HOSTILE)
        hostile = chain.at("Programme", stack.factory.programme_at(first))
        farm = chain.at("Programme", stack.factory.programme_at(first + 1))
        impact_p = chain.at("Programme", stack.factory.programme_at(first + 2))
        pool = chain.at("StakingRewards", farm.mechanism())
        impact = chain.at("ImpactCheckpoints", impact_p.mechanism())
        chain.warp_to(start + 86_400)
        hostile.advance()
        farm.advance()
        impact_p.advance()
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
        lp.mint(honest, 25 * WAD, sender=stack.deployer)
        pool.stake(25 * WAD, sender=honest)  # a second transaction on a second day
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
        result.programmes["impact"] = impact_p
        result.mechanisms["impact"] = impact
        result.kinds["impact"] = "checkpoints"
        folder = tmp_path_factory.mktemp("openness")
        # The first checkpoint: the scorer indexes the chain, scores, posts; after the dispute
        # window the participants claim.
        checkpoint = start + CHECKPOINT_PERIOD
        chain.warp_to(checkpoint + 3_600)
        impact_p.advance()
        write_index(folder / "at-checkpoint.sqlite", logs, result)
        rules = folder / "rules.toml"
        rules.write_text(RULES.format(lp=lp.address, pool=pool.address))
        scored = score_checkpoint(IndexData.load(folder / "at-checkpoint.sqlite"), "impact", load_rules(rules), checkpoint)
        score = write_score(scored, folder / "scores")
        impact.post_root(scored.tree.root, scored.tree.total, scored.rules_hash, scored.data_hash, sender=scorer)
        chain.warp_to(checkpoint + 3_600 + CHECKPOINT_WINDOW)
        for account, amount in zip(scored.tree.accounts, scored.tree.amounts):
            impact.claim(account, amount, scored.tree.proof(account))
        path = folder / "index.sqlite"
        write_index(path, logs, result)
    finally:
        # Handles stay bound to the story's chain; every other test gets its own env back now.
        logs.detach()
        boa.set_env(previous)
    return Story(chain, result, path, hostile, str(rogue), str(farmer), logs, impact, str(scorer), rules, score, checkpoint)
