"""Artefacts of cine bSSFP: respiratory motion, ghosting, a k-space spike, off-resonance banding.

Motion levels follow CMRxMotion (Wang et al., arXiv:2210.06385, 2022), whose volunteers (1) held their breath,
(2) held it for half the scan, (3) breathed freely and (4) breathed intensively; the heart moves about 0.6 times
the diaphragm's 10-20 mm in free breathing (Wang, Riederer and Ehman, MRM 33:713, 1995).
"""
from __future__ import annotations

import numpy as np

from . import register_shift
from .kspace import frequencies, phase_axis, signal_level, to_image, to_kspace

MOTION_MM = {1: 2.0, 2: 4.0, 3: 8.0, 4: 12.0, 5: 16.0}  # peak-to-peak in-plane excursion during the scan
MOTION_MOVING = {1: 0.25, 2: 0.5, 3: 1.0, 4: 1.0, 5: 1.0}  # share of the phase-encode lines acquired while moving
GHOST = {1: 0.1, 2: 0.2, 3: 0.3, 4: 0.45, 5: 0.6}  # modulation depth of alternate k-space lines
SPIKE = {1: 0.03, 2: 0.06, 3: 0.12, 4: 0.24, 5: 0.48}  # amplitude of the stripes / tissue signal
BAND_WIDTH = {1: 0.15, 2: 0.25, 3: 0.4, 4: 0.6, 5: 0.9}  # half-width of a band in off-resonance phase (rad)
BAND_DEPTH = {1: 0.5, 2: 0.65, 3: 0.8, 4: 0.9, 5: 0.95}  # signal lost at a band's centre


def _lines(kspace: np.ndarray, axis: int) -> np.ndarray:
    """A view of k-space with the phase-encode axis first."""
    return np.moveaxis(kspace, axis, 0)


@register_shift("motion", "artefact", "respiratory motion during the acquisition of 25 %, 50 %, 100 %, 100 %, "
                "100 % of k-space, 2, 4, 8, 12, 16 mm peak to peak (CMRxMotion's breath-hold levels 1-4 and beyond)")
def motion(image: np.ndarray, spacing: tuple[float, float, float], severity: int,
           rng: np.random.Generator) -> np.ndarray:
    """Each phase-encode line acquired at its own displacement (shift theorem): blurring and ghosts."""
    axis = phase_axis(rng)
    n = image.shape[axis]
    k = to_kspace(image)
    cycles = rng.uniform(2.0, 4.0)  # breaths during the acquisition of one frame's lines
    phase0 = rng.uniform(0, 2 * np.pi)
    t = np.arange(n) / n
    shift_mm = 0.5 * MOTION_MM[severity] * np.sin(2 * np.pi * cycles * t + phase0)
    moving = np.zeros(n, bool)
    start = int(rng.integers(0, n))
    moving[(start + np.arange(int(round(MOTION_MOVING[severity] * n)))) % n] = True
    shift_mm = np.where(moving, shift_mm, 0.0)
    freq = frequencies(n, spacing[axis])  # the displacement is along the phase-encode axis
    ramp = np.exp(-2j * np.pi * freq * shift_mm)  # line j at frequency freq[j], displaced by shift_mm[j]
    view = _lines(k, axis)
    view *= ramp[:, None, None]
    return to_image(k)


@register_shift("ghosting", "artefact", "alternate phase-encode lines scaled by 1 - 0.1, 0.2, 0.3, 0.45, 0.6: N/2 "
                "ghosts of 5-30 % of the signal")
def ghosting(image: np.ndarray, spacing: tuple[float, float, float], severity: int,
             rng: np.random.Generator) -> np.ndarray:
    """Line-to-line inconsistency (e.g. from flow or eddy currents) that puts a ghost half a FOV away."""
    k = to_kspace(image)
    view = _lines(k, phase_axis(rng))
    view[1::2] *= 1.0 - GHOST[severity]
    return to_image(k)


@register_shift("spike", "artefact", "one k-space spike per slice: herringbone stripes over the whole slice of 3, "
                "6, 12, 24, 48 % of the tissue signal")
def spike(image: np.ndarray, spacing: tuple[float, float, float], severity: int,
          rng: np.random.Generator) -> np.ndarray:
    """A spike (a discharge in the bore) at one random off-centre k-space location per slice."""
    k = to_kspace(image)
    nx, ny, nz = image.shape
    amplitude = SPIKE[severity] * signal_level(image) * nx * ny  # a k-space point of a gives stripes of a / (nx ny)
    for z in range(nz):
        x = int(rng.integers(nx // 8, nx // 2 - 1)) * int(rng.choice([-1, 1])) + nx // 2
        y = int(rng.integers(ny // 8, ny // 2 - 1)) * int(rng.choice([-1, 1])) + ny // 2
        k[x, y, z] += amplitude * np.exp(1j * rng.uniform(0, 2 * np.pi))
    return to_image(k)


@register_shift("banding", "artefact", "1-3 dark bSSFP off-resonance bands across the field of view, 0.15, 0.25, "
                "0.4, 0.6, 0.9 rad wide and 50-95 % deep (field inhomogeneity: worse at 3 T and with long TR)")
def banding(image: np.ndarray, spacing: tuple[float, float, float], severity: int,
            rng: np.random.Generator) -> np.ndarray:
    """Signal loss where the off-resonance phase per TR nears pi, on a smooth field map drawn per case."""
    x = np.linspace(0, 1, image.shape[0])[:, None]
    y = np.linspace(0, 1, image.shape[1])[None, :]
    angle = rng.uniform(0, np.pi)
    ramp = np.cos(angle) * x + np.sin(angle) * y
    ramp = (ramp - ramp.min()) / (float(ramp.max() - ramp.min()) or 1.0)
    bands = int(rng.integers(1, 4))
    phase = 2 * np.pi * (bands * ramp + rng.uniform(0, 1)) + 0.3 * np.sin(2 * np.pi * (x + y))
    distance = np.angle(np.exp(1j * (phase - np.pi)))  # phase away from pi, in (-pi, pi]
    profile = 1.0 - BAND_DEPTH[severity] * np.exp(-0.5 * (distance / BAND_WIDTH[severity]) ** 2)
    return (image * profile[..., None]).astype(np.float32)
