"""Shared test set-up: fixtures are split by what they build (see tests/fixtures/)."""

pytest_plugins = [
    "tests.fixtures.accounts",
    "tests.fixtures.tokens",
    "tests.fixtures.budget",
    "tests.fixtures.programmes",
]
