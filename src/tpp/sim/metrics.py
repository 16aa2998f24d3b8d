"""What a simulation run bought, and who got it: the numbers computed from one `Trace`.

`run_rows` gives one row per programme plus a `*total*` row; `series_rows` one row per sample
per programme plus a `*total*` row per sample. Both are plain dicts ready for `results.write_table`.

Every row carries `run_id`, `set_id`, `seed`, `engine`, `scenario` and one `param.<dotted key>`
column per sweep parameter (the value itself if it is a string, else its JSON). Amounts are
tokens (wei / 10**decimals) as floats; money is USD; a "sample" is the world at the end of one
step of `trace.step` seconds, and each sample stands for one step when summing over time.

Definitions, per programme:

- emitted_tokens: what the programme had emitted at its last sample: minted, plus what accrued
  to its recipients and is not minted yet (minting waits for someone to claim).
- emitted_usd: each token valued at the price when it was emitted,
  Σ_i (emitted_i − emitted_{i−1}) × price_i, with emitted before the first sample = 0.
- stake_days: LP-token-days, Σ_i staked_i × step / 86400.
- tvl_usd_days: USD-days of liquidity, Σ_i staked_i × lp_value_i × step / 86400.
  Streams hold no stake, so theirs is 0.
- tvl_days_per_token: tvl_usd_days / emitted_tokens, the outcome bought per token emitted
  (NaN if nothing was emitted); tvl_days_per_usd: tvl_usd_days / emitted_usd.
- tvl_during: mean TVL (USD) over the samples where the programme was emitting (NaN if none).
- tvl_after: TVL (USD) at the first sample at or after stopped_at + 30 days; NaN if the
  programme never stopped or the horizon ends before then.
- retention: tvl_after / tvl_during; NaN when either is NaN or tvl_during is 0.
- share_amount_<kind>: that kind's share of the rewards (claimed plus claimable), by amount;
  share_addresses_<kind>: its share of the rewarded addresses (reward > 0). Kinds are the
  agents' (loyal_lp, mercenary, sybil, whale); an address that is no participant is "other".
  All NaN when nothing was rewarded. Addresses are matched case-insensitively. A sybil's
  addresses count one by one (that is how a sybil looks on chain).
- rewarded_addresses: addresses with a reward > 0; rewards_tokens: the rewards summed.
- gini: Gini coefficient of the rewards of the rewarded addresses (0 for one address or none).
- The pluralistic mechanisms' own columns (NaN on the rows of other kinds):
  - kpi_held_days (KPI streams): days in which some candidate held the KPI at both ends of a
    step (the readings' view: the KPI held at two consecutive samples), Σ step / 86400;
    kpi_candidate_days: the same summed over candidates; kpi_held_days_per_token:
    kpi_held_days / emitted_tokens, the time the KPI was held per token emitted.
  - impact_decile_1 … impact_decile_10 (checkpoints): the share of the rewards that went to
    each tenth of the programme's agents ranked by true impact (the activity they sent to the
    app, the top tenth first; a sybil's addresses count as its one owner); an agent at rank r
    of n is in decile r * 10 // n + 1, so with fewer than ten agents some deciles are empty (0).
  - submissions, authors (bounties): submissions filed over the run, and the owners who filed
    them; awards_per_submission and awards_per_author: rewards_tokens divided by each.
- decisions_asked: evaluation windows of the programme; decisions_taken: those a vote decided;
  defaults_applied: those where the default outcome applied; turnout: mean turnout (NaN if none).
- peak_stakers: most stakers at any sample; final_state: the state at the last sample.

The `*total*` row:

- emitted_tokens, emitted_usd, stake_days, tvl_usd_days, rewards_tokens: sums over programmes;
  tvl_days_per_token and tvl_days_per_usd: the ratios of those sums.
- tvl_during: mean total TVL over the samples where any programme was emitting; tvl_after:
  total TVL at the first sample at or after (the last stop of a staking programme) + 30 days,
  NaN if some staking programme never stopped or there is none; retention: their ratio.
- capture shares, rewarded_addresses and gini over all programmes' rewards together, each
  address's rewards summed across programmes.
- minted_total, scheduled_total: the Budget's minted and scheduled supply at the last sample
  (tokens); minted_vs_scheduled: minted_total / scheduled_total (NaN if nothing scheduled).
- threshold_tokens_per_day: the inflation threshold in force at the last sample.
- peak_rate_vs_threshold: the highest emission rate of all programmes together between
  consecutive samples, (Δ Σ emitted / Δ time), divided by the threshold in force at the later
  sample (inf if something was emitted while the threshold was 0; NaN with fewer than two
  samples). Emission, not minting: minting follows claims, which come in batches.
- windows: evaluation windows grouped by the time they close (one decision round for the
  delegates); max_decisions_per_window and mean_decisions_per_window: decisions per round;
  decisions_asked / decisions_taken / defaults_applied: sums; turnout: mean over all windows.
- transactions: what the agents, keeper and delegates sent.

Series rows carry time, day ((time − start) / 86400), programme, price, lp_value, minted,
emitted, staked, tvl_usd, stakers, state, emitting and holders (KPI streams: candidates
holding the KPI at the sample; 0 for other kinds, empty on the total row); the `*total*` series row has minted =
minted_total, emitted summed over programmes, scheduled = scheduled_total, and staked, tvl_usd and stakers summed over
programmes (an address staking in two programmes counts twice).
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from tpp.model import kinds as mechanism_kinds
from tpp.sim.trace import RECIPIENT_KINDS, Trace, Window

TOTAL = "*total*"  # the programme name of the rows that sum all programmes
OTHER = "other"  # the kind of a rewarded address that is no participant
CAPTURE_KINDS = (*RECIPIENT_KINDS, OTHER)
DAY = 86_400  # seconds
RETENTION_DELAY = 30 * DAY  # seconds after the stop at which the TVL left is read
NAN = float("nan")


def gini(values: Sequence[int | float]) -> float:
    """Gini coefficient of non-negative values: 0 when all are equal, (n−1)/n when one holds all.

    Computed as (2 Σ_i i·x_(i) − (n+1) Σ x) / (n Σ x) over the values sorted ascending (i from 1),
    exactly on integers until the final division. 0 for fewer than two values or a zero sum.
    """
    xs = sorted(values)
    for x in xs:
        if x != x or x < 0:  # x != x: NaN
            raise ValueError(f"gini: values must be non-negative numbers, got {x!r}")
    n = len(xs)
    total = sum(xs)
    if n <= 1 or total == 0:
        return 0.0
    weighted = sum(i * x for i, x in enumerate(xs, start=1))
    return (2 * weighted - (n + 1) * total) / (n * total)


def run_rows(trace: Trace, run_id: int = 0, set_id: int = 0) -> list[dict]:
    """One row per programme and one `*total*` row; see the module docstring for the columns."""
    if not trace.samples:
        raise ValueError(f"run {run_id} (seed {trace.seed}): the trace has no samples")
    base = _base(trace, run_id, set_id)
    kinds = {p.address.lower(): p.kind for p in trace.participants}
    rows = []
    for info in trace.programmes:
        row = {**base, "programme": info.name, "programme_kind": info.kind}
        row.update(_programme_metrics(trace, info.name))
        row.update(_capture(trace.rewards.get(info.name, {}), kinds, trace.decimals))
        row.update(_kind_metrics(trace, info.name, info.kind, row))
        row.update(_window_counts([w for w in trace.windows if w.programme == info.name]))
        points = [s.programmes[info.name] for s in trace.samples if info.name in s.programmes]
        row["peak_stakers"] = max((p.stakers for p in points), default=0)
        row["final_state"] = points[-1].state if points else None
        rows.append(row)
    rows.append(_total_row(trace, base, rows, kinds))
    return rows


def series_rows(trace: Trace, run_id: int = 0, set_id: int = 0) -> list[dict]:
    """One row per sample per programme, and a `*total*` row per sample."""
    base = _base(trace, run_id, set_id)
    scale = 10**trace.decimals
    rows = []
    for sample in trace.samples:
        common = {**base, "time": sample.time, "day": (sample.time - trace.start) / DAY}
        staked_sum = tvl_sum = emitted_sum = 0.0
        stakers_sum = 0
        emitting_any = False
        for info in trace.programmes:
            point = sample.programmes.get(info.name)
            if point is None:  # the programme was not sampled at this step
                continue
            staked = point.staked / scale
            tvl = staked * sample.lp_value
            staked_sum += staked
            tvl_sum += tvl
            emitted_sum += point.emitted / scale
            stakers_sum += point.stakers
            emitting_any = emitting_any or point.emitting
            rows.append(
                {
                    **common,
                    "programme": info.name,
                    "price": sample.price,
                    "lp_value": sample.lp_value,
                    "minted": point.minted / scale,
                    "emitted": point.emitted / scale,
                    "scheduled": None,
                    "staked": staked,
                    "tvl_usd": tvl,
                    "stakers": point.stakers,
                    "state": point.state,
                    "emitting": point.emitting,
                    "holders": bin(point.held).count("1"),
                }
            )
        rows.append(
            {
                **common,
                "programme": TOTAL,
                "price": sample.price,
                "lp_value": sample.lp_value,
                "minted": sample.minted_total / scale,
                "emitted": emitted_sum,
                "scheduled": sample.scheduled_total / scale,
                "staked": staked_sum,
                "tvl_usd": tvl_sum,
                "stakers": stakers_sum,
                "state": None,
                "emitting": emitting_any,
                "holders": None,
            }
        )
    return rows


def _base(trace: Trace, run_id: int, set_id: int) -> dict[str, Any]:
    row: dict[str, Any] = {
        "run_id": run_id,
        "set_id": set_id,
        "seed": trace.seed,
        "engine": trace.engine,
        "scenario": trace.scenario,
    }
    # sorted, so every run of a sweep has its parameter columns in the same order
    for key in sorted(trace.params):
        value = trace.params[key]
        row[f"param.{key}"] = value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)
    return row


def _ratio(numerator: float, denominator: float) -> float:
    if denominator == 0 or math.isnan(numerator) or math.isnan(denominator):
        return NAN
    return numerator / denominator


def _mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else NAN


def _first_at_or_after(points: Iterable[tuple[int, float]], time: int | None) -> float:
    """The value of the first (time, value) point at or after `time`; NaN if none or no time."""
    if time is None:
        return NAN
    for t, value in points:
        if t >= time:
            return value
    return NAN


def _programme_metrics(trace: Trace, name: str) -> dict[str, Any]:
    scale = 10**trace.decimals
    days_per_step = trace.step / DAY
    emitted_usd = stake_days = tvl_usd_days = 0.0
    previous = 0
    during: list[float] = []
    tvl_at: list[tuple[int, float]] = []
    for sample in trace.samples:
        point = sample.programmes.get(name)
        if point is None:
            continue
        emitted_usd += (point.emitted - previous) / scale * sample.price
        previous = point.emitted
        staked = point.staked / scale
        tvl = staked * sample.lp_value
        stake_days += staked * days_per_step
        tvl_usd_days += tvl * days_per_step
        tvl_at.append((sample.time, tvl))
        if point.emitting:
            during.append(tvl)
    emitted_tokens = previous / scale
    stopped = trace.stopped_at.get(name)
    tvl_during = _mean(during)
    tvl_after = _first_at_or_after(tvl_at, None if stopped is None else stopped + RETENTION_DELAY)
    return {
        "emitted_tokens": emitted_tokens,
        "emitted_usd": emitted_usd,
        "stake_days": stake_days,
        "tvl_usd_days": tvl_usd_days,
        "tvl_days_per_token": _ratio(tvl_usd_days, emitted_tokens),
        "tvl_days_per_usd": _ratio(tvl_usd_days, emitted_usd),
        "tvl_during": tvl_during,
        "tvl_after": tvl_after,
        "retention": _ratio(tvl_after, tvl_during),
    }


DECILES = tuple(f"impact_decile_{d}" for d in range(1, 11))
KIND_COLUMNS = (
    "kpi_held_days",
    "kpi_candidate_days",
    "kpi_held_days_per_token",
    *DECILES,
    "submissions",
    "authors",
    "awards_per_submission",
    "awards_per_author",
)


def _kind_metrics(trace: Trace, name: str, kind: str, row: dict[str, Any]) -> dict[str, Any]:
    """The KPI stream's, checkpoints' and bounty's own columns (NaN for the other kinds)."""
    out: dict[str, Any] = dict.fromkeys(KIND_COLUMNS, NAN)
    days_per_step = trace.step / DAY
    if kind == "kpi_stream":
        held = [s.programmes[name].held for s in trace.samples if name in s.programmes]
        both = [a & b for a, b in zip(held, held[1:])]
        out["kpi_held_days"] = sum(days_per_step for m in both if m)
        out["kpi_candidate_days"] = sum(bin(m).count("1") * days_per_step for m in both)
        out["kpi_held_days_per_token"] = _ratio(out["kpi_held_days"], row["emitted_tokens"])
    elif kind == "checkpoints":
        owner_of = {p.address.lower(): p.owner.lower() for p in trace.participants}
        by_owner: dict[str, int] = defaultdict(int)
        for address, amount in trace.rewards.get(name, {}).items():
            by_owner[owner_of.get(address.lower(), address.lower())] += amount
        total = sum(by_owner.values())
        ranked = sorted(trace.impact.get(name, {}).items(), key=lambda item: (-item[1], item[0].lower()))
        shares = [0] * 10
        for rank, (owner, _) in enumerate(ranked):
            shares[rank * 10 // len(ranked)] += by_owner.get(owner.lower(), 0)
        for column, amount in zip(DECILES, shares):
            out[column] = amount / total if total else NAN
    elif kind == "bounty":
        counts = trace.submissions.get(name, {})
        out["submissions"] = sum(counts.values())
        out["authors"] = sum(1 for c in counts.values() if c)
        out["awards_per_submission"] = _ratio(row["rewards_tokens"], out["submissions"])
        out["awards_per_author"] = _ratio(row["rewards_tokens"], out["authors"])
    return out


def _capture(rewards: dict[str, int], kinds: dict[str, str], decimals: int) -> dict[str, Any]:
    """Capture shares by kind, rewarded addresses and gini of one rewards map (address -> wei)."""
    by_address: dict[str, int] = defaultdict(int)
    for address, amount in rewards.items():
        by_address[address.lower()] += amount
    rewarded = {address: amount for address, amount in by_address.items() if amount > 0}
    amount_by_kind = dict.fromkeys(CAPTURE_KINDS, 0)
    count_by_kind = dict.fromkeys(CAPTURE_KINDS, 0)
    for address, amount in rewarded.items():
        kind = kinds.get(address, OTHER)
        kind = kind if kind in amount_by_kind else OTHER  # a participant of a kind that should not be paid
        amount_by_kind[kind] += amount
        count_by_kind[kind] += 1
    total = sum(rewarded.values())
    row: dict[str, Any] = {}
    for kind in CAPTURE_KINDS:
        row[f"share_amount_{kind}"] = amount_by_kind[kind] / total if total else NAN
    for kind in CAPTURE_KINDS:
        row[f"share_addresses_{kind}"] = count_by_kind[kind] / len(rewarded) if rewarded else NAN
    row["rewarded_addresses"] = len(rewarded)
    row["rewards_tokens"] = total / 10**decimals
    row["gini"] = gini(list(rewarded.values()))
    return row


def _window_counts(windows: list[Window]) -> dict[str, Any]:
    taken = sum(1 for w in windows if w.decided)
    return {
        "decisions_asked": len(windows),
        "decisions_taken": taken,
        "defaults_applied": len(windows) - taken,
        "turnout": _mean([w.turnout for w in windows]),
    }


def _total_row(trace: Trace, base: dict[str, Any], programme_rows: list[dict], kinds: dict[str, str]) -> dict[str, Any]:
    scale = 10**trace.decimals
    row: dict[str, Any] = {**base, "programme": TOTAL, "programme_kind": "total"}
    for column in ("emitted_tokens", "emitted_usd", "stake_days", "tvl_usd_days"):
        row[column] = sum(r[column] for r in programme_rows)
    row["tvl_days_per_token"] = _ratio(row["tvl_usd_days"], row["emitted_tokens"])
    row["tvl_days_per_usd"] = _ratio(row["tvl_usd_days"], row["emitted_usd"])

    names = [info.name for info in trace.programmes]
    during: list[float] = []
    tvl_at: list[tuple[int, float]] = []
    for sample in trace.samples:
        points = [sample.programmes[n] for n in names if n in sample.programmes]
        tvl = sum(p.staked / scale * sample.lp_value for p in points)
        tvl_at.append((sample.time, tvl))
        if any(p.emitting for p in points):
            during.append(tvl)
    # TVL is only held by kinds with stakers; retention is read 30 days after the last of them stops
    stops = [trace.stopped_at.get(info.name) for info in trace.programmes if mechanism_kinds.get(info.kind).stakes]
    stopped = [s for s in stops if s is not None]
    last_stop = max(stopped) if stops and len(stopped) == len(stops) else None
    row["tvl_during"] = _mean(during)
    row["tvl_after"] = _first_at_or_after(tvl_at, None if last_stop is None else last_stop + RETENTION_DELAY)
    row["retention"] = _ratio(row["tvl_after"], row["tvl_during"])

    combined: dict[str, int] = defaultdict(int)
    for name in names:
        for address, amount in trace.rewards.get(name, {}).items():
            combined[address.lower()] += amount
    row.update(_capture(combined, kinds, trace.decimals))

    last = trace.samples[-1]
    row["minted_total"] = last.minted_total / scale
    row["scheduled_total"] = last.scheduled_total / scale
    row["minted_vs_scheduled"] = _ratio(row["minted_total"], row["scheduled_total"])
    row["threshold_tokens_per_day"] = last.threshold * DAY / scale
    row["peak_rate_vs_threshold"] = _peak_rate_vs_threshold(trace)

    row.update(dict.fromkeys(KIND_COLUMNS, NAN))
    row.update(_window_counts(trace.windows))
    rounds: dict[int, int] = defaultdict(int)
    for window in trace.windows:
        rounds[window.closes] += 1
    row["windows"] = len(rounds)
    row["max_decisions_per_window"] = max(rounds.values(), default=0)
    row["mean_decisions_per_window"] = _mean(list(rounds.values()))
    row["transactions"] = trace.transactions
    return row


def _peak_rate_vs_threshold(trace: Trace) -> float:
    peak = NAN
    for before, after in zip(trace.samples, trace.samples[1:]):
        elapsed = after.time - before.time
        if elapsed <= 0:
            continue
        minted = sum(p.emitted for p in after.programmes.values()) - sum(p.emitted for p in before.programmes.values())
        if after.threshold > 0:
            ratio = minted / elapsed / after.threshold
        else:  # nothing may be minted without a threshold: any mint is infinitely over it
            ratio = math.inf if minted > 0 else 0.0
        peak = ratio if math.isnan(peak) else max(peak, ratio)
    return peak
