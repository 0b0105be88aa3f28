"""Launchers: where jobs run. Each dispatches job folders (OUT/jobs/<id>, each a `cmrbench run-job` command).

A launcher is `launch(dirs, device, options) -> summaries`, registered by name (entry-point group
`cmrbench.launchers`); `options` are the suite's `launcher:` mapping without its name. One file per launcher.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from ..errors import CmrbenchError
from ..registry import Registry

Launch = Callable[[Sequence[Path], str, dict[str, Any]], list[dict[str, Any]]]


def _discover() -> None:
    from ..plugins import load_builtin

    load_builtin("cmrbench.launchers", "benchmark.launchers.builtin", LAUNCHERS)


LAUNCHERS: Registry[Launch] = Registry("launcher", discover=_discover)


Describe = Callable[[Sequence[Path], str, dict[str, Any]], str]


class NoOptions(BaseModel):
    """A launcher that takes no options."""

    model_config = ConfigDict(extra="forbid")


def register_launcher(name: str, describe: Describe | None = None, extra: str | None = None,
                      options: type[BaseModel] = NoOptions) -> Callable[[Launch], Launch]:
    """Decorator: register a launcher under `name`; `options` validates the suite's `launcher:` settings,
    `describe` says what a --dry-run would submit, `extra` which pip extra installs what it needs."""

    def wrap(fn: Launch) -> Launch:
        LAUNCHERS.add(name, fn, describe=describe, extra=extra, options=options)
        return fn

    return wrap


def launcher_options(name: str, options: dict[str, Any]) -> Any:
    """The launcher's options, validated by the model it registered; one line naming every bad key."""
    from ..suite.loading import describe_errors

    model = LAUNCHERS.entry(name).meta.get("options") or NoOptions
    try:
        return model.model_validate(options)
    except ValidationError as exc:
        raise CmrbenchError(f"launcher '{name}': {describe_errors(exc)}") from None


def describe_launch(spec: Any, dirs: Sequence[Path], device: str) -> str:
    """What launching these job folders would do: the launcher's own account, or the run-job commands."""
    describe = LAUNCHERS.entry(spec.name).meta.get("describe")
    if describe is not None:
        return str(describe(dirs, device, spec.options))
    return "\n".join(f"cmrbench run-job {d} --device {device}" for d in dirs)


def needs_extra(module: str, extra: str, launcher: str) -> Any:
    """Import an optional dependency, or say which extra installs it."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError:
        raise CmrbenchError(f"launcher '{launcher}' needs the {module} package: pip install 'cmrbench[{extra}]'") \
            from None
