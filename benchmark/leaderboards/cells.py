"""One leaderboard number: mean over subjects, bootstrap interval, n, spread across seeds; and its text."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..bootstrap import N_RESAMPLES, bootstrap_ci, seed_spread

DASH = "–"
STAT_COLUMNS = ["mean", "ci_low", "ci_high", "n_subjects", "n_scored", "n_expected", "n_seeds", "seed_se", "sd"]


@dataclass(frozen=True)
class Metric:
    """A per-case column of cases.csv that a table averages: its name, unit, direction and printed decimals."""

    column: str
    name: str
    unit: str = ""
    higher_is_better: bool = True
    digits: int = 3  # of the mean (and of the seed spread)
    ci_digits: int = 2
    miss: float | None = 0.0  # what --missing fail counts for a case without a prediction; None: not applicable


DICE = Metric("dice", "Dice")
HD95 = Metric("hd95_mm", "HD95", "mm", higher_is_better=False, digits=2, ci_digits=2, miss=None)
ASSD = Metric("assd_mm", "ASSD", "mm", higher_is_better=False, digits=2, ci_digits=2, miss=None)


def cell_note(metric: Metric = DICE) -> str:
    """What a cell of a table of `metric` holds."""
    unit = f" in {metric.unit}" if metric.unit else ""
    return (f"cell: mean {metric.name}{unit} over subjects [95 % percentile bootstrap interval, {N_RESAMPLES} "
            "resamples of subjects, fixed seed] n = subjects; a subject's value is its mean over phases and seeds; "
            "with several seeds, ± is the standard error of the per-seed means (k seeds); 'a/b scored' counts "
            "cases (subject x phase x seed) scored of those expected, shown where some were not")


CELL_NOTE = cell_note(DICE)


def _means(values: np.ndarray, *keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean of values per distinct key tuple, and the first key's code of each group."""
    codes = [np.unique(k, return_inverse=True)[1] for k in keys]
    combined = codes[0]
    for c in codes[1:]:
        combined = np.unique(combined * (c.max() + 1) + c, return_inverse=True)[1]
    sums, counts = np.bincount(combined, values), np.bincount(combined)
    first = np.zeros(len(counts), int)
    first[combined] = codes[0]
    return sums / counts, first


def cell_stats(rows: pd.DataFrame, missing: str = "exclude", metric: Metric = DICE) -> dict[str, float]:
    """Statistics of one cell from its rows (job, subject, phase, metric, scored); unscored rows count metric.miss
    (Dice 0) if 'fail'. A row without a finite value is not scored; a metric whose miss is None ignores 'fail'."""
    values = rows[metric.column].to_numpy(float) if metric.column in rows else np.full(len(rows), np.nan)
    scored = rows["scored"].to_numpy(bool) & np.isfinite(values)
    fail = missing == "fail" and metric.miss is not None
    used = np.ones(len(rows), bool) if fail else scored
    out: dict[str, float] = {"n_scored": int(scored.sum()), "n_expected": len(rows)}
    if not used.any():
        return {**out, "mean": np.nan, "ci_low": np.nan, "ci_high": np.nan, "n_subjects": 0, "n_seeds": 0,
                "seed_se": np.nan, "sd": np.nan}
    value = np.where(scored, values, metric.miss or 0.0)[used]
    job, subject, phase = (rows[c].astype(str).to_numpy()[used] for c in ("job", "subject", "phase"))
    subjects, _ = _means(value, subject)
    low, high = bootstrap_ci(subjects)
    job_subject, job_code = _means(value, job, subject)
    per_seed = np.bincount(job_code, job_subject) / np.bincount(job_code)
    n_seeds, se = seed_spread(per_seed)
    cases, _ = _means(value, subject, phase)
    return {**out, "mean": float(subjects.mean()), "ci_low": low, "ci_high": high, "n_subjects": len(subjects),
            "n_seeds": n_seeds, "seed_se": se, "sd": float(cases.std(ddof=1)) if len(cases) > 1 else np.nan}


def summarise(frame: pd.DataFrame, keys: list[str], missing: str = "exclude", metric: Metric = DICE) -> pd.DataFrame:
    """One row of cell statistics per distinct value of `keys` (the tidy table)."""
    rows = [{**dict(zip(keys, key if isinstance(key, tuple) else (key,))), **cell_stats(g, missing, metric)}
            for key, g in frame.groupby(keys, sort=True, dropna=False)]
    out = pd.DataFrame(rows, columns=[*keys, *STAT_COLUMNS])
    for c in ("n_subjects", "n_scored", "n_expected", "n_seeds"):
        out[c] = out[c].astype(int)
    return out


def cell_text(s: pd.Series | dict, metric: Metric = DICE) -> str:
    """'0.934 [0.91, 0.95] n=10 ±0.004 (3 seeds) (9/12 scored)', or a dash where nothing was scored."""
    if not s["n_subjects"] or np.isnan(s["mean"]):
        text = DASH
    else:
        d, c = metric.digits, metric.ci_digits
        text = f"{s['mean']:.{d}f} [{s['ci_low']:.{c}f}, {s['ci_high']:.{c}f}] n={int(s['n_subjects'])}"
        if s["n_seeds"] >= 2:
            text += f" ±{s['seed_se']:.{d}f} ({int(s['n_seeds'])} seeds)"
    if s["n_scored"] < s["n_expected"]:
        text += f" ({int(s['n_scored'])}/{int(s['n_expected'])} scored)"
    return text


def case_counts(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Per distinct `keys`: cases (job x subject x phase) scored and expected, and their text 'a/b'."""
    case_keys = [*keys, "job", "dataset", "subject", "phase"]
    cases = frame.groupby(list(dict.fromkeys(case_keys)), dropna=False)["scored"].any().reset_index()
    out = cases.groupby(keys, dropna=False)["scored"].agg(cases_scored="sum", cases_expected="count").reset_index()
    out["scored"] = [f"{a}/{b}" for a, b in zip(out["cases_scored"], out["cases_expected"])]
    return out
