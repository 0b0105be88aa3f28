"""`cmrbench shift` writes shifted copies any tool can segment; `cmrbench evaluate --shifts` scores that tool's
predictions per shift and severity into results/shifts.csv and Table X."""
from __future__ import annotations

import nibabel as nib
import numpy as np
import pandas as pd
from typer.testing import CliRunner

import benchmark as cb
from benchmark.cli import app
from benchmark.data.adapters import get_adapter
from benchmark.data.manifest import write_manifest
from benchmark.synth.cohorts import generate_cohort


def cli(*args: object):
    return CliRunner().invoke(app, [str(a) for a in args])


def test_shifted_copies_then_an_external_tools_predictions_are_scored_per_level(tmp_path):
    generate_cohort("acdc", tmp_path / "acdc", 2, seed=3)
    manifest = tmp_path / "manifest.csv"
    df = write_manifest(get_adapter("acdc").index(tmp_path / "acdc").rows, manifest)
    made = cli("shift", "--manifest", manifest, "--out", tmp_path / "s", "--shifts", "noise,contrast",
               "--severities", "1,5")
    assert made.exit_code == 0, made.output
    assert "wrote 16 shifted image(s)" in made.output.replace("\n", " ")  # 2 subjects x 2 phases x 2 x 2
    level = pd.read_csv(tmp_path / "s/noise_5/manifest.csv")
    assert len(level) == 4 and level["label_map"].eq("canonical").all()
    first = df.iloc[0]
    original = cb.load_case(first, df.attrs["root"])
    copy = nib.load(level.loc[0, "image"])
    assert np.allclose(copy.affine, original.affine) and copy.shape == original.image.shape
    assert not np.allclose(np.asarray(copy.dataobj), original.image)

    pred = tmp_path / "pred"  # an "external tool": perfect on the clean and severity-1 images, off by 3 voxels at 5
    for folder, roll in (("", 0), ("noise_1", 0), ("noise_5", 3), ("contrast_1", 0), ("contrast_5", 3)):
        for _, row in df.iterrows():
            case = cb.load_case(row, df.attrs["root"])
            path = pred / folder / row.dataset / f"{row.subject}_{row.phase}.nii.gz"
            path.parent.mkdir(parents=True, exist_ok=True)
            nib.save(nib.Nifti1Image(np.roll(case.label, roll, axis=0), case.affine), str(path))
    scored = cli("evaluate", "--manifest", manifest, "--pred", pred, "--out", tmp_path / "o", "--shifts")
    assert scored.exit_code == 0, scored.output
    shifts = pd.read_csv(tmp_path / "o/results/shifts.csv")
    dice = shifts.groupby(["shift", "severity"])["dice"].mean()
    assert dice[("noise", 1)] == 1.0 and dice[("contrast", 1)] == 1.0
    assert dice[("noise", 5)] < 0.95 and dice[("contrast", 5)] == dice[("noise", 5)]
    assert "| external | acdc |" in (tmp_path / "o/leaderboards/table10_shifts.md").read_text()
    cases = pd.read_csv(tmp_path / "o/results/cases.csv")
    assert (cases["dice"] == 1.0).all() and len(cases) == len(shifts) / 4  # clean cases stay apart


def test_evaluate_shifts_without_level_folders_says_what_is_missing(tmp_path):
    generate_cohort("acdc", tmp_path / "acdc", 1, seed=3)
    manifest = tmp_path / "manifest.csv"
    write_manifest(get_adapter("acdc").index(tmp_path / "acdc").rows, manifest)
    (tmp_path / "pred").mkdir()
    result = cli("evaluate", "--manifest", manifest, "--pred", tmp_path / "pred", "--out", tmp_path / "o", "--shifts")
    assert result.exit_code == 2 and "no <shift>_<severity> folder" in result.output
