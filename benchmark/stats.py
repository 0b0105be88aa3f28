"""Statistics for the leaderboards: Bland-Altman with IQR outlier removal, exact Spearman, paired Wilcoxon + Holm."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .bootstrap import bootstrap_ci


@dataclass(frozen=True)
class BlandAltman:
    """Agreement of auto against manual after removing pairs whose mean lies outside 1.5 x IQR."""

    n: int
    removed: int
    mean_diff: float
    sd_diff: float
    loa_low: float
    loa_high: float


def iqr_inliers(means: np.ndarray) -> np.ndarray:
    """True for the values inside [Q1 - 1.5 IQR, Q3 + 1.5 IQR]; every value with fewer than 4 (no quartiles)."""
    means = np.asarray(means, float)
    if len(means) < 4:
        return np.ones(len(means), bool)
    q1, q3 = np.percentile(means, [25, 75])
    iqr = q3 - q1
    return np.asarray((means >= q1 - 1.5 * iqr) & (means <= q3 + 1.5 * iqr), bool)


def bland_altman(auto: np.ndarray, manual: np.ndarray) -> BlandAltman:
    """Mean difference (auto - manual), its SD and the 95 % limits of agreement (+-1.96 SD)."""
    auto, manual = np.asarray(auto, float), np.asarray(manual, float)
    ok = np.isfinite(auto) & np.isfinite(manual)
    auto, manual = auto[ok], manual[ok]
    keep = iqr_inliers((auto + manual) / 2)
    diff = (auto - manual)[keep]
    if len(diff) == 0:
        return BlandAltman(0, int((~keep).sum()), float("nan"), float("nan"), float("nan"), float("nan"))
    m = float(diff.mean())
    sd = float(diff.std(ddof=1)) if len(diff) > 1 else float("nan")
    return BlandAltman(int(len(diff)), int((~keep).sum()), m, sd, m - 1.96 * sd, m + 1.96 * sd)


EXACT_MAX_N = 9  # 9! = 362,880 orderings: every one is enumerated up to here


def _permutations(n: int) -> np.ndarray:
    """Every ordering of range(n) as rows of an (n!, n) int8 array."""
    perms = np.zeros((1, 0), np.int8)
    for k in range(n):
        perms = np.concatenate([np.insert(perms, i, k, axis=1) for i in range(k + 1)])
    return perms


def _spearman_exact_p(x: np.ndarray, y: np.ndarray) -> float:
    """Two-sided p of Spearman's rho: the share of all n! pairings of x with y whose |rho| is at least as large."""
    from scipy.stats import rankdata

    rx, ry = rankdata(x) - (len(x) + 1) / 2, rankdata(y) - (len(y) + 1) / 2
    denom = np.sqrt((rx * rx).sum() * (ry * ry).sum())
    observed = abs(rx @ ry) / denom
    null = np.abs(ry[_permutations(len(x))] @ rx) / denom
    return float(np.mean(null >= observed - 1e-12))


def spearman(auto: np.ndarray, manual: np.ndarray) -> tuple[float, float, int]:
    """Spearman's rho, its two-sided p-value (exact permutation for n <= 9, else asymptotic) and n."""
    from scipy.stats import spearmanr

    auto, manual = np.asarray(auto, float), np.asarray(manual, float)
    ok = np.isfinite(auto) & np.isfinite(manual)
    x, y = auto[ok], manual[ok]
    if len(x) < 3 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return float("nan"), float("nan"), int(len(x))  # a constant input has no rank correlation
    res = spearmanr(x, y)
    p = _spearman_exact_p(x, y) if len(x) <= EXACT_MAX_N else float(res.pvalue)
    return float(res.statistic), p, int(len(x))


def wilcoxon_holm(pairs: pd.DataFrame, a: str = "a", b: str = "b", by: list[str] | None = None) -> pd.DataFrame:
    """Paired Wilcoxon of columns a vs b per group (one row per subject), Holm-corrected across groups.

    Each group also gets a paired percentile bootstrap 95 % interval of the mean difference (rows resampled)."""
    import pingouin as pg

    rows = []
    groups = pairs.groupby(by, sort=True) if by else [((), pairs)]
    for key, g in groups:
        g = g.dropna(subset=[a, b])
        key = key if isinstance(key, tuple) else (key,)
        diff = (g[a] - g[b]).to_numpy(float)
        if len(g) >= 2 and (diff != 0).any():
            res = pg.wilcoxon(g[a], g[b])
            p = float(res["p_val" if "p_val" in res else "p-val"].iloc[0])
        else:
            p = float("nan") if len(g) < 2 else 1.0
        low, high = bootstrap_ci(diff)
        rows.append({**dict(zip(by or [], key)), "n": len(g), "mean_a": g[a].mean(), "mean_b": g[b].mean(),
                     "diff": diff.mean() if len(diff) else float("nan"), "ci_low": low, "ci_high": high, "p": p})
    out = pd.DataFrame(rows)
    if not out.empty:
        valid = out["p"].notna()
        out["p_holm"] = np.nan
        if valid.any():
            _, corrected = pg.multicomp(out.loc[valid, "p"].to_numpy(), method="holm")
            out.loc[valid, "p_holm"] = corrected
    return out
