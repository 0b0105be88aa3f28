"""A parametric heart in millimetres: LV as a truncated prolate ellipsoid, RV as a crescent, per phase.

Heart coordinates: z along the long axis, 0 at the base plane, negative toward the apex; in-plane
polar coordinates (rho, theta) around the LV axis, theta = atan2(y, x) with x to the image right and
y to the image bottom (anterior is up), so the RV (patient's right, anterior) sits near theta = -2.6.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

MYO_DENSITY_G_PER_ML = 1.05
_THETA = np.linspace(-np.pi, np.pi, 256, endpoint=False)
_THETA_COARSE = np.linspace(-np.pi, np.pi, 72, endpoint=False)


@dataclass(frozen=True)
class Phase:
    """The size of the heart at one instant of the cycle (all in mm)."""

    r_endo: float  # LV cavity radius at the base
    l_endo: float  # LV cavity length, base to apex
    r_epi: float  # LV epicardial radius at the base
    l_epi: float  # LV epicardial length (cavity length + apical wall)
    rv_width: float  # RV crescent thickness at the base
    rv_length: float  # how far below the base the RV reaches
    akinesis: float = 0.0  # 1 at ES: the infarcted sector keeps its ED radius

    def mix(self, other: Phase, w: float) -> Phase:
        """Linear blend toward `other` (w = 0 gives self): intermediate cine frames."""
        return Phase(*[(1 - w) * a + w * b for a, b in zip(self.astuple(), other.astuple())])

    def astuple(self) -> tuple[float, ...]:
        """The fields in order."""
        return (self.r_endo, self.l_endo, self.r_epi, self.l_epi, self.rv_width, self.rv_length, self.akinesis)


@dataclass(frozen=True)
class Heart:
    """One subject's geometry: shape modifiers shared by all phases, and the ED and ES sizes."""

    pathology: str
    ed: Phase
    es: Phase
    septum_angle: float = -2.6  # direction from the LV axis to the RV
    rv_span: float = 1.45  # half angular extent of the RV crescent (rad)
    rv_fullness: float = 0.8  # exponent of the crescent's angular profile: lower is boxier, with steeper insertions
    rv_reach: float = 0.85  # how far the RV reaches toward the apex, as a fraction of the LV cavity length
    ellipticity: float = 0.05  # in-plane cos(2 theta) deformation of the LV
    ellipse_angle: float = 0.0
    septal_extra: float = 0.0  # HCM: extra septal thickness at the base (mm)
    infarct_angle: float = 0.0
    infarct_width: float = 0.0  # half width of the infarcted sector (rad); 0 = none
    infarct_depth: tuple[float, float] = (0.3, 0.9)  # fraction of l_endo below the base
    infarct_thinning: float = 0.0  # mm of wall lost in the infarct
    drift: tuple[float, float] = (0.0, 0.0)  # in-plane shift of the LV axis per mm of z
    papillary_angles: tuple[float, float] = (-0.7, 1.3)
    trabeculae: tuple[float, ...] = ()  # angles of RV trabeculations (offsets from the septum angle)

    # ----------------------------------------------------------------------------------------
    def _window(self, theta: np.ndarray, centre: float, half: float) -> np.ndarray:
        d = np.angle(np.exp(1j * (theta - centre)))
        return np.where(np.abs(d) < half, np.cos(0.5 * np.pi * d / max(half, 1e-6)), 0.0)

    def _infarct(self, z: np.ndarray, theta: np.ndarray, l_endo: float) -> np.ndarray:
        if self.infarct_width <= 0:
            return np.zeros(np.broadcast_shapes(np.shape(z), np.shape(theta)))
        lo, hi = self.infarct_depth
        depth = -z / max(l_endo, 1e-6)
        zw = np.clip(np.minimum(depth - lo, hi - depth) / 0.1, 0, 1)
        return np.clip(self._window(theta, self.infarct_angle, self.infarct_width) * 1.6, 0, 1) * zw

    def radii(self, phase: Phase, z: np.ndarray | float, theta: np.ndarray) -> tuple[np.ndarray, ...]:
        """Endocardial, epicardial and RV-outer radii (mm) at heights z and angles theta (broadcast)."""
        z = np.asarray(z, float)
        theta = np.asarray(theta, float)
        shape = 1.0 + self.ellipticity * np.cos(2 * (theta - self.ellipse_angle))
        inside = z <= 0
        endo_n = phase.r_endo * np.sqrt(np.clip(1 - (z / phase.l_endo) ** 2, 0, None)) * shape
        epi = phase.r_epi * np.sqrt(np.clip(1 - (z / phase.l_epi) ** 2, 0, None)) * shape
        taper = np.clip(1 + 1.2 * z / phase.l_endo, 0, 1)
        endo_n = endo_n - self.septal_extra * self._window(theta, self.septum_angle, 1.0) ** 2 * taper
        inf = self._infarct(z, theta, phase.l_endo)
        endo_n = endo_n + self.infarct_thinning * inf * (endo_n > 0)
        if phase.akinesis > 0 and self.infarct_width > 0:
            ed = self.ed
            endo_ed = ed.r_endo * np.sqrt(np.clip(1 - (z / ed.l_endo) ** 2, 0, None)) * shape
            endo_ed = endo_ed + self.infarct_thinning * self._infarct(z, theta, ed.l_endo) * (endo_ed > 0)
            w = phase.akinesis * inf
            endo_n = (1 - w) * endo_n + w * np.minimum(endo_ed, epi - 2.5)
        endo = np.clip(endo_n, 0, np.maximum(epi - 1.5, 0))
        crescent = self._window(theta, self.septum_angle, self.rv_span) ** self.rv_fullness
        rv_w = phase.rv_width * np.sqrt(np.clip(1 - (z / phase.rv_length) ** 2, 0, None))
        rv = epi + rv_w * crescent * (epi > 0)
        zero = ~inside
        return (np.where(zero, 0, endo), np.where(zero, 0, epi), np.where(zero, 0, rv))

    def volumes(self, phase: Phase, dz: float = 0.5, coarse: bool = False) -> dict[str, float]:
        """Continuous volumes (mL) of LV cavity, myocardium and RV cavity, integrated in polar form."""
        z = np.arange(-max(phase.l_epi, phase.rv_length), 0, dz)[:, None] + dz / 2
        endo, epi, rv = self.radii(phase, z, (_THETA_COARSE if coarse else _THETA)[None, :])
        area = lambda r: 0.5 * (r**2).mean(axis=1) * 2 * np.pi  # noqa: E731
        a_endo, a_epi, a_rv = area(endo), area(epi), area(rv)
        return {"LV": a_endo.sum() * dz / 1000, "MYO": (a_epi - a_endo).sum() * dz / 1000,
                "RV": (a_rv - a_epi).sum() * dz / 1000}

    def volumes_coarse(self, phase: Phase) -> dict[str, float]:
        """`volumes` on a 1 mm, 5 degree grid: within 1 % and fast enough to solve for sizes."""
        return self.volumes(phase, dz=1.0, coarse=True)

    def max_wall_mm(self) -> float:
        """Thickest ED wall on the basal-to-mid slices (mm)."""
        z = np.linspace(-0.5 * self.ed.l_endo, -0.05 * self.ed.l_endo, 12)[:, None]
        endo, epi, _ = self.radii(self.ed, z, _THETA[None, :])
        return float((epi - endo).max())

    def with_phases(self, ed: Phase, es: Phase) -> Heart:
        """A copy with new ED/ES sizes."""
        return replace(self, ed=ed, es=es)


