"""The built-in algorithms, registered through the same entry point a third party uses."""
from . import adv_bias, dsu, erm, mixstyle, randconv  # noqa: F401  (each module registers its algorithm on import)
