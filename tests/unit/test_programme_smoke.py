"""A first whole epoch of one stream and one staking programme created in one call."""

import boa

from tests.fixtures.budget import DAY, WAD
from tests.fixtures.programmes import EPOCH_CAP
from tpp.base.vocab import State


def test_one_call_creates_both_kinds_and_they_run(create, make_spec, safe, lp_token, first_epoch, token, budget, deployer):
    (stream_p, stream), (staking_p, staking) = create(make_spec("stream", safe), make_spec("staking", lp_token.address))
    start, end = first_epoch
    assert State.label(stream_p.state()) == "SCHEDULED" and stream_p.epoch() == 1
    assert budget.epoch_count() == 2
    alice = boa.env.generate_address("alice")
    lp_token.mint(alice, 10 * WAD, sender=deployer)
    lp_token.approve(staking.address, 10 * WAD, sender=alice)
    boa.env.time_travel(seconds=start - boa.env.evm.patch.timestamp)
    assert State.label(stream_p.advance()) == "RUNNING"
    staking.stake(10 * WAD, sender=alice)
    boa.env.time_travel(seconds=end - boa.env.evm.patch.timestamp - 1)
    stream.claim()
    staking.claim(sender=alice)
    elapsed = end - 1 - start
    assert token.balanceOf(safe) == EPOCH_CAP * elapsed // (end - start)
    assert abs(token.balanceOf(alice) - EPOCH_CAP * elapsed // (end - start)) <= 1
    assert token.balanceOf(alice) <= EPOCH_CAP * elapsed // (end - start)
    assert end - start > 30 * DAY
