"""Every launcher runs the same 4-job suite (with a plugins: file) to the same results, also after a lost worker.

The suite trains `flakynet` (tests/launchers/plugins/flakynet.py: unet_test from a plugin file) with two policies and
two seeds at one CPU thread per job. `local` gives the reference; `ray` on a local instance of 2 CPUs and `slurm`
through submitit's local executor must give byte-identical cases, clinical and expected tables. In the interrupted
runs the plugin ends one job's process at its 5th training step, after last.pt of step 4: SIGKILL (a Ray worker
lost) or SIGUSR2 (SLURM's preemption warning, which submitit turns into checkpoint and requeue).
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from benchmark.run.runner import run_suite
from benchmark.suite import load_suite

PLUGIN = Path(__file__).parent / "plugins" / "flakynet.py"
COMPARED = ("cases.csv", "clinical.csv", "expected.csv", "errors.csv")

pytestmark = pytest.mark.slow


def four_job_suite(tmp: Path, cache: Path, mark: Path, sig: str, launcher: dict | None = None) -> Path:
    """flakynet x {paper, none} x seeds {0, 1}, 1 thread per job; `mark` arms the plugin's one-time signal."""
    suite = {
        "name": "four", "seeds": [0, 1], "threads": 1, "plugins": [str(PLUGIN)],
        "data": {"cache": str(cache),
                 "source": {"name": "ukbb", "synth": {"cohort": "ukbb", "subjects": 6, "seed": 0},
                            "split": {"train": 3, "val": 1, "test": 2}},
                 "targets": [{"name": "bscmr", "synth": {"cohort": "bscmr", "subjects": 2, "seed": 1}}]},
        "preprocess": {"target_spacing": 3.0, "crop": 48},
        "training": {"iterations": 8, "batch_size": 4, "validate_every": 3, "checkpoint_every": 2,
                     "optimizer": {"name": "sgd", "lr": 0.01}},
        "models": [{"name": "flakynet", "kwargs": {"mark": str(mark), "at": 5, "sig": sig}}],
        "policies": ["paper", "none"], "device": "cpu",
    }
    if launcher:
        suite["launcher"] = launcher
    path = tmp / f"four-{(launcher or {}).get('name', 'local')}.yaml"
    path.write_text(yaml.safe_dump(suite))
    return path


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> dict[str, Path]:
    """The local run of each variant (no signal: the mark exists), shared by the launcher tests."""
    tmp = tmp_path_factory.mktemp("reference")
    cache, runs = tmp / "cache", {}
    for sig in ("SIGKILL", "SIGUSR2"):
        mark = tmp / f"mark-{sig}"
        mark.write_text("armed by nobody: the reference run is never interrupted")
        run_suite(*load_suite(four_job_suite(tmp, cache, mark, sig)), tmp / sig)
        runs[sig] = tmp / sig
    return runs | {"cache": cache, "tmp": tmp}


def assert_same_results(a: Path, b: Path) -> None:
    for name in COMPARED:
        assert (a / "results" / name).read_bytes() == (b / "results" / name).read_bytes(), name
    cases = (a / "results" / "cases.csv").read_text().splitlines()
    # 4 jobs x (2 ukbb test subjects x 2 phases x 3 structures + 2 bscmr subjects x (ED: LV, MYO; ES: LV))
    assert len(cases) == 1 + 4 * (12 + 6)


LAUNCHERS = {
    "ray": ({"name": "ray", "local_cpus": 2, "num_cpus": 1}, "SIGKILL"),
    "slurm": ({"name": "slurm", "cluster": "local", "cpus_per_job": 1, "array_parallelism": 2, "timeout_min": 20},
              "SIGUSR2"),
}


@pytest.mark.parametrize("name", sorted(LAUNCHERS))
def test_a_launcher_gives_the_local_results(name, reference, tmp_path):
    launcher, sig = LAUNCHERS[name]
    mark = reference["tmp"] / f"mark-{sig}"  # the same path as the reference's (it is in the job's identity)
    mark.write_text("present: nothing is interrupted")
    out = tmp_path / name
    run_suite(*load_suite(four_job_suite(tmp_path, reference["cache"], mark, sig, launcher)), out)
    assert_same_results(reference[sig], out)
    where = [json.loads(p.read_text()) for p in sorted((out / "jobs").glob("*/where.json"))]
    assert [w["launcher"] for w in where] == [name] * 4 and {w["threads"] for w in where} == {1}
    assert {w["state"] for w in where} == {"done"}


@pytest.mark.parametrize("name", sorted(LAUNCHERS))
def test_a_lost_worker_is_retried_and_the_job_resumes_to_the_same_results(name, reference, tmp_path):
    launcher, sig = LAUNCHERS[name]
    mark = reference["tmp"] / f"mark-{sig}"
    mark.unlink()  # absent: the first job to reach training step 5 ends its own process
    out = tmp_path / name
    run_suite(*load_suite(four_job_suite(tmp_path, reference["cache"], mark, sig, launcher)), out)
    assert mark.is_file(), "no process was interrupted"
    victim = int(mark.read_text())
    resumed = [p.parent for p in (out / "jobs").glob("*/log.jsonl")
               if any(json.loads(line).get("event") == "resumed" for line in p.read_text().splitlines())]
    assert len(resumed) == 1, "exactly the interrupted job resumes from its last.pt"
    assert json.loads((resumed[0] / "where.json").read_text())["pid"] != victim  # a new process finished it
    assert_same_results(reference[sig], out)


@pytest.mark.skipif(not __import__("torch").cuda.is_available(), reason="launcher 'gpus' needs a CUDA device")
def test_gpus_launcher_runs_the_plugin_suite_on_every_visible_gpu(reference, tmp_path):
    """On a GPU the numbers differ from the CPU's, so this checks that every job ran there, plugin loaded."""
    mark = reference["tmp"] / "mark-SIGKILL"
    mark.write_text("present: nothing is interrupted")
    path = four_job_suite(tmp_path, reference["cache"], mark, "SIGKILL", {"name": "gpus"})
    out = tmp_path / "gpus"
    results = run_suite(*load_suite(path, ["device=cuda"]), out)
    assert len(results.cases) == 4 * 18 and results.errors.empty
    where = [json.loads(p.read_text()) for p in (out / "jobs").glob("*/where.json")]
    assert {w["launcher"] for w in where} == {"gpus"} and all(w["device"].startswith("cuda:") for w in where)
