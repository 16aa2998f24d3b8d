"""`stream`: an epoch's emission streamed, second by second, to one accountable recipient (a
Safe). Contract: `LinearStream.vy`; anyone may trigger a claim, which pays the recipient."""

from tpp.model.kinds import MechanismKind

KIND = MechanismKind(
    name="stream",
    code=1,
    contract="LinearStream",
    title="one recipient (an accountable multisig) is paid linearly",
    noun="stream",
    plural="streams",
    target_field="recipient",
    target_hint="the accountable multisig it pays",
    target_label="pays",
    stakes=False,
)
