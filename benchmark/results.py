"""A result set on disk: results/{cases,clinical,errors,jobs,expected}.csv and meta.json, read and written here."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .errors import CmrbenchError

CASE_COLUMNS = ["job", "model", "policy", "seed", "dataset", "subject", "phase", "structure", "dice", "hd95_mm",
                "assd_mm", "vol_pred_ml", "vol_ref_ml"]
META_COLUMNS = ["site", "vendor", "scanner", "field_strength_t", "pathology", "split", "labels_present"]
JOB_COLUMNS = ["job", "method", "model", "policy", "seed", "parameters", "operations"]
ERROR_COLUMNS = ["job", "dataset", "subject", "phase", "file", "what", "why"]
CASE_KEYS = ["job", "dataset", "subject", "phase"]
EXPECTED_COLUMNS = [*CASE_KEYS, *META_COLUMNS]  # META_COLUMNS ends with labels_present
SELECTION_RULES = {"source_val": "best checkpoint on the source validation split",
                   "last": "last checkpoint of training",
                   "oracle": "best checkpoint on labelled validation data of each target (an upper bound)"}
DEFAULT_SELECTION = "source_val"
_DTYPES = {"subject": str, "job": str, "seed": str, "labels_present": str, "selection": str}


def _frame(columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame(columns=columns)


@dataclass
class Results:
    """Per-case scores, clinical measures, errors, jobs and the cases each job was expected to score."""

    cases: pd.DataFrame = field(default_factory=lambda: _frame(CASE_COLUMNS + META_COLUMNS))
    clinical: pd.DataFrame = field(default_factory=pd.DataFrame)
    errors: pd.DataFrame = field(default_factory=lambda: _frame(ERROR_COLUMNS))
    jobs: pd.DataFrame = field(default_factory=lambda: _frame(JOB_COLUMNS))
    expected: pd.DataFrame = field(default_factory=lambda: _frame(EXPECTED_COLUMNS))
    name: str = ""
    notes: list[str] = field(default_factory=list)

    def with_methods(self) -> pd.DataFrame:
        """cases joined with each job's display name (`method`) and parameter count; `selection` filled in."""
        cols = [c for c in ("job", "method", "parameters", "operations") if c in self.jobs.columns]
        if self.cases.empty:
            return self.cases.assign(method=pd.Series(dtype=str), selection=pd.Series(dtype=str))
        merged = self.cases.merge(self.jobs[cols], on="job", how="left")
        merged["method"] = merged["method"].fillna(merged["job"])
        return merged.assign(selection=selections(merged))

    def expected_cases(self) -> pd.DataFrame:
        """`expected`, or for older result sets without it, the cases scored plus the errors naming a case."""
        return self.expected if not self.expected.empty else derive_expected(self.cases, self.errors)

    def write(self, out: Path) -> Path:
        """Write under OUT/results/ and return that folder."""
        folder = Path(out) / "results"
        folder.mkdir(parents=True, exist_ok=True)
        self.cases.to_csv(folder / "cases.csv", index=False, float_format="%.6g")
        self.clinical.to_csv(folder / "clinical.csv", index=False, float_format="%.6g")
        self.errors.to_csv(folder / "errors.csv", index=False)
        self.jobs.to_csv(folder / "jobs.csv", index=False)
        self.expected_cases().to_csv(folder / "expected.csv", index=False, float_format="%.6g")
        name = self.name or Path(out).resolve().name
        (folder / "meta.json").write_text(json.dumps({"name": name}, indent=1) + "\n")
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


def read_table(path: Path, columns: list[str] | None = None) -> pd.DataFrame:
    """A results CSV, or an empty frame with `columns` when the file is absent or empty."""
    if not path.is_file():
        return pd.DataFrame(columns=columns or [])
    try:
        return pd.read_csv(path, keep_default_na=True, dtype=_DTYPES)
    except pd.errors.EmptyDataError:
        return pd.DataFrame(columns=columns or [])


def _set_name(path: Path, folder: Path) -> str:
    meta = folder / "meta.json"
    if meta.is_file():
        try:
            name = json.loads(meta.read_text()).get("name")
        except (json.JSONDecodeError, AttributeError):
            raise CmrbenchError(f"{meta}: not a JSON object like {{\"name\": ...}}") from None
        if name:
            return str(name)
    return (folder.parent if folder.name == "results" else path).resolve().name


def load_results(path: str | Path) -> Results:
    """Read a result set from OUT/ or OUT/results/ (expected cases derived when expected.csv is absent)."""
    path = Path(path)
    folder = path / "results" if (path / "results").is_dir() else path
    if not (folder / "cases.csv").is_file():
        raise CmrbenchError(f"{path}: no results/cases.csv (is it the --out folder of a run or evaluate?)")
    res = Results(read_table(folder / "cases.csv", CASE_COLUMNS), read_table(folder / "clinical.csv"),
                  read_table(folder / "errors.csv", ERROR_COLUMNS), read_table(folder / "jobs.csv", JOB_COLUMNS),
                  read_table(folder / "expected.csv", EXPECTED_COLUMNS), name=_set_name(path, folder))
    if res.expected.empty:
        res.expected = res.expected_cases()
    return res


def combine(results: list[Results], labels: list[str | None] | None = None) -> Results:
    """One result set from several; refuses method names shared by two sets unless labels tell them apart."""
    from .merge import merge_sets

    return merge_sets(results, labels)
