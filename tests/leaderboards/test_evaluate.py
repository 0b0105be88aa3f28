"""`cmrbench evaluate` on a synthetic cohort: oracle predictions, a one-voxel shift, a missing file, tables."""
from __future__ import annotations

from pathlib import Path

import nibabel as nib
import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import benchmark as cb
from benchmark.cli import app
from benchmark.data.adapters import get_adapter
from benchmark.data.manifest import write_manifest
from benchmark.labels import from_canonical
from benchmark.synth.cohorts import generate_cohort

TABLES = ["table3_methods", "table3_oracle", "table4_architectures", "table5_ablation", "table6_scanner", "table7_site",
          "table8_pathology", "table9_correlation", "bland_altman"]


@pytest.fixture(scope="module")
def cohort(tmp_path_factory) -> tuple[Path, pd.DataFrame]:
    root = tmp_path_factory.mktemp("ev")
    generate_cohort("bscmr", root / "bscmr", 4, seed=2)
    generate_cohort("acdc", root / "acdc", 3, seed=2)
    rows = get_adapter("manifest").index(root / "bscmr/manifest.csv").rows + get_adapter("acdc").index(
        root / "acdc").rows
    return root, write_manifest(rows, root / "manifest.csv")


def write_predictions(root: Path, df: pd.DataFrame, folder: str, *, shift: int = 0, skip: tuple = (),
                      convention: str = "canonical") -> Path:
    out = root / folder
    for _, row in df.iterrows():
        if (row.subject, row.phase) in skip:
            continue
        case = cb.load_case(row, root)
        label = np.roll(case.label, shift, axis=0) if shift else case.label
        path = out / row.dataset / f"{row.subject}_{row.phase}.nii.gz"
        path.parent.mkdir(parents=True, exist_ok=True)
        nib.save(nib.Nifti1Image(from_canonical(label, convention), case.affine), str(path))
    return out


def run_evaluate(root: Path, pred: Path, out: str, *extra: str):
    result = CliRunner().invoke(app, ["evaluate", "--manifest", str(root / "manifest.csv"), "--pred", str(pred),
                                      "--out", str(root / out), *extra])
    assert result.exit_code == 0, result.output
    return cb.load_manifest(root / "manifest.csv"), root / out


def test_own_labels_score_dice_1_and_hd95_0_and_every_table_is_written(cohort):
    root, df = cohort
    pred = write_predictions(root, df, "oracle", convention="acdc")
    _, out = run_evaluate(root, pred, "oracle_out", "--name", "oracle", "--label-map", "acdc")
    cases = pd.read_csv(out / "results/cases.csv")
    assert len(cases) > 0 and (cases.dice == 1).all() and (cases.hd95_mm == 0).all() and (cases.assd_mm == 0).all()
    # BSCMR-like: MYO at ED only, LV at both, never RV
    bs = cases[cases.dataset == "bscmr"]
    assert set(bs[bs.phase == "ES"].structure) == {"LV"} and "RV" not in set(bs.structure)
    for name in TABLES:
        for ext in ("md", "csv", "tex"):
            assert (out / "leaderboards" / f"{name}.{ext}").is_file(), name
    for extra in ("fig4_boxplots.png", "fig8_bland_altman.png", "report.html"):
        assert (out / "leaderboards" / extra).stat().st_size > 1000
    table3 = (out / "leaderboards/table3_methods.md").read_text()
    one = "1.000 [1.00, 1.00]"
    assert (f"| oracle | 14/14 | {one} n=3 | {one} n=3 | {one} n=3 | {one} n=4 | {one} n=4 | – |") in table3
    assert "– bscmr RV: not annotated in bscmr" in table3 and "all 14 expected cases" in table3
    assert "model selection: source_val" in table3 and "seeds: none recorded" in table3
    assert "No data: no oracle-selected rows" in (out / "leaderboards/table3_oracle.md").read_text()
    expected = pd.read_csv(out / "results/expected.csv")
    assert len(expected) == 14 and set(expected.job) == {"oracle"}
    clinical = pd.read_csv(out / "results/clinical.csv")
    assert set(clinical[clinical.dataset == "bscmr"].measure) == {"LVEDV", "LVESV", "LVEF", "LVM"}
    assert np.allclose(clinical.auto, clinical.manual)