def bisect(f, target: float, lo: float, hi: float, iters: int = 24) -> float:
    """x in [lo, hi] with f(x) = target for an increasing f (clamped to the interval)."""
    for _ in range(iters):
        mid = 0.5 * (lo + hi)
        if f(mid) < target:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


@dataclass(frozen=True)
class Targets:
    """Clinical values a subject is built to have (volumes in mL, mass in g, EF as fractions)."""

    lvedv: float
    lvef: float
    lvm: float
    rvedv: float
    rvef: float
    aspect: float = 3.6  # LV cavity length / base radius at ED
    apex_wall_ratio: float = 0.75  # apical / basal wall thickness
    long_shortening: float = 0.12  # base-to-apex shortening at ES (fraction)


def fit(heart: Heart, t: Targets) -> Heart:
    """Size `heart`'s ED and ES phases so that its continuous volumes hit the targets."""
    myo_ml = t.lvm / MYO_DENSITY_G_PER_ML

    def ed_with(r: float, wall: float, rv_w: float) -> Phase:
        return Phase(r, r * t.aspect, r + wall, r * t.aspect + wall * t.apex_wall_ratio, rv_w,
                     heart.rv_reach * r * t.aspect)

    wall0 = 8.0
    r = bisect(lambda x: heart.volumes_coarse(ed_with(x, wall0, 0))["LV"], t.lvedv, 10, 60)
    for _ in range(2):  # wall and radius interact through the septal/infarct modifiers
        wall = bisect(lambda w: heart.volumes_coarse(ed_with(r, w, 0))["MYO"], myo_ml, 2, 30)
        r = bisect(lambda x: heart.volumes_coarse(ed_with(x, wall, 0))["LV"], t.lvedv, 10, 60)
    rv_w = bisect(lambda w: heart.volumes_coarse(ed_with(r, wall, w))["RV"], t.rvedv, 0, 120)
    ed = ed_with(r, wall, rv_w)
    h = heart.with_phases(ed, ed)
    l_es = ed.l_endo * (1 - t.long_shortening)

    def es_with(k: float, epi: float, krv: float) -> Phase:
        return Phase(ed.r_endo * k, l_es, epi, l_es + (ed.l_epi - ed.l_endo) * 1.15, ed.rv_width * krv,
                     ed.rv_length * (1 - t.long_shortening), akinesis=1.0)

    lvesv = t.lvedv * (1 - t.lvef)
    myo_ed = h.volumes_coarse(ed)["MYO"]
    k, epi = 0.6, ed.r_epi
    for _ in range(2):
        k = bisect(lambda x: h.volumes_coarse(es_with(x, epi, 1))["LV"], lvesv, 0.05, 1.2)
        epi = bisect(lambda e: h.volumes_coarse(es_with(k, e, 1))["MYO"], myo_ed, ed.r_endo * k + 1, ed.r_epi * 1.5)
    krv = bisect(lambda x: h.volumes_coarse(es_with(k, epi, x))["RV"], t.rvedv * (1 - t.rvef), 0.0, 2.0)
    return heart.with_phases(ed, es_with(k, epi, krv))
