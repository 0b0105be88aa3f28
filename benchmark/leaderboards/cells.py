"""One leaderboard number: mean over subjects, bootstrap interval, n, spread across seeds; and its text."""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..bootstrap import N_RESAMPLES, bootstrap_ci, seed_spread

DASH = "–"
STAT_COLUMNS = ["mean", "ci_low", "ci_high", "n_subjects", "n_scored", "n_expected", "n_seeds", "seed_se", "sd"]
CELL_NOTE = (f"cell: mean Dice over subjects [95 % percentile bootstrap interval, {N_RESAMPLES} resamples of "
             "subjects, fixed seed] n = subjects; a subject's value is its mean over phases and seeds; with several "
             "seeds, ± is the standard error of the per-seed means (k seeds); 'a/b scored' counts cases "
             "(subject x phase x seed) scored of those expected, shown where some were not")


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


def cell_stats(rows: pd.DataFrame, missing: str = "exclude") -> dict[str, float]:
    """Statistics of one cell from its rows (job, subject, phase, dice, scored); unscored rows are Dice 0 if 'fail'."""
    scored = rows["scored"].to_numpy(bool)
    used = np.ones(len(rows), bool) if missing == "fail" else scored
    out: dict[str, float] = {"n_scored": int(scored.sum()), "n_expected": len(rows)}
    if not used.any():
        return {**out, "mean": np.nan, "ci_low": np.nan, "ci_high": np.nan, "n_subjects": 0, "n_seeds": 0,
                "seed_se": np.nan, "sd": np.nan}
    dice = np.where(scored, rows["dice"].to_numpy(float), 0.0)[used]
    job, subject, phase = (rows[c].astype(str).to_numpy()[used] for c in ("job", "subject", "phase"))
    subjects, _ = _means(dice, subject)
    low, high = bootstrap_ci(subjects)
    job_subject, job_code = _means(dice, job, subject)
    per_seed = np.bincount(job_code, job_subject) / np.bincount(job_code)
    n_seeds, se = seed_spread(per_seed)
    cases, _ = _means(dice, subject, phase)
    return {**out, "mean": float(subjects.mean()), "ci_low": low, "ci_high": high, "n_subjects": len(subjects),
            "n_seeds": n_seeds, "seed_se": se, "sd": float(cases.std(ddof=1)) if len(cases) > 1 else np.nan}


def summarise(frame: pd.DataFrame, keys: list[str], missing: str = "exclude") -> pd.DataFrame:
    """One row of cell statistics per distinct value of `keys` (the tidy table)."""
    rows = [{**dict(zip(keys, key if isinstance(key, tuple) else (key,))), **cell_stats(g, missing)}
            for key, g in frame.groupby(keys, sort=True, dropna=False)]
    out = pd.DataFrame(rows, columns=[*keys, *STAT_COLUMNS])
    for c in ("n_subjects", "n_scored", "n_expected", "n_seeds"):
        out[c] = out[c].astype(int)
    return out


def cell_text(s: pd.Series | dict) -> str:
    """'0.934 [0.91, 0.95] n=10 ±0.004 (3 seeds) (9/12 scored)', or a dash where nothing was scored."""
    if not s["n_subjects"] or np.isnan(s["mean"]):
        text = DASH
    else:
        text = f"{s['mean']:.3f} [{s['ci_low']:.2f}, {s['ci_high']:.2f}] n={int(s['n_subjects'])}"
        if s["n_seeds"] >= 2:
            text += f" ±{s['seed_se']:.3f} ({int(s['n_seeds'])} seeds)"
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
