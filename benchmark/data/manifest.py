"""The manifest: one CSV row per subject and cardiac phase, paths relative to its folder."""
from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from ..atomic import write_csv_atomic
from ..errors import CmrbenchError
from .csvfile import read_csv_text
from .problems import DataError, Problem

COLUMNS = [
    "dataset", "subject", "phase", "image", "label", "frame", "site", "vendor", "scanner",
    "field_strength_t", "pathology", "spacing_x_mm", "spacing_y_mm", "spacing_z_mm",
    "labels_present", "split",
]
# Beyond SPEC.md: the label convention the label files are stored in (default canonical).
EXTRA_COLUMNS = ["label_map"]
REQUIRED = ["dataset", "subject", "phase", "image"]
FLOAT_COLUMNS = ["field_strength_t", "spacing_x_mm", "spacing_y_mm", "spacing_z_mm"]
PHASES = ("ED", "ES")


def _relative(path: object, root: Path) -> str:
    if path is None or path == "" or (isinstance(path, float) and pd.isna(path)):
        return ""
    return os.path.relpath(Path(str(path)).resolve(), root.resolve())


def to_frame(rows: Iterable[Mapping[str, object]]) -> pd.DataFrame:
    """Rows (dicts) as a manifest DataFrame with every column, in SPEC.md's order."""
    df = pd.DataFrame(list(rows))
    for col in COLUMNS + EXTRA_COLUMNS:
        if col not in df.columns:
            df[col] = ""
    extra = [c for c in df.columns if c not in COLUMNS + EXTRA_COLUMNS]
    return _typed(df[COLUMNS + EXTRA_COLUMNS + extra])


def _typed(df: pd.DataFrame) -> pd.DataFrame:
    df = df.copy()
    for col in FLOAT_COLUMNS:
        df[col] = pd.to_numeric(df[col].replace("", None), errors="coerce").astype(float)
    df["frame"] = pd.to_numeric(df["frame"].replace("", None), errors="coerce").astype("Int64")
    text = [c for c in df.columns if c not in FLOAT_COLUMNS + ["frame"]]
    df[text] = df[text].fillna("").astype(str)
    df["label_map"] = df["label_map"].replace("", "canonical")
    return df


def write_manifest(rows: Iterable[Mapping[str, object]], path: Path) -> pd.DataFrame:
    """Write rows whose image/label paths are absolute as a manifest relative to its folder."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    df = to_frame(rows)
    root = path.parent
    for col in ("image", "label"):
        df[col] = [_relative(p, root) for p in df[col]]
    df = df.sort_values(["dataset", "subject", "phase"], kind="stable").reset_index(drop=True)
    write_csv_atomic(df, path, index=False)
    df.attrs["root"] = str(root.resolve())
    return df


def load_manifest(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read a manifest CSV; `df.attrs['root']` is the folder its relative paths start from.

    Rows that cannot name one case (a phase other than ED/ES, a (dataset, subject, phase) given twice) are
    left out and listed as Problems in `df.attrs['problems']`, so the other cases go on."""
    path = Path(path)
    if not path.is_file():
        raise CmrbenchError(f"manifest {path}: no such file")
    try:
        df = read_csv_text(path)
    except DataError as err:
        raise CmrbenchError(f"manifest {path}: {err.problem.why}") from None
    missing = [c for c in REQUIRED if c not in df.columns]
    if missing:
        raise CmrbenchError(f"manifest {path}: missing column(s) {', '.join(missing)}")
    for col in COLUMNS + EXTRA_COLUMNS:
        if col not in df.columns:
            df[col] = ""
    df, problems = _single_cases(df, path)
    df = _typed(df)
    df.attrs["root"] = str(path.parent.resolve())
    df.attrs["problems"] = problems
    return df


def name_defect(text: str) -> str:
    """Why a subject or data set name cannot key a case or name a file ('' when it can)."""
    if not text.strip():
        return "is empty"
    if text != text.strip():
        return "starts or ends with white space"
    if any(ord(c) < 32 or ord(c) == 127 for c in text):
        return "holds a control character"
    if "/" in text or "\\" in text or text in (".", ".."):
        return "looks like a path (/, \\ or ..), not a name"
    return ""


def _number_defect(value: str, *, integer: bool) -> str:
    if value.strip() == "":
        return ""
    if integer:
        return "" if value.strip().isascii() and value.strip().isdigit() else "is not a whole number >= 0"
    try:
        number = float(value)
    except ValueError:
        return "is not a number"
    return "" if np.isfinite(number) and number > 0 else "is not a positive finite number"


def row_defect(row: dict) -> str:
    """Why a manifest row cannot name one case ('' when it can)."""
    if row["phase"] not in PHASES:
        return f"phase '{row['phase']}' is not ED or ES"
    for col in ("dataset", "subject"):
        why = name_defect(row[col])
        if why:
            return f"{col} {row[col]!r} {why}"
    for col in ["frame", *FLOAT_COLUMNS]:
        why = _number_defect(str(row.get(col, "")), integer=col == "frame")
        if why:
            return f"{col} {row[col]!r} {why}"
    return ""


def _single_cases(df: pd.DataFrame, path: Path) -> tuple[pd.DataFrame, list[Problem]]:
    """Rows that name exactly one ED or ES case, and a Problem for each row that does not."""
    problems = []
    line = pd.Series(range(2, len(df) + 2), index=df.index)  # CSV line numbers (line 1 is the header)
    records = df.to_dict("records")
    defects = pd.Series([row_defect(r) for r in records], index=df.index)
    bad = defects != ""
    for i in df.index[bad]:
        problems.append(Problem(str(path), "bad row", f"line {line[i]}: {defects[i]}",
                                df.at[i, "dataset"], df.at[i, "subject"], df.at[i, "phase"]))
    keys = ["dataset", "subject", "phase"]
    twice = df.duplicated(keys, keep=False) & ~bad
    for key, group in df[twice].groupby(keys, sort=True):
        lines = ", ".join(str(line[i]) for i in group.index)
        problems += [Problem(str(path), "duplicate case",
                             f"lines {lines} all name this case; none is used until one is left", *key)]
    keep = ~(bad | twice)
    return df[keep].reset_index(drop=True), problems


def errors_path(manifest: Path) -> Path:
    """Where `data index` writes the problems found beside a manifest."""
    manifest = Path(manifest)
    return manifest.with_name(manifest.stem + ".errors.csv")
