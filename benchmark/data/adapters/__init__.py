"""Dataset adapters, registered by name: each scans one layout as downloaded into a manifest."""
from __future__ import annotations

from typing import TYPE_CHECKING

from ...registry import Registry

if TYPE_CHECKING:
    from .base import Adapter

DATASETS: Registry[type[Adapter]] = Registry("dataset")


def _load_builtins() -> None:
    from . import acdc, manifest_csv, mnms, mnms2, ukbb  # noqa: F401  (registration side effects)


_load_builtins()


def get_adapter(name: str):
    """An instance of the adapter registered under `name`."""
    return DATASETS.get(name)()
