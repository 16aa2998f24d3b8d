"""The tpp system on a chain: the governance stand-in, the programme layer (implementations and factory) and the whole local stack in one call."""
