"""Shifts of the acquisition itself: noise, in-plane resolution, slice thickness, field of view (wrap-around).

Reference values: SCMR's standardised cine protocol (Kramer et al., JCMR 22:17, 2020) asks for an in-plane
resolution of about 1.5-2 mm and slices of 6-8 mm; the levels below start at the coarse edge of that and go beyond.
"""
from __future__ import annotations

import numpy as np

from . import register_shift
from .kspace import frequencies, phase_axis, signal_level, to_image, to_kspace

SNR = {1: 32.0, 2: 16.0, 3: 8.0, 4: 4.0, 5: 2.0}  # tissue signal / noise SD after the shift
RESOLUTION_MM = {1: 2.0, 2: 2.5, 3: 3.0, 4: 4.0, 5: 5.0}
THICKNESS = {1: 1.25, 2: 1.5, 3: 1.75, 4: 2.0, 5: 2.5}  # slab thickness / slice spacing
WRAP = {1: 0.04, 2: 0.08, 3: 0.12, 4: 0.16, 5: 0.20}  # share of the phase-encode FOV folded in from each side


@register_shift("noise", "acquisition", "Rician noise: tissue SNR 32, 16, 8, 4, 2 (halved per level; a 1.5 T "
                "bSSFP cine's blood pool is in the tens)")
def noise(image: np.ndarray, spacing: tuple[float, float, float], severity: int,
          rng: np.random.Generator) -> np.ndarray:
    """Magnitude of the image plus complex Gaussian noise of SD signal/SNR."""
    sd = signal_level(image) / SNR[severity]
    real = image + rng.normal(0, sd, image.shape)
    return np.hypot(real, rng.normal(0, sd, image.shape)).astype(np.float32)


@register_shift("low_resolution", "acquisition", "k-space truncated to an in-plane resolution of 2, 2.5, 3, 4, "
                "5 mm (SCMR asks for 1.5-2 mm); no effect where the image is already coarser")
def low_resolution(image: np.ndarray, spacing: tuple[float, float, float], severity: int,
                   rng: np.random.Generator) -> np.ndarray:
    """Keep the k-space of a coarser acquisition (Gibbs ringing included), on the same grid."""
    limit = 1.0 / (2.0 * RESOLUTION_MM[severity])  # Nyquist frequency of that resolution, cycles/mm
    kx = np.abs(frequencies(image.shape[0], spacing[0]))[:, None, None] <= limit
    ky = np.abs(frequencies(image.shape[1], spacing[1]))[None, :, None] <= limit
    return to_image(to_kspace(image) * (kx & ky))


@register_shift("slice_thickness", "acquisition", "through-plane partial volume of a slab 1.25, 1.5, 1.75, 2, 2.5 "
                "times the slice spacing (8 mm slices every 10 mm become 12.5-25 mm slabs)")
def slice_thickness(image: np.ndarray, spacing: tuple[float, float, float], severity: int,
                    rng: np.random.Generator) -> np.ndarray:
    """Each slice mixed with its neighbours by the share of a thicker slab that lies over them."""
    if image.shape[2] < 2:
        return image
    w = (THICKNESS[severity] - 1.0) / (2.0 * THICKNESS[severity])
    padded = np.concatenate([image[..., :1], image, image[..., -1:]], axis=2)
    return ((1 - 2 * w) * image + w * padded[..., :-2] + w * padded[..., 2:]).astype(np.float32)


@register_shift("wrap_around", "acquisition", "a phase-encode field of view 4, 8, 12, 16, 20 % too small: that "
                "share folds in from each side")
def wrap_around(image: np.ndarray, spacing: tuple[float, float, float], severity: int,
                rng: np.random.Generator) -> np.ndarray:
    """Aliasing: what lies outside the reduced FOV along the phase-encode axis adds onto the opposite side."""
    axis = phase_axis(rng)
    n = image.shape[axis]
    m = max(1, int(round(WRAP[severity] * n)))
    out = image.copy()
    lo, hi = [slice(None)] * 3, [slice(None)] * 3
    lo[axis], hi[axis] = slice(0, m), slice(n - m, n)
    out[tuple(lo)] += image[tuple(hi)]
    out[tuple(hi)] += image[tuple(lo)]
    return out
