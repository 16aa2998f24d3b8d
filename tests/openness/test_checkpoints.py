"""`tpp checkpoint score` and `verify`: the root a checkpoint's scorer posted is recomputed
from the index and the rules file alone; eligibility, the metric and the per-account cap
decide the amounts; a different rules file or input gives a different root, which `verify`
reports (exit 1); bad rules files are refused with file, line and key (exit 2)."""

from __future__ import annotations

import json

import pytest

from tests.cli.test_check_cli import run as run_cli
from tpp.base.errors import UserError
from tpp.model.impact import split as _split
from tpp.specs.spec import SpecError
from tpp.system.stack import WAD
from tpp.workflow.checkpoints import load_rules, posted_roots, score_checkpoint


def test_the_posted_root_is_recomputed_from_the_index_alone(story):
    data = story.data()
    rescored = score_checkpoint(data, "impact", load_rules(story.rules), story.checkpoint)
    written = json.loads(story.score.read_text())
    (posted,) = posted_roots(data, str(story.impact.address))
    assert posted["root"] == written["root"] == "0x" + rescored.tree.root.hex() == "0x" + bytes(story.impact.root()).hex()
    assert int(posted["total"]) == rescored.tree.total == story.impact.root_total() == story.impact.total_claimed()
    assert posted["checkpoint"] == story.checkpoint == story.impact.root_checkpoint()
    assert posted["rules_hash"] == "0x" + rescored.rules_hash.hex() and posted["data_hash"] == written["data_hash"]
    # Every leaf was claimed (the honest staker also holds its farm rewards).
    for account, amount in zip(rescored.tree.accounts, rescored.tree.amounts):
        assert story.impact.claimed(account) == amount <= story.result.stack.token.balanceOf(account)
    assert story.result.stack.token.balanceOf(story.impact.address) == story.impact.total_minted() - story.impact.total_claimed()


def test_amounts_follow_the_metric_among_the_eligible(story, tmp_path):
    data = story.data()
    base = story.rules.read_text()
    scored = score_checkpoint(data, "impact", load_rules(story.rules), story.checkpoint)
    by_account = {p.account: p for p in scored.participants}
    honest = next(p for p in scored.participants if p.transactions == 2)
    assert (honest.volume, len(honest.days)) == (75 * WAD, 2)
    sybils = [p for p in scored.participants if p.volume == 100 * WAD]
    assert len(sybils) == 3 and all(p.eligible for p in by_account.values())
    # Shares by volume: 75 : 100 : 100 : 100 of the award (floored; the dust stays unassigned).
    assert honest.award == scored.award * 75 // 375 and all(p.award == scored.award * 100 // 375 for p in sybils)
    assert scored.tree.total <= scored.award <= story.impact.checkpoint_emission()
    # Two active days required: only the honest staker qualifies, and the cap (40%) binds it.
    strict = tmp_path / "strict.toml"
    strict.write_text(base.replace("min_active_days = 1", "min_active_days = 2"))
    only = score_checkpoint(data, "impact", load_rules(strict), story.checkpoint)
    assert [p.account for p in only.participants if p.eligible] == [honest.account]
    assert only.tree.total == only.award * 4_000 // 10_000
    assert only.tree.root != scored.tree.root and only.rules_hash != scored.rules_hash


def test_the_cap_is_filled_and_the_excess_shared_by_the_rest():
    out = _split(1_000, {"a": 900, "b": 50, "c": 50}, 400)
    assert out == {"a": 400, "b": 300, "c": 300}
    out = _split(1_000, {"a": 500, "b": 400, "c": 100}, 400)
    assert out["a"] == out["b"] == 400 and out["c"] == 200
    assert _split(10, {"a": 1, "b": 0}, 10) == {"a": 10, "b": 0}
    assert sum(_split(999, {"a": 1, "b": 1, "c": 1}, 999).values()) == 999


def test_the_cli_scores_and_verifies_and_names_a_differing_root(story, tmp_path, monkeypatch, capsys):
    args = ["checkpoint", "score", "impact", "--rules", str(story.rules), "--at", str(story.checkpoint)]
    code, out = run_cli(args + ["--db", str(story.path), "--out", str(tmp_path)], monkeypatch, capsys)
    assert code == 0, out
    assert "4 eligible" in out and "5 transfer(s) scored" in out and "wrote" in out
    (written,) = tmp_path.glob("checkpoint-*.json")
    assert json.loads(written.read_text())["root"] == json.loads(story.score.read_text())["root"]
    code, out = run_cli(
        ["checkpoint", "verify", str(written), "--rules", str(story.rules), "--db", str(story.path)], monkeypatch, capsys
    )
    assert code == 0 and "same root, total and hashes" in out and "matches" in out, out
    other = tmp_path / "other.toml"
    other.write_text(story.rules.read_text().replace('max_share = "40%"', 'max_share = "30%"'))
    code, out = run_cli(
        ["checkpoint", "verify", str(written), "--rules", str(other), "--db", str(story.path)], monkeypatch, capsys
    )
    assert code == 1 and "differ" in out and "Traceback" not in out


def test_bad_rules_and_targets_are_refused_with_where_and_why(story, tmp_path, monkeypatch, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text('[scoring]\nactivity = "0x1"\nmetric = "vibes"\nmax_share = "150%"\nmin_transactons = 2\n')
    with pytest.raises(SpecError) as caught:
        load_rules(bad)
    text = str(caught.value)
    assert f"{bad}:5 scoring.min_transactons: unknown key" in text
    bad.write_text('[scoring]\nactivity = "0x1"\nmetric = "vibes"\nmax_share = "150%"\n')
    with pytest.raises(SpecError) as caught:
        load_rules(bad)
    text = str(caught.value)
    assert f"{bad}:2 scoring.activity" in text and f"{bad}:3 scoring.metric" in text and f"{bad}:4 scoring.max_share" in text
    args = ["checkpoint", "score", "impact", "--rules", str(bad), "--at", str(story.checkpoint), "--db", str(story.path)]
    code, out = run_cli(args, monkeypatch, capsys)
    assert code == 2 and "scoring.metric" in out and "Traceback" not in out
    data = story.data()
    with pytest.raises(UserError, match="a stream programme, not a checkpoint programme"):
        score_checkpoint(data, "hostile", load_rules(story.rules), story.checkpoint)
    token_rules = tmp_path / "token.toml"
    token_rules.write_text(f'[scoring]\nactivity = "{story.result.stack.token.address}"\n')
    with pytest.raises(UserError, match="only the governance token's mints"):
        score_checkpoint(data, "impact", load_rules(token_rules), story.checkpoint)
    with pytest.raises(UserError, match="after the last indexed block"):
        score_checkpoint(data, "impact", load_rules(story.rules), data.indexed_until + 1)


def test_the_brief_names_the_accounts_a_checkpoint_paid(story):
    from tpp.workflow.evaluate import brief

    b = brief(story.data(), "impact")
    assert b.kind == "checkpoints"
    scored = json.loads(story.score.read_text())
    assert dict(b.recipients) == {leaf["account"]: int(leaf["cumulative"]) for leaf in scored["leaves"]}
    assert "4 recipient(s)" in b.markdown()
