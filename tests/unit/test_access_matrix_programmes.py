"""Access matrix of the programme layer: every privileged function of Programme, EpochMinter,
LinearStream, StakingRewards, KpiStream, ImpactCheckpoints, ResearchBounty and ProgrammeFactory reverts for every caller without the power,
and works for the one that has it (a positive control, so the negative rows cannot pass by
accident). Adding a function is one row in MATRIX."""

import boa
import pytest

from tests.fixtures.budget import DAY, now
from tpp.base.vocab import THROTTLE, Outcome, dial_id
from tpp.model.kinds import bounty as bounty_kind
from tpp.model.kinds import checkpoints as checkpoints_kind
from tpp.model.kinds.kpi_stream import KpiCandidate, encode_params

ACTORS = ("tpp_executor", "gap_executor", "guardian", "steward", "safe", "admin", "deployer", "stranger", "other_programme")
ROLE_MISSING = "access_control: account is missing role"
MINTER_ROLE = boa.eval('keccak256("MINTER_ROLE")')
BOND = 10**16


@pytest.fixture(scope="module")
def world(
    create,
    make_spec,
    safe,
    lp_token,
    first_epoch,
    tpp_executor,
    gap_executor,
    guardian,
    steward,
    admin,
    deployer,
    stranger,
    chain,
):
    kpi_candidates = [KpiCandidate(safe, "balance", subject=safe, threshold=0)]
    (stream_p, stream), (staking_p, staking), (other_p, _), (kpi_p, kpi), (cp_p, cp), (rb_p, rb) = create(
        make_spec("stream", safe),
        make_spec("staking", lp_token.address),
        make_spec("stream", safe),
        make_spec("kpi_stream", lp_token.address, params=encode_params(3600, kpi_candidates), dials=()),
        # The safe is the checkpoint programme's scorer.
        make_spec("checkpoints", safe, params=checkpoints_kind.encode_params(30 * DAY, 3 * DAY, BOND), dials=()),
        # The steward is the bounty's judge.
        make_spec("bounty", steward, params=bounty_kind.encode_params(7 * DAY, 9_000, 0), dials=()),
    )
    actors = {
        "tpp_executor": tpp_executor,
        "gap_executor": gap_executor,
        "guardian": guardian,
        "steward": steward,
        "safe": safe,
        "admin": admin,
        "deployer": deployer,
        "stranger": stranger,
        "other_programme": str(other_p.address),
    }
    return dict(
        stream_p=stream_p,
        stream=stream,
        staking_p=staking_p,
        staking=staking,
        kpi_p=kpi_p,
        kpi=kpi,
        cp_p=cp_p,
        cp=cp,
        rb_p=rb_p,
        rb=rb,
        minter=chain.at("EpochMinter", stream_p.minter()),
        start=first_epoch[0],
        end=first_epoch[1],
        actors=actors,
    )


def _to_window(w):
    boa.env.evm.patch.timestamp = max(now(), w["end"] - 7 * DAY)


def _running(w):
    boa.env.evm.patch.timestamp = max(now(), w["start"] + DAY)


def _after_checkpoint(w):
    boa.env.evm.patch.timestamp = max(now(), w["start"] + 30 * DAY + 1)


def _frozen_root(w):
    """A pending root, challenged: what `resolve` needs."""
    _after_checkpoint(w)
    cp = w["cp"]
    if cp.pending_since() == 0:
        cp.post_root(b"\1" * 32, 0, b"", b"", sender=w["actors"]["safe"])
    if not cp.frozen():
        boa.env.set_balance(w["actors"]["stranger"], BOND)
        cp.challenge(sender=w["actors"]["stranger"], value=BOND)


def _submission(w):
    """A submission in the bounty's open epoch: what scoring needs."""
    _running(w)
    if w["rb_p"].epoch() == 0:
        w["rb_p"].advance()
    if w["rb"].submission_count() == 0:
        w["rb"].submit(b"\1" * 32, sender=w["actors"]["stranger"])


