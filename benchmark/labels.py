"""Canonical label scheme and the per-dataset conventions that map onto it."""
from __future__ import annotations

import numpy as np

BACKGROUND, LV, MYO, RV = 0, 1, 2, 3
STRUCTURES: dict[str, int] = {"LV": LV, "MYO": MYO, "RV": RV}
NUM_CLASSES = 4

# raw label value -> canonical value, per on-disk convention
CONVENTIONS: dict[str, dict[int, int]] = {
    "canonical": {0: 0, 1: LV, 2: MYO, 3: RV},
    "acdc": {0: 0, 1: RV, 2: MYO, 3: LV},
}


def convention(name: str) -> dict[int, int]:
    """The raw -> canonical mapping of a label convention."""
    from .errors import CmrbenchError

    try:
        return CONVENTIONS[name]
    except KeyError:
        raise CmrbenchError(f"unknown label convention '{name}' (known: {', '.join(CONVENTIONS)})") from None


def to_canonical(label: np.ndarray, name: str) -> np.ndarray:
    """Map a raw label array to canonical values (uint8); values outside the convention raise ValueError."""
    mapping = convention(name)
    lut = np.full(256, 255, dtype=np.uint8)
    for raw, canon in mapping.items():
        lut[raw] = canon
    values = np.asarray(label)
    if np.issubdtype(values.dtype, np.floating):
        if not np.isfinite(values).all() or (values != np.round(values)).any():
            raise ValueError("non-integer label values (a label map holds whole numbers)")
    if values.size and (values.min() < 0 or values.max() > 255):
        raise ValueError(f"label values outside 0..255 (min {values.min()}, max {values.max()})")
    out = lut[values.astype(np.int64)]
    if (out == 255).any():
        bad = sorted(set(np.unique(values[out == 255]).tolist()))
        raise ValueError(f"found {bad}, expected {sorted(mapping)} ({name} convention)")
    return out


def from_canonical(label: np.ndarray, name: str) -> np.ndarray:
    """Map canonical labels back to a dataset's own convention (for writing predictions)."""
    inverse = {c: r for r, c in convention(name).items()}
    lut = np.zeros(NUM_CLASSES, dtype=np.uint8)
    for canon, raw in inverse.items():
        lut[canon] = raw
    return lut[np.asarray(label, dtype=np.int64)]


def parse_present(text: object) -> tuple[str, ...]:
    """Structures listed in a manifest's `labels_present` cell ('LV;MYO')."""
    if text is None or (isinstance(text, float) and np.isnan(text)):
        return ()
    parts = [p.strip().upper() for p in str(text).replace(",", ";").split(";") if p.strip()]
    return tuple(p for p in STRUCTURES if p in parts)
