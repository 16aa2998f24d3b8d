"""The simulator's two engines (revm, py-evm fed raw calldata) behind tpp.chain: the same
bytecode gives the same addresses, results, reverts and logs on both, and the lean handles
encode exactly what titanoboa encodes."""

from __future__ import annotations

import pytest

from tpp.chain import Chain, Reverted
from tpp.chain.engines import ENGINES, RawLog
from tpp.system.stack import deploy_stack

WAD = 10**18
GENESIS = 1_767_225_600


@pytest.fixture(params=ENGINES)
def chain(request):
    return Chain.engine(request.param, genesis=GENESIS, record_logs=True)


def _token(chain: Chain):
    owner = chain.actor("owner")
    token = chain.deploy("testing/StakeToken", "LP token", "LP", 18, sender=owner)
    token.mint(owner, 1_000 * WAD, sender=owner)
    return token, owner


def test_calls_transactions_and_views(chain):
    token, owner = _token(chain)
    holder = chain.actor("holder")
    assert token.transfer(holder, 5 * WAD, sender=owner) is True
    assert token.balanceOf(holder) == 5 * WAD
    assert token.balanceOf(owner) == 995 * WAD
    assert token.symbol() == "LP"
    assert token.decimals() == 18
    assert chain.env.transactions == 2  # mint and transfer; views are not transactions


def test_revert_reason_is_the_contracts(chain):
    token, owner = _token(chain)
    with pytest.raises(Reverted) as info:
        token.transfer(owner, 1, sender=chain.actor("empty-handed"))
    assert info.value.reason == "erc20: transfer amount exceeds balance"
    with pytest.raises(Reverted, match="erc20: access is denied"):
        token.mint(owner, 1, sender=chain.actor("stranger"))


def test_logs_are_recorded_in_order_and_decode(chain):
    token, owner = _token(chain)
    holder = chain.actor("holder")
    chain.env.logs.clear()
    token.transfer(holder, 7, sender=owner)
    token.approve(holder, 9, sender=owner)
    names = [token.decode_log(log)[0] for log in chain.env.logs]
    assert names == ["Transfer", "Approval"]
    name, args = token.decode_log(chain.env.logs[0])
    assert (name, args) == ("Transfer", {"sender": owner, "receiver": holder, "value": 7})
    assert token.decode_log(RawLog(token.address, (b"\x01" * 32,), b"")) is None  # not its event


def test_time_moves_forward_only(chain):
    assert chain.now() == GENESIS
    assert chain.warp(86_400) == GENESIS + 86_400
    assert chain.warp_to(GENESIS) == GENESIS + 86_400  # already later: nothing moves
    with pytest.raises(ValueError, match="time only moves forward"):
        chain.warp(-1)


def test_anchor_undoes_state_and_time(chain):
    token, owner = _token(chain)
    holder = chain.actor("holder")
    with chain.anchor():
        token.transfer(holder, 3, sender=owner)
        chain.warp(1_000)
        assert token.balanceOf(holder) == 3
    assert token.balanceOf(holder) == 0
    assert chain.now() == GENESIS


def test_predicted_create_addresses_match_deployments(chain):
    deployer = chain.actor("deployer")
    predicted = chain.env.next_create_addresses(deployer, 2)
    first = chain.deploy("testing/StakeToken", "A", "A", 18, sender=deployer)
    second = chain.deploy("testing/StakeToken", "B", "B", 18, sender=deployer)
    assert [first.address, second.address] == predicted


def test_calldata_matches_titanoboas():
    import boa

    from tpp.chain.artifacts import vyper_deployer

    fast = Chain.revm(genesis=GENESIS)
    token, owner = _token(fast)
    with boa.env.anchor():
        reference = vyper_deployer("testing/StakeToken").deploy("LP token", "LP", 18)
        for fn, args in [("transfer", (owner, 12345)), ("approve", (owner, 2**256 - 1)), ("balanceOf", (owner,))]:
            assert getattr(token, fn).prepare_calldata(*args) == getattr(reference, fn).prepare_calldata(*args)


def test_wrong_argument_count_is_named(chain):
    token, _ = _token(chain)
    with pytest.raises(TypeError, match=r"StakeToken.transfer takes 2 arguments, got 1"):
        token.transfer(token.address)


def test_unknown_engine_is_refused():
    with pytest.raises(ValueError, match="unknown engine 'evmone'"):
        Chain.engine("evmone")


def test_both_engines_deploy_the_same_stack_at_the_same_addresses():
    addresses = {}
    for name in ENGINES:
        chain = Chain.engine(name, genesis=GENESIS)
        stack = deploy_stack(chain)
        budget = stack.budget
        pid = stack.gap_vote([(budget, "set_inflation_threshold", (WAD,))], "GAP: 1 TPP/s")
        assert budget.inflation_threshold() == WAD
        with pytest.raises(Reverted, match="access_control: account is missing role"):
            budget.set_allocation(1, sender=chain.actor("stranger"))
        addresses[name] = (stack.token.address, budget.address, stack.factory.address, pid, chain.now())
    assert addresses["revm"] == addresses["pyevm"]


def test_bad_arguments_are_refused_before_sending(chain):
    token, owner = _token(chain)
    for args, bad in [
        (("0x1234", 1), "not an address"),
        ((owner, -1), "not a uint256"),
        ((owner, 2**256), "not a uint256"),
        ((owner, True), "not a uint256"),
    ]:
        with pytest.raises(TypeError, match=rf"StakeToken.transfer\(address,uint256\): {bad}"):
            token.transfer(*args, sender=owner)
    assert chain.env.transactions == 1  # only the mint was sent


def test_a_call_to_an_address_without_code_says_so(chain):
    token, _ = _token(chain)
    ghost = chain.at("testing/StakeToken", chain.actor("nobody"))
    with pytest.raises(Reverted, match=r"StakeToken.balanceOf: no result \(is there a StakeToken at 0x"):
        ghost.balanceOf(token.address)


def test_constructor_reverts_carry_the_reason_on_both_engines(chain):
    zero = "0x" + "00" * 20
    with pytest.raises(Reverted) as info:
        chain.deploy("Budget", zero, zero, zero, zero, 0, 0, 0, 0, 1, 0, 1)
    assert info.value.reason == "budget: zero token"


def test_revert_names_the_contract_and_function(chain):
    token, owner = _token(chain)
    with pytest.raises(Reverted) as info:
        token.transfer(owner, 1, sender=chain.actor("empty-handed"))
    assert str(info.value) == "StakeToken.transfer: erc20: transfer amount exceeds balance"
