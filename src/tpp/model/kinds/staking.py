"""`staking`: an epoch's emission shared pro rata among stakers of an LP token. Contract:
`StakingRewards.vy` (36-decimal accumulator; time with nothing staked is never minted; stakes
carry over epochs). The implementation is deployed with the reward token."""

from tpp.model.kinds import MechanismKind

KIND = MechanismKind(
    name="staking",
    code=2,
    contract="StakingRewards",
    title="stakers of an LP token share the emission pro rata",
    noun="staking programme",
    plural="staking programmes",
    target_field="stake_token",
    target_hint="the token stakers deposit",
    target_label="stake token",
    implementation_args=lambda handles: (handles["token"].address,),
    stakes=True,
)
