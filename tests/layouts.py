"""Tiny datasets written by hand in each real layout and header convention, for adapter tests."""
from __future__ import annotations

from pathlib import Path

import nibabel as nib
import numpy as np


def save(path: Path, data: np.ndarray, zooms: tuple[float, ...], *, acdc_header: bool = False) -> Path:
    """Write a NIfTI file; `acdc_header` stores spacing in pixdim only (sform code 2, identity)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if acdc_header:
        img = nib.Nifti1Image(data, np.eye(4))
        img.set_sform(np.eye(4), code=2)
        img.set_qform(None, code=0)
        img.header.set_zooms(zooms)  # after the affine: pixdim alone carries the spacing
    else:
        img = nib.Nifti1Image(data, np.diag([*(list(zooms[:3]) + [1.0] * 3)[:3], 1.0]))
        img.header.set_zooms(zooms)
    nib.save(img, str(path))
    return path


def disc_label(shape: tuple[int, int, int], values: dict[int, int]) -> np.ndarray:
    """A label volume with concentric rings: raw value per ring index (0 centre disc, 1 ring, 2 side blob)."""
    x, y = np.mgrid[: shape[0], : shape[1]]
    cx, cy = shape[0] / 2, shape[1] / 2
    r = np.hypot(x - cx, y - cy)
    lab = np.zeros(shape, np.uint8)
    sl = np.zeros(shape[:2], np.uint8)
    sl[r < 4] = values[0]
    sl[(r >= 4) & (r < 6)] = values[1]
    sl[(np.abs(x - cx) < 3) & (y - cy > 7) & (y - cy < 11)] = values[2]
    lab[:] = sl[..., None]
    return lab


def write_acdc(root: Path, *, database: bool = False, patients: tuple[int, ...] = (1, 2),
               split: str = "training") -> Path:
    """ACDC as released: int16 images, uint8 labels (1 RV, 2 MYO, 3 LV), ED/ES 1-based in Info.cfg."""
    base = root / "database" if database else root
    shape = (24, 20, 3)
    for n in patients:
        folder = base / split / f"patient{n:03d}"
        folder.mkdir(parents=True, exist_ok=True)
        ed, es = 1, 12
        (folder / "Info.cfg").write_text(f"ED: {ed}\nES: {es}\nGroup: {'RV' if n % 2 else 'DCM'}\n"
                                         f"Height: 184.0\nNbFrame: 30\nWeight: 95.0\n")
        for frame in (ed, es):
            img = (np.arange(np.prod(shape)).reshape(shape) % 97 + frame).astype(np.int16)
            save(folder / f"patient{n:03d}_frame{frame:02d}.nii.gz", img, (1.5625, 1.5625, 10.0), acdc_header=True)
            lab = disc_label(shape, {0: 3, 1: 2, 2: 1})  # LV centre, MYO ring, RV blob in ACDC values
            save(folder / f"patient{n:03d}_frame{frame:02d}_gt.nii.gz", lab, (1.5625, 1.5625, 10.0),
                 acdc_header=True)
        save(folder / f"patient{n:03d}_4d.nii.gz", np.zeros((*shape, 2), np.int16), (1.5625, 1.5625, 10.0, 1.0),
             acdc_header=True)
    return root


MNMS_HEADER = ",External code,VendorName,Vendor,Centre,ED,ES,Age,Pathology,Sex,Height,Weight\n"


def write_mnms(root: Path, cases: dict[str, tuple[int, int]] | None = None) -> Path:
    """M&Ms-1: 4D cines whose frame t has intensity 10*t; gt only at ED and ES; CSV with unnamed index."""
    cases = cases or {"A0S9V9": (0, 9), "B1D2E3": (11, 4)}  # second: ED > ES, as in the release
    shape, T = (20, 18, 4), 13
    lines = [MNMS_HEADER]
    for i, (code, (ed, es)) in enumerate(cases.items()):
        folder = root / "Training" / "Labeled" / code
        img = np.zeros((*shape, T), np.float64)
        gt = np.zeros((*shape, T), np.float64)
        for t in range(T):
            img[..., t] = 10.0 * t
        for t in {ed, es} & set(range(T)):
            gt[..., t] = disc_label(shape, {0: 1, 1: 2, 2: 3})
        save(folder / f"{code}_sa.nii.gz", img, (1.25, 1.25, 9.2, 1.0))
        save(folder / f"{code}_sa_gt.nii.gz", gt, (1.25, 1.25, 9.2, 1.0))
        vendor = ("Siemens", "A", 1) if code.startswith("A") else ("Philips", "B", 2)
        lines.append(f"{i},{code},{vendor[0]},{vendor[1]},{vendor[2]},{ed},{es},50,HCM,M,175,80\n")
    (root / "211230_M&Ms_Dataset_information_diagnosis_opendataset.csv").write_text("".join(lines))
    return root


def write_mnms2(root: Path, codes: tuple[int, ...] = (1, 2)) -> Path:
    """M&Ms-2: dataset/NNN/NNN_SA_{ED,ES}[_gt].nii.gz; CSV with unpadded codes and empty rows."""
    shape = (20, 18, 3)
    rows = ["SUBJECT_CODE,DISEASE,VENDOR,SCANNER,FIELD\n"]
    for c in codes:
        folder = root / "dataset" / f"{c:03d}"
        for phase in ("ED", "ES"):
            save(folder / f"{c:03d}_SA_{phase}.nii.gz", np.ones(shape, np.float32), (1.3, 1.3, 10.0))
            save(folder / f"{c:03d}_SA_{phase}_gt.nii.gz", disc_label(shape, {0: 1, 1: 2, 2: 3}), (1.3, 1.3, 10.0))
        rows.append(f"{c},ARR,SIEMENS,SymphonyTim,1.5\n")
    rows.append(",,,,\n,,,,\n")
    (root / "dataset_information.csv").write_text("".join(rows))
    return root


def write_ukbb(root: Path, eids: tuple[str, ...] = ("1000001", "1000002")) -> Path:
    """UK Biobank as ukbb_cardiac prepares it: EID/sa_{ED,ES}.nii.gz and label_sa_{ED,ES}.nii.gz."""
    shape = (22, 20, 3)
    for eid in eids:
        for phase in ("ED", "ES"):
            save(root / eid / f"sa_{phase}.nii.gz", np.ones(shape, np.int16), (1.8269, 1.8269, 10.0))
            save(root / eid / f"label_sa_{phase}.nii.gz", disc_label(shape, {0: 1, 1: 2, 2: 3}),
                 (1.8269, 1.8269, 10.0))
    return root
