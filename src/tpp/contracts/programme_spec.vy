# pragma version ~=0.4.3
"""
@title programme_spec
@license AGPL-3.0-only
@notice What one programme is created with: the shape a TPP vote carries to the factory and
        the factory hands to each new programme.
"""

# Most dials one programme may declare.
MAX_DIALS: constant(uint256) = 4
# Longest metadata URI (research questions and KPIs), in bytes.
MAX_URI: constant(uint256) = 256
# Longest mechanism parameters blob (ABI-encoded, kind-specific; empty for streams and pools).
MAX_PARAMS: constant(uint256) = 2048


struct Dial:
    # Name the mechanism knows the dial by (keccak256 of e.g. "throttle_bps").
    name: bytes32
    # Starting value and the bounds a steward may move it within (inclusive).
    initial: uint256
    lower: uint256
    upper: uint256
    # Largest move in one go, and the seconds that must pass between two moves.
    step: uint256
    cooldown: uint256


struct ProgrammeSpec:
    # The mechanism kind code (1 stream, 2 staking, …; the factory knows one implementation per code).
    kind: uint8
    # Stream recipient (a Safe), or the token stakers deposit.
    target: address
    # Tokens (wei) one full-length epoch may mint.
    epoch_cap: uint256
    # First epoch's start (unix seconds, not in the past) and end (on a decision-cycle boundary).
    first_start: uint256
    first_end: uint256
    # Seconds of every later epoch (a whole number of decision cycles keeps ends aligned).
    epoch_duration: uint256
    # Seconds before each epoch end in which governance decides; within the shared window.
    window_length: uint256
    # What happens at epoch end without a decision: STOP or CONTINUE.
    default_outcome: uint8
    # Most epochs the programme may run, the first included.
    max_epochs: uint256
    # Most an ITERATE may move the epoch cap, in basis points of the current cap.
    iterate_cap_bps: uint256
    # Moves dials within bounds; may be empty when there are no dials.
    steward: address
    # May halt emission at once (and lift the halt); never kills.
    guardian: address
    # PAUSE condition: an AggregatorV3 oracle (empty: wait for a vote), how to compare its
    # answer with the threshold (1 >, 2 >=, 3 <, 4 <=), the threshold as an 18-decimal
    # fixed-point number (whatever the feed's decimals), and the longest pause in seconds.
    oracle: address
    comparator: uint8
    threshold: int256
    max_pause: uint256
    # Oldest oracle answer that counts, in seconds (1 to 2**48 - 1 with an oracle; else ignored).
    oracle_max_age: uint256
    # Hats (a Hats-compatible registry's hat ids) whose wearers act as the guardian / the
    # steward, checked at call time, instead of the addresses above (0: the address is used;
    # a role is an address or a hat, never both).
    guardian_hat: uint256
    steward_hat: uint256
    # Research questions and KPIs set at proposal time.
    metadata_uri: String[MAX_URI]
    dials: DynArray[Dial, MAX_DIALS]
    # The mechanism's own parameters, ABI-encoded as its kind defines them (a KPI stream's
    # candidates and maximum reading gap); passed to the mechanism's `initialize` as they are.
    params: Bytes[MAX_PARAMS]
