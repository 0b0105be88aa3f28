"""A job as a command: OUT/jobs/<id>/job.json holds everything `cmrbench run-job` needs, in plain JSON.

`run_job_dir` is what every launcher runs, in this process or another machine's: it reads job.json, loads the
suite's plugin files, trains or resumes and evaluates, with its own log (job.log), a lock while it runs
(.running) and where it ran (where.json).
"""
from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import json
import os
import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

from ..atomic import write_text_atomic
from ..errors import CmrbenchError
from .datasets import RunData
from .job import Context, Job, run_job
from .jobs import EvalPlan, TrainPlan

JOB_FILE, LOG_FILE, WHERE_FILE, RUNNING_FILE = "job.json", "job.log", "where.json", ".running"
JOB_FORMAT = 1
# called with (job folder, summary) after each job that runs in this process (the local launcher's): trackers
_FINISHED: list[Callable[[Path, dict[str, Any]], None]] = []


def write_job_file(folder: Path, job: Job, ctx: Context, device: str) -> None:
    """OUT/jobs/<id>/job.json: the suite, the data's manifests and splits, the training and its evaluations."""
    plan = job.train
    record = {
        "format": JOB_FORMAT, "device": device, "precision": ctx.precision,
        "suite": ctx.suite.model_dump(mode="json"), "base": str(ctx.base), "cache": str(ctx.cache),
        "data": {**dataclasses.asdict(ctx.data), "sources": list(ctx.data.sources),
                 "targets": list(ctx.data.targets)},
        "train": {"model": plan.model.model_dump(mode="json"), "policy": plan.policy.model_dump(mode="json"),
                  "seed": plan.seed, "heldout": plan.heldout, "id": plan.id, "config": plan.config,
                  "algorithm": plan.algorithm.model_dump(mode="json")},
        "evals": [dataclasses.asdict(e) for e in job.evals],
    }
    folder.mkdir(parents=True, exist_ok=True)
    write_text_atomic(folder / JOB_FILE, json.dumps(record, indent=1, default=str))


def read_job_file(folder: Path) -> tuple[Job, Context, str]:
    """The job, its context and the device the run chose, from a job folder (OUT is the folder's grandparent)."""
    from ..suite import AlgorithmSpec, ModelSpec, PolicySpec, Suite

    folder = Path(folder).resolve()
    path = folder / JOB_FILE
    if not path.is_file():
        raise CmrbenchError(f"{folder}: no {JOB_FILE}; is this a job folder OUT/jobs/<id> of cmrbench run?")
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
        if record.get("format") != JOB_FORMAT:
            raise ValueError(f"format {record.get('format')!r}, this cmrbench reads {JOB_FORMAT}")
        t, d = record["train"], record["data"]
        train = TrainPlan(ModelSpec.model_validate(t["model"]), PolicySpec.model_validate(t["policy"]), int(t["seed"]),
                          str(t["heldout"]), str(t["id"]), dict(t["config"]),
                          AlgorithmSpec.model_validate(t.get("algorithm", "erm")))
        evals = tuple(EvalPlan(**e) for e in record["evals"])
        data = RunData(dict(d["manifests"]), dict(d["splits"]), tuple(d["sources"]), tuple(d["targets"]),
                       str(d["domain_by"]))
        ctx = Context(Suite.model_validate(record["suite"]), Path(record["base"]), folder.parent.parent,
                      Path(record["cache"]), data, str(record["precision"]))
    except (ValueError, KeyError, TypeError, UnicodeDecodeError) as exc:
        raise CmrbenchError(f"{path}: not a job file ({' '.join(str(exc).split())[:200]}); rerun `cmrbench run` "
                            "to write it again") from None
    if train.id != folder.name:
        raise CmrbenchError(f"{path}: describes job {train.id}, not {folder.name}")
    return Job(train, evals), ctx, str(record["device"])


def run_job_dir(folder: Path, device: str | None = None, launcher: str = "run-job",
                threads: int | None = None) -> dict[str, Any]:
    """Train (or resume) and evaluate the job in `folder`; returns its summary (with 'failed' on failure).

    Torch uses the suite's `threads`, else `threads` (what the launcher allots), else its own default."""
    import torch

    job, ctx, chosen = read_job_file(folder)
    folder = Path(folder).resolve()
    device = device or chosen
    before = torch.get_num_threads()
    torch.set_num_threads(ctx.suite.threads or threads or before)
    where = {"host": socket.gethostname(), "pid": os.getpid(), "launcher": launcher, "device": device,
             "threads": torch.get_num_threads(), "started": time.strftime("%Y-%m-%dT%H:%M:%S"),
             "started_unix": round(time.time(), 3)}
    with _running(folder), _log_to(folder / LOG_FILE), _threads_restored(before):
        write_text_atomic(folder / WHERE_FILE, json.dumps(where, indent=1))
        summary = run_job((job, ctx), device)
        where.update(finished=time.strftime("%Y-%m-%dT%H:%M:%S"), state="failed" if "failed" in summary else "done")
        write_text_atomic(folder / WHERE_FILE, json.dumps(where, indent=1))
    for listener in list(_FINISHED):
        listener(folder, summary)
    return summary


@contextlib.contextmanager
def on_job_finished(listener: Callable[[Path, dict[str, Any]], None]) -> Iterator[None]:
    """Call `listener(folder, summary)` after each job that finishes in this process, while the block runs."""
    _FINISHED.append(listener)
    try:
        yield
    finally:
        _FINISHED.remove(listener)


@contextlib.contextmanager
def _threads_restored(n: int) -> Iterator[None]:
    """Give torch back the thread count it had (a local launcher runs jobs in the caller's process)."""
    import torch

    try:
        yield
    finally:
        torch.set_num_threads(n)


@contextlib.contextmanager
def _running(folder: Path) -> Iterator[None]:
    """Hold .running locked while the job runs: `status` sees it, a second copy of the job is refused."""
    with open(folder / RUNNING_FILE, "a+") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise CmrbenchError(f"job {folder.name} is already running ({folder / RUNNING_FILE} is locked)") from None
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def is_running(folder: Path) -> bool:
    """Whether a process holds the job's .running lock now."""
    path = Path(folder) / RUNNING_FILE
    if not path.is_file():
        return False
    with open(path) as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(fh, fcntl.LOCK_UN)
    return False


class _Tee:
    """A stream that writes to the console's stream and to the job's log."""

    def __init__(self, stream: IO[str], log: IO[str]) -> None:
        self.stream, self.log = stream, log

    def write(self, text: str) -> int:
        self.log.write(text)
        return self.stream.write(text)

    def flush(self) -> None:
        self.log.flush()
        self.stream.flush()

    def isatty(self) -> bool:
        return self.stream.isatty()

    def fileno(self) -> int:
        return self.stream.fileno()


@contextlib.contextmanager
def _log_to(path: Path) -> Iterator[None]:
    """Copy everything the console prints to `path` (appended: a retried job keeps its earlier attempts)."""
    from ..console import console

    with open(path, "a", encoding="utf-8") as log:
        pinned = console._file  # None: follow sys.stdout (which a test runner may swap); restored as it was
        console.file = _Tee(console.file, log)  # type: ignore[assignment]
        try:
            yield
        finally:
            console._file = pinned
