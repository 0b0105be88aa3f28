"""Experiment trackers: a run's jobs (config, curves, scores, cases) and leaderboards also logged elsewhere (MLflow).

A suite names them under `tracking:`; they never enter a training's or an evaluation's identity. Trackers are driven
by the process that runs the suite (`cmrbench run`, `cmrbench collect`), never by a job, so jobs stay commands that
need nothing but OUT: a job that runs in that process is logged as it finishes, the others when the launcher hands
them back. A tracker that fails is reported in one line and left off for the rest of the run; every result stays in
OUT, and the next `cmrbench run` or `cmrbench collect` logs whatever is missing (a job is found again by its id).
"""
from __future__ import annotations

import importlib
import importlib.util
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from ..errors import CmrbenchError

if TYPE_CHECKING:
    from ..run.job import Job
    from ..suite import Suite


class Tracker(Protocol):
    """One store that a run logs to; every call may be repeated (what is logged already is not logged again)."""

    def log_job(self, job: Job, folder: Path) -> None:
        """Log a job that has trained: its config, curves and summary, and each of its finished evaluations."""

    def log_leaderboards(self, folder: Path) -> None:
        """Log the run's leaderboards (OUT/leaderboards)."""


@dataclass(frozen=True)
class TrackerKind:
    """A tracker the schema knows: the package it needs, the pip extra that installs it, how to open it."""

    module: str
    extra: str
    opener: str  # "module:function" called with (its suite settings, the suite, OUT)


KINDS = {"mlflow": TrackerKind("mlflow", "mlflow", "benchmark.tracking.mlflow:open_mlflow")}


def installed(module: str) -> bool:
    """Whether a package can be imported, without importing it."""
    if module in sys.modules:
        return sys.modules[module] is not None
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def check_tracking(suite: Suite) -> None:
    """Fail in one line when the suite names a tracker whose package is not installed."""
    for name in suite.tracking.configured:
        kind = KINDS[name]
        if not installed(kind.module):
            raise CmrbenchError(f"tracking.{name}: the {kind.module} package is not installed; "
                                f"pip install 'cmrbench[{kind.extra}]'")


def describe_tracking(suite: Suite) -> list[str]:
    """One line per configured tracker: where it logs, for `validate`."""
    lines = []
    if suite.tracking.mlflow is not None:
        spec = suite.tracking.mlflow
        lines.append(f"mlflow at {spec.uri}, experiment '{spec.experiment or suite.name}'")
    return lines


class TrackingSession:
    """The suite's trackers for one `run` or `collect`: jobs logged as they finish, then anything missing and the
    leaderboards at the end. A tracker that raises is reported in one line and left off; the run goes on."""

    def __init__(self, out: Path, jobs: Iterable[Job]) -> None:
        self.out = Path(out)
        self.jobs = {j.train.id: j for j in jobs}
        self.trackers: dict[str, Tracker] = {}

    def open(self, name: str, opener: Callable[[], Tracker]) -> None:
        """Start a tracker (connect, find or create its experiment); a failure is reported and leaves it off."""
        tracker = self._guard(name, "opening the store", opener)
        if tracker is not None:
            self.trackers[name] = tracker

    def job_finished(self, folder: Path, summary: dict[str, Any] | None = None) -> None:
        """Log the job in `folder` if it has trained (a failed training has nothing to log)."""
        from ..run.store import JobDir

        job = self.jobs.get(Path(folder).name)
        if job is None or not self.trackers or not JobDir(self.out, job.train.id).trained:
            return
        for name, tracker in list(self.trackers.items()):
            self._guard(name, f"logging job {job.train.id}", lambda: tracker.log_job(job, Path(folder)))

    def finish(self) -> None:
        """Log every trained job not logged yet (run elsewhere, or before tracking was set), then the leaderboards."""
        from ..run.jobfile import is_running
        from ..run.store import JobDir

        for job_id in self.jobs:
            folder = JobDir(self.out, job_id).path
            if not is_running(folder):  # one still running elsewhere is logged by the run or collect after it
                self.job_finished(folder)
        for name, tracker in list(self.trackers.items()):
            self._guard(name, "logging the leaderboards", lambda: tracker.log_leaderboards(self.out / "leaderboards"))

    def _guard(self, name: str, what: str, fn: Callable[[], Any]) -> Any:
        """Run one tracker call; on any error report it, switch that tracker off and return None."""
        try:
            return fn()
        except Exception as exc:  # a tracking store must never cost a result: everything is in OUT already
            self.trackers.pop(name, None)
            from ..console import console

            why = " ".join(f"{type(exc).__name__}: {exc}".split())
            why = why if len(why) <= 300 else why[:297] + "..."
            console.print(f"warning: {name} tracking failed while {what} ({why}); results are safe in {self.out}, "
                          f"{name} is off for the rest of this run: `cmrbench collect {self.out}` logs what is "
                          "missing", markup=False, soft_wrap=True, highlight=False)
            return None


def open_tracking(suite: Suite, out: Path, jobs: Iterable[Job]) -> TrackingSession:
    """The suite's trackers, started (none when `tracking:` is empty; mlflow is imported only when it is set)."""
    check_tracking(suite)
    session = TrackingSession(out, jobs)
    for name in suite.tracking.configured:
        module, function = KINDS[name].opener.split(":")
        opener = getattr(importlib.import_module(module), function)
        settings = getattr(suite.tracking, name)
        session.open(name, lambda: opener(settings, suite, Path(out)))
    return session
