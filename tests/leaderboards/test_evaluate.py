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

TABLES = ["table3_methods", "table4_architectures", "table5_ablation", "table6_scanner", "table7_site",
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
    assert "| oracle | 1.000 (0.000) | 1.000 (0.000) | 1.000 (0.000) | 1.000 (0.000) | 1.000 (0.000) | – |" in table3
    assert "– bscmr RV: not annotated in bscmr" in table3
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
    assert lv["diff"] > 0 and lv["mean_a"] == 1.0 and lv["n"] == 8
