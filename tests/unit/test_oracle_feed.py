"""The PAUSE oracle must not lie: a pause ends by oracle only on a fresh, complete, positive
answer past a threshold written in the feed's unit (stored at 18 decimals, whatever the feed's
decimals), and a broken feed never blocks or starves a programme: it reads as "not met" at a
bounded cost, `advance()`, `halt()` and `resume()` still succeed, and `max_pause` still stops
the programme.

Gas figures are execution gas with cold access sets (each measured call starts a fresh
EIP-2929 transaction), compared with the caps `oracle_feed.vy` declares.
"""

import re
from fractions import Fraction

import boa
import pytest

from tests.fixtures.budget import DAY, now
from tests.fixtures.helpers import warp_to
from tpp.base.vocab import THRESHOLD_DECIMALS, Outcome, State
from tpp.chain.artifacts import CONTRACTS_DIR

PAUSED, RUNNING, STOPPED = State.PAUSED, State.RUNNING, State.STOPPED
WINDOW = 14 * DAY  # make_spec's evaluation window
MAX_AGE = DAY
HUMAN = Fraction(18505, 10)  # the threshold a spec writes as "1850.5"
THRESHOLD = int(HUMAN * 10**THRESHOLD_DECIMALS)


def _module_constant(name: str) -> int:
    text = (CONTRACTS_DIR / "oracle_feed.vy").read_text()
    (value,) = re.findall(rf"^{name}: constant\(uint256\) = ([\d_]+)$", text, re.MULTILINE)
    return int(value.replace("_", ""))


ROUND_GAS = _module_constant("_ROUND_GAS")
DECIMALS_GAS = _module_constant("_DECIMALS_GAS")

# Feed behaviours (FEED_SOURCE's modes).
NORMAL, REVERT, SHORT, BURN, HUGE = range(5)

# A configurable AggregatorV3: answers the round and decimals the test sets, or misbehaves as
# told (reverts, short or oversized data, or burns every gas unit it is given).
FEED_SOURCE = """
# pragma version ~=0.4.3
round_id: public(uint256)
answer: public(int256)
started_at: public(uint256)
updated_at: public(uint256)
answered_in_round: public(uint256)
feed_decimals: public(uint256)
round_mode: public(uint256)
decimals_mode: public(uint256)

@deploy
def __init__(feed_decimals: uint256):
    self.feed_decimals = feed_decimals

@external
def set_round(round_id: uint256, answer: int256, started_at: uint256, updated_at: uint256, answered_in_round: uint256):
    self.round_id = round_id
    self.answer = answer
    self.started_at = started_at
    self.updated_at = updated_at
    self.answered_in_round = answered_in_round

@external
def set_decimals(feed_decimals: uint256):
    self.feed_decimals = feed_decimals

@external
def set_modes(round_mode: uint256, decimals_mode: uint256):
    self.round_mode = round_mode
    self.decimals_mode = decimals_mode

@internal
@view
def _burn() -> bytes32:
    x: bytes32 = empty(bytes32)
    for i: uint256 in range(1_000_000_000_000):
        x = keccak256(x)
    return x

@external
@view
@raw_return
def latestRoundData() -> Bytes[16160]:
    encoded: Bytes[160] = abi_encode(self.round_id, self.answer, self.started_at, self.updated_at, self.answered_in_round)
    mode: uint256 = self.round_mode
    if mode == 1:
        raise "feed: reverted"
    if mode == 2:
        return slice(encoded, 0, 128)
    if mode == 3:
        return abi_encode(self._burn())
    if mode == 4:
        return concat(encoded, abi_encode(empty(uint256[500])))
    return encoded

@external
@view
@raw_return
def decimals() -> Bytes[64]:
    encoded: Bytes[32] = abi_encode(self.feed_decimals)
    mode: uint256 = self.decimals_mode
    if mode == 1:
        raise "feed: reverted"
    if mode == 2:
        return slice(encoded, 0, 31)
    if mode == 3:
        return abi_encode(self._burn())
    if mode == 4:
        return concat(encoded, encoded)
    return encoded
"""

