"""Score label maps against a manifest's references: cmrbench's own predictions or another tool's."""
from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from .clinical import clinical_measures
from .data.isolate import case_problem
from .data.loader import Case, load_case
from .data.nifti import geometry_mismatch, read_array
from .data.problems import DataError, Problem
from .labels import STRUCTURES, convention, parse_present, to_canonical
from .metrics import score_structures
from .results import CASE_COLUMNS, ERROR_COLUMNS, EXPECTED_COLUMNS, JOB_COLUMNS, META_COLUMNS, Results


def score_case_rows(job: Mapping[str, object], row: Mapping, reference: Case, prediction: np.ndarray) -> list[dict]:
    """cases.csv rows of one prediction: one per annotated structure that either side contains."""
    present = parse_present(row.get("labels_present", "")) or tuple(STRUCTURES)
    meta = {c: row.get(c, "") for c in META_COLUMNS}
    base = {"job": job["job"], "model": job["model"], "policy": job["policy"], "seed": job["seed"],
            "dataset": row["dataset"], "subject": row["subject"], "phase": row["phase"]}
    assert reference.label is not None
    return [{**base, **vars(s), **meta} for s in score_structures(prediction, reference.label, reference.spacing,
                                                                    present)]


def error_row(job: str, problem: Problem) -> dict:
    """errors.csv row from a Problem."""
    return {"job": job, "dataset": problem.dataset, "subject": problem.subject, "phase": problem.phase,
            "file": problem.file, "what": problem.what, "why": problem.why}


def find_prediction(pred_dir: Path, row: Mapping) -> Path:
    """DIR/<subject>_<phase>.nii.gz, or DIR/<dataset>/<subject>_<phase>.nii.gz; never a file outside DIR."""
    name = f"{row['subject']}_{row['phase']}.nii.gz"
    nested = pred_dir / str(row["dataset"]) / name
    path = nested if nested.is_file() else pred_dir / name
    if not path.resolve().is_relative_to(Path(pred_dir).resolve()) or "/" in name:
        raise DataError(Problem(str(path), "unsafe name", f"subject '{row['subject']}' would name a file outside "
                                                          f"{pred_dir}"))
    return path


def check_prediction(path: Path, reference: Case, convention_name: str) -> np.ndarray:
    """The prediction at `path` in canonical labels, checked to lie on the reference image's voxel grid."""
    if not path.is_file():
        raise DataError(Problem(str(path), "missing prediction", "no file for this case"))
    raw, img = read_array(path)
    if raw.shape != reference.image.shape:
        raise DataError(Problem(str(path), "shape mismatch",
                                f"prediction {raw.shape} is not on the image grid {reference.image.shape}"))
    off_grid = geometry_mismatch(img.affine, reference.affine, reference.spacing)
    if off_grid:
        raise DataError(Problem(str(path), "geometry mismatch", f"prediction and image grids differ: {off_grid}"))
    try:
        return to_canonical(raw, convention_name)
    except ValueError as exc:
        raise DataError(Problem(str(path), "unexpected label values", str(exc))) from None


def _label_convention(name: str) -> str:
    from .data.adapters import DATASETS

    if name in DATASETS:
        return DATASETS.get(name).label_convention
    convention(name)  # raises a clear error for an unknown name
    return name


def evaluate_predictions(df: pd.DataFrame, pred_dir: Path, name: str, label_map: str = "canonical",
                         progress: Callable[[Iterable], Iterable] = iter,
                         locate: Callable[[Path, Mapping], Path] = find_prediction) -> Results:
    """Score every labelled manifest row against DIR's prediction; missing or bad files become error rows.

    Every labelled row is also an expected case, so the tables count what could not be scored. `locate` names a
    row's prediction file (default: <subject>_<phase>.nii.gz; an nnU-Net export's mapping names its own)."""
    conv = _label_convention(label_map)
    job = {"job": name, "model": name, "policy": "external", "seed": ""}
    rows, expected = [], []
    errors = [error_row(name, p) for p in df.attrs.get("problems", [])]  # manifest rows left out
    root = df.attrs.get("root", ".")
    for _, row in progress(list(df[df["label"] != ""].iterrows())):
        who = dict(dataset=row["dataset"], subject=row["subject"], phase=row["phase"])
        expected.append({"job": name, **who, **{c: row.get(c, "") for c in META_COLUMNS}})
        try:  # whatever fails in one case is that case's error row
            path = locate(Path(pred_dir), row)
            reference = load_case(row, root)
            pred = check_prediction(path, reference, conv)
        except Exception as exc:
            errors.append(error_row(name, case_problem(exc, Path(pred_dir), row)))
            continue
        rows += score_case_rows(job, row, reference, pred)
    cases = pd.DataFrame(rows, columns=CASE_COLUMNS + META_COLUMNS)
    jobs = pd.DataFrame([{**job, "method": name, "parameters": np.nan, "operations": ""}], columns=JOB_COLUMNS)
    return Results(cases, clinical_measures(cases), pd.DataFrame(errors, columns=ERROR_COLUMNS), jobs,
                   expected=pd.DataFrame(expected, columns=EXPECTED_COLUMNS))


def shifted_prediction_folders(pred_dir: Path) -> list[tuple[str, int, Path]]:
    """The `<shift>_<severity>` sub-folders of a prediction folder (as `cmrbench shift` names them), sorted."""
    from .shifts import SEVERITIES, SHIFTS

    found = []
    for folder in sorted(p for p in Path(pred_dir).iterdir() if p.is_dir()):
        shift, _, level = folder.name.rpartition("_")
        if shift in SHIFTS and level.isdigit() and int(level) in SEVERITIES:
            found.append((shift, int(level), folder))
    return found


def evaluate_shifted(df: pd.DataFrame, pred_dir: Path, name: str, label_map: str = "canonical",
                     progress: Callable[[Iterable], Iterable] = iter) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Score each `<shift>_<severity>` folder of predictions against the manifest's references: the rows for
    results/shifts.csv (with shift and severity) and their error rows (what names the shift and level)."""
    cases, errors = [], []
    for shift, severity, folder in shifted_prediction_folders(pred_dir):
        res = evaluate_predictions(df.assign(), folder, name, label_map, progress)
        cases.append(res.cases.assign(shift=shift, severity=severity))
        errors.append(res.errors.assign(what=f"{shift} severity {severity}: " + res.errors["what"].astype(str)))
    if not cases:
        return pd.DataFrame(), pd.DataFrame(columns=ERROR_COLUMNS)
    return pd.concat(cases, ignore_index=True), pd.concat(errors, ignore_index=True)
