"""Shared test set-up: fixtures are split by what they build (see tests/fixtures/)."""

import os

import boa
import pytest
from hypothesis import settings

pytest_plugins = [
    "tests.fixtures.accounts",
    "tests.fixtures.tokens",
    "tests.fixtures.budget",
    "tests.fixtures.programmes",
]

# CI runs the property tests derandomized, so a red run is reproducible from its log alone;
# locally hypothesis explores new examples each run.
settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


@pytest.fixture(autouse=True)
def _titanoboa_env_restored():
    """A test that opens its own chain (`tpp … --embedded` run in-process makes a fresh embedded
    chain titanoboa's current env) must not hand that chain to the tests after it."""
    env = boa.env
    yield
    boa.set_env(env)
