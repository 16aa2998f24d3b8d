"""What the foundation story must leave behind, checked on any backend."""

from tpp.stories.foundation import ALLOCATION, CYCLE, EPOCHS, NETWORK_MARGIN, THRESHOLD, WINDOW
from tpp.system.stack import DEFAULT_ADMIN_ROLE, TOKEN_MINTER_ADMIN_ROLE, TOKEN_MINTER_ROLE, WAD


def check_story(result, exact_times: bool):
    stack, budget, token = result.stack, result.stack.budget, result.stack.token
    start, end = result.epoch

    # The GAP vote set the bounds; the deployer kept no power anywhere.
    assert budget.inflation_threshold() == THRESHOLD
    assert budget.allocation() == ALLOCATION
    assert (budget.cycle_length(), budget.window_length()) == (CYCLE, WINDOW)
    assert (end - start) == CYCLE and budget.next_cycle_boundary(start - 1) == start
    for role in (DEFAULT_ADMIN_ROLE, TOKEN_MINTER_ADMIN_ROLE, TOKEN_MINTER_ROLE):
        assert not token.hasRole(role, stack.deployer)
    assert not budget.hasRole(budget.DEFAULT_ADMIN_ROLE(), stack.deployer)
    assert token.hasRole(TOKEN_MINTER_ROLE, budget.address)
    assert token.hasRole(TOKEN_MINTER_ADMIN_ROLE, stack.tpp_executor.address)

    # One vote admitted exactly three epochs; the fourth was refused by the threshold rule.
    assert budget.epoch_count() == 3
    assert result.refused_reason == "budget: rate above threshold"
    assert budget.committed() == sum(cap for _, _, cap in EPOCHS)
    rate = sum(-(-cap // CYCLE) for _, _, cap in EPOCHS)
    assert budget.rate_at(start) == rate <= THRESHOLD

    # Minting followed the linear unlock and never ran ahead of the scheduled supply.
    for sample in result.samples:
        assert sample.total_minted <= sample.scheduled_supply
        if exact_times:
            elapsed = sample.time - start
            assert sample.total_minted == sum(cap * elapsed // CYCLE for _, _, cap in EPOCHS)
    # On the embedded chain the last mint lands at the epoch's end: every cap is minted in
    # full. On a real node it is sent NETWORK_MARGIN seconds earlier (the minters expire at the
    # end), so up to that much of the unlock stays unminted.
    for name, _, cap in EPOCHS:
        minter = result.minters[name]
        floor = cap if exact_times else cap - cap * NETWORK_MARGIN // CYCLE - 1
        assert floor <= minter.minted() <= cap
        assert budget.minted_by(minter.address) == minter.minted()
        assert token.balanceOf(result.mechanisms[name]) == minter.minted()
    assert budget.total_minted() == sum(result.minters[name].minted() for name, _, _ in EPOCHS)
    if exact_times:
        assert budget.total_minted() == sum(cap for _, _, cap in EPOCHS) == 24_000_000 * WAD
        assert budget.scheduled_supply(end) == budget.total_minted()
