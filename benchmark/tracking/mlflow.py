"""MLflow: one run per training, found again by its job id, nested under one run per run folder (the leaderboards).

A job's run gets the resolved training config as params, log.jsonl's curves as step metrics, the mean scores of each
finished evaluation as metrics and its cases.csv as an artifact. Tags record what is logged already, so calling
again only adds what is new (an evaluation of a new target) and never duplicates a run or a curve.
"""
from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from ..errors import CmrbenchError
from ..results import read_table
from ..run.job import Job
from ..run.store import JobDir
from ..suite import MlflowSpec, Suite
from . import records

PREFIX = "cmrbench."
KIND, JOB, OUT = f"{PREFIX}kind", f"{PREFIX}job", f"{PREFIX}out"
TRAINING_LOGGED = f"{PREFIX}logged.training"  # params, curves and summary are in the run
EVAL_LOGGED = f"{PREFIX}logged.eval."  # + evaluation id: its scores and cases.csv are in the run
PARENT = "mlflow.parentRunId"
PAGE = 1000  # runs per search request


@dataclass
class _RunState:
    """What an MLflow run of a job holds already, read from its tags."""

    run_id: str
    training: bool = False
    evals: set[str] = field(default_factory=set)
    status: str = ""


def open_mlflow(spec: MlflowSpec, suite: Suite, out: Path) -> MlflowTracker:
    """Connect to the store, find or create the experiment and this run folder's run."""
    _allow_file_store(spec.uri)
    if "MLFLOW_LOGGING_LEVEL" not in os.environ:
        logging.getLogger("mlflow").setLevel(logging.WARNING)  # not its INFO lines (database set-up) in our output
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=spec.uri)
    name = spec.experiment or suite.name
    experiment = client.get_experiment_by_name(name)
    if experiment is None:
        experiment_id = client.create_experiment(name, artifact_location=spec.artifact_location
                                                 or default_artifact_location(spec.uri))
    elif experiment.lifecycle_stage == "deleted":
        raise CmrbenchError(f"experiment '{name}' is deleted in {spec.uri}; restore it or name another "
                            "(tracking.mlflow.experiment)")
    else:
        experiment_id = experiment.experiment_id
    return MlflowTracker(client, experiment_id, suite.name, Path(out))


def _allow_file_store(uri: str) -> None:
    """MLflow 3 refuses a file store unless MLFLOW_ALLOW_FILE_STORE is set; naming one in the suite asks for it."""
    if urlparse(uri).scheme in ("", "file"):
        os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")


def default_artifact_location(uri: str) -> str | None:
    """Artifacts of a SQLite store in mlartifacts/ beside its file (MLflow's default is ./mlruns of the current
    folder); None (MLflow's default) for any other store."""
    if not uri.startswith("sqlite:///"):
        return None
    path = uri.removeprefix("sqlite:///").split("?", 1)[0]
    return (Path(path).expanduser().resolve().parent / "mlartifacts").as_uri() if path else None


