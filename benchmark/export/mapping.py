"""An nnU-Net export's mapping.csv: a manifest whose rows also name each case's nnU-Net identifier and origin.

Its image and label columns point at the exported files (canonical labels), so it scores predictions like any
manifest; `nnunet_case` names the prediction file, `source_*` the files as downloaded."""
from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from ..data.problems import DataError, Problem
from ..errors import CmrbenchError

MAPPING_FILE = "mapping.csv"
CASE, FOLDER = "nnunet_case", "nnunet_folder"
TRAIN_FOLDER, TEST_FOLDER = "imagesTr", "imagesTs"
COLUMNS = [CASE, FOLDER, "source_image", "source_label", "source_frame"]
FILE_ENDING = ".nii.gz"
_SAFE = re.compile(r"[A-Za-z0-9_-]+\Z")


def case_id(dataset: str, subject: str, phase: str) -> str:
    """`<dataset>_<subject>_<phase>`; other characters than letters, digits, _ and - become '-', and such a
    changed name gets a short digest of the original so that two names never meet."""
    raw = f"{dataset}_{subject}_{phase}"
    if _SAFE.match(raw):
        return raw
    return re.sub(r"[^A-Za-z0-9_-]", "-", raw) + "_" + hashlib.sha1(raw.encode()).hexdigest()[:8]


def load_mapping(path: Path) -> pd.DataFrame:
    """The mapping's imagesTs rows (what nnU-Net is asked to predict) as a manifest frame."""
    from ..data.manifest import load_manifest

    df = load_manifest(path)
    missing = [c for c in (CASE, FOLDER) if c not in df.columns]
    if missing:
        raise CmrbenchError(f"mapping {path}: no column {', '.join(missing)}; give the mapping.csv that "
                            "`cmrbench export nnunet` wrote")
    bad = sorted({str(c) for c in df[CASE] if not _SAFE.match(str(c))})
    if bad:
        raise CmrbenchError(f"mapping {path}: {CASE} {bad[0]!r} is not an nnU-Net case identifier")
    test = df[df[FOLDER] == TEST_FOLDER].reset_index(drop=True)
    test.attrs = dict(df.attrs)  # root, and the rows left out of a damaged mapping (counted as errors)
    if test.empty:
        raise CmrbenchError(f"mapping {path}: no {TEST_FOLDER} case, nothing to score")
    return test


def find_nnunet_prediction(pred_dir: Path, row: Mapping) -> Path:
    """DIR/<nnunet_case>.nii.gz, as nnUNetv2_predict names the prediction of imagesTs/<nnunet_case>_0000.nii.gz."""
    name = str(row[CASE])
    if not _SAFE.match(name):
        raise DataError(Problem(str(pred_dir), "unsafe name", f"{CASE} '{name}' is not an nnU-Net case identifier"))
    return Path(pred_dir) / f"{name}{FILE_ENDING}"
