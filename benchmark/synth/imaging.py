"""Image formation per scanner: gamma, k-space truncation, coil bias, 3T banding, artefacts, Rician noise."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .profiles import ScannerProfile


@dataclass(frozen=True)
class Acquisition:
    """What happened to one subject's images (recorded in truth.csv)."""

    banding: bool
    artefact: str  # "", "ghosting" or "dark"


def _kspace_truncate(img: np.ndarray, keep: float) -> np.ndarray:
    """Keep the central `keep` fraction of phase-encoding lines (rows): blur and Gibbs ringing."""
    if keep >= 0.999:
        return img
    from scipy import fft

    rows = img.shape[-2]
    k = fft.rfft(img, axis=-2)  # float32 in, complex64 out: half the work of numpy's float64 path
    k[..., int(round(rows * keep / 2)) + 1:, :] = 0
    return fft.irfft(k, n=rows, axis=-2)


def _bias(shape: tuple[int, int], strength: float, rng: np.random.Generator) -> np.ndarray:
    """A smooth multiplicative coil-sensitivity field (low-order polynomial in exp)."""
    y, x = np.mgrid[-1:1:complex(0, shape[0]), -1:1:complex(0, shape[1])]
    c = rng.normal(0, 1, 5)
    field = c[0] * x + c[1] * y + 0.5 * c[2] * x * x + 0.5 * c[3] * y * y + 0.5 * c[4] * x * y
    return np.exp(strength * field / (np.abs(field).max() + 1e-9))


def _bands(shape: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    """Dark off-resonance stripes along gently curved lines, mostly toward the periphery."""
    y, x = np.mgrid[-1:1:complex(0, shape[0]), -1:1:complex(0, shape[1])]
    out = np.ones(shape)
    for _ in range(int(rng.integers(1, 3))):
        ang = rng.uniform(0, np.pi)
        pos = rng.choice([-1, 1]) * rng.uniform(0.25, 0.7)
        curve = 0.3 * rng.normal() * (x * np.sin(ang) - y * np.cos(ang)) ** 2
        d = x * np.cos(ang) + y * np.sin(ang) - pos + curve
        out *= 1 - rng.uniform(0.6, 0.9) * np.exp(-((d / rng.uniform(0.015, 0.035)) ** 2))
    return out


def _ghosting(vol: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Respiratory/motion ghosts: phase errors on alternate k-space lines replicate the image along rows."""
    k = np.fft.fft2(vol)
    rows = vol.shape[-2]
    err = np.exp(1j * rng.uniform(0.4, 1.0) * np.sin(2 * np.pi * np.arange(rows) / rng.uniform(3, 8)))
    return np.abs(np.fft.ifft2(k * err[:, None]))


def _dark_artefact(shape: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    """A signal void (sternal wires, a device): a dark blob somewhere anterior."""
    y, x = np.mgrid[-1:1:complex(0, shape[0]), -1:1:complex(0, shape[1])]
    cx, cy = rng.uniform(-0.3, 0.3), rng.uniform(-0.5, -0.1)
    r = rng.uniform(0.06, 0.14)
    return 1 - 0.9 * np.exp(-(((x - cx) ** 2 + (y - cy) ** 2) / r**2) ** 2)


def acquire(rng: np.random.Generator, scanner: ScannerProfile) -> Acquisition:
    """Decide per subject whether bands or a low-quality artefact occur."""
    banding = bool(rng.random() < scanner.banding)
    artefact = ""
    if rng.random() < scanner.low_quality_rate:
        artefact = str(rng.choice(["ghosting", "dark"]))
    return Acquisition(banding, artefact)


def form_image(clean: np.ndarray, scanner: ScannerProfile, acq: Acquisition, rng: np.random.Generator,
               fields: dict[str, np.ndarray] | None = None) -> np.ndarray:
    """Turn clean signal [slices, rows, cols] (LV blood = 1) into stored scanner intensities (float)."""
    shape = clean.shape[-2:]
    fields = fields if fields is not None else subject_fields(shape, scanner, acq, rng)
    img = np.clip(clean.astype(np.float32), 0, None)
    if scanner.gamma != 1.0:
        img = img ** np.float32(scanner.gamma)
    img = _kspace_truncate(img, scanner.kspace).astype(np.float32)
    img *= fields["bias"].astype(np.float32)
    if acq.artefact == "ghosting":
        img = _ghosting(img, rng).astype(np.float32)
    sigma = np.float32(1.0 / scanner.snr)
    real = img + sigma * rng.standard_normal(img.shape, dtype=np.float32)
    imag = sigma * rng.standard_normal(img.shape, dtype=np.float32)
    return np.hypot(real, imag) * np.float32(scanner.scale)


def subject_fields(shape: tuple[int, int], scanner: ScannerProfile, acq: Acquisition,
                   rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Fields fixed for a subject across slices and frames: bias (with bands and voids folded in)."""
    bias = _bias(shape, scanner.bias, rng)
    if acq.banding:
        bias = bias * _bands(shape, rng)
    if acq.artefact == "dark":
        bias = bias * _dark_artefact(shape, rng)
    return {"bias": bias}
