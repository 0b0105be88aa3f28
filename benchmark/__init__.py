"""cmrbench: a benchmarking harness for domain generalization in cardiac MR segmentation."""
from __future__ import annotations

from typing import Any

__version__ = "0.2.0.dev0"

_LAZY = {
    "load_manifest": ("benchmark.data.manifest", "load_manifest"),
    "load_case": ("benchmark.data.loader", "load_case"),
    "create_model": ("benchmark.models", "create_model"),
    "list_models": ("benchmark.models", "list_models"),
    "register_model": ("benchmark.models", "register_model"),
    "count_parameters": ("benchmark.models", "count_parameters"),
    "create_policy": ("benchmark.augment.registry", "create_policy"),
    "list_policies": ("benchmark.augment.registry", "list_policies"),
    "register_policy": ("benchmark.augment.registry", "register_policy"),
    "Algorithm": ("benchmark.algorithms", "Algorithm"),
    "create_algorithm": ("benchmark.algorithms", "create_algorithm"),
    "list_algorithms": ("benchmark.algorithms", "list_algorithms"),
    "register_algorithm": ("benchmark.algorithms", "register_algorithm"),
}


def __getattr__(name: str) -> Any:
    """Import the public API lazily so `import benchmark` stays instant."""
    if name in _LAZY:
        import importlib

        module, attr = _LAZY[name]
        return getattr(importlib.import_module(module), attr)
    raise AttributeError(f"module 'benchmark' has no attribute '{name}'")


__all__ = list(_LAZY)
