"""Which cells of a leaderboard column are bold: the best mean, and every row whose interval overlaps the best one's."""
from __future__ import annotations

import numpy as np
import pandas as pd

from .cells import Metric


def best_rule(metric: Metric) -> str:
    """The note that states the bold rule of a table of `metric`."""
    best = "highest" if metric.higher_is_better else "lowest"
    return (f"bold: in each column, the {best} mean {metric.name}, and every row whose 95 % interval overlaps the "
            "interval of that best row (the intervals cannot separate them: a tie); only where two or more rows have "
            "a value. Overlapping intervals are a conservative test; cmrbench compare gives paired tests per subject")


def _interval(cell: pd.Series) -> tuple[float, float]:
    """The cell's 95 % interval, or its mean alone where there is none (a single subject)."""
    low, high = float(cell["ci_low"]), float(cell["ci_high"])
    if np.isfinite(low) and np.isfinite(high):
        return low, high
    return float(cell["mean"]), float(cell["mean"])


def best_cells(cells: pd.DataFrame, metric: Metric) -> pd.Series:
    """True for the bold cells of one column: `cells` holds one row per table row (mean, ci_low, ci_high, n_subjects).

    Rows without a value are never bold; a column with fewer than two values has no bold cell."""
    valid = cells["n_subjects"].fillna(0).astype(float).gt(0) & np.isfinite(cells["mean"].astype(float))
    bold = pd.Series(False, index=cells.index)
    if valid.sum() < 2:
        return bold
    means = cells.loc[valid, "mean"].astype(float)
    best = means.idxmax() if metric.higher_is_better else means.idxmin()
    best_low, best_high = _interval(cells.loc[best])
    for i in means.index:
        low, high = _interval(cells.loc[i])
        bold[i] = low <= best_high and high >= best_low
    return bold
