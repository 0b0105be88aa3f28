"""A suite's data as an nnU-Net v2 raw data set: imagesTr/labelsTr (source train and val), imagesTs/labelsTs
(source test and every target), dataset.json, splits_final.json (the suite's split as fold 0) and mapping.csv.

Data are resolved exactly as `cmrbench run` resolves them (synthetic cohorts generated, downloads indexed, the
run folder's splits.csv made or reused). Voxels are written as stored, one 3D file per case (subject and phase),
never resampled; only the header is rewritten so that nnU-Net (SimpleITK) and cmrbench (nibabel, pixdim) read
one voxel grid with the same spacing.
"""
from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import nibabel as nib
import numpy as np
import pandas as pd

from ..atomic import write_text_atomic
from ..data.isolate import case_problem
from ..data.loader import Case, load_case
from ..data.manifest import write_manifest
from ..data.problems import DataError, Problem, write_problems
from ..errors import CmrbenchError
from ..labels import STRUCTURES, parse_present
from ..run.datasets import RunData
from .mapping import CASE, FILE_ENDING, FOLDER, MAPPING_FILE, TEST_FOLDER, TRAIN_FOLDER, case_id

CHANNEL = "cineMRI"  # any name but "CT" gives nnU-Net's per-image z-score normalisation
LABELS = {"background": 0, **STRUCTURES}
PROBLEMS_FILE = "export_problems.csv"
Progress = Callable[[Iterable], Iterable]


@dataclass
class Export:
    """What an export wrote: its folder, case counts per nnU-Net folder and the cases it left out."""

    folder: Path
    counts: dict[str, int] = field(default_factory=dict)  # imagesTr, imagesTs
    problems: list[Problem] = field(default_factory=list)
    unannotated: dict[str, int] = field(default_factory=dict)  # structure -> training cases that do not label it


def dataset_folder_name(dataset_id: int, name: str) -> str:
    """`DatasetXXX_<Name>` as nnU-Net names a raw data set (id 1..999, name of letters, digits, _ and -)."""
    if not 1 <= dataset_id <= 999:
        raise CmrbenchError(f"--dataset-id {dataset_id}: nnU-Net data set ids are 1..999 (500 and up for your own)")
    clean = re.sub(r"[^A-Za-z0-9_-]+", "-", name).strip("-_")
    if not clean:
        raise CmrbenchError(f"data set name {name!r}: no letter or digit left for an nnU-Net folder name")
    return f"Dataset{dataset_id:03d}_{clean}"


def case_rows(data: RunData) -> pd.DataFrame:
    """Every case of the run with absolute paths and its nnU-Net folder: source train/val -> imagesTr, source test
    and every target -> imagesTs (source rows outside the split, e.g. a split file's 'unused', are left out)."""
    frames = []
    for name in [*data.sources, *data.targets]:
        df = data.frame(name)
        root = Path(df.attrs["root"])
        for col in ("image", "label"):  # absolute and without '..', as mapping.csv shows them
            df[col] = [os.path.normpath(root / p) if p else "" for p in df[col]]
        if name in data.sources:
            df[FOLDER] = df["split"].map({"train": TRAIN_FOLDER, "val": TRAIN_FOLDER, "test": TEST_FOLDER})
            df = df[df[FOLDER].notna()]
        else:
            df[FOLDER] = TEST_FOLDER
        frames.append(df.drop(columns=["case_digest"], errors="ignore"))
    rows = pd.concat(frames, ignore_index=True)
    rows[CASE] = [case_id(d, s, p) for d, s, p in zip(rows["dataset"], rows["subject"], rows["phase"])]
    twice = rows[rows[CASE].duplicated(keep=False)]
    if not twice.empty:
        raise CmrbenchError(f"nnU-Net case id {twice[CASE].iloc[0]!r} names two cases; rename a data set or subject")
    return rows


def grid_affine(affine: np.ndarray, spacing: tuple[float, float, float]) -> np.ndarray:
    """The image's affine with each voxel axis scaled to the header's voxel size (pixdim), which cmrbench takes
    for the spacing: an ACDC-style identity sform would otherwise tell nnU-Net and nibabel different grids."""
    a = np.array(affine, dtype=float)
    norms = np.linalg.norm(a[:3, :3], axis=0)
    if not np.all(np.isfinite(a)) or np.any(norms < 1e-9):
        a[:3, :3] = np.eye(3)
        norms = np.ones(3)
    a[:3, :3] = a[:3, :3] / norms * np.asarray(spacing, float)
    return a


def _nifti(data: np.ndarray, affine: np.ndarray, spacing: tuple[float, float, float]) -> nib.Nifti1Image:
    img = nib.Nifti1Image(data, affine)
    img.set_qform(affine, code=1)
    img.set_sform(affine, code=1)
    img.header.set_zooms(spacing)
    img.header.set_xyzt_units("mm", "sec")
    return img


def _as_stored(image: np.ndarray, header: nib.Nifti1Header) -> np.ndarray:
    """The intensities in the file's own integer type when that is exact (no scaling), else float32."""
    dtype = header.get_data_dtype()
    slope, inter = header.get_slope_inter()
    if dtype.kind in "iu" and slope in (None, 1.0) and inter in (None, 0.0):
        return image.astype(dtype)
    return image


