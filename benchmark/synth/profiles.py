"""Scanner and site profiles: named, registered entries that users can list and extend."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..registry import Registry


@dataclass(frozen=True)
class ScannerProfile:
    """How one scanner model forms a bSSFP image: tissue contrast, gamma, noise, bias, resolution."""

    vendor: str
    model: str
    field_strength_t: float
    contrast: dict[str, float]  # tissue -> signal, LV blood = 1
    gamma: float = 1.0  # applied to the clean signal
    snr: float = 25.0  # LV blood signal over the noise sigma
    bias: float = 0.2  # strength of the smooth coil sensitivity field
    kspace: float = 0.75  # fraction of k-space acquired along phase encoding (ringing, blur)
    banding: float = 0.0  # probability of dark off-resonance bands (3T)
    scale: float = 600.0  # stored intensity of LV blood
    low_quality_rate: float = 0.05  # subjects with motion ghosting or dark artefacts
    randomised: bool = False  # draw contrast and imaging per subject (synth/randomised.py)
    contrast_model: str = "uniform"  # how a randomised scanner draws contrast: uniform or bssfp (randomised.py)


@dataclass(frozen=True)
class SiteProfile:
    """Where images are acquired: scanners (with shares) and the acquisition geometry."""

    name: str
    scanners: dict[str, float]  # scanner name -> share of this site's subjects
    spacing_mm: tuple[float, float]  # in-plane pixel spacing range
    fov_mm: tuple[float, float]  # field of view (readout, phase encoding)
    slice_mm: tuple[float, ...]  # slice thickness choices
    gap_mm: tuple[float, ...] = (0.0,)  # gap choices between slices
    rotate90: int = 0  # how this site stores the heart in-plane: k x 90 degrees
    flip: bool = False  # and whether it flips left-right
    apex_first: bool = False  # slice order on disk
    notes: str = ""
    extra: dict[str, str] = field(default_factory=dict)
    # per-subject field of view: readout range (mm) and phase-encoding share of it; None keeps fov_mm
    fov_range: tuple[tuple[float, float], tuple[float, float]] | None = None

    def draw_fov(self, rng: np.random.Generator) -> tuple[float, float]:
        """This subject's (readout, phase-encoding) field of view in mm (draws only where a range is set)."""
        if self.fov_range is None:
            return self.fov_mm
        readout = float(rng.uniform(*self.fov_range[0]))
        return readout, readout * float(rng.uniform(*self.fov_range[1]))


SCANNERS: Registry[ScannerProfile] = Registry("scanner")
SITES: Registry[SiteProfile] = Registry("site")


def _tissues(myo: float, fat: float, liver: float, rv: float = 0.9, lung: float = 0.05, muscle: float = 0.3,
             tissue: float = 0.34, spine: float = 0.45) -> dict[str, float]:
    return {"blood": 1.0, "rv_blood": rv, "myo": myo, "fat": fat, "liver": liver, "lung": lung,
            "muscle": muscle, "tissue": tissue, "spine": spine}


for _name, _p in {
    "siemens-aera-1.5t": ScannerProfile("Siemens", "Aera", 1.5, _tissues(0.36, 0.85, 0.30), 1.0, 28, 0.20, 0.78,
                                        0.0, 620),
    "siemens-avanto-1.5t": ScannerProfile("Siemens", "Avanto", 1.5, _tissues(0.40, 0.80, 0.33, rv=0.88), 1.08, 24,
                                          0.25, 0.72, 0.0, 540),
    "siemens-sonata-1.5t": ScannerProfile("Siemens", "Sonata", 1.5, _tissues(0.44, 0.75, 0.35, rv=0.85), 1.15, 18,
                                          0.30, 0.62, 0.0, 450, 0.08),
    "siemens-skyra-3t": ScannerProfile("Siemens", "Skyra", 3.0, _tissues(0.34, 0.95, 0.28), 0.92, 36, 0.35, 0.82,
                                       0.5, 900),
    "siemens-verio-3t": ScannerProfile("Siemens", "Verio", 3.0, _tissues(0.37, 1.00, 0.30, rv=0.86), 0.95, 32, 0.40,
                                       0.80, 0.55, 820),
    "siemens-triotim-3t": ScannerProfile("Siemens", "TrioTim", 3.0, _tissues(0.39, 0.90, 0.32, rv=0.87), 0.88, 30,
                                         0.45, 0.76, 0.6, 780),
    "philips-ingenia-1.5t": ScannerProfile("Philips", "Ingenia", 1.5, _tissues(0.33, 1.05, 0.27, rv=0.93), 1.25, 30,
                                           0.15, 0.80, 0.0, 2400),
    "philips-intera-1.5t": ScannerProfile("Philips", "Intera", 1.5, _tissues(0.42, 1.00, 0.31, rv=0.90), 1.30, 20,
                                          0.25, 0.66, 0.0, 1800, 0.08),
    "philips-achieva-1.5t": ScannerProfile("Philips", "Achieva", 1.5, _tissues(0.38, 1.02, 0.29, rv=0.92), 1.2, 26,
                                           0.20, 0.74, 0.0, 2100),
    "philips-achieva-3t": ScannerProfile("Philips", "Achieva", 3.0, _tissues(0.35, 1.10, 0.27), 1.15, 34, 0.40, 0.80,
                                         0.5, 2600),
    "ge-signa-excite-1.5t": ScannerProfile("GE", "Signa Excite", 1.5, _tissues(0.45, 0.70, 0.36, rv=0.84), 0.80, 22,
                                           0.35, 0.68, 0.0, 1200),
    "canon-vantage-orian-1.5t": ScannerProfile("Canon", "Vantage Orian", 1.5, _tissues(0.30, 0.92, 0.25, rv=0.95),
                                               0.75, 26, 0.25, 0.76, 0.0, 350),
}.items():
    SCANNERS.add(_name, _p, origin="built-in")

