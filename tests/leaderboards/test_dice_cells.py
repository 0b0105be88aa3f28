"""Dice cells: subjects as the unit (seeds and phases averaged), bootstrap intervals, seed spread, counted
failures, the worst-group rule and model selection, on result sets whose numbers are known."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from toy_results import stack, subject_values, toy_results

from benchmark.bootstrap import bootstrap_ci
from benchmark.errors import CmrbenchError
from benchmark.leaderboards import LEADERBOARDS, MIN_GROUP_N, build_all
from benchmark.leaderboards.tables import table3, table3_oracle, table6


def cell(table, **keys) -> pd.Series:
    tidy = table.tidy
    for k, v in keys.items():
        tidy = tidy[tidy[k] == v]
    assert len(tidy) == 1, tidy
    return tidy.iloc[0]


def test_two_seeds_of_8_subjects_show_n_8_and_the_se_of_the_seed_means():
    res = toy_results(subjects=8, seeds=(0, 1), dice=lambda seed, i, ph, s: 0.90 if seed == 0 else 0.94)
    t = table3(res)
    c = cell(t, structure="LV")
    assert (c.n_subjects, c.n_seeds, c.n_scored, c.n_expected) == (8, 2, 32, 32)
    assert c["mean"] == pytest.approx(0.92)
    assert c.seed_se == pytest.approx(0.02)  # sd(0.90, 0.94) / sqrt(2)
    assert t.wide.loc[0, "acdc LV"] == "0.920 [0.92, 0.92] n=8 ±0.020 (2 seeds)"
    assert t.wide.loc[0, "scored"] == "32/32"
    assert "seeds: 0, 1" in t.notes and any(n.startswith("model selection: source_val") for n in t.notes)


def test_cell_interval_is_the_bootstrap_over_subject_means_and_contains_the_mean():
    values = subject_values(3, 10)
    # ED and ES differ by +-0.02 around the subject's value: the subject's mean is its value
    res = toy_results(subjects=10, seeds=(0, 1, 2),
                      dice=lambda seed, i, ph, s: values[i] + (0.02 if ph == "ED" else -0.02))
    c = cell(table3(res), structure="LV")
    assert c.n_subjects == 10 and c["mean"] == pytest.approx(values.mean())
    assert (c.ci_low, c.ci_high) == pytest.approx(bootstrap_ci(values))
    assert c.ci_low < c["mean"] < c.ci_high
    assert c.sd == pytest.approx(np.r_[values + 0.02, values - 0.02].std(ddof=1))  # sd over cases, seeds averaged


MISSING = ((0, 0, "ED"), (0, 0, "ES"), (0, 1, "ED"))  # subject 0 entirely, subject 1 at ED: 3 of 12 cases


def missing_3_of_12():
    values = subject_values(7, 6)
    return values, toy_results(subjects=6, dice=lambda seed, i, ph, s: values[i], missing=MISSING)


def test_3_missing_of_12_are_counted_and_excluded_by_default():
    values, res = missing_3_of_12()
    t = table3(res)
    c = cell(t, structure="LV")
    assert (c.n_scored, c.n_expected, c.n_subjects) == (9, 12, 5)
    assert c["mean"] == pytest.approx(values[1:].mean())
    assert t.wide.loc[0, "scored"] == "9/12" and t.wide.loc[0, "acdc LV"].endswith("n=5 (9/12 scored)")
    assert any("9 of 12 expected cases" in n and "(--missing exclude)" in n for n in t.notes)


def test_missing_fail_scores_them_dice_0_and_lowers_the_mean_by_exactly_that():
    values, res = missing_3_of_12()
    t = table3(res, missing="fail")
    c = cell(t, structure="LV")
    # subject 0 counts 0; subject 1 is (0 at ED + its ES value) / 2
    expected = (0 + values[1] / 2 + values[2:].sum()) / 6
    assert (c.n_scored, c.n_expected, c.n_subjects) == (9, 12, 6)
    assert c["mean"] == pytest.approx(expected)
    assert cell(table3(res), structure="LV")["mean"] - c["mean"] == pytest.approx(values[1:].mean() - expected)
    assert any("Dice 0 for each annotated structure (--missing fail)" in n for n in t.notes)
    assert all(b.absent or any("--missing fail" in n for n in b.notes)
               for b in build_all(res, ["table3_methods", "table6_scanner", "table8_pathology"], missing="fail"))


def test_missing_fail_fills_every_structure_of_labels_present():
    res = toy_results(subjects=5, structures=("LV", "MYO"), missing=((0, 2, "ES"),),
                      dice=lambda seed, i, ph, s: 1.0)
    t = table3(res, missing="fail")
    for s in ("LV", "MYO"):
        c = cell(t, structure=s)
        assert (c.n_scored, c.n_expected) == (9, 10) and c["mean"] == pytest.approx((4 + 0.5) / 5)


def test_unknown_missing_rule_is_a_user_error():
    with pytest.raises(CmrbenchError, match="--missing drop: choose exclude or fail"):
        build_all(toy_results(), missing="drop")


def test_older_results_without_expected_derive_it_from_cases_and_errors():
    values, res = missing_3_of_12()
    res.expected = res.expected.iloc[0:0]
    c = cell(table3(res), structure="LV")
    assert (c.n_scored, c.n_expected) == (9, 12)  # subject 0's cases come from errors.csv; LV only, as annotated


def vendors(i: int) -> dict:
    return {"vendor": "A" if i < 6 else "B" if i < 11 else "C"}  # 6, 5 and 2 subjects


def test_worst_group_star_only_for_groups_of_at_least_5_subjects():
    assert MIN_GROUP_N == 5
    res = toy_results(subjects=13, meta=vendors, dice=lambda seed, i, ph, s: 0.9 if i < 6 else 0.8 if i < 11 else 0.5)
    t = table6(res)
    rows = t.wide[t.wide.grouping == "vendor"].set_index("group")
    assert rows.loc["B", "LV"].endswith(" *") and rows.loc["B", "n"] == 5
    assert not rows.loc["C", "LV"].endswith("*") and rows.loc["C", "n"] == 2  # lowest mean, but n=2
    assert not rows.loc["A", "LV"].endswith("*")
    assert "among groups of at least 5 subjects" in t.notes[0]


def test_no_star_when_fewer_than_two_groups_are_large_enough():
    res = toy_results(subjects=8, meta=lambda i: {"vendor": "A" if i < 6 else "B"},
                      dice=lambda seed, i, ph, s: 0.9 if i < 6 else 0.5)
    assert not table6(res).wide["LV"].str.contains(r"\*").any()


def with_rule(res, rule: str, dice: float):
    """The same jobs' cases scored again with another model-selection rule."""
    other = res.cases.assign(selection=rule, dice=dice)
    return type(res)(pd.concat([res.cases, other], ignore_index=True), res.clinical, res.errors, res.jobs,
                     expected=res.expected)


