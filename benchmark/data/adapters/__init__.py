"""Dataset adapters, registered by name: each scans one layout as downloaded into a manifest."""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from ...registry import Registry

if TYPE_CHECKING:
    from .base import Adapter, IndexResult

DATASETS: Registry[type[Adapter]] = Registry("dataset")


def _load_builtins() -> None:
    from . import acdc, manifest_csv, mnms, mnms2, ukbb  # noqa: F401  (registration side effects)


_load_builtins()


def get_adapter(name: str):
    """An instance of the adapter registered under `name`."""
    return DATASETS.get(name)()


def index_dataset(name: str, root: Path) -> IndexResult:
    """Index `root` with adapter `name`; a case found twice is reported and left out (any adapter, plugins too)."""
    from ...errors import CmrbenchError
    from ..problems import DataError
    from .base import unique_cases

    adapter = get_adapter(name)
    try:
        return unique_cases(adapter.index(Path(root)))
    except DataError as err:
        raise CmrbenchError(f"data set {root} ({name}): {err.problem.line()}") from None
    except OSError as exc:
        raise CmrbenchError(f"data set {root} ({name}): {exc.strerror or exc}") from None
