"""The chain layer: one `Chain` API with a subclass per backend (embedded, anvil, RPC, revm,
py-evm), one ABI codec (`abi`), one artifact registry (`artifacts`), contract handles, the
anvil node, the event recorder, and one `Reverted` that every backend raises.

The names below load lazily: `tpp.chain.abi` and `tpp.chain.artifacts` are used by `tpp
propose` and the specs' neighbours without loading an EVM, and importing titanoboa costs
seconds that `tpp --help` should not pay.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tpp.chain.backends import EMBEDDED_GENESIS, Chain
    from tpp.chain.errors import ChainUnreachable, Reverted

__all__ = ["EMBEDDED_GENESIS", "Chain", "ChainUnreachable", "Reverted"]

_LAZY = {
    "Chain": "tpp.chain.backends",
    "EMBEDDED_GENESIS": "tpp.chain.backends",
    "Reverted": "tpp.chain.errors",
    "ChainUnreachable": "tpp.chain.errors",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'tpp.chain' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
