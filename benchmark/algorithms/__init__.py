"""Training algorithms (DomainBed's split of concerns): how a batch updates the model and how it predicts.

An algorithm is an `Algorithm` subclass registered with `register_algorithm(name)`; its keyword-only
`__init__` arguments are its hyperparameters, with its paper's defaults. Entry-point group
`cmrbench.algorithms`; suite key `algorithms:`, crossed with models x policies x seeds. One file per algorithm.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from ..losses import Loss
from ..registry import Registry
from .base import Algorithm

DEFAULT = "erm"


def _discover() -> None:
    from ..plugins import load_builtin

    load_builtin("cmrbench.algorithms", "benchmark.algorithms.builtin", ALGORITHMS)


ALGORITHMS: Registry[type[Algorithm]] = Registry("algorithm", discover=_discover)


def register_algorithm(name: str | None = None, *, aliases: tuple[str, ...] = ()
                       ) -> Callable[[type[Algorithm]], type[Algorithm]]:
    """Class decorator: register an Algorithm subclass under `name` (default: the class name, lower case)."""

    def deco(cls: type[Algorithm]) -> type[Algorithm]:
        if not (isinstance(cls, type) and issubclass(cls, Algorithm)):
            raise TypeError(f"algorithm {name or cls!r}: register an Algorithm subclass")
        ALGORITHMS.add(name or cls.__name__.lower(), cls, aliases=aliases)
        return cls

    return deco


def _fits(value: Any, default: Any) -> bool:
    """Whether a suite's value has the kind of the declared default (numbers for numbers, lists for tuples)."""
    if default is None:
        return True
    if isinstance(default, bool):
        return isinstance(value, bool)
    if isinstance(default, (int, float)):
        return isinstance(value, (int, float)) and not isinstance(value, bool) and value == value
    if isinstance(default, (tuple, list)):
        return isinstance(value, (tuple, list))
    return isinstance(value, type(default))


def check_hyperparameters(name: str, kwargs: dict[str, Any]) -> None:
    """Raise a CmrbenchError for an unknown algorithm, a hyperparameter it does not declare, or a value of
    another kind than the declared default."""
    from ..errors import CmrbenchError

    declared = ALGORITHMS.get(name).hyperparameters()
    unknown = sorted(set(kwargs) - set(declared))
    if unknown:
        listing = ", ".join(f"{k}={v!r}" for k, v in declared.items()) or "none"
        raise CmrbenchError(f"algorithm '{name}': unknown hyperparameter(s) {', '.join(map(repr, unknown))} "
                            f"(it declares {listing})")
    for key, value in kwargs.items():
        if not _fits(value, declared[key]):
            raise CmrbenchError(f"algorithm '{name}': hyperparameter {key}={value!r:.60} is not a "
                                f"{type(declared[key]).__name__} like its default {declared[key]!r}")


def create_algorithm(name: str, model: torch.nn.Module, loss: Loss, optimizer: torch.optim.Optimizer | None = None,
                     amp_dtype: torch.dtype | None = None, **kwargs: Any) -> Algorithm:
    """A registered algorithm around `model` (optimizer None: for inference only)."""
    check_hyperparameters(name, kwargs)
    return ALGORITHMS.get(name)(model, loss, optimizer, amp_dtype, **kwargs)


def list_algorithms(pattern: str = "*") -> list[str]:
    """Registered algorithm names matching a wildcard."""
    return ALGORITHMS.names(pattern)


__all__ = ["ALGORITHMS", "DEFAULT", "Algorithm", "create_algorithm", "list_algorithms", "register_algorithm"]
