"""Programme specs in TOML: read, validated, checked against the contracts' rules, explained. Loads no EVM (a layer contract checks it), so `tpp check` starts fast."""
