"""Tiny labelled slices for training tests: a ring (MYO) around a disc (LV) with an RV blob, plus noise."""
from __future__ import annotations

import numpy as np

from benchmark.slices import SliceSet


def tiny_slices(n: int = 24, size: int = 40, seed: int = 0) -> SliceSet:
    """Learnable slices: a disc (1) in a ring (2) beside a blob (3), each with its own intensity, plus noise."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:size, :size]
    labels = np.zeros((n, size, size), np.uint8)
    for i in range(n):
        cy, cx = rng.uniform(14, size - 14, 2)
        r = np.hypot(yy - cy, xx - cx)
        labels[i][r < 8], labels[i][r < 5] = 2, 1
        labels[i][np.hypot(yy - cy - 3, xx - cx + 11) < 4] = 3
    images = np.array([0.0, 2.0, 1.0, -1.0], np.float32)[labels]
    images += rng.normal(0, 0.3, images.shape).astype(np.float32)
    return SliceSet(images, labels)
