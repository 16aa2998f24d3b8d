"""Scenario files for simulator tests: the tiny pool of examples/scenarios with a scenario text
written per test, so each test states the agents it needs."""

from __future__ import annotations

from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "scenarios"
POOL = EXAMPLES / "tiny-pool.toml"  # three 14-day epochs from 2027-01-01, 200k ZK each
DAY = 86_400
WAD = 10**18

BASE = f"""
name = "test"
programmes = ["{POOL}"]
horizon = "{{horizon}}"
step = "1d"
seed = {{seed}}

[market]
price = 0.25
volatility = "60%"
lp_value = 40.0

[keeper]
enabled = {{keeper}}

[delegates]
count = 5
attendance = "{{attendance}}"
decisions_per_month = 4
voting_power = "1_000_000 ZK"
"""


def paid_by_kind(trace, programme: str) -> dict[str, int]:
    """Wei a programme paid to each agent kind (its addresses' rewards summed)."""
    kinds = {p.address: p.kind for p in trace.participants}
    out: dict[str, int] = {}
    for address, wei in trace.rewards[programme].items():
        out[kinds[address]] = out.get(kinds[address], 0) + wei
    return out


@pytest.fixture
def write_scenario(tmp_path):
    """Write a scenario: the tiny pool, given agent tables, and a few settings."""

    def write(
        agents: str,
        *,
        horizon: str = "50d",
        seed: int = 1,
        keeper: bool = True,
        attendance: str = "0%",
        extra: str = "",
        name: str = "scenario.toml",
    ) -> Path:
        text = BASE.format(horizon=horizon, seed=seed, keeper=str(keeper).lower(), attendance=attendance) + extra + agents
        path = tmp_path / name
        path.write_text(text)
        return path

    return write