def read_case(row: Mapping) -> Case:
    """One case as cmrbench reads it (every check of a run applied); a training case needs a label."""
    case = load_case(row, "/")
    if row[FOLDER] == TRAIN_FOLDER and case.label is None:
        raise DataError(Problem(str(row["image"]), "no label", "nnU-Net trains on labelled cases only",
                                str(row["dataset"]), str(row["subject"]), str(row["phase"])))
    return case


def write_case(row: Mapping, case: Case, folder: Path) -> dict:
    """Write one case's image (and label, when it has one) into the export; its mapping.csv row."""
    labelled = case.label is not None
    affine = grid_affine(case.affine, case.spacing)
    name = str(row[CASE])
    image = folder / str(row[FOLDER]) / f"{name}_0000{FILE_ENDING}"
    image.parent.mkdir(parents=True, exist_ok=True)
    nib.save(_nifti(_as_stored(case.image, case.header), affine, case.spacing), str(image))
    label: Path | str = ""
    if labelled:
        label = folder / ("labelsTr" if row[FOLDER] == TRAIN_FOLDER else "labelsTs") / f"{name}{FILE_ENDING}"
        label.parent.mkdir(parents=True, exist_ok=True)
        nib.save(_nifti(np.asarray(case.label, np.uint8), affine, case.spacing), str(label))
    frame = row.get("frame")
    return {**row, "image": str(image), "label": str(label), "frame": "", "label_map": "canonical",
            "source_image": row["image"], "source_label": row["label"],
            "source_frame": "" if frame is None or pd.isna(frame) else str(frame)}


def dataset_json(name: str, n_training: int, description: str) -> dict:
    """nnU-Net's dataset.json: one MRI channel, cmrbench's canonical labels, NIfTI read by SimpleITK."""
    return {"name": name, "description": description, "channel_names": {"0": CHANNEL}, "labels": LABELS,
            "numTraining": n_training, "file_ending": FILE_ENDING, "overwrite_image_reader_writer": "SimpleITKIO"}


def splits_final(written: pd.DataFrame) -> list[dict[str, list[str]]]:
    """The suite's own train/val split as nnU-Net's fold 0 (both phases of a subject on one side)."""
    train = written[written[FOLDER] == TRAIN_FOLDER]
    fold = {part: sorted(train.loc[train["split"] == part, CASE]) for part in ("train", "val")}
    for part, cases in fold.items():
        if not cases:
            raise CmrbenchError(f"the source split has no usable {part} case; nnU-Net's fold 0 needs one "
                                f"(see {PROBLEMS_FILE} or the suite's split)")
    return [fold]


def target_folder(out: Path, dataset_id: int, name: str) -> Path:
    """OUT/DatasetXXX_<name>, refused when OUT holds a data set of that id already (nnU-Net wants one name per id)."""
    folder = Path(out) / dataset_folder_name(dataset_id, name)
    prefix = f"Dataset{dataset_id:03d}_"
    found = sorted(p for p in Path(out).iterdir() if p.name.startswith(prefix)) if Path(out).is_dir() else []
    if found:
        raise CmrbenchError(f"{found[0]}: nnU-Net data set {dataset_id} exists already; remove it or choose "
                            "another --dataset-id")
    return folder


def unannotated(written: pd.DataFrame) -> dict[str, int]:
    """Per structure, how many training cases leave it unlabelled (nnU-Net learns it as background there)."""
    train = written[written[FOLDER] == TRAIN_FOLDER]
    present = [parse_present(p) or tuple(STRUCTURES) for p in train["labels_present"]]
    counts = {s: sum(s not in p for p in present) for s in STRUCTURES}
    return {s: n for s, n in counts.items() if n}


def export_nnunet(data: RunData, out: Path, dataset_id: int, name: str, description: str,
                  known: list[Problem] | None = None, progress: Progress = iter) -> Export:
    """Write OUT/DatasetXXX_<name>/ from a resolved run's data (`known`: problems met resolving it); built aside
    and renamed, never left half-written."""
    folder = target_folder(out, dataset_id, name)
    rows = case_rows(data)
    tmp = Path(out) / f".{folder.name}.partial-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)  # left by an export of this process id that was killed
    try:
        tmp.mkdir(parents=True)
        mapped, problems = [], list(known or [])
        for row in progress(rows.to_dict("records")):
            try:  # a case that cannot be read is that case's problem; the others are exported
                case = read_case(row)
            except Exception as exc:
                problems.append(case_problem(exc, row["image"], row))
                continue
            mapped.append(write_case(row, case, tmp))  # a failed write (full disk) ends the export
        columns = list(dict.fromkeys([*rows.columns, "source_image", "source_label", "source_frame"]))
        written = pd.DataFrame(mapped, columns=columns)
        folds = splits_final(written)
        n_train = int((written[FOLDER] == TRAIN_FOLDER).sum())
        write_text_atomic(tmp / "dataset.json", json.dumps(dataset_json(name, n_train, description), indent=2))
        write_text_atomic(tmp / "splits_final.json", json.dumps(folds, indent=2))
        write_manifest(written.to_dict("records"), tmp / MAPPING_FILE)
        write_problems(problems, tmp / PROBLEMS_FILE)
        os.replace(tmp, folder)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    counts = {TRAIN_FOLDER: n_train, TEST_FOLDER: int((written[FOLDER] == TEST_FOLDER).sum())}
    return Export(folder, counts, problems, unannotated(written))
