"""A result set on disk: results/{cases,clinical,errors,jobs}.csv, read and written in one place."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .errors import CmrbenchError

CASE_COLUMNS = ["job", "model", "policy", "seed", "dataset", "subject", "phase", "structure", "dice", "hd95_mm",
                "assd_mm", "vol_pred_ml", "vol_ref_ml"]
META_COLUMNS = ["site", "vendor", "scanner", "field_strength_t", "pathology", "split", "labels_present"]
JOB_COLUMNS = ["job", "method", "model", "policy", "seed", "parameters", "operations"]
ERROR_COLUMNS = ["job", "dataset", "subject", "phase", "file", "what", "why"]


@dataclass
class Results:
    """Per-case scores, clinical measures, errors and the jobs that produced them."""

    cases: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=CASE_COLUMNS + META_COLUMNS))
    clinical: pd.DataFrame = field(default_factory=pd.DataFrame)
    errors: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=ERROR_COLUMNS))
    jobs: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=JOB_COLUMNS))

    def with_methods(self) -> pd.DataFrame:
        """cases joined with each job's display name (`method`) and parameter count."""
        cols = [c for c in ("job", "method", "parameters", "operations") if c in self.jobs.columns]
        if self.cases.empty:
            return self.cases.assign(method=pd.Series(dtype=str))
        merged = self.cases.merge(self.jobs[cols], on="job", how="left")
        merged["method"] = merged["method"].fillna(merged["job"])
        return merged

    def write(self, out: Path) -> Path:
        """Write under OUT/results/ and return that folder."""
        folder = Path(out) / "results"
        folder.mkdir(parents=True, exist_ok=True)
        self.cases.to_csv(folder / "cases.csv", index=False, float_format="%.6g")
        self.clinical.to_csv(folder / "clinical.csv", index=False, float_format="%.6g")
        self.errors.to_csv(folder / "errors.csv", index=False)
        self.jobs.to_csv(folder / "jobs.csv", index=False)
        return folder


def _read(path: Path, columns: list[str] | None = None) -> pd.DataFrame:
    if not path.is_file():
        return pd.DataFrame(columns=columns or [])
    try:
        return pd.read_csv(path, keep_default_na=True, dtype={"subject": str, "job": str, "seed": str})
    except pd.errors.EmptyDataError:
        return pd.DataFrame(columns=columns or [])


def load_results(path: str | Path) -> Results:
    """Read a result set from OUT/ or OUT/results/."""
    path = Path(path)
    folder = path / "results" if (path / "results").is_dir() else path
    if not (folder / "cases.csv").is_file():
        raise CmrbenchError(f"{path}: no results/cases.csv (is it the --out folder of a run or evaluate?)")
    return Results(_read(folder / "cases.csv", CASE_COLUMNS), _read(folder / "clinical.csv"),
                   _read(folder / "errors.csv", ERROR_COLUMNS), _read(folder / "jobs.csv", JOB_COLUMNS))


def combine(results: list[Results]) -> Results:
    """One result set from several (jobs must have distinct ids)."""
    cat = lambda frames: pd.concat([f for f in frames if not f.empty], ignore_index=True) if any(  # noqa: E731
        not f.empty for f in frames) else frames[0]
    return Results(cat([r.cases for r in results]), cat([r.clinical for r in results]),
                   cat([r.errors for r in results]), cat([r.jobs for r in results]).drop_duplicates("job"))