# A Chainlink feed's reads, for the gas caps: EACAggregatorProxy checks its access controller
# (one SLOAD) and reads its current phase (one SLOAD) before calling the OCR aggregator, which
# checks its access list (one SLOAD: the proxy is on it), reads the latest round id (s_hotVars)
# and that round's transmission (one slot each). `decimals()` reads the phase and calls the
# aggregator, which returns an immutable.
AGGREGATOR_SOURCE = """
# pragma version ~=0.4.3
DECIMALS: immutable(uint8)
check_enabled: bool
access_list: HashMap[address, bool]
hot_vars: uint256
transmissions: HashMap[uint256, uint256]

@deploy
def __init__(decimals: uint8):
    DECIMALS = decimals
    self.check_enabled = True

@external
def add_access(user: address):
    self.access_list[user] = True

@external
def transmit(answer: uint256):
    round_id: uint256 = self.hot_vars + 1
    self.hot_vars = round_id
    self.transmissions[round_id] = answer | (block.timestamp << 192)

@external
@view
def latestRoundData() -> (uint80, int256, uint256, uint256, uint80):
    assert self.access_list[msg.sender] or not self.check_enabled or msg.sender == tx.origin, "No access"
    round_id: uint256 = self.hot_vars
    transmission: uint256 = self.transmissions[round_id]
    at: uint256 = transmission >> 192
    answer: int256 = convert(transmission & ((1 << 192) - 1), int256)
    return convert(round_id, uint80), answer, at, at, convert(round_id, uint80)

@external
@view
def decimals() -> uint8:
    return DECIMALS
"""

PROXY_SOURCE = """
# pragma version ~=0.4.3
interface Aggregator:
    def latestRoundData() -> (uint80, int256, uint256, uint256, uint80): view
    def decimals() -> uint8: view

access_controller: address
current_phase: uint256

@deploy
def __init__(aggregator: address):
    self.current_phase = convert(aggregator, uint256) | (1 << 160)

@internal
@view
def _aggregator() -> (Aggregator, uint256):
    phase: uint256 = self.current_phase
    return Aggregator(convert(convert(phase & ((1 << 160) - 1), uint160), address)), phase >> 160

@external
@view
def latestRoundData() -> (uint80, int256, uint256, uint256, uint80):
    assert self.access_controller == empty(address), "No access"
    aggregator: Aggregator = empty(Aggregator)
    phase_id: uint256 = 0
    aggregator, phase_id = self._aggregator()
    round_id: uint80 = 0
    answer: int256 = 0
    started_at: uint256 = 0
    updated_at: uint256 = 0
    answered_in_round: uint80 = 0
    round_id, answer, started_at, updated_at, answered_in_round = staticcall aggregator.latestRoundData()
    prefix: uint80 = convert(phase_id << 64, uint80)
    return prefix | round_id, answer, started_at, updated_at, prefix | answered_in_round

@external
@view
def decimals() -> uint8:
    aggregator: Aggregator = empty(Aggregator)
    phase_id: uint256 = 0
    aggregator, phase_id = self._aggregator()
    return staticcall aggregator.decimals()
"""

# Measures, from a contract, the gas one capped static call costs its caller (as
# oracle_feed's calls do: the cold account included).
PROBE_SOURCE = """
# pragma version ~=0.4.3
@external
@view
def gas_of(feed: address, data: Bytes[4]) -> uint256:
    before: uint256 = msg.gas
    ok: bool = False
    response: Bytes[161] = b""
    ok, response = raw_call(feed, data, max_outsize=161, gas=1_000_000, is_static_call=True, revert_on_failure=False)
    assert ok
    return before - msg.gas
"""


# --- helpers -------------------------------------------------------------------------------


def transitions(programme):
    """(epoch, old_state, new_state, reason) of every Transition in the programme's last call."""
    return [
        (log.epoch, log.old_state, log.new_state, log.reason)
        for log in programme.get_logs()
        if type(log).__name__ == "Transition" and log.address == programme.address
    ]


