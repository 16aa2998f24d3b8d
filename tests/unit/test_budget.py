"""Budget: admission rules, schedule-bound minting, GAP parameters, views, pause and close."""

import boa
import pytest

from tests.fixtures.budget import (
    ALLOCATION,
    CYCLE,
    DAY,
    MAX_SHARE_BPS,
    THRESHOLD,
    WAD,
    WINDOW,
    now,
)
from tpp.chain.artifacts import vyper_deployer

UINT48_MAX = 2**48 - 1
ZERO = "0x" + "00" * 20


def events(contract, name):
    return [e for e in contract.get_logs() if type(e).__name__ == name]


def rate(cap, start, end):
    return -(-cap // (end - start))


@pytest.fixture(scope="module")
def epoch():
    """A 10-day epoch starting tomorrow."""
    start = now() + DAY
    return start, start + 10 * DAY


# --- construction -----------------------------------------------------------------------


def test_constructor_sets_roles_and_parameters(budget, token, gap_executor, tpp_executor, guardian, deployer, budget_params):
    assert budget.TOKEN() == token.address
    assert budget.hasRole(budget.DEFAULT_ADMIN_ROLE(), gap_executor)
    assert not budget.hasRole(budget.DEFAULT_ADMIN_ROLE(), deployer)
    assert budget.hasRole(budget.PARAMETER_ROLE(), gap_executor)
    assert budget.hasRole(budget.CLOSER_ROLE(), gap_executor)
    assert budget.hasRole(budget.ADMITTER_ROLE(), tpp_executor)
    assert budget.hasRole(budget.ADMITTER_ADMIN_ROLE(), tpp_executor)
    assert budget.getRoleAdmin(budget.ADMITTER_ROLE()) == budget.ADMITTER_ADMIN_ROLE()
    assert budget.hasRole(budget.GUARDIAN_ROLE(), guardian)
    assert budget.inflation_threshold() == THRESHOLD
    assert budget.allocation() == ALLOCATION
    assert budget.max_share_bps() == MAX_SHARE_BPS
    assert budget.cycle_genesis() == budget_params["cycle_genesis"]
    assert budget.cycle_length() == CYCLE
    assert budget.window_length() == WINDOW
    assert budget.load_limit() == 8


@pytest.mark.parametrize(
    "index, value, reason",
    [
        (0, ZERO, "budget: zero token"),
        (1, ZERO, "budget: zero gap executor"),
        (2, ZERO, "budget: zero tpp executor"),
        (3, ZERO, "budget: zero guardian"),
        (4, 2**200, "budget: threshold too large"),
        (6, 0, "budget: zero share"),
        (6, 10_001, "budget: share above 100%"),
        (8, 0, "budget: zero cycle length"),
        (9, 0, "budget: zero window length"),
        (9, CYCLE + 1, "budget: window longer than cycle"),
        (10, 0, "budget: zero load limit"),
        (5, 2**256 - 1, "budget: allocation too large"),
        (7, 2**48, "budget: genesis too late"),
        (8, 2**48, "budget: cycle too long"),
        (10, 2**256 - 1, "budget: load limit too large"),
    ],
)
def test_constructor_rejects_nonsense(token, gap_executor, tpp_executor, guardian, index, value, reason):
    args = [token.address, gap_executor, tpp_executor, guardian, THRESHOLD, ALLOCATION, MAX_SHARE_BPS, now(), CYCLE, WINDOW, 8]
    args[index] = value
    with boa.reverts(reason):
        vyper_deployer("Budget").deploy(*args)


# --- admission --------------------------------------------------------------------------


def test_admit_records_schedule_and_logs(budget, deploy_minter, tpp_executor, epoch):
    start, end = epoch
    minter = deploy_minter(budget.address, 1_000 * WAD, start, end)
    budget.admit(minter.address, 1_000 * WAD, start, end, sender=tpp_executor)
    (event,) = events(budget, "EpochAdmitted")
    assert (event.minter, event.admitter, event.cap, event.start, event.end) == (
        minter.address,
        tpp_executor,
        1_000 * WAD,
        start,
        end,
    )
    assert event.rate == rate(1_000 * WAD, start, end)
    assert budget.schedule_of(minter.address) == (1_000 * WAD, start, end)
    assert budget.committed() == 1_000 * WAD
    assert budget.epoch_count() == 1
    assert budget.epoch_at(0) == minter.address


@pytest.mark.parametrize(
    "case, reason",
    [
        ("zero minter", "budget: zero minter"),
        ("zero cap", "budget: zero cap"),
        ("huge cap", "budget: cap above uint128"),
        ("beyond uint48", "budget: time beyond uint48"),
        ("start after end", "budget: start not before end"),
        ("start equals end", "budget: start not before end"),
        ("start in past", "budget: start in the past"),
    ],
)
def test_admit_rejects_nonsense(budget, tpp_executor, mechanism, epoch, case, reason):
    minter, cap, (start, end) = mechanism, 1_000 * WAD, epoch
    if case == "zero minter":
        minter = ZERO
    elif case == "zero cap":
        cap = 0
    elif case == "huge cap":
        cap = 2**128
    elif case == "beyond uint48":
        end = UINT48_MAX + 1
    elif case == "start after end":
        start, end = end, start
    elif case == "start equals end":
        end = start
    elif case == "start in past":
        start = now() - 1
    with boa.reverts(reason):
        budget.admit(minter, cap, start, end, sender=tpp_executor)
    assert budget.committed() == 0
    assert budget.epoch_count() == 0


def test_admit_twice_reverts(budget, tpp_executor, mechanism, epoch):
    budget.admit(mechanism, WAD, *epoch, sender=tpp_executor)
    with boa.reverts("budget: minter already admitted"):
        budget.admit(mechanism, WAD, *epoch, sender=tpp_executor)


def test_allocation_rule(budget, gap_executor, tpp_executor, epoch):
    budget.set_max_share(10_000, sender=gap_executor)
    budget.set_allocation(3 * WAD, sender=gap_executor)
    budget.admit(boa.env.generate_address("a"), 2 * WAD, *epoch, sender=tpp_executor)
    with boa.reverts("budget: allocation exceeded"):
        budget.admit(boa.env.generate_address("b"), 2 * WAD, *epoch, sender=tpp_executor)
    budget.admit(boa.env.generate_address("c"), WAD, *epoch, sender=tpp_executor)
    assert budget.committed() == 3 * WAD


def test_share_rule_uses_remaining_allocation(budget, gap_executor, tpp_executor, epoch):
    # Half of 10m may go to the first epoch, then half of the 5m left, and so on.
    budget.admit(boa.env.generate_address("a"), ALLOCATION // 2, *epoch, sender=tpp_executor)
    with boa.reverts("budget: share above limit"):
        budget.admit(boa.env.generate_address("b"), ALLOCATION // 4 + 1, *epoch, sender=tpp_executor)
    budget.admit(boa.env.generate_address("b"), ALLOCATION // 4, *epoch, sender=tpp_executor)


def test_rate_rule_at_every_instant(budget, gap_executor, tpp_executor, epoch):
    start, end = epoch
    duration = end - start
    full = THRESHOLD * duration  # an epoch at exactly the threshold rate
    budget.set_allocation(100 * full, sender=gap_executor)
    budget.set_max_share(10_000, sender=gap_executor)
    budget.admit(boa.env.generate_address("a"), full // 2, start, end, sender=tpp_executor)
    # Overlapping by a single second is enough to break the threshold.
    with boa.reverts("budget: rate above threshold"):
        budget.admit(boa.env.generate_address("b"), full // 2 + duration, end - 1, end - 1 + duration, sender=tpp_executor)
    # Touching intervals do not overlap: [start, end) then [end, ...).
    budget.admit(boa.env.generate_address("c"), full, end, end + duration, sender=tpp_executor)
    # Fill the first interval up to the threshold exactly.
    budget.admit(boa.env.generate_address("d"), full // 2, start, end, sender=tpp_executor)
    assert budget.max_rate(start, end) == THRESHOLD
    assert budget.max_rate(end, end + duration) == THRESHOLD
    with boa.reverts("budget: rate above threshold"):
        budget.admit(boa.env.generate_address("e"), duration, start + 5, start + 5 + duration, sender=tpp_executor)


def test_admission_between_and_around_existing_breakpoints(budget, gap_executor, tpp_executor):
    """Intervals inserted before, inside and after existing ones keep the rate curve exact."""
    budget.set_max_share(10_000, sender=gap_executor)
    t0 = now() + DAY
    layout = [(t0 + 100, t0 + 200, 100), (t0, t0 + 50, 50), (t0 + 150, t0 + 400, 250), (t0 + 20, t0 + 160, 140)]
    for i, (s, e, cap) in enumerate(layout):
        budget.admit(boa.env.generate_address(f"m{i}"), cap * WAD, s, e, sender=tpp_executor)
    for t in range(t0 - 10, t0 + 410, 5):
        expected = sum(cap * WAD // (e - s) for s, e, cap in layout if s <= t < e)
        assert budget.rate_at(t) == expected, t
        assert budget.max_rate(t, t + 1) == expected, t


def test_lowering_threshold_binds_later_admissions_only(
    budget, deploy_minter, gap_executor, tpp_executor, mechanism, admin, recipient, token, epoch
):
    start, end = epoch
    cap = 100 * WAD
    minter = deploy_minter(budget.address, cap, start, end)
    budget.admit(minter.address, cap, start, end, sender=tpp_executor)
    minter.grantRole(minter.MINTER_ROLE(), mechanism, sender=admin)
    budget.set_inflation_threshold(0, sender=gap_executor)
    (event,) = events(budget, "InflationThresholdSet")
    assert (event.old_threshold, event.new_threshold, event.effective_at) == (THRESHOLD, 0, now())
    with boa.reverts("budget: rate above threshold"):
        budget.admit(boa.env.generate_address("late"), WAD, start, end, sender=tpp_executor)
    boa.env.time_travel(seconds=end - now())
    minter.mint(recipient, cap, sender=mechanism)
    assert token.balanceOf(recipient) == cap


# --- minting ----------------------------------------------------------------------------


def test_only_admitted_minters_mint(budget, stranger, recipient):
    with boa.reverts("budget: minter not admitted"):
        budget.mint(recipient, 1, sender=stranger)


def test_budget_holds_any_minter_to_its_schedule(budget, tpp_executor, mechanism, recipient, token, epoch):
    """Even a minter that is not itself linear (here an EOA) mints no faster than admitted."""
    start, end = epoch
    cap = 10 * WAD
    budget.admit(mechanism, cap, start, end, sender=tpp_executor)
    with boa.reverts("budget: epoch not started"):
        budget.mint(recipient, 1, sender=mechanism)
    half = start + (end - start) // 2
    boa.env.time_travel(seconds=half - now())
    budget.mint(recipient, cap // 2, sender=mechanism)
    with boa.reverts("budget: above schedule"):
        budget.mint(recipient, 1, sender=mechanism)
    assert budget.minted_by(mechanism) == cap // 2
    assert budget.total_minted() == cap // 2
    assert budget.unlocked_of(mechanism, half) == cap // 2
    boa.env.time_travel(seconds=end + DAY - now())
    budget.mint(recipient, cap // 2, sender=mechanism)
    with boa.reverts("budget: above schedule"):
        budget.mint(recipient, 1, sender=mechanism)
    assert token.balanceOf(recipient) == cap


def test_mint_through_capped_minter_counts_everywhere(budget, admitted_minter, mechanism, recipient, token, epoch):
    start, end = epoch
    minter = admitted_minter(50 * WAD, start, end)
    boa.env.time_travel(seconds=end - now())
    minter.mint(recipient, 50 * WAD, sender=mechanism)
    assert minter.minted() == 50 * WAD
    assert budget.minted_by(minter.address) == 50 * WAD
    assert budget.total_minted() == 50 * WAD
    assert token.balanceOf(recipient) == 50 * WAD


# --- views ------------------------------------------------------------------------------


def test_scheduled_supply_and_rate(budget, tpp_executor, epoch):
    start, end = epoch
    a, b = boa.env.generate_address("a"), boa.env.generate_address("b")
    budget.admit(a, 100 * WAD, start, end, sender=tpp_executor)
    budget.admit(b, 300 * WAD, start + 5 * DAY, end + 5 * DAY, sender=tpp_executor)
    assert budget.scheduled_supply(start) == 0
    assert budget.scheduled_supply(start + 5 * DAY) == 50 * WAD
    assert budget.scheduled_supply(end) == 100 * WAD + 150 * WAD
    assert budget.scheduled_supply(end + 5 * DAY) == 400 * WAD
    assert budget.rate_at(start - 1) == 0
    assert budget.rate_at(start) == rate(100 * WAD, start, end)
    assert budget.rate_at(end - 1) == rate(100 * WAD, start, end) + rate(300 * WAD, start + 5 * DAY, end + 5 * DAY)
    assert budget.rate_at(end + 5 * DAY) == 0


def test_headroom_is_exactly_admissible(budget, gap_executor, tpp_executor, epoch):
    start, end = epoch
    budget.set_max_share(10_000, sender=gap_executor)
    budget.set_allocation(THRESHOLD * (end - start) * 10, sender=gap_executor)
    budget.admit(boa.env.generate_address("a"), THRESHOLD * (end - start) // 4, start, end, sender=tpp_executor)
    room = budget.headroom(start, end)
    assert room == THRESHOLD * (end - start) * 3 // 4
    with boa.reverts("budget: rate above threshold"):
        budget.admit(boa.env.generate_address("b"), room + 1, start, end, sender=tpp_executor)
    budget.admit(boa.env.generate_address("b"), room, start, end, sender=tpp_executor)
    assert budget.headroom(start, end) == 0


def test_headroom_limited_by_share_and_allocation(budget, epoch):
    start, end = epoch
    assert budget.headroom(start, end) == min(ALLOCATION * MAX_SHARE_BPS // 10_000, THRESHOLD * (end - start))
    assert budget.headroom(end, start) == 0
    assert budget.headroom(now() - 1, end) == 0


def test_decision_cycle_views(budget, gap_executor, budget_params):
    genesis = budget_params["cycle_genesis"]
    assert budget.next_cycle_boundary(genesis - 1) == genesis
    assert budget.next_cycle_boundary(genesis) == genesis + CYCLE
    assert budget.next_cycle_boundary(genesis + CYCLE - 1) == genesis + CYCLE
    assert budget.window_of(genesis + CYCLE) == (genesis + CYCLE - WINDOW, genesis + CYCLE)
    budget.set_decision_cycle(genesis, 30 * DAY, 7 * DAY, sender=gap_executor)
    (event,) = events(budget, "DecisionCycleSet")
    assert (event.old_cycle_length, event.new_cycle_length) == (CYCLE, 30 * DAY)
    assert (event.old_window_length, event.new_window_length) == (WINDOW, 7 * DAY)
    assert budget.next_cycle_boundary(genesis) == genesis + 30 * DAY


# --- parameters -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "setter, args, event_name, old_new",
    [
        ("set_allocation", (5 * WAD,), "AllocationSet", (ALLOCATION, 5 * WAD)),
        ("set_max_share", (1_000,), "MaxShareSet", (MAX_SHARE_BPS, 1_000)),
        ("set_load_limit", (3,), "LoadLimitSet", (8, 3)),
        ("set_inflation_threshold", (7,), "InflationThresholdSet", (THRESHOLD, 7)),
    ],
)
def test_parameter_changes_log_old_and_new(budget, gap_executor, setter, args, event_name, old_new):
    getattr(budget, setter)(*args, sender=gap_executor)
    (event,) = events(budget, event_name)
    values = tuple(getattr(event, f) for f in type(event)._fields if f.startswith(("old", "new")))
    assert values == old_new
    assert event.effective_at == now()


@pytest.mark.parametrize(
    "setter, args, reason",
    [
        ("set_max_share", (0,), "budget: zero share"),
        ("set_max_share", (10_001,), "budget: share above 100%"),
        ("set_load_limit", (0,), "budget: zero load limit"),
        ("set_inflation_threshold", (2**200,), "budget: threshold too large"),
        ("set_decision_cycle", (0, 0, 1), "budget: zero cycle length"),
        ("set_decision_cycle", (0, 10, 0), "budget: zero window length"),
        ("set_decision_cycle", (0, 10, 11), "budget: window longer than cycle"),
        ("set_decision_cycle", (2**48, 10, 1), "budget: genesis too late"),
        ("set_decision_cycle", (0, 2**48, 1), "budget: cycle too long"),
        ("set_allocation", (2**256 - 1,), "budget: allocation too large"),
        ("set_load_limit", (2**256 - 1,), "budget: load limit too large"),
    ],
)
def test_parameter_nonsense_reverts(budget, gap_executor, setter, args, reason):
    with boa.reverts(reason):
        getattr(budget, setter)(*args, sender=gap_executor)


# --- pause and close --------------------------------------------------------------------


def test_guardian_pause_blocks_mint_and_admission(budget, guardian, tpp_executor, mechanism, recipient, epoch):
    start, end = epoch
    budget.admit(mechanism, WAD, start, end, sender=tpp_executor)
    boa.env.time_travel(seconds=end - now())
    budget.pause(sender=guardian)
    with boa.reverts("pausable: contract is paused"):
        budget.mint(recipient, 1, sender=mechanism)
    with boa.reverts("pausable: contract is paused"):
        budget.admit(boa.env.generate_address("x"), WAD, now() + 1, now() + 2, sender=tpp_executor)
    assert budget.headroom(now() + 1, now() + 100) == 0
    budget.unpause(sender=guardian)
    budget.mint(recipient, WAD, sender=mechanism)


def test_close_is_final(budget, gap_executor, guardian, tpp_executor, mechanism, recipient, epoch):
    start, end = epoch
    budget.admit(mechanism, WAD, start, end, sender=tpp_executor)
    budget.close(sender=gap_executor)
    (event,) = events(budget, "Closed")
    assert event.closer == gap_executor
    boa.env.time_travel(seconds=end - now())
    with boa.reverts("budget: closed"):
        budget.mint(recipient, 1, sender=mechanism)
    with boa.reverts("budget: closed"):
        budget.admit(boa.env.generate_address("x"), WAD, now() + 1, now() + 2, sender=tpp_executor)
    with boa.reverts("budget: closed"):
        budget.pause(sender=guardian)
    with boa.reverts("budget: closed"):
        budget.close(sender=gap_executor)


def test_tpp_executor_can_authorise_a_factory(budget, tpp_executor, epoch):
    factory = boa.env.generate_address("factory")
    budget.grantRole(budget.ADMITTER_ROLE(), factory, sender=tpp_executor)
    budget.admit(boa.env.generate_address("m"), WAD, *epoch, sender=factory)
    budget.revokeRole(budget.ADMITTER_ROLE(), factory, sender=tpp_executor)
    with boa.reverts("access_control: account is missing role"):
        budget.admit(boa.env.generate_address("n"), WAD, *epoch, sender=factory)
