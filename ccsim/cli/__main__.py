"""``python -m ccsim.cli``."""
from . import main

main()
