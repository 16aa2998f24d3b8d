"""The foundation loop end to end on the embedded chain: GAP vote, one TPP vote admitting
three epochs, linear minting, and a fourth admission refused by the threshold."""

from tests.e2e.story_checks import check_story
from tpp.stories.foundation import run_foundation_story


def test_foundation_story_on_embedded_chain(chain):
    moments = []
    result = run_foundation_story(chain, on_moment=moments.append)
    check_story(result, exact_times=True)
    assert [m.kind for m in moments][:4] == ["deploy", "vote", "vote", "refused"]
    assert all(a.time <= b.time for a, b in zip(moments, moments[1:]))
