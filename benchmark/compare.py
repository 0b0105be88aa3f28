"""Per-table differences between two result sets, with paired Wilcoxon tests (Holm-corrected)."""
from __future__ import annotations

import pandas as pd

from .results import Results
from .stats import wilcoxon_holm

GROUPINGS = {"table3_methods": [], "table6_scanner (vendor)": ["vendor"],
             "table6_scanner (field strength)": ["field_strength_t"], "table7_site": ["site"],
             "table8_pathology": ["pathology"]}
KEYS = ["dataset", "subject", "phase", "structure"]


def compare(a: Results, b: Results) -> dict[str, pd.DataFrame]:
    """For each method pair (A's x B's) and table: mean Dice of each, difference and Holm-corrected p."""
    ca, cb_ = a.with_methods(), b.with_methods()
    out: dict[str, pd.DataFrame] = {}
    for ma in sorted(ca["method"].unique()):
        for mb in sorted(cb_["method"].unique()):
            left = ca[ca.method == ma]
            right = cb_[cb_.method == mb][[*KEYS, "dice"]]
            pairs = left.merge(right, on=KEYS, suffixes=("_a", "_b"))
            if pairs.empty:
                continue
            for table, extra in GROUPINGS.items():
                res = wilcoxon_holm(pairs, "dice_a", "dice_b", by=["dataset", *extra, "structure"])
                res.insert(0, "B", mb)
                res.insert(0, "A", ma)
                out[table] = pd.concat([out.get(table, pd.DataFrame()), res], ignore_index=True)
    return out
