"""The on-chain vocabulary is mirrored once (tpp.base.vocab) and matches the contracts; a
mechanism kind is a plug-in that every layer finds through the one registry; the layers do
not load what they must not."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from eth_utils import keccak

from tpp.base import vocab
from tpp.base.vocab import Comparator, Outcome, ProposalState, State
from tpp.chain.artifacts import CONTRACTS_DIR, abi_of
from tpp.model import kinds
from tpp.specs.spec import ProgrammeModel

ROOT = Path(__file__).resolve().parents[2]
_CONSTANT = re.compile(r"^(_[A-Z_]+): constant\(uint8\) = (\d+)$", re.MULTILINE)


def _constants(contract: str) -> dict[str, int]:
    text = (CONTRACTS_DIR / f"{contract}.vy").read_text()
    return {name: int(value) for name, value in _CONSTANT.findall(text)}


def test_states_outcomes_and_comparators_are_the_programmes_codes():
    codes = _constants("Programme")
    for state in State:
        if state is not State.NONE:
            assert codes[f"_{state.name}"] == state, state
    for outcome in Outcome:
        if outcome is not Outcome.NONE:
            assert codes[f"_OUTCOME_{outcome.name}"] == outcome, outcome
    names = {"GT": "_GREATER", "GE": "_GREATER_OR_EQUAL", "LT": "_LESS", "LE": "_LESS_OR_EQUAL"}
    for comparator in Comparator:
        if comparator is not Comparator.NONE:
            assert codes[names[comparator.name]] == comparator, comparator
    assert {c.symbol for c in Comparator if c} == {">", ">=", "<", "<="}


def test_roles_are_the_contracts_role_ids():
    budget = {item["name"] for item in abi_of("Budget") if item.get("type") == "function"}
    assert {"ADMITTER_ROLE", "ADMITTER_ADMIN_ROLE"} <= budget
    assert keccak(b"ADMITTER_ROLE") == vocab.ADMITTER_ROLE and keccak(b"ADMITTER_ADMIN_ROLE") == vocab.ADMITTER_ADMIN_ROLE
    assert keccak(b"MINTER_ROLE") == vocab.TOKEN_MINTER_ROLE and vocab.DEFAULT_ADMIN_ROLE == b"\0" * 32


def test_proposal_states_are_openzeppelins_enum_order():
    governor = next(i for i in abi_of("TppGovernor") if i.get("name") == "state" and i.get("type") == "function")
    assert governor["outputs"][0]["internalType"] == "enum IGovernor.ProposalState"
    assert [s.name for s in ProposalState] == [
        "PENDING",
        "ACTIVE",
        "CANCELED",
        "DEFEATED",
        "SUCCEEDED",
        "QUEUED",
        "EXPIRED",
        "EXECUTED",
    ]


def test_label_and_parse_read_and_name_codes():
    assert State.label(5) == "STOPPED" and State.label(99) == "99"
    assert Outcome.parse(" iterate ") is Outcome.ITERATE
    with pytest.raises(ValueError, match="STOP, CONTINUE, ITERATE, PAUSE, KILL"):
        Outcome.parse("maybe")


def test_every_kind_is_found_by_every_layer():
    """The registry is the one place: the spec has each kind's target field, each kind's
    contract exists and implements the mechanism interface, and its codes are 1..n, the
    factory's index."""
    codes = sorted(k.code for k in kinds.all_kinds())
    assert codes == list(range(1, len(codes) + 1))
    fields = set(ProgrammeModel.model_fields)
    for kind in kinds.all_kinds():
        assert kind.target_field in fields
        functions = {i["name"] for i in abi_of(kind.contract) if i.get("type") == "function"}
        assert {"initialize", "start_epoch", "set_halted", "set_dial", "settle", "total_paid", "total_minted"} <= functions
        init = next(i for i in abi_of(kind.contract) if i.get("name") == "initialize")
        assert [p["type"] for p in init["inputs"]] == ["address", "address", "bytes"]  # IMechanismInit
        assert kinds.by_code(kind.code) is kind and kinds.get(kind.name) is kind
    with pytest.raises(KeyError, match="unknown mechanism kind 'lottery'"):
        kinds.get("lottery")


