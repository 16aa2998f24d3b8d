"""A gate cannot be bypassed: over random allowlists, accounts and proofs (others' proofs,
truncated ones, random words), a Merkle gate admits an account iff it is listed and the proof
is its own, and an all-of set admits iff every member does."""

from __future__ import annotations

import boa
import eth_abi
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.unit.test_gates import EMPTY, merkle_gate
from tpp.chain.artifacts import vyper_deployer


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    listed=st.integers(min_value=1, max_value=9),
    tries=st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=11),  # who tries (>= listed: not on the list)
            st.integers(min_value=0, max_value=11),  # whose proof it sends
            st.sampled_from(["whole", "truncated", "random"]),
        ),
        min_size=1,
        max_size=12,
    ),
    noise=st.binary(min_size=32, max_size=32),
)
def test_only_listed_accounts_with_their_own_proof_get_in(listed, tries, noise, chain):
    people = [chain.actor(f"prop-gate-{i}") for i in range(12)]
    with boa.env.anchor():
        gate, proof = merkle_gate(people[:listed])
        second, second_proof = merkle_gate(people[: max(1, listed - 1)])
        both = vyper_deployer("gates/GateSet").deploy([gate.address, second.address], True)
        for who, whose, shape in tries:
            own = whose < listed
            sent = proof(whose) if own else eth_abi.encode(["bytes32[]"], [[noise]])
            if shape == "truncated":
                sent = sent[:64] if len(sent) > 64 else b""
            elif shape == "random":
                sent = eth_abi.encode(["bytes32[]"], [[noise] * max(1, (listed - 1).bit_length())])
            got = gate.credential(people[who], sent)
            admitted = got != EMPTY
            if admitted:
                assert (who < listed and who == whose and shape == "whole") or (listed == 1 and who == 0)
            if who < listed and who == whose and shape == "whole":
                assert admitted
            # All-of: admitted by the set only if admitted by both members.
            member_two = second_proof(whose) if whose < max(1, listed - 1) else b""
            combined = both.credential(people[who], eth_abi.encode(["bytes[]"], [[sent, member_two]]))
            assert (combined != EMPTY) == (admitted and second.credential(people[who], member_two) != EMPTY)
