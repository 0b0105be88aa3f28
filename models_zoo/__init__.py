"""Built-in network plugins, registered through the same entry point a third party uses."""
from . import fcn, smp, unet  # noqa: F401  (each module registers its models on import)
