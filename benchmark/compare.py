"""Per-table differences between two result sets: subjects paired after averaging seeds and phases.

Each subject's Dice (per structure) is its mean over phases and seeds; A and B are paired on dataset, subject and
structure (and model-selection rule), tested with a paired Wilcoxon (pingouin), Holm-corrected across every group
and method pair of one table, with a paired bootstrap 95 % interval of the mean difference."""
from __future__ import annotations

import pandas as pd

from .errors import CmrbenchError
from .merge import describe_mismatch, fingerprint_mismatches
from .results import Results
from .stats import wilcoxon_holm

GROUPINGS = {"table3_methods": [], "table6_scanner (vendor)": ["vendor"],
             "table6_scanner (field strength)": ["field_strength_t"], "table7_site": ["site"],
             "table8_pathology": ["pathology"]}
KEYS = ["selection", "dataset", "subject", "structure"]
GROUP_COLUMNS = ["vendor", "field_strength_t", "site", "pathology"]


def check_same_subjects(a: Results, b: Results, datasets: list[str] | None = None) -> None:
    """Refuse to pair A and B when a case both hold (in `datasets`, default all) has different reference volumes."""
    ca, cb = a.cases, b.cases
    if datasets:
        ca, cb = ca[ca["dataset"].isin(datasets)], cb[cb["dataset"].isin(datasets)]
    bad = fingerprint_mismatches(ca, cb)
    if not bad.empty:
        names = ", ".join(sorted(set(bad["dataset"].astype(str))))
        raise CmrbenchError(f"A and B hold different references under the same case names ({len(bad)} of "
                            f"{int(bad['shared'].iloc[0])} shared; first: {describe_mismatch(bad.iloc[0])}): "
                            f"they are not the same subjects, so they cannot be paired (data set(s) {names}; "
                            "--dataset compares only the others)")


def subject_means(res: Results, methods: list[str] | None = None, datasets: list[str] | None = None) -> pd.DataFrame:
    """Mean Dice per method, selection rule, dataset, subject and structure over phases and seeds (oracle left out)."""
    cases = res.with_methods()
    cases = cases[cases["selection"] != "oracle"]
    if methods:
        cases = cases[cases["method"].isin(methods)]
    if datasets:
        cases = cases[cases["dataset"].isin(datasets)]
    if cases.empty:
        return pd.DataFrame(columns=["method", *KEYS, "dice", *GROUP_COLUMNS])
    cases = cases.assign(subject=cases["subject"].astype(str))
    groups = {c: cases[c].map(lambda v: "–" if pd.isna(v) or v == "" else str(v)) if c in cases else "–"
              for c in GROUP_COLUMNS}
    cases = cases.assign(**groups)
    dice = cases.groupby(["method", *KEYS])["dice"].mean()
    meta = cases.groupby(["method", *KEYS])[GROUP_COLUMNS].first()
    return pd.concat([dice, meta], axis=1).reset_index()


def _pairs(sa: pd.DataFrame, sb: pd.DataFrame) -> pd.DataFrame:
    """Every method of A against every method of B, one row per shared subject and structure."""
    frames = []
    for ma in sorted(sa["method"].unique()):
        for mb in sorted(sb["method"].unique()):
            right = sb[sb["method"] == mb][[*KEYS, "dice"]]
            pairs = sa[sa["method"] == ma].drop(columns="method").merge(right, on=KEYS, suffixes=("_a", "_b"))
            if not pairs.empty:
                frames.append(pairs.assign(A=ma, B=mb))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def compare(a: Results, b: Results, methods: list[str] | None = None,
            datasets: list[str] | None = None) -> dict[str, pd.DataFrame]:
    """For each table: per method pair (A's x B's) and group, n subjects, means, difference, its CI, p and p_holm."""
    check_same_subjects(a, b, datasets)
    pairs = _pairs(subject_means(a, methods, datasets), subject_means(b, methods, datasets))
    if pairs.empty:
        return {}
    several_rules = pairs["selection"].nunique() > 1
    out: dict[str, pd.DataFrame] = {}
    for table, extra in GROUPINGS.items():
        by = ["A", "B", *(["selection"] if several_rules else []), "dataset", *extra, "structure"]
        out[table] = wilcoxon_holm(pairs, "dice_a", "dice_b", by=by)
    return out