def test_oracle_rows_go_to_their_own_table_and_not_to_table_3():
    res = with_rule(toy_results(subjects=6, dice=lambda *a: 0.8), "oracle", 0.95)
    t3, oracle = table3(res), table3_oracle(res)
    assert cell(t3, structure="LV")["mean"] == pytest.approx(0.8) and "selection" not in t3.wide
    assert cell(t3, structure="LV").n_expected == 12
    assert cell(oracle, structure="LV")["mean"] == pytest.approx(0.95)
    assert "upper bound" in next(e.meta["title"] for e in LEADERBOARDS.entries() if e.name == "table3_oracle")
    assert any(n.startswith("model selection: oracle") for n in oracle.notes)
    assert cell(table6(res), grouping="vendor", structure="LV")["mean"] == pytest.approx(0.8)


def test_two_non_oracle_rules_get_a_selection_column_and_are_named():
    res = with_rule(toy_results(subjects=6, dice=lambda *a: 0.8), "last", 0.7)
    t = table3(res)
    assert list(t.wide["selection"]) == ["last", "source_val"]
    assert list(t.wide["acdc LV"].str[:5]) == ["0.700", "0.800"]
    assert any("last (last checkpoint of training); source_val" in n for n in t.notes)
    assert table3_oracle(res).absent


def test_methods_of_one_run_with_different_seeds_are_listed_per_method():
    res = stack(toy_results(seeds=(0, 1)), toy_results(method="fcn + none", seeds=(3,)))
    assert "seeds: fcn + none: 3; unet + paper: 0, 1" in table3(res).notes


def test_expected_rows_naming_their_rule_count_per_rule_and_duplicates_count_once():
    res = toy_results(subjects=6, dice=lambda *a: 0.8)
    oracle = res.cases[res.cases.subject.isin(["S000", "S001", "S002", "S003"])].assign(selection="oracle", dice=0.9)
    oracle = oracle[~((oracle.subject == "S003") & (oracle.phase == "ES"))]  # 7 of its 8 expected cases scored
    both = pd.concat([res.cases.assign(selection="source_val"), oracle], ignore_index=True)
    expected = pd.concat([res.expected.assign(selection="source_val"),
                          res.expected[res.expected.subject < "S004"].assign(selection="oracle")], ignore_index=True)
    named = type(res)(both, res.clinical, res.errors, res.jobs, expected=expected)
    assert (cell(table3(named), structure="LV").n_expected, cell(table3_oracle(named), structure="LV").n_scored,
            cell(table3_oracle(named), structure="LV").n_expected) == (12, 7, 8)
    doubled = type(res)(res.cases, res.clinical, res.errors, res.jobs, expected=pd.concat([res.expected] * 2))
    assert cell(table3(doubled), structure="LV").n_expected == 12
