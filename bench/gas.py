"""Gas benchmark: what a mint, an admission and the emergency brakes cost per transaction.

Every row is one transaction, measured one way: the gas its receipt would report,

    21,000 + calldata (4 per zero byte, 16 per non-zero byte) + execution gas
           - refund (capped at one fifth of the total),

measured on titanoboa's embedded EVM with the state changes locked and the warm/cold access
counters reset before each measured call, so every call starts like a fresh transaction
(see the "Gas" section of docs/PERFORMANCE.md). By default the same scenario is then replayed
on a real anvil node and each transaction's `gasUsed` is read back from its receipt
(`--no-anvil` skips that).

This is a benchmark, not a test: nothing here asserts a number. Targets from the issue are
shown next to the figures. Outputs: bench/results/gas.json, bench/results/gas.md and the "Gas"
section of docs/PERFORMANCE.md.

Run from the repository root:  .venv/bin/python bench/gas.py [--no-anvil]
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import io
import json
import subprocess
import sys
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from importlib import metadata
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO / "src") not in sys.path:  # tpp is installed editable; this only helps bare checkouts
    sys.path.insert(0, str(REPO / "src"))

import eth_abi
from eth_account import Account
from eth_utils import keccak, to_checksum_address
from rich.console import Console
from rich.table import Table

from perfdoc import PERFORMANCE_DOC, write_section
from tpp.base.vocab import ADMITTER_ADMIN_ROLE, THROTTLE
from tpp.chain import EMBEDDED_GENESIS, Chain
from tpp.chain.anvil import AnvilNode, rpc_call
from tpp.chain.artifacts import anvil_binary
from tpp.chain.backends import actor_key
from tpp.model.kinds import bounty as bounty_kind
from tpp.model.kinds import checkpoints as checkpoints_kind
from tpp.model.kinds.kpi_stream import KpiCandidate, encode_params
from tpp.model.merkle import MerkleTree, levels_of, proof_of
from tpp.model.programme import DialSpec, ProgrammeSpec

RESULTS_DIR = REPO / "bench" / "results"

# --- scenario constants ----------------------------------------------------------------------

HOUR = 3_600
DAY = 86_400
WAD = 10**18
CYCLE = 90 * DAY  # decision cycle, as in the unit-test fixtures
WINDOW = 14 * DAY  # evaluation window at the end of each cycle
THRESHOLD = 1_000 * WAD  # wei per second; far above anything the scenario schedules
ALLOCATION = 1_000_000_000 * WAD  # large, so the share rule never binds in this scenario
MAX_SHARE_BPS = 5_000
# Decisions per window. The Budget enforces it on admission; this scenario stacks the aligned
# background epochs and whole factory batches on shared boundaries (a stress layout, not a
# calendar a DAO would vote), so its limit is the Budget's largest.
LOAD_LIMIT = 1_000
EPOCH_CAP = 1_000_000 * WAD  # cap of the epoch / programme minters the mint rows go through
CHILD_CAP = 500_000 * WAD  # cap of the depth-2 child minter
BACKGROUND_CAP = 1_000 * WAD  # cap of each epoch already admitted before a measured admission
NEW_CAP = 1_000 * WAD  # cap of the epoch whose admission is measured
MINT_AMOUNT = 1 * WAD  # every measured mint mints 1 token (same calldata bytes in every row)
STAGGER = 7 * HOUR  # staggered layout: distance between consecutive epochs' starts
ADMISSION_SIZES = (1, 10, 50)

# Programmes (the factory rows, the staking comparison and the stream claim).
PROGRAMME_CAP = 90_000 * WAD  # wei per 90-day epoch: 1,000 tokens a day, as in the test fixtures
CREATION_SIZES = (1, 10, 50)  # programmes per create_programmes call
CREATION_LIMIT = 300_000  # the target: gas per programme created ...
PROPOSAL_GAS = 30_000_000  # ... so that 100 fit one proposal of this much gas
# Metadata URI of every spec: a CIDv1 of the usual length (the IPFS docs' example CID).
BOUNTY_SUBMISSIONS = 8  # submissions the measured bounty settlement splits the epoch among
BOUNTY_DEPOSIT = WAD // 100
CHECKPOINT_PERIOD = 30 * DAY  # the checkpoint programme's period, dispute window and bond
CHECKPOINT_WINDOW = 3 * DAY
CHECKPOINT_BOND = WAD // 10
METADATA_URI = "ipfs://bafybeigdyrzt5sfp7udm7hu76uh7y26nf3efuylqabf3oclgtqy55fbzdi"
STAKE = 100 * WAD  # every stake (and the withdrawal) moves this many stake-token units
# Uniswap's StakingRewards: rewardsDuration is fixed at 60 days in its constructor; funded
# at the same 1,000 tokens a day as the tpp programme.
UNISWAP_ARTIFACT = REPO / "node_modules" / "@uniswap" / "liquidity-staker" / "build" / "StakingRewards.json"
# Uniswap's MerkleDistributor (the airdrop contract), beside ImpactCheckpoints' claims: both
# trees hold MERKLE_LEAVES accounts, both contracts pay the same token to new holders.
MERKLE_ARTIFACT = REPO / "node_modules" / "@uniswap" / "merkle-distributor" / "build" / "MerkleDistributor.json"
MERKLE_LEAVES = 1_024
UNISWAP_REWARD = 60_000 * WAD
MAX_UINT = 2**256 - 1
# The factory's spec tuple (programme_spec.ProgrammeSpec), in ABI form.
SPEC_ABI = (
    "(uint8,address,uint256,uint256,uint256,uint256,uint256,uint8,uint256,uint256,address,"
    "address,address,uint8,int256,uint256,uint256,uint256,uint256,string,(bytes32,uint256,uint256,uint256,uint256,uint256)[],bytes)"
)

# Intrinsic gas of a transaction and calldata prices (EIP-2028), plus the EIP-7623 floor
# (Prague): a receipt reports max(standard, 21,000 + 10 * tokens), tokens = zero + 4 * nonzero.
TX_BASE = 21_000
CALLDATA_ZERO = 4
CALLDATA_NONZERO = 16
FLOOR_PER_TOKEN = 10
MAX_REFUND_QUOTIENT = 5  # EIP-3529

MINTER_ROLE = keccak(b"MINTER_ROLE")


# --- calldata --------------------------------------------------------------------------------


def calldata(signature: str, *args) -> bytes:
    """ABI calldata for `signature` ("mint(address,uint256)") with `args`."""
    types = signature[signature.index("(") + 1 : -1]
    types_list = [t for t in types.split(",") if t]
    return keccak(text=signature)[:4] + eth_abi.encode(types_list, list(args))


def calldata_cost(data: bytes) -> int:
    zeros = data.count(0)
    return zeros * CALLDATA_ZERO + (len(data) - zeros) * CALLDATA_NONZERO


def calldata_floor(data: bytes) -> int:
    zeros = data.count(0)
    return TX_BASE + FLOOR_PER_TOKEN * (zeros + 4 * (len(data) - zeros))


def actor(name: str) -> str:
    """The address of a role-named actor: the same key tpp.chain uses on anvil, so every
    address (and every CREATE address derived from it) is identical on both backends."""
    return Account.from_key(actor_key(name)).address


def plain_address(name: str) -> str:
    """A deterministic address with no zero byte (a holder or a placeholder epoch minter), so
    rows that differ only in the address pay the same calldata."""
    seed = keccak(text=f"tpp gas bench: {name}")
    while 0 in seed[-20:]:
        seed = keccak(seed)
    return to_checksum_address(seed[-20:])


# --- one measured transaction ----------------------------------------------------------------


@dataclass
class Measurement:
    gas: int  # what the receipt reports
    calldata: int = 0
    execution: int = 0
    refund: int = 0  # refund the EVM accrued (before the cap)
    refund_applied: int = 0

    @classmethod
    def from_execution(cls, data: bytes, execution: int, refund: int) -> Measurement:
        cd = calldata_cost(data)
        before_refund = TX_BASE + cd + execution
        applied = min(refund, before_refund // MAX_REFUND_QUOTIENT)
        gas = max(before_refund - applied, calldata_floor(data))
        return cls(gas=gas, calldata=cd, execution=execution, refund=refund, refund_applied=applied)


class Backend(ABC):
    """What the scenario needs from a chain: deploy, send, measure, move time."""

    name: str
    chain: Chain

    def deploy_vyper(self, name: str, *args, sender: str) -> str:
        with quiet():
            return str(self.chain.deploy(name, *args, sender=sender).address)

    def deploy_artifact(self, name: str, *args, sender: str) -> str:
        with quiet():
            return str(self.chain.deploy_artifact(name, *args, sender=sender).address)

    def deploy_code(self, init_code: bytes, sender: str) -> str:
        """Deploy raw init code (a prebuilt artifact's bytecode + encoded constructor args)."""
        with quiet():
            address, _ = self.chain.env.deploy_code(bytecode=init_code, sender=sender)
        return str(address)

    @abstractmethod
    def send(self, to: str, data: bytes, sender: str, value: int = 0) -> None:
        """Send a transaction, with `value` wei (not measured)."""

    @abstractmethod
    def call(self, to: str, data: bytes) -> bytes:
        """A read-only call (never measured): what a view returns now."""

    @abstractmethod
    def measure(self, to: str, data: bytes, sender: str, value: int = 0) -> Measurement:
        """Send a transaction (with `value` wei) and return the gas its receipt reports."""

    @abstractmethod
    def fund(self, account: str, wei: int) -> None:
        """Set an account's native balance (not measured)."""

    def now(self) -> int:
        return self.chain.now()

    def warp(self, seconds: int) -> None:
        with quiet():
            self.chain.warp(seconds)


class Embedded(Backend):
    """titanoboa's embedded py-evm, measured like a receipt."""

    name = "embedded"

    def __init__(self) -> None:
        self.chain = Chain.embedded()
        self.env = self.chain.env

    def _call(self, to: str, data: bytes, sender: str, value: int = 0):
        computation = self.env.execute_code(to_address=to, sender=sender, data=data, value=value)
        if computation.is_error:
            raise RuntimeError(f"embedded call to {to} failed: {computation.error!r}")
        return computation

    def send(self, to: str, data: bytes, sender: str, value: int = 0) -> None:
        self._call(to, data, sender, value)

    def call(self, to: str, data: bytes) -> bytes:
        computation = self.env.execute_code(to_address=to, data=data, is_modifying=False)
        if computation.is_error:
            raise RuntimeError(f"embedded view call to {to} failed: {computation.error!r}")
        return bytes(computation.output)

    def fund(self, account: str, wei: int) -> None:
        self.env.set_balance(account, wei)

    def measure(self, to: str, data: bytes, sender: str, value: int = 0) -> Measurement:
        state = self.env.evm.vm.state
        # A transaction starts with every earlier write committed (so SSTORE prices against
        # the value at the start of *this* transaction) and with cold access sets ...
        state.lock_changes()
        self.env._reset_access_counters()
        # ... except what the transaction itself warms (EIP-2929): sender and recipient
        # (py-evm's computation warms the coinbase itself, EIP-3651). None of the measured
        # code calls a precompile.
        state.mark_address_warm(bytes.fromhex(sender[2:]))
        state.mark_address_warm(bytes.fromhex(to[2:]))
        computation = self._call(to, data, sender, value)
        return Measurement.from_execution(data, computation.get_gas_used(), computation.get_gas_refund())


class Anvil(Backend):
    """A real anvil node: setup through titanoboa's network env, transactions signed here and
    their `gasUsed` read from `eth_getTransactionReceipt`."""

    name = "anvil"

    def __init__(self) -> None:
        # Same genesis time as the embedded chain, so every timestamp in calldata matches.
        self.node = AnvilNode(extra_args=["--timestamp", str(EMBEDDED_GENESIS)]).start()
        try:
            self._connect()
        except BaseException:
            self.node.stop()
            raise

    def _connect(self) -> None:
        self.chain = Chain.anvil(self.node)
        self.url = self.node.url
        # (tpp.chain keeps titanoboa's fork cache in memory, so no stale on-disk cache leaks
        # in from an earlier anvil with the same chain id.)
        self.chain_id = int(rpc_call(self.url, "eth_chainId"), 16)
        # Every transaction may use the whole block (tpp.anvil starts anvil with 60M; a batch
        # of 50 programmes needs more than 30M); a transaction's gas limit does not change
        # what its receipt reports.
        block = rpc_call(self.url, "eth_getBlockByNumber", ["latest", False])
        self.tx_gas = int(block["gasLimit"], 16)
        self._keys: dict[str, bytes] = {}

    def register(self, name: str) -> str:
        address = self.chain.actor(name)  # funds it and adds it to titanoboa's network env
        self._keys[address.lower()] = actor_key(name)
        return address

    def _transact(self, to: str, data: bytes, sender: str, value: int = 0) -> dict:
        tx = {
            "to": to,
            "data": data,
            "value": value,
            "gas": self.tx_gas,
            "gasPrice": int(rpc_call(self.url, "eth_gasPrice"), 16),
            "nonce": int(rpc_call(self.url, "eth_getTransactionCount", [sender, "latest"]), 16),
            "chainId": self.chain_id,
        }
        signed = Account.sign_transaction(tx, self._keys[sender.lower()])
        tx_hash = rpc_call(self.url, "eth_sendRawTransaction", ["0x" + bytes(signed.raw_transaction).hex()])
        for _ in range(200):
            receipt = rpc_call(self.url, "eth_getTransactionReceipt", [tx_hash])
            if receipt is not None:
                break
            time.sleep(0.01)
        else:
            raise RuntimeError(f"anvil: no receipt for {tx_hash}")
        if receipt["status"] != "0x1":
            raise RuntimeError(f"anvil: transaction to {to} reverted: {tx_hash}")
        return receipt

    def send(self, to: str, data: bytes, sender: str, value: int = 0) -> None:
        self._transact(to, data, sender, value)

    def call(self, to: str, data: bytes) -> bytes:
        return bytes.fromhex(rpc_call(self.url, "eth_call", [{"to": to, "data": "0x" + data.hex()}, "latest"])[2:])

    def fund(self, account: str, wei: int) -> None:
        rpc_call(self.url, "anvil_setBalance", [account, hex(wei)])

    def measure(self, to: str, data: bytes, sender: str, value: int = 0) -> Measurement:
        receipt = self._transact(to, data, sender, value)
        return Measurement(gas=int(receipt["gasUsed"], 16), calldata=calldata_cost(data))

    def stop(self) -> None:
        self.node.stop()


@contextlib.contextmanager
def quiet():
    """titanoboa's network env prints every broadcast; the benchmark prints one table."""
    with contextlib.redirect_stdout(io.StringIO()):
        yield


# --- rows ------------------------------------------------------------------------------------


@dataclass
class Row:
    id: str
    group: str
    operation: str
    state: str
    baseline: str | None = None  # row id the ratio is taken against
    target: float | None = None  # most the ratio may be (the target), if any
    target_text: str = ""
    limit: int | None = None  # most the gas may be (an absolute target), if any
    programmes: int = 1  # the row's gas is the transaction's divided by this (factory batches)
    gas: int | None = None  # receipt gas, per programme for a factory batch
    ratio: float | None = None
    meets_target: bool | None = None
    breakdown: dict = field(default_factory=dict)
    anvil_gas: int | None = None  # anvil's receipt, divided like `gas`
    tx_gas: int | None = None  # the whole transaction's receipt gas (embedded)
    anvil_tx_gas: int | None = None  # the whole transaction's receipt gas (anvil)


STEADY = "steady state*"
STEADY_NOTE = (
    "* steady state: every minter on the path and the Budget have minted before, so their "
    "`minted` and `minted_by` slots are non-zero"
)
UNI = "Uniswap StakingRewards"
TPP_STAKING = "tpp StakingRewards (clone)"
UNI_TARGET = "≤ 1.00× Uniswap"


def row_specs(sizes: tuple[int, ...]) -> list[Row]:
    rows = [
        Row("direct-new", "mint", "token.mint, direct (MINTER_ROLE holder)", "to a new holder"),
        Row("direct-existing", "mint", "token.mint, direct (MINTER_ROLE holder)", "to an existing holder"),
        Row(
            "depth1-existing",
            "mint",
            "mint via CappedMinter → Budget → token (depth 1)",
            f"to an existing holder; {STEADY}",
            "direct-existing",
            1.5,
            "≤ 1.50× direct",
        ),
        Row(
            "depth1-new",
            "mint",
            "mint via CappedMinter → Budget → token (depth 1)",
            f"to a new holder; {STEADY}",
            "direct-new",
            1.5,
            "≤ 1.50× direct",
        ),
        Row(
            "depth2-existing",
            "mint",
            "mint via child → programme CappedMinter → Budget → token (depth 2)",
            f"to an existing holder; {STEADY}",
            "direct-existing",
            None,
            "no target",
        ),
        Row(
            "depth2-new",
            "mint",
            "mint via child → programme CappedMinter → Budget → token (depth 2)",
            f"to a new holder; {STEADY}",
            "direct-new",
            None,
            "no target",
        ),
    ]
    for layout, what in (
        ("aligned", "epochs on shared cycle boundaries"),
        ("staggered", "every epoch its own start and end, all overlapping the new one"),
    ):
        for n in sizes:
            first = f"admit-{layout}-{sizes[0]}"
            rows.append(
                Row(
                    f"admit-{layout}-{n}",
                    "admission",
                    f"Budget.admit, {layout}",
                    f"{n} admitted epoch{'s' if n != 1 else ''} present; {what}",
                    first,
                    2.0 if n != sizes[0] else None,
                    f"≤ 2.00× {sizes[0]} epoch" if n != sizes[0] else "baseline",
                )
            )
    rows += [
        Row("minter-pause", "brake", "CappedMinter.pause", "running minter, never paused before"),
        Row("minter-close", "brake", "CappedMinter.close", "running minter"),
        Row("budget-pause", "brake", "Budget.pause", "running Budget, never paused before"),
    ]
    # Staking: each tpp row right under the Uniswap row it is compared with.
    for key, state in (
        ("stake-first", "stake: first stake of the first staker (nothing staked yet)"),
        ("stake-second", "stake: first stake of a second staker"),
        ("stake-later", "stake: later stake of the same staker (rewards accrued since)"),
    ):
        rows += [
            Row(f"uni-{key}", "staking", f"{UNI}.stake", state),
            Row(f"tpp-{key}", "staking", f"{TPP_STAKING}.stake", state, f"uni-{key}", 1.0, UNI_TARGET),
        ]
    for key, when in (("first", "first claim of a staker"), ("later", "later claim of the same staker")):
        rows += [
            Row(f"uni-claim-{key}", "staking", f"{UNI}.getReward", when),
            Row(
                f"tpp-claim-{key}-dripped",
                "staking",
                f"{TPP_STAKING}.claim",
                f"{when}; paid from what was already dripped (a plain transfer)",
                f"uni-claim-{key}",
                1.0,
                UNI_TARGET,
            ),
            Row(
                f"tpp-claim-{key}-drip",
                "staking",
                f"{TPP_STAKING}.claim",
                f"{when}; too little dripped, so it drips first (mints via EpochMinter → Budget → token)",
                f"uni-claim-{key}",
                1.3,
                "≤ 1.30× Uniswap",
            ),
        ]
    rows += [
        Row(
            "uni-notify",
            "staking",
            f"{UNI}.notifyRewardAmount",
            "the rewardsDistribution funds a 60-day period (tokens sent to it beforehand)",
        ),
        Row(
            "tpp-drip",
            "staking",
            f"{TPP_STAKING}.drip",
            "anyone (a keeper) mints what accrued since the last drip into the contract; steady state",
        ),
        Row("uni-withdraw", "staking", f"{UNI}.withdraw", "withdraw: part of a stake"),
        Row("tpp-withdraw", "staking", f"{TPP_STAKING}.withdraw", "withdraw: part of a stake", "uni-withdraw", 1.0, UNI_TARGET),
    ]
    # Stream claims against a direct mint of exactly the amount the claim minted.
    rows += [
        Row(
            "direct-same-new",
            "stream",
            "token.mint, direct (MINTER_ROLE holder)",
            "the amount of the first stream claim, to a new holder",
        ),
        Row(
            "stream-claim-first",
            "stream",
            "LinearStream.claim (clone; mints via EpochMinter → Budget → token)",
            "first claim of the epoch; the recipient holds no tokens yet",
            "direct-same-new",
            1.3,
            "≤ 1.30× direct",
        ),
        Row(
            "direct-same-existing",
            "stream",
            "token.mint, direct (MINTER_ROLE holder)",
            "the amount of the later stream claim, to the same (existing) holder",
        ),
        Row(
            "stream-claim-later",
            "stream",
            "LinearStream.claim (clone; mints via EpochMinter → Budget → token)",
            "later claim; steady state*",
            "direct-same-existing",
            1.3,
            "≤ 1.30× direct",
        ),
    ]
    # The KPI stream: a reading, and claims (a reading, then a mint). No contract does this
    # to compare with (UMA's KPI options settle once, on an assertion); the stream's claim is
    # the nearest tpp row.
    rows += [
        Row("kpi-poke", "kpi stream", "KpiStream.poke (clone)", "a reading of 3 balance candidates, 2 holding: both credited"),
        Row(
            "kpi-claim-first",
            "kpi stream",
            "KpiStream.claim (clone; a reading, then a mint via EpochMinter → Budget → token)",
            "first claim of a candidate; its recipient holds no tokens yet",
            "stream-claim-first",
            target_text="beside the stream's claim",
        ),
        Row(
            "kpi-claim-later",
            "kpi stream",
            "KpiStream.claim (clone; a reading, then a mint via EpochMinter → Budget → token)",
            "later claim of the same candidate; steady state*",
            "stream-claim-later",
            target_text="beside the stream's claim",
        ),
    ]
    # Impact checkpoints: claims beside Uniswap's MerkleDistributor for the same tree size.
    tree = f"tree of {MERKLE_LEAVES:,} accounts (proofs of {MERKLE_LEAVES.bit_length() - 1} hashes)"
    rows += [
        Row(
            "uni-md-claim",
            "checkpoints",
            "Uniswap MerkleDistributor.claim",
            f"{tree}; first claim in its bitmap word; a new holder",
        ),
        Row(
            "cp-claim-first",
            "checkpoints",
            "ImpactCheckpoints.claim (clone; a transfer of what was minted in)",
            f"{tree}; the account's first claim; a new holder",
            "uni-md-claim",
            1.1,
            "≤ 1.10× Uniswap",
        ),
        Row(
            "uni-md-claim-word",
            "checkpoints",
            "Uniswap MerkleDistributor.claim",
            f"{tree}; its bitmap word written before; a new holder",
        ),
        Row(
            "cp-claim-other",
            "checkpoints",
            "ImpactCheckpoints.claim (clone; a transfer of what was minted in)",
            f"{tree}; another account's first claim; a new holder (tpp stores each account's cumulative amount, Uniswap one bit)",
            "uni-md-claim-word",
            target_text="beside Uniswap's cheapest claim",
        ),
        Row(
            "cp-claim-later",
            "checkpoints",
            "ImpactCheckpoints.claim (clone; a transfer of what was minted in)",
            f"{tree}; the same account at the next checkpoint (its cumulative amount grew); an existing holder",
            "uni-md-claim-word",
            target_text="beside Uniswap's cheapest claim",
        ),
        Row(
            "cp-post",
            "checkpoints",
            "ImpactCheckpoints.post_root (clone; mints what accrued into the contract via EpochMinter → Budget → token)",
            "the scorer posts a checkpoint's root; steady state*",
        ),
        Row("cp-challenge", "checkpoints", "ImpactCheckpoints.challenge (clone)", "a bonded challenge freezes the pending root"),
    ]
    # The research bounty: no contract to compare with (Code4rena's awards are computed off
    # chain and paid by a multisig); the settlement sits beside a plain epoch switch.
    rows += [
        Row("rb-submit", "bounty", "ResearchBounty.submit (clone)", "a researcher registers a content hash with its deposit"),
        Row("rb-score", "bounty", "ResearchBounty.score (clone)", "a judge gives a submission points"),
        Row(
            "stream-advance",
            "bounty",
            "Programme.advance (a stream programme)",
            "the epoch ends: the next epoch's minter is cloned and admitted, the stream switches to it",
        ),
        Row(
            "rb-advance-settle",
            "bounty",
            "Programme.advance (a research bounty)",
            f"the same, and the bounty splits the epoch among {BOUNTY_SUBMISSIONS} submissions (one mint into it)",
            "stream-advance",
            target_text="beside the stream's switch",
        ),
        Row("rb-claim", "bounty", "ResearchBounty.claim (clone; a transfer)", "an author claims its award; a new holder"),
    ]
    for n in CREATION_SIZES:
        rows.append(
            Row(
                f"create-{n}",
                "creation",
                "ProgrammeFactory.create_programmes, per programme",
                f"batch of {n}: controller + stream + first epoch minter + admission",
                target_text=f"≤ {CREATION_LIMIT:,} / programme",
                limit=CREATION_LIMIT,
                programmes=n,
            )
        )
    return rows


# --- the scenario ----------------------------------------------------------------------------


def run_scenario(backend: Backend, sizes: tuple[int, ...], progress: Callable[[str], None]) -> dict[str, Measurement]:
    """Build the same contracts on `backend`, bring them to steady state and measure every row.

    Only `deployer` ever deploys and it sends nothing else, so contract addresses (and with
    them every calldata byte) are the same on every backend.
    """
    names = (
        "deployer",
        "admin",
        "gap-executor",
        "tpp-executor",
        "guardian",
        "mechanism",
        "direct-minter",
        # the programme rows
        "programme-guardian",
        "steward",
        "keeper",
        "lp-owner",
        "rewards-distribution",
        "staker-first",
        "staker-second",
        "uni-claimer-1",
        "uni-claimer-2",
        "tpp-claimer-1",
        "tpp-claimer-2",
        "scorer",
        "challenger",
        "judge",
        *(f"researcher-{i}" for i in range(BOUNTY_SUBMISSIONS)),
    )
    if isinstance(backend, Anvil):
        who = {n: backend.register(n) for n in names}
    else:
        who = {n: actor(n) for n in names}
    deployer, admin = who["deployer"], who["admin"]
    tpp_executor, guardian, mechanism = who["tpp-executor"], who["guardian"], who["mechanism"]
    holder = plain_address("existing holder")

    t0 = backend.now()
    b = [(t0 // DAY + 2) * DAY + k * CYCLE for k in range(6)]  # decision-cycle boundaries B0..B5

    def deploy_budget() -> str:
        return backend.deploy_vyper(
            "Budget",
            token,
            who["gap-executor"],
            tpp_executor,
            guardian,
            THRESHOLD,
            ALLOCATION,
            MAX_SHARE_BPS,
            b[0],
            CYCLE,
            WINDOW,
            LOAD_LIMIT,
            sender=deployer,
        )

    def admit(minter: str, cap: int, start: int, end: int) -> bytes:
        return calldata("admit(address,uint256,uint256,uint256)", minter, cap, start, end)

    grant = "grantRole(bytes32,address)"
    mint = "mint(address,uint256)"

    # The token and the mint paths.
    progress("deploying token, Budget and minters")
    token = backend.deploy_artifact("TppToken", "Bench Governance Token", "BGT", admin, sender=deployer)
    budget = deploy_budget()
    epoch_minter = backend.deploy_vyper("CappedMinter", budget, admin, EPOCH_CAP, b[0], b[1], True, sender=deployer)
    programme_minter = backend.deploy_vyper("CappedMinter", budget, admin, EPOCH_CAP, b[0], b[1], True, sender=deployer)
    child_minter = backend.deploy_vyper("CappedMinter", programme_minter, admin, CHILD_CAP, b[0], b[1], True, sender=deployer)

    backend.send(token, calldata(grant, MINTER_ROLE, who["direct-minter"]), admin)
    backend.send(token, calldata(grant, MINTER_ROLE, budget), admin)
    backend.send(budget, admit(epoch_minter, EPOCH_CAP, b[0], b[1]), tpp_executor)
    backend.send(budget, admit(programme_minter, EPOCH_CAP, b[0], b[1]), tpp_executor)
    backend.send(epoch_minter, calldata(grant, MINTER_ROLE, mechanism), admin)
    backend.send(programme_minter, calldata(grant, MINTER_ROLE, child_minter), admin)
    backend.send(child_minter, calldata(grant, MINTER_ROLE, mechanism), admin)

    # One Budget per admission row, with n epochs already admitted in the row's layout.
    # aligned: epoch i runs over one whole cycle, cycles taken in the order 1, 0, 2, 3 (so the
    #   1-epoch Budget shares the new epoch's cycle; with more epochs, cycle 0 is running when
    #   the admission is measured and cycles 2, 3 are scheduled). The new epoch: cycle 1.
    # staggered: epoch i runs [B1 + (i+1)·7h, that + one cycle]: 2n distinct breakpoints, all
    #   inside the new epoch [B1, B1 + cycle + 30 days], so admission walks and writes them all.
    admissions: dict[str, tuple[str, bytes]] = {}
    aligned_cycles = (1, 0, 2, 3)
    staggered_new = (b[1], b[1] + CYCLE + 30 * DAY)
    for layout in ("aligned", "staggered"):
        for n in sizes:
            progress(f"admitting {n} {layout} epoch(s)")
            row_budget = deploy_budget()
            new_start, new_end = (b[1], b[2]) if layout == "aligned" else staggered_new
            new_minter = backend.deploy_vyper(
                "CappedMinter", row_budget, admin, NEW_CAP, new_start, new_end, True, sender=deployer
            )
            for i in range(n):
                if layout == "aligned":
                    c = aligned_cycles[i % len(aligned_cycles)]
                    start, end = b[c], b[c + 1]
                else:
                    start = b[1] + (i + 1) * STAGGER
                    end = start + CYCLE
                filler = plain_address(f"{layout}-{n}-epoch-{i}")
                backend.send(row_budget, admit(filler, BACKGROUND_CAP, start, end), tpp_executor)
            admissions[f"admit-{layout}-{n}"] = (row_budget, admit(new_minter, NEW_CAP, new_start, new_end))

    # Into cycle 0, and every path mints once: the steady state.
    backend.warp(b[0] + 30 * DAY - backend.now())
    backend.send(token, calldata(mint, holder, MINT_AMOUNT), who["direct-minter"])
    backend.send(epoch_minter, calldata(mint, holder, MINT_AMOUNT), mechanism)
    backend.send(child_minter, calldata(mint, holder, MINT_AMOUNT), mechanism)

    progress("measuring")
    out: dict[str, Measurement] = {}

    def measure(row_id: str, to: str, data: bytes, sender: str, value: int = 0) -> None:
        # Each measured transaction lands in a later block (a new second), as on a live chain:
        # the token's total-supply checkpoint gets a new entry, as it would.
        backend.warp(HOUR)
        out[row_id] = backend.measure(to, data, sender, value)

    measure("direct-new", token, calldata(mint, plain_address("new holder 1"), MINT_AMOUNT), who["direct-minter"])
    measure("direct-existing", token, calldata(mint, holder, MINT_AMOUNT), who["direct-minter"])
    measure("depth1-existing", epoch_minter, calldata(mint, holder, MINT_AMOUNT), mechanism)
    measure("depth1-new", epoch_minter, calldata(mint, plain_address("new holder 2"), MINT_AMOUNT), mechanism)
    measure("depth2-existing", child_minter, calldata(mint, holder, MINT_AMOUNT), mechanism)
    measure("depth2-new", child_minter, calldata(mint, plain_address("new holder 3"), MINT_AMOUNT), mechanism)
    for row_id, (row_budget, data) in admissions.items():
        measure(row_id, row_budget, data, tpp_executor)
    measure("minter-pause", epoch_minter, calldata("pause()"), admin)
    measure("minter-close", child_minter, calldata("close()"), admin)
    measure("budget-pause", budget, calldata("pause()"), guardian)

    run_programmes(backend, who, token, deploy_budget, b, measure, progress)
    return out


def read_uint(backend: Backend, to: str, signature: str, *args) -> int:
    return int.from_bytes(backend.call(to, calldata(signature, *args))[:32], "big")


def read_address(backend: Backend, to: str, signature: str, *args) -> str:
    return to_checksum_address(backend.call(to, calldata(signature, *args))[12:32])


def create_calldata(specs: list[ProgrammeSpec]) -> bytes:
    """Calldata of `ProgrammeFactory.create_programmes(specs)`."""
    return keccak(text=f"create_programmes({SPEC_ABI}[])")[:4] + eth_abi.encode(
        [f"{SPEC_ABI}[]"], [[s.as_tuple() for s in specs]]
    )


def run_programmes(
    backend: Backend,
    who: dict[str, str],
    token: str,
    deploy_budget: Callable[[], str],
    b: list[int],
    measure: Callable[..., None],
    progress: Callable[[str], None],
) -> None:
    """The programme rows, after the rows above, on the same chain and token.

    A second Budget (MINTER_ROLE on the token) with the programme layer; the TPP executor lets
    the factory authorise admitters, then creates a staking and a stream programme whose first
    epoch is the next decision cycle [B1, B2]. Those two programmes also put the Budget and the
    factory in steady state (breakpoints B1 and B2 exist, counters non-zero) before the batch
    rows, which all create stream programmes for the same cycle. Uniswap's StakingRewards gets
    the same reward token, the same stake token and the same stakers, and every user action is
    done on both contracts in the same order.
    """
    deployer, admin, executor = who["deployer"], who["admin"], who["tpp-executor"]
    keeper = who["keeper"]
    grant = "grantRole(bytes32,address)"
    mint = "mint(address,uint256)"

    progress("deploying the programme layer, the stake token and Uniswap's StakingRewards")
    budget = deploy_budget()
    minter_impl = backend.deploy_vyper("EpochMinter", budget, sender=deployer)
    programme_impl = backend.deploy_vyper("Programme", budget, executor, minter_impl, "0x" + "00" * 20, sender=deployer)
    stream_impl = backend.deploy_vyper("LinearStream", sender=deployer)
    staking_impl = backend.deploy_vyper("StakingRewards", token, sender=deployer)
    kpi_impl = backend.deploy_vyper("KpiStream", sender=deployer)
    checkpoints_impl = backend.deploy_vyper("ImpactCheckpoints", token, sender=deployer)
    bounty_impl = backend.deploy_vyper("ResearchBounty", token, sender=deployer)
    factory = backend.deploy_vyper(
        "ProgrammeFactory",
        budget,
        executor,
        programme_impl,
        [stream_impl, staking_impl, kpi_impl, checkpoints_impl, bounty_impl],
        sender=deployer,
    )
    lp = backend.deploy_vyper("testing/StakeToken", "LP Token", "LP", 18, sender=who["lp-owner"])
    artifact = json.loads(UNISWAP_ARTIFACT.read_text())
    uni = backend.deploy_code(
        bytes.fromhex(artifact["bytecode"].removeprefix("0x"))
        + eth_abi.encode(["address", "address", "address"], [who["rewards-distribution"], token, lp]),
        sender=deployer,
    )
    backend.send(token, calldata(grant, MINTER_ROLE, budget), admin)
    backend.send(budget, calldata(grant, ADMITTER_ADMIN_ROLE, factory), executor)

    def spec(kind: str, target: str) -> ProgrammeSpec:
        # The unit-test fixtures' spec: 90-day epochs on the Budget's cycle, a 14-day window,
        # CONTINUE by default, up to 3 epochs, ITERATE within 20 %, a steward with a throttle dial.
        return ProgrammeSpec(
            kind=kind,
            target=target,
            epoch_cap=PROGRAMME_CAP,
            first_start=b[1],
            first_end=b[2],
            epoch_duration=CYCLE,
            window_length=WINDOW,
            guardian=who["programme-guardian"],
            default_outcome="CONTINUE",
            max_epochs=3,
            iterate_cap_bps=2_000,
            steward=who["steward"],
            metadata_uri=METADATA_URI,
            dials=(DialSpec(THROTTLE, 10_000, 5_000, 10_000, 1_000, 7 * DAY),),
        )

    recipient = plain_address("stream recipient")
    subjects = [plain_address(f"kpi subject {i}") for i in range(3)]
    candidates = [
        KpiCandidate(plain_address(f"kpi recipient {i}"), "balance", subject=subjects[i], threshold=STAKE) for i in range(3)
    ]
    kpi_spec = replace(spec("kpi_stream", lp), params=encode_params(6 * HOUR, candidates))
    scorer = who["scorer"]
    cp_spec = replace(
        spec("checkpoints", scorer), params=checkpoints_kind.encode_params(CHECKPOINT_PERIOD, CHECKPOINT_WINDOW, CHECKPOINT_BOND)
    )
    bounty_spec = replace(spec("bounty", who["judge"]), params=bounty_kind.encode_params(14 * DAY, 9_000, BOUNTY_DEPOSIT))
    backend.send(
        factory, create_calldata([spec("staking", lp), spec("stream", recipient), kpi_spec, cp_spec, bounty_spec]), executor
    )
    staking = read_address(backend, read_address(backend, factory, "programme_at(uint256)", 0), "mechanism()")
    stream = read_address(backend, read_address(backend, factory, "programme_at(uint256)", 1), "mechanism()")
    kpi = read_address(backend, read_address(backend, factory, "programme_at(uint256)", 2), "mechanism()")
    checkpoints = read_address(backend, read_address(backend, factory, "programme_at(uint256)", 3), "mechanism()")
    bounty_programme = read_address(backend, factory, "programme_at(uint256)", 4)
    bounty = read_address(backend, bounty_programme, "mechanism()")
    for subject in subjects[:2]:  # two of the three candidates hold the KPI throughout
        backend.send(lp, calldata(mint, subject, STAKE), who["lp-owner"])

    progress("measuring programme creation")
    for n in CREATION_SIZES:
        batch = [spec("stream", plain_address(f"batch {n} recipient {i}")) for i in range(n)]
        measure(f"create-{n}", factory, create_calldata(batch), executor)

    # Stakers hold the stake token and approve the contracts for good (no allowance writes).
    # The claimers are distinct per contract: both pay in the same token, so a claimer paid by
    # one contract would already hold tokens when the other pays it, and its first claim would
    # not be like the other's.
    for name, pools in (
        ("staker-first", (uni, staking)),
        ("staker-second", (uni, staking)),
        ("uni-claimer-1", (uni,)),
        ("uni-claimer-2", (uni,)),
        ("tpp-claimer-1", (staking,)),
        ("tpp-claimer-2", (staking,)),
    ):
        backend.send(lp, calldata(mint, who[name], 10 * STAKE), who["lp-owner"])
        for pool in pools:
            backend.send(lp, calldata("approve(address,uint256)", pool, MAX_UINT), who[name])

    # Into the first epoch; Uniswap's period starts at the same time.
    backend.warp(b[1] + HOUR - backend.now())
    backend.send(token, calldata(mint, uni, UNISWAP_REWARD), who["direct-minter"])
    measure("uni-notify", uni, calldata("notifyRewardAmount(uint256)", UNISWAP_REWARD), who["rewards-distribution"])

    progress("measuring staking")
    stake = calldata("stake(uint256)", STAKE)

    def both(key: str, uni_data: bytes, tpp_data: bytes, sender: str) -> None:
        measure(f"uni-{key}", uni, uni_data, sender)
        measure(f"tpp-{key}", staking, tpp_data, sender)

    def claim(row_id: str, staker: str, drips: bool) -> None:
        """tpp's claim, checking afterwards that it took the intended path (it minted iff `drips`)."""
        before = read_uint(backend, staking, "minted_current()")
        measure(row_id, staking, calldata("claim()"), who[staker])
        minted = read_uint(backend, staking, "minted_current()") - before
        if (minted != 0) != drips:
            raise RuntimeError(f"{row_id}: the claim {'did not drip' if drips else 'dripped'}; fix the scenario")

    both("stake-first", stake, stake, who["staker-first"])
    both("stake-second", stake, stake, who["staker-second"])
    for n in (1, 2):  # not measured: two more stakers in each pool, to claim below
        backend.send(uni, stake, who[f"uni-claimer-{n}"])
        backend.send(staking, stake, who[f"tpp-claimer-{n}"])
    backend.warp(DAY)
    both("stake-later", stake, stake, who["staker-first"])
    backend.warp(DAY)
    # First claims: nothing dripped yet, so claimer-1's claim drips everything accrued; that
    # leaves the other stakers' rewards held, and claimer-2's claim is a plain transfer.
    measure("uni-claim-first", uni, calldata("getReward()"), who["uni-claimer-1"])
    claim("tpp-claim-first-drip", "tpp-claimer-1", drips=True)
    backend.send(uni, calldata("getReward()"), who["uni-claimer-2"])
    claim("tpp-claim-first-dripped", "tpp-claimer-2", drips=False)
    measure("tpp-drip", staking, calldata("drip()"), keeper)
    # Later claims: two days on, the held rewards cover claimer-1's; twenty days on, claimer-2's
    # claim is more than what is held and drips first.
    backend.warp(2 * DAY)
    measure("uni-claim-later", uni, calldata("getReward()"), who["uni-claimer-1"])
    claim("tpp-claim-later-dripped", "tpp-claimer-1", drips=False)
    backend.warp(20 * DAY)
    backend.send(uni, calldata("getReward()"), who["uni-claimer-2"])
    claim("tpp-claim-later-drip", "tpp-claimer-2", drips=True)
    both("withdraw", calldata("withdraw(uint256)", STAKE // 2), calldata("withdraw(uint256)", STAKE // 2), who["staker-first"])

    progress("measuring stream claims")
    measure("stream-claim-first", stream, calldata("claim()"), keeper)
    first = read_uint(backend, stream, "minted_current()")
    measure("direct-same-new", token, calldata(mint, plain_address("new holder 4"), first), who["direct-minter"])
    backend.warp(DAY)
    measure("stream-claim-later", stream, calldata("claim()"), keeper)
    later = read_uint(backend, stream, "minted_current()") - first
    measure("direct-same-existing", token, calldata(mint, recipient, later), who["direct-minter"])

    progress("measuring the KPI stream")
    backend.send(kpi, calldata("poke()"), keeper)  # not measured: the first reading judges nothing
    backend.warp(HOUR)
    measure("kpi-poke", kpi, calldata("poke()"), keeper)
    backend.warp(HOUR)
    measure("kpi-claim-first", kpi, calldata("claim(uint256)", 0), keeper)
    backend.warp(HOUR)
    measure("kpi-claim-later", kpi, calldata("claim(uint256)", 0), keeper)
    if read_uint(backend, kpi, "paid(uint256)", 0) == 0:
        raise RuntimeError("kpi-claim: the candidate was paid nothing; fix the scenario")

    run_checkpoints(backend, who, token, checkpoints, b, measure, progress)
    run_bounty(
        backend, who, bounty_programme, bounty, read_address(backend, factory, "programme_at(uint256)", 1), b, measure, progress
    )


def run_checkpoints(
    backend: Backend,
    who: dict[str, str],
    token: str,
    checkpoints: str,
    b: list[int],
    measure: Callable[..., None],
    progress: Callable[[str], None],
) -> None:
    """ImpactCheckpoints against Uniswap's MerkleDistributor: trees of the same size, the same
    token, each claimed account a new holder (distinct accounts per contract). The distributor
    is funded by a direct mint; the checkpoint programme mints what accrued into itself when
    the root is posted. The pending root is finalised (anyone may) before the measured claims,
    as a keeper would, so the claims measure a claim only."""
    progress(f"measuring checkpoints beside Uniswap's MerkleDistributor ({MERKLE_LEAVES:,}-account trees)")
    amount = WAD
    uni_accounts = [plain_address(f"airdrop account {i}") for i in range(MERKLE_LEAVES)]
    uni_leaves = [
        keccak(i.to_bytes(32, "big") + bytes.fromhex(a[2:]) + amount.to_bytes(32, "big")) for i, a in enumerate(uni_accounts)
    ]
    uni_levels = levels_of(uni_leaves)
    artifact = json.loads(MERKLE_ARTIFACT.read_text())
    distributor = backend.deploy_code(
        bytes.fromhex(artifact["bytecode"].removeprefix("0x"))
        + eth_abi.encode(["address", "bytes32"], [token, uni_levels[-1][0]]),
        sender=who["deployer"],
    )
    backend.send(token, calldata("mint(address,uint256)", distributor, MERKLE_LEAVES * amount), who["direct-minter"])

    def uni_claim(row_id: str | None, index: int) -> None:
        data = calldata(
            "claim(uint256,address,uint256,bytes32[])", index, uni_accounts[index], amount, proof_of(uni_levels, index)
        )
        if row_id is None:
            backend.send(distributor, data, who["keeper"])
        else:
            measure(row_id, distributor, data, who["keeper"])

    uni_claim("uni-md-claim", 0)
    uni_claim("uni-md-claim-word", 1)

    accounts = [plain_address(f"impact account {i}") for i in range(MERKLE_LEAVES)]
    claimed = accounts[0]
    post = "post_root(bytes32,uint256,bytes32,bytes32)"

    def checkpoint_tree(extra: int) -> MerkleTree:
        return MerkleTree.build(checkpoints, {a: amount + (extra if a == claimed else 0) for a in accounts})

    backend.warp(b[1] + CHECKPOINT_PERIOD + HOUR - backend.now())
    first = checkpoint_tree(0)
    measure("cp-post", checkpoints, calldata(post, first.root, first.total, keccak(b"rules"), keccak(b"data")), who["scorer"])
    bond = CHECKPOINT_BOND
    backend.warp(CHECKPOINT_WINDOW)
    backend.send(checkpoints, calldata("finalise()"), who["keeper"])
    claim = "claim(address,uint256,bytes32[])"
    measure("cp-claim-first", checkpoints, calldata(claim, claimed, amount, first.proof(claimed)), who["keeper"])
    other = accounts[1]
    measure("cp-claim-other", checkpoints, calldata(claim, other, amount, first.proof(other)), who["keeper"])
    backend.warp(b[1] + 2 * CHECKPOINT_PERIOD + HOUR - backend.now())
    second = checkpoint_tree(amount)
    backend.send(checkpoints, calldata(post, second.root, second.total, keccak(b"rules"), keccak(b"data")), who["scorer"])
    backend.fund(who["challenger"], 10 * bond)
    measure("cp-challenge", checkpoints, calldata("challenge()"), who["challenger"], value=bond)
    backend.send(checkpoints, calldata("resolve(bytes32,uint256)", second.root, second.total), who["tpp-executor"])
    measure("cp-claim-later", checkpoints, calldata(claim, claimed, 2 * amount, second.proof(claimed)), who["keeper"])
    if read_uint(backend, token, "balanceOf(address)", claimed) != 2 * amount:
        raise RuntimeError("cp-claim: the account was not paid its cumulative amount; fix the scenario")


def run_bounty(
    backend: Backend,
    who: dict[str, str],
    programme: str,
    bounty: str,
    stream_programme: str,
    b: list[int],
    measure: Callable[..., None],
    progress: Callable[[str], None],
) -> None:
    """The research bounty: submissions, a judge's points, the settlement of an epoch with
    BOUNTY_SUBMISSIONS submissions (inside the advance() that opens the next epoch, beside
    the stream programme's advance() at the same moment, which settles nothing), a claim."""
    progress(f"measuring the research bounty ({BOUNTY_SUBMISSIONS} submissions)")
    researchers = [who[f"researcher-{i}"] for i in range(BOUNTY_SUBMISSIONS)]
    for r in researchers:
        backend.fund(r, 10 * BOUNTY_DEPOSIT)
    submit = "submit(bytes32)"
    measure("rb-submit", bounty, calldata(submit, keccak(b"finding 0")), researchers[0], value=BOUNTY_DEPOSIT)
    for i, r in enumerate(researchers[1:], 1):
        backend.send(bounty, calldata(submit, keccak(f"finding {i}".encode())), r, value=BOUNTY_DEPOSIT)
    measure("rb-score", bounty, calldata("score(uint256,uint256)", 0, 80), who["judge"])
    for i in range(1, BOUNTY_SUBMISSIONS):
        backend.send(bounty, calldata("score(uint256,uint256)", i, 10 + i), who["judge"])
    backend.send(bounty, calldata("mark_duplicate(uint256,uint256)", BOUNTY_SUBMISSIONS - 1, 1), who["judge"])
    backend.warp(b[2] - backend.now())
    measure("stream-advance", stream_programme, calldata("advance()"), who["keeper"])
    measure("rb-advance-settle", programme, calldata("advance()"), who["keeper"])
    measure("rb-claim", bounty, calldata("claim(address)", researchers[0]), who["keeper"])
    if read_uint(backend, bounty, "total_claimed()") == 0:
        raise RuntimeError("rb-claim: nothing was paid; fix the scenario")


# --- output ----------------------------------------------------------------------------------


def fill(rows: list[Row], embedded: dict[str, Measurement], anvil: dict[str, Measurement] | None) -> None:
    by_id = {r.id: r for r in rows}
    for r in rows:
        m = embedded[r.id]
        r.tx_gas = m.gas
        r.gas = round(m.gas / r.programmes)
        r.breakdown = {
            "intrinsic": TX_BASE,
            "calldata": m.calldata,
            "execution": m.execution,
            "refund_accrued": m.refund,
            "refund_applied": m.refund_applied,
        }
        if anvil is not None:
            r.anvil_tx_gas = anvil[r.id].gas
            r.anvil_gas = round(r.anvil_tx_gas / r.programmes)
    for r in rows:
        if r.baseline:
            r.ratio = r.gas / by_id[r.baseline].gas
            if r.target is not None:
                r.meets_target = r.ratio <= r.target
        if r.limit is not None:
            r.meets_target = r.gas <= r.limit
            r.state += f" (whole call {r.tx_gas:,} gas)"


def fmt_ratio(r: Row) -> str:
    return f"{r.ratio:.2f}×" if r.ratio is not None else "—"


def fmt_target(r: Row) -> str:
    if r.target is None and r.limit is None:
        return r.target_text or "—"
    return f"{r.target_text}: {'met' if r.meets_target else 'NOT met'}"


def fmt_anvil(r: Row) -> str:
    if r.anvil_gas is None:
        return "—"
    diff = r.anvil_tx_gas - r.tx_gas  # whole transactions, before any division
    return f"{r.anvil_gas:,}" + (" (=)" if diff == 0 else f" ({diff:+,} per tx)")


def rich_table(rows: list[Row], with_anvil: bool) -> Table:
    table = Table(
        title="tpp gas per transaction (receipt gas: 21,000 + calldata + execution − capped refund)",
        caption=STEADY_NOTE,
    )
    table.add_column("operation")
    table.add_column("state")
    table.add_column("gas", justify="right")
    table.add_column("× baseline", justify="right")
    table.add_column("target (issue)")
    if with_anvil:
        table.add_column("anvil receipt", justify="right")
    group = None
    for r in rows:
        if group is not None and r.group != group:
            table.add_section()
        group = r.group
        style = "red" if r.meets_target is False else None
        cells = [r.operation, r.state, f"{r.gas:,}", fmt_ratio(r), fmt_target(r)]
        if with_anvil:
            cells.append(fmt_anvil(r))
        table.add_row(*cells, style=style)
    return table


def markdown_table(rows: list[Row], with_anvil: bool) -> str:
    head = ["operation", "state", "gas", "× baseline", "target (issue)"]
    if with_anvil:
        head.append("anvil receipt")
    lines = [
        "| " + " | ".join(head) + " |",
        "|" + "|".join(["---", "---", "---:", "---:", "---"] + (["---:"] if with_anvil else [])) + "|",
    ]
    for r in rows:
        cells = [r.operation, r.state, f"{r.gas:,}", fmt_ratio(r), fmt_target(r)]
        if with_anvil:
            cells.append(fmt_anvil(r))
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines) + "\n\n" + STEADY_NOTE.replace("* ", "\\* ", 1) + "."


def uniswap_version() -> str:
    package = UNISWAP_ARTIFACT.parents[1] / "package.json"
    return json.loads(package.read_text())["version"] if package.is_file() else "?"


def versions() -> dict[str, str]:
    out = {p: metadata.version(p) for p in ("titanoboa", "vyper", "py-evm", "snekmate")}
    oz = REPO / "node_modules" / "@openzeppelin" / "contracts" / "package.json"
    if oz.is_file():
        out["@openzeppelin/contracts"] = json.loads(oz.read_text())["version"]
    out["@uniswap/liquidity-staker"] = uniswap_version()
    try:
        first = subprocess.run([str(anvil_binary()), "--version"], capture_output=True, text=True, timeout=10).stdout
        out["anvil"] = first.splitlines()[0].removeprefix("anvil Version: ").strip()
    except (OSError, subprocess.SubprocessError, IndexError, RuntimeError) as exc:  # the version string is informational only
        out["anvil"] = f"unknown ({exc.__class__.__name__})"
    return out


# --- docs/PERFORMANCE.md -----------------------------------------------------------------------


def ratio_of(rows: list[Row], row_id: str) -> float:
    return next(r.ratio for r in rows if r.id == row_id)


def gas_of(rows: list[Row], row_id: str) -> int:
    return next(r.gas for r in rows if r.id == row_id)


def creation_fit(rows: list[Row]) -> tuple[float, float, int]:
    """(fixed gas per call, gas per extra programme, programmes that fit PROPOSAL_GAS), from the
    two largest batches: a call costs fixed + n × marginal."""
    (n1, g1), (n2, g2) = [(n, next(r.tx_gas for r in rows if r.id == f"create-{n}")) for n in CREATION_SIZES[-2:]]
    marginal = (g2 - g1) / (n2 - n1)
    fixed = g1 - n1 * marginal
    return fixed, marginal, int((PROPOSAL_GAS - fixed) // marginal)


def programme_reading(rows: list[Row]) -> str:
    by = {r.id: r for r in rows}
    g = lambda i: by[i].gas  # noqa: E731
    staking = [r for r in rows if r.group == "staking" and r.target is not None]
    met = [r for r in staking if r.meets_target]
    missed = [r for r in staking if not r.meets_target]
    fixed, marginal, fit = creation_fit(rows)
    hi = CREATION_SIZES[-1]
    per_calldata = by[f"create-{hi}"].breakdown["calldata"] / hi
    stream_layer = g("stream-claim-later") - g("direct-same-existing")

    def verdict(r: Row) -> str:
        return "met" if r.meets_target else "not met"

    def missed_text(r: Row) -> str:
        return f"{r.state.split(';')[0]}{'; drips first' if r.id.endswith('-drip') else ''} ({r.ratio:.2f}×)"

    return f"""- **Staking against Uniswap's StakingRewards (targets: stake, withdraw and a claim from a drip ≤ 1.0×; a claim that drips first ≤ 1.3×).** Met on
  {len(met)} of {len(staking)} rows, not met on {len(missed)}: {"; ".join(missed_text(r) for r in missed)}.
  Stakes, the later stake and the withdrawal cost {by["tpp-stake-first"].ratio:.2f}×,
  {by["tpp-stake-later"].ratio:.2f}× and {by["tpp-withdraw"].ratio:.2f}×: tpp's packed clock (last
  update, epoch window, throttle, halt in one slot) replaces Uniswap's separate
  `lastUpdateTime` and `periodFinish` reads, and that with leaner code than Solidity 0.5's
  SafeMath offsets what tpp pays extra: the DELEGATECALL into the implementation behind every
  clone (a cold account, 2,600) and, once rewards accrue, its `accrued` write. The first
  stake of a second staker ({by["tpp-stake-second"].ratio:.2f}×) is the first tick with something
  staked: both contracts write their accumulator from zero (22,100), and tpp also writes its
  `accrued` counter from zero, once per epoch (`_switch` resets it). A claim paid from what was
  already dripped is a plain transfer and costs {g("tpp-claim-first-dripped") - g("uni-claim-first"):+,}
  gas against `getReward` ({by["tpp-claim-first-dripped"].ratio:.2f}× first, {by["tpp-claim-later-dripped"].ratio:.2f}×
  later): tpp writes `accrued` and `held` where Uniswap writes nothing of the kind; "Possible
  savings" shows one packed slot bringing both under 1.0×. A claim that must drip first also
  mints through the EpochMinter clone, the Budget and the token: {g("tpp-claim-later-drip"):,} gas
  later ({by["tpp-claim-later-drip"].ratio:.2f}×), {g("tpp-claim-first-drip"):,} for the epoch's first
  drip ({by["tpp-claim-first-drip"].ratio:.2f}×, which also writes the minter's `minted`, the
  Budget's `minted_by`, `minted_current` and the contract's token balance from zero). The 1.3×
  target for these rows is not met: dripping adds {g("tpp-claim-later-drip") - g("tpp-claim-later-dripped"):,}
  gas to the plain claim (the mint chain: the EpochMinter clone and its implementation, the
  Budget, and the token's own mint with its supply checkpoint, about
  {g("direct-same-existing"):,} of it by itself), while 1.3× `getReward` leaves
  {round(1.3 * g("uni-claim-later")) - g("tpp-claim-later-dripped"):,} for it; no structure that mints
  on demand fits, which is why `drip()` exists and a keeper that drips keeps stakers on the
  plain path.
  **Which path the contract uses:** both. `claim()` transfers from what is held and drips (mints)
  first only when the held rewards do not cover the claim; `drip()` ({g("tpp-drip"):,} gas,
  permissionless) mints everything accrued so far into the contract, so a keeper that drips
  regularly keeps users on the cheaper plain-transfer path. One drip serves every claim until
  the held rewards run out; Uniswap's funding counterpart is a token transfer to the contract
  plus `notifyRewardAmount` ({g("uni-notify"):,}) per period.
- **LinearStream claim (target ≤ 1.3× a direct mint of the same amount): not met**,
  {by["stream-claim-later"].ratio:.2f}× in steady state ({g("stream-claim-later"):,} against
  {g("direct-same-existing"):,}) and {by["stream-claim-first"].ratio:.2f}× for the epoch's first
  claim (which writes the stream's `accrued` and `minted_current`, the minter's `minted`, the
  Budget's `minted_by` and the recipient's balance from zero). The {stream_layer:,} gas over the
  direct mint: five cold accounts a direct mint does not touch (the stream's implementation, the
  EpochMinter clone and its implementation, the Budget, the token: 13,000), the stream's clock,
  rate, `accrued`, `minted_current`, minter and recipient (about 21,000), the EpochMinter's
  flags, role, schedule and `minted` (about 13,000), the Budget's (about 11,000, as in the mint
  rows) and the `Claimed` and `Minted` logs. 1.3× leaves {round(0.3 * g("direct-same-existing")):,}
  gas for all of that; the cold account accesses and the Budget's own checks alone exceed it, so
  no cheap change reaches it.
- **Programme creation (target ≤ {CREATION_LIMIT:,} gas per programme, so that 100 fit a
  {PROPOSAL_GAS / 1e6:.0f}M-gas proposal): not met.** {by["create-1"].gas:,} gas for a batch of 1,
  {by["create-10"].gas:,} per programme in a batch of 10, {by[f"create-{hi}"].gas:,} in a batch of
  {hi}; a call costs about {fixed:,.0f} + {marginal:,.0f} per programme, so **{fit} programmes fit
  in {PROPOSAL_GAS / 1e6:.0f}M gas** (a batch of {hi} already takes {by[f"create-{hi}"].tx_gas:,}).
  The fixed part is the transaction, first (cold) accesses, first writes to the Budget's
  counters, and most likely the memory Vyper reserves for a `DynArray` of 128 specs (about 105,000
  by the memory-expansion formula). Per programme (a stream with one dial; a staking programme
  writes as many slots), reading the contracts, creation writes **21 new storage slots**
  (21 × 22,100 = 464,100 gas): Programme 7 (`mechanism`, `guardian`, `steward`, `_cfg`, `_run`,
  the throttle `_dial`, `minter`), mechanism 5 (`programme`, `_clock`, `recipient` or
  `stake_token`, `minter`, `rate`), EpochMinter 4 (`_schedule` and three role entries), Budget
  4 (the programme's ADMITTER_ROLE entry, `_schedule[minter]`, `epoch_at[i]` and `_hold`, the
  room held for its later epochs: reserve, time and rate packed in one word) and factory 1
  (`programme_at[i]`). It also deploys **3 minimal proxies** (3 × (32,000 + 45 bytes × 200) =
  123,000), pays about {per_calldata:,.0f} gas of calldata for its spec, and emits ten logs
  (four RoleGranted, ProgrammeInitialized and ProgrammeCreated with the metadata URI,
  EpochAdmitted, HoldSet, Transition, EpochOpened). The hold (issue 10, item 7: continuations
  must not compete for room) added about 30,000 gas per programme: its slot, the held rate
  written into the breakpoints from the first epoch's end on, the call and its log. The
  mechanism's `params` (issue 11: a KPI stream's candidates travel in the spec) added about
  10,000 gas per programme even when empty: one more dynamic member copied in memory by the
  factory, passed on to the mechanism's `initialize` and copied again by the programme's. Slots and
  proxies alone are about 587,000, so the
  {CREATION_LIMIT:,} target is out of reach without fewer contracts or slots per programme
  (see "Possible savings").
- **Impact checkpoint claims (target ≤ 1.10× Uniswap's MerkleDistributor for the same tree
  size): {"met" if by["cp-claim-first"].gas <= 1.1 * by["uni-md-claim"].gas else "not met"}.**
  An account's first claim costs {by["cp-claim-first"].gas:,} against {by["uni-md-claim"].gas:,}
  ({by["cp-claim-first"].gas / by["uni-md-claim"].gas:.2f}×), both in trees of {MERKLE_LEAVES:,}
  accounts paying the same token to a new holder. Both verify ten sorted-pair hashes and write one
  slot from zero (Uniswap a bit in a bitmap word, tpp the account's cumulative amount); tpp adds
  the clone's delegate call, one slot holding the final root's total, Σ claimed and the pending
  root's state (read and written: the claims can never exceed the root's total), and the root
  itself (Uniswap's is immutable). The token is an immutable of the implementation (the Budget's,
  checked when a clone is initialised), which saved a read. The comparison is least favourable
  to tpp for a second account in a bitmap word Uniswap has already written:
  {by["cp-claim-other"].gas:,} against {by["uni-md-claim-word"].gas:,}; tpp pays for cumulative
  amounts (one claim collects every checkpoint so far: {by["cp-claim-later"].gas:,} for a later
  checkpoint's increase). Posting a root ({by["cp-post"].gas:,}) mints what accrued into the
  contract through the EpochMinter and the Budget; a challenge costs {by["cp-challenge"].gas:,}.
- **Research bounty.** No contract does this to compare with (Code4rena's awards are computed
  off chain and paid by a multisig). A submission costs {by["rb-submit"].gas:,} (its struct, the
  duplicate-hash guard), a judge's points {by["rb-score"].gas:,}, a claim {by["rb-claim"].gas:,}.
  The epoch's split runs inside the `advance()` that opens the next epoch:
  {by["rb-advance-settle"].gas:,} with {BOUNTY_SUBMISSIONS} submissions against
  {by["stream-advance"].gas:,} for a stream's switch, so about
  {(by["rb-advance-settle"].gas - by["stream-advance"].gas) // BOUNTY_SUBMISSIONS:,} per
  submission (its weight, its author's award and deposit entries, an `Awarded` log); at the cap
  of 64 submissions that is about
  {by["stream-advance"].gas + 64 * ((by["rb-advance-settle"].gas - by["stream-advance"].gas) // BOUNTY_SUBMISSIONS):,}
  gas for the keeper's call."""


def gas_section(rows: list[Row], meta: dict, with_anvil: bool, sizes: tuple[int, ...]) -> str:
    g = lambda i: gas_of(rows, i)  # noqa: E731
    lo, hi = sizes[0], sizes[-1]
    layer = g("depth1-existing") - g("direct-existing")
    child = g("depth2-existing") - g("depth1-existing")
    aligned_growth = g(f"admit-aligned-{hi}") - g(f"admit-aligned-{lo}")
    staggered_per_epoch = (g(f"admit-staggered-{hi}") - g(f"admit-staggered-{lo}")) / (hi - lo)

    if with_anvil:
        matched = sum(1 for r in rows if r.anvil_tx_gas == r.tx_gas)
        worst = max(rows, key=lambda r: abs(r.anvil_tx_gas - r.tx_gas))
        cross = (
            f"All {len(rows)} transactions were replayed on anvil {meta['versions'].get('anvil', '')} "
            f"(same contracts, same deployer nonces, hence the same addresses and calldata; anvil "
            f"started at the embedded chain's genesis time) and each receipt's `gasUsed` read back "
            f"with `eth_getTransactionReceipt`: {matched} of {len(rows)} match the embedded figure "
            f"exactly"
            + (
                "."
                if matched == len(rows)
                else f"; the largest difference is {worst.anvil_tx_gas - worst.tx_gas:+,} gas on "
                f'"{worst.operation}, {worst.state}".'
            )
            + ' The "anvil receipt" column shows anvil\'s number and its difference from the '
            "embedded one. For example, the direct mint to an existing holder: embedded "
            f"{g('direct-existing'):,}, anvil receipt "
            f"{next(r.anvil_gas for r in rows if r.id == 'direct-existing'):,}; the 50-programme "
            f"batch: embedded {next(r.tx_gas for r in rows if r.id == f'create-{CREATION_SIZES[-1]}'):,}, "
            f"anvil receipt {next(r.anvil_tx_gas for r in rows if r.id == f'create-{CREATION_SIZES[-1]}'):,} "
            "for the whole call (factory rows compare whole transactions)."
        )
    else:
        cross = "This run skipped the anvil replay (`--no-anvil`); run without the flag to cross-check."

    mint_target = next(r for r in rows if r.id == "depth1-existing")
    mint_target_new = next(r for r in rows if r.id == "depth1-new")
    adm_a = next(r for r in rows if r.id == f"admit-aligned-{hi}")
    adm_s = next(r for r in rows if r.id == f"admit-staggered-{hi}")

    gap = mint_target.gas - mint_target.target * g("direct-existing")
    gap_text = (
        f" For an existing holder that is {gap:,.0f} gas over the target; each of the first three"
        ' changes under "Possible savings" would close the gap.'
        if gap > 0
        else ""
    )

    def verdict(r: Row) -> str:
        return "meets" if r.meets_target else "misses"

    reading = f"""\
- **Mint through the Budget and one capped minter (target ≤ 1.5× the direct mint).** To a new
  holder it costs {mint_target_new.ratio:.2f}× the direct mint ({verdict(mint_target_new)} the
  target); to an existing holder {mint_target.ratio:.2f}× ({verdict(mint_target)} it). The two
  layers add a fixed {layer:,} gas whatever the holder, and the direct mint to an existing
  holder ({g("direct-existing"):,}) is the cheaper floor, so the ratio is worst there. Where the
  {layer:,} goes (EIP-2929/2200 prices, every slot cold in a fresh transaction): the capped
  minter reads `closed`, `paused` and the caller's MINTER_ROLE entry (3 × 2,100), reads and
  rewrites `minted` (2,100 + 2,900), calls the Budget (cold account, 2,600) and logs `Minted`;
  the Budget reads `closed`, `paused` and the minter's packed schedule (3 × 2,100), reads and
  rewrites `minted_by[minter]` (5,000) and calls the token (cold, 2,600).
  The rest is calldata copying, ABI decoding and the checks.{gap_text}
- **Depth 2** (a child minter under a programme minter) adds {child:,} gas per extra capped
  minter (the same minter-layer cost as above), {ratio_of(rows, "depth2-existing"):.2f}× /
  {ratio_of(rows, "depth2-new"):.2f}× the direct mint for an existing / a new holder. The issue
  sets no target for it.
- **Admission (target: within 2× from {lo} to {hi} admitted epochs).** With epochs on the
  shared decision-cycle boundaries (the design) admission touches the same few breakpoints
  however many epochs are admitted: {g(f"admit-aligned-{lo}"):,} gas with {lo} epoch,
  {g(f"admit-aligned-{hi}"):,} with {hi} ({adm_a.ratio:.2f}×, {verdict(adm_a)} the target). The
  {aligned_growth:+,} is one more cold read: once a cycle is running, the head of the list is
  that cycle's breakpoint, which the admission reads on its way to the next cycle. An aligned
  admission is mostly fixed storage: two new slots (`_schedule[minter]`, `epoch_at[i]`, 22,100
  each), `epoch_count` and `committed` rewritten (5,000 each), the one breakpoint it adds its
  rate to (5,000), cold reads of the parameters and flags, and the `EpochAdmitted` log. In the
  staggered worst case (every epoch its own start and end, all inside the new epoch's interval)
  admission reads and rewrites every breakpoint it spans: about {staggered_per_epoch:,.0f} gas
  per admitted epoch (two breakpoints each; per breakpoint a cold read while inserting the end
  node, a warm re-read and a 2,900 rewrite while adding the rate), so {hi} epochs cost
  {g(f"admit-staggered-{hi}"):,} gas, {adm_s.ratio:.2f}× the {lo}-epoch case ({verdict(adm_s)}
  the target; {ratio_of(rows, f"admit-staggered-{sizes[1]}"):.2f}× at {sizes[1]} epochs). That is
  what the shared boundaries are for: aligned epochs keep admission flat, a planner that
  staggers them pays linearly, bounded by `MAX_WALK` = 4,096 breakpoints per walk. Why the
  staggered target is not met: a programme's epochs always end on the shared boundaries, so
  only a TPP vote admitting unaligned minters directly builds this layout, and checking the
  threshold at every instant of the new interval means reading every breakpoint in it; to
  stay within 2× the admission would need a structure whose cost does not grow with the
  breakpoints spanned (a tree of per-interval maxima over cycle-sized buckets, say), which
  tpp does not have.
- **Brakes.** Pausing a capped minter or the Budget, and closing a minter, each flip one
  zero slot to non-zero (22,100 of their cost) after a role check and a read of `closed`; they
  do not depend on how much was minted or admitted.
- **Against the team's earlier anchor figures** (120,935 / 50,057 for a direct token mint to
  a new / an existing holder, measured the same way): those are the token's very first mint (total supply and the checkpoint array still
  zero) and a second mint in the same second (the total-supply checkpoint is updated in place).
  Here every path has minted before and each measured mint lands in a new second, so the token
  appends a checkpoint (a new slot, 22,100, plus the array length): {g("direct-new"):,} and
  {g("direct-existing"):,}. Had the existing-holder mint shared its second with an earlier mint,
  the direct floor would be about 22,200 lower while the Budget layers cost the same
  {layer:,}, so the depth-1 ratio would be worse (about 1.7×), not better.
{programme_reading(rows)}"""

    savings = """\
Measured once by compiling modified copies of the contracts outside the repository and
re-running this benchmark on them; the contracts here are unchanged, and the script does not
re-measure these. First, the mint path (commit ed53341; the first change has since been made, in
0d841c0, and the figures above include it; the other savings per mint still apply):

| change | saves per mint (depth 1 / depth 2) | depth-1 ratio, existing / new holder |
|---|---:|---|
| Budget drops `total_minted` (derivable from `minted_by`, the token supply or events) | 5,053 / 5,053 | 1.44× / 1.36× |
| Budget `close()` also pauses for good, so `mint` reads one flag instead of `closed` and `paused` | 2,120 / 2,120 | 1.49× / 1.39× |
| Same in CappedMinter (or pack `closed` into the `minted` slot, which `mint` reads anyway) | 2,120 / 4,240 | 1.49× / 1.39× |
| all three | 9,293 / 11,413 | 1.39× / 1.31× |
| Budget stops writing `epoch_at` / `epoch_count` (only the supply-curve views read them) | — (25,118 per admission) | — |

Each of the first three alone brings the depth-1 mint under 1.5× for an existing holder; the flag merges
change the revert reason of a mint on a closed contract from "closed" to "paused", which tests
assert. The last one would need `scheduled_supply` / `rate_at` served another way (events or
the breakpoint list). For staggered layouts, keeping rate *changes* at breakpoints instead of
the aggregate rate would let an admission write two breakpoints instead of every one it spans
(about 5,800 of the ~11,300 per spanned epoch, estimated from slot prices, not measured) while
still reading them all to check the threshold.

Then the programme layer (measured on the contracts of commit 8babeec):

| change | saves | effect on the rows |
|---|---:|---|
| StakingRewards keeps its accrued wei and `held` in one packed slot (128 bits each) instead of `emission.accrued` and `held` | claim from dripped: 4,788 first / 4,151 later; `drip()`: 4,955; claim that drips: 22,043 first / 4,943 later | claims from dripped 0.96× / 0.96× Uniswap (target met); stakes and withdrawals unchanged |

The packed slot is written by every tick with stakers and read by every claim; one slot instead
of two saves a cold read and a rewrite per claim. It leaves `emission.accrued` unused by the
staking mechanism (its `accrued()` view would read the packed slot instead) and bounds accrued
and held wei per epoch to 2^128, above any cap the Programme accepts (2^112).

Estimated from slot prices, not measured, for programme creation: every new storage slot costs
22,100. Slots that duplicate something else: `Programme.minter` (the mechanism keeps
`minter` too), the Budget's `epoch_at` (views only, see above), the factory's `programme_at`
(the `ProgrammeCreated` event carries it), and the EpochMinter's three role entries (its admin
and minter could be two plain addresses: one slot fewer). Together about 90,000 gas, which
would leave about 585,000 per programme, still far over 300,000. The target needs fewer
contracts and slots per programme: e.g. the Budget admitting the mechanism itself (no
per-epoch EpochMinter clone: one CREATE, four slots and, on every claim, one hop of about
20,000 gas fewer), or one clone holding both the controller and the mechanism."""

    return f"""## Gas

Gas per transaction, as the transaction's receipt reports it. Produced by `bench/gas.py`
(`.venv/bin/python bench/gas.py`, or `make bench`); raw rows in `bench/results/gas.json`, the
table alone in `bench/results/gas.md`. Last run: {meta["run_at"]}, with titanoboa
{meta["versions"]["titanoboa"]}, Vyper {meta["versions"]["vyper"]}, py-evm {meta["versions"]["py-evm"]}
({meta["evm_fork"]} rules) and the OpenZeppelin {meta["versions"].get("@openzeppelin/contracts", "?")} token.

### Results

{markdown_table(rows, with_anvil)}

Ratios: mint rows against the direct mint to the same kind of holder; admission rows against
the {lo}-epoch admission of the same layout; tpp staking rows against the Uniswap row just above
them; stream claims against the direct mint of the same amount just above them. Factory rows
show gas per programme (the whole call divided by the batch size). Targets are the issue's; the script shows them and
asserts nothing. Holders are not delegated (the token writes no vote checkpoints for them); every
measured transaction lands at a new timestamp, so each mint appends one total-supply checkpoint
to the token, as it would on a live chain.

### Method

Every row is one transaction sent by an EOA, measured one way: 21,000 + calldata (4 gas per
zero byte, 16 per non-zero byte) + the call's execution gas − its refund, the refund capped at
one fifth of that total (EIP-3529), and never below the EIP-7623 calldata floor (which binds no
row here). The call runs on titanoboa's embedded py-evm; before each measured call the state
changes are locked (`boa.env.evm.vm.state.lock_changes()`, so SSTORE prices against the value
at the start of the transaction) and the warm/cold access counters reset
(`boa.env._reset_access_counters()`), with the sender and the called contract marked warm as a
transaction does; without this, titanoboa prices storage as already warm and dirty and reads far
too low. The scenario: one token (OpenZeppelin ERC20Votes stand-in, timestamp clock), one
Budget with two epochs admitted over the current 90-day decision cycle — a linear epoch minter
(depth 1) and a programme minter with a linear child minter under it (depth 2) — each path
having minted once before the measured mints (steady state), and one more Budget per admission
row, prepared with 1, 10 or 50 admitted epochs. Each measured mint mints 1 token; admitted epochs
have caps far under the threshold, the allocation and the share limit, so only the
breakpoint list varies between admission rows.

The programme rows run afterwards on the same chain and token: a second Budget (the token's
MINTER_ROLE) and the programme layer (EpochMinter, Programme, LinearStream and StakingRewards
implementations, ProgrammeFactory), the factory granted ADMITTER_ADMIN_ROLE by the TPP
executor. One `create_programmes` call makes a staking programme (stake token: tpp's
`testing/StakeToken`, 18 decimals) and a stream programme, first epoch the next 90-day cycle,
{PROGRAMME_CAP // WAD:,} tokens per epoch; it also puts the Budget's breakpoints and the factory's
counter in steady state. Then batches of {", ".join(str(n) for n in CREATION_SIZES)} stream programmes (the test
fixtures' spec: steward with a throttle dial, 14-day window, CONTINUE by default, up to 3 epochs,
a 59-character IPFS metadata URI) are each created in one call; a factory row is that whole
transaction's gas divided by the batch size. Uniswap's StakingRewards (`@uniswap/liquidity-staker`
{uniswap_version()}, the prebuilt artifact) is deployed with the same reward token (the TppToken)
and the same stake token, funded at the same 1,000 tokens a day by its rewardsDistribution
(`notifyRewardAmount`). The same stakers (100 tokens each) stake and withdraw on both, in the
same order; the claimers are distinct per contract (both pay in the same token, so a claimer
paid by one would already hold tokens when the other pays it), two per contract with the same
stakes. tpp's claim rows are checked after the fact to have taken the intended path (it minted,
or it did not). The stream is claimed by a keeper; each stream claim is followed by a direct
mint of exactly the amount it minted, to a new holder after the first claim and to the
recipient after the later one.

### Cross-check against anvil

{cross}

### Reading the numbers

{reading}

### Possible savings

{savings}
"""


# --- main ------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-anvil", action="store_true", help="skip the replay on a real anvil node")
    args = parser.parse_args(argv)
    console = Console()
    if not console.is_terminal:
        console = Console(width=170)
    started = time.monotonic()
    sizes = ADMISSION_SIZES

    def progress(backend: str):
        return lambda msg: console.print(f"[dim]{backend}: {msg}[/dim]")

    embedded = run_scenario(Embedded(), sizes, progress("embedded"))

    anvil_results = None
    if not args.no_anvil:
        node = None
        try:
            node = Anvil()
            anvil_results = run_scenario(node, sizes, progress("anvil"))
        finally:
            if node is not None:
                node.stop()

    rows = row_specs(sizes)
    fill(rows, embedded, anvil_results)
    console.print(rich_table(rows, anvil_results is not None))
    fixed, marginal, fit = creation_fit(rows)
    console.print(
        f"programme creation: about {fixed:,.0f} + {marginal:,.0f} gas per programme per call, "
        f"so {fit} programmes fit in {PROPOSAL_GAS:,} gas (target: 100)"
    )

    meta = {
        "run_at": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
        "command": "bench/gas.py" + (" --no-anvil" if args.no_anvil else ""),
        "method": "receipt gas = 21000 + calldata + execution - min(refund, total/5), "
        "embedded py-evm with lock_changes() and access counters reset per call",
        "evm_fork": "Prague",
        "versions": versions(),
        "anvil_cross_check": anvil_results is not None,
        "seconds": round(time.monotonic() - started, 1),
    }
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    json_path = RESULTS_DIR / "gas.json"
    md_path = RESULTS_DIR / "gas.md"
    json_path.write_text(json.dumps({"meta": meta, "rows": [asdict(r) for r in rows]}, indent=2) + "\n")
    md_path.write_text(
        "# Gas per transaction\n\n"
        f"`{meta['command']}`, {meta['run_at']}. Receipt gas; see docs/PERFORMANCE.md for the method.\n\n"
        + markdown_table(rows, anvil_results is not None)
        + "\n"
    )
    write_section("Gas", gas_section(rows, meta, anvil_results is not None, sizes))

    console.print(
        f"wrote {json_path.relative_to(REPO)}, {md_path.relative_to(REPO)}, "
        f"{PERFORMANCE_DOC.relative_to(REPO)} ({meta['seconds']} s)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
