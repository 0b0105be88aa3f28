"""`cmrbench run`: jobs, results, leaderboards, skip on rerun, resume after a kill, lock, bad input."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import nibabel as nib
import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from benchmark.cli import app
from benchmark.errors import CmrbenchError
from benchmark.run.runner import run_suite
from benchmark.run.sources import cohort_folder
from benchmark.run.store import RunLock
from benchmark.suite import load_suite

runner = CliRunner()


def run_cli(*args: str):
    result = runner.invoke(app, [str(a) for a in args])
    assert "Traceback" not in result.output
    return result


def test_run_writes_results_and_every_leaderboard_and_rerun_skips(tiny_suite, tmp_path):
    out = tmp_path / "out"
    result = run_cli("run", tiny_suite, "--out", out)
    assert result.exit_code == 0, result.output
    cases = pd.read_csv(out / "results/cases.csv")
    jobs = pd.read_csv(out / "results/jobs.csv")
    assert sorted(jobs.method) == ["unet_test + none", "unet_test + paper"]
    assert set(cases.dataset) == {"ukbb", "bscmr"}
    assert set(cases[cases.dataset == "ukbb"].split) == {"test"}  # the source is scored on its test split only
    assert set(cases[cases.dataset == "bscmr"].structure) <= {"LV", "MYO"}
    assert jobs.set_index("policy").loc["paper", "operations"].startswith("resample;flip_h")
    for job in jobs.job:
        folder = out / "jobs" / job
        assert (folder / "trained").is_file() and (folder / "best.pt").is_file() and (folder / "config.json").is_file()
        assert len(list((folder / "eval").glob("*/done"))) == 2  # the source's test split and the target
        assert len(list(folder.rglob("predictions/*/*.nii.gz"))) == 8  # 2 test + 2 target subjects x ED/ES
    for name in ("table3_methods.md", "table5_ablation.tex", "bland_altman.csv", "report.html"):
        assert (out / "leaderboards" / name).is_file()
    assert (out / "suite.yaml").is_file() and "commit" in (out / "results/provenance.yaml").read_text()
    profile = pd.read_csv(out / "results/profile.csv").set_index("phase")
    assert profile.loc["training", "seconds"] > 0 and profile.loc["total", "share"] == 1.0
    assert "| unet_test + none |" in result.output  # off a terminal, Table III prints whole as Markdown
    stamps = {p: p.stat().st_mtime_ns for p in out.glob("jobs/*/best.pt")}
    again = run_cli("run", tiny_suite, "--out", out)
    assert again.exit_code == 0 and again.output.count("done already") == 2
    assert {p: p.stat().st_mtime_ns for p in out.glob("jobs/*/best.pt")} == stamps
    pd.testing.assert_frame_equal(pd.read_csv(out / "results/cases.csv"), cases)


@pytest.mark.slow
def test_killed_run_resumes_to_the_same_results(tiny_suite, tmp_path):
    env = dict(os.environ, CMRBENCH_NO_PROGRESS="1")
    suite = load_suite(tiny_suite, ["training.iterations=16"])
    reference = run_suite(suite[0], suite[1], tmp_path / "reference")
    out = tmp_path / "killed"
    proc = subprocess.Popen([sys.executable, "-m", "benchmark", "run", str(tiny_suite), "--out", str(out),
                             "--set", "training.iterations=16"], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.time() + 240
    while time.time() < deadline and not list(out.glob("jobs/*/last.pt")):
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert list(out.glob("jobs/*/last.pt")) and not list(out.glob("jobs/*/trained"))
    resumed = run_suite(suite[0], suite[1], out)
    logs = "".join(p.read_text() for p in out.glob("jobs/*/log.jsonl"))
    assert '"event": "resumed"' in logs
    cols = ["job", "dataset", "subject", "phase", "structure", "dice", "hd95_mm", "assd_mm", "vol_pred_ml"]
    a = reference.cases[cols].sort_values(cols[:5]).reset_index(drop=True)
    b = resumed.cases[cols].sort_values(cols[:5]).reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b)


def test_a_second_run_on_the_same_out_is_refused(tiny_suite, tmp_path):
    out = tmp_path / "locked"
    suite, base = load_suite(tiny_suite)
    with RunLock(out):
        with pytest.raises(CmrbenchError, match="in use by another cmrbench run"):
            run_suite(suite, base, out)


def test_validate_names_problems_without_traceback(tiny_suite):
    result = run_cli("validate", tiny_suite, "--set", "models.0.name=unet_tset")
    assert result.exit_code == 2 and "unknown model 'unet_tset'; did you mean 'unet_test'" in result.output
    result = run_cli("validate", tiny_suite, "--set", "training.epochz=3")
    assert result.exit_code == 2 and "training.epochz: unknown key" in result.output
    result = run_cli("validate", tiny_suite, "--set", "policies.0.name=papper")
    assert result.exit_code == 2 and "did you mean 'paper'" in result.output
    ok = run_cli("validate", tiny_suite)
    assert ok.exit_code == 0 and "2 job(s)" in ok.output


def test_a_corrupt_case_is_recorded_and_the_run_goes_on(tiny_suite, tmp_path, shared_cache):
    out = tmp_path / "bad"
    suite, base = load_suite(tiny_suite, ["data.targets.0.synth.seed=5", "policies=[none]"])
    cohort = shared_cache / "synth" / cohort_folder("bscmr", 2, 5)
    from benchmark.synth.cohorts import generate_cohort

    generate_cohort("bscmr", cohort, 2, seed=5)
    victim = cohort / "images" / "BSCMR0001_ES.nii.gz"
    victim.write_bytes(victim.read_bytes()[:300])
    results = run_suite(suite, base, out)
    errors = pd.read_csv(out / "results/errors.csv")
    assert ((errors.subject == "BSCMR0001") & (errors.phase == "ES") & (errors.what == "truncated file")).any()
    scored = results.cases[results.cases.dataset == "bscmr"]
    assert set(zip(scored.subject, scored.phase)) == {("BSCMR0001", "ED"), ("BSCMR0002", "ED"), ("BSCMR0002", "ES")}


def test_predict_segments_nifti_with_a_checkpoint(tiny_suite, tmp_path):
    out = tmp_path / "p"
    suite, base = load_suite(tiny_suite, ["policies=[paper]"])
    run_suite(suite, base, out)
    ckpt = next(out.glob("jobs/*/best.pt"))
    image = next((Path(suite.data.cache) / "synth" / cohort_folder("bscmr", 2, 1) / "images").glob("*_ED.nii.gz"))
    result = run_cli("predict", "--checkpoint", ckpt, "--input", image, "--out", tmp_path / "seg")
    assert result.exit_code == 0, result.output
    seg = nib.load(tmp_path / "seg" / image.name)
    src = nib.load(image)
    assert seg.shape == src.shape and np.allclose(seg.affine, src.affine)
    assert set(np.unique(np.asarray(seg.dataobj))) <= {0, 1, 2, 3}


def test_a_run_whose_every_job_fails_says_so_and_exits_1(tiny_suite, tmp_path):
    out = tmp_path / "failing"
    result = run_cli("run", tiny_suite, "--out", out, "--set", "models=[{name: unet_test, kwargs: {no_such: 1}}]")
    assert result.exit_code == 1
    assert "2 job(s) failed" in " ".join(result.output.split())
    errors = pd.read_csv(out / "results/errors.csv")
    assert list(errors.what) == ["job failed", "job failed"] and errors.why.str.contains("no_such").all()


def test_a_path_like_subject_in_a_target_manifest_writes_nothing_outside_out(tiny_suite, tmp_path, shared_cache):
    from benchmark.synth.cohorts import generate_cohort

    cohort = tmp_path / "bscmr"
    generate_cohort("bscmr", cohort, 2, seed=1)
    manifest = pd.read_csv(cohort / "manifest.csv", dtype=str, keep_default_na=False)
    manifest["subject"] = manifest["subject"].replace("BSCMR0001", "../../escaped")
    manifest.to_csv(cohort / "hostile.csv", index=False)
    out = tmp_path / "deep" / "out"
    result = run_cli("run", tiny_suite, "--out", out, "--set", "policies=[none]",
                     "--set", f"data.targets=[{{name: hostile, manifest: {cohort / 'hostile.csv'}}}]")
    assert result.exit_code == 0, result.output
    errors = pd.read_csv(out / "results/errors.csv", dtype=str)
    row = errors[errors.subject == "../../escaped"]
    assert len(row) == 2 and (row.what == "bad row").all() and row.why.str.contains("looks like a path").all()
    assert not list(tmp_path.rglob("escaped*"))  # neither a prediction nor a cache file was named after it
    scored = pd.read_csv(out / "results/cases.csv", dtype=str)
    assert set(scored[scored.dataset == "hostile"].subject) == {"BSCMR0002"}
