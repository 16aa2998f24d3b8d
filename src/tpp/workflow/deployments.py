"""The deployments file: what tpp deployed on each chain, by name.

`.tpp/deployments/<chain-id>.json` records the stack's addresses (token, governors, timelocks,
Budget, factory, Safe's contracts and the local Safes by role: ``guardian_safe``,
``steward_safe``, ``recipient_safe``) and every programme tpp created, by the spec's name, with
its mechanism and kind. It is written atomically, so a reader never sees half a file and a failed command leaves
the previous file as it was.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tpp.base.errors import UserError
from tpp.model import kinds

if TYPE_CHECKING:
    from tpp.chain import Chain

__all__ = [
    "DEFAULT_ROOT",
    "Deployments",
    "OpsError",
    "ProgrammeRecord",
    "chain_id_of",
    "deployments_path",
    "load_deployments",
    "record_programme",
    "record_programmes",
    "record_stack",
    "safe_key",
]

# Where per-chain deployment records live, relative to the working directory.
DEFAULT_ROOT = Path(".tpp")


class OpsError(UserError):
    """An operation could not be done (no deployment, an unknown programme, a refusal, …)."""


@dataclass
class ProgrammeRecord:
    address: str
    mechanism: str
    kind: str  # a registered mechanism kind ("stream", "staking", …)


@dataclass
class Deployments:
    """What is deployed on one chain: the stack's addresses and programmes by name."""

    chain_id: int
    stack: dict[str, str] = field(default_factory=dict)
    programmes: dict[str, ProgrammeRecord] = field(default_factory=dict)
    path: Path | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "chain_id": self.chain_id,
            "stack": dict(self.stack),
            "programmes": {name: asdict(record) for name, record in self.programmes.items()},
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any], path: Path | None = None) -> Deployments:
        return cls(
            chain_id=int(data["chain_id"]),
            stack={str(k): str(v) for k, v in data.get("stack", {}).items()},
            programmes={name: ProgrammeRecord(**record) for name, record in data.get("programmes", {}).items()},
            path=path,
        )

    def save(self) -> Path:
        """Write the file atomically (a reader never sees half a file)."""
        path = self.path or deployments_path(self.chain_id)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(self.to_json(), indent=2) + "\n", encoding="utf-8")
        os.replace(tmp, path)
        self.path = path
        return path


def deployments_path(chain_id: int, root: Path = DEFAULT_ROOT) -> Path:
    return Path(root) / "deployments" / f"{chain_id}.json"


def chain_id_of(chain: Chain) -> int:
    return chain.chain_id()


def load_deployments(chain_id: int, root: Path = DEFAULT_ROOT) -> Deployments:
    """The deployments recorded for `chain_id` (an empty record if there is no file yet)."""
    path = deployments_path(chain_id, root)
    if not path.exists():
        return Deployments(chain_id=chain_id, path=path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return Deployments.from_json(data, path)
    except (ValueError, KeyError, TypeError) as exc:
        raise OpsError(f"{path}: not a tpp deployments file ({exc})") from exc


def record_stack(deployments: Deployments, stack: Any) -> Deployments:
    """Record a deployed `tpp.stack.Stack` (token, governors, timelocks, budget, factory)."""
    g = stack.governance
    deployments.stack.update(
        token=str(g.token.address),
        tpp_governor=str(g.tpp_governor.address),
        tpp_timelock=str(g.tpp_timelock.address),
        gap_governor=str(g.gap_governor.address),
        gap_timelock=str(g.gap_timelock.address),
        budget=str(stack.budget.address),
    )
    if stack.factory is not None:
        deployments.stack["factory"] = str(stack.factory.address)
    if stack.safe_layer is not None:
        deployments.stack.update(stack.safe_layer.addresses())
    for role, safe in stack.safes.items():
        deployments.stack[safe_key(role)] = safe.address
    return deployments


def safe_key(role: str) -> str:
    """Where a deployments file records the local Safe holding `role` ("steward_safe")."""
    return f"{role}_safe"


def record_programme(deployments: Deployments, name: str, address: str, mechanism: str, kind: str) -> Deployments:
    if kind not in kinds.names():
        raise OpsError(f"programme {name!r}: kind must be one of {', '.join(kinds.names())}, not {kind!r}")
    deployments.programmes[name] = ProgrammeRecord(str(address), str(mechanism), kind)
    return deployments


def record_programmes(
    deployments: Deployments, chain: Chain, names_and_kinds: Iterable[tuple[str, str]], addresses: Iterable[str]
) -> Deployments:
    """Record programmes created in one factory call, reading each one's mechanism."""
    for (name, kind), address in zip(names_and_kinds, addresses):
        programme = chain.at("Programme", str(address))
        record_programme(deployments, name, str(address), str(programme.mechanism()), kind)
    return deployments


def only_recorded(root: Path = DEFAULT_ROOT) -> Deployments | None:
    """The deployments of the one chain recorded under `root`, or None when there is none or
    more than one (then the caller must say which chain)."""
    folder = Path(root) / "deployments"
    files = sorted(folder.glob("*.json")) if folder.is_dir() else []
    if len(files) != 1:
        return None
    try:
        chain_id = int(files[0].stem)
    except ValueError:
        return None
    return load_deployments(chain_id, root)
