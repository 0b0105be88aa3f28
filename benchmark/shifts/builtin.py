"""The built-in shifts (each family in its own module; importing this registers them)."""
from __future__ import annotations

from . import acquisition, artefacts, intensity  # noqa: F401  (registration side effects)
