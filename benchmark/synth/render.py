"""Render a heart and its surroundings onto a scanner's grid: clean signal with partial volume, and labels.

Arrays are [row (y, anterior up), column (x, patient's left to the right)] in millimetre-aware grids.
The heart is rendered on a grid `ss` times finer in-plane and at `nsub` positions through the slice
thickness, then averaged down, so edges carry partial volume as MR edges do; labels are the majority
class of the fine pixels at the slice centre.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from ..labels import LV, MYO, RV
from .anatomy import Heart, Phase
from .scene import EPI_FAT_BASE_MM, EPI_FAT_PEAK_MM, Ellipse, Scene


@functools.lru_cache(maxsize=64)
def _texture(seed: int, shape: tuple[int, int], z_index: int) -> np.ndarray:
    """Smooth multiplicative tissue texture (+-6 %), different on each slice: a random 5x5 cosine series."""
    rng = np.random.default_rng([seed, z_index])
    coef = rng.normal(0, 1, (5, 5)) / (1 + np.add.outer(np.arange(5), np.arange(5)))
    u = np.cos(np.pi * np.outer(np.linspace(0, 1, shape[0]), np.arange(5)) + rng.uniform(0, np.pi, 5))
    v = np.cos(np.pi * np.outer(np.linspace(0, 1, shape[1]), np.arange(5)) + rng.uniform(0, np.pi, 5))
    tex = u @ coef @ v.T
    return (1 + 0.06 * tex / (np.abs(tex).max() + 1e-6)).astype(np.float32)


STATIC = (-1e9, 1e9)


class Backdrop:
    """Everything but the ventricles on one grid: static layers painted once, the rest per height."""

    def __init__(self, scene: Scene, x: np.ndarray, y: np.ndarray, px: float, contrast: dict[str, float]) -> None:
        self.scene, self.x, self.y, self.px, self.contrast = scene, x, y, px, contrast
        body = scene.layers[0]
        f_body = body.fraction(x, y, px, 0.0)
        inner = Ellipse(body.cx, body.cy, body.a - scene.fat_ring, body.b - scene.fat_ring, "tissue")
        ring = f_body - inner.fraction(x, y, px, 0.0)
        base = contrast["tissue"] * f_body
        base = base * (1 - ring) + contrast["fat"] * ring
        layers = scene.layers[1:]
        # lungs go under the height-dependent organs; spine and descending aorta over them
        self.under = [lay for lay in layers if lay.tissue == "lung"]
        self.dynamic = [lay for lay in layers if lay.z_range != STATIC]
        self.over = [lay for lay in layers if lay.z_range == STATIC and lay.tissue != "lung"]
        for lay in self.under:
            f = lay.fraction(x, y, px, 0.0)
            base = base * (1 - f) + contrast[lay.tissue] * f
        self.base = base
        self._slices: dict[tuple[float, float, int], np.ndarray] = {}
        self._polar: dict[tuple[float, int], Polar | None] = {}
        self.over_f = np.zeros_like(base)
        self.over_v = np.zeros_like(base)
        for lay in self.over:
            f = lay.fraction(x, y, px, 0.0)
            self.over_v = self.over_v * (1 - f) + contrast[lay.tissue] * f
            self.over_f = self.over_f * (1 - f) + f

    def at(self, z: float) -> np.ndarray:
        """Signal at heart height z (liver below the apex, atria and great vessels above the base)."""
        out = self.base.copy()
        for lay in self.dynamic:
            lay.paint(out, self.x, self.y, self.px, z, self.contrast[lay.tissue])
        return out * (1 - self.over_f) + self.over_v

    def polar(self, heart: Heart, grid: Grid, z: float, ss: int) -> Polar | None:
        """The slice's polar heart window (cached: every phase and frame shares it)."""
        key = (z, ss)
        if key not in self._polar:
            self._polar[key] = polar(heart, self.scene, grid, z, ss)
        return self._polar[key]

    def slab(self, z: float, thickness: float, nsub: int) -> np.ndarray:
        """Mean signal over a slice's thickness (cached: every cine frame shares it)."""
        key = (z, thickness, nsub)
        if key not in self._slices:
            offsets = (np.arange(nsub) + 0.5) / nsub * thickness - thickness / 2
            self._slices[key] = np.mean([self.at(z + o) for o in offsets], axis=0)
        return self._slices[key]



