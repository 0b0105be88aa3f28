"""A result set on disk: results/{cases,clinical,errors,jobs,expected}.csv and meta.json, read and written here."""
from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .atomic import write_csv_atomic, write_text_atomic
from .errors import CmrbenchError

CASE_COLUMNS = ["job", "model", "policy", "seed", "dataset", "subject", "phase", "structure", "dice", "hd95_mm",
                "assd_mm", "vol_pred_ml", "vol_ref_ml"]
META_COLUMNS = ["site", "vendor", "scanner", "field_strength_t", "pathology", "split", "labels_present"]
JOB_COLUMNS = ["job", "method", "model", "policy", "seed", "parameters", "operations"]
ERROR_COLUMNS = ["job", "dataset", "subject", "phase", "file", "what", "why"]
CASE_KEYS = ["job", "dataset", "subject", "phase"]
EXPECTED_COLUMNS = [*CASE_KEYS, *META_COLUMNS]  # META_COLUMNS ends with labels_present
CALIBRATION_COLUMNS = [*CASE_KEYS, "selection", "shift", "severity", "structure", "temperature", "bin", "count",
                       "confidence_sum", "correct_sum"]
SELECTION_RULES = {"source_val": "best checkpoint on the source validation split",
                   "last": "last checkpoint of training",
                   "oracle": "best checkpoint on labelled validation data of each target (an upper bound)"}
DEFAULT_SELECTION = "source_val"
_DTYPES = {"subject": str, "job": str, "seed": str, "labels_present": str, "selection": str, "temperature": str}


