"""A suite with evaluation.shifts scores every target case at each severity into results/shifts.csv, Table X and
the curves; the clean results stay byte-identical (same evaluation ids, nothing pooled); a plugin adds a shift.
Both runs also record per-case uncertainty (entropy, flip-TTA disagreement) and calibration bin sums before and
after a temperature fitted on the source validation split, which Tables XI-XIII report."""
from __future__ import annotations

import pandas as pd
import pytest
import yaml

from benchmark.run.runner import run_suite
from benchmark.suite import load_suite

pytestmark = pytest.mark.slow

SUITE = {
    "name": "shifted", "seeds": [0], "threads": 1,
    "data": {"source": {"name": "ukbb", "synth": {"cohort": "ukbb", "subjects": 5, "seed": 0},
                        "split": {"train": 3, "val": 1, "test": 1}},
             "targets": [{"name": "bscmr", "synth": {"cohort": "bscmr", "subjects": 2, "seed": 1}}]},
    "preprocess": {"target_spacing": 3.0, "crop": 48},
    "training": {"iterations": 4, "batch_size": 4, "validate_every": 2, "checkpoint_every": 2,
                 "optimizer": {"name": "sgd", "lr": 0.01}},
    "models": [{"name": "unet_test"}], "policies": ["none"], "device": "cpu",
    "evaluation": {"tta_flip": True, "temperature_scaling": True},
}
PLUGIN = '''
import numpy as np
from benchmark.shifts import register_shift

@register_shift("darken", "intensity", "the whole image times 0.9, 0.8, 0.7, 0.6, 0.5 (a test plugin)")
def darken(image, spacing, severity, rng):
    return image * (1.0 - 0.1 * severity)
'''


def test_shifts_are_scored_apart_and_leave_the_clean_results_as_they_were(tmp_path):
    cache = tmp_path / "cache"
    plain = tmp_path / "plain.yaml"
    plain.write_text(yaml.safe_dump({**SUITE, "data": {**SUITE["data"], "cache": str(cache)}}))
    (tmp_path / "darken.py").write_text(PLUGIN)
    shifted = tmp_path / "shifted.yaml"
    shifted.write_text(yaml.safe_dump({**SUITE, "data": {**SUITE["data"], "cache": str(cache)},
                                       "plugins": ["darken.py"],
                                       "evaluation": {**SUITE["evaluation"], "shifts": ["noise", "contrast", "darken"],
                                                      "severities": [1, 5], "shift_reference": "unet_test + none"}}))
    run_suite(*load_suite(plain), tmp_path / "a")
    res = run_suite(*load_suite(shifted), tmp_path / "b")
    for name in ("cases.csv", "clinical.csv", "expected.csv"):
        assert (tmp_path / "a/results" / name).read_bytes() == (tmp_path / "b/results" / name).read_bytes(), name
    table = pd.read_csv(tmp_path / "b/results/shifts.csv")
    # 2 bscmr subjects x (ED: LV, MYO; ES: LV) x 3 shifts x 2 severities
    assert len(table) == 2 * 3 * 3 * 2 and len(res.shifts) == len(table)
    assert sorted(table["shift"].unique()) == ["contrast", "darken", "noise"]
    assert sorted(table["severity"].unique()) == [1, 5] and set(table["dataset"]) == {"bscmr"}
    board = tmp_path / "b/leaderboards"
    md = (board / "table10_shifts.md").read_text()
    assert "mean over shifts" in md and "reference: unet_test + none" in md and "| unet_test + none | bscmr |" in md
    tidy = pd.read_csv(board / "table10_shifts.csv")
    assert len(tidy) == 3 * 2 and (tidy["CE"] == 100).all()  # the reference's CE is 100 % by definition
    assert (board / "fig_shift_curves.png").stat().st_size > 10_000
    assert "Dice against shift severity" in (board / "report.html").read_text()
    assert not (tmp_path / "a/leaderboards/fig_shift_curves.png").exists()
    cases = pd.read_csv(tmp_path / "b/results/cases.csv")
    assert cases["uncertainty"].dropna().between(0, 1.39).all()  # entropy of 4 classes is at most ln 4
    assert cases["tta_disagreement"].dropna().between(0, 1).all() and cases["tta_disagreement"].notna().any()
    calibration = pd.read_csv(tmp_path / "b/results/calibration.csv")
    assert set(calibration["temperature"].astype(str)) == {"1", "fitted"}
    clean_bscmr = calibration[(calibration["dataset"] == "bscmr") & (calibration["shift"].isna())]
    assert set(clean_bscmr["structure"]) == {"LV", "MYO"}  # bscmr has no RV annotation: never calibrated on it
    shifted_rows = calibration[calibration["shift"] == "darken"]
    assert sorted(shifted_rows["severity"].unique()) == [1, 5]
    info = [p.read_text() for p in (tmp_path / "b/jobs").glob("*/eval/*/info.json")]
    assert all('"temperature"' in text for text in info)
    for name in ("table11_calibration", "table12_failure", "table13_decisions"):
        assert (board / f"{name}.md").is_file()
    assert "fitted T" in (board / "table11_calibration.md").read_text()
    assert "no graded shifts" in (tmp_path / "a/leaderboards/table10_shifts.md").read_text()
