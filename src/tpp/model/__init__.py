"""What a programme is, independent of any chain: the shape a TPP vote carries to the factory
(`programme.ProgrammeSpec`) and the mechanism kinds (`kinds`: one plug-in module per kind,
registered in one place). Imports only `tpp.base`, so specs and plans load no EVM.
"""