def _frame(columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame(columns=columns)


@dataclass
class Results:
    """Per-case scores, clinical measures, errors, jobs, expected cases and calibration bin sums (may be empty)."""

    cases: pd.DataFrame = field(default_factory=lambda: _frame(CASE_COLUMNS + META_COLUMNS))
    clinical: pd.DataFrame = field(default_factory=pd.DataFrame)
    errors: pd.DataFrame = field(default_factory=lambda: _frame(ERROR_COLUMNS))
    jobs: pd.DataFrame = field(default_factory=lambda: _frame(JOB_COLUMNS))
    expected: pd.DataFrame = field(default_factory=lambda: _frame(EXPECTED_COLUMNS))
    shifts: pd.DataFrame = field(default_factory=pd.DataFrame)  # cases under graded shifts (+ shift, severity)
    name: str = ""
    notes: list[str] = field(default_factory=list)
    calibration: pd.DataFrame = field(default_factory=lambda: _frame(CALIBRATION_COLUMNS))

    def with_methods(self) -> pd.DataFrame:
        """cases joined with each job's display name (`method`) and parameter count; `selection` filled in."""
        cols = [c for c in ("job", "method", "parameters", "operations", "algorithm", "algorithm_parts")
                if c in self.jobs.columns]
        if self.cases.empty:
            return self.cases.assign(method=pd.Series(dtype=str), selection=pd.Series(dtype=str))
        merged = self.cases.merge(self.jobs[cols], on="job", how="left")
        merged["method"] = merged["method"].fillna(merged["job"])
        return merged.assign(selection=selections(merged))

    def expected_cases(self) -> pd.DataFrame:
        """`expected`, or for older result sets without it, the cases scored plus the errors naming a case."""
        return self.expected if not self.expected.empty else derive_expected(self.cases, self.errors)

    def write(self, out: Path) -> Path:
        """Write under OUT/results/ and return that folder (each file whole or not at all: temporary name, rename)."""
        folder = Path(out) / "results"
        write_csv_atomic(self.cases, folder / "cases.csv", index=False, float_format="%.6g")
        write_csv_atomic(self.clinical, folder / "clinical.csv", index=False, float_format="%.6g")
        write_csv_atomic(self.errors, folder / "errors.csv", index=False)
        write_csv_atomic(self.jobs, folder / "jobs.csv", index=False)
        write_csv_atomic(self.expected_cases(), folder / "expected.csv", index=False, float_format="%.6g")
        if not self.shifts.empty or (folder / "shifts.csv").exists():
            write_csv_atomic(self.shifts, folder / "shifts.csv", index=False, float_format="%.6g")
        if not self.calibration.empty:  # optional: absent from sets evaluated without calibration
            write_csv_atomic(self.calibration, folder / "calibration.csv", index=False, float_format="%.10g")
        else:  # nor is one left from an earlier evaluation into this folder
            (folder / "calibration.csv").unlink(missing_ok=True)
        name = self.name or Path(out).resolve().name
        write_text_atomic(folder / "meta.json", json.dumps({"name": name}, indent=1) + "\n")
        return folder


def selections(cases: pd.DataFrame) -> pd.Series:
    """The model-selection rule of each row: column `selection`, `source_val` where absent or empty."""
    if "selection" not in cases.columns:
        return pd.Series(DEFAULT_SELECTION, index=cases.index, dtype=object)
    return cases["selection"].fillna(DEFAULT_SELECTION).replace("", DEFAULT_SELECTION).astype(str)


def _lookup(rows: pd.DataFrame, source: pd.DataFrame, on: list[str], cols: list[str]) -> pd.DataFrame:
    """Fill `cols` of rows where NaN from the first matching row of source on `on`."""
    table = source.drop_duplicates(on).set_index(on)[cols]
    found = table.reindex(pd.MultiIndex.from_frame(rows[on]) if len(on) > 1 else rows[on[0]])
    for c in cols:
        rows[c] = rows[c].where(rows[c].notna(), found[c].to_numpy())
    return rows


def derive_expected(cases: pd.DataFrame, errors: pd.DataFrame) -> pd.DataFrame:
    """Expected cases of an older result set: every case scored, plus each error row of a job naming a case.

    Errors under job 'data' (unreadable inputs found before training) name no job and no split, so are left out."""
    scored = cases.reindex(columns=EXPECTED_COLUMNS).drop_duplicates(CASE_KEYS)
    errs = errors.reindex(columns=CASE_KEYS).dropna()
    errs = errs[(errs["job"].astype(str) != "data") & (errs["subject"].astype(str) != "")
                & (errs["phase"].astype(str) != "")].astype(str).drop_duplicates()
    if errs.empty:
        return scored.reset_index(drop=True)
    known = set(map(tuple, scored[CASE_KEYS].astype(str).to_numpy()))
    errs = errs[[tuple(r) not in known for r in errs.to_numpy()]].reindex(columns=EXPECTED_COLUMNS)
    if not scored.empty:
        meta = [c for c in META_COLUMNS if c != "labels_present"]
        errs = _lookup(errs, scored, ["dataset", "subject", "phase"], META_COLUMNS)
        errs = _lookup(errs, scored, ["dataset", "subject"], meta)
        errs = _lookup(errs, scored.dropna(subset=["labels_present"]), ["dataset", "phase"], ["labels_present"])
    return pd.concat([scored, errs], ignore_index=True) if not scored.empty else errs.reset_index(drop=True)


# what leaderboard and compare need of each table of a result set, and the numbers they must hold
REQUIRED_COLUMNS = {"cases.csv": [*CASE_KEYS, "structure", "dice"], "expected.csv": CASE_KEYS,
                    "jobs.csv": ["job", "method"], "errors.csv": [], "clinical.csv": [],
                    "shifts.csv": [*CASE_KEYS, "structure", "dice", "shift", "severity"],
                    "calibration.csv": [*CASE_KEYS, "structure", "temperature", "bin", "count", "confidence_sum",
                                        "correct_sum"]}
NUMBER_RANGES = {"dice": (0.0, 1.0), "hd95_mm": (0.0, None), "assd_mm": (0.0, None), "vol_pred_ml": (0.0, None),
                 "vol_ref_ml": (0.0, None)}


def _text(path: Path) -> str:
    """The file as UTF-8 text, or one CmrbenchError saying why it is not a readable, whole CSV."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise CmrbenchError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    nul = data.find(b"\0")
    if nul >= 0:
        raise CmrbenchError(f"{path}: a binary file, not a CSV (NUL byte at offset {nul})")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CmrbenchError(f"{path}: not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start})") from None
    if text.strip() and not text.endswith(("\n", "\r")):
        raise CmrbenchError(f"{path}: the last line has no line end: the file was cut short (written by an "
                            "interrupted copy?); write it again, or end that line if it is whole")
    return text


def _check_rows(path: Path, text: str) -> None:
    """Every row has as many fields as the header (a row cut short or run into the next is named by its line)."""
    reader = csv.reader(io.StringIO(text))
    try:
        header = next(reader, None)
        if header is None:
            return
        for row in reader:
            if row and len(row) != len(header):
                raise CmrbenchError(f"{path}: line {reader.line_num} has {len(row)} field(s), the header "
                                    f"{len(header)}: the file is cut short or damaged")
    except csv.Error as exc:
        raise CmrbenchError(f"{path}: line {reader.line_num}: not a CSV row ({exc})") from None


def _check_values(path: Path, df: pd.DataFrame, required: list[str]) -> None:
    """Required columns present and filled; numbers parse and lie in their range (line numbers as in the file)."""
    missing = [c for c in required if c not in df.columns]
    if missing:
        raise CmrbenchError(f"{path}: no column(s) {', '.join(missing)} (has: {', '.join(map(str, df.columns))}); "
                            "is it a cmrbench results table?")
    for col in required:
        empty = df[col].isna() | (df[col].astype(str).str.strip() == "")
        if empty.any():
            raise CmrbenchError(f"{path}: line {_line(df, empty)}: no {col} (a number or name is required there)")
    for col, (lo, hi) in NUMBER_RANGES.items():
        if col not in df.columns:
            continue
        values = pd.to_numeric(df[col], errors="coerce")
        bad = values.isna() & df[col].notna()
        if bad.any():
            raise CmrbenchError(f"{path}: line {_line(df, bad)}: {col} {df[col][bad].iloc[0]!r} is not a number")
        out = (values < lo) | (values > hi if hi is not None else False)
        if out.any():
            rng = f"[{lo:g}, {hi:g}]" if hi is not None else f">= {lo:g}"
            raise CmrbenchError(f"{path}: line {_line(df, out)}: {col} {values[out].iloc[0]:g} is outside {rng}")
        df[col] = values


def _line(df: pd.DataFrame, mask: pd.Series) -> int:
    return int(mask.to_numpy().argmax()) + 2  # the header is line 1


def read_table(path: Path, columns: list[str] | None = None, required: list[str] | None = None) -> pd.DataFrame:
    """A results CSV, or an empty frame with `columns` when the file is absent or holds nothing.

    A file that is not a whole CSV (binary, not UTF-8, cut short, a row with too few or too many fields) raises
    one CmrbenchError naming it; with `required`, so do missing or empty required columns and numbers that do
    not parse or lie outside their range (Dice in [0, 1], distances and volumes >= 0)."""
    path = Path(path)
    if not path.is_file():
        return pd.DataFrame(columns=columns or [])
    text = _text(path)
    if not text.strip():
        if required:
            raise CmrbenchError(f"{path}: an empty file (not even a header row); write it again")
        return pd.DataFrame(columns=columns or [])
    _check_rows(path, text)
    try:
        df = pd.read_csv(io.StringIO(text), keep_default_na=True, dtype=_DTYPES)
    except pd.errors.EmptyDataError:
        return pd.DataFrame(columns=columns or [])
    except (ValueError, pd.errors.ParserError) as exc:
        raise CmrbenchError(f"{path}: not a readable CSV ({str(exc).strip().splitlines()[-1]})") from None
    if required is not None:
        _check_values(path, df, required)
    return df


def _set_name(path: Path, folder: Path) -> str:
    meta = folder / "meta.json"
    if meta.is_file():
        try:
            name = json.loads(meta.read_bytes().decode("utf-8")).get("name")
        except OSError as exc:
            raise CmrbenchError(f"{meta}: cannot be read ({exc.strerror or exc})") from None
        except (ValueError, AttributeError):  # not UTF-8, not JSON, or JSON but not an object
            raise CmrbenchError(f"{meta}: not a JSON object like {{\"name\": ...}}") from None
        if name:
            return str(name)
    return (folder.parent if folder.name == "results" else path).resolve().name


def _calibration(folder: Path) -> pd.DataFrame:
    """results/calibration.csv, or an empty frame for result sets written without it (it is optional)."""
    path = folder / "calibration.csv"
    if not path.is_file():
        return _frame(CALIBRATION_COLUMNS)
    return read_table(path, CALIBRATION_COLUMNS, REQUIRED_COLUMNS["calibration.csv"])


def load_results(path: str | Path) -> Results:
    """Read a result set from OUT/ or OUT/results/ (expected cases derived when expected.csv is absent).

    Every table is checked as it is read: one CmrbenchError names the first file that is damaged and how."""
    path = Path(path)
    if not path.exists():
        raise CmrbenchError(f"{path}: no such folder (give the --out folder of a run or evaluate)")
    if not path.is_dir():
        raise CmrbenchError(f"{path}: not a folder (give the --out folder of a run or evaluate)")
    folder = path / "results" if (path / "results").is_dir() else path
    if not (folder / "cases.csv").is_file():
        raise CmrbenchError(f"{path}: no results/cases.csv (is it the --out folder of a run or evaluate?)")

    def table(name: str, columns: list[str] | None = None) -> pd.DataFrame:
        return read_table(folder / name, columns, REQUIRED_COLUMNS[name])

    res = Results(table("cases.csv", CASE_COLUMNS), table("clinical.csv"), table("errors.csv", ERROR_COLUMNS),
                  table("jobs.csv", JOB_COLUMNS), table("expected.csv", EXPECTED_COLUMNS), name=_set_name(path, folder),
                  calibration=_calibration(folder))
    if res.expected.empty:
        res.expected = res.expected_cases()
    if (folder / "shifts.csv").is_file():
        res.shifts = table("shifts.csv")
    return res


def combine(results: list[Results], labels: list[str | None] | None = None) -> Results:
    """One result set from several; refuses method names shared by two sets unless labels tell them apart."""
    from .merge import merge_sets

    return merge_sets(results, labels)
