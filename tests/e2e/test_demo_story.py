"""The demo's story end to end on the embedded chain: final states, epochs and amounts."""

from tests.e2e.demo_checks import check_demo
from tpp.chain.events import EventRecorder
from tpp.stories.programme_story import run_programme_story


def test_demo_story_on_embedded_chain(chain):
    recorder = EventRecorder(chain.env).attach()
    try:
        result = run_programme_story(chain, recorder=recorder)
    finally:
        recorder.detach()
    check_demo(result, exact=True)

    names = {str(p.address): name for name, p in result.programmes.items()}
    reasons = {}
    for record in recorder.records:
        if record["event"] == "Transition":
            reasons.setdefault(names[record["address"]], []).append(record["args"]["reason"])
    assert reasons["builders-stream"] == [
        "programme created",
        "epoch started",
        "evaluation window opened",
        "decided: continue",
        "evaluation window opened",
        "last epoch ended",
    ]
    assert reasons["eth-pool"][3] == "decided: iterate"
    assert reasons["usdc-pool"] == ["programme created", "epoch started", "evaluation window opened", "default: stop"]
    kinds = {r["event"] for r in recorder.records}
    assert {"EpochOpened", "Decided", "DialMoved", "GuardianHalt", "Staked", "RewardPaid", "Claimed", "EpochAdmitted"} <= kinds
