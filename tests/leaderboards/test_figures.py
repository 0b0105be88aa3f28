"""Figures 4 and 8 on result sets with known numbers: one Bland-Altman panel per method, dataset and measure with
its bias printed, explained empty panels, n under each box, and the same PNG, PDF and SVG on every rerun."""
from __future__ import annotations

import pytest
from toy_results import stack, toy_results

from benchmark.clinical import MEASURES, clinical_measures
from benchmark.leaderboards.clinical_tables import bland_altman_table
from benchmark.leaderboards.fig4_boxplots import box_data
from benchmark.leaderboards.fig8_bland_altman import ba_panels
from benchmark.leaderboards.figures import OKABE_ITO, fig4_boxplots, fig8_bland_altman, figure_paths


def volume(i: int, phase: str, s: str) -> float:
    """Reference volumes in mL: LV 150 / 60, MYO 90, RV 160 / 70 at ED / ES, + 3 i for subject i."""
    base = {"LV": (150.0, 60.0), "MYO": (90.0, 90.0), "RV": (160.0, 70.0)}[s]
    return base[phase == "ES"] + 3 * i


def cohort(method: str, dataset: str, structures: tuple, lv_bias: float, subjects: int = 6, prefix: str = ""):
    res = toy_results(subjects=subjects, method=method, dataset=dataset, structures=structures, vol_ref=volume,
                      prefix=prefix, dice=lambda seed, i, ph, s: 0.8 + 0.02 * i)
    lv = res.cases.structure == "LV"
    res.cases.loc[lv, "vol_pred_ml"] = res.cases.loc[lv, "vol_ref_ml"] + lv_bias  # every LV volume off by lv_bias
    return res


def two_datasets():
    """Method A: LV +5 mL on acdc (LV, MYO, RV annotated) and bscmr (LV, MYO only); method B: LV -3 mL on acdc."""
    res = stack(cohort("A", "acdc", ("LV", "MYO", "RV"), 5.0), cohort("A", "bscmr", ("LV", "MYO"), 5.0, prefix="bs"),
                cohort("B", "acdc", ("LV", "MYO", "RV"), -3.0, prefix="b"))
    res.clinical = clinical_measures(res.cases)
    return res


def test_one_panel_per_method_dataset_and_measure_never_pooled():
    panels = {(p.method, p.dataset, p.measure): p for p in ba_panels(two_datasets())}
    assert set(panels) == {(m, d, x) for m, d in (("A", "acdc"), ("A", "bscmr"), ("B", "acdc")) for x in MEASURES}
    for method, bias in (("A", 5.0), ("B", -3.0)):
        for measure in ("LVEDV", "LVESV"):
            p = panels[(method, "acdc", measure)]
            assert (p.stats.n, p.stats.mean_diff, p.stats.sd_diff, p.unit) == (6, pytest.approx(bias), 0.0, "mL")
    assert panels[("A", "bscmr", "LVEDV")].stats.n == 6  # bscmr's subjects only, not acdc's as well
    assert (panels[("A", "acdc", "LVEF")].unit, panels[("A", "acdc", "LVM")].unit) == ("%", "g")
    assert panels[("A", "acdc", "LVM")].stats.mean_diff == pytest.approx(0.0)


def test_a_dataset_without_rv_labels_gets_explained_empty_panels():
    panels = {(p.method, p.dataset, p.measure): p for p in ba_panels(two_datasets())}
    for measure in ("RVEDV", "RVESV", "RVEF"):
        p = panels[("A", "bscmr", measure)]
        assert p.stats is None and p.empty == f"RV not annotated in bscmr:\nno {measure}"
    assert panels[("A", "acdc", "RVEF")].stats.n == 6


def test_the_figure_prints_bias_limits_units_and_counts_in_png_pdf_and_svg(tmp_path):
    res = two_datasets()
    path = fig8_bland_altman(res, tmp_path / "fig8_bland_altman.png")
    assert path == tmp_path / "fig8_bland_altman.png"
    for f in figure_paths(path):
        assert f.stat().st_size > 1000, f
    assert (tmp_path / "fig8_bland_altman.pdf").read_bytes().startswith(b"%PDF")
    svg = (tmp_path / "fig8_bland_altman.svg").read_text()
    assert svg.count("bias +5.0 mL") == 4 and svg.count("bias -3.0 mL") == 2  # LVEDV and LVESV per (A, dataset)
    assert "acdc - LVEF (%)" in svg and "bscmr - LVM (g)" in svg and "auto - manual (mL)" in svg
    assert svg.count("RV not annotated in bscmr:") == 3 and svg.count("n=6") >= 7
    assert OKABE_ITO[0].lower() in svg.lower()


