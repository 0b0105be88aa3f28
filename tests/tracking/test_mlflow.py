"""MLflow tracking of `cmrbench run`: one run per job in a file store and a SQLite store, read back with MlflowClient.

One tiny suite (unet_test, 48x48 crops, 2 jobs) is trained once with tracking to a file store; every other run of it
trains nothing (tracking is not part of any id) and only logs, so the whole module stays well under a minute.
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml
from runner.conftest import TINY
from typer.testing import CliRunner

from benchmark.cli import app
from benchmark.run.jobs import eval_plan, grid, training_config, with_id
from benchmark.suite import load_suite
from benchmark.tracking import TrackingSession
from benchmark.tracking.records import curves, params

mlflow = pytest.importorskip("mlflow")
from mlflow.exceptions import MlflowException  # noqa: E402
from mlflow.tracking import MlflowClient  # noqa: E402

runner = CliRunner()
ITERATIONS, VALIDATE_EVERY = 2, 1  # curves at steps 1 and 2


def run_cli(*args: object):
    result = runner.invoke(app, [str(a) for a in args])
    assert "Traceback" not in result.output, result.output
    return result


def write_suite(path: Path, cache: Path, **extra: object) -> Path:
    suite = json.loads(json.dumps(TINY))
    suite["data"]["cache"] = str(cache)
    suite["data"]["source"]["split"] = {"train": 1, "val": 1, "test": 1}  # smaller than TINY: only logging is tested
    suite["data"]["source"]["synth"]["subjects"] = 3
    suite["data"]["targets"][0]["synth"]["subjects"] = 1
    suite["training"].update(iterations=ITERATIONS, validate_every=VALIDATE_EVERY, batch_size=2, precision="fp32")
    suite.update(save_predictions=False, leaderboards=["table3_methods"], **extra)
    path.write_text(yaml.safe_dump(suite))
    return path


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> dict[str, Path | str]:
    """The tiny suite trained once with `tracking: {mlflow: {uri: file://...}}` (experiment: the suite's name)."""
    tmp = tmp_path_factory.mktemp("tracked")
    uri = (tmp / "mlruns").as_uri()
    suite = write_suite(tmp / "tiny.yaml", tmp / "cache", tracking={"mlflow": {"uri": uri}})
    result = run_cli("run", suite, "--out", tmp / "out")
    assert result.exit_code == 0, result.output
    assert "tracking failed" not in result.output
    return {"tmp": tmp, "suite": suite, "out": tmp / "out", "uri": uri}


def runs_of(uri: str, kind: str = "job") -> list:
    client = MlflowClient(uri)
    experiment = client.get_experiment_by_name("tiny")
    assert experiment is not None
    return client.search_runs([experiment.experiment_id], f"tags.`cmrbench.kind` = '{kind}'")


def artifacts(client: MlflowClient, run_id: str, path: str | None = None) -> set[str]:
    out: set[str] = set()
    for item in client.list_artifacts(run_id, path):
        out |= artifacts(client, run_id, item.path) if item.is_dir else {item.path}
    return out


def logged_steps(out: Path, job: str) -> list[int]:
    return [row["step"] for row in map(json.loads, (out / "jobs" / job / "log.jsonl").read_text().splitlines())
            if "event" not in row]


def assert_complete(uri: str, out: Path) -> None:
    """One run per job, with config params, loss curve, scores per target and structure, cases and leaderboards."""
    client = MlflowClient(uri)
    jobs = pd.read_csv(out / "results/jobs.csv", dtype={"job": str})
    cases = pd.read_csv(out / "results/cases.csv", dtype={"job": str, "subject": str})
    runs = {r.data.tags["cmrbench.job"]: r for r in runs_of(uri)}
    assert sorted(runs) == sorted(jobs.job)
    (suite_run,) = runs_of(uri, "suite")
    assert "leaderboards/table3_methods.md" in artifacts(client, suite_run.info.run_id)
    for row in jobs.itertuples():
        run = runs[row.job]
        assert run.info.run_name == f"{row.method} seed 0" and run.info.status == "FINISHED"
        assert run.data.tags["cmrbench.policy"] == row.policy and run.data.tags["cmrbench.seed"] == "0"
        assert run.data.tags["cmrbench.suite"] == "tiny" and run.data.tags["cmrbench.model"] == "unet_test"
        assert run.data.tags["mlflow.parentRunId"] == suite_run.info.run_id
        assert run.data.params["training.iterations"] == str(ITERATIONS)
        assert run.data.params["model.name"] == "unet_test" and run.data.params["policy.name"] == row.policy
        history = client.get_metric_history(run.info.run_id, "loss")
        assert sorted(m.step for m in history) == logged_steps(out, row.job) == [1, 2]
        for dataset, structures in (("ukbb", {"LV", "MYO", "RV"}), ("bscmr", {"LV", "MYO"})):
            mine = cases[(cases.job == row.job) & (cases.dataset == dataset)]
            assert set(mine.structure) == structures
            for structure in structures:
                lv = mine[mine.structure == structure]
                expected = lv.groupby("subject").dice.mean().mean()  # a subject's phases, then the subjects
                assert run.data.metrics[f"dice/{dataset}/{structure}"] == pytest.approx(expected, abs=1e-6)
                assert f"hd95_mm/{dataset}/{structure}" in run.data.metrics
                assert f"assd_mm/{dataset}/{structure}" in run.data.metrics
        files = artifacts(client, run.info.run_id)
        assert {"evaluations/ukbb/source_val/cases.csv", "evaluations/bscmr/source_val/cases.csv",
                "job/config.json"} <= files


@pytest.mark.slow
def test_file_store_holds_one_run_per_job_logged_as_each_job_finishes(trained):
    out, uri = trained["out"], trained["uri"]
    assert_complete(uri, out)
    # the local launcher runs jobs in this process: each is logged before the next one starts
    started = sorted((json.loads((d / "where.json").read_text())["started_unix"], d.name)
                     for d in (out / "jobs").iterdir())
    (first_run,) = [r for r in runs_of(uri) if r.data.tags["cmrbench.job"] == started[0][1]]
    assert first_run.info.end_time <= started[1][0] * 1000 + 1


@pytest.mark.slow
def test_rerun_adds_no_runs_and_no_curve_points(trained):
    client = MlflowClient(trained["uri"])
    before = {r.info.run_id: len(client.get_metric_history(r.info.run_id, "loss")) for r in runs_of(trained["uri"])}
    again = run_cli("run", trained["suite"], "--out", trained["out"])
    assert again.exit_code == 0 and again.output.count("done already") == 2
    after = {r.info.run_id: len(client.get_metric_history(r.info.run_id, "loss")) for r in runs_of(trained["uri"])}
    assert after == before and len(runs_of(trained["uri"], "suite")) == 1


@pytest.mark.slow
def test_sqlite_store_failure_is_one_line_then_collect_logs_everything_once(trained, monkeypatch):
    """--mlflow on a finished run folder trains nothing (ids do not change) and logs every job. A store that fails
    half-way is reported in one line and the run ends well; `cmrbench collect` (which logs where the last run did)
    completes the half-logged run without repeating a curve point, and a rerun after it adds nothing."""
    db = trained["tmp"] / "db" / "mlflow.db"
    db.parent.mkdir()
    uri = f"sqlite:///{db}"

    def down(*args: object, **kwargs: object) -> None:
        raise MlflowException("the store went away\nsecond line")

    with monkeypatch.context() as patch:
        patch.setattr(MlflowClient, "log_artifact", down)
        broken = run_cli("run", trained["suite"], "--out", trained["out"], "--mlflow", uri)
    assert broken.exit_code == 0, broken.output
    warnings = [line for line in broken.output.splitlines() if "tracking failed" in line]
    assert len(warnings) == 1 and "the store went away second line" in warnings[0], broken.output
    assert "cmrbench collect" in warnings[0] and "results in" in broken.output
    assert len(runs_of(uri)) == 1  # the first job's run was begun, then the store failed

    collected = run_cli("collect", trained["out"])
    assert collected.exit_code == 0 and "tracking failed" not in collected.output
    assert_complete(uri, trained["out"])
    assert (db.parent / "mlartifacts").is_dir()  # beside the database, not in the current folder

    again = run_cli("run", trained["suite"], "--out", trained["out"], "--mlflow", uri)
    assert again.exit_code == 0 and again.output.count("done already") == 2
    assert_complete(uri, trained["out"])  # still one run per job and two loss points each


def test_tracking_never_changes_a_training_or_evaluation_id(tmp_path):
    plain, _ = load_suite(write_suite(tmp_path / "plain.yaml", tmp_path / "cache"))
    tracked, _ = load_suite(write_suite(tmp_path / "tracked.yaml", tmp_path / "cache",
                                        tracking={"mlflow": {"uri": "sqlite:///x.db", "experiment": "e"}}))

    def ids(suite):
        out = []
        for plan in grid(suite):
            plan = with_id(plan, training_config(suite, plan, "data", "fp32"))
            out += [plan.id, eval_plan(plan, "bscmr", "all", "source_val", "cases", suite, "fp32").id]
        return out

    assert ids(plain) == ids(tracked) and len(set(ids(plain))) == 4


def test_validate_and_run_without_mlflow_say_how_to_install_it(monkeypatch, tmp_path):
    suite = write_suite(tmp_path / "tiny.yaml", tmp_path / "cache", tracking={"mlflow": {"uri": "sqlite:///m.db"}})
    monkeypatch.setitem(sys.modules, "mlflow", None)  # as if it were not installed
    for args in (("validate", suite), ("run", suite, "--out", tmp_path / "never")):
        result = run_cli(*args)
        assert result.exit_code == 2
        assert result.output.strip().splitlines() == [
            "error: tracking.mlflow: the mlflow package is not installed; pip install 'cmrbench[mlflow]'"]
    assert not (tmp_path / "never").exists()


def test_validate_names_the_store_and_rejects_unknown_tracking_keys(tmp_path):
    suite = write_suite(tmp_path / "tiny.yaml", tmp_path / "cache", tracking={"mlflow": {"uri": "sqlite:///m.db"}})
    ok = run_cli("validate", suite, "--set", "tracking.mlflow.experiment=dg")
    assert ok.exit_code == 0 and "tracking: mlflow at sqlite:///m.db, experiment 'dg'" in ok.output
    bad = write_suite(tmp_path / "bad.yaml", tmp_path / "cache", tracking={"mlflow": {"uri": "x", "experimnt": "e"}})
    result = run_cli("validate", bad)
    assert result.exit_code == 2 and "tracking.mlflow.experimnt: unknown key" in result.output
    result = run_cli("validate", bad, "--set", "tracking.wandb={}")
    assert result.exit_code == 2 and "tracking.wandb: unknown key" in result.output


def test_cli_never_imports_mlflow_before_it_is_needed():
    code = ("import sys; from typer.testing import CliRunner; from benchmark.cli import app; "
            "import benchmark.run.runner, benchmark.tracking; "
            "r = CliRunner().invoke(app, ['--help']); assert r.exit_code == 0; print('mlflow' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                          cwd=Path(__file__).parents[2])
    assert done.stdout.strip() == "False"


def test_params_keep_within_the_limits_and_names_mlflow_accepts():
    config = {"model": {"name": "unet", "kwargs": {"odd+key": 1, "long": "x" * 50}}, "seeds": [0, 1], "empty": {}}
    got = params(config, key_limit=16, value_limit=20)
    assert got == {"model.name": "unet", "model.kwargs.odd": "1", "model.kwargs.lon": "x" * 17 + "...",
                   "seeds": "[0, 1]", "empty": "{}"}
    got = params(config, key_limit=250, value_limit=6000)
    assert got["model.kwargs.odd_key"] == "1" and got["model.kwargs.long"] == "x" * 50


def test_curves_of_a_resumed_training_keep_the_last_line_of_each_step(tmp_path):
    log = tmp_path / "log.jsonl"
    lines = [{"step": 2, "loss": 1.0, "lr": 0.1, "val_iou": 0.1, "val_dice": 0.2, "best_step": 2},
             {"step": 4, "loss": 0.9, "lr": 0.1, "val_iou": float("nan"), "val_dice": 0.3, "best_step": 4},
             {"event": "resumed", "step": 2},
             {"step": 4, "loss": 0.8, "lr": 0.1, "val_iou": 0.2, "val_dice": 0.4, "best_step": 4}]
    log.write_text("\n".join(json.dumps(x) for x in lines) + '\n{"step": 6, "lo')  # the last line cut by a kill
    got = curves(log)
    assert list(got) == [2, 4] and got[4] == {"loss": 0.8, "val_iou": 0.2, "val_dice": 0.4, "lr": 0.1}


def test_a_tracker_that_fails_is_reported_once_and_switched_off(tmp_path, capsys):
    calls = []

    class Flaky:
        def log_job(self, job, folder):
            calls.append(folder)
            raise OSError("disk quota exceeded")

        def log_leaderboards(self, folder):
            calls.append(folder)

    session = TrackingSession(tmp_path, [])
    session.open("flaky", Flaky)
    session.open("broken", lambda: 1 / 0)
    assert list(session.trackers) == ["flaky"]
    session._guard("flaky", "logging job x", lambda: session.trackers["flaky"].log_job(None, tmp_path))
    session.finish()
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 2 and "broken tracking failed while opening the store (ZeroDivisionError" in lines[0]
    assert "flaky tracking failed while logging job x (OSError: disk quota exceeded)" in lines[1]
    assert calls == [tmp_path] and not session.trackers  # off after its failure: no leaderboards call
