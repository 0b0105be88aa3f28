"""Load one manifest row as arrays: the image, its canonical label map and the voxel spacing."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import nibabel as nib
import numpy as np
import pandas as pd

from ..labels import to_canonical
from .nifti import geometry_mismatch, open_image, read_array, spacing_of
from .problems import DataError, Problem


@dataclass
class Case:
    """One subject at one phase: image (float32, X x Y x Z), canonical label (uint8) or None."""

    image: np.ndarray
    label: np.ndarray | None
    spacing: tuple[float, float, float]
    affine: np.ndarray
    header: nib.Nifti1Header
    meta: dict = field(default_factory=dict)


def _frame(row: Mapping) -> int | None:
    value = row.get("frame")
    if value is None or (not isinstance(value, str) and pd.isna(value)) or str(value).strip() == "":
        return None
    return int(value)


def read_image(path: Path, frame: int | None = None) -> tuple[np.ndarray, nib.Nifti1Image, tuple[float, float, float]]:
    """An image volume as float32 with its NIfTI image and voxel sizes, checked finite and plausible."""
    image, img = read_array(path, frame)
    image = image.astype(np.float32, copy=False)
    if not np.isfinite(image).all():
        n = int((~np.isfinite(image)).sum())
        raise DataError(Problem(str(path), "non-finite intensities", f"{n} voxel(s) are NaN or Inf"))
    return image, img, spacing_of(path, img)


def load_case(row: Mapping, root: str | Path, *, with_label: bool = True) -> Case:
    """Read and validate a case; any defect raises DataError naming the file and the reason."""
    root = Path(root)
    meta = {k: row[k] for k in row.keys()}
    who = dict(dataset=str(row.get("dataset", "")), subject=str(row.get("subject", "")),
               phase=str(row.get("phase", "")))

    def fail(file: Path, what: str, why: str) -> DataError:
        return DataError(Problem(str(file), what, why, **who))

    image_path = root / str(row["image"])
    frame = _frame(row)
    try:
        image, img, spacing = read_image(image_path, frame)
    except DataError as err:
        raise fail(Path(err.problem.file), err.problem.what, err.problem.why) from None
    label = None
    label_cell = str(row.get("label", "") or "")
    if with_label and label_cell:
        label_path = root / label_cell
        try:
            lab_img = open_image(label_path)
            raw, _ = read_array(label_path, frame if len(lab_img.shape) == 4 else None)
        except DataError as err:
            raise fail(Path(err.problem.file), err.problem.what, err.problem.why) from None
        if raw.shape != image.shape:
            raise fail(label_path, "shape mismatch", f"label shape {raw.shape} != image shape {image.shape}")
        off_grid = geometry_mismatch(lab_img.affine, img.affine, spacing)
        if off_grid:
            raise fail(label_path, "geometry mismatch", f"label and image grids differ: {off_grid}")
        try:
            label = to_canonical(raw, str(row.get("label_map", "") or "canonical"))
        except ValueError as exc:
            raise fail(label_path, "unexpected label values", str(exc)) from None
    return Case(image, label, spacing, img.affine, img.header, meta)