def cold():
    """Make every account and storage slot cold again, as at the start of a transaction
    (EIP-2929; titanoboa keeps one access set across calls). A journaled clear, unlike
    `boa.env._reset_access_counters()`, so the test's anchor still rolls back."""
    boa.env.evm.vm.state._account_db._journal_accessed_state.clear()


def execute(function, *args, sender, gas=None):
    """Send `function(*args)` as a fresh transaction (cold access sets); the computation."""
    cold()
    return boa.env.execute_code(
        to_address=function.contract.address, sender=sender, gas=gas, data=function.prepare_calldata(*args)
    )


def gas_of(function, *args, sender):
    """Execution gas of a successful fresh transaction `function(*args)`."""
    computation = execute(function, *args, sender=sender)
    assert not computation.is_error, computation.error
    return computation.get_gas_used()


def least_gas(function, sender):
    """The least gas limit at which a fresh transaction `function()` succeeds, as a gas
    estimate finds it (bisection; every try rolled back)."""
    low, high = 0, 2_000_000
    while high - low > 1:
        middle = (low + high) // 2
        with boa.env.anchor():
            failed = execute(function, sender=sender, gas=middle).is_error
        low, high = (middle, high) if failed else (low, middle)
    return high


def fresh(feed, answer, at=None, round_id=7):
    """The feed answers `answer` in a complete round updated at `at` (default: now)."""
    at = now() if at is None else at
    feed.set_round(round_id, answer, at, at, round_id)


# --- fixtures ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def feed8():
    return boa.loads(FEED_SOURCE, 8, name="Feed8")


@pytest.fixture(scope="module")
def feed18():
    return boa.loads(FEED_SOURCE, 18, name="Feed18")


@pytest.fixture(scope="module")
def chainlink_feed():
    """(proxy, aggregator): a Chainlink-style 8-decimal feed, its proxy on the access list."""
    aggregator = boa.loads(AGGREGATOR_SOURCE, 8, name="OcrAggregatorStandIn")
    proxy = boa.loads(PROXY_SOURCE, aggregator.address, name="AggregatorProxyStandIn")
    aggregator.add_access(proxy.address)
    return proxy, aggregator


@pytest.fixture(scope="module")
def pause_all(create, make_spec, safe, first_epoch, tpp_executor):
    """pause_all(*oracles, **spec) -> one stream programme per oracle, each PAUSED at the end of
    its first epoch (a day ago) and ending its pause by reading its oracle (default: `>=`
    1850.5, answers at most a day old)."""

    def make(*oracles, **overrides):
        specs = []
        for oracle in oracles:
            fields = dict(
                oracle=str(getattr(oracle, "address", oracle)), comparator=">=", threshold=THRESHOLD, oracle_max_age=MAX_AGE
            )
            fields.update(overrides)
            specs.append(make_spec("stream", safe, **fields))
        programmes = [programme for programme, _ in create(*specs)]
        _, end = first_epoch
        warp_to(end - WINDOW)
        for programme in programmes:
            programme.decide(Outcome.PAUSE, 0, sender=tpp_executor)
        warp_to(end)
        for programme in programmes:
            assert programme.advance() == PAUSED
        warp_to(end + DAY)
        return programmes

    return make


@pytest.fixture(scope="module")
def paused_with(pause_all):
    """paused_with(oracle, **spec) -> one programme of `pause_all`."""
    return lambda oracle, **overrides: pause_all(oracle, **overrides)[0]


# --- creation ------------------------------------------------------------------------------


def test_the_threshold_decimals_are_the_modules():
    assert _module_constant("THRESHOLD_DECIMALS") == THRESHOLD_DECIMALS == 18


