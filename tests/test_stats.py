"""Statistics: bootstrap intervals, Bland-Altman with IQR outlier removal, exact Spearman, Wilcoxon with Holm."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from benchmark.bootstrap import bootstrap_ci, seed_spread
from benchmark.stats import bland_altman, spearman, wilcoxon_holm


def test_bland_altman_known_bias_and_limits():
    manual = np.arange(100.0, 200.0)
    diff = np.tile([3.0, 7.0], 50)  # mean 5, sd ~2.01
    ba = bland_altman(manual + diff, manual)
    assert ba.removed == 0 and ba.n == 100
    assert ba.mean_diff == pytest.approx(5.0)
    assert ba.sd_diff == pytest.approx(np.std(diff, ddof=1))
    assert ba.loa_high - ba.loa_low == pytest.approx(2 * 1.96 * ba.sd_diff)


def test_bland_altman_removes_pairs_outside_1_5_iqr_and_counts_them():
    manual = np.r_[np.linspace(100, 120, 20), 900.0]
    auto = manual + 2.0
    auto[-1] = 700.0
    ba = bland_altman(auto, manual)
    assert ba.removed == 1 and ba.n == 20 and ba.mean_diff == pytest.approx(2.0)


def test_bootstrap_interval_contains_the_mean_narrows_with_n_and_is_reproducible():
    rng = np.random.default_rng(1)
    small, large = rng.normal(0.8, 0.1, 25), rng.normal(0.8, 0.1, 400)
    lo_s, hi_s = bootstrap_ci(small)
    lo_l, hi_l = bootstrap_ci(large)
    assert lo_s < small.mean() < hi_s and lo_l < large.mean() < hi_l
    # the width of a 95 % interval of a mean is about 2 x 1.96 sd / sqrt(n): 0.078 at n=25, 0.0196 at n=400
    assert hi_s - lo_s == pytest.approx(2 * 1.96 * small.std(ddof=1) / 5, rel=0.15)
    assert (hi_s - lo_s) / (hi_l - lo_l) == pytest.approx(4, rel=0.2)
    assert bootstrap_ci(small) == bootstrap_ci(small)  # seeded
    assert bootstrap_ci(np.array([0.9])) == (0.9, 0.9) and np.isnan(bootstrap_ci(np.array([]))[0])


def test_seed_spread_is_the_standard_error_of_the_seed_means():
    n, se = seed_spread(np.array([0.90, 0.92, 0.94]))
    assert n == 3 and se == pytest.approx(0.02 / np.sqrt(3))
    assert np.isnan(seed_spread(np.array([0.9]))[1])


def test_spearman_of_monotone_data_is_one():
    x = np.linspace(1, 10, 30)
    rho, p, n = spearman(x**3, x)
    assert rho == pytest.approx(1.0) and p < 1e-10 and n == 30


def test_spearman_p_is_exact_for_small_n():
    x = np.arange(5.0)
    assert spearman(x**2, x)[1] == pytest.approx(2 / 120, abs=1e-9)  # 2 of 5! orderings reach |rho| = 1
    assert spearman(-x, x)[1] == pytest.approx(2 / 120, abs=1e-9)
    nine = np.arange(9.0)
    assert spearman(nine, nine)[1] == pytest.approx(2 / 362880, abs=1e-12)


def test_spearman_p_matches_a_brute_force_permutation_with_ties():
    import itertools

    from scipy.stats import spearmanr

    x, y = np.array([3, 1, 4, 1, 5, 9.0]), np.array([2, 7, 1, 8, 2, 8.0])
    rho = spearmanr(x, y).statistic
    null = [spearmanr(x[list(p)], y).statistic for p in itertools.permutations(range(6))]
    assert spearman(x, y)[1] == pytest.approx(np.mean(np.abs(null) >= abs(rho) - 1e-12))


def test_spearman_p_is_asymptotic_above_9():
    from scipy.stats import spearmanr

    x = np.arange(12.0)
    y = np.array([2, 1, 4, 3, 6, 5, 8, 7, 11, 9, 10, 0.0])
    assert spearman(x, y)[1] == pytest.approx(spearmanr(x, y).pvalue)


def test_wilcoxon_holm_finds_the_shifted_group_only():
    rng = np.random.default_rng(0)
    a = rng.normal(0.8, 0.05, 60)
    df = pd.DataFrame({"g": ["x"] * 30 + ["y"] * 30, "a": a,
                       "b": np.r_[a[:30] - 0.1, a[30:] + rng.normal(0, 0.05, 30)]})
    res = wilcoxon_holm(df, by=["g"]).set_index("g")
    assert res.loc["x", "p_holm"] < 1e-4 and res.loc["y", "p_holm"] > 0.05
    assert res.loc["x", "diff"] == pytest.approx(0.1)
    assert (res.loc["x", "ci_low"], res.loc["x", "ci_high"]) == pytest.approx((0.1, 0.1))  # a constant difference
    assert res.loc["y", "ci_low"] < 0 < res.loc["y", "ci_high"]
    assert (res["p_holm"] >= res["p"]).all()
