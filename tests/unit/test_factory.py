"""ProgrammeFactory: one call creates a whole portfolio, all or nothing."""

import boa
import pytest
from eth_utils import keccak

from tests.fixtures.budget import WAD
from tests.fixtures.programmes import EPOCH_CAP
from tpp.base.vocab import ZERO_ADDRESS, State
from tpp.model import kinds

ADMITTER_ROLE = keccak(b"ADMITTER_ROLE")
# EIP-1167 minimal proxy: 10 bytes of prefix, the implementation address, 15 bytes of suffix.
PROXY_PREFIX = bytes.fromhex("363d3d373d3d3d363d73")
PROXY_SUFFIX = bytes.fromhex("5af43d82803e903d91602b57fd5bf3")


def events(contract, name):
    return [log for log in contract.get_logs() if type(log).__name__ == name and log.address == contract.address]


def code_of(address):
    return bytes(boa.env.get_code(address))


def assert_minimal_proxy(address, implementation):
    code = code_of(address)
    assert len(code) == 45
    assert code == PROXY_PREFIX + bytes.fromhex(str(implementation)[2:]) + PROXY_SUFFIX


@pytest.fixture(scope="module")
def portfolio(make_spec, safe, lp_token, lp6_token):
    """Four programmes of both kinds, with different caps and metadata."""
    return [
        make_spec("stream", safe, metadata_uri="ipfs://stream-a"),
        make_spec("staking", lp_token.address, epoch_cap=EPOCH_CAP // 2, metadata_uri="ipfs://staking-b"),
        make_spec("stream", boa.env.generate_address("safe-2"), epoch_cap=EPOCH_CAP * 3, default_outcome="STOP"),
        make_spec("staking", lp6_token.address, max_epochs=1, metadata_uri="ipfs://staking-d"),
    ]


def test_one_call_creates_and_admits_a_mixed_portfolio(factory, portfolio, tpp_executor, budget, chain, layer):
    created = factory.create_programmes([spec.as_tuple() for spec in portfolio], sender=tpp_executor)
    logs = events(factory, "ProgrammeCreated")
    assert len(created) == len(logs) == 4
    assert factory.programme_count() == 4
    assert budget.epoch_count() == 4
    for index, (spec, address, log) in enumerate(zip(portfolio, created, logs)):
        assert factory.programme_at(index) == address
        programme = chain.at("Programme", address)
        assert (log.programme, log.mechanism, log.index, log.kind, log.metadata_uri) == (
            address,
            programme.mechanism(),
            index,
            kinds.get(spec.kind).code,
            spec.metadata_uri,
        )
        assert programme.state() == State["SCHEDULED"]
        assert programme.epoch_cap() == spec.epoch_cap
        assert budget.epoch_at(index) == programme.minter()
        assert budget.schedule_of(programme.minter()) == (spec.epoch_cap, spec.first_start, spec.first_end)
        assert budget.hasRole(ADMITTER_ROLE, address)
        mechanism = chain.at("LinearStream" if spec.kind == "stream" else "StakingRewards", programme.mechanism())
        assert mechanism.programme() == address
        assert mechanism.minter() == programme.minter()
        if spec.kind == "stream":
            assert mechanism.recipient() == spec.target
        else:
            assert mechanism.stake_token() == spec.target
    # Each first epoch's cap, and the reserve each programme that continues by default holds
    # for its later epochs.
    reserves = [spec.epoch_cap * (spec.max_epochs - 1) if spec.default_outcome == "CONTINUE" else 0 for spec in portfolio]
    assert budget.committed() == sum(spec.epoch_cap for spec in portfolio) + sum(reserves)
    for reserve, address in zip(reserves, created, strict=True):
        assert budget.reserve_of(address) == reserve


def test_later_calls_keep_counting(factory, portfolio, tpp_executor, budget):
    first = factory.create_programmes([portfolio[0].as_tuple()], sender=tpp_executor)
    second = factory.create_programmes([spec.as_tuple() for spec in portfolio[1:3]], sender=tpp_executor)
    assert [log.index for log in events(factory, "ProgrammeCreated")] == [1, 2]
    assert factory.programme_count() == 3
    assert [factory.programme_at(i) for i in range(3)] == list(first) + list(second)
    assert len(set(first + second)) == 3
    assert budget.epoch_count() == 3


def test_an_empty_batch_creates_nothing(factory, tpp_executor):
    assert factory.create_programmes([], sender=tpp_executor) == []
    assert factory.programme_count() == 0


def test_only_the_executor_creates(factory, portfolio, stranger, guardian, gap_executor, deployer):
    for caller in (stranger, guardian, gap_executor, deployer):
        with boa.reverts("factory: caller is not the executor"):
            factory.create_programmes([portfolio[0].as_tuple()], sender=caller)
    assert factory.programme_count() == 0


@pytest.mark.parametrize(
    "breaker, reason",
    [
        (lambda spec, budget, gap: spec(epoch_cap=budget.allocation() // 2 + 1), "budget: share above limit"),
        # 0.04 tokens/s leaves room for the first two (0.017 tokens/s), not for a tenfold cap.
        (
            lambda spec, budget, gap: (
                budget.set_inflation_threshold(4 * WAD // 100, sender=gap),
                spec(epoch_cap=10 * EPOCH_CAP),
            )[1],
            "budget: rate above threshold",
        ),
        (
            lambda spec, budget, gap: (
                budget.set_max_share(10_000, sender=gap),
                budget.set_allocation(EPOCH_CAP * 2, sender=gap),
                spec(),
            )[2],
            "budget: allocation exceeded",
        ),
    ],
    ids=["share", "rate", "allocation"],
)
def test_a_batch_breaking_a_budget_bound_reverts_whole(
    factory, portfolio, make_spec, safe, tpp_executor, budget, gap_executor, breaker, reason
):
    breaking = breaker(lambda **overrides: make_spec("stream", safe, **overrides), budget, gap_executor)
    specs = [portfolio[0], portfolio[1], breaking, portfolio[3]]
    with boa.reverts(reason):
        factory.create_programmes([spec.as_tuple() for spec in specs], sender=tpp_executor)
    assert factory.programme_count() == 0
    assert budget.epoch_count() == 0
    assert budget.committed() == 0


@pytest.mark.parametrize("kind", [0, len(kinds.names()) + 1, 255])
def test_unknown_kind_reverts(factory, portfolio, tpp_executor, kind):
    spec = list(portfolio[0].as_tuple())
    spec[0] = kind
    with boa.reverts("factory: unknown mechanism kind"):
        factory.create_programmes([portfolio[1].as_tuple(), tuple(spec)], sender=tpp_executor)
    assert factory.programme_count() == 0


def test_programmes_mechanisms_and_minters_are_minimal_proxies(factory, portfolio, tpp_executor, chain, layer):
    created = factory.create_programmes([spec.as_tuple() for spec in portfolio[:2]], sender=tpp_executor)
    (stream_programme, staking_programme) = (chain.at("Programme", a) for a in created)
    for programme in (stream_programme, staking_programme):
        assert_minimal_proxy(programme.address, layer.programme_implementation.address)
        assert_minimal_proxy(programme.minter(), layer.minter_implementation.address)
    assert_minimal_proxy(stream_programme.mechanism(), layer.stream_implementation.address)
    assert_minimal_proxy(staking_programme.mechanism(), layer.staking_implementation.address)
    # The implementations are full contracts, far larger than a clone.
    assert len(code_of(layer.programme_implementation.address)) > 1_000


def test_factory_wiring(factory, layer, budget, tpp_executor):
    assert factory.BUDGET() == budget.address
    assert factory.EXECUTOR() == tpp_executor
    assert factory.PROGRAMME_IMPLEMENTATION() == layer.programme_implementation.address
    assert factory.implementation(kinds.get("stream").code) == layer.stream_implementation.address
    assert factory.implementation(kinds.get("staking").code) == layer.staking_implementation.address
    assert factory.kind_count() == len(kinds.names())
    assert factory.implementation(0) == factory.implementation(len(kinds.names()) + 1) == ZERO_ADDRESS
