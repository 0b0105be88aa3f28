"""Graded test-time shifts: a named change of an acquired image at severities 1-5, deterministic per case.

A shift is `fn(image, spacing, severity, rng) -> image` on a magnitude image [X, Y, Z] as read from disk (before
resampling and normalisation), registered with `register_shift(name, kind, levels)`; the label never changes.
Entry-point group `cmrbench.shifts`; one file per family (acquisition, artefacts, intensity).
"""
from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

import numpy as np

from ..registry import Registry

SEVERITIES = (1, 2, 3, 4, 5)
KINDS = ("spatial", "intensity", "artefact", "acquisition")
Shift = Callable[[np.ndarray, tuple[float, float, float], int, np.random.Generator], np.ndarray]


def _discover() -> None:
    from ..plugins import load_builtin

    load_builtin("cmrbench.shifts", "benchmark.shifts.builtin", SHIFTS)


SHIFTS: Registry[Shift] = Registry("shift", discover=_discover)


def register_shift(name: str, kind: str, levels: str) -> Callable[[Shift], Shift]:
    """Decorator: register a shift; `kind` groups it (spatial, intensity, artefact, acquisition), `levels` says
    in words what severities 1-5 are and where the numbers come from."""
    if kind not in KINDS:
        raise ValueError(f"shift kind {kind!r} is not one of {KINDS}")

    def wrap(fn: Shift) -> Shift:
        SHIFTS.add(name, fn, kind=kind, levels=levels)
        return fn

    return wrap


def case_rng(name: str, seed: int, case: str) -> np.random.Generator:
    """The generator of one shift on one case: the same wherever and whenever it runs, and the same at every
    severity (the draws, e.g. a band's angle or the noise, are shared, so only the level changes)."""
    digest = hashlib.sha256(f"{name}\0{seed}\0{case}".encode()).digest()
    return np.random.default_rng(int.from_bytes(digest[:8], "little"))


def apply_shift(name: str, image: np.ndarray, spacing: tuple[float, float, float], severity: int, seed: int,
                case: str) -> np.ndarray:
    """`image` under shift `name` at `severity` (0: unchanged), float32, finite and non-negative."""
    if severity == 0:
        return image
    if severity not in SEVERITIES:
        raise ValueError(f"severity {severity} is not 0 or one of {SEVERITIES}")
    fn = SHIFTS.get(name)
    out = fn(np.asarray(image, dtype=np.float32), spacing, severity, case_rng(name, seed, case))
    return np.clip(np.nan_to_num(out.astype(np.float32), nan=0.0, posinf=0.0), 0, None)


def shift_names(wanted: list[str]) -> list[str]:
    """The suite's `evaluation.shifts` resolved: ["all"] is every registered shift; unknown names raise."""
    if wanted == ["all"]:
        return SHIFTS.names()
    return [SHIFTS.resolve(n) for n in wanted]


def describe(name: str) -> dict[str, Any]:
    """A shift's kind and its levels, for tables and `cmrbench list shifts`."""
    meta = SHIFTS.entry(name).meta
    return {"kind": meta["kind"], "levels": meta["levels"]}
