"""Safe merging of result sets: reference fingerprints, labels that keep methods apart, refusal of collisions."""
from __future__ import annotations

import numpy as np
import pandas as pd

from .errors import CmrbenchError
from .results import Results

FINGERPRINT_KEYS = ["dataset", "subject", "phase", "structure"]


def fingerprint(cases: pd.DataFrame) -> pd.Series:
    """Reference volume (mL, to 1e-3) per dataset, subject, phase and structure: who a case is, in one number."""
    if cases.empty or "vol_ref_ml" not in cases:
        return pd.Series(dtype=float, index=pd.MultiIndex.from_tuples([], names=FINGERPRINT_KEYS))
    ref = cases.dropna(subset=["vol_ref_ml"]).drop_duplicates(FINGERPRINT_KEYS)
    keys = ref[FINGERPRINT_KEYS].astype(str)
    # through %.6g first, as cases.csv stores it, so a set read back from disk matches the one in memory
    vols = [round(float(f"{v:.6g}"), 3) for v in ref["vol_ref_ml"].astype(float)]
    return pd.Series(vols, index=pd.MultiIndex.from_frame(keys), dtype=float)


def fingerprint_mismatches(a: pd.DataFrame, b: pd.DataFrame) -> pd.DataFrame:
    """Cases present in both (cases.csv frames) whose reference volumes differ: dataset..structure, vol_a, vol_b."""
    fa, fb = fingerprint(a), fingerprint(b)
    both = fa.index.intersection(fb.index)
    va, vb = fa.loc[both].to_numpy(), fb.loc[both].to_numpy()
    bad = ~np.isclose(va, vb, rtol=1e-5, atol=1.5e-3)
    out = both[bad].to_frame(index=False)
    return out.assign(vol_a=va[bad], vol_b=vb[bad], shared=len(both))


def describe_mismatch(row: pd.Series) -> str:
    """'acdc patient001 ED LV: 123.457 vs 98.1 mL'."""
    return (f"{row['dataset']} {row['subject']} {row['phase']} {row['structure']}: "
            f"{row['vol_a']:g} vs {row['vol_b']:g} mL")


def relabel(res: Results, label: str) -> Results:
    """The same result set with its jobs, methods and models prefixed 'LABEL: ' so no row pools with another set."""
    prefix = f"{label}: "

    def jobs_of(df: pd.DataFrame) -> pd.DataFrame:
        if df.empty or "job" not in df:
            return df.copy()
        df = df.assign(job=prefix + df["job"].astype(str))
        return df.assign(model=prefix + df["model"].astype(str)) if "model" in df else df

    jobs = jobs_of(res.jobs)
    if not jobs.empty:
        jobs["method"] = prefix + res.jobs["method"].fillna(res.jobs["job"]).astype(str).to_numpy()
    return Results(jobs_of(res.cases), jobs_of(res.clinical), jobs_of(res.errors), jobs,
                   jobs_of(res.expected_cases()), jobs_of(res.shifts), name=label, notes=list(res.notes),
                   calibration=jobs_of(res.calibration))


def method_names(res: Results) -> set[str]:
    """Every method name a result set shows (jobs.csv's, or the job id where a job has none)."""
    names = set(res.with_methods()["method"].astype(str))
    if "method" in res.jobs:
        names |= set(res.jobs["method"].fillna(res.jobs["job"]).astype(str))
    return names


def _refuse_collisions(sets: list[Results]) -> None:
    for i, a in enumerate(sets):
        for b in sets[i + 1:]:
            shared = sorted(method_names(a) & method_names(b))
            if shared:
                raise CmrbenchError(
                    f"result sets '{a.name}' and '{b.name}' both contain method '{shared[0]}': combined, their "
                    f"rows would be pooled into one; give each set a label, e.g. --label {a.name}=A "
                    f"--label {b.name}=B")


def _fingerprint_notes(sets: list[Results]) -> list[str]:
    notes = []
    for i, a in enumerate(sets):
        for b in sets[i + 1:]:
            bad = fingerprint_mismatches(a.cases, b.cases)
            if not bad.empty:
                notes.append(f"result sets '{a.name}' and '{b.name}' disagree on the reference volume of {len(bad)} "
                             f"of {int(bad['shared'].iloc[0])} shared cases (first: {describe_mismatch(bad.iloc[0])}):"
                             f" the same names hold different subjects or references, so their rows are never "
                             f"pooled and are not comparable case by case")
    return notes


def merge_sets(results: list[Results], labels: list[str | None] | None = None) -> Results:
    """One result set from several: labelled ones get prefixed; shared method names are refused."""
    labels = list(labels) if labels is not None else [None] * len(results)
    if len(labels) != len(results):
        raise ValueError("one label (or None) per result set")
    given = [lab for lab in labels if lab]
    if len(set(given)) < len(given):
        raise CmrbenchError(f"--label: two result sets got the same label ({', '.join(sorted(given))})")
    sets = [relabel(r, lab) if lab else r for r, lab in zip(results, labels)]
    if len(sets) == 1:
        return sets[0]
    _refuse_collisions(sets)

    def cat(frames: list[pd.DataFrame]) -> pd.DataFrame:
        full = [f for f in frames if not f.empty]
        return pd.concat(full, ignore_index=True) if full else frames[0]

    notes = [n for r in sets for n in r.notes] + _fingerprint_notes(sets)
    return Results(cat([r.cases for r in sets]), cat([r.clinical for r in sets]), cat([r.errors for r in sets]),
                   cat([r.jobs for r in sets]).drop_duplicates("job"), cat([r.expected_cases() for r in sets]),
                   cat([r.shifts for r in sets]), name="+".join(r.name for r in sets), notes=notes,
                   calibration=cat([r.calibration for r in sets]))
