"""Preprocessing shared by training and testing: in-plane resampling, crop/pad, per-slice normalisation,
and an on-disk cache of the prepared data set keyed by a hash of the settings."""
from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd
from scipy import ndimage

from .atomic import temporary_name, write_text_atomic
from .data.isolate import case_problem, image_file
from .data.loader import Case, load_case
from .data.nifti import MAX_VOXELS
from .data.problems import Problem

CACHE_VERSION = 2  # 2: prepared cases named by content digest


@dataclass(frozen=True)
class Preprocess:
    """How images are prepared: target in-plane spacing (None keeps the acquired one) and normalisation."""

    target_spacing: float | None = 1.25
    normalise: str = "zscore"  # zscore | percentile | none
    percentiles: tuple[float, float] = (1.0, 99.0)

    def key(self) -> str:
        """A short hash of the settings (and the cache format)."""
        blob = json.dumps({**asdict(self), "v": CACHE_VERSION}, sort_keys=True)
        return hashlib.sha1(blob.encode()).hexdigest()[:12]


def resample_inplane(volume: np.ndarray, spacing: tuple[float, float], target: float, *,
                     order: int) -> np.ndarray:
    """Resample a [X, Y, Z] volume in-plane to `target` mm (z untouched); 0 outside the original grid."""
    sx, sy = spacing
    shape = (max(1, int(round(volume.shape[0] * sx / target))), max(1, int(round(volume.shape[1] * sy / target))))
    if shape[0] * shape[1] * volume.shape[2] > MAX_VOXELS:
        raise ValueError(f"resampling {volume.shape} at {sx:g} x {sy:g} mm to {target:g} mm would make "
                         f"{(*shape, volume.shape[2])}, more than {MAX_VOXELS:,} voxels")
    zoom_x, zoom_y = target / sx, target / sy
    # output voxel centre i maps to input coordinate (i + 0.5) * zoom - 0.5: both grids share their extent
    matrix = np.diag([zoom_x, zoom_y, 1.0])
    offset = np.array([0.5 * zoom_x - 0.5, 0.5 * zoom_y - 0.5, 0.0])
    return ndimage.affine_transform(volume, matrix, offset, output_shape=(*shape, volume.shape[2]), order=order,
                                    mode="constant", cval=0.0, prefilter=False)


def crop_or_pad(array: np.ndarray, size: tuple[int, int], value: float = 0) -> np.ndarray:
    """Centre crop or pad the first two axes to `size`."""
    out = np.full((*size, *array.shape[2:]), value, dtype=array.dtype)
    src, dst = [], []
    for n, m in zip(array.shape[:2], size):
        if n >= m:
            start = (n - m) // 2
            src.append(slice(start, start + m))
            dst.append(slice(0, m))
        else:
            start = (m - n) // 2
            src.append(slice(0, n))
            dst.append(slice(start, start + n))
    out[dst[0], dst[1]] = array[src[0], src[1]]
    return out


def normalise_slices(volume: np.ndarray, method: str, percentiles: tuple[float, float] = (1.0, 99.0)) -> np.ndarray:
    """Per-slice intensity normalisation of a [X, Y, Z] volume (z-score, percentile clip + z-score, or none)."""
    out = volume.astype(np.float32, copy=True)
    if method == "none":
        return out
    for z in range(out.shape[2]):
        s = out[..., z]
        if method == "percentile":
            lo, hi = np.percentile(s, percentiles)
            s = np.clip(s, lo, hi)
        elif method != "zscore":
            raise ValueError(f"unknown normalisation '{method}' (zscore, percentile, none)")
        out[..., z] = (s - s.mean()) / (s.std() + 1e-6)
    return out


@dataclass
class Prepared:
    """A case after preprocessing: image [X, Y, Z] float32 normalised, label uint8 or None."""

    image: np.ndarray
    label: np.ndarray | None
    spacing: tuple[float, float, float]  # after resampling
    original_spacing: tuple[float, float, float]
    original_shape: tuple[int, int, int]


def prepare_case(case: Case, cfg: Preprocess) -> Prepared:
    """Resample (if asked) and normalise one loaded case."""
    image, label = case.image, case.label
    spacing = case.spacing
    if cfg.target_spacing is not None:
        image = resample_inplane(image, spacing[:2], cfg.target_spacing, order=1)
        if label is not None:
            label = resample_inplane(label, spacing[:2], cfg.target_spacing, order=0).astype(np.uint8)
        spacing = (cfg.target_spacing, cfg.target_spacing, spacing[2])
    return Prepared(normalise_slices(image, cfg.normalise, cfg.percentiles), label, spacing, case.spacing,
                    tuple(case.image.shape))


def case_id(row: pd.Series) -> str:
    """A prepared case's file name: its content digest (never its name: two data sets may share names)."""
    digest = row.get("case_digest", "")
    if not digest:
        raise ValueError("manifest row without case_digest: content identity is required to cache a case")
    return str(digest)


class PreparedStore:
    """Prepared cases cached on disk under CACHE/<settings hash>/, written once per suite."""

    def __init__(self, cache_root: Path, cfg: Preprocess) -> None:
        self.cfg = cfg
        self.root = Path(cache_root) / cfg.key()
        self.root.mkdir(parents=True, exist_ok=True)
        write_text_atomic(self.root / "settings.json", json.dumps(asdict(cfg), indent=1))

    def path(self, row: pd.Series) -> Path:
        """Where a row's prepared arrays live."""
        return self.root / f"{case_id(row)}.npz"

    def prepare(self, df: pd.DataFrame, progress: Callable[[Iterable], Iterable] = iter) -> list[Problem]:
        """Prepare every row not cached yet; rows that cannot be read come back as problems."""
        problems = []
        root = df.attrs.get("root", ".")
        for _, row in progress(list(df.iterrows())):
            target = self.path(row)
            if target.exists():
                continue
            try:
                p = prepare_case(load_case(row, root), self.cfg)
            except Exception as exc:  # one case's failure is recorded, the others go on
                problems.append(case_problem(exc, Path(root) / image_file(row), row))
                continue
            tmp = temporary_name(target)
            # Any: mypy would match a dict[str, ndarray] spread against savez's `allow_pickle: bool`
            arrays: dict[str, Any] = {"image": p.image, "spacing": np.array(p.spacing), "original_spacing":
                                      np.array(p.original_spacing), "original_shape": np.array(p.original_shape)}
            if p.label is not None:
                arrays["label"] = p.label
            np.savez(tmp, **arrays)
            tmp.replace(target)  # atomic: an interrupted run never leaves a half-written case
        return problems

    def load(self, row: pd.Series) -> Prepared:
        """A prepared case from the cache."""
        with np.load(self.path(row)) as z:
            # written by `prepare` from a Prepared, so each holds three values
            return Prepared(z["image"], z["label"] if "label" in z else None,
                            cast(tuple[float, float, float], tuple(z["spacing"])),
                            cast(tuple[float, float, float], tuple(z["original_spacing"])),
                            cast(tuple[int, int, int], tuple(int(v) for v in z["original_shape"])))
