"""Reading a suite file: bounded safe YAML, `--set` overrides and one-line validation errors."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ..errors import CmrbenchError
from ..safe_yaml import load_file, load_text, one_line
from .schema import TAGS, Suite

MAX_ERRORS = 5  # validation problems listed in the one-line message


def _parse_value(item: str, value: str) -> Any:
    return load_text(value, f"--set {one_line(item, 80)}")


def apply_overrides(raw: dict, overrides: list[str]) -> dict:
    """Apply --set a.b.c=value (value parsed as YAML, with the suite's limits) to the raw suite mapping."""
    for item in overrides:
        shown = f"--set {one_line(item, 80)}"
        if "=" not in item:
            raise CmrbenchError(f"{shown}: expected KEY=VALUE, e.g. training.iterations=20")
        key, value = item.split("=", 1)
        parts = key.strip().split(".")
        if not all(parts):
            raise CmrbenchError(f"{shown}: the key {one_line(key.strip(), 80)!r} has an empty part; expected "
                                "KEY=VALUE with KEY like training.iterations or models.0.name")
        node: Any = raw
        for i, p in enumerate(parts):
            last = i == len(parts) - 1
            if isinstance(node, list):
                if not p.isdigit() or int(p) >= len(node):
                    where = f"0..{len(node) - 1}" if node else "the list is empty"
                    raise CmrbenchError(f"{shown}: '{one_line(p, 40)}' is not an index of that list ({where})")
                if last:
                    node[int(p)] = _parse_value(item, value)
                else:
                    node = node[int(p)]
            elif isinstance(node, dict):
                if last:
                    node[p] = _parse_value(item, value)
                else:
                    node = node.setdefault(p, {})
            else:
                raise CmrbenchError(f"{shown}: '{one_line(parts[i - 1], 40)}' holds a value, not a mapping or list")
    return raw


def _policy_specs(raw: dict) -> None:
    """Allow `policies: [paper, none]` as shorthand for [{name: paper}, {name: none}]."""
    for key in ("policies", "models"):
        items = raw.get(key)
        if isinstance(items, list):
            raw[key] = [{"name": i} if isinstance(i, str) else i for i in items]


def describe_errors(exc: ValidationError) -> str:
    """Pydantic's errors as 'key.path: message; ...' on one line, the first MAX_ERRORS of them."""
    lines = []
    for err in exc.errors():
        where = one_line(".".join(str(x) for x in err["loc"] if x not in TAGS), 120) or "(top level)"
        msg = "unknown key" if err["type"] == "extra_forbidden" else err["msg"].removeprefix("Value error, ")
        lines.append(f"{where}: {one_line(msg)}")
    more = len(lines) - MAX_ERRORS
    return "; ".join(lines[:MAX_ERRORS]) + (f"; and {more} more" if more > 0 else "")


def load_suite(path: str | Path, overrides: list[str] | None = None) -> tuple[Suite, Path]:
    """Read and validate a suite YAML (safe_load with size, depth and alias limits; nothing in it is evaluated).

    Every problem is one CmrbenchError line that names the file or --set item and the key.
    """
    path = Path(path)
    if not path.is_file():
        raise CmrbenchError(f"suite {path}: no such file")
    raw = load_file(path, f"suite {path}")
    if raw is None:
        raise CmrbenchError(f"suite {path}: the file is empty; a suite needs at least name, data and training")
    if not isinstance(raw, dict):
        raise CmrbenchError(f"suite {path}: the top level must be a mapping")
    _policy_specs(raw)  # before overrides (so policies.0.name works) and after (so policies=[a, b] works)
    raw = apply_overrides(raw, overrides or [])
    _policy_specs(raw)
    try:
        return Suite.model_validate(raw), path.parent.resolve()
    except ValidationError as exc:
        raise CmrbenchError(f"suite {path}: {describe_errors(exc)}") from None
    except RecursionError:  # the loader's depth limit comes first; a last resort
        raise CmrbenchError(f"suite {path}: nested too deeply") from None