for _s in [
    SiteProfile("ukbb", {"siemens-aera-1.5t": 1.0}, (1.8269, 1.8269), (380, 340), (8.0,), (2.0,),
                notes="UK Biobank imaging protocol"),
    SiteProfile("acdc-dijon", {"siemens-aera-1.5t": 2 / 3, "siemens-triotim-3t": 1 / 3}, (1.34, 1.68), (340, 300),
                (5.0, 6.0, 8.0), (0.0, 2.0, 4.0), rotate90=1, notes="ACDC, University Hospital of Dijon",
                fov_range=((330.0, 440.0), (0.7, 1.0))),
    SiteProfile("bscmr-a", {"philips-ingenia-1.5t": 0.6, "philips-achieva-3t": 0.4}, (1.2, 1.6), (340, 320),
                (8.0,), (0.0, 2.0), rotate90=0),
    SiteProfile("bscmr-b", {"siemens-avanto-1.5t": 0.7, "siemens-skyra-3t": 0.3}, (1.4, 2.3), (360, 300),
                (7.0, 8.0), (1.0, 2.0), rotate90=1, flip=True),
    SiteProfile("bscmr-c", {"siemens-aera-1.5t": 1.0}, (0.78, 1.1), (260, 240), (6.0, 8.0), (0.0, 2.0),
                rotate90=3),
    SiteProfile("bscmr-d", {"philips-intera-1.5t": 1.0}, (1.25, 1.5), (350, 330), (10.0,), (0.0,),
                rotate90=2, apex_first=True),
    SiteProfile("bscmr-e", {"siemens-sonata-1.5t": 0.5, "siemens-verio-3t": 0.5}, (1.5, 2.0), (380, 320),
                (5.0, 6.0), (0.0, 4.0), flip=True),
    SiteProfile("bscmr-f", {"siemens-triotim-3t": 0.5, "siemens-avanto-1.5t": 0.5}, (1.1, 1.4), (340, 300),
                (8.0,), (2.0,), rotate90=1),
    SiteProfile("mnms-1", {"siemens-avanto-1.5t": 1.0}, (1.2, 1.45), (320, 280), (10.0,), (0.0,),
                notes="M&Ms centre 1 (vendor A)"),
    SiteProfile("mnms-2", {"philips-achieva-1.5t": 1.0}, (1.15, 1.35), (310, 280), (9.0, 10.0), (0.0,),
                rotate90=3, notes="M&Ms centre 2 (vendor B)"),
    SiteProfile("mnms-3", {"philips-achieva-1.5t": 1.0}, (0.95, 1.25), (290, 260), (8.0, 10.0), (0.0,),
                rotate90=3, flip=True, notes="M&Ms centre 3 (vendor B)"),
    SiteProfile("mnms-4", {"ge-signa-excite-1.5t": 1.0}, (1.3, 1.45), (340, 300), (10.0,), (0.0,),
                rotate90=1, apex_first=True, notes="M&Ms centre 4 (vendor C)"),
    SiteProfile("mnms-5", {"canon-vantage-orian-1.5t": 1.0}, (0.85, 1.0), (260, 240), (5.0, 10.0), (0.0,),
                rotate90=2, notes="M&Ms centre 5 (vendor D)"),
]:
    SITES.add(_s.name, _s, origin="built-in")

from . import randomised as _randomised  # noqa: E402,F401  (registers the randomised scanner and its site)
