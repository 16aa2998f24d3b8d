# pragma version ~=0.4.3
"""
@title constants
@license AGPL-3.0-only
@notice The numbers and role names more than one tpp contract relies on, defined once and
        imported `as c` (crvUSD's `constants.vy`), so the contracts cannot drift apart.
@dev Constants only: no storage, no functions, nothing to initialise. The names carry no
     leading underscore because they are this module's interface to its importers.
"""

# Basis points in 100 %: the unit of every share, throttle and ITERATE bound.
BPS: constant(uint256) = 10_000
# Largest unix time (seconds) any packed field holds: times are 48-bit, which lasts ~8.9M years.
TIME_MASK: constant(uint256) = (1 << 48) - 1
# Largest cap (wei) an epoch minter or a Budget schedule holds: caps are 128-bit.
CAP_MASK: constant(uint256) = (1 << 128) - 1
# Mask of a 16-bit packed field (epoch counters, throttle and ITERATE bounds in bps).
WORD16: constant(uint256) = (1 << 16) - 1
# Mask of an 8-bit packed field (states, outcomes, comparators).
BYTE_MASK: constant(uint256) = (1 << 8) - 1
# Longest minter metadata URI accepted, in bytes; enough for an IPFS or Arweave URI with a path.
MAX_URI_LENGTH: constant(uint256) = 512
# Longest CappedMinter metadata URI accepted, in bytes (16 KiB). ZkCappedMinterV2 takes a string
# of any length; Vyper needs a bound, so this one is far above any real URI. Its price: ~2,100 gas
# more per `setMetadataURI` than a 512-byte bound (memory for the buffer), reads unchanged.
# Longer strings fail ABI decoding before any code runs (empty revert data).
MAX_ZK_URI_LENGTH: constant(uint256) = 16_384

# Role that may mint through a capped minter: the epoch's mechanism, or a child capped minter.
MINTER_ROLE: constant(bytes32) = keccak256("MINTER_ROLE")
# Role that may pause and unpause a capped minter (a guardian, the programme).
PAUSER_ROLE: constant(bytes32) = keccak256("PAUSER_ROLE")
# Role that may close a capped minter or the Budget for good.
CLOSER_ROLE: constant(bytes32) = keccak256("CLOSER_ROLE")
# Budget role that may admit epoch minters; the factory grants it to each new programme.
ADMITTER_ROLE: constant(bytes32) = keccak256("ADMITTER_ROLE")