def test_one_voxel_shift_gives_the_known_hd95_and_missing_file_is_an_error(cohort):
    root, df = cohort
    first = df[df.dataset == "bscmr"].iloc[0]
    skip = (first.subject, first.phase)
    pred = write_predictions(root, df[df.dataset == "bscmr"], "shifted", shift=1, skip=(skip,))
    _, out = run_evaluate(root, pred, "shifted_out")
    cases = pd.read_csv(out / "results/cases.csv")
    spacing = df.set_index(["subject", "phase"])["spacing_x_mm"]
    for _, row in cases.iterrows():
        # shifting by one voxel along x moves every surface point by exactly one voxel width at most
        assert row.hd95_mm == pytest.approx(spacing.loc[(row.subject, row.phase)], rel=1e-6)
        assert 0.7 < row.dice < 1.0
    errors = pd.read_csv(out / "results/errors.csv")
    missing = errors[(errors.what == "missing prediction") & (errors.dataset == "bscmr")]
    assert list(zip(missing.subject, missing.phase)) == [skip]
    assert set(errors.dataset) == {"bscmr", "acdc"}  # acdc had no predictions in this folder at all
    table3 = (out / "leaderboards/table3_methods.md").read_text()
    assert "| external | 7/14 |" in table3 and "7 of 14 expected cases" in table3
    assert "(3/4 scored)" in table3  # bscmr LV: one of its 4 ED/ES cases is the missing file


def test_leaderboard_and_compare_commands(cohort):
    root, df = cohort
    pred_a = write_predictions(root, df[df.dataset == "bscmr"], "cmp_a")
    pred_b = write_predictions(root, df[df.dataset == "bscmr"], "cmp_b", shift=2)
    run_evaluate(root, pred_a, "res_a", "--name", "A")
    run_evaluate(root, pred_b, "res_b", "--name", "B")
    runner = CliRunner()
    board = runner.invoke(app, ["leaderboard", str(root / "res_a"), str(root / "res_b"), "--out",
                                str(root / "both")])
    assert board.exit_code == 0, board.output
    text = (root / "both/leaderboards/table3_methods.md").read_text()
    assert "| A |" in text and "| B |" in text
    cmp = runner.invoke(app, ["compare", str(root / "res_a"), str(root / "res_b"), "--out", str(root / "cmp")])
    assert cmp.exit_code == 0, cmp.output
    t3 = pd.read_csv(root / "cmp/compare_table3_methods.csv")
    lv = t3[t3.structure == "LV"].iloc[0]
    assert lv["diff"] > 0 and lv["mean_a"] == 1.0 and lv["n"] == 4  # 4 subjects, ED and ES averaged
    assert lv["ci_low"] <= lv["diff"] <= lv["ci_high"] and "p_holm" in t3


def test_missing_fail_scores_missing_cases_as_dice_0(cohort):
    root, df = cohort
    first_bs, first_acdc = df[df.dataset == "bscmr"].subject.iloc[0], df[df.dataset == "acdc"].subject.iloc[0]
    skip = ((first_bs, "ED"), (first_bs, "ES"), (first_acdc, "ED"))
    pred = write_predictions(root, df, "three_missing", skip=skip, convention="acdc")
    _, excl = run_evaluate(root, pred, "missing_excl", "--label-map", "acdc")
    _, fail = run_evaluate(root, pred, "missing_fail", "--label-map", "acdc", "--missing", "fail")
    text = (excl / "leaderboards/table3_methods.md").read_text()
    assert "| external | 11/14 |" in text and "are left out of the means (--missing exclude)" in text
    assert "1.000 [1.00, 1.00] n=3 (3/4 scored)" in text  # bscmr LV: its first subject has no case left
    means = {(r.dataset, r.structure): r for r in pd.read_csv(fail / "leaderboards/table3_methods.csv").itertuples()}
    assert means[("bscmr", "LV")].mean == pytest.approx(0.75) and means[("bscmr", "LV")].n_subjects == 4
    assert means[("bscmr", "MYO")].mean == pytest.approx(0.75)  # annotated at ED only: 0 for the missing ED
    assert means[("acdc", "RV")].mean == pytest.approx((0.5 + 1 + 1) / 3)  # ED missing, ES scored 1
    assert (means[("acdc", "RV")].n_scored, means[("acdc", "RV")].n_expected) == (5, 6)
    assert "Dice 0 for each annotated structure (--missing fail)" in (fail / "leaderboards/table3_methods.md"
                                                                     ).read_text()