# Each row: (name, holder actor or contract key, revert reason for others, set-up, call).
# The holder may be a contract ("stream_p", "stream", ...): it is impersonated as a sender.
MATRIX = [
    (
        "Programme.decide",
        "tpp_executor",
        "programme: caller is not the executor",
        _to_window,
        lambda w, s: w["stream_p"].decide(Outcome["STOP"], 0, sender=s),
    ),
    (
        "Programme.kill",
        "tpp_executor",
        "programme: caller is not the executor",
        _running,
        lambda w, s: w["stream_p"].kill(sender=s),
    ),
    (
        "Programme.resume",
        "tpp_executor",
        "programme: caller is not the executor",
        None,
        lambda w, s: w["stream_p"].resume(sender=s),
    ),
    ("Programme.halt", "guardian", "programme: caller is not the guardian", _running, lambda w, s: w["stream_p"].halt(sender=s)),
    ("Programme.unhalt", "guardian", "programme: caller is not the guardian", None, lambda w, s: w["stream_p"].unhalt(sender=s)),
    (
        "Programme.move_dial",
        "steward",
        "programme: caller is not the steward",
        _running,
        lambda w, s: w["stream_p"].move_dial(dial_id(THROTTLE), 9_000, "access test", sender=s),
    ),
    ("EpochMinter.mint", "stream", ROLE_MISSING, _running, lambda w, s: w["minter"].mint(w["actors"]["safe"], 1, sender=s)),
    ("EpochMinter.pause", "stream_p", ROLE_MISSING, None, lambda w, s: w["minter"].pause(sender=s)),
    ("EpochMinter.close", "stream_p", ROLE_MISSING, None, lambda w, s: w["minter"].close(sender=s)),
    ("EpochMinter.retire", "stream_p", ROLE_MISSING, _running, lambda w, s: w["minter"].retire(1, sender=s)),
    ("EpochMinter.setMetadataURI", "stream_p", ROLE_MISSING, None, lambda w, s: w["minter"].setMetadataURI("ipfs://x", sender=s)),
    (
        "EpochMinter.grantRole(MINTER_ROLE)",
        "stream_p",
        ROLE_MISSING,
        None,
        lambda w, s: w["minter"].grantRole(MINTER_ROLE, w["actors"]["stranger"], sender=s),
    ),
    (
        "EpochMinter.revokeRole(MINTER_ROLE)",
        "stream_p",
        ROLE_MISSING,
        None,
        lambda w, s: w["minter"].revokeRole(MINTER_ROLE, w["stream"].address, sender=s),
    ),
    (
        "LinearStream.start_epoch",
        "stream_p",
        "mechanism: caller is not the programme",
        None,
        lambda w, s: w["stream"].start_epoch(w["minter"].address, w["end"], w["end"] + 30 * DAY, 1, sender=s),
    ),
    (
        "LinearStream.set_halted",
        "stream_p",
        "mechanism: caller is not the programme",
        None,
        lambda w, s: w["stream"].set_halted(True, sender=s),
    ),
    (
        "LinearStream.set_dial",
        "stream_p",
        "mechanism: caller is not the programme",
        None,
        lambda w, s: w["stream"].set_dial(dial_id(THROTTLE), 9_000, sender=s),
    ),
    (
        "LinearStream.settle",
        "stream_p",
        "mechanism: caller is not the programme",
        _running,
        lambda w, s: w["stream"].settle(sender=s),
    ),
    (
        "StakingRewards.settle",
        "staking_p",
        "mechanism: caller is not the programme",
        _running,
        lambda w, s: w["staking"].settle(sender=s),
    ),
    (
        "StakingRewards.start_epoch",
        "staking_p",
        "mechanism: caller is not the programme",
        None,
        lambda w, s: w["staking"].start_epoch(w["minter"].address, w["end"], w["end"] + 30 * DAY, 1, sender=s),
    ),
    (
        "StakingRewards.set_halted",
        "staking_p",
        "mechanism: caller is not the programme",
        None,
        lambda w, s: w["staking"].set_halted(True, sender=s),
    ),
    (
        "StakingRewards.set_dial",
        "staking_p",
        "mechanism: caller is not the programme",
        None,
        lambda w, s: w["staking"].set_dial(dial_id(THROTTLE), 9_000, sender=s),
    ),
    (
        "KpiStream.start_epoch",
        "kpi_p",
        "mechanism: caller is not the programme",
        None,
        lambda w, s: w["kpi"].start_epoch(w["minter"].address, w["end"], w["end"] + 30 * DAY, 1, sender=s),
    ),
    (
        "KpiStream.set_halted",
        "kpi_p",
        "mechanism: caller is not the programme",
        None,
        lambda w, s: w["kpi"].set_halted(True, sender=s),
    ),
    (
        "KpiStream.set_dial",
        "kpi_p",
        "mechanism: caller is not the programme",
        None,
        lambda w, s: w["kpi"].set_dial(dial_id(THROTTLE), 9_000, sender=s),
    ),
    ("KpiStream.settle", "kpi_p", "mechanism: caller is not the programme", _running, lambda w, s: w["kpi"].settle(sender=s)),
    (
        "ImpactCheckpoints.start_epoch",
        "cp_p",
        "mechanism: caller is not the programme",
        None,
        lambda w, s: w["cp"].start_epoch(w["minter"].address, w["end"], w["end"] + 30 * DAY, 1, sender=s),
    ),
    (
        "ImpactCheckpoints.set_halted",
        "cp_p",
        "mechanism: caller is not the programme",
        None,
        lambda w, s: w["cp"].set_halted(True, sender=s),
    ),
    (
        "ImpactCheckpoints.set_dial",
        "cp_p",
        "mechanism: caller is not the programme",
        None,
        lambda w, s: w["cp"].set_dial(dial_id(THROTTLE), 9_000, sender=s),
    ),
    (
        "ImpactCheckpoints.post_root",
        "safe",
        "checkpoints: caller is not the scorer",
        _after_checkpoint,
        lambda w, s: w["cp"].post_root(b"\1" * 32, 0, b"", b"", sender=s),
    ),
    (
        "ImpactCheckpoints.resolve",
        "tpp_executor",
        "checkpoints: caller is not the executor",
        _frozen_root,
        lambda w, s: w["cp"].resolve(b"\2" * 32, 0, sender=s),
    ),
    (
        "ImpactCheckpoints.sweep",
        "tpp_executor",
        "checkpoints: caller is not the executor",
        None,
        lambda w, s: w["cp"].sweep(w["actors"]["safe"], sender=s),
    ),
    (
        "ImpactCheckpoints.settle",
        "cp_p",
        "mechanism: caller is not the programme",
        _running,
        lambda w, s: w["cp"].settle(sender=s),
    ),
    (
        "ResearchBounty.score",
        "steward",
        "bounty: caller is not a judge",
        _submission,
        lambda w, s: w["rb"].score(0, 50, sender=s),
    ),
    (
        "ResearchBounty.mark_duplicate",
        "steward",
        "bounty: caller is not a judge",
        _submission,
        lambda w, s: w["rb"].mark_duplicate(0, 0, sender=s),
    ),
    (
        "ResearchBounty.start_epoch",
        "rb_p",
        "mechanism: caller is not the programme",
        None,
        lambda w, s: w["rb"].start_epoch(w["minter"].address, w["end"], w["end"] + 30 * DAY, 1, sender=s),
    ),
    (
        "ResearchBounty.set_halted",
        "rb_p",
        "mechanism: caller is not the programme",
        None,
        lambda w, s: w["rb"].set_halted(True, sender=s),
    ),
    (
        "ResearchBounty.set_dial",
        "rb_p",
        "mechanism: caller is not the programme",
        None,
        lambda w, s: w["rb"].set_dial(dial_id(THROTTLE), 9_000, sender=s),
    ),
    ("ResearchBounty.settle", "rb_p", "mechanism: caller is not the programme", _running, lambda w, s: w["rb"].settle(sender=s)),
]


