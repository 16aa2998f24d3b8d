"""Agents and operators of the pluralistic mechanisms: the KPI stream, impact checkpoints and
the research bounty, each met by an honest agent and the gaming agent it was built to resist.

- KPI stream: a `kpi_holder` keeps its capital of the KPI asset in its vault; a `kpi_flash`
  moves it in just before the keeper's reading and out right after. A watching holder takes
  a reading itself after everyone else acted, so it sees the vault the flash agent emptied.
- Checkpoints: a `builder` sends activity to the programme's app on the steps it is active; a
  `wash_trader` moves the same tokens around a ring of its own addresses. The scorer
  (`CheckpointScorer`) scores every checkpoint with the arithmetic of `tpp checkpoint score`
  (`tpp.model.impact`) over the transfers the agents sent, posts the root, and finalises it
  once its dispute window has passed; agents then claim with their Merkle proofs.
- Bounty: a `researcher` files its findings once each epoch; a `duplicate_filer` files one
  finding from several addresses. The judges (`BountyJudges`) score every submission once
  submissions close and mark the duplicates they detect.

Every action is a real transaction on the real contracts; the operators act each step after
the keeper (see `runner`).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tpp.chain import Reverted
from tpp.model import impact
from tpp.model.kinds import bounty as bounty_kind
from tpp.model.merkle import MerkleTree
from tpp.sim.agents import FINAL_STATES, Agent, Position, ProgrammeView

if TYPE_CHECKING:
    from tpp.sim.runner import World

DAY = 86_400
BPS = 10_000
RATE_SCALE = 10**18
ZERO = "0x" + "00" * 20


# --- KPI stream ----------------------------------------------------------------------------------


class KpiCandidate(Agent):
    """Plays candidate `index` of a KPI stream: its treasury (the position's address) holds the
    capital and receives the pay; its vault is the balance the KPI reads."""

    def __init__(self, population, positions, programme, rng, index: int, vault: str):
        super().__init__(population, positions, programme, rng)
        self.kind = population.kind
        self.index = index
        self.vault = vault
        self.placed = False

    @property
    def staked(self) -> bool:
        return self.placed

    def _move_in(self, view: ProgrammeView) -> None:
        position = self.positions[0]
        view.stake_token.transfer(self.vault, position.capital, sender=position.address)
        self.placed = True

    def _move_out(self, view: ProgrammeView) -> None:
        position = self.positions[0]
        view.stake_token.transfer(position.address, position.capital, sender=self.vault)
        self.placed = False

    def _claim_if_due(self, world: World, view: ProgrammeView) -> None:
        if world.t < self.next_claim:
            return
        self.next_claim = world.t + self.params.claim_every
        if view.mechanism.owed(self.index):
            view.mechanism.claim(self.index, sender=self.positions[0].address)

    def before(self, world: World) -> None:
        view = world.views[self.programme]
        if self.kind == "kpi_flash" and view.emitting and not self.placed:
            self._move_in(view)

    def act(self, world: World) -> None:
        view = world.views[self.programme]
        if self.kind == "kpi_holder":
            if not self.placed and view.state not in FINAL_STATES:
                self._move_in(view)
        elif self.placed:
            self._move_out(view)
        self._claim_if_due(world, view)

    def after(self, world: World) -> None:
        view = world.views[self.programme]
        if self.kind == "kpi_holder" and self.params.watch and view.emitting:
            view.mechanism.poke(sender=self.positions[0].address)

    def rewards(self, world: World) -> dict[str, int]:
        # Paid counts the epoch-end settlements too, which mint to the recipient unclaimed.
        view, address = world.views[self.programme], self.positions[0].address
        total = view.mechanism.paid(self.index) + view.mechanism.owed(self.index)
        return {address: total} if total else {}


# --- impact checkpoints --------------------------------------------------------------------------


class Builder(Agent):
    """A builder sends its capital x step/1d of activity to the app on each step it is active
    (chance `active_share`); a wash trader's addresses send their share of its capital around a
    ring every step, so its volume looks real but none of it reaches the app."""

    def __init__(self, population, positions, programme, rng):
        super().__init__(population, positions, programme, rng)
        self.kind = population.kind

    @property
    def staked(self) -> bool:
        return False

    def act(self, world: World) -> None:
        view = world.views[self.programme]
        if view.emitting:
            ring = self.positions
            if self.kind == "builder":
                if self.rng.random() < self.params.active_share:
                    amount = ring[0].capital * world.step // DAY
                    world.send_activity(view, ring[0].address, view.app, amount, ring[0].address)
            else:
                for k, p in enumerate(ring):
                    amount = p.capital * world.step // DAY
                    world.send_activity(view, p.address, ring[(k + 1) % len(ring)].address, amount, ring[0].address)
        if world.t >= self.next_claim:
            self.next_claim = world.t + self.params.claim_every
            scorer = world.operators[self.programme]
            for p in self.positions:
                scorer.claim_for(p.address)

    def rewards(self, world: World) -> dict[str, int]:
        scorer = world.operators[self.programme]
        return {p.address: scorer.owed(p.address) for p in self.positions if scorer.owed(p.address)}


@dataclass
class CheckpointScorer:
    """The checkpoint programme's scorer: scores each checkpoint that has passed, posts its root,
    and finalises it when its dispute window has passed (nobody challenges in the simulator:
    the scorer is honest and the challenge path is tested in tests/unit/test_impact_checkpoints.py)."""

    view: ProgrammeView
    address: str
    scoring: Any  # scenario.Scoring
    dispute_window: int
    scored_until: int = 0  # the last checkpoint scored (the next period starts here)
    cumulative: dict[str, int] = field(default_factory=dict)  # the last posted tree's amounts
    tree: MerkleTree | None = None  # the last posted tree
    final: MerkleTree | None = None  # the last final tree (what claims prove against)
    roots: int = 0
    refused: int = 0  # roots the contract refused (they would show as a gap in the rewards)

    def act(self, world: World) -> None:
        m = self.view.mechanism
        since = m.pending_since()
        if since:
            if world.now >= since + self.dispute_window and m.finalise(sender=self.address):
                self.final = self.tree
            if m.pending_since():
                return
            self.final = self.tree
        target = max(m.checkpoint_at(), m.latest_checkpoint())
        if target <= self.scored_until:
            return
        s = self.scoring
        excluded = {ZERO, m.address, self.view.programme.address}
        people = impact.tally(
            world.activity.get(self.view.name, ()),
            start=self.scored_until,
            end=target,
            counterparties=(self.view.app,) if s.apps_only else (),
            excluded=excluded,
            min_transactions=s.min_transactions,
            min_active_days=s.min_active_days,
        )
        award = max(0, self._emission_at(target) - sum(self.cumulative.values()))
        cumulative = impact.award_accounts(people, award, s.metric, s.max_share_bps, self.cumulative)
        self.scored_until = target
        world.activity[self.view.name] = [t for t in world.activity.get(self.view.name, ()) if t[0] >= target]
        if not cumulative or sum(cumulative.values()) == sum(self.cumulative.values()):
            return  # nobody eligible and nothing assigned before: nothing to post
        tree = MerkleTree.build(m.address, cumulative)
        try:
            with world.chain.reverts():
                m.post_root(tree.root, tree.total, bytes(32), bytes(32), sender=self.address)
        except Reverted:
            self.refused += 1
            return
        self.tree, self.cumulative = tree, cumulative
        self.roots += 1

    def _emission_at(self, t: int) -> int:
        """What the contract counts as emitted up to checkpoint `t`: its snapshot if taken,
        else emission.vy's `_pending_until` from the last tick (the same floors)."""
        m = self.view.mechanism
        if m.checkpoint_at() >= t:
            return m.checkpoint_emission()
        emitted = m.minted_before() + m.accrued()
        if m.halted():
            return emitted
        t0 = max(m.last_update(), m.epoch_start())
        t1 = min(t, m.epoch_end())
        if t1 > t0:
            emitted += m.rate() * (t1 - t0) * m.throttle_bps() // BPS // RATE_SCALE
        return emitted

    def claim_for(self, account: str) -> None:
        tree = self.final
        if tree is None or account not in self.cumulative:
            return
        try:
            cumulative = tree.amount(account)
        except KeyError:
            return  # in the posted tree, not yet in the final one
        claimed = self.view.mechanism.claimed(account)
        if cumulative > claimed:
            self.view.mechanism.claim(account, cumulative, tree.proof(account), sender=account)

    def owed(self, account: str) -> int:
        """What the last posted tree gives `account` (claimed or still to claim)."""
        return self.cumulative.get(account, 0)


# --- research bounty -----------------------------------------------------------------------------


class Researcher(Agent):
    """A researcher files `findings` findings once an epoch, at a seeded step while submissions
    are open; a duplicate filer files one finding from each of its addresses. The judges give
    each of its findings `points`, varied within ±spread per agent."""

    def __init__(self, population, positions, programme, rng):
        super().__init__(population, positions, programme, rng)
        self.kind = population.kind
        self.files_at: dict[int, int] = {}  # epoch -> when this agent files
        self.filed: set[int] = set()
        # The judges' points for its findings: the population's, varied within ±spread.
        spread = population.spread
        self.points = min(100, max(0, round(population.points * (1 + rng.uniform(-spread, spread)))))

    @property
    def staked(self) -> bool:
        return False

    def act(self, world: World) -> None:
        view = world.views[self.programme]
        epoch = view.epoch
        if view.emitting and epoch not in self.filed:
            close = view.epoch_end - view.scoring_period
            if epoch not in self.files_at:
                steps = max(1, (close - world.t) // world.step)
                self.files_at[epoch] = world.t + self.rng.randrange(steps) * world.step
            if self.files_at[epoch] <= world.t and world.now < close:
                self._file(world, view, epoch)
        if world.t >= self.next_claim:
            self.next_claim = world.t + self.params.claim_every
            for p in self.positions:
                if view.mechanism.owed(p.address):
                    view.mechanism.claim(p.address, sender=p.address)
                if view.mechanism.deposits(p.address):
                    view.mechanism.withdraw_deposit(sender=p.address)

    def rewards(self, world: World) -> dict[str, int]:
        view, token = world.views[self.programme], world.stack.token
        out = {}
        for p in self.positions:
            total = token.balanceOf(p.address) + view.mechanism.owed(p.address)  # as Agent.rewards
            if total:
                out[p.address] = total
        return out

    def _file(self, world: World, view: ProgrammeView, epoch: int) -> None:
        self.filed.add(epoch)
        owner = self.positions[0].address
        findings = self.params.findings if self.kind == "researcher" else 1
        for j in range(findings):
            finding = f"{self.population}/{owner}/epoch-{epoch}/finding-{j}"
            for p in self.positions:
                content = bounty_kind.content_hash(p.address, finding)
                try:
                    with world.chain.reverts():
                        view.mechanism.submit(content, sender=p.address, value=view.deposit)
                except Reverted:
                    continue  # the epoch is full: this submission is lost, as on chain
                world.findings.setdefault(view.name, {})[content] = (finding, self.points, self.params.detected)
                counts = world.submissions.setdefault(view.name, {})
                counts[owner] = counts.get(owner, 0) + 1


@dataclass
class BountyJudges:
    """The bounty's judges: once submissions close, score every submission with the points its
    finding deserves and mark as a duplicate each later filing of a finding they detect."""

    view: ProgrammeView
    address: str
    rng: random.Random
    judged: set[int] = field(default_factory=set)  # epochs judged

    def act(self, world: World) -> None:
        view = self.view
        if not view.emitting or view.epoch in self.judged or world.now + view.scoring_period < view.epoch_end:
            return
        self.judged.add(view.epoch)
        m = view.mechanism
        known = world.findings.get(view.name, {})
        first: dict[str, int] = {}
        for index in range(m.submission_count()):
            content = bytes(m.submission(index)[1])
            finding, points, detected = known[content]
            if finding in first and self.rng.random() < detected:
                # A duplicate's own points do not count (the finding is scored on its primary).
                m.mark_duplicate(index, first[finding], sender=self.address)
                continue
            first.setdefault(finding, index)
            if points:
                m.score(index, points, sender=self.address)


__all__ = ["BountyJudges", "Builder", "CheckpointScorer", "KpiCandidate", "Position", "Researcher"]
