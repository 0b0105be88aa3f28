"""Tables XI-XIII and the reliability figure from a small hand-made result set with known numbers."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from benchmark.leaderboards import write_leaderboards
from benchmark.leaderboards.formats import to_markdown
from benchmark.leaderboards.robustness import table11, table12, table13
from benchmark.results import JOB_COLUMNS, Results, load_results

SUBJECTS = ["S0", "S1", "S2", "S3"]
DICE = [0.9, 0.8, 0.6, 0.3]


def jobs() -> pd.DataFrame:
    return pd.DataFrame([{"job": "a", "method": "unet + paper", "model": "unet", "policy": "paper", "seed": "0"},
                         {"job": "b", "method": "unet + none", "model": "unet", "policy": "none", "seed": "0"}],
                        columns=JOB_COLUMNS)


def cases(uncertainty: bool = True) -> pd.DataFrame:
    """LV Dice 0.9, 0.8, 0.6, 0.3; job a's uncertainty ranks them exactly, job b's the reverse; plus shifted rows."""
    rows = []
    for job, order in (("a", 1), ("b", -1)):
        for i, (s, d) in enumerate(zip(SUBJECTS, DICE)):
            for shift, sev, dice in (("", 0, d), ("noise", 3, d / 2)):
                rows.append({"job": job, "dataset": "mnms", "subject": s, "phase": "ED", "structure": "LV",
                             "dice": dice, "vol_pred_ml": 100.0, "vol_ref_ml": 100.0, "shift": shift,
                             "severity": sev, **({"uncertainty": 0.1 * (i + 1) * order + 1,
                                                  "tta_disagreement": np.nan} if uncertainty else {})})
    return pd.DataFrame(rows)


def calibration() -> pd.DataFrame:
    """Per subject 100 LV voxels at p = 0.9 of which 60 are LV (ECE 0.3); after scaling at p = 0.6 (ECE 0)."""
    rows = []
    for s in SUBJECTS[:2]:
        for temperature, b, conf in (("1", 13, 90.0), ("fitted", 9, 60.0)):
            for shift, sev in (("", 0), ("noise", 3)):
                rows.append({"job": "a", "dataset": "mnms", "subject": s, "phase": "ED", "selection": "source_val",
                             "shift": shift, "severity": sev, "structure": "LV", "temperature": temperature,
                             "bin": b, "count": 100, "confidence_sum": conf, "correct_sum": 60 if not sev else 20})
    return pd.DataFrame(rows)


EF = {"auto": [35.0, 52.0, 58.0, 61.0], "manual": [30.0, 45.0, 55.0, 60.0]}
EDV = {"auto": [150.0, 162.0, 140.0, 150.0], "manual": [150.0] * 4}
LVM = {"auto": [100.0, 130.0, 100.0, 77.0], "manual": [100.0] * 4}


def clinical() -> pd.DataFrame:
    rows = []
    for measure, values in (("LVEF", EF), ("LVEDV", EDV), ("LVM", LVM)):
        for i, s in enumerate(SUBJECTS):
            rows.append({"job": "a", "dataset": "mnms", "subject": s, "measure": measure,
                         "auto": values["auto"][i], "manual": values["manual"][i]})
    return pd.DataFrame(rows)


def toy(**kw) -> Results:
    return Results(cases(**kw), clinical(), jobs=jobs(), calibration=calibration())


def test_table11_reports_ece_before_and_after_temperature_on_clean_data():
    t = table11(toy())
    assert t.wide[["method", "dataset", "structure", "ECE (T=1)", "ECE (fitted T)"]].values.tolist() == [
        ["unet + paper", "mnms", "LV", "0.300 [0.300, 0.300] n=2", "0.000 [0.000, 0.000] n=2"]]
    assert t.tidy["voxels"].tolist() == [200, 200]
    notes = " ".join(t.notes)
    assert "15 equal-width bins" in notes and "dilated by 10 mm (the default" in notes
    assert "2000 resamples of subjects" in notes and "n = subjects" in notes
    assert "clean data only: 4 rows under graded shifts (noise)" in notes


def test_table11_with_shifts_keys_rows_by_shift_and_severity():
    t = table11(toy(), shifted=True)
    assert t.wide[["shift", "severity", "ECE (T=1)"]].values.tolist() == [
        ["–", 0, "0.300 [0.300, 0.300] n=2"], ["noise", 3, "0.700 [0.700, 0.700] n=2"]]


def test_table11_without_calibration_says_why():
    t = table11(Results(cases(), jobs=jobs()))
    assert t.absent.startswith("no calibration.csv") and "No data: no calibration.csv" in to_markdown(t)


def test_table12_gives_the_optimal_aurc_for_an_exact_ranking_and_the_worst_for_the_reverse():
    t = table12(toy())
    tidy = t.tidy.set_index("method")
    # risks 0.1, 0.2, 0.4, 0.7: selective risks 0.1, 0.15, 0.7/3, 0.35
    best = (0.1 + 0.15 + 0.7 / 3 + 0.35) / 4
    worst = (0.7 + 0.55 + 1.3 / 3 + 0.35) / 4
    assert tidy.loc["unet + paper", "aurc"] == pytest.approx(best)
    assert tidy.loc["unet + paper", "optimal_aurc"] == pytest.approx(best)
    assert tidy.loc["unet + none", "aurc"] == pytest.approx(worst)
    assert tidy.loc["unet + none", "excess_aurc"] == pytest.approx(worst - best)
    assert t.wide["Spearman rho (score vs Dice)"].tolist() == ["1.000 (p=0.083, n=4)", "-1.000 (p=0.083, n=4)"]
    assert t.wide["AURC"].tolist() == [f"{worst:.3f}", f"{best:.3f}"] and t.wide["cases"].tolist() == [4, 4]
    assert set(t.wide["score"]) == {"entropy"}  # TTA was off: no TTA rows


def test_table12_without_uncertainty_says_why():
    assert table12(Results(cases(uncertainty=False), jobs=jobs())).absent.startswith("cases.csv has no per-case")


def test_table13_kappa_flips_and_observer_limits():
    t = table13(toy())
    row = t.tidy.iloc[0]
    # manual categories rEF, mrEF, pEF, pEF; auto rEF, pEF, pEF, pEF: p_o = 3/4, p_e = 7/16
    assert row.kappa == pytest.approx((0.75 - 7 / 16) / (1 - 7 / 16))
    assert (row.flip_share, row.n_ef, row.n_subjects) == (0.25, 4, 4)
    assert (row.beyond_lvedv_share, row.beyond_lvm_share) == (0.25, 0.5)  # |12| > 11.96 mL; |30|, |23| > 22.15 g
    assert t.wide.loc[0, "category flips"] == "25.0 % of 4"
    assert t.wide.loc[0, "|LVEDV error| > 11.96 mL"] == "25.0 % of 4"
    assert t.wide.loc[0, "|LVM error| > 22.15 g"] == "50.0 % of 4"
    assert t.wide.loc[0, "kappa (LVEF category)"].startswith("0.556 [")
    assert any("Lawton et al." in n and "11.96 mL" in n for n in t.notes)


def test_results_keep_calibration_on_disk_and_older_sets_load_without_it(tmp_path):
    res = toy()
    res.write(tmp_path / "new")
    back = load_results(tmp_path / "new")
    assert len(back.calibration) == len(res.calibration) and back.calibration["temperature"].tolist()[:2] == ["1", "1"]
    Results(cases(), jobs=jobs()).write(tmp_path / "new")  # rewritten without calibration: no stale file is left
    assert not (tmp_path / "new" / "results" / "calibration.csv").exists()
    assert load_results(tmp_path / "new").calibration.empty


def test_write_leaderboards_renders_the_tables_and_the_reliability_figure(tmp_path):
    write_leaderboards(toy(), tmp_path, names=["table11_calibration", "table12_failure", "table13_decisions"])
    folder = tmp_path / "leaderboards"
    assert (folder / "fig_reliability.png").stat().st_size > 0
    html = (folder / "report.html").read_text()
    assert "id='table11_calibration'" in html and "Reliability diagram" in html
    assert "0.300 [0.300, 0.300] n=2" in (folder / "table11_calibration.md").read_text()
