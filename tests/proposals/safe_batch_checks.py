"""`tpp propose`'s Safe Transaction Builder batch, executed by a real Safe, on any chain.

The batch holds the calls a vote would make (the two setup grants and `create_programmes`, or
one `decide` per programme of a slate), so the Safe that executes it must hold the TPP
executor's powers: here a 2-of-3 executor Safe is the token's admin, the Budget's TPP executor
and the factory's executor (a DAO run by a Safe). `tpp propose` writes `safe-batch.json` from a
spec file; its transactions are packed for MultiSendCallOnly and executed as ONE Safe
transaction (DELEGATECALL to MultiSendCallOnly, one owner approving the hash, another sending);
then the chain must hold what the calls do.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tpp.base import units
from tpp.base.vocab import ADMITTER_ADMIN_ROLE, TOKEN_MINTER_ROLE, Outcome, State
from tpp.model import kinds
from tpp.specs.spec import load_spec
from tpp.system.programmes import deploy_programme_layer
from tpp.system.safes import Operation, Safe, batch_calls, deploy_safe_layer, multisend_transactions
from tpp.workflow.proposals import propose_command

DAY = 86_400
WAD = 10**18
CYCLE = 30 * DAY
WINDOW = 7 * DAY

SPEC = """
title = "two programmes a Safe starts"

[globals]
token = "TPP"
decimals = 18
inflation_threshold = "10 TPP/s"
allocation = "100m TPP"
max_share = "25%"
cycle_genesis = "{genesis}"
cycle_length = "30d"
window_length = "7d"
load_limit = 4

[programme.builders]
kind = "stream"
recipient = "{recipient}"
epoch_cap = "1m TPP"
first_start = "{start}"
first_end = "{end}"
epoch_duration = "30d"
evaluation_window = "7d"
default_outcome = "CONTINUE"
max_epochs = 2
iterate_bound = "20%"
steward = "{steward}"
guardian = "{guardian}"

[programme.builders.dials.throttle_bps]
initial = "100%"
lower = "50%"
upper = "100%"
step = "10%"
cooldown = "1d"

[programme.lp]
kind = "staking"
stake_token = "{stake_token}"
epoch_cap = "2m TPP"
first_start = "{start}"
first_end = "{end}"
epoch_duration = "30d"
evaluation_window = "7d"
default_outcome = "STOP"
max_epochs = 2
iterate_bound = "25%"
guardian = "{guardian}"
"""


@dataclass
class SafeRun:
    """A stack whose TPP executor is a Safe."""

    chain: Any
    executor: Safe  # 2 of 3: the token's admin, the Budget's TPP executor, the factory's executor
    signers: list[str]  # the two executor owners who sign
    guardian: Safe
    steward: Safe
    recipient: Safe
    token: Any
    budget: Any
    factory: Any
    stake_token: Any
    spec_path: Path
    spec: Any


def deploy_safe_run(chain, folder: Path) -> SafeRun:
    """Safe's contracts, the Safes, a token and a Budget the executor Safe holds, the programme
    layer it drives, and a spec naming the Safes (cycles from the day after tomorrow)."""
    deployer = chain.actor("deployer")
    chain.set_sender(deployer)
    layer = deploy_safe_layer(chain, sender=deployer)

    def safe(role: str, count: int, threshold: int) -> tuple[Safe, list[str]]:
        owners = [chain.actor(f"{role}-{i}") for i in range(1, count + 1)]
        return layer.create(owners, threshold, sender=deployer), owners

    executor, executor_owners = safe("executor", 3, 2)
    guardian, _ = safe("guardian", 3, 2)
    steward, _ = safe("steward", 3, 2)
    recipient, _ = safe("recipient", 2, 1)

    now = chain.now()
    genesis = now - now % DAY + 2 * DAY
    start = genesis + CYCLE
    token = chain.deploy_artifact("TppToken", "TPP Governance Token", "TPP", executor.address, sender=deployer)
    stake_token = chain.deploy("testing/StakeToken", "LP", "LP", 18, sender=deployer)
    spec_path = folder / "safe-run.toml"
    spec_path.write_text(
        SPEC.format(
            genesis=units.format_date(genesis),
            start=units.format_date(start),
            end=units.format_date(start + CYCLE),
            recipient=recipient.address,
            steward=steward.address,
            guardian=guardian.address,
            stake_token=stake_token.address,
        ),
        encoding="utf-8",
    )
    spec = load_spec(spec_path, now=now)
    g = spec.globals
    budget = chain.deploy(
        "Budget",
        token.address,
        chain.actor("gap-executor"),
        executor.address,
        guardian.address,
        g.inflation_threshold,
        g.allocation,
        g.max_share_bps,
        g.cycle_genesis,
        g.cycle_length,
        g.window_length,
        g.load_limit,
        sender=deployer,
    )
    factory = deploy_programme_layer(chain, budget, token, executor.address, sender=deployer).factory
    return SafeRun(
        chain, executor, executor_owners[1:], guardian, steward, recipient, token, budget, factory, stake_token, spec_path, spec
    )


def _batch(out: Path) -> dict[str, Any]:
    return json.loads((out / "safe-batch.json").read_text(encoding="utf-8"))


def write_setup_batch(run: SafeRun, out: Path) -> None:
    """`tpp propose FILE --setup` for the run's spec and stack, written to `out`."""
    propose_command(
        run.spec_path,
        factory=run.factory.address,
        budget=run.budget.address,
        token=run.token.address,
        setup=True,
        chain_id=run.chain.chain_id(),
        out=out,
        echo=lambda *_: None,
        now=run.chain.now(),
    )


