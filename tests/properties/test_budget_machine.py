"""Budget invariants as a hypothesis state machine, against a Python model of the rules.

One Budget per example (random threshold, allocation and share), and programme minters under
it, some with a child minter under them (Budget -> programme CappedMinter -> child
CappedMinter); each leaf has its own mechanism holding its MINTER_ROLE. Rules: admissions
(random cap and interval, often rejected: the reason must be the model's), mints through the
leaves, time travel, pauses and closes (Budget and minters), GAP parameter changes, and
headroom / max_rate probes, and releases (a minter ending its schedule early, keeping some of
what unlocked: its cap, rate and decision return, the curve drops). After every step the invariants of DESIGN.md ("budget") are
checked against the chain, and the chain's views against the model. Epochs often end on the
decision-cycle boundaries, so the delegate-load limit (decisions per evaluation window) binds
too, and the GAP moves the limit and the calendar.

titanoboa's pytest plugin runs every hypothesis example (here: every state-machine run) in its
own `boa.env.anchor()`, so each run starts from the module's fixtures on a clean chain.
"""

from dataclasses import dataclass, field
from typing import ClassVar

import boa
import eth_abi
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule, run_state_machine_as_test

from tests.fixtures.budget import now
from tests.fixtures.tokens import MINTER_ROLE
from tests.properties.test_capped_minter_properties import MISSING_ROLE, PAUSED, MinterModel, expect, pause_error
from tpp.chain.artifacts import vyper_deployer

BPS = 10_000
UINT128_MAX = 2**128 - 1
UINT48_MAX = 2**48 - 1
MAX_THRESHOLD = 2**200 - 1
MAX_ALLOCATION = 2**208 - 1
MAX_GENESIS = 32_503_680_000  # 3000-01-01
MAX_CYCLE = 315_576_000  # ten years
MAX_LOAD_LIMIT = 1_000
CYCLE, WINDOW = 1_000, 100  # the calendar each example starts with (genesis: its start)
MAX_PROGRAMMES = 8
ZERO = "0x" + "00" * 20
CONSTRUCTOR_TYPES = {
    "CappedMinter": ["address", "address", "uint256", "uint256", "uint256", "bool"],
    "Budget": ["address"] * 4 + ["uint256"] * 7,
}


def deploy(name, *args, sender):
    """Deploy one of tpp's Vyper contracts from its init code; titanoboa's `deploy` builds
    a source map per instance, which would dominate a state machine deploying many minters."""
    deployer = vyper_deployer(name)
    init_code = deployer.compiler_data.bytecode + eth_abi.encode(CONSTRUCTOR_TYPES[name], list(args))
    address, _ = boa.env.deploy_code(bytecode=init_code, sender=sender)
    return deployer.at(address)


