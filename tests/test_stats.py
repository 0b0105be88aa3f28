"""Statistics: Bland-Altman with IQR outlier removal, Spearman, Wilcoxon with Holm correction."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

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


def test_spearman_of_monotone_data_is_one():
    x = np.linspace(1, 10, 30)
    rho, p, n = spearman(x**3, x)
    assert rho == pytest.approx(1.0) and p < 1e-10 and n == 30


def test_wilcoxon_holm_finds_the_shifted_group_only():
    rng = np.random.default_rng(0)
    a = rng.normal(0.8, 0.05, 60)
    df = pd.DataFrame({"g": ["x"] * 30 + ["y"] * 30, "a": a,
                       "b": np.r_[a[:30] - 0.1, a[30:] + rng.normal(0, 0.05, 30)]})
    res = wilcoxon_holm(df, by=["g"]).set_index("g")
    assert res.loc["x", "p_holm"] < 1e-4 and res.loc["y", "p_holm"] > 0.05
    assert res.loc["x", "diff"] == pytest.approx(0.1)
    assert (res["p_holm"] >= res["p"]).all()