def _holder(w, key):
    return w["actors"][key] if key in w["actors"] else str(w[key].address)


def _cases():
    for name, holder, reason, setup, call in MATRIX:
        for actor in ACTORS:
            if actor != holder:
                yield pytest.param(name, actor, reason, setup, call, id=f"{name}-by-{actor}")


@pytest.mark.parametrize("name, actor, reason, setup, call", list(_cases()))
def test_privileged_call_reverts_without_the_power(world, name, actor, reason, setup, call):
    if setup:
        setup(world)
    with boa.reverts(reason):
        call(world, world["actors"][actor])


@pytest.mark.parametrize("name, holder, reason, setup, call", [pytest.param(*row, id=row[0]) for row in MATRIX])
def test_privileged_call_works_for_its_holder(world, name, holder, reason, setup, call):
    if setup:
        setup(world)
    if name == "Programme.resume":
        # resume needs a paused programme: decide PAUSE in the window, let the epoch end.
        _to_window(world)
        world["stream_p"].decide(Outcome["PAUSE"], 0, sender=world["actors"]["tpp_executor"])
        boa.env.evm.patch.timestamp = world["end"] + 1
        world["stream_p"].advance()
    if name == "Programme.unhalt":
        _running(world)
        world["stream_p"].halt(sender=world["actors"]["guardian"])
    if name == "ImpactCheckpoints.sweep":
        # sweep needs an ended programme whose emission no final root assigns.
        _after_checkpoint(world)
        world["cp_p"].kill(sender=world["actors"]["tpp_executor"])
        assert world["cp"].pending_since() == 0 and world["cp"].unassigned() > 0
    if name == "EpochMinter.mint":
        boa.env.evm.patch.timestamp = world["start"] + 10 * DAY
    call(world, _holder(world, holder))