@dataclass
class Epoch:
    minter: str
    cap: int
    start: int
    end: int
    threshold: int  # threshold in force when admitted
    allocation: int  # allocation in force when admitted
    committed: int  # committed right after the admission
    load_limit: int = 0  # load limit in force when admitted
    on_boundary: bool = False  # whether its end was a decision-cycle boundary then
    minted: int = 0
    released_at: int | None = None  # time of its first release, if any
    kept: int = 0  # the total it kept at its (last) release

    @property
    def rate(self):
        return -(-self.cap // (self.end - self.start))

    @property
    def effective_cap(self):
        """What it can ever mint: the cap, or what it kept once released."""
        return self.cap if self.released_at is None else self.kept

    @property
    def until(self):
        """When its rate stops counting: its end, or its release if that came first."""
        if self.released_at is None:
            return self.end
        return min(self.end, max(self.start, self.released_at))

    @property
    def ends_here(self):
        """Whether it still ends at `end` (a release before the end takes the decision off)."""
        return self.released_at is None or self.released_at >= self.end

    def linear(self, t):
        if t <= self.start:
            return 0
        if t >= self.end:
            return self.cap
        return self.cap * (t - self.start) // (self.end - self.start)

    def unlocked(self, t):
        if self.released_at is not None and t >= self.released_at:
            return self.kept
        return self.linear(t)


@dataclass
class BudgetModel:
    """What the Budget should do, rule for rule."""

    threshold: int
    allocation: int
    share_bps: int
    admitters: set
    parameter_setters: set
    guardians: set
    closers: set
    load_limit: int = 8
    genesis: int = 0
    cycle: int = CYCLE
    window: int = WINDOW
    paused: bool = False
    closed: bool = False
    epochs: list = field(default_factory=list)  # in admission order

    @property
    def committed(self):
        return sum(e.effective_cap for e in self.epochs)

    @property
    def total_minted(self):
        return sum(e.minted for e in self.epochs)

    def epoch_of(self, minter):
        return next((e for e in self.epochs if e.minter == minter), None)

    def next_boundary(self, t):
        if t < self.genesis:
            return self.genesis
        return self.genesis + ((t - self.genesis) // self.cycle + 1) * self.cycle

    def is_boundary(self, t):
        return self.next_boundary(t - 1) == t

    def load_at(self, end, epochs=None):
        """Admitted epochs ending at `end` (on a boundary: the decisions of its window)."""
        return sum(1 for e in (self.epochs if epochs is None else epochs) if e.end == end and e.ends_here)

    def window_full(self, end):
        return self.load_at(end) >= self.load_limit and self.is_boundary(end)

    def rate_at(self, t, epochs=None):
        return sum(e.rate for e in (self.epochs if epochs is None else epochs) if e.start <= t < e.until)

    def max_rate(self, a, b, epochs=None):
        """Highest aggregate rate at any instant of [a, b): it only changes at epoch edges."""
        epochs = self.epochs if epochs is None else epochs
        instants = {a} | {x for e in epochs for x in (e.start, e.until) if a < x < b}
        return max(self.rate_at(x, epochs) for x in instants)

    def admit_error(self, caller, minter, cap, start, end, t):
        if caller not in self.admitters:
            return MISSING_ROLE
        if self.closed:
            return "budget: closed"
        if self.paused:
            return PAUSED
        if minter == ZERO:
            return "budget: zero minter"
        if self.epoch_of(minter):
            return "budget: minter already admitted"
        if cap == 0:
            return "budget: zero cap"
        if cap > UINT128_MAX:
            return "budget: cap above uint128"
        if end > UINT48_MAX:
            return "budget: time beyond uint48"
        if start >= end:
            return "budget: start not before end"
        if start < t:
            return "budget: start in the past"
        if self.committed + cap > self.allocation:
            return "budget: allocation exceeded"
        if cap * BPS > (self.allocation - self.committed) * self.share_bps:
            return "budget: share above limit"
        if self.window_full(end):
            return "budget: window load above limit"
        rate = -(-cap // (end - start))
        if self.max_rate(start, end) + rate > self.threshold:
            return "budget: rate above threshold"
        return None

    def headroom(self, a, b, t):
        if self.closed or self.paused or a >= b or a < t or b > UINT48_MAX:
            return 0
        if self.window_full(b):
            return 0
        peak = self.max_rate(a, b)
        if peak >= self.threshold:
            return 0
        remaining = self.allocation - min(self.allocation, self.committed)
        by_share = remaining * self.share_bps // BPS
        return min((self.threshold - peak) * (b - a), remaining, by_share, UINT128_MAX)

    def mint_error(self, minter, amount, t):
        if self.closed:
            return "budget: closed"
        if self.paused:
            return PAUSED
        e = self.epoch_of(minter)
        if e is None:
            return "budget: minter not admitted"
        if t < e.start:
            return "budget: epoch not started"
        if e.minted + amount > e.linear(t):
            return "budget: above schedule"
        if e.released_at is not None and e.minted + amount > e.kept:
            return "budget: above released total"
        return None

    def release(self, minter, keep, t):
        """What `release(keep)` from `minter` does; returns the revert reason or None."""
        e = self.epoch_of(minter)
        if e is None:
            return "budget: minter not admitted"
        kept = e.minted + min(keep, e.linear(t) - e.minted)
        if e.released_at is None:
            e.released_at = t
        else:
            kept = min(kept, e.kept)
        e.kept = kept
        return None

    def pause_error(self, caller, pause):
        return pause_error("budget: closed" if self.closed else None, caller in self.guardians, self.paused, pause)


@dataclass
class Programme:
    """A minter deployed under the Budget (admitted or not), and the leaf a mechanism mints on."""

    contract: object
    model: MinterModel
    mechanism: str
    child: object = None
    child_model: MinterModel = None

    @property
    def leaf(self):
        return self.child if self.child is not None else self.contract

    def levels(self):
        """(contract, model, caller) from the leaf up, each level called by the one below."""
        if self.child is None:
            return [(self.contract, self.model, self.mechanism)]
        return [(self.child, self.child_model, self.mechanism), (self.contract, self.model, self.child.address)]


def _level_room(model, t):
    return (model.unlocked(t) if model.linear else model.cap) - model.minted


class BudgetMachine(RuleBasedStateMachine):
    """Set `actors` and `token` on the class before running (see the test at the bottom)."""

    actors: ClassVar[dict] = {}
    token = None

    # --- set-up ---------------------------------------------------------------------------

    @initialize(
        threshold=st.one_of(st.integers(50, 3_000), st.integers(1, 50)),
        allocation=st.one_of(st.integers(100_000, 20_000_000), st.integers(1, 100_000)),
        share_bps=st.one_of(st.sampled_from([BPS, 5_000]), st.integers(1, BPS)),
        load_limit=st.one_of(st.integers(1, 3), st.just(8)),
    )
    def set_up(self, threshold, allocation, share_bps, load_limit):
        a = self.actors
        self.t0 = now()
        self.budget = deploy(
            "Budget",
            self.token.address,
            a["gap"],
            a["tpp"],
            a["guardian"],
            threshold,
            allocation,
            share_bps,
            self.t0,
            CYCLE,
            WINDOW,
            load_limit,
            sender=a["deployer"],
        )
        self.token.grantRole(MINTER_ROLE, self.budget.address, sender=a["admin"])
        # An authorised factory admits too (ADMITTER_ROLE granted by the TPP executor).
        self.budget.grantRole(self.budget.ADMITTER_ROLE(), a["factory"], sender=a["tpp"])
        self.initial_supply = self.token.totalSupply()
        self.model = BudgetModel(
            threshold,
            allocation,
            share_bps,
            admitters={a["tpp"], a["factory"]},
            parameter_setters={a["gap"]},
            guardians={a["guardian"]},
            closers={a["gap"]},
            load_limit=load_limit,
            genesis=self.t0,
        )
        self.programmes = []

    # --- admissions -----------------------------------------------------------------------

    def _edges(self):
        return sorted({x for e in self.model.epochs for x in (e.start, e.end, e.until)})

    def _boundaries_after(self, t, n=3):
        """The next `n` decision-cycle boundaries after `t`: ends that load a window."""
        out = [self.model.next_boundary(t)]
        while len(out) < n and out[-1] + self.model.cycle <= UINT48_MAX:
            out.append(out[-1] + self.model.cycle)
        return [x for x in out if x <= UINT48_MAX]

    def _draw_interval(self, data, t):
        edges = self._edges()
        # Hypothesis leans to the first branch and the smallest values: keep those sensible.
        start_choices = [st.integers(0, 1_000).map(lambda d: t + d)]
        if edges:
            # Shared boundaries, so admissions reuse breakpoints (and some are in the past).
            start_choices.append(st.sampled_from(edges))
        start_choices.append(st.integers(1, 10).map(lambda d: t - d))
        start = data.draw(st.one_of(*start_choices), label="start")
        end_choices = [st.integers(1, 3_000).map(lambda d: start + d)]
        boundaries = self._boundaries_after(start)
        if boundaries:
            end_choices.append(st.sampled_from(boundaries))
        later = [x for x in edges if x > start]
        if later:
            end_choices.append(st.sampled_from(later))
        end_choices += [st.sampled_from([start, start - 1]), st.just(UINT48_MAX + 1)]
        end = data.draw(st.one_of(*end_choices), label="end")
        return start, end

    def _deploy_programme(self, data, cap, start, end, t):
        a = self.actors
        valid = 1 <= cap <= UINT128_MAX and t <= start < end <= UINT48_MAX
        if valid:
            # The minter's own window may be wider than the admitted one and its cap larger,
            # so that the Budget's own schedule checks are reached too.
            m_start = start - data.draw(st.integers(0, start - t), label="earlier start")
            m_end = end + data.draw(st.integers(0, 500), label="later end")
            m_cap = min(cap + data.draw(st.sampled_from([0, 0, cap]), label="extra cap"), UINT128_MAX)
        else:
            m_start, m_end, m_cap = t, t + 1_000, 1_000
        linear = data.draw(st.booleans(), label="linear")
        contract = deploy("CappedMinter", self.budget.address, a["admin"], m_cap, m_start, m_end, linear, sender=a["admin"])
        mechanism = boa.env.generate_address(f"mechanism-{len(self.programmes)}")
        model = MinterModel(m_cap, m_start, m_end, linear, minters=set(), pausers={a["admin"]}, closers={a["admin"]})
        programme = Programme(contract, model, mechanism)
        if data.draw(st.booleans(), label="nested"):
            c_start = m_start + data.draw(st.integers(0, 300), label="child start")
            c_end = c_start + data.draw(st.integers(0, 3_000), label="child length")
            c_cap = data.draw(st.integers(1, 2 * m_cap), label="child cap")
            c_linear = data.draw(st.booleans(), label="child linear")
            child = deploy("CappedMinter", contract.address, a["admin"], c_cap, c_start, c_end, c_linear, sender=a["admin"])
            contract.grantRole(MINTER_ROLE, child.address, sender=a["admin"])
            model.minters.add(child.address)
            child.grantRole(MINTER_ROLE, mechanism, sender=a["admin"])
            programme.child = child
            programme.child_model = MinterModel(
                c_cap, c_start, c_end, c_linear, minters={mechanism}, pausers={a["admin"]}, closers={a["admin"]}
            )
        else:
            contract.grantRole(MINTER_ROLE, mechanism, sender=a["admin"])
            model.minters.add(mechanism)
        self.programmes.append(programme)
        return contract.address

    def _admit(self, caller, minter, cap, start, end, t, room):
        reason = self.model.admit_error(caller, minter, cap, start, end, t)
        event(f"admit: {reason or 'ok'}")
        expect(reason, self.budget.admit, minter, cap, start, end, sender=caller)
        if reason is None:
            m = self.model
            on_boundary = m.is_boundary(end)
            m.epochs.append(
                Epoch(minter, cap, start, end, m.threshold, m.allocation, m.committed + cap, m.load_limit, on_boundary)
            )
            if on_boundary and m.load_at(end) == m.load_limit:
                event("admit: window filled to the load limit")
            if room and cap == room:
                event("admit: exactly the headroom")
            b = self.budget
            assert b.epoch_at(len(m.epochs) - 1) == minter
            assert b.schedule_of(minter) == (cap, start, end)
            # The chain's aggregate rate is the model's on every piece of the schedule (it is
            # constant between edges, so checking at each edge covers every instant).
            for x in self._edges():
                assert b.rate_at(x) == m.rate_at(x), f"rate_at({x})"
        elif room and cap == room + 1:
            event("admit: headroom + 1 rejected")

    @rule(data=st.data())
    def admit(self, data):
        """Any admission: any caller, interval and cap, a new, an existing or the zero minter."""
        a, t = self.actors, now()
        caller = data.draw(st.sampled_from([a["tpp"], a["factory"], a["tpp"], a["gap"], a["stranger"]]), label="admitter")
        start, end = self._draw_interval(data, t)
        room = self.model.headroom(start, end, t)
        cap_choices = [st.integers(1, 2_000_000), st.integers(1, 20_000_000), st.sampled_from([0, UINT128_MAX + 1])]
        if room:
            cap_choices = [st.just(room), st.just(room + 1)] + cap_choices
        cap = data.draw(st.one_of(*cap_choices), label="cap")
        kinds = (["new"] if len(self.programmes) < MAX_PROGRAMMES else []) + (["existing"] if self.programmes else []) + ["zero"]
        kind = data.draw(st.sampled_from(kinds), label="minter kind")
        if kind == "new":
            minter = self._deploy_programme(data, cap, start, end, t)
        elif kind == "zero":
            minter = ZERO
        else:
            minter = data.draw(st.sampled_from(self.programmes), label="programme").contract.address
        self._admit(caller, minter, cap, start, end, t, room)

    @precondition(lambda self: len(self.programmes) < MAX_PROGRAMMES)
    @rule(data=st.data())
    def admit_within_headroom(self, data):
        """A new programme by an admitter, over a future interval, with a cap within headroom
        (so it is admitted unless paused or closed): the schedule fills up and mints happen."""
        a, t = self.actors, now()
        edges = [x for x in self._edges() if x >= t]
        start = data.draw(
            st.one_of(st.integers(0, 600).map(lambda d: t + d), *([st.sampled_from(edges)] if edges else [])), label="start"
        )
        later = [x for x in edges if x > start]
        boundaries = self._boundaries_after(start)
        # Boundaries first (hypothesis leans to the first branch): windows fill up.
        end = data.draw(
            st.one_of(
                *([st.sampled_from(boundaries)] if boundaries else []),
                st.integers(1, 3_000).map(lambda d: start + d),
                *([st.sampled_from(later)] if later else []),
            ),
            label="end",
        )
        room = self.model.headroom(start, end, t)
        cap = data.draw(st.integers(1, room), label="cap") if room else 1
        minter = self._deploy_programme(data, cap, start, end, t)
        self._admit(data.draw(st.sampled_from([a["tpp"], a["factory"]]), label="admitter"), minter, cap, start, end, t, room)

    @rule(data=st.data())
    def admit_into_a_window(self, data):
        """A small epoch (a bare address: the Budget admits any minter) ending on a boundary that
        already carries decisions, or on one of the next: the load limit is reached and probed."""
        a, t = self.actors, now()
        loaded = sorted({e.end for e in self.model.epochs if e.end > t and self.model.is_boundary(e.end)})
        choices = ([st.sampled_from(loaded)] if loaded else []) + [st.sampled_from(self._boundaries_after(t))]
        end = data.draw(st.one_of(*choices), label="window end")
        start = data.draw(st.integers(t, end - 1), label="start")
        minter = boa.env.generate_address(f"bare-epoch-{len(self.model.epochs)}")
        self._admit(a["tpp"], minter, 1, start, end, t, self.model.headroom(start, end, t))

    @rule(data=st.data())
    def probe(self, data):
        """headroom() and max_rate() agree with the model, for any interval."""
        t = now()
        start, end = self._draw_interval(data, t)
        assert self.budget.headroom(start, end) == self.model.headroom(start, end, t)
        if t <= start < end <= UINT48_MAX:
            assert self.budget.max_rate(start, end) == self.model.max_rate(start, end)

    # --- minting --------------------------------------------------------------------------

    def _admitted(self):
        return [p for p in self.programmes if self.model.epoch_of(p.contract.address)]

    @precondition(lambda self: self._admitted())
    @rule(data=st.data())
    def mint(self, data):
        """A mint through an admitted programme."""
        self._mint(data, self._admitted())

    @precondition(lambda self: self.programmes)
    @rule(data=st.data())
    def mint_any(self, data):
        """A mint through any programme, admitted or not."""
        self._mint(data, self.programmes)

    def _mint(self, data, programmes):
        a, t = self.actors, now()
        programme = data.draw(st.sampled_from(programmes), label="programme")
        caller = data.draw(st.sampled_from([programme.mechanism] * 4 + [a["stranger"], a["admin"]]), label="caller")
        levels = programme.levels()
        room = min(_level_room(model, t) for _, model, _ in levels)
        epoch = self.model.epoch_of(programme.contract.address)
        if epoch:
            room = min(room, epoch.unlocked(t) - epoch.minted)
        room = max(room, 0)
        amount = data.draw(
            st.one_of(st.sampled_from([room, room, room + 1, 0, 1]), st.integers(0, programme.model.cap)),
            label="amount",
        )
        reason = None
        for level, (_, model, level_caller) in enumerate(levels):
            reason = model.mint_error(caller if level == 0 else level_caller, amount, t)
            if reason:
                break
        if reason is None:
            reason = self.model.mint_error(programme.contract.address, amount, t)
        event(f"mint: {reason or 'ok'}")
        expect(reason, programme.leaf.mint, a["recipient"], amount, sender=caller)
        if reason is None:
            for _, model, _ in levels:
                model.minted += amount
            epoch.minted += amount

    @precondition(lambda self: self._admitted())
    @rule(data=st.data())
    def mint_again(self, data):
        self.mint(data)

    @precondition(lambda self: self.programmes)
    @rule(data=st.data())
    def release(self, data):
        """A programme minter releases its schedule (as an EpochMinter does when closed or
        retired), keeping nothing, part of what unlocked, all of it, or asking for more."""
        pool = self._admitted() if self._admitted() and data.draw(st.integers(0, 3), label="any") else self.programmes
        programme = data.draw(st.sampled_from(pool), label="programme")
        minter = programme.contract.address
        e = self.model.epoch_of(minter)
        if e and now() < e.end and data.draw(st.integers(0, 2), label="after its end") == 2:
            boa.env.time_travel(seconds=e.end + data.draw(st.integers(0, 300), label="late by") - now())
        t = now()
        room = max(e.linear(t) - e.minted, 0) if e else 0
        keep = data.draw(st.sampled_from([0, 0, room // 2, room, room + 1, UINT128_MAX]), label="keep")
        committed, load = self.model.committed, {x.end: self.model.load_at(x.end) for x in self.model.epochs}
        reason = self.model.release(minter, keep, t)
        event(f"release: {reason or ('before the end' if e and t < e.end else 'after the end')}")
        expect(reason, self.budget.release, keep, sender=minter)
        if reason is None:
            assert self.model.committed <= committed
            assert all(self.model.load_at(end) <= n for end, n in load.items())
            assert self.budget.released_of(minter) == (True, e.kept, e.released_at)

    @precondition(lambda self: self.programmes)
    @rule(data=st.data())
    def release_again(self, data):
        self.release(data)

    # --- time -----------------------------------------------------------------------------

    @rule(data=st.data())
    def warp(self, data):
        t = now()
        future = [x + d for x in self._edges() for d in (-1, 0, 1) if x + d > t]
        kind = data.draw(st.sampled_from(["short"] * 3 + ["edge"] * 2 + ["long", "far"]), label="warp kind")
        if kind == "edge" and future:
            seconds = data.draw(st.sampled_from(future), label="to edge") - t
        elif kind == "far":
            seconds = 20_000  # past every schedule
        else:
            seconds = data.draw(st.integers(1, 200 if kind == "short" else 1_500), label="seconds")
        boa.env.time_travel(seconds=seconds)

    @rule(data=st.data())
    def warp_again(self, data):
        self.warp(data)

    # --- brakes ---------------------------------------------------------------------------

    @rule(pause=st.sampled_from([True, False]), by_guardian=st.sampled_from([True, False]))
    def pause_budget(self, pause, by_guardian):
        caller = self.actors["guardian" if by_guardian else "stranger"]
        reason = self.model.pause_error(caller, pause)
        expect(reason, self.budget.pause if pause else self.budget.unpause, sender=caller)
        if reason is None:
            self.model.paused = pause
        assert self.budget.paused() == self.model.paused

    @rule(really=st.integers(0, 9))
    def close_budget(self, really):
        """Closing ends every run it happens in, so only one attempt in ten is by the closer."""
        caller = self.actors["gap" if really == 9 else "stranger"]
        if caller not in self.model.closers:
            reason = MISSING_ROLE
        elif self.model.closed:
            reason = "budget: closed"
        else:
            reason = None
        expect(reason, self.budget.close, sender=caller)
        if reason is None:
            self.model.closed = True
        assert self.budget.closed() == self.model.closed

    @precondition(lambda self: self.programmes)
    @rule(data=st.data())
    def brake_minter(self, data):
        programme = data.draw(st.sampled_from(self.programmes), label="programme")
        contract, model, _ = data.draw(st.sampled_from(programme.levels()), label="level")
        action = data.draw(st.sampled_from(["unpause", "pause", "unpause", "close"]), label="action")
        caller = self.actors["admin"]
        if action == "close":
            reason = model.close_error(caller)
        else:
            reason = model.pause_error(caller, action == "pause")
        expect(reason, getattr(contract, action), sender=caller)
        if reason is None:
            if action == "close":
                model.closed = True
            else:
                model.paused = action == "pause"

    # --- GAP parameters -------------------------------------------------------------------

    def _set(self, setter, value, caller, reason, attribute):
        expect(reason, getattr(self.budget, setter), value, sender=caller)
        if reason is None:
            setattr(self.model, attribute, value)
        self._parameters_agree()

    def _parameters_agree(self):
        b, m = self.budget, self.model
        assert (b.inflation_threshold(), b.allocation(), b.max_share_bps(), b.load_limit()) == (
            m.threshold,
            m.allocation,
            m.share_bps,
            m.load_limit,
        )
        assert (b.cycle_genesis(), b.cycle_length(), b.window_length()) == (m.genesis, m.cycle, m.window)

    def _parameter_caller(self, by_gap):
        caller = self.actors["gap" if by_gap else "stranger"]
        return caller, None if caller in self.model.parameter_setters else MISSING_ROLE

    @rule(value=st.one_of(st.integers(1, 3_000), st.sampled_from([0, MAX_THRESHOLD + 1])), by_gap=st.sampled_from([True, False]))
    def set_threshold(self, value, by_gap):
        caller, reason = self._parameter_caller(by_gap)
        if reason is None and value > MAX_THRESHOLD:
            reason = "budget: threshold too large"
        self._set("set_inflation_threshold", value, caller, reason, "threshold")

    @rule(data=st.data(), by_gap=st.sampled_from([True, False]))
    def set_allocation(self, data, by_gap):
        committed = self.model.committed
        value = data.draw(
            st.one_of(
                st.integers(committed, 25_000_000),
                st.sampled_from([committed, max(committed - 1, 0), committed + 1]),
                st.integers(0, 25_000_000),
                st.sampled_from([MAX_ALLOCATION, MAX_ALLOCATION + 1]),
            ),
            label="allocation",
        )
        caller, reason = self._parameter_caller(by_gap)
        if reason is None and value > MAX_ALLOCATION:
            reason = "budget: allocation too large"
        self._set("set_allocation", value, caller, reason, "allocation")

    @rule(
        value=st.one_of(st.sampled_from([BPS, 5_000]), st.integers(1, BPS), st.sampled_from([0, BPS + 1])),
        by_gap=st.sampled_from([True, False]),
    )
    def set_max_share(self, value, by_gap):
        caller, reason = self._parameter_caller(by_gap)
        if reason is None and value == 0:
            reason = "budget: zero share"
        elif reason is None and value > BPS:
            reason = "budget: share above 100%"
        self._set("set_max_share", value, caller, reason, "share_bps")

    @rule(
        value=st.one_of(st.integers(1, 4), st.sampled_from([0, MAX_LOAD_LIMIT, MAX_LOAD_LIMIT + 1])),
        by_gap=st.sampled_from([True, False]),
    )
    def set_load_limit(self, value, by_gap):
        """Lowering the limit below a window's load keeps its epochs; it binds later admissions."""
        caller, reason = self._parameter_caller(by_gap)
        if reason is None and value == 0:
            reason = "budget: zero load limit"
        elif reason is None and value > MAX_LOAD_LIMIT:
            reason = "budget: load limit too large"
        self._set("set_load_limit", value, caller, reason, "load_limit")

    @rule(data=st.data(), by_gap=st.sampled_from([True, False]))
    def set_decision_cycle(self, data, by_gap):
        """A new calendar: often one that keeps the current boundaries or shifts them, sometimes
        an edge of the bounds."""
        m, t = self.model, now()
        genesis = data.draw(
            st.one_of(
                st.just(m.genesis),
                st.sampled_from(self._edges() or [t]),
                st.integers(t - 2_000, t + 2_000),
                st.sampled_from([m.genesis, m.genesis, MAX_GENESIS, MAX_GENESIS + 1]),
            ),
            label="genesis",
        )
        cycle = data.draw(st.sampled_from([m.cycle, 500, 2_000, m.cycle, 500, 2_000, 0, MAX_CYCLE, MAX_CYCLE + 1]), label="cycle")
        window = data.draw(
            st.one_of(st.integers(1, max(cycle, 1)), st.integers(1, max(cycle, 1)), st.sampled_from([0, cycle + 1])),
            label="window",
        )
        caller, reason = self._parameter_caller(by_gap)
        if reason is None:
            if cycle == 0:
                reason = "budget: zero cycle length"
            elif cycle > MAX_CYCLE:
                reason = "budget: cycle too long"
            elif window == 0:
                reason = "budget: zero window length"
            elif window > cycle:
                reason = "budget: window longer than cycle"
            elif genesis > MAX_GENESIS:
                reason = "budget: genesis too late"
        event(f"calendar: {reason or 'ok'}")
        expect(reason, self.budget.set_decision_cycle, genesis, cycle, window, sender=caller)
        if reason is None:
            m.genesis, m.cycle, m.window = genesis, cycle, window
        self._parameters_agree()

    # --- invariants -----------------------------------------------------------------------

    @invariant()
    def minters_within_cap_and_unlock(self):
        t = now()
        for programme in self.programmes:
            for contract, model, _ in programme.levels():
                minted = contract.minted()
                assert minted == model.minted
                assert minted <= model.cap
                if model.linear:
                    assert minted <= model.unlocked(t)
            # Every wei a child mints counts in its programme minter.
            if programme.child is not None:
                assert programme.model.minted >= programme.child_model.minted

    @invariant()
    def budget_within_schedule(self):
        b, m, t = self.budget, self.model, now()
        assert b.epoch_count() == len(m.epochs)
        total = 0
        for e in m.epochs:
            minted = b.minted_by(e.minter)
            assert minted == e.minted <= e.unlocked(t)
            total += minted
        assert b.total_minted() == total == m.total_minted
        assert self.token.totalSupply() - self.initial_supply == total
        scheduled = b.scheduled_supply(t)
        assert scheduled == sum(e.unlocked(t) for e in m.epochs)
        assert b.total_minted() <= scheduled
        assert b.rate_at(t) == m.rate_at(t)

    @invariant()
    def admissions_within_threshold_and_allocation(self):
        """For every admission k: with the epochs admitted up to and including k, the
        aggregate rate at every instant of k's interval is at or under the threshold in force
        at k's admission, and the caps admitted so far are within the allocation then in force."""
        m = self.model
        assert self.budget.committed() == m.committed
        for k, e in enumerate(m.epochs):
            upto = m.epochs[: k + 1]
            # Releases only lower rates and caps, so today's view of the epochs admitted up to k
            # is at or under what k's admission saw.
            assert m.max_rate(e.start, e.end, upto) <= e.threshold
            assert sum(x.effective_cap for x in upto) <= e.committed <= e.allocation

    @invariant()
    def windows_within_load_limit(self):
        """No boundary carries more admitted epochs than the limit in force when each was
        admitted: for every admission k ending on a boundary, the epochs ending there admitted
        up to and including k are at most k's limit. The chain's count is the model's."""
        m = self.model
        for k, e in enumerate(m.epochs):
            if e.on_boundary:
                assert m.load_at(e.end, m.epochs[: k + 1]) <= e.load_limit
        for end in {e.end for e in m.epochs}:
            assert self.budget.window_load(end) == m.load_at(end)


def test_budget_state_machine(token, admin, gap_executor, tpp_executor, guardian, stranger, recipient, deployer):
    BudgetMachine.token = token
    BudgetMachine.actors = dict(
        admin=admin,
        gap=gap_executor,
        tpp=tpp_executor,
        guardian=guardian,
        stranger=stranger,
        recipient=recipient,
        deployer=deployer,
        factory=boa.env.generate_address("factory"),
    )
    run_state_machine_as_test(
        BudgetMachine,
        settings=settings(
            max_examples=30,
            stateful_step_count=30,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
        ),
    )