def test_creation_stores_the_oracle_its_max_age_and_the_18_decimal_threshold(paused_with, feed8):
    programme = paused_with(feed8, oracle_max_age=2**48 - 1)
    assert (programme.oracle(), programme.oracle_max_age(), programme.oracle_threshold()) == (
        feed8.address,
        2**48 - 1,
        1850_500_000_000_000_000_000,
    )
    assert programme.comparator() == 2


def test_without_an_oracle_the_max_age_is_ignored(create, make_spec, safe):
    ((programme, _),) = create(make_spec("stream", safe, oracle_max_age=0, threshold=5))
    assert (programme.oracle(), programme.oracle_max_age(), programme.oracle_threshold()) == (
        "0x0000000000000000000000000000000000000000",
        0,
        0,
    )
    assert not programme.pause_condition_met()


# --- only an answer that counts ends a pause -----------------------------------------------

NO_ANSWER = [
    # (case, comparator, (round_id, answer, started_at, updated_at, answered_in_round) at t)
    ("stale: updatedAt 1", ">=", lambda t: (7, 2000 * 10**8, 1, 1, 7)),
    ("older than the max age", ">=", lambda t: (7, 2000 * 10**8, t - MAX_AGE - 1, t - MAX_AGE - 1, 7)),
    ("updatedAt 0", ">=", lambda t: (7, 2000 * 10**8, t, 0, 7)),
    ("updatedAt in the future", ">=", lambda t: (7, 2000 * 10**8, t, t + 1, 7)),
    ("answered in an earlier round", ">=", lambda t: (7, 2000 * 10**8, t, t, 6)),
    ("round not started", ">=", lambda t: (7, 2000 * 10**8, 0, t, 7)),
    ("zero answer", "<", lambda t: (7, 0, t, t, 7)),
    ("negative answer", "<", lambda t: (7, -1, t, t, 7)),
    ("round id above uint80", ">=", lambda t: (2**80, 2000 * 10**8, t, t, 2**80)),
]


@pytest.mark.parametrize("case, comparator, round_at", NO_ANSWER, ids=[case for case, _, _ in NO_ANSWER])
def test_an_answer_that_does_not_count_never_ends_a_pause(paused_with, feed8, case, comparator, round_at):
    programme = paused_with(feed8, comparator=comparator, max_pause=60 * DAY)
    feed8.set_round(*round_at(now()))
    assert not programme.pause_condition_met()
    assert programme.advance() == PAUSED
    assert transitions(programme) == []
    # The same feed with a fresh, complete answer past the threshold ends the pause.
    fresh(feed8, 1_000 * 10**8 if comparator == "<" else 2_000 * 10**8, round_id=8)
    assert programme.pause_condition_met()
    assert programme.advance() == RUNNING
    assert transitions(programme) == [(2, PAUSED, RUNNING, "pause condition met")]


def test_an_answer_exactly_max_age_old_still_counts(paused_with, feed8):
    programme = paused_with(feed8)
    fresh(feed8, 2_000 * 10**8, at=now() - MAX_AGE)
    assert programme.pause_condition_met()
    warp_to(now() + 1)
    assert not programme.pause_condition_met()


@pytest.mark.parametrize("decimals", [8, 18])
def test_a_fresh_answer_past_the_human_threshold_ends_the_pause_whatever_the_decimals(paused_with, feed8, feed18, decimals):
    feed = feed8 if decimals == 8 else feed18
    programme = paused_with(feed)
    one = 10**decimals
    fresh(feed, int(HUMAN * one) - 1)  # 1850.4999…: just below
    assert not programme.pause_condition_met()
    assert programme.advance() == PAUSED
    fresh(feed, int(HUMAN * one))  # exactly 1850.5
    assert programme.advance() == RUNNING
    assert transitions(programme) == [(2, PAUSED, RUNNING, "pause condition met")]


COMPARATORS = {">": lambda a, b: a > b, ">=": lambda a, b: a >= b, "<": lambda a, b: a < b, "<=": lambda a, b: a <= b}


