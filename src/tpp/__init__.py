"""tpp: Token Programme Proposals made real — capped-minter programmes under GAP-set bounds."""

__version__ = "0.1.0"