def check_portfolio_batch(run: SafeRun, out: Path) -> dict[str, Any]:
    """`tpp propose FILE --setup` writes the batch; the executor Safe executes it in one
    transaction; the chain then holds both grants and exactly the spec's programmes.
    Returns name -> programme handle."""
    chain = run.chain
    write_setup_batch(run, out)
    batch = _batch(out)
    assert batch["chainId"] == str(chain.chain_id())
    calls = batch_calls(batch)
    # What the batch holds: grant MINTER_ROLE on the token, ADMITTER_ADMIN_ROLE on the Budget,
    # then create_programmes on the factory, each a plain CALL in MultiSend's packing.
    assert [c.to for c in calls] == [run.token.address, run.budget.address, run.factory.address]
    packed = multisend_transactions(calls)
    assert packed[0] == Operation.CALL and packed[1:21] == bytes.fromhex(run.token.address[2:])
    assert len(packed) == sum(85 + len(c.data) for c in calls)

    assert not run.token.hasRole(TOKEN_MINTER_ROLE, run.budget.address)
    nonce = run.executor.nonce()
    done = run.executor.execute_batch(calls, signers=run.signers)
    assert (done.nonce, run.executor.nonce(), done.approvals) == (nonce, nonce + 1, 1)

    # The setup calls took effect, from the Safe.
    assert run.token.hasRole(TOKEN_MINTER_ROLE, run.budget.address)
    assert run.budget.hasRole(ADMITTER_ADMIN_ROLE, run.factory.address)
    # Exactly the spec's programmes, each first epoch admitted by the Budget.
    spec = run.spec
    assert run.factory.programme_count() == len(spec.programmes) == 2
    assert run.budget.committed() == sum(p.lifetime_cap for p in spec.programmes)  # first caps and reserves
    created = {}
    for index, p in enumerate(spec.programmes):
        programme = chain.at("Programme", run.factory.programme_at(index))
        mechanism = kinds.get(p.kind).handle(chain, programme.mechanism())
        target = mechanism.recipient() if p.kind == "stream" else mechanism.stake_token()
        assert str(target) == p.target
        assert (programme.epoch_cap(), programme.epoch_start(), programme.epoch_end()) == (
            p.epoch_cap,
            p.first_start,
            p.first_end,
        )
        assert programme.state() == State["SCHEDULED"]
        assert str(programme.guardian()) == run.guardian.address
        assert str(programme.steward()) == (run.steward.address if p.kind == "stream" else "0x" + "00" * 20)
        created[p.name] = programme
    return created


def check_slate_batch(run: SafeRun, created: dict[str, Any], out: Path) -> None:
    """In the first evaluation window, `tpp propose --slate` writes a batch of decisions; the
    executor Safe executes it and each programme holds its pending outcome."""
    chain = run.chain
    first_end = run.spec.programme("builders").first_end
    chain.warp_to(first_end - WINDOW + DAY)
    for programme in created.values():
        programme.advance(sender=chain.actor("keeper"))
        assert programme.state() == State["EVALUATING"]
    slate = out.parent / "window.toml"
    slate.write_text(
        'title = "first window"\ntoken = "TPP"\n[programmes]\n'
        + "".join(f'{name} = "{p.address}"\n' for name, p in created.items())
        + '[decision.builders]\noutcome = "ITERATE"\nnew_cap = "900k TPP"\n[decision.lp]\noutcome = "CONTINUE"\n',
        encoding="utf-8",
    )
    propose_command(slate=slate, chain_id=chain.chain_id(), out=out, echo=lambda *_: None)
    calls = batch_calls(_batch(out))
    assert [c.to for c in calls] == [created["builders"].address, created["lp"].address]
    run.executor.execute_batch(calls, signers=run.signers)
    assert created["builders"].pending_outcome() == Outcome["ITERATE"]
    assert created["builders"].pending_cap() == 900_000 * WAD
    assert created["lp"].pending_outcome() == Outcome["CONTINUE"]