@pytest.mark.parametrize("comparator", list(COMPARATORS))
def test_the_comparison_is_exact_at_any_decimals(paused_with, feed8, comparator):
    """Answers around 1850.5 at 0 to 36 decimals: no rounding flips a comparison."""
    programme = paused_with(feed8, comparator=comparator)
    for decimals in (0, 1, 6, 8, 17, 18, 19, 24, 36):
        feed8.set_decimals(decimals)
        one = 10**decimals
        floor = int(HUMAN * one)  # 1850.5 itself from 1 decimal on; at 0 decimals 1850 and 1851 straddle it
        for answer in (floor - 1, floor, floor + 1):
            fresh(feed8, answer)
            expected = COMPARATORS[comparator](Fraction(answer, one), HUMAN)
            assert programme.pause_condition_met() == expected, (decimals, answer)


def test_huge_answers_compare_without_overflow(paused_with, feed8):
    programme = paused_with(feed8, comparator=">")
    for decimals in (0, 8, 36):
        feed8.set_decimals(decimals)
        fresh(feed8, 2**255 - 1)
        assert programme.pause_condition_met()


@pytest.mark.parametrize("decimals", [37, 255, 2**200])
def test_absurd_decimals_read_as_not_met(paused_with, feed8, decimals):
    programme = paused_with(feed8)
    fresh(feed8, 2_000 * 10**8)
    feed8.set_decimals(decimals)
    assert not programme.pause_condition_met()
    assert programme.advance() == PAUSED


# --- a broken feed never blocks nor starves a programme --------------------------------------

BROKEN = [
    # (case, round mode, decimals mode)
    ("latestRoundData reverts", REVERT, NORMAL),
    ("latestRoundData returns short data", SHORT, NORMAL),
    ("latestRoundData returns huge data", HUGE, NORMAL),
    ("latestRoundData burns all its gas", BURN, NORMAL),
    ("decimals reverts", NORMAL, REVERT),
    ("decimals returns short data", NORMAL, SHORT),
    ("decimals returns oversized data", NORMAL, HUGE),
    ("decimals burns all its gas", NORMAL, BURN),
]


@pytest.fixture
def broken(pause_all, feed8, stranger):
    """broken(round_mode, decimals_mode, **spec) -> (programme, reference): a PAUSED programme whose
    feed misbehaves but would otherwise answer past the threshold, and a PAUSED programme whose
    oracle has no code (the cheapest read: an empty answer) to compare gas with."""

    def make(round_mode, decimals_mode, **overrides):
        reference, programme = pause_all(stranger, feed8, **overrides)
        fresh(feed8, 2_000 * 10**8)
        feed8.set_modes(round_mode, decimals_mode)
        return programme, reference

    return make


@pytest.mark.parametrize("case, round_mode, decimals_mode", BROKEN, ids=[case for case, _, _ in BROKEN])
def test_a_broken_feed_reads_as_not_met_at_a_bounded_cost(broken, stranger, guardian, case, round_mode, decimals_mode):
    programme, reference = broken(round_mode, decimals_mode)
    assert not programme.pause_condition_met()
    # advance() and the guardian's halt() succeed, leave the programme PAUSED, and cost at most
    # the read's caps more than the cheapest read: a feed that burns everything costs its cap.
    bound = ROUND_GAS if decimals_mode == NORMAL else ROUND_GAS + DECIMALS_GAS
    for call in ("advance", "halt"):
        sender = guardian if call == "halt" else stranger
        baseline = gas_of(getattr(reference, call), sender=sender)
        used = gas_of(getattr(programme, call), sender=sender)
        assert programme.state() == PAUSED
        extra = used - baseline
        assert extra <= bound + 2_000, (call, used, baseline)
        assert used < 300_000, (call, used)  # far below any block's gas limit
        if BURN in (round_mode, decimals_mode):
            assert extra >= (ROUND_GAS if round_mode == BURN else DECIMALS_GAS) - 2_000  # it did burn its cap
    assert programme.halted()


def test_a_feed_without_code_never_ends_a_pause(paused_with, stranger):
    programme = paused_with(stranger)
    assert not programme.pause_condition_met()
    assert programme.advance() == PAUSED


