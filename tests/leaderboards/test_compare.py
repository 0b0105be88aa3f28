"""`compare`: subjects are the pairs (seeds and phases averaged), Holm across a table's groups, a paired
bootstrap interval of the difference, filters, and refusal to pair different people."""
from __future__ import annotations

import pytest
from toy_results import stack, subject_values, toy_results

from benchmark.compare import compare
from benchmark.errors import CmrbenchError

VALUES = subject_values(11, 10)


def pair(meta=lambda i: {}):
    a = toy_results(subjects=10, seeds=(0, 1), meta=meta,
                    dice=lambda seed, i, ph, s: VALUES[i] + (0.01 if seed == 0 else -0.01))
    # B is lower by 0.01 (i + 1) for subject i: ten distinct positive differences
    b = toy_results(subjects=10, seeds=(0, 1), meta=meta,
                    dice=lambda seed, i, ph, s: VALUES[i] - 0.01 * (i + 1) + (0.02 if ph == "ED" else -0.02))
    return a, b


def test_10_subjects_x_2_seeds_x_2_phases_are_10_pairs():
    a, b = pair()
    row = compare(a, b)["table3_methods"].iloc[0]
    assert row.n == 10
    assert row.mean_a == pytest.approx(VALUES.mean())
    assert row["diff"] == pytest.approx(0.055)  # mean of 0.01 .. 0.10
    assert row.ci_low < 0.055 < row.ci_high and row.ci_low > 0.03
    assert row.p == pytest.approx(2 / 2**10, rel=1e-6)  # exact signed-rank: all ten differences positive


def test_holm_corrects_across_the_groups_of_one_table():
    a, b = pair(meta=lambda i: {"vendor": "X" if i < 5 else "Y"})
    t6 = compare(a, b)["table6_scanner (vendor)"]
    assert list(t6.columns) == ["A", "B", "dataset", "vendor", "structure", "n", "mean_a", "mean_b", "diff",
                                "ci_low", "ci_high", "p", "p_holm"]
    t6 = t6.set_index("vendor")
    assert list(t6.n) == [5, 5]
    assert t6.p.tolist() == pytest.approx([2 / 2**5] * 2)
    assert t6.p_holm.tolist() == pytest.approx([2 / 2**5 * 2] * 2)


def test_method_and_dataset_filters_apply_to_both_sides():
    a, b = pair()
    a2 = stack(a, toy_results(method="fcn + none", dataset="acdc"), toy_results(dataset="mnms"))
    t3 = compare(a2, b, methods=["unet + paper"], datasets=["acdc"])["table3_methods"]
    assert list(zip(t3.A, t3.B, t3.dataset)) == [("unet + paper", "unet + paper", "acdc")] and t3.n.iloc[0] == 10
    assert compare(a2, b, methods=["no such method"]) == {}


def test_compare_refuses_subjects_whose_reference_differs():
    a, b = pair()
    b.cases.loc[(b.cases.subject == "S003") & (b.cases.phase == "ED"), "vol_ref_ml"] = 999.0
    with pytest.raises(CmrbenchError, match=r"first: acdc S003 ED LV: 103 vs 999 mL\).*not the same subjects"):
        compare(a, b)


def test_a_data_set_left_out_by_the_filter_does_not_block_the_others():
    a, b = pair()
    a2, b2 = stack(a, toy_results(dataset="ukbb", prefix="u")), stack(b, toy_results(dataset="ukbb", prefix="u"))
    b2.cases.loc[b2.cases.dataset == "ukbb", "vol_ref_ml"] = 999.0  # other source subjects on each side
    with pytest.raises(CmrbenchError, match=r"data set\(s\) ukbb; --dataset compares only the others"):
        compare(a2, b2)
    t3 = compare(a2, b2, datasets=["acdc"])["table3_methods"]
    assert list(t3.dataset) == ["acdc"] and t3.n.iloc[0] == 10 and t3["diff"].iloc[0] == pytest.approx(0.055)
