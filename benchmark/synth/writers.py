"""Write rendered subjects in each data set's real on-disk layout, label convention and header habits."""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import nibabel as nib
import numpy as np
import pandas as pd

from ..labels import STRUCTURES, from_canonical
from .cohorts import GENERATOR_VERSION, Cohort
from .subject import Subject

Writer = Callable[[Subject, Cohort, Path, int, int], tuple[list[dict], dict]]
WRITERS: dict[str, Writer] = {}
FINISHERS: dict[str, Callable[[Path, list[dict]], None]] = {}


def writer(layout: str, finish: Callable[[Path, list[dict]], None] | None = None) -> Callable[[Writer], Writer]:
    """Register the function that writes one subject in `layout` (and what writes the shared files)."""

    def deco(fn: Writer) -> Writer:
        WRITERS[layout] = fn
        FINISHERS[layout] = finish or (lambda root, metas: None)
        return fn

    return deco


def to_nifti_order(a: np.ndarray) -> np.ndarray:
    """[slices, rows, cols] (or [frames, slices, rows, cols]) -> NIfTI [x, y, z(, t)].

    The reversed view is Fortran-contiguous, which is the order NIfTI stores on disk: no copy.
    """
    return a.transpose(tuple(range(a.ndim))[::-1])


def save(path: Path, data: np.ndarray, zooms: tuple[float, ...], *, pixdim_only: bool = False) -> None:
    """Write NIfTI; `pixdim_only` mimics ACDC: spacing in pixdim, an sform (code 2) without it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if pixdim_only:
        img = nib.Nifti1Image(data, np.eye(4))
        img.set_sform(np.eye(4), code=2)
        img.set_qform(None, code=0)
    else:
        img = nib.Nifti1Image(data, np.diag([*zooms[:3], 1.0]))
        img.set_sform(img.affine, code=1)
        img.set_qform(img.affine, code=1)
    img.header.set_zooms(zooms[: data.ndim])
    nib.save(img, str(path))


def as_int16(a: np.ndarray) -> np.ndarray:
    """Stored intensities as scanners export them: rounded, non-negative int16."""
    return np.clip(np.rint(a), 0, 32767).astype(np.int16)


def written_labels(subject: Subject, cohort: Cohort, phase: str) -> np.ndarray:
    """Canonical labels with the structures this cohort does not annotate at `phase` removed."""
    lab = subject.labels[phase].copy()
    for name, value in STRUCTURES.items():
        if name not in cohort.labelled[phase]:
            lab[lab == value] = 0
    return lab


def truth_rows(subject: Subject, cohort: Cohort) -> list[dict]:
    """truth.csv rows: generating parameters and the exact volumes of the written labels."""
    spec, h, sc = subject.spec, subject.heart, subject.scanner
    ml = float(np.prod(subject.spacing)) / 1000
    ved, ves = h.volumes(h.ed), h.volumes(h.es)
    rows = []
    for phase in ("ED", "ES"):
        lab = written_labels(subject, cohort, phase)
        row = {
            "cohort": cohort.name, "generator_version": GENERATOR_VERSION, "subject": spec.subject, "phase": phase,
            "site": spec.site,
            "vendor": sc.vendor, "scanner": f"{sc.vendor} {sc.model}", "field_strength_t": sc.field_strength_t,
            "pathology": spec.pathology, "spacing_x_mm": subject.spacing[0], "spacing_y_mm": subject.spacing[1],
            "spacing_z_mm": subject.spacing[2], "slice_thickness_mm": subject.thickness,
            "slice_gap_mm": subject.gap, "n_slices": lab.shape[0], "frame": subject.frame_index.get(phase, ""),
            "design_lvef": 1 - ves["LV"] / ved["LV"], "design_rvef": 1 - ves["RV"] / ved["RV"],
            "design_lvm_g": ved["MYO"] * 1.05, "max_wall_mm": h.max_wall_mm(),
            "banding": subject.acquisition.banding, "artefact": subject.acquisition.artefact,
        }
        for name, value in STRUCTURES.items():
            present = name in cohort.labelled[phase]
            row[f"{name.lower()}_ml"] = float((lab == value).sum() * ml) if present else np.nan
        rows.append(row)
    return rows


def _body_size(subject: Subject) -> tuple[float, float]:
    rng = np.random.default_rng(list(subject.spec.seed) + [7])
    return round(float(rng.normal(172, 9)), 1), round(float(rng.normal(78, 13)), 1)


# --- UK Biobank (ukbb_cardiac) ------------------------------------------------------------------
@writer("ukbb")
def write_ukbb(subject: Subject, cohort: Cohort, root: Path, index: int, n: int) -> tuple[list[dict], dict]:
    """ROOT/EID/sa_{ED,ES}.nii.gz and label_sa_{ED,ES}.nii.gz, labels 1 LV, 2 MYO, 3 RV."""
    folder = root / subject.spec.subject
    for phase in ("ED", "ES"):
        save(folder / f"sa_{phase}.nii.gz", to_nifti_order(as_int16(subject.images[phase])), subject.spacing)
        save(folder / f"label_sa_{phase}.nii.gz", to_nifti_order(written_labels(subject, cohort, phase)),
             subject.spacing)
    return truth_rows(subject, cohort), {}


# --- ACDC ---------------------------------------------------------------------------------------
ACDC_GROUP = {"ARV": "RV"}


@writer("acdc")
def write_acdc(subject: Subject, cohort: Cohort, root: Path, index: int, n: int) -> tuple[list[dict], dict]:
    """[training|testing]/patientNNN/ with Info.cfg, frame files, _gt (1 RV, 2 MYO, 3 LV) and the 4D cine."""
    split = "testing" if index % 3 == 2 else "training"  # prefix-stable, both folders from 3 subjects
    sid = subject.spec.subject
    folder = root / split / sid
    frames = {p: subject.frame_index.get(p, i) + 1 for i, p in enumerate(("ED", "ES"))}  # 1-based
    for phase, number in frames.items():
        stem = folder / f"{sid}_frame{number:02d}"
        save(Path(f"{stem}.nii.gz"), to_nifti_order(as_int16(subject.images[phase])), subject.spacing,
             pixdim_only=True)
        gt = from_canonical(written_labels(subject, cohort, phase), "acdc")
        save(Path(f"{stem}_gt.nii.gz"), to_nifti_order(gt), subject.spacing, pixdim_only=True)
    n_frames = 2
    if subject.cine is not None:
        n_frames = subject.cine.shape[0]
        save(folder / f"{sid}_4d.nii.gz", to_nifti_order(as_int16(subject.cine)), (*subject.spacing, 1.0),
             pixdim_only=True)
    height, weight = _body_size(subject)
    group = ACDC_GROUP.get(subject.spec.pathology, subject.spec.pathology)
    (folder / "Info.cfg").write_text(f"ED: {frames['ED']}\nES: {frames['ES']}\nGroup: {group}\n"
                                     f"Height: {height}\nNbFrame: {n_frames}\nWeight: {weight}\n")
    return truth_rows(subject, cohort), {}


# --- M&Ms-1 -------------------------------------------------------------------------------------
MNMS_VENDOR_CODE = {"Siemens": "A", "Philips": "B", "GE": "C", "Canon": "D"}
MNMS_PATHOLOGY = {"MINF": "IHD"}
MNMS_SPLITS = {"train": "Training/Labeled", "val": "Validation", "test": "Testing"}


def _finish_mnms(root: Path, metas: list[dict]) -> None:
    df = pd.DataFrame(metas)
    df.to_csv(root / "211230_M&Ms_Dataset_information_diagnosis_opendataset.csv", index=True)


@writer("mnms", _finish_mnms)
def write_mnms(subject: Subject, cohort: Cohort, root: Path, index: int, n: int) -> tuple[list[dict], dict]:
    """SPLIT/CODE/CODE_sa.nii.gz (4D) and CODE_sa_gt.nii.gz labelled at ED and ES only; metadata CSV."""
    assert subject.cine is not None, "M&Ms cohorts are 4D cines"
    code, sc = subject.spec.subject, subject.scanner
    centre = int(subject.spec.site.rsplit("-", 1)[-1])
    rng = np.random.default_rng(list(subject.spec.seed) + [11])
    # vendors C and D appear only in validation and testing, as in the release
    split = str(rng.choice(["val", "test"], p=[0.35, 0.65])) if sc.vendor in ("GE", "Canon") else \
        str(rng.choice(["train", "val", "test"], p=[0.7, 0.1, 0.2]))
    folder = root / MNMS_SPLITS[split] / code
    gt = np.zeros(subject.cine.shape, np.uint8)
    for phase in ("ED", "ES"):
        gt[subject.frame_index[phase]] = written_labels(subject, cohort, phase)
    zooms = (*subject.spacing, 1.0)
    save(folder / f"{code}_sa.nii.gz", to_nifti_order(as_int16(subject.cine)), zooms)
    save(folder / f"{code}_sa_gt.nii.gz", to_nifti_order(gt), zooms)
    height, weight = _body_size(subject)
    meta = {"External code": code, "VendorName": sc.vendor, "Vendor": MNMS_VENDOR_CODE[sc.vendor],
            "Centre": centre, "ED": subject.frame_index["ED"], "ES": subject.frame_index["ES"],
            "Age": int(rng.integers(18, 80)), "Pathology": MNMS_PATHOLOGY.get(subject.spec.pathology,
                                                                               subject.spec.pathology),
            "Sex": str(rng.choice(["M", "F"])), "Height": height, "Weight": weight}
    return truth_rows(subject, cohort), meta


# --- a manifest CSV (BSCMR-AS and other in-house data) ------------------------------------------
def _finish_manifest(root: Path, metas: list[dict]) -> None:
    pd.DataFrame([row for m in metas for row in m["rows"]]).to_csv(root / "manifest.csv", index=False)


@writer("manifest", _finish_manifest)
def write_manifest(subject: Subject, cohort: Cohort, root: Path, index: int, n: int) -> tuple[list[dict], dict]:
    """images/ID_PHASE.nii.gz, labels/ID_PHASE_gt.nii.gz and manifest.csv with labels_present per phase."""
    sid, sc = subject.spec.subject, subject.scanner
    rows = []
    for phase in ("ED", "ES"):
        image, label = Path("images") / f"{sid}_{phase}.nii.gz", Path("labels") / f"{sid}_{phase}_gt.nii.gz"
        save(root / image, to_nifti_order(as_int16(subject.images[phase])), subject.spacing)
        save(root / label, to_nifti_order(written_labels(subject, cohort, phase)), subject.spacing)
        rows.append({"dataset": cohort.name, "subject": sid, "phase": phase, "image": str(image),
                     "label": str(label), "site": subject.spec.site, "vendor": sc.vendor,
                     "scanner": f"{sc.vendor} {sc.model}", "field_strength_t": sc.field_strength_t,
                     "pathology": subject.spec.pathology, "labels_present": ";".join(cohort.labelled[phase])})
    return truth_rows(subject, cohort), {"rows": rows}
