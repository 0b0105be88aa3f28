"""Shifted copies of a data set on disk, for tools that segment files (nnU-Net, a commercial package).

OUT/<shift>_<severity>/<dataset>/<subject>_<phase>.nii.gz is each manifest image under the shift, with the
image's own geometry, and OUT/<shift>_<severity>/manifest.csv names it beside its reference label (written once,
3D and in canonical labels, under OUT/labels/), so that the tool's predictions can be scored with
`cmrbench evaluate --shifts` exactly as cmrbench scores its own.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

import pandas as pd

from ..atomic import write_csv_atomic
from ..data.problems import Problem
from . import apply_shift


def level_folder(shift: str, severity: int) -> str:
    """The sub-folder of one shift at one severity: `<shift>_<severity>`."""
    return f"{shift}_{severity}"


def write_shifted_copies(df: pd.DataFrame, out: Path, shifts: list[str], severities: list[int], seed: int,
                         progress: Callable[[Iterable], Iterable] = iter) -> tuple[int, list[Problem]]:
    """Write every manifest image under every shift and severity; returns images written and cases skipped."""
    import nibabel as nib
    import numpy as np

    from ..data.isolate import case_problem, image_file
    from ..data.loader import load_case
    from ..infer import save_label
    from ..run.evaluation import safe_name
    from ..run.shifted import case_key

    root = df.attrs.get("root", ".")
    written, problems = 0, []
    rows: dict[str, list[dict]] = {level_folder(s, v): [] for s in shifts for v in severities}
    for _, row in progress(list(df.iterrows())):
        try:
            case = load_case(row, root)
        except Exception as exc:  # one unreadable case is listed; the others go on
            problems.append(case_problem(exc, Path(root) / image_file(row), row))
            continue
        name = Path(safe_name(row["dataset"])) / f"{safe_name(row['subject'])}_{safe_name(row['phase'])}.nii.gz"
        label = ""
        if case.label is not None:
            label_path = out / "labels" / name
            label_path.parent.mkdir(parents=True, exist_ok=True)
            save_label(case.label, case.affine, case.header, label_path)
            label = str(label_path.resolve())
        for shift in shifts:
            for severity in severities:
                image = apply_shift(shift, case.image, case.spacing, severity, seed, case_key(row))
                path = out / level_folder(shift, severity) / name
                path.parent.mkdir(parents=True, exist_ok=True)
                header = case.header.copy()
                header.set_data_dtype(np.float32)
                nib.save(nib.Nifti1Image(image, case.affine, header), str(path))
                written += 1
                rows[level_folder(shift, severity)].append(
                    {**row.to_dict(), "image": str(path.resolve()), "label": label, "frame": "",
                     "label_map": "canonical"})
    for folder, listed in rows.items():
        if listed:
            write_csv_atomic(pd.DataFrame(listed), out / folder / "manifest.csv", index=False)
    return written, problems
