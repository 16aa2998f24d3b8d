"""`python -m tpp.cli`."""

from tpp.cli import main

main()