def test_leaderboard_refuses_two_sets_with_one_method_name_until_labelled(cohort):
    root, df = cohort
    pred = write_predictions(root, df[df.dataset == "bscmr"], "same_a")
    _, a = run_evaluate(root, pred, "same_a_out", "--name", "unet16 + paper")
    _, b = run_evaluate(root, pred, "same_b_out", "--name", "unet16 + paper")
    runner = CliRunner()
    refused = runner.invoke(app, ["leaderboard", str(a), str(b)])
    assert refused.exit_code == 2 and "Traceback" not in refused.output
    assert "'same_a_out' and 'same_b_out' both contain method 'unet16 + paper'" in refused.output
    ok = runner.invoke(app, ["leaderboard", str(a), str(b), "--label", f"{a}=first", "--label", "same_b_out=second",
                             "--format", "csv"])
    assert ok.exit_code == 0, ok.output
    assert "first: unet16 + paper,bscmr,LV" in ok.output and "second: unet16 + paper,bscmr,LV" in ok.output
    bad = runner.invoke(app, ["leaderboard", str(a), "--label", "nowhere=x"])
    assert bad.exit_code == 2 and "nowhere is neither a result path given nor a set's name" in bad.output


def test_compare_refuses_mismatched_references_and_filters(cohort):
    import shutil

    root, df = cohort
    pred = write_predictions(root, df, "cmp_all", convention="acdc")
    _, a = run_evaluate(root, pred, "cmp_all_a", "--label-map", "acdc")
    runner = CliRunner()
    only = runner.invoke(app, ["compare", str(a), str(a), "--dataset", "acdc", "--method", "external", "--out",
                               str(root / "cmp_acdc")])
    assert only.exit_code == 0, only.output
    t3 = pd.read_csv(root / "cmp_acdc/compare_table3_methods.csv")
    assert set(t3.dataset) == {"acdc"} and list(t3.n) == [3, 3, 3]
    shutil.copytree(a, root / "cmp_all_b")
    cases = pd.read_csv(root / "cmp_all_b/results/cases.csv", dtype={"subject": str})
    row = cases[(cases.dataset == "bscmr") & (cases.structure == "LV")].index[0]
    cases.loc[row, "vol_ref_ml"] += 5.0
    cases.to_csv(root / "cmp_all_b/results/cases.csv", index=False)
    refused = runner.invoke(app, ["compare", str(a), str(root / "cmp_all_b")])
    assert refused.exit_code == 2 and "not the same subjects" in refused.output
    r = cases.loc[row]
    assert f"first: bscmr {r.subject} {r.phase} LV: {r.vol_ref_ml - 5:g} vs {r.vol_ref_ml:g} mL" in refused.output


@pytest.mark.parametrize("edit, why", [("shift", "origin differs by 2.5 mm"), ("flip", "axis directions")])
def test_a_prediction_on_another_grid_is_an_error_row_not_dice_1(cohort, edit, why):
    root, df = cohort
    pred = write_predictions(root, df, f"grid_{edit}", convention="acdc")
    row = df[df.dataset == "acdc"].iloc[0]
    path = pred / row.dataset / f"{row.subject}_{row.phase}.nii.gz"
    img = nib.load(str(path))
    affine = img.affine.copy()
    if edit == "shift":
        affine[1, 3] += 2.5
    else:
        affine[0, :] *= -1  # the same voxels, mirrored in space: Dice 1 if only shapes were compared
    nib.save(nib.Nifti1Image(np.asanyarray(img.dataobj), affine), str(path))
    _, out = run_evaluate(root, pred, f"grid_{edit}_out", "--label-map", "acdc")
    errors = pd.read_csv(out / "results/errors.csv", dtype=str)
    [err] = errors.itertuples()
    assert (err.subject, err.phase, err.what) == (row.subject, row.phase, "geometry mismatch") and why in err.why
    cases = pd.read_csv(out / "results/cases.csv", dtype={"subject": str})
    assert row.subject + row.phase not in set(cases.subject + cases.phase)
