"""The demo's narrated runs on a real chain: the foundation story and the programme story `tpp demo` tells."""