@dataclass(frozen=True)
class Grid:
    """A scanner's in-plane grid: matrix (rows, cols) and pixel spacing (mm), centred on the body."""

    rows: int
    cols: int
    spacing: float

    def coords(self, ss: int = 1, window: tuple[slice, slice] | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Physical (x, y) of pixel centres, `ss` x finer, optionally within a pixel window."""
        rs, cs = window or (slice(0, self.rows), slice(0, self.cols))
        step = self.spacing / ss
        ys = (rs.start - self.rows / 2) * self.spacing + step * (np.arange((rs.stop - rs.start) * ss) + 0.5)
        xs = (cs.start - self.cols / 2) * self.spacing + step * (np.arange((cs.stop - cs.start) * ss) + 0.5)
        return xs[None, :], ys[:, None]


_N_ANGLES = 1440
_ANGLES = np.linspace(-np.pi, np.pi, _N_ANGLES, endpoint=False)


@dataclass(frozen=True)
class Polar:
    """Fine-grid coordinates around the LV axis within one slice's heart window."""

    window: tuple[int, int, int, int]  # r0, r1, c0, c1 on the native grid
    dx: np.ndarray
    dy: np.ndarray
    rho: np.ndarray
    angle_index: np.ndarray  # index into _ANGLES


RV_WALL_MM = 2.5
_OUTLINE_ANGLES = np.linspace(-np.pi, np.pi, 360, endpoint=False)


@functools.lru_cache(maxsize=16)
def outline(heart: Heart) -> tuple[float, float, float, float]:
    """Box (x0, x1, y0, y1, mm from the LV axis) holding the heart, its RV wall and epicardial fat in any slice.

    The heart is widest at the base (z = 0) in both phases; the RV wall, the thickest epicardial fat a scene
    draws and a 3 mm margin go round it. The RV makes the box lopsided, so it is far smaller than a square of the reach.
    Cached: every slice of a subject shares it."""
    reach = np.zeros_like(_OUTLINE_ANGLES)
    for phase in (heart.ed, heart.es):
        _, epi, rv = heart.radii(phase, 0.0, _OUTLINE_ANGLES)
        reach = np.maximum(reach, np.maximum(epi, rv))
    reach = reach + RV_WALL_MM + EPI_FAT_BASE_MM + EPI_FAT_PEAK_MM[1] + 3.0
    xs, ys = reach * np.cos(_OUTLINE_ANGLES), reach * np.sin(_OUTLINE_ANGLES)
    return float(xs.min()), float(xs.max()), float(ys.min()), float(ys.max())


def polar(heart: Heart, scene: Scene, grid: Grid, z: float, ss: int) -> Polar | None:
    """The heart window of the slice at height z, in polar form on a grid `ss` x finer."""
    x0, x1, y0, y1 = outline(heart)
    cx = scene.heart_xy[0] + heart.drift[0] * z
    cy = scene.heart_xy[1] + heart.drift[1] * z
    r0 = max(0, int(np.floor((cy + y0) / grid.spacing + grid.rows / 2)))
    r1 = min(grid.rows, int(np.ceil((cy + y1) / grid.spacing + grid.rows / 2)))
    c0 = max(0, int(np.floor((cx + x0) / grid.spacing + grid.cols / 2)))
    c1 = min(grid.cols, int(np.ceil((cx + x1) / grid.spacing + grid.cols / 2)))
    if r1 <= r0 or c1 <= c0:
        return None
    fx, fy = grid.coords(ss, (slice(r0, r1), slice(c0, c1)))
    dx, dy = np.broadcast_arrays((fx - cx).astype(np.float32), (fy - cy).astype(np.float32))
    theta = np.arctan2(dy, dx)
    idx = ((theta + np.pi) * (_N_ANGLES / (2 * np.pi))).astype(np.int32) % _N_ANGLES
    return Polar((r0, r1, c0, c1), dx, dy, np.hypot(dx, dy), idx)


def _angle_at(table: np.ndarray, angle: float) -> float:
    return float(table[int((angle + np.pi) * (_N_ANGLES / (2 * np.pi))) % _N_ANGLES])


def _paint_blob(pol: Polar, target: np.ndarray, within: np.ndarray, cx: float, cy: float, r: float,
                value: float) -> None:
    """Set `target` to `value` inside a disc (mm, relative to the LV axis) where `within` holds."""
    step = float(pol.dx[0, 1] - pol.dx[0, 0]) if pol.dx.shape[1] > 1 else 1.0
    j0 = max(0, int((cx - r - pol.dx[0, 0]) / step))
    j1 = min(pol.dx.shape[1], int((cx + r - pol.dx[0, 0]) / step) + 2)
    i0 = max(0, int((cy - r - pol.dy[0, 0]) / step))
    i1 = min(pol.dy.shape[0], int((cy + r - pol.dy[0, 0]) / step) + 2)
    if i1 <= i0 or j1 <= j0:
        return
    box = (slice(i0, i1), slice(j0, j1))
    disc = (pol.dx[box] - cx) ** 2 + (pol.dy[box] - cy) ** 2 < r * r
    target[box][disc & within[box]] = value


def heart_fine(heart: Heart, phase: Phase, pol: Polar, z: float, contrast: dict[str, float],
               epi_fat: tuple[float, float, float]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """At fine points: heart coverage (0/1), heart signal, and the canonical label."""
    rho, idx = pol.rho, pol.angle_index
    # radii on a fine angle table, looked up per pixel: far cheaper than evaluating them per pixel
    endo_t, epi_t, rv_t = (r.astype(np.float32) for r in heart.radii(phase, np.float64(z), _ANGLES))
    endo, epi, rv = endo_t[idx], epi_t[idx], rv_t[idx]
    lv = rho < endo
    myo = (rho >= endo) & (rho < epi)
    has_rv = rv - epi > 0.3
    rv_cav = (rho >= epi) & (rho < rv) & has_rv
    rv_wall = (rho >= rv) & (rho < rv + RV_WALL_MM) & has_rv
    label = np.zeros(rho.shape, np.uint8)
    label[lv] = LV
    label[myo] = MYO
    label[rv_cav] = RV
    signal = np.zeros(rho.shape, np.float32)
    signal[lv] = contrast["blood"]
    signal[myo | rv_wall] = contrast["myo"]
    signal[rv_cav] = contrast["rv_blood"]
    depth = -z / max(phase.l_endo, 1e-6)
    if 0.25 < depth < 0.75:  # papillary muscles: dark, inside the cavity, labelled LV
        for ang in heart.papillary_angles:
            e = _angle_at(endo_t, ang)
            size = 0.17 * e * np.sin(np.pi * (depth - 0.25) / 0.5) ** 0.5
            if size > 0.8:
                _paint_blob(pol, signal, lv, 0.6 * e * np.cos(ang), 0.6 * e * np.sin(ang), size, contrast["myo"])
    if 0.05 < depth < 0.65:  # RV trabeculations: dark, labelled RV
        for off in heart.trabeculae:
            ang = heart.septum_angle + off * heart.rv_span * 0.7
            ep, r_out = _angle_at(epi_t, ang), _angle_at(rv_t, ang)
            if r_out - ep > 5:
                rr = r_out - 2.0
                _paint_blob(pol, signal, rv_cav, rr * np.cos(ang), rr * np.sin(ang), 2.2, contrast["myo"])
    amp, ang, sharp = epi_fat
    outer = np.maximum(epi, np.where(has_rv, rv + RV_WALL_MM, epi))
    fat_w = (amp * np.clip(np.cos(_ANGLES - ang), 0, 1) ** sharp + EPI_FAT_BASE_MM).astype(np.float32)[idx]
    fat = (rho >= outer) & (rho < outer + fat_w) & (outer > 0)
    signal[fat] = contrast["fat"]
    cover = (lv | myo | rv_cav | rv_wall | fat).astype(np.float32)
    return cover, signal, label


def _block_sum(a: np.ndarray, ss: int) -> np.ndarray:
    """Sum over ss x ss blocks, via strided views (faster than a reshaped reduction)."""
    if ss == 1:
        return a.astype(np.float32, copy=True)
    out = np.zeros((a.shape[0] // ss, a.shape[1] // ss), np.float32)
    for i in range(ss):
        for j in range(ss):
            out += a[i::ss, j::ss]
    return out


def _majority(label: np.ndarray, ss: int) -> np.ndarray:
    """The most frequent class in each ss x ss block (ties go to the lower class)."""
    if ss == 1:
        return label.copy()
    counts = np.stack([_block_sum(label == c, ss) for c in range(4)])
    return counts.argmax(axis=0).astype(np.uint8)


def render_slice(heart: Heart, phase: Phase, backdrop: Backdrop, grid: Grid, z: float, thickness: float,
                 *, ss: int, nsub: int, z_index: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Clean signal (LV blood = 1) and canonical labels of one slice centred at heart height z."""
    signal = backdrop.slab(z, thickness, nsub).copy()
    label = np.zeros((grid.rows, grid.cols), np.uint8)
    pol = backdrop.polar(heart, grid, z, ss) if z - thickness / 2 < 0 else None
    if pol is not None:
        r0, r1, c0, c1 = pol.window
        h, w = r1 - r0, c1 - c0
        cover_sum = np.zeros((h, w), np.float32)
        value_sum = np.zeros((h, w), np.float32)
        bottom = -max(phase.l_epi, phase.rv_length)
        offsets = (np.arange(nsub) + 0.5) / nsub * thickness - thickness / 2
        for k, o in enumerate(offsets):
            if not bottom < z + o <= 0 and k != nsub // 2:
                continue  # no heart at this height: only background
            cover, value, lab = heart_fine(heart, phase, pol, z + o, backdrop.contrast, backdrop.scene.epi_fat)
            cover_sum += _block_sum(cover, ss)
            value_sum += _block_sum(cover * value, ss)
            if k == nsub // 2:
                label[r0:r1, c0:c1] = _majority(lab, ss)
        cover_m, value_m = cover_sum / (nsub * ss * ss), value_sum / (nsub * ss * ss)
        signal[r0:r1, c0:c1] = signal[r0:r1, c0:c1] * (1 - cover_m) + value_m
    signal *= _texture(backdrop.scene.texture_seed, signal.shape, z_index)
    return signal, label
