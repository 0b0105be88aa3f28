"""Percentile bootstrap intervals of a mean over independent units (subjects), seeded and vectorised."""
from __future__ import annotations

import numpy as np

N_RESAMPLES = 2000
SEED = 0
LEVEL = 0.95


def bootstrap_ci(values: np.ndarray, n_resamples: int = N_RESAMPLES, seed: int = SEED,
                 level: float = LEVEL) -> tuple[float, float]:
    """Percentile bootstrap interval of the mean of `values` (one value per subject; NaN ignored)."""
    x = np.asarray(values, float)
    x = x[np.isfinite(x)]
    if len(x) == 0:
        return float("nan"), float("nan")
    if len(x) == 1 or np.ptp(x) == 0:
        return float(x[0]), float(x[0])
    rng = np.random.default_rng(seed)
    return percentile_interval(x[rng.integers(0, len(x), size=(n_resamples, len(x)))].mean(axis=1), level)


def percentile_interval(draws: np.ndarray, level: float = LEVEL) -> tuple[float, float]:
    """The central `level` interval of bootstrap draws (non-finite draws dropped; NaN if none is left)."""
    draws = np.asarray(draws, float)
    draws = draws[np.isfinite(draws)]
    if len(draws) == 0:
        return float("nan"), float("nan")
    alpha = (1 - level) / 2
    low, high = np.quantile(draws, [alpha, 1 - alpha])
    return float(low), float(high)


def seed_spread(per_seed_means: np.ndarray) -> tuple[int, float]:
    """Number of seeds and the standard error of their means (NaN with fewer than two), as DomainBed reports.

    The SE uses the sample sd (ddof=1); DomainBed's collect divides np.std (ddof=0), smaller for few seeds."""
    x = np.asarray(per_seed_means, float)
    x = x[np.isfinite(x)]
    if len(x) < 2:
        return len(x), float("nan")
    return len(x), float(x.std(ddof=1) / np.sqrt(len(x)))
