"""Table III against erm: each algorithm paired per subject with erm of the same model and policy."""
from __future__ import annotations

import numpy as np
import pytest
from toy_results import stack, subject_values, toy_results

from benchmark.leaderboards.algorithms import reference_methods, table3_vs_erm
from benchmark.leaderboards.tables import table5


def with_algorithm(res, method: str, algorithm: str, parts: str = ""):
    res.jobs["method"], res.jobs["algorithm"], res.jobs["algorithm_parts"] = method, algorithm, parts
    return res


def three_trainings():
    base = subject_values(3, 10)
    wobble = np.where(np.arange(10) % 2 == 0, 0.04, -0.04)
    erm = with_algorithm(toy_results(subjects=10, method="unet + none", dice=lambda seed, i, ph, s: base[i]),
                         "unet + none", "erm")
    better = with_algorithm(toy_results(subjects=10, method="unet + none", prefix="b-",
                                        dice=lambda seed, i, ph, s: base[i] + 0.05),
                            "unet + none + mixstyle", "mixstyle", "stage 1;stage 2")
    same = with_algorithm(toy_results(subjects=10, method="unet + none", prefix="s-",
                                      dice=lambda seed, i, ph, s: base[i] + wobble[i]),
                          "unet + none + dsu", "dsu", "stage 1")
    return stack(erm, better, same)


def test_each_algorithm_is_paired_with_erm_and_marked_where_the_interval_excludes_0():
    res = three_trainings()
    assert reference_methods(res.jobs) == {"unet + none + mixstyle": "unet + none", "unet + none + dsu": "unet + none"}
    t = table3_vs_erm(res)
    tidy = t.tidy.set_index("method")
    assert tidy.loc["unet + none + mixstyle", "diff"] == pytest.approx(0.05)
    assert tidy.loc["unet + none + mixstyle", "n"] == 10
    assert tidy.loc["unet + none + dsu", "diff"] == pytest.approx(0.0)
    assert tidy.loc["unet + none + dsu", "ci_low"] < 0 < tidy.loc["unet + none + dsu", "ci_high"]
    assert tidy.loc["unet + none + mixstyle", "p_holm"] < 0.05 and tidy.loc["unet + none + dsu", "p_holm"] > 0.5
    wide = t.wide.set_index("method")
    assert wide.loc["unet + none + mixstyle", "acdc LV"] == "+0.050 [+0.05, +0.05] n=10 *"
    assert wide.loc["unet + none + dsu", "acdc LV"].endswith("n=10")


def test_absent_without_an_erm_training_of_the_same_model_and_policy():
    res = three_trainings()
    res.jobs.loc[res.jobs["algorithm"] == "erm", "policy"] = "paper"
    assert table3_vs_erm(res).absent.startswith("no algorithm other than erm")


def test_table5_shows_the_parts_of_each_algorithm():
    wide = table5(three_trainings()).wide.set_index("algorithm")
    assert wide.loc["mixstyle", "stage 2"] == "on" and wide.loc["dsu", "stage 2"] == "–"
    assert wide.loc["erm", "stage 1"] == "–"
