"""A generic name -> object registry with aliases, wildcards, origins and did-you-mean errors."""
from __future__ import annotations

import contextlib
import contextvars
import difflib
import fnmatch
import inspect
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar, cast

from .errors import CmrbenchError, UnknownNameError

T = TypeVar("T")

_current_origin: contextvars.ContextVar[str | None] = contextvars.ContextVar("origin", default=None)


@contextlib.contextmanager
def registering_from(origin: str) -> Iterator[None]:
    """Attribute every registration made inside the block to `origin` (a plugin's name)."""
    token = _current_origin.set(origin)
    try:
        yield
    finally:
        _current_origin.reset(token)


@dataclass(frozen=True)
class Entry(Generic[T]):
    """One registered object with its canonical name, aliases and where it came from."""

    name: str
    obj: T
    origin: str
    aliases: tuple[str, ...] = ()
    meta: dict = field(default_factory=dict, compare=False)


class Registry(Generic[T]):
    """Objects registered under unique names; `discover` runs once before the first lookup."""

    def __init__(self, kind: str, discover: Callable[[], None] | None = None) -> None:
        self.kind = kind
        self._entries: dict[str, Entry[T]] = {}
        self._aliases: dict[str, str] = {}
        self._discover = discover
        self._discovered = discover is None
        self._namespaces: dict[str, Entry[Callable[[str], T]]] = {}

    def _ensure_discovered(self) -> None:
        if not self._discovered:
            self._discovered = True
            assert self._discover is not None
            self._discover()

    def add(self, name: str, obj: T, *, aliases: tuple[str, ...] | list[str] = (), origin: str | None = None,
            **meta: object) -> T:
        """Register `obj` under `name` and its aliases; a name taken already is an error."""
        origin = origin or _current_origin.get() or getattr(obj, "__module__", "unknown") or "unknown"
        for key in (name, *aliases):
            if key in self._entries or key in self._aliases:
                owner = self._entries.get(key) or self._entries[self._aliases[key]]
                raise CmrbenchError(
                    f"{self.kind} '{key}' is registered twice (first by {owner.origin}, again by {origin})")
        self._entries[name] = Entry(name, obj, origin, tuple(aliases), dict(meta))
        for alias in aliases:
            self._aliases[alias] = name
        return obj

    def add_namespace(self, prefix: str, resolve: Callable[[str], T], *, origin: str | None = None,
                      pattern: str = "", **meta: object) -> None:
        """Let names 'prefix:rest' resolve through `resolve(rest)` (e.g. smp:unet:resnet34)."""
        origin = origin or _current_origin.get() or cast(str, getattr(resolve, "__module__", "unknown"))
        if prefix in self._namespaces:
            raise CmrbenchError(f"{self.kind} namespace '{prefix}:' is registered twice "
                                f"(first by {self._namespaces[prefix].origin}, again by {origin})")
        self._namespaces[prefix] = Entry(f"{prefix}:{pattern or '*'}", resolve, origin, (), dict(meta))

    def namespaces(self) -> list[Entry[Callable[[str], T]]]:
        """Registered prefix namespaces, with their origin."""
        self._ensure_discovered()
        return [self._namespaces[k] for k in sorted(self._namespaces)]

    def register(self, name: str | None = None, *, aliases: tuple[str, ...] | list[str] = (),
                 **meta: Any) -> Callable[[T], T]:
        """Decorator form of `add`; the name defaults to the function's name."""

        def deco(obj: T) -> T:
            return self.add(name or cast(Any, obj).__name__, obj, aliases=aliases, **meta)

        return deco

    def remove(self, name: str) -> None:
        """Forget a name and its aliases (for tests and interactive re-registration)."""
        entry = self._entries.pop(self._aliases.get(name, name))
        for alias in entry.aliases:
            self._aliases.pop(alias, None)

    def resolve(self, name: str) -> str:
        """The canonical name behind `name` or an alias; unknown names raise with suggestions."""
        self._ensure_discovered()
        if name in self._entries:
            return name
        if name in self._aliases:
            return self._aliases[name]
        known = sorted([*self._entries, *self._aliases])
        close = difflib.get_close_matches(name, known, n=3, cutoff=0.5)
        hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
        known_names = sorted(self._entries) + [e.name for e in self._namespaces.values()]
        listing = "" if close else f" (known: {', '.join(known_names) or 'none'})"
        from .plugins import broken_plugins_note

        raise UnknownNameError(f"unknown {self.kind} '{name}'{hint}{listing}{broken_plugins_note()}")

    def entry(self, name: str) -> Entry[T]:
        """The entry for a name or alias."""
        return self._entries[self.resolve(name)]

    def get(self, name: str) -> T:
        """The object registered under a name or alias, or resolved through a 'prefix:' namespace."""
        self._ensure_discovered()
        prefix, sep, rest = name.partition(":")
        if sep and prefix in self._namespaces:
            return self._namespaces[prefix].obj(rest)
        return self.entry(name).obj

    def __contains__(self, name: object) -> bool:
        self._ensure_discovered()
        return name in self._entries or name in self._aliases

    def names(self, pattern: str = "*", *, include_aliases: bool = False) -> list[str]:
        """Sorted names matching a shell-style wildcard pattern."""
        self._ensure_discovered()
        pool = [*self._entries, *(self._aliases if include_aliases else ())]
        return sorted(n for n in pool if fnmatch.fnmatchcase(n, pattern))

    def entries(self, pattern: str = "*") -> list[Entry[T]]:
        """Entries whose canonical name matches the pattern, sorted by name."""
        return [self._entries[n] for n in self.names(pattern)]


def check_arguments(what: str, factory: Callable[..., Any], kwargs: Mapping[str, Any]) -> None:
    """Raise a CmrbenchError naming any argument `factory`'s signature does not accept (`what` starts it)."""
    try:
        signature = inspect.signature(factory)
    except (TypeError, ValueError):  # no signature to check against (some builtins, C extensions)
        return
    params = signature.parameters
    if not any(p.kind is p.VAR_KEYWORD for p in params.values()):
        unknown = [k for k in kwargs if k not in params or params[k].kind is inspect.Parameter.POSITIONAL_ONLY]
        if unknown:
            accepted = ", ".join(k for k, p in params.items() if p.kind not in (p.VAR_POSITIONAL, p.POSITIONAL_ONLY))
            raise CmrbenchError(f"{what}: unknown argument(s) {', '.join(repr(k) for k in unknown)} "
                                f"(it takes {accepted or 'no keyword arguments'})")
    try:
        signature.bind(**kwargs)
    except TypeError as exc:
        raise CmrbenchError(f"{what}: {exc}") from None
