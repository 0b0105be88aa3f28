"""2D slice sets for training and validation: prepared cases laid out as fixed-size arrays on disk."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .atomic import temporary_name
from .preprocess import PreparedStore, crop_or_pad


@dataclass
class SliceSet:
    """Labelled slices [N, S, S] (images float32, labels uint8), memory-mapped."""

    images: np.ndarray
    labels: np.ndarray

    def __len__(self) -> int:
        return len(self.images)


def build_slices(store: PreparedStore, rows: pd.DataFrame, size: int, folder: Path) -> SliceSet:
    """Every slice of every labelled row, centre-cropped/padded to size x size (images padded with the slice
    minimum); written once to `folder` and memory-mapped after."""
    folder.mkdir(parents=True, exist_ok=True)
    img_path, lab_path = folder / "images.npy", folder / "labels.npy"
    if img_path.is_file() and lab_path.is_file():
        return SliceSet(np.load(img_path, mmap_mode="r"), np.load(lab_path, mmap_mode="r"))
    labelled = rows[rows["label"] != ""]
    cases = [store.load(r) for _, r in labelled.iterrows() if store.path(r).is_file()]
    cases = [c for c in cases if c.label is not None]
    n = sum(c.image.shape[2] for c in cases)
    tmp_img, tmp_lab = temporary_name(img_path), temporary_name(lab_path)  # two runs sharing a cache never share
    images = np.lib.format.open_memmap(tmp_img, mode="w+", dtype=np.float32, shape=(n, size, size))
    labels = np.lib.format.open_memmap(tmp_lab, mode="w+", dtype=np.uint8, shape=(n, size, size))
    i = 0
    for c in cases:
        assert c.label is not None  # unlabelled cases were filtered out above
        for z in range(c.image.shape[2]):
            sl = c.image[..., z]
            images[i] = crop_or_pad(sl, (size, size), value=float(sl.min()))
            labels[i] = crop_or_pad(c.label[..., z], (size, size), value=0)
            i += 1
    images.flush()
    labels.flush()
    del images, labels
    tmp_img.replace(img_path)
    tmp_lab.replace(lab_path)
    return SliceSet(np.load(img_path, mmap_mode="r"), np.load(lab_path, mmap_mode="r"))
