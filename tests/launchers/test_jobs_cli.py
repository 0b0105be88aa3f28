"""A job is a command: --dry-run writes job files, run-job runs one, status says where each stands, collect builds
results from what is done; asking for a launcher's options wrongly, or for one whose package is missing, says so."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from benchmark.cli import app

SUITE = {
    "name": "two", "seeds": [0], "threads": 1,
    "data": {"source": {"name": "ukbb", "synth": {"cohort": "ukbb", "subjects": 5, "seed": 0},
                        "split": {"train": 3, "val": 1, "test": 1}},
             "targets": []},
    "preprocess": {"target_spacing": 3.0, "crop": 48},
    "training": {"iterations": 4, "batch_size": 4, "validate_every": 2, "checkpoint_every": 2,
                 "optimizer": {"name": "sgd", "lr": 0.01}},
    "models": [{"name": "unet_test"}], "policies": ["paper", "none"], "device": "cpu",
}


def cli(*args: object):
    return CliRunner().invoke(app, [str(a) for a in args])


def suite_file(tmp_path: Path, **changes) -> Path:
    path = tmp_path / "two.yaml"
    path.write_text(yaml.safe_dump({**SUITE, **changes}))
    return path


def states(out: Path) -> dict[str, str]:
    from benchmark.run.status import job_states

    return {s.job: s.state for s in job_states(out)}


def test_dry_run_then_run_job_status_and_collect(tmp_path):
    out = tmp_path / "out"
    dry = cli("run", suite_file(tmp_path), "--out", out, "--dry-run")
    assert dry.exit_code == 0, dry.output
    jobs = sorted(p.parent for p in (out / "jobs").glob("*/job.json"))
    assert len(jobs) == 2 and all(f"cmrbench run-job {j} --device cpu" in dry.output.replace("\n", "") for j in jobs)
    assert not any((j / "trained").exists() for j in jobs)  # a dry run trains nothing
    assert set(states(out).values()) == {"pending"}

    ran = cli("run-job", jobs[0])
    assert ran.exit_code == 0, ran.output
    assert states(out) == {jobs[0].name: "done", jobs[1].name: "pending"}
    where = json.loads((jobs[0] / "where.json").read_text())
    assert where["launcher"] == "run-job" and where["threads"] == 1 and where["state"] == "done"
    assert "steps of 4" in (jobs[0] / "job.log").read_text()  # the job's own log holds what it printed

    shown = cli("status", out)
    assert shown.exit_code == 0 and "1 done, 0 running, 0 failed, 0 stopped, 1 pending" in shown.output

    collected = cli("collect", out)
    assert collected.exit_code == 0, collected.output
    assert "pending" in collected.output and "not done" in collected.output
    cases = (out / "results" / "cases.csv").read_text().splitlines()
    assert len(cases) == 1 + 1 * 2 * 3 and all(line.startswith(jobs[0].name) for line in cases[1:])

    again = cli("run-job", jobs[0])  # done already: trains nothing, evaluates nothing
    assert again.exit_code == 0 and "0 training steps" in again.output


def test_a_job_killed_without_a_word_shows_as_stopped_and_a_failed_one_with_its_reason(tmp_path):
    out = tmp_path / "out"
    assert cli("run", suite_file(tmp_path), "--out", out, "--dry-run").exit_code == 0
    first, second = sorted(p.parent for p in (out / "jobs").glob("*/job.json"))
    (first / "where.json").write_text(json.dumps({"host": "node7", "pid": 1, "launcher": "slurm", "device": "cpu"}))
    (second / "job.json").write_text("{ not json")
    assert states(out)[first.name] == "stopped"
    failed = cli("run-job", second)
    assert failed.exit_code == 2 and "not a job file" in failed.output and str(second) in failed.output
    shown = cli("status", out)
    assert "node7 (slurm, cpu)" in shown.output and "stopped" in shown.output


def test_slurm_dry_run_prints_the_sbatch_script(tmp_path):
    out = tmp_path / "out"
    launcher = {"name": "slurm", "partition": "gpu", "timeout_min": 240, "gpus_per_job": 1, "mem_gb": 32,
                "array_parallelism": 8, "setup": ["module load cuda"]}
    dry = cli("run", suite_file(tmp_path, launcher=launcher), "--out", out, "--dry-run")
    assert dry.exit_code == 0, dry.output
    for line in ("#SBATCH --array=0-1%2", "#SBATCH --partition=gpu", "#SBATCH --time=240", "#SBATCH --mem=32GB",
                 "#SBATCH --gpus-per-node=1", "#SBATCH --signal=USR2@90", "module load cuda", "submitit.core._submit"):
        assert line in dry.output, line
    assert not (out / "slurm").exists()  # nothing was submitted


@pytest.mark.parametrize("launcher,why", [
    ({"name": "slurm", "partiton": "gpu"}, "partiton: unknown key"),
    ({"name": "ray", "num_cpus": 0}, "num_cpus: Input should be greater than 0"),
    ({"name": "local", "workers": 2}, "workers: unknown key"),
    ({"name": "kubernetes"}, "unknown launcher 'kubernetes'"),
])
def test_bad_launcher_settings_fail_in_validate_before_any_work(tmp_path, launcher, why):
    result = cli("validate", suite_file(tmp_path, launcher=launcher))
    assert result.exit_code == 2 and why in result.output


@pytest.mark.parametrize("name,extra", [("ray", "ray"), ("slurm", "slurm")])
def test_a_launcher_whose_package_is_missing_names_the_extra(tmp_path, monkeypatch, name, extra):
    monkeypatch.setitem(sys.modules, {"ray": "ray", "slurm": "submitit"}[name], None)  # import fails as if absent
    result = cli("run", suite_file(tmp_path), "--out", tmp_path / "out", "--launcher", name)
    assert result.exit_code == 2 and f"pip install 'cmrbench[{extra}]'" in result.output.replace("\n", "")


def test_list_launchers_shows_each_with_its_extra():
    result = cli("list", "launchers")
    text = result.output
    assert result.exit_code == 0 and all(n in text for n in ("local", "gpus", "ray", "slurm"))
    assert "cmrbench[ray]" in text and "cmrbench[slurm]" in text
