"""A shifted evaluation: every case of a target under one graded shift at each severity, scored like the rest.

The shift changes the image as acquired (before resampling and normalisation); the reference label stays as it
is. Rows carry `shift` and `severity` and go to results/shifts.csv, never into cases.csv: shifted and clean cases
are never pooled.
"""
from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pandas as pd

from ..console import track
from ..evaluate import error_row

SHIFT_COLUMNS = ["shift", "severity"]


def case_key(row: Any) -> str:
    """What a case's shift draws are seeded by: the same case gets the same draws in every run and job."""
    return f"{row['dataset']}\0{row['subject']}\0{row['phase']}"


def score_shifted(scorer: Any, rows: pd.DataFrame, shift: str, severities: list[int], seed: int,
                  write: Path | None = None, label: str = "") -> tuple[list[dict], list[dict]]:
    """cases rows (with shift and severity) and errors rows of these cases under `shift`."""
    from ..data.isolate import case_problem, image_file
    from ..data.loader import load_case
    from ..infer import save_label
    from ..preprocess import prepare_case
    from ..shifts import apply_shift
    from .evaluation import prediction_path

    cases, errors = [], []
    root = rows.attrs["root"]
    for _, row in track(list(rows.iterrows()), label or f"evaluating under {shift}"):
        if not scorer.store.path(row).is_file():
            continue  # could not be prepared: recorded once under job 'data'
        file = Path(root) / image_file(row)
        try:
            reference = load_case(row, root)
        except Exception as exc:
            errors.append(error_row(scorer.plan.id, case_problem(exc, file, row)))
            continue
        for severity in severities:
            try:  # one severity failing is that severity's error row; the others go on
                image = apply_shift(shift, reference.image, reference.spacing, severity, seed, case_key(row))
                prepared = prepare_case(dataclasses.replace(reference, image=image), scorer.store.cfg)
                before = len(scorer.calibration)
                scored, pred = scorer.assess(row, reference, prepared)
                for r in scorer.calibration[before:]:
                    r.update(shift=shift, severity=severity)
                if write is not None:
                    path = prediction_path(write / f"{shift}_{severity}", row)
                    save_label(pred, reference.affine, reference.header, path)
                    _save_image(image, reference, path.with_name(path.name.replace(".nii.gz", "_image.nii.gz")))
            except Exception as exc:
                problem = case_problem(exc, file, row)
                problem = dataclasses.replace(problem, what=f"{shift} severity {severity}: {problem.what}")
                errors.append(error_row(scorer.plan.id, problem))
                continue
            cases += [{**c, "shift": shift, "severity": severity} for c in scored]
    return cases, errors


def _save_image(image: Any, like: Any, path: Path) -> None:
    """The shifted image with the case's own geometry (only with evaluation.write_shifted)."""
    import nibabel as nib
    import numpy as np

    header = like.header.copy()
    header.set_data_dtype(np.float32)
    nib.save(nib.Nifti1Image(image.astype(np.float32), like.affine, header), str(path))
