"""Intensity shifts: coil sensitivity (bias field) and contrast (gamma)."""
from __future__ import annotations

import numpy as np

from . import register_shift

BIAS_RATIO = {1: 1.25, 2: 1.5, 3: 2.0, 4: 2.5, 5: 3.0}  # brightest / darkest point of the field across the FOV
GAMMA = {1: 1.15, 2: 1.3, 3: 1.5, 4: 1.75, 5: 2.0}  # exponent, or its inverse


@register_shift("bias_field", "intensity", "smooth multiplicative field whose brightest point is 1.25, 1.5, 2, 2.5, "
                "3 times its darkest (surface-coil sensitivity without intensity correction)")
def bias_field(image: np.ndarray, spacing: tuple[float, float, float], severity: int,
               rng: np.random.Generator) -> np.ndarray:
    """exp of a random second-order polynomial in x and y, scaled to the level's max/min ratio."""
    x = np.linspace(-1, 1, image.shape[0])[:, None]
    y = np.linspace(-1, 1, image.shape[1])[None, :]
    c = rng.normal(size=5)
    field = c[0] * x + c[1] * y + c[2] * x * x + c[3] * y * y + c[4] * x * y
    span = float(field.max() - field.min()) or 1.0
    log = (field - field.mean()) / span * np.log(BIAS_RATIO[severity])
    return (image * np.exp(log)[..., None]).astype(np.float32)


@register_shift("contrast", "intensity", "gamma 1.15, 1.3, 1.5, 1.75, 2 or its inverse (drawn per case) on the "
                "image scaled to [0, 1]")
def contrast(image: np.ndarray, spacing: tuple[float, float, float], severity: int,
             rng: np.random.Generator) -> np.ndarray:
    """Non-linear contrast change that keeps the intensity range."""
    top = float(image.max()) or 1.0
    g = GAMMA[severity] if rng.random() < 0.5 else 1.0 / GAMMA[severity]
    return (top * np.power(np.clip(image / top, 0, 1), g)).astype(np.float32)