def test_a_spec_field_of_another_kind_is_refused_by_name(tmp_path):
    from tests.spec.test_spec_rules import only_error, programme, write

    path = write(tmp_path, programme("a", stake_token='"0x2000000000000000000000000000000000000002"'))
    error = only_error(path)
    assert error.field == "programme.a.stake_token"
    assert "belongs to staking programmes; a stream needs `recipient`" in error.message


@pytest.mark.parametrize(
    ("module", "forbidden"),
    [
        ("tpp.specs.spec", ("boa", "vyper", "pyrevm", "tpp.chain", "typer", "rich")),
        ("tpp.workflow.plan", ("boa", "vyper", "pyrevm", "typer", "rich")),
        ("tpp.cli", ("boa", "vyper", "pyrevm", "rich", "eth_abi")),
    ],
)
def test_what_a_layer_loads(module, forbidden):
    """`tpp check` and `tpp plan` load no EVM; `tpp --help` loads neither the EVM nor rich."""
    probe = f"import sys, {module}; print(','.join(m for m in {forbidden!r} if m in sys.modules))"
    loaded = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()
    assert loaded == "", f"{module} loads {loaded}"


def test_the_spec_checker_applies_the_budgets_own_bounds():
    """`tpp check` refuses exactly what Budget.vy's setters refuse (the bounds are mirrored)."""
    from tpp.specs import spec

    text = (CONTRACTS_DIR / "Budget.vy").read_text()

    def value(literal: str) -> int:  # "32_503_680_000" or "2**208 - 1"
        power = re.fullmatch(r"(\d+)\*\*(\d+) - (\d+)", literal.replace("_", ""))
        return int(power[1]) ** int(power[2]) - int(power[3]) if power else int(literal.replace("_", ""))

    found = {
        name: value(literal.strip())
        for name, literal in re.findall(r"^(_MAX_[A-Z_]+): constant\(uint256\) = ([0-9_*\- ]+)$", text, re.MULTILINE)
    }
    assert found["_MAX_ALLOCATION"] == spec.MAX_ALLOCATION
    assert found["_MAX_GENESIS"] == spec.MAX_GENESIS
    assert found["_MAX_CYCLE"] == spec.MAX_CYCLE
    assert found["_MAX_LOAD_LIMIT"] == spec.MAX_LOAD_LIMIT


def test_zksyncs_custom_errors_read_by_name():
    """CappedMinter raises ZkCappedMinterV2's custom errors; every backend names them."""
    from tpp.chain import Chain, Reverted

    chain = Chain.revm()
    owner = chain.actor("admin")
    start = chain.now() + 100
    minter = chain.deploy("CappedMinter", owner, owner, 10, start, start + 1_000, False, sender=owner)
    with pytest.raises(Reverted, match=r"^CappedMinter\.mint: ZkCappedMinterV2__NotStarted\(\)$"):
        minter.mint(owner, 1, sender=owner)
    with pytest.raises(Reverted, match=r"ZkCappedMinterV2__CannotGrantDefaultAdmin\(\)"):
        minter.grantRole(b"\0" * 32, chain.actor("other"), sender=owner)


def test_every_error_tpp_raises_on_purpose_has_one_root():
    from tpp.base.errors import TppError, UserError
    from tpp.base.units import UnitError
    from tpp.chain.anvil import AnvilError
    from tpp.chain.errors import ChainUnreachable, Reverted
    from tpp.sim.sweep import SweepError
    from tpp.specs.spec import SpecError
    from tpp.system.governance import GovernanceError
    from tpp.workflow.deployments import OpsError
    from tpp.workflow.proposals import ProposalError

    for error in (UnitError, SweepError, SpecError, OpsError, ProposalError, ChainUnreachable):
        assert issubclass(error, UserError) and error.exit_code == 2, error
    for error in (AnvilError, Reverted, GovernanceError):
        assert issubclass(error, TppError) and not issubclass(error, UserError), error