@pytest.mark.parametrize("actor", [a for a in ACTORS if a != "tpp_executor"])
def test_only_the_executor_creates_programmes(factory, make_spec, safe, actor, world):
    with boa.reverts("factory: caller is not the executor"):
        factory.create_programmes([make_spec("stream", safe).as_tuple()], sender=world["actors"][actor])


def test_the_executor_creates_programmes(factory, make_spec, safe, tpp_executor):
    before = factory.programme_count()
    factory.create_programmes([make_spec("stream", safe).as_tuple()], sender=tpp_executor)
    assert factory.programme_count() == before + 1


def test_clones_cannot_be_initialised_again(world, make_spec, safe, stranger):
    with boa.reverts("programme: already initialized"):
        world["stream_p"].initialize(make_spec("stream", safe).as_tuple(), world["stream"].address, sender=stranger)
    with boa.reverts("minter: already initialized"):
        world["minter"].initialize(stranger, stranger, 1, now() + 10, now() + 20, sender=stranger)
    with boa.reverts("mechanism: already initialized"):
        world["stream"].initialize(stranger, stranger, b"", sender=stranger)
    with boa.reverts("mechanism: already initialized"):
        world["staking"].initialize(stranger, stranger, b"", sender=stranger)
    params = encode_params(3600, [KpiCandidate(stranger, "balance", subject=stranger)])
    with boa.reverts("mechanism: already initialized"):
        world["kpi"].initialize(stranger, stranger, params, sender=stranger)
    with boa.reverts("mechanism: already initialized"):
        world["cp"].initialize(stranger, stranger, checkpoints_kind.encode_params(3600 * 2, 3600, 1), sender=stranger)
    with boa.reverts("mechanism: already initialized"):
        world["rb"].initialize(stranger, stranger, bounty_kind.encode_params(3600, 0, 0), sender=stranger)
