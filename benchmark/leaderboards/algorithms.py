"""Table III for algorithms: each algorithm's Dice minus erm's with the same model, policy and held-out domain,
paired per subject (phases and seeds averaged), with a bootstrap interval and a Holm-corrected Wilcoxon test."""
from __future__ import annotations

import pandas as pd

from ..compare import KEYS, subject_means
from ..labels import STRUCTURES
from ..results import Results
from ..stats import wilcoxon_holm
from .cases import case_frame, seeds_note
from .cells import DASH
from .tables import Table, register

REFERENCE = "erm"
NAME = "table3_vs_erm"
NOTE = ("cell: mean over subjects of (algorithm - erm) Dice [paired 95 % percentile bootstrap interval] n = subjects "
        "scored by both; a subject's value is its mean over phases and seeds; * the interval excludes 0; p_holm: "
        "paired Wilcoxon, Holm-corrected over every cell of this table")


def reference_methods(jobs: pd.DataFrame) -> dict[str, str]:
    """Each non-erm method -> the erm method with the same model, policy and held-out domain."""
    if "algorithm" not in jobs or jobs.empty:
        return {}
    keys = [c for c in ("model", "policy", "heldout") if c in jobs]
    frame = jobs.assign(**{k: jobs[k].map(lambda v: "" if pd.isna(v) else str(v)) for k in keys})
    erm = frame[frame["algorithm"] == REFERENCE].drop_duplicates(keys).set_index(keys)["method"]
    out = {}
    for row in frame[frame["algorithm"].fillna(REFERENCE) != REFERENCE].itertuples(index=False):
        key = tuple(getattr(row, k) for k in keys)
        if key in erm.index:
            out[str(row.method)] = str(erm.loc[key] if len(keys) > 1 else erm.loc[key[0]])
    return out


def _cell(r: pd.Series) -> str:
    if not r["n"]:
        return DASH
    star = " *" if r["ci_low"] > 0 or r["ci_high"] < 0 else ""
    return f"{r['diff']:+.3f} [{r['ci_low']:+.2f}, {r['ci_high']:+.2f}] n={int(r['n'])}{star}"


@register(NAME, "Table III (algorithms): Dice of each algorithm minus erm with the same model and policy, "
                "paired per subject")
def table3_vs_erm(res: Results, missing: str = "exclude") -> Table:
    pairs_of = reference_methods(res.jobs)
    if not pairs_of:
        return Table(NAME, "", absent="no algorithm other than erm with an erm training of the same model and policy")
    means = subject_means(res, sorted({*pairs_of, *pairs_of.values()}))
    frames = []
    for method, ref in pairs_of.items():
        a, b = means[means["method"] == method], means[means["method"] == ref]
        pairs = a[[*KEYS, "dice"]].merge(b[[*KEYS, "dice"]], on=KEYS, suffixes=("_a", "_b"))
        if not pairs.empty:
            frames.append(pairs.assign(method=method, reference=ref))
    if not frames:
        return Table(NAME, "", absent="no subject scored by both an algorithm and its erm training")
    pairs = pd.concat(frames, ignore_index=True)
    several_rules = pairs["selection"].nunique() > 1
    by = ["method", "reference", *(["selection"] if several_rules else []), "dataset", "structure"]
    tidy = wilcoxon_holm(pairs, "dice_a", "dice_b", by=by).rename(columns={"mean_a": "mean", "mean_b": "mean_erm"})
    rows = []
    for key, g in tidy.groupby(by[:-2], sort=False):
        key = key if isinstance(key, tuple) else (key,)
        cells = {f"{d} {s}": _cell(g[(g.dataset == d) & (g.structure == s)].iloc[0])
                 if ((g.dataset == d) & (g.structure == s)).any() else DASH
                 for d in sorted(tidy["dataset"].unique()) for s in STRUCTURES}
        rows.append({**dict(zip(by[:-2], key)), **cells})
    notes = [NOTE, seeds_note(case_frame(res)), "only subjects scored by both trainings are paired; Table III "
             "counts the cases each could not score"]
    return Table(NAME, "", tidy, pd.DataFrame(rows), notes)