def test_a_reverting_feed_without_max_pause_waits_for_a_vote(broken, tpp_executor):
    programme, _ = broken(REVERT, NORMAL)
    warp_to(now() + 400 * DAY)
    assert programme.advance() == PAUSED
    assert programme.next_transition() == (0, 0)
    programme.resume(sender=tpp_executor)
    assert transitions(programme) == [(2, PAUSED, RUNNING, "resumed by vote")]


@pytest.mark.parametrize("round_mode, decimals_mode", [(BURN, NORMAL), (NORMAL, BURN), (REVERT, NORMAL)])
def test_max_pause_still_stops_a_programme_whose_oracle_is_broken(broken, stranger, round_mode, decimals_mode):
    programme, _ = broken(round_mode, decimals_mode, max_pause=20 * DAY)
    paused_at = programme.paused_at()
    warp_to(paused_at + 20 * DAY - 1)
    assert programme.advance() == PAUSED
    warp_to(paused_at + 20 * DAY)
    assert not execute(programme.advance, sender=stranger).is_error
    assert programme.state() == STOPPED


def test_too_little_gas_for_the_feed_reverts_instead_of_skipping_the_read(paused_with, feed8, stranger):
    """A caller cannot pick a gas limit at which a healthy feed looks broken (EIP-150 forwards
    only 63/64 of what is left): the read needs its whole cap, else the call reverts."""
    programme = paused_with(feed8)
    fresh(feed8, 2_000 * 10**8)
    starved = execute(programme.advance, sender=stranger, gas=ROUND_GAS)
    assert starved.is_error
    assert b"oracle: too little gas for the feed" in bytes(starved.output)
    assert programme.state() == PAUSED
    # The least gas at which advance() succeeds (what a gas estimate finds) reads the feed.
    assert not execute(programme.advance, sender=stranger, gas=least_gas(programme.advance, stranger)).is_error
    assert programme.state() == RUNNING


def test_the_least_gas_that_works_still_gives_the_feed_its_whole_cap(broken, stranger):
    programme, _ = broken(BURN, NORMAL)
    with boa.env.anchor():
        ample = execute(programme.advance, sender=stranger).get_gas_used()
    least = execute(programme.advance, sender=stranger, gas=least_gas(programme.advance, stranger))
    assert not least.is_error
    assert least.get_gas_used() == ample  # the feed burnt its whole cap both times: it was not starved


# --- a real (Chainlink-style) feed ---------------------------------------------------------


def test_the_gas_caps_leave_a_4x_margin_over_a_chainlink_feed(chainlink_feed):
    proxy, aggregator = chainlink_feed
    aggregator.transmit(2_000 * 10**8)
    probe = boa.loads(PROBE_SOURCE, name="GasProbe")
    cold()
    round_gas = probe.gas_of(proxy.address, bytes.fromhex("feaf968c"))  # latestRoundData()
    cold()
    decimals_gas = probe.gas_of(proxy.address, bytes.fromhex("313ce567"))  # decimals()
    # Five cold SLOADs and two cold accounts, and one cold SLOAD and two cold accounts.
    assert round_gas > 15_000 and decimals_gas > 5_000
    assert 4 * round_gas <= ROUND_GAS and 4 * decimals_gas <= DECIMALS_GAS, (round_gas, decimals_gas)


def test_a_chainlink_feed_ends_the_pause_when_it_transmits_past_the_threshold(paused_with, chainlink_feed, stranger):
    proxy, aggregator = chainlink_feed
    programme = paused_with(proxy.address)
    aggregator.transmit(1_800 * 10**8)
    assert proxy.latestRoundData()[0] == (1 << 64) | 1  # phase 1, round 1
    assert programme.advance() == PAUSED
    warp_to(now() + 3_600)
    aggregator.transmit(1_900 * 10**8)
    assert programme.advance() == RUNNING
    assert transitions(programme) == [(2, PAUSED, RUNNING, "pause condition met")]
