"""The policy registry and API: create, list and register augmentation policies (built-in and plugins)."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..registry import Registry, check_arguments
from .policy import Policy

PolicyFactory = Callable[..., Policy]


def _discover() -> None:
    from ..plugins import load_builtin

    load_builtin("cmrbench.policies", "benchmark.augment.policies", POLICIES)


POLICIES: Registry[PolicyFactory] = Registry("policy", discover=_discover)


def register_policy(name: str | None = None, *, aliases: tuple[str, ...] = ()) -> Callable[[PolicyFactory],
                                                                                           PolicyFactory]:
    """Decorator for a policy factory (kwargs such as crop) returning a Policy."""
    return POLICIES.register(name, aliases=aliases)


def create_policy(name: str, **kwargs: Any) -> Policy:
    """Build a registered policy: policy(images[B,1,H,W], labels[B,H,W], generator) -> (images, labels)."""
    factory = POLICIES.get(name)
    check_arguments(f"policy '{name}'", factory, kwargs)
    policy = factory(**kwargs)
    policy.name = policy.name or name
    return policy


def list_policies(pattern: str = "*") -> list[str]:
    """Registered policy names matching a wildcard."""
    return POLICIES.names(pattern)
