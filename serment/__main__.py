"""`python -m serment` runs the command line."""

from serment.cli import main

main()
