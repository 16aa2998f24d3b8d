"""tpp.chain on the embedded backend: time, actors, contracts, and EVM re-creation."""

import boa
import pytest

from tpp.chain import EMBEDDED_GENESIS, Chain, Reverted
from tpp.chain.artifacts import vyper_deployer


@pytest.fixture
def fresh():
    previous = boa.env
    chain = Chain.embedded()
    yield chain
    boa.set_env(previous)


def test_embedded_chain_starts_at_genesis_and_warps(fresh):
    assert fresh.now() == EMBEDDED_GENESIS
    assert fresh.warp(3_600) == EMBEDDED_GENESIS + 3_600
    assert fresh.warp_to(EMBEDDED_GENESIS + 100) == EMBEDDED_GENESIS + 3_600  # never backwards
    with pytest.raises(ValueError, match="time only moves forward"):
        fresh.warp(-1)


def test_actors_are_stable_per_name(fresh):
    assert fresh.actor("steward") == fresh.actor("steward")
    assert fresh.actor("steward") != fresh.actor("guardian")


def test_unknown_contract_is_named(fresh):
    with pytest.raises(KeyError, match="unknown contract 'Nope'"):
        vyper_deployer("Nope")


def test_many_evms_do_not_stack_opcode_tracers(fresh):
    """Each VM titanoboa builds used to wrap the shared SHA3/SSTORE tracers again, until calls
    overflowed the recursion limit (one VM per anvil transaction makes that quick)."""
    for _ in range(50):
        chain = Chain.embedded()
    opcodes = chain.env.evm.vm.state.computation_class.opcodes
    for code, attribute in ((0x20, "sha3"), (0x55, "sstore")):
        op, depth = opcodes[code], 0
        while hasattr(op, attribute):
            op, depth = getattr(op, attribute), depth + 1
        assert depth == 1
    # Tracing still reaches the env that runs the code: storage of a fresh contract is dumped.
    minter = chain.deploy(
        "CappedMinter", chain.actor("token"), chain.actor("admin"), 10, chain.now() + 10, chain.now() + 20, True
    )
    assert minter.CAP() == 10
    assert chain.env.sstore_trace


@pytest.mark.parametrize("backend", ["embedded", "revm", "pyevm"])
def test_simulate_runs_a_call_from_any_sender_and_keeps_nothing(backend):
    """`Chain.simulate`: the call's return data, or `Reverted` with the reason and the revert
    data; on every backend, and nothing it did is kept."""
    previous = boa.env
    try:
        chain = Chain.embedded() if backend == "embedded" else Chain.engine(backend)
        owner, other = chain.actor("owner"), chain.actor("other")
        token = chain.deploy("testing/StakeToken", "S", "S", 18, sender=owner)
        token.mint(owner, 10, sender=owner)
        out = chain.simulate(token, token.transfer.prepare_calldata(other, 4), owner)
        assert int.from_bytes(out, "big") == 1  # transfer returned true
        assert (token.balanceOf(owner), token.balanceOf(other)) == (10, 0)
        with pytest.raises(Reverted, match="erc20: transfer amount exceeds balance") as refused:
            chain.simulate(token, token.transfer.prepare_calldata(owner, 1), other)
        assert refused.value.data[:4] == bytes.fromhex("08c379a0")  # Error(string), data kept
    finally:
        boa.set_env(previous)
