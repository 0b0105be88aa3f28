"""Per-case metrics: Dice, HD95 and ASSD in mm (medpy's definitions), volumes in mL, empty-mask rules.

Surfaces are the voxels of a mask that touch the background (6-connectivity; the array border counts
as background, as in medpy). Distances use the header spacing and are computed with
scipy.ndimage.distance_transform_edt on a crop around both structures (one voxel of margin keeps the
result identical to the full-volume computation).
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from .labels import STRUCTURES

_SIX = ndimage.generate_binary_structure(3, 1)


@dataclass(frozen=True)
class StructureScore:
    """Scores of one structure in one case."""

    structure: str
    dice: float
    hd95_mm: float
    assd_mm: float
    vol_pred_ml: float
    vol_ref_ml: float


def dice(pred: np.ndarray, ref: np.ndarray) -> float:
    """2 |A and B| / (|A| + |B|); NaN when both are empty."""
    a, b = int(pred.sum()), int(ref.sum())
    if a + b == 0:
        return float("nan")
    return 2.0 * int(np.logical_and(pred, ref).sum()) / (a + b)


def _crop(pred: np.ndarray, ref: np.ndarray) -> tuple[slice, ...]:
    coords = np.argwhere(pred | ref)
    lo = np.maximum(coords.min(0) - 1, 0)
    hi = np.minimum(coords.max(0) + 2, pred.shape)
    return tuple(slice(int(a), int(b)) for a, b in zip(lo, hi))


def _surface(mask: np.ndarray) -> np.ndarray:
    return mask & ~ndimage.binary_erosion(mask, structure=_SIX, border_value=0)


def surface_distances(pred: np.ndarray, ref: np.ndarray, spacing: Iterable[float]) -> tuple[np.ndarray, np.ndarray]:
    """Distances (mm) from each surface voxel of pred to ref's surface, and from ref's to pred's."""
    pred, ref = pred.astype(bool), ref.astype(bool)
    window = _crop(pred, ref)
    p, r = pred[window], ref[window]
    # a mask touching the crop edge but not the array edge would gain a false surface: the crop keeps
    # one voxel of margin, except where the structure already touches the array border (medpy's case)
    sp, sr = _surface(p), _surface(r)
    spacing = tuple(float(s) for s in spacing)
    dt_r = ndimage.distance_transform_edt(~sr, sampling=spacing)
    dt_p = ndimage.distance_transform_edt(~sp, sampling=spacing)
    return dt_r[sp], dt_p[sr]


def hd95_assd(pred: np.ndarray, ref: np.ndarray, spacing: Iterable[float]) -> tuple[float, float]:
    """HD95 and ASSD: the 95th percentile and the mean of both directions' distances pooled (medpy 0.5)."""
    a, b = surface_distances(pred, ref, spacing)
    pooled = np.hstack([a, b])
    return float(np.percentile(pooled, 95)), float(pooled.mean())


def diagonal_mm(shape: tuple[int, ...], spacing: Iterable[float]) -> float:
    """The image's diagonal in mm: the distance given to a missed structure."""
    return float(np.sqrt(sum((n * s) ** 2 for n, s in zip(shape, spacing))))


def score_structures(pred: np.ndarray, ref: np.ndarray, spacing: tuple[float, float, float],
                     present: Iterable[str] = tuple(STRUCTURES)) -> list[StructureScore]:
    """Scores per annotated structure; none for a structure absent from both; a miss gets Dice 0 and the diagonal."""
    ml = float(np.prod(spacing)) / 1000.0
    out = []
    for name in present:
        value = STRUCTURES[name]
        p, r = pred == value, ref == value
        n_p, n_r = int(p.sum()), int(r.sum())
        if n_p == 0 and n_r == 0:
            continue
        if n_p == 0 or n_r == 0:
            d = diagonal_mm(pred.shape, spacing)
            out.append(StructureScore(name, 0.0, d, d, n_p * ml, n_r * ml))
            continue
        hd, assd = hd95_assd(p, r, spacing)
        out.append(StructureScore(name, dice(p, r), hd, assd, n_p * ml, n_r * ml))
    return out
