"""Which chain a command works on, and which account it sends with.

`--embedded` gives a fresh embedded chain, `--rpc URL` any node (the account from an encrypted
keystore or TPP_PRIVATE_KEY, never a key in a file), and neither the running devnet.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

from eth_account import Account

from tpp.base.vocab import ZERO_ADDRESS as ZERO
from tpp.chain import Chain
from tpp.workflow.deployments import DEFAULT_ROOT, OpsError
from tpp.workflow.devnet import devnet_chain

__all__ = ["account_from_environment", "open_chain"]


def account_from_environment(
    keystore: Path | None = None, password: str | None = None, prompt: Callable[[str], str] | None = None
):
    """A signing account: an encrypted keystore file (password from TPP_KEYSTORE_PASSWORD or a
    prompt) or the TPP_PRIVATE_KEY environment variable. Never a key in a config file."""
    if keystore is not None:
        try:
            encrypted = json.loads(Path(keystore).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise OpsError(f"{keystore}: cannot read the keystore ({exc})") from exc
        password = password if password is not None else os.environ.get("TPP_KEYSTORE_PASSWORD")
        if password is None:
            if prompt is None:
                raise OpsError("the keystore needs a password: set TPP_KEYSTORE_PASSWORD or run interactively")
            password = prompt(f"password for {keystore}")
        try:
            return Account.from_key(Account.decrypt(encrypted, password))
        except ValueError as exc:
            raise OpsError(f"{keystore}: wrong password or damaged keystore") from exc
    key = os.environ.get("TPP_PRIVATE_KEY")
    if key:
        try:
            return Account.from_key(key)
        except (ValueError, TypeError) as exc:
            raise OpsError("TPP_PRIVATE_KEY is not a private key (64 hex digits)") from exc
    return None


def open_chain(
    rpc: str | None = None,
    embedded: bool = False,
    keystore: Path | None = None,
    root: Path = DEFAULT_ROOT,
    prompt=None,
    *,
    read_only: bool = False,
) -> Chain:
    """The chain a command works on: --embedded, --rpc URL, or the running devnet (default).
    On an RPC, the sender is the keystore / TPP_PRIVATE_KEY account (`read_only`: none needed);
    on the devnet, a funded local actor ("keeper") unless an account is given."""
    if embedded:
        return Chain.embedded()
    account = account_from_environment(keystore, prompt=prompt)
    chain: Chain
    if rpc:
        chain = Chain.rpc(rpc)
        if account is None and read_only:
            chain.set_sender(ZERO)  # views only: eth_call needs a `from`
            return chain
        if account is None:
            raise OpsError(f"{rpc}: no account to send with; set TPP_PRIVATE_KEY or pass --keystore FILE")
    else:
        chain = devnet_chain(root)
    if account is not None:
        chain.set_sender(chain.add_account(account))
    elif chain.is_local:
        chain.set_sender(chain.actor("keeper"))
    return chain
