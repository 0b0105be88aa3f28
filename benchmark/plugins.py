"""Plugin discovery: entry points of installed packages and local plugin files, failures reported by name."""
from __future__ import annotations

import importlib
import importlib.util
import sys
from dataclasses import dataclass
from importlib.metadata import entry_points
from pathlib import Path
from types import ModuleType

from .errors import CmrbenchError
from .registry import Registry, registering_from

BUILTIN = "built-in"


@dataclass(frozen=True)
class BrokenPlugin:
    """An entry point that failed to load, and why."""

    group: str
    name: str
    target: str
    error: str


BROKEN: list[BrokenPlugin] = []
_loaded_files: dict[Path, ModuleType] = {}


def _origin(ep) -> str:  # type: ignore[no-untyped-def]
    dist = getattr(ep, "dist", None)
    if dist is None:
        return ep.value
    return BUILTIN if dist.name == "cmrbench" else f"{dist.name} {dist.version}"


def _register(ep, obj: object, registry: Registry | None) -> None:  # type: ignore[no-untyped-def]
    """A module registers itself on import; a factory is registered under the entry point's name."""
    if isinstance(obj, ModuleType):
        return
    if not callable(obj):
        raise CmrbenchError(f"{ep.value} is neither a module (which registers on import) nor a factory "
                            f"(registered as '{ep.name}'), but a {type(obj).__name__}")
    if registry is None:
        raise CmrbenchError(f"{ep.value}: group {ep.group} takes modules only")
    if ep.name in registry and registry.get(ep.name) is obj:
        return  # the factory's own module registered it under the same name
    registry.add(ep.name, obj)


def load_entry_points(group: str, registry: Registry | None = None) -> list[str]:
    """Load every plugin of an entry-point group; a failing one is recorded and the rest still load.

    An entry point names a module (`mynet = "pkg.nets"`, which registers on import) or a factory
    (`mynet = "pkg.nets:build"`, registered in `registry` under the entry point's name).
    """
    loaded = []
    for ep in sorted(entry_points(group=group), key=lambda e: e.name):
        try:
            with registering_from(_origin(ep)):
                _register(ep, ep.load(), registry)
            loaded.append(ep.value)
        except Exception as exc:  # a plugin's bug must not take the harness down
            BROKEN.append(BrokenPlugin(group, ep.name, ep.value, f"{type(exc).__name__}: {exc}"))
    return loaded


def load_builtin(group: str, module: str, registry: Registry | None = None) -> None:
    """Load plugins of `group`; import the built-in module directly when no metadata names it (source checkout)."""
    loaded = load_entry_points(group, registry)
    if module not in loaded and module not in sys.modules:
        with registering_from(BUILTIN):
            importlib.import_module(module)


def load_plugin_file(path: str | Path) -> ModuleType:
    """Import a local Python file of plugins (a suite's `plugins:` entry); errors name the file."""
    path = Path(path).resolve()
    if path in _loaded_files:
        return _loaded_files[path]
    if not path.is_file():
        raise CmrbenchError(f"plugin file {path}: no such file")
    spec = importlib.util.spec_from_file_location(f"cmrbench_plugin_{path.stem}", path)
    if spec is None or spec.loader is None:
        raise CmrbenchError(f"plugin file {path}: not a Python file")
    module = importlib.util.module_from_spec(spec)
    try:
        with registering_from(str(path)):
            spec.loader.exec_module(module)
    except CmrbenchError:
        raise
    except Exception as exc:
        raise CmrbenchError(f"plugin file {path} failed to load: {type(exc).__name__}: {exc}") from None
    _loaded_files[path] = module
    return module


def broken_plugins_note() -> str:
    """A sentence naming the plugins that failed to load (empty when none did)."""
    if not BROKEN:
        return ""
    return "; plugins that failed to load: " + ", ".join(f"{b.name} ({b.error})" for b in BROKEN)
