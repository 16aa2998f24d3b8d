"""`tpp evaluate`: a programme's brief from the index — its numbers are the chain's, the KPIs
and research questions are the ones its creation vote declared, the sybil signal finds a
wallet split over stakers, and the slate entry is one `tpp propose --slate` reads."""

from __future__ import annotations

import contextlib
import io

import boa
from hypothesis import given
from hypothesis import strategies as st

from tests.cli.test_check_cli import run as run_cli
from tests.openness.conftest import SYBILS
from tests.ops.test_deploy_decide import write_local_spec
from tpp.chain import Chain
from tpp.system.stack import deploy_stack
from tpp.workflow.deployments import Deployments, record_stack
from tpp.workflow.evaluate import brief, gini
from tpp.workflow.index import LogRecorder, index_chain
from tpp.workflow.local import deploy_file
from tpp.workflow.proposals import load_slate
from tpp.workflow.provenance import IndexData


def test_the_briefs_numbers_are_the_chains(story):
    data = story.data()
    for name in ("builders-stream", "eth-pool", "farm"):
        b = brief(data, name)
        mechanism = story.result.mechanisms[name]
        assert sum(e.minted for e in b.epochs) == mechanism.total_minted()
        assert [e.cap for e in b.epochs] == [story.result.stack.budget.schedule_of(m)[0] for m in _minters(data, b.address)]
        assert all(e.minted <= e.unlocked <= e.cap for e in b.epochs)
        assert sum(v for _, v in b.recipients) <= mechanism.total_minted()
        assert 0.0 <= b.gini < 1.0 and 0.0 < b.top10_share <= 1.0


def _minters(data, programme):
    return [e.minter for e in sorted(data.epochs.values(), key=lambda e: e.number) if e.programme == programme]


def test_a_pool_reports_its_stakers_and_the_split_wallet(story):
    b = brief(story.data(), "farm")
    assert b.kind == "staking"
    assert [(source, count) for source, count, _ in b.sybil] == [(story.farmer, SYBILS)]
    assert b.sybil[0][2] == SYBILS * 100 * 10**18
    honest = str(story.chain.actor("honest"))
    paid = story.result.stack.token.balanceOf(honest) - story.impact.claimed(honest)  # less its checkpoint award
    assert dict(b.recipients) == {honest: paid} and b.recipients[0][1] > 0


def test_a_stopped_programme_has_nothing_to_decide(story):
    b = brief(story.data(), "usdc-pool")
    assert [o.outcome for o in b.options] == ["STOP"]
    assert b.slate_entry().startswith("# usdc-pool: nothing to decide")


def test_hostile_text_is_escaped_in_every_format(story):
    data = story.data()
    b = brief(data, story.hostile.address)
    b.questions, b.kpis = ["<script>alert(1)</script>"], ["**bold** | pipe"]
    assert "<script>" not in b.html() and "&lt;script&gt;" in b.html()
    assert "<script>" not in b.markdown() and "\\*\\*bold\\*\\* \\| pipe" in b.markdown()


@given(st.lists(st.integers(min_value=0, max_value=10**30), max_size=40))
def test_gini_is_between_zero_and_one_and_zero_when_equal(values):
    g = gini(values)
    assert 0.0 <= g < 1.0
    positive = [v for v in values if v > 0]
    if positive and len(set(positive)) == 1:
        assert abs(g) < 1e-9


def test_kpis_and_questions_come_from_the_creation_vote_and_the_slate_entry_reads_back(tmp_path, monkeypatch, capsys):
    previous = boa.env
    chain = Chain.embedded()
    logs = LogRecorder(chain).attach()
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            stack = deploy_stack(chain)
        deployments = record_stack(Deployments(chain_id=chain.chain_id(), path=tmp_path / "d.json"), stack)
        spec = write_local_spec(chain, tmp_path / "spec.toml", deployments)
        text = spec.read_text().replace(
            "[programme.builders]\n",
            '[programme.builders]\nresearch_questions = ["Does a stream ship more?"]\nkpis = ["merged PRs per month", "a <b>bold</b> claim"]\n',
            1,
        )
        spec.write_text(text)
        deploy_file(chain, spec, deployments)
        index_chain(logs, deployments, tmp_path / "index.sqlite")
    finally:
        logs.detach()
        boa.set_env(previous)
    b = brief(IndexData.load(tmp_path / "index.sqlite"), "builders")
    assert b.questions == ["Does a stream ship more?"]
    assert b.kpis == ["merged PRs per month", "a <b>bold</b> claim"]
    assert {o.outcome for o in b.options} >= {"STOP", "CONTINUE", "ITERATE", "PAUSE", "KILL"}
    slate = tmp_path / "slate.toml"
    slate.write_text('title = "TPP-2"\n' + b.slate_entry())
    (decision,) = load_slate(slate).decisions
    assert decision.outcome == b.default and load_slate(slate).programmes["builders"] == b.address
    # The CLI writes the three files and refuses a name the index does not know.
    code, out = run_cli(
        ["evaluate", "builders", "--db", str(tmp_path / "index.sqlite"), "--out", str(tmp_path / "briefs")], monkeypatch, capsys
    )
    assert code == 0 and {p.name for p in (tmp_path / "briefs").iterdir()} == {
        "builders.md",
        "builders.html",
        "builders.slate.toml",
    }
    code, out = run_cli(["evaluate", "nobody", "--db", str(tmp_path / "index.sqlite")], monkeypatch, capsys)
    assert code == 2 and "programmes: audits, builders" in out
