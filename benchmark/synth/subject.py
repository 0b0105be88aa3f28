"""One synthetic subject end to end: anatomy, acquisition geometry, rendering and image formation."""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from .anatomy import Heart
from .imaging import Acquisition, acquire, form_image, subject_fields
from .pathology import PATHOLOGIES
from .profiles import SCANNERS, SITES, ScannerProfile, SiteProfile
from .randomised import randomise
from .render import Backdrop, Grid, render_slice
from .scene import Scene, sample_scene

FINE_MM = 0.75  # target spacing of the fine rendering grid (mm)


@dataclass(frozen=True)
class SubjectSpec:
    """Who to generate: identity, where they were scanned, their disease, and their own seed."""

    subject: str
    site: str
    scanner: str
    pathology: str
    seed: tuple[int, ...]


@dataclass
class Subject:
    """A rendered subject: stored-intensity images and canonical labels per phase, [slices, rows, cols]."""

    spec: SubjectSpec
    heart: Heart
    scene: Scene
    site: SiteProfile
    scanner: ScannerProfile
    acquisition: Acquisition
    spacing: tuple[float, float, float]  # (col, row, slice) mm, as NIfTI zooms x, y, z
    thickness: float
    gap: float
    images: dict[str, np.ndarray] = field(default_factory=dict)
    labels: dict[str, np.ndarray] = field(default_factory=dict)
    cine: np.ndarray | None = None  # [frames, slices, rows, cols]
    frame_index: dict[str, int] = field(default_factory=dict)  # phase -> 0-based frame in the cine


def cycle_weight(t: int, frames: int, t_es: int) -> float:
    """Contraction (0 at ED, 1 at ES) at frame t of a cine: smooth systole then diastole."""
    if t <= t_es:
        return 0.5 * (1 - math.cos(math.pi * t / max(t_es, 1)))
    return 0.5 * (1 + math.cos(math.pi * (t - t_es) / max(frames - t_es, 1)))


def _orient(a: np.ndarray, site: SiteProfile) -> np.ndarray:
    a = np.rot90(a, k=site.rotate90, axes=(-2, -1))
    if site.flip:
        a = a[..., ::-1]
    if site.apex_first:
        a = a[..., ::-1, :, :]
    return np.ascontiguousarray(a)


def generate_subject(spec: SubjectSpec, cine_frames: int = 0, ed_first: bool = False) -> Subject:
    """Render ED and ES (and a cine of `cine_frames` frames if asked; ED at frame 0 if `ed_first`)."""
    rng = np.random.default_rng(list(spec.seed))
    heart = PATHOLOGIES.get(spec.pathology)(rng)
    site, scanner = SITES.get(spec.site), SCANNERS.get(spec.scanner)
    if scanner.randomised:  # only randomised scanners draw here, so every other cohort keeps its bytes
        scanner = randomise(scanner, rng)
    spacing = round(float(rng.uniform(*site.spacing_mm)), 4)
    fov = site.draw_fov(rng)
    grid = Grid(int(round(fov[1] / spacing)), int(round(fov[0] / spacing)), spacing)
    thickness = float(rng.choice(site.slice_mm))
    gap = float(rng.choice(site.gap_mm))
    step = thickness + gap
    z_top = float(rng.uniform(0.3, 1.3)) * step
    n_slices = int(math.ceil((z_top + heart.ed.l_epi + 0.6 * step) / step))
    zs = z_top - step * np.arange(n_slices)
    scene = sample_scene(rng, heart)
    ss = min(3, max(1, math.ceil(spacing / FINE_MM)))
    acq = acquire(rng, scanner)
    fields = subject_fields((grid.rows, grid.cols), scanner, acq, rng)

    backdrop = Backdrop(scene, *grid.coords(), grid.spacing, scanner.contrast)

    def render(phase, nsub: int, ss: int = ss) -> tuple[np.ndarray, np.ndarray]:
        out = [render_slice(heart, phase, backdrop, grid, float(z), thickness, ss=ss, nsub=nsub, z_index=i)
               for i, z in enumerate(zs)]
        return np.stack([o[0] for o in out]), np.stack([o[1] for o in out])

    subject = Subject(spec, heart, scene, site, scanner, acq, (spacing, spacing, step), thickness, gap)
    for name, phase in (("ED", heart.ed), ("ES", heart.es)):
        clean, label = render(phase, 3)
        subject.images[name] = _orient(form_image(clean, scanner, acq, rng, fields), site)
        subject.labels[name] = _orient(label, site)
    if cine_frames:
        t_es = int(round(cine_frames * float(rng.uniform(0.3, 0.4))))
        shift = int(rng.integers(0, cine_frames)) if rng.random() < 0.3 and not ed_first else 0
        frames = []
        for i in range(cine_frames):
            t = (i + shift) % cine_frames
            if t == 0:
                frames.append(subject.images["ED"])
                subject.frame_index["ED"] = i
            elif t == t_es:
                frames.append(subject.images["ES"])
                subject.frame_index["ES"] = i
            else:
                w = cycle_weight(t, cine_frames, t_es)
                clean, _ = render(heart.ed.mix(heart.es, w), 1, 1)  # unlabelled frames: coarser partial volume
                frames.append(_orient(form_image(clean, scanner, acq, rng, fields), site))
        subject.cine = np.stack(frames)
    return subject
