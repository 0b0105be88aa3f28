"""Table IX (Spearman) and the Bland-Altman table: clinical measures per subject, averaged over seeds first."""
from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from ..clinical import MEASURES
from ..results import Results, selections
from ..stats import bland_altman, spearman
from .cases import ORACLE, case_frame, seeds_note, selection_note
from .cells import DASH
from .tables import Table, register

NO_CLINICAL = "no subject has both ED and ES scored, so no clinical measure"
SEEDS_AVERAGED = ("each subject's automatic value is averaged over seeds first: n = subjects (never subject x seed), "
                  "the manual value is the subject's own")


def clinical_rows(res: Results) -> pd.DataFrame:
    """clinical.csv with each job's method and seed, oracle-selected rows left out."""
    clin = res.clinical
    if clin.empty:
        return pd.DataFrame()
    jobs = res.jobs.drop_duplicates("job").set_index("job") if "job" in res.jobs else pd.DataFrame()
    method = clin["job"].map(jobs["method"]) if "method" in jobs else pd.Series(np.nan, index=clin.index)
    seed = clin["job"].map(jobs["seed"]) if "seed" in jobs else pd.Series(np.nan, index=clin.index)
    clin = clin.assign(method=method.fillna(clin["job"]), seed=seed, selection=selections(clin),
                       measure=pd.Categorical(clin["measure"].astype(str), MEASURES, ordered=True))
    return clin[clin["selection"] != ORACLE]


def per_subject(clin: pd.DataFrame, extra: list[str]) -> pd.DataFrame:
    """One row per method, dataset, subject and measure: auto and manual averaged over the method's seeds."""
    keys = ["method", *extra, "dataset", "subject", "measure"]
    return clin.groupby(keys, observed=True).agg(auto=("auto", "mean"), manual=("manual", "mean")).reset_index()


def _expected_subjects(res: Results) -> pd.Series:
    frame = case_frame(res)
    frame = frame[frame["selection"] != ORACLE]
    return frame.groupby(["method", "dataset"])["subject"].nunique() if not frame.empty else pd.Series(dtype=int)


def _per_measure(res: Results, stat: Callable[[np.ndarray, np.ndarray], dict]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """`stat(auto, manual)` per method, dataset and clinical measure over subjects; and the rows it used."""
    clin = clinical_rows(res)
    if clin.empty:
        return pd.DataFrame(), clin
    extra = ["selection"] if clin["selection"].nunique() > 1 else []
    subjects = per_subject(clin, extra)
    expected = _expected_subjects(res)
    rows = [{**dict(zip(["method", *extra, "dataset", "measure"], key)),
             **stat(g["auto"].to_numpy(), g["manual"].to_numpy()),
             "n_expected_subjects": int(expected.get((key[0], key[-2]), g["subject"].nunique()))}
            for key, g in subjects.groupby(["method", *extra, "dataset", "measure"], observed=True)]
    return pd.DataFrame(rows), clin


def _notes(clin: pd.DataFrame, res: Results) -> list[str]:
    return [SEEDS_AVERAGED, selection_note(clin), seeds_note(clin),
            "a subject lacks a measure when a case it needs was not scored (--missing does not apply: a missing "
            "case has no volume); 'of N' counts the subjects expected", *res.notes]


def _spearman(auto: np.ndarray, manual: np.ndarray) -> dict:
    rho, p, n = spearman(auto, manual)
    return {"n": n, "rho": rho, "p": p}


def _bland_altman(auto: np.ndarray, manual: np.ndarray) -> dict:
    ba = bland_altman(auto, manual)
    return {"n": ba.n, "removed": ba.removed, "mean_diff": ba.mean_diff, "sd": ba.sd_diff, "loa_low": ba.loa_low,
            "loa_high": ba.loa_high}


def _rho_text(rho: float, p: float, n: int, expected: int) -> str:
    if np.isnan(rho):
        return DASH
    return f"{rho:.3f} (p={p:.2g}, n={n}" + (f" of {expected})" if n < expected else ")")


@register("table9_correlation", "Table IX: Spearman correlation of clinical measures, automatic vs manual")
def table9(res: Results) -> Table:
    tidy, clin = _per_measure(res, _spearman)
    if tidy.empty:
        return Table("table9_correlation", "", absent=NO_CLINICAL)
    index = [c for c in ("method", "selection", "dataset") if c in tidy.columns]
    wide = tidy.assign(cell=[_rho_text(r, p, n, e) for r, p, n, e in
                             zip(tidy.rho, tidy.p, tidy.n, tidy.n_expected_subjects)])
    wide = wide.pivot_table(index=index, columns="measure", values="cell", aggfunc="first",
                            observed=True).reset_index()
    wide.columns.name = None
    wide = wide[[*index, *[m for m in MEASURES if m in wide.columns]]]
    missing = [m for m in MEASURES if m not in wide.columns]
    notes = ["p: two-sided; exact permutation p (all n! pairings) for n <= 9, otherwise the asymptotic t "
             "approximation", *_notes(clin, res)]
    if missing:
        notes.append(f"{DASH} {', '.join(missing)}: no dataset annotates the structures they need")
    return Table("table9_correlation", "", tidy, wide.fillna(DASH), notes)


@register("bland_altman", "Bland-Altman: mean difference (auto - manual), SD and 95 % limits of agreement")
def bland_altman_table(res: Results) -> Table:
    tidy, clin = _per_measure(res, _bland_altman)
    if tidy.empty:
        return Table("bland_altman", "", absent=NO_CLINICAL)
    wide = tidy.copy()
    for c in ("mean_diff", "sd", "loa_low", "loa_high"):
        wide[c] = wide[c].map(lambda v: DASH if np.isnan(v) else f"{v:.2f}")
    notes = ["pairs whose mean lies outside 1.5 x IQR of the means are removed first; 'removed' counts them",
             "units: mL for volumes, g for LVM, percentage points for EF", *_notes(clin, res)]
    return Table("bland_altman", "", tidy, wide, notes)
