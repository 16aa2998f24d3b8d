"""The charts the demo, `tpp plan` and `tpp sim` share (inline SVG), and the demo's HTML report. Imports only `tpp.base`."""
