"""The bottom layer: errors (one root), the on-chain vocabulary, and units. Imports nothing
else of tpp."""
