"""Domain randomisation: a scanner whose tissue contrast and imaging are drawn afresh for every subject.

A network trained on one fixed contrast learns that contrast; one trained on contrasts drawn at random
from the label scene has to learn shapes (Tobin et al. 2017; SynthSeg, Billot et al., Med Image Anal 2023).
The anatomy, geometry and labels are those of the site; only how tissues look changes per subject.
Two contrast models are registered: `uniform` draws every tissue's signal independently (blood may be darker
than myocardium), `bssfp` computes it from relaxation times, flip angle and TR drawn per subject (bssfp.py), so
contrast varies as protocols and field strengths vary it while blood stays brighter than myocardium.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np

from ..registry import Registry
from . import bssfp
from .profiles import SCANNERS, SITES, ScannerProfile

TISSUES = ("blood", "rv_blood", "myo", "fat", "liver", "lung", "muscle", "tissue", "spine")


@dataclasses.dataclass(frozen=True)
class Ranges:
    """Uniform ranges every randomised subject draws from."""

    signal: tuple[float, float] = (0.03, 1.0)  # each tissue's signal, LV blood then rescaled to 1
    gamma: tuple[float, float] = (0.6, 1.6)
    snr: tuple[float, float] = (10.0, 45.0)
    bias: tuple[float, float] = (0.05, 0.6)
    kspace: tuple[float, float] = (0.55, 0.95)
    banding: float = 0.25  # probability of 3T-like dark bands
    scale: tuple[float, float] = (200.0, 3000.0)


def draw_contrast(rng: np.random.Generator, ranges: Ranges) -> dict[str, float]:
    """Independent signals per tissue, scaled so that LV blood is 1 (blood may be darker than myocardium)."""
    raw = {t: float(rng.uniform(*ranges.signal)) for t in TISSUES}
    return {t: v / raw["blood"] for t, v in raw.items()}


ContrastModel = Callable[[np.random.Generator, "Ranges"], tuple[dict[str, float], float | None]]
CONTRAST_MODELS: Registry[ContrastModel] = Registry("contrast model")


@CONTRAST_MODELS.register("uniform")
def _uniform(rng: np.random.Generator, ranges: Ranges) -> tuple[dict[str, float], float | None]:
    """Independent uniform signals per tissue; the scanner's field strength is kept."""
    return draw_contrast(rng, ranges), None


@CONTRAST_MODELS.register("bssfp")
def _bssfp(rng: np.random.Generator, ranges: Ranges) -> tuple[dict[str, float], float | None]:
    """bSSFP signals from relaxation, with the field strength drawn alongside."""
    return bssfp.draw_contrast(rng)


def randomise(scanner: ScannerProfile, rng: np.random.Generator, ranges: Ranges = Ranges()) -> ScannerProfile:
    """This subject's scanner: `scanner` with contrast, gamma, noise, bias, k-space and bands drawn at random.

    The contrast comes from the scanner's `contrast_model`. `scale` puts the brightest tissue (not LV blood,
    which may be the darkest) at 200-3000, so that no subject saturates the stored int16 range."""
    contrast, field_t = CONTRAST_MODELS.get(scanner.contrast_model)(rng, ranges)
    gamma = float(rng.uniform(*ranges.gamma))
    peak = max(contrast.values()) ** gamma
    return dataclasses.replace(
        scanner, contrast=contrast, gamma=gamma, snr=float(rng.uniform(*ranges.snr)),
        bias=float(rng.uniform(*ranges.bias)), kspace=float(rng.uniform(*ranges.kspace)), banding=ranges.banding,
        scale=float(rng.uniform(*ranges.scale)) / peak, randomised=False,
        field_strength_t=field_t or scanner.field_strength_t)


SCANNERS.add("randomised", ScannerProfile("Synthetic", "Randomised", 1.5, {t: 1.0 for t in TISSUES},
                                          randomised=True), origin="built-in")
SITES.add("ukbb-randomised",
          dataclasses.replace(SITES.get("ukbb"), name="ukbb-randomised", scanners={"randomised": 1.0},
                              notes="UK Biobank geometry, every subject's contrast and imaging drawn at random"),
          origin="built-in")
SCANNERS.add("randomised-bssfp", ScannerProfile("Synthetic", "Randomised bSSFP", 1.5, {t: 1.0 for t in TISSUES},
                                                randomised=True, contrast_model="bssfp"), origin="built-in")
SITES.add("ukbb-bssfp",
          dataclasses.replace(SITES.get("ukbb"), name="ukbb-bssfp", scanners={"randomised-bssfp": 1.0},
                              notes="UK Biobank geometry; every subject's bSSFP protocol, relaxation, imaging drawn"),
          origin="built-in")
