"""In-plane k-space of each slice, and the image's signal level that graded changes are scaled to."""
from __future__ import annotations

import numpy as np


def to_kspace(image: np.ndarray) -> np.ndarray:
    """Centred 2D Fourier transform of every slice of [X, Y, Z]."""
    return np.fft.fftshift(np.fft.fft2(image, axes=(0, 1)), axes=(0, 1))


def to_image(kspace: np.ndarray) -> np.ndarray:
    """Magnitude image from centred k-space (what a scanner reconstructs)."""
    return np.abs(np.fft.ifft2(np.fft.ifftshift(kspace, axes=(0, 1)), axes=(0, 1))).astype(np.float32)


def frequencies(n: int, spacing: float) -> np.ndarray:
    """Spatial frequencies (cycles/mm) of a centred axis of n samples."""
    return np.fft.fftshift(np.fft.fftfreq(n, d=spacing))


def signal_level(image: np.ndarray) -> float:
    """The tissue signal: median of the voxels above the image mean (the body, not the air around it)."""
    above = image[image > image.mean()]
    return float(np.median(above)) if above.size else float(image.max() or 1.0)


def phase_axis(rng: np.random.Generator) -> int:
    """The phase-encoding direction, 0 or 1: it differs between protocols, so each case draws it."""
    return int(rng.integers(0, 2))
