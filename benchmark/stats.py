"""Statistics for the leaderboards: Bland-Altman with IQR outlier removal, Spearman, paired Wilcoxon + Holm."""
from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class BlandAltman:
    """Agreement of auto against manual after removing pairs whose mean lies outside 1.5 x IQR."""

    n: int
    removed: int
    mean_diff: float
    sd_diff: float
    loa_low: float
    loa_high: float


def bland_altman(auto: np.ndarray, manual: np.ndarray) -> BlandAltman:
    """Mean difference (auto - manual), its SD and the 95 % limits of agreement (+-1.96 SD)."""
    auto, manual = np.asarray(auto, float), np.asarray(manual, float)
    ok = np.isfinite(auto) & np.isfinite(manual)
    auto, manual = auto[ok], manual[ok]
    means = (auto + manual) / 2
    if len(means) >= 4:
        q1, q3 = np.percentile(means, [25, 75])
        iqr = q3 - q1
        keep = (means >= q1 - 1.5 * iqr) & (means <= q3 + 1.5 * iqr)
    else:
        keep = np.ones(len(means), bool)
    diff = (auto - manual)[keep]
    if len(diff) == 0:
        return BlandAltman(0, int((~keep).sum()), float("nan"), float("nan"), float("nan"), float("nan"))
    m = float(diff.mean())
    sd = float(diff.std(ddof=1)) if len(diff) > 1 else float("nan")
    return BlandAltman(int(len(diff)), int((~keep).sum()), m, sd, m - 1.96 * sd, m + 1.96 * sd)


def spearman(auto: np.ndarray, manual: np.ndarray) -> tuple[float, float, int]:
    """Spearman's rho, its p-value and n (pingouin)."""
    import pingouin as pg

    auto, manual = np.asarray(auto, float), np.asarray(manual, float)
    ok = np.isfinite(auto) & np.isfinite(manual)
    if ok.sum() < 3:
        return float("nan"), float("nan"), int(ok.sum())
    if np.ptp(auto[ok]) == 0 or np.ptp(manual[ok]) == 0:
        return float("nan"), float("nan"), int(ok.sum())  # a constant input has no rank correlation
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pingouin's power estimate warns on small n; rho and p are unaffected
        res = pg.corr(auto[ok], manual[ok], method="spearman")
    return float(res["r"].iloc[0]), float(res["p_val" if "p_val" in res else "p-val"].iloc[0]), int(ok.sum())


def wilcoxon_holm(pairs: pd.DataFrame, a: str = "a", b: str = "b", by: list[str] | None = None) -> pd.DataFrame:
    """Paired Wilcoxon signed-rank test of columns a vs b per group, p-values Holm-corrected across groups."""
    import pingouin as pg

    rows = []
    groups = pairs.groupby(by) if by else [((), pairs)]
    for key, g in groups:
        g = g.dropna(subset=[a, b])
        key = key if isinstance(key, tuple) else (key,)
        diff = g[a] - g[b]
        if len(g) >= 2 and (diff != 0).any():
            res = pg.wilcoxon(g[a], g[b])
            p = float(res["p_val" if "p_val" in res else "p-val"].iloc[0])
        else:
            p = float("nan") if len(g) < 2 else 1.0
        rows.append({**dict(zip(by or [], key)), "n": len(g), "mean_a": g[a].mean(), "mean_b": g[b].mean(),
                     "diff": diff.mean(), "p": p})
    out = pd.DataFrame(rows)
    if not out.empty:
        valid = out["p"].notna()
        out["p_holm"] = np.nan
        if valid.any():
            _, corrected = pg.multicomp(out.loc[valid, "p"].to_numpy(), method="holm")
            out.loc[valid, "p_holm"] = corrected
    return out
