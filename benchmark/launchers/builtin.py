"""The built-in launchers (each in its own module; importing this registers them)."""
from __future__ import annotations

from . import gpus, local, ray, slurm  # noqa: F401  (registration side effects)