def test_removed_outliers_are_counted_on_the_panel_as_in_the_table(tmp_path):
    # subject 7's heart is ten times larger: its mean lies far outside 1.5 x IQR of the others'
    res = toy_results(subjects=8, vol_ref=lambda i, ph, s: (1000.0 if i == 7 else 100.0 + i) * (ph == "ED" or 0.4))
    res.cases["vol_pred_ml"] = res.cases["vol_ref_ml"] + 2.0
    res.clinical = clinical_measures(res.cases)
    panel = next(p for p in ba_panels(res) if p.measure == "LVEDV")
    table = bland_altman_table(res).tidy.set_index("measure")
    assert (panel.stats.n, panel.stats.removed) == (7, 1) == (table.loc["LVEDV", "n"], table.loc["LVEDV", "removed"])
    assert list(panel.kept) == [True] * 7 + [False]
    fig8_bland_altman(res, tmp_path / "f.png")
    assert "n=7, 1 removed (x)" in (tmp_path / "f.svg").read_text()


def test_rerunning_a_figure_writes_the_same_bytes(tmp_path):
    res = two_datasets()
    for folder in ("a", "b"):
        fig8_bland_altman(res, tmp_path / folder / "fig8.png")
        fig4_boxplots(res, tmp_path / folder / "fig4.png")
    for name in ("fig8", "fig4"):
        for ext in ("png", "pdf", "svg"):
            assert (tmp_path / "a" / f"{name}.{ext}").read_bytes() == (tmp_path / "b" / f"{name}.{ext}").read_bytes()


def test_box_plots_show_n_under_each_box_and_explain_a_structure_not_annotated(tmp_path):
    res = two_datasets()
    cases, annotated = box_data(res)
    assert annotated["bscmr"] == {"LV", "MYO"} and annotated["acdc"] == {"LV", "MYO", "RV"}
    assert len(cases[(cases.method == "A") & (cases.dataset == "acdc") & (cases.structure == "LV")]) == 12
    fig4_boxplots(res, tmp_path / "fig4.png")
    svg = (tmp_path / "fig4.svg").read_text()
    # acdc: A and B x 3 structures; bscmr: A x 2 structures (B has no case there: 'no scored case' in its slots)
    assert svg.count("n=12") == 8 and svg.count("RV not annotated") == 1 and svg.count("no scored case") == 2
    assert "median" in svg  # the note names the black median line


def test_write_leaderboards_writes_each_figure_as_png_pdf_and_svg(tmp_path):
    from benchmark.leaderboards import write_leaderboards

    write_leaderboards(two_datasets(), tmp_path, names=["table3_methods"])
    for stem in ("fig4_boxplots", "fig8_bland_altman"):
        for ext in ("png", "pdf", "svg"):
            assert (tmp_path / "leaderboards" / f"{stem}.{ext}").stat().st_size > 1000, (stem, ext)


def test_two_selection_rules_of_one_training_are_two_rows_not_one_pooled_panel():
    import pandas as pd

    res = toy_results(subjects=5, method="A")
    base = pd.DataFrame({"job": res.jobs.job[0], "dataset": "acdc", "subject": [f"S{i:03d}" for i in range(5)],
                         "measure": "LVEDV", "manual": [100.0 + 10 * i for i in range(5)]})
    res.clinical = pd.concat([base.assign(auto=base.manual + 4, selection="source_val"),
                              base.assign(auto=base.manual - 2, selection="last")], ignore_index=True)
    panels = {p.method: p for p in ba_panels(res) if p.measure == "LVEDV"}
    assert panels["A (source_val)"].stats.mean_diff == pytest.approx(4.0)
    assert panels["A (last)"].stats.mean_diff == pytest.approx(-2.0)
