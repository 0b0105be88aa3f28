"""The model registry and API: create, list and register networks (built-in, plugins, smp:ARCH:ENCODER)."""
from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from .registry import Registry, check_arguments

ModelFactory = Callable[..., Any]  # (in_channels, num_classes, **kwargs) -> torch.nn.Module


def _discover() -> None:
    from .plugins import load_builtin

    load_builtin("cmrbench.models", "models_zoo", MODELS)


MODELS: Registry[ModelFactory] = Registry("model", discover=_discover)


def register_model(name: str | None = None, *, aliases: tuple[str, ...] = (),
                   variants: dict[str, dict[str, Any]] | None = None) -> Callable[[ModelFactory], ModelFactory]:
    """Decorator for a model factory; `variants` registers preset names (e.g. {'unet16': {'width': 16}})."""

    def deco(factory: ModelFactory) -> ModelFactory:
        MODELS.add(name or factory.__name__, factory, aliases=aliases)
        for variant, preset in (variants or {}).items():
            MODELS.add(variant, functools.partial(factory, **preset), preset=preset, base=name or factory.__name__)
        return factory

    return deco


def create_model(name: str, in_channels: int = 1, num_classes: int = 4, **kwargs: Any):
    """Build a registered network: returns a torch.nn.Module mapping [B, C, H, W] to [B, classes, H, W].

    Arguments the factory does not accept raise CmrbenchError; errors raised inside the model's own
    code (a TypeError included) propagate unchanged.
    """
    factory = MODELS.get(name)
    arguments = {"in_channels": in_channels, "num_classes": num_classes, **kwargs}
    check_arguments(f"model '{name}'", factory, arguments)
    return factory(**arguments)


def list_models(pattern: str = "*") -> list[str]:
    """Registered model names matching a wildcard (namespaces such as smp: are listed as 'smp:*')."""
    import fnmatch

    names = MODELS.names(pattern)
    names += [e.name for e in MODELS.namespaces() if fnmatch.fnmatchcase(e.name, pattern)]
    return sorted(names)


def count_parameters(model) -> int:  # type: ignore[no-untyped-def]
    """Number of trainable weights."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)
