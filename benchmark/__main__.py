"""`python -m benchmark` runs the command line."""
from .cli import main

main()
