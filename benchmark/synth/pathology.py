"""Pathology groups as their clinical definitions describe them, each a registered sampler of hearts."""
from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..registry import Registry
from .anatomy import Heart, Phase, Targets, fit

Sampler = Callable[[np.random.Generator], Heart]
PATHOLOGIES: Registry[Sampler] = Registry("pathology")

_PLACEHOLDER = Phase(1, 1, 2, 2, 0, 1)


def _base(rng: np.random.Generator, name: str, **kw: object) -> Heart:
    """Shape modifiers common to every group, with per-subject variation."""
    n_trab = int(rng.integers(2, 5))
    params: dict[str, object] = dict(
        septum_angle=float(rng.normal(-2.6, 0.12)), rv_span=float(rng.uniform(0.8, 1.15)),
        rv_fullness=float(rng.uniform(0.25, 0.5)), rv_reach=float(rng.uniform(0.7, 0.95)),
        ellipticity=float(rng.uniform(0.0, 0.08)), ellipse_angle=float(rng.uniform(-np.pi, np.pi)),
        drift=(float(rng.normal(0, 0.08)), float(rng.normal(0, 0.08))),
        papillary_angles=(float(rng.normal(-0.7, 0.15)), float(rng.normal(1.3, 0.15))),
        trabeculae=tuple(float(a) for a in rng.uniform(-1.0, 1.0, n_trab)),
    )
    params.update(kw)
    return Heart(pathology=name, ed=_PLACEHOLDER, es=_PLACEHOLDER, **params)  # type: ignore[arg-type]


def _targets(rng: np.random.Generator, **ranges: tuple[float, float]) -> Targets:
    u = {k: float(rng.uniform(*v)) for k, v in ranges.items()}
    return Targets(**u)


def _normal_wall(make: Callable[[], Heart], tries: int = 20) -> Heart:
    """Redraw until the basal wall is 7-11 mm, as in a healthy adult LV."""
    for _ in range(tries):
        heart = make()
        if 7.0 <= heart.max_wall_mm() <= 11.0:
            return heart
    return heart


NORMAL = dict(lvedv=(115, 180), lvef=(0.55, 0.66), lvm=(95, 140), rvedv=(125, 200), rvef=(0.50, 0.62),
              aspect=(3.3, 3.9))


@PATHOLOGIES.register("NOR")
def normal(rng: np.random.Generator) -> Heart:
    """Healthy adult: UK Biobank reference ranges."""
    return _normal_wall(lambda: fit(_base(rng, "NOR"), _targets(rng, **NORMAL)))


@PATHOLOGIES.register("DCM")
def dilated(rng: np.random.Generator) -> Heart:
    """Dilated cardiomyopathy: large LV cavity, thin wall, LVEF < 40 %."""
    t = _targets(rng, lvedv=(230, 330), lvef=(0.12, 0.33), lvm=(105, 150), rvedv=(130, 210), rvef=(0.38, 0.55),
                 aspect=(2.8, 3.3), long_shortening=(0.04, 0.08))
    return fit(_base(rng, "DCM"), t)


@PATHOLOGIES.register("HCM")
def hypertrophic(rng: np.random.Generator) -> Heart:
    """Hypertrophic cardiomyopathy: wall >= 15 mm, asymmetric septal, small cavity, high EF."""
    t = _targets(rng, lvedv=(95, 140), lvef=(0.68, 0.80), lvm=(170, 250), rvedv=(110, 170), rvef=(0.52, 0.65),
                 aspect=(3.5, 4.2))
    return fit(_base(rng, "HCM", septal_extra=float(rng.uniform(5, 10))), t)


@PATHOLOGIES.register("MINF")
def infarct(rng: np.random.Generator) -> Heart:
    """Myocardial infarction: thin, akinetic wall in one coronary territory; LVEF < 40 %."""
    territory = {"LAD": (-2.2, (0.35, 0.95)), "RCA": (1.6, (0.15, 0.7)), "LCX": (0.1, (0.1, 0.65))}
    name = str(rng.choice(list(territory)))
    angle, depth = territory[name]
    heart = _base(rng, "MINF", infarct_angle=float(angle + rng.normal(0, 0.15)),
                  infarct_width=float(rng.uniform(0.6, 1.0)), infarct_depth=depth,
                  infarct_thinning=float(rng.uniform(3, 5)))
    t = _targets(rng, lvedv=(170, 260), lvef=(0.18, 0.35), lvm=(110, 165), rvedv=(125, 200), rvef=(0.42, 0.58),
                 aspect=(3.0, 3.6), long_shortening=(0.05, 0.09))
    return fit(heart, t)


@PATHOLOGIES.register("ARV", aliases=("RV",))
def abnormal_rv(rng: np.random.Generator) -> Heart:
    """Abnormal right ventricle: dilated RV and/or RVEF < 40 %."""
    ranges = dict(NORMAL, rvedv=(230, 320), rvef=(0.18, 0.36))
    return _normal_wall(lambda: fit(_base(rng, "ARV", rv_span=float(rng.uniform(1.0, 1.3))),
                                    _targets(rng, **ranges)))


@PATHOLOGIES.register("AS")
def aortic_stenosis(rng: np.random.Generator) -> Heart:
    """Aortic stenosis: concentric hypertrophy and raised LV mass, preserved EF."""
    t = _targets(rng, lvedv=(100, 170), lvef=(0.55, 0.70), lvm=(165, 250), rvedv=(120, 190), rvef=(0.50, 0.62),
                 aspect=(3.2, 3.8))
    return fit(_base(rng, "AS"), t)
