"""A policy defined in a suite's YAML: operations by name with their parameters, every key checked."""
from __future__ import annotations

import inspect
from collections.abc import Mapping
from typing import Any

from ..errors import CmrbenchError
from .ops import OPS, Op, ParameterError, RandomCrop
from .policy import Policy


def _accepted(cls: type[Op]) -> list[str]:
    params = inspect.signature(cls).parameters.values()
    return [p.name for p in params if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]


def build_op(spec: Any, where: str) -> Op:
    """One operation from {op: NAME, key: value, ...}; errors start with `where` (e.g. "policy 'x': ops[1]")."""
    if not isinstance(spec, Mapping) or "op" not in spec:
        raise CmrbenchError(f"{where} must be a mapping with an 'op' key, e.g. {{op: rotate, degrees: 15}}")
    name = str(spec["op"])
    try:
        cls = OPS.get(name)
    except CmrbenchError as exc:
        raise CmrbenchError(f"{where}: {exc}") from None
    kwargs = {str(k): v for k, v in spec.items() if k != "op"}
    accepted = _accepted(cls)
    for key in kwargs:
        if key not in accepted:
            raise CmrbenchError(f"{where} ({name}).{key}: unknown parameter ({name} takes {', '.join(accepted)})")
    try:
        return cls(**kwargs)
    except ParameterError as exc:
        raise CmrbenchError(f"{where} ({name}).{exc.key}: {exc.reason}") from None


def policy_from_config(config: Mapping[str, Any], name: str = "custom", crop: int | None = None) -> Policy:
    """A policy defined in YAML: {resample: bool, ops: [{op: rotate, degrees: 30, p: 0.5}, ...]}."""
    unknown = set(config) - {"resample", "ops"}
    if unknown:
        raise CmrbenchError(f"policy '{name}': unknown key(s) {sorted(unknown)} (expected resample, ops)")
    resample = config.get("resample", True)
    if not isinstance(resample, bool):
        raise CmrbenchError(f"policy '{name}'.resample: must be true or false, got {resample!r}")
    specs = config.get("ops", []) or []
    if not isinstance(specs, list):
        raise CmrbenchError(f"policy '{name}'.ops: must be a list of operations, got {specs!r}")
    ops = [build_op(spec, f"policy '{name}': ops[{i}]") for i, spec in enumerate(specs)]
    if crop and not any(isinstance(o, RandomCrop) for o in ops):
        ops.append(OPS.get("random_crop")(size=crop))
    return Policy(ops, resample=resample, name=name)