class MlflowTracker:
    """Logs jobs and leaderboards of one run folder to one MLflow experiment."""

    def __init__(self, client: Any, experiment_id: str, suite: str, out: Path) -> None:
        from mlflow.utils import validation

        self.client, self.experiment_id, self.suite, self.out = client, experiment_id, suite, out
        self.key_limit = int(getattr(validation, "MAX_ENTITY_KEY_LENGTH", 250))
        self.value_limit = int(getattr(validation, "MAX_PARAM_VAL_LENGTH", 500))
        self.runs = {run.data.tags[JOB]: _state(run) for run in self._search(f"tags.`{KIND}` = 'job'")}
        self.parent = self._suite_run()

    # ---------------------------------------------------------------------------------------------- jobs
    def log_job(self, job: Job, folder: Path) -> None:
        """Create the job's run, or add to the one its id names: training once, each new finished evaluation."""
        jd = JobDir(self.out, job.train.id)
        state = self.runs.get(job.train.id)
        new = [ev for ev in records.finished_evaluations(job, jd) if not state or ev.id not in state.evals]
        status = "FAILED" if (jd.path / "error.txt").is_file() else "FINISHED"
        if state and state.training and not new and state.status == status:
            return  # a rerun that trained and scored nothing: the run is complete already
        earlier = state is not None
        if state is None:
            state = self.runs[job.train.id] = self._create(job)
        if not state.training:
            self._log_training(job, jd, state, earlier)
        for ev in new:
            cases = jd.eval_dir(ev.id) / "cases.csv"
            scores = records.scores(read_table(cases), ev)
            self._batch(state.run_id, metrics=[(records.safe_key(k, self.key_limit), v, 0) for k, v in scores.items()],
                        tags={EVAL_LOGGED + ev.id: records.evaluation_name(ev)})
            if cases.is_file():
                self.client.log_artifact(state.run_id, str(cases), f"evaluations/{records.evaluation_name(ev)}")
            state.evals.add(ev.id)
        self.client.set_terminated(state.run_id, status)
        state.status = status

    def _create(self, job: Job) -> _RunState:
        tags = {f"{PREFIX}{k}": v for k, v in records.job_tags(job, self.suite, self.out).items()}
        tags.update({KIND: "job", PARENT: self.parent})
        run = self.client.create_run(self.experiment_id, run_name=records.run_name(job), tags=tags)
        return _RunState(run.info.run_id)

    def _log_training(self, job: Job, jd: JobDir, state: _RunState, earlier: bool) -> None:
        """Params, curves and summary; in a run that an `earlier` attempt left half-logged, no curve point twice."""
        logged = {(key, m.step) for key in records.CURVES
                  for m in self.client.get_metric_history(state.run_id, key)} if earlier else set()
        curves = [(key, value, step) for step, values in records.curves(jd.path / "log.jsonl").items()
                  for key, value in values.items() if (key, step) not in logged]
        numbers, settings = records.summary_values(jd)
        self._batch(state.run_id, params=records.params(job.train.config, self.key_limit, self.value_limit),
                    metrics=curves + [(k, v, 0) for k, v in numbers.items()],
                    tags={f"{PREFIX}{k}": v for k, v in settings.items()})
        for name in ("config.json", "summary.json"):  # the config in full, whatever the param limits cut
            if (jd.path / name).is_file():
                self.client.log_artifact(state.run_id, str(jd.path / name), "job")
        self.client.set_tag(state.run_id, TRAINING_LOGGED, "1")
        state.training = True

    # -------------------------------------------------------------------------------------- leaderboards
    def log_leaderboards(self, folder: Path) -> None:
        """The leaderboards (and the resolved suite and provenance) as artifacts of this run folder's run."""
        for path in records.leaderboard_files(folder):
            self.client.log_artifact(self.parent, str(path), "leaderboards")
        for path in (self.out / "suite.yaml", self.out / "results" / "provenance.yaml"):
            if path.is_file():
                self.client.log_artifact(self.parent, str(path))
        self.client.set_terminated(self.parent, "FINISHED")

    def _suite_run(self) -> str:
        """The run of this run folder (its leaderboards, the parent of its jobs' runs), created on first use."""
        where = str(self.out.resolve())
        for run in self._search(f"tags.`{KIND}` = 'suite'"):
            if run.data.tags.get(OUT) == where:
                return str(run.info.run_id)
        tags = {KIND: "suite", f"{PREFIX}suite": self.suite, OUT: where}
        return str(self.client.create_run(self.experiment_id, run_name=self.suite, tags=tags).info.run_id)

    # ------------------------------------------------------------------------------------------- helpers
    def _search(self, query: str) -> list[Any]:
        """Every active run of the experiment that matches `query`, page by page."""
        runs, token = [], None
        while True:
            page = self.client.search_runs([self.experiment_id], filter_string=query, max_results=PAGE,
                                           page_token=token)
            runs += list(page)
            token = page.token
            if not token:
                return runs

    def _batch(self, run_id: str, metrics: Sequence[tuple[str, float, int]] = (),
               params: dict[str, str] | None = None, tags: dict[str, str] | None = None) -> None:
        """log_batch within MLflow's limits per request (100 params or tags, 1000 metrics)."""
        from mlflow.entities import Metric, Param, RunTag

        now = int(time.time() * 1000)
        for chunk in _chunks([Param(k, v) for k, v in (params or {}).items()], 100):
            self.client.log_batch(run_id, params=chunk)
        for chunk in _chunks([RunTag(k, v) for k, v in (tags or {}).items()], 100):
            self.client.log_batch(run_id, tags=chunk)
        for chunk in _chunks([Metric(k, v, now, s) for k, v, s in metrics], 1000):
            self.client.log_batch(run_id, metrics=chunk)


def _state(run: Any) -> _RunState:
    tags = run.data.tags
    return _RunState(run.info.run_id, tags.get(TRAINING_LOGGED) == "1",
                     {k.removeprefix(EVAL_LOGGED) for k in tags if k.startswith(EVAL_LOGGED)}, run.info.status)


def _chunks(items: Iterable[Any], size: int) -> Iterable[list[Any]]:
    items = list(items)
    for i in range(0, len(items), size):
        yield items[i:i + size]
