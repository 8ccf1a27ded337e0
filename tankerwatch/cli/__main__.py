"""`python -m tankerwatch.cli`: the same as the `tankerwatch` command."""

from tankerwatch.cli import main

main()
