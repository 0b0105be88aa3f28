"""A subject's thorax around the heart, in body millimetres: ellipses of tissue, some only over a range of heights.

Coordinates as in render.py: x to the image right (patient's left), y to the image bottom (posterior), the
body centred at the origin; heights z are heart heights (0 at the base plane, negative toward the apex).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .anatomy import Heart

EPI_FAT_BASE_MM = 0.8  # epicardial fat everywhere round the heart
EPI_FAT_PEAK_MM = (2.0, 5.0)  # range of the extra thickness on the side where it is thickest


@dataclass(frozen=True)
class Ellipse:
    """An ellipse in body coordinates (mm), optionally visible only over a range of heart heights z."""

    cx: float
    cy: float
    a: float
    b: float
    tissue: str
    z_range: tuple[float, float] = (-1e9, 1e9)

    def fraction(self, x: np.ndarray, y: np.ndarray, px: float, z: float) -> np.ndarray:
        """Soft (partial-volume) coverage of each pixel, from a first-order signed distance."""
        lo, hi = self.z_range
        if not lo <= z <= hi:
            return np.zeros(np.broadcast_shapes(x.shape, y.shape))
        u, v = (x - self.cx) / self.a, (y - self.cy) / self.b
        q = u * u + v * v
        grad = 2 * np.sqrt((u / self.a) ** 2 + (v / self.b) ** 2) + 1e-9
        return np.clip(0.5 - (q - 1) / grad / px, 0, 1)

    def paint(self, out: np.ndarray, x: np.ndarray, y: np.ndarray, px: float, z: float, value: float) -> None:
        """Blend `value` into `out` by this ellipse's coverage at height z, touching only its bounding box."""
        lo, hi = self.z_range
        if not lo <= z <= hi:
            return
        cols = np.nonzero(np.abs(x[0] - self.cx) <= self.a + 2 * px)[0]
        rows = np.nonzero(np.abs(y[:, 0] - self.cy) <= self.b + 2 * px)[0]
        if cols.size == 0 or rows.size == 0:
            return
        box = (slice(rows[0], rows[-1] + 1), slice(cols[0], cols[-1] + 1))
        f = self.fraction(x[:, box[1]], y[box[0]], px, z)
        out[box] = out[box] * (1 - f) + value * f


@dataclass(frozen=True)
class Scene:
    """One subject's body and where the heart sits in it (mm)."""

    heart_xy: tuple[float, float]
    layers: tuple[Ellipse, ...]  # painted in order over air
    fat_ring: float  # subcutaneous fat thickness
    texture_seed: int
    epi_fat: tuple[float, float, float]  # epicardial fat: amplitude (mm), angle, sharpness


def sample_scene(rng: np.random.Generator, heart: Heart) -> Scene:
    """A thorax around the heart: body with fat, lungs, liver, spine, aorta, atria, great vessels, and clutter."""
    a, b = rng.uniform(150, 180), rng.uniform(110, 135)
    hx, hy = rng.uniform(15, 35), rng.uniform(-25, -5)
    l_endo = heart.ed.l_endo
    th = heart.septum_angle
    rvx, rvy = hx + 38 * np.cos(th), hy + 38 * np.sin(th)
    layers: tuple[Ellipse, ...] = (
        Ellipse(0, 0, a, b, "tissue"),
        Ellipse(a * 0.52, -b * 0.02, a * 0.38, b * 0.66, "lung"),
        Ellipse(-a * 0.52, -b * 0.02, a * 0.36, b * 0.66, "lung"),
        Ellipse(-a * 0.28, b * 0.28, a * 0.55, b * 0.52, "liver", (-1e9, -0.45 * l_endo)),
        Ellipse(0, b * 0.72, 17, 15, "spine"),
        Ellipse(26, b * 0.55, 12, 12, "blood"),  # descending aorta
        Ellipse(hx - 18, hy - 24, 14, 14, "blood", (-6, 40)),  # aortic root / ascending aorta
        Ellipse(rvx - 8, rvy - 28, 13, 12, "blood", (-4, 40)),  # pulmonary artery
        Ellipse(hx + 6, hy + 14, 24, 20, "blood", (0.5, 38)),  # left atrium
        Ellipse(rvx, rvy + 8, 22, 19, "rv_blood", (0.5, 34)),  # right atrium
    )
    vessels = []  # pulmonary vessels: small intermediate dots scattered in both lungs
    for side in (1, -1):
        for _ in range(int(rng.integers(3, 7))):
            r, t = np.sqrt(rng.uniform(0.05, 0.6)), rng.uniform(0, 2 * np.pi)
            size = rng.uniform(2, 5)
            vessels.append(Ellipse(side * a * 0.52 + r * a * 0.3 * np.cos(t), -b * 0.02 + r * b * 0.6 * np.sin(t),
                                   size, size * rng.uniform(0.7, 1.3), "tissue", (-0.4 * l_endo, 60)))
    fat_ring, texture_seed = float(rng.uniform(8, 16)), int(rng.integers(2**31))
    epi_fat = (float(rng.uniform(*EPI_FAT_PEAK_MM)), float(th + rng.normal(1.4, 0.3)), float(rng.uniform(1, 3)))
    keep_out = heart.ed.r_epi + 0.5 * heart.ed.rv_width
    around = surroundings(np.random.default_rng([texture_seed, 1]), a, b, (hx, hy), keep_out, l_endo, layers[1:3])
    return Scene((hx, hy), layers + tuple(vessels) + around, fat_ring, texture_seed, epi_fat)


_ORGAN_TISSUES = ("muscle", "fat", "blood", "liver", "tissue")


def surroundings(rng: np.random.Generator, a: float, b: float, heart_xy: tuple[float, float], keep_out: float,
                 l_endo: float, lungs: tuple[Ellipse, ...]) -> tuple[Ellipse, ...]:
    """Chest-wall muscle, a stomach below the heart, and 15-35 organs, vessels and fat pads of random tissue,
    each over its own range of heights, outside the lungs and clear of the heart: a real thorax's clutter."""
    out = [Ellipse(float(rng.uniform(-0.2, 0.2) * a), float(-b * rng.uniform(0.72, 0.8)),
                   float(a * rng.uniform(0.45, 0.65)), float(b * rng.uniform(0.1, 0.16)), "muscle"),
           Ellipse(float(a * rng.uniform(0.1, 0.4)), float(b * rng.uniform(0.2, 0.45)), float(rng.uniform(25, 45)),
                   float(rng.uniform(18, 32)), str(rng.choice(_ORGAN_TISSUES)),
                   (-1e9, float(-rng.uniform(0.3, 0.7) * l_endo)))]
    wanted = 2 + int(rng.integers(15, 36))
    for _ in range(400):
        if len(out) >= wanted:
            break
        x, y, size = float(rng.uniform(-0.85, 0.85) * a), float(rng.uniform(-0.85, 0.85) * b), float(rng.uniform(4, 18))
        in_lung = any(((x - lung.cx) / lung.a) ** 2 + ((y - lung.cy) / lung.b) ** 2 < 1 for lung in lungs)
        near_heart = np.hypot(x - heart_xy[0], y - heart_xy[1]) - size < keep_out
        if (x / a) ** 2 + (y / b) ** 2 > 0.75 or in_lung or near_heart:
            continue
        lo = float(rng.uniform(-1.3, 0.4) * l_endo)
        out.append(Ellipse(x, y, size, size * float(rng.uniform(0.5, 1.0)), str(rng.choice(_ORGAN_TISSUES)),
                           (lo, lo + float(rng.uniform(20, 90)))))
    return tuple(out)
