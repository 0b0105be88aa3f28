"""bSSFP tissue contrast from relaxation: each tissue's steady-state signal at 1.5 T or 3 T for a flip angle and TR.

Relaxation times (ms) are published in vivo values: T1 of myocardium, and T1 and T2 of liver, skeletal muscle and
arterial blood from Stanisz et al., MRM 2005 (1.5 T and 3 T); myocardial T2 from T2 mapping (Giri et al., JCMR
2009: 52 ms at 1.5 T; about 45 ms at 3 T); subcutaneous fat from de Bazelaire et al., Radiology 2004; venous (RV)
blood's shorter T2 from its lower oxygen saturation (Zhao et al., MRM 2007). Generic soft tissue, bone marrow
and lung parenchyma (low proton density, short T2*) are approximate. Proton densities are relative to water.
"""
from __future__ import annotations

import math

import numpy as np

# tissue -> (T1 ms, T2 ms, proton density), per field strength
RELAXATION: dict[float, dict[str, tuple[float, float, float]]] = {
    1.5: {"blood": (1441, 290, 0.88), "rv_blood": (1441, 200, 0.88), "myo": (1030, 52, 0.80),
          "fat": (343, 58, 1.0), "liver": (576, 46, 0.70), "muscle": (1008, 44, 0.75),
          "tissue": (900, 60, 0.75), "spine": (600, 60, 0.70), "lung": (1200, 40, 0.08)},
    3.0: {"blood": (1932, 275, 0.88), "rv_blood": (1932, 150, 0.88), "myo": (1471, 45, 0.80),
          "fat": (382, 68, 1.0), "liver": (812, 42, 0.70), "muscle": (1412, 50, 0.75),
          "tissue": (1200, 55, 0.75), "spine": (800, 55, 0.70), "lung": (1500, 35, 0.08)},
}


def steady_state(t1: float, t2: float, pd: float, flip_deg: float, tr_ms: float) -> float:
    """On-resonance bSSFP signal at TE = TR/2 (Freeman-Hill): PD sin(a)(1-E1)sqrt(E2) / (1-(E1-E2)cos(a)-E1 E2)."""
    e1, e2 = math.exp(-tr_ms / t1), math.exp(-tr_ms / t2)
    a = math.radians(flip_deg)
    return pd * math.sin(a) * (1 - e1) * math.sqrt(e2) / (1 - (e1 - e2) * math.cos(a) - e1 * e2)


def contrast(field_t: float, flip_deg: float, tr_ms: float,
             relaxation: dict[str, tuple[float, float, float]] | None = None) -> dict[str, float]:
    """Each tissue's bSSFP signal, scaled so that LV blood is 1."""
    table = relaxation or RELAXATION[field_t]
    raw = {t: steady_state(*v, flip_deg, tr_ms) for t, v in table.items()}
    return {t: v / raw["blood"] for t, v in raw.items()}


def draw_contrast(rng: np.random.Generator) -> tuple[dict[str, float], float]:
    """A random protocol and subject: field (1.5 T 60 %), flip 35-80 deg, TR 2.5-4.2 ms, each tissue's T1 and
    T2 jittered by a log-normal sd of 0.12 and its PD by 0.08 (subjects differ), blood brightened 0-30 % by inflow."""
    field_t = 1.5 if rng.random() < 0.6 else 3.0
    flip, tr = float(rng.uniform(35, 80)), float(rng.uniform(2.5, 4.2))
    jitter = lambda sd: float(rng.lognormal(0, sd))  # noqa: E731
    table = {t: (t1 * jitter(0.12), t2 * jitter(0.12), pd * jitter(0.08))
             for t, (t1, t2, pd) in RELAXATION[field_t].items()}
    inflow = float(rng.uniform(1.0, 1.3))
    for t in ("blood", "rv_blood"):
        t1, t2, pd = table[t]
        table[t] = (t1, t2, pd * inflow)
    return contrast(field_t, flip, tr, table), field_t
