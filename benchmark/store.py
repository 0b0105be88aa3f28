"""The run folder: a lock against concurrent runs, one folder per job (config, log, checkpoints, done)."""
from __future__ import annotations

import fcntl
import json
import os
from pathlib import Path

from .errors import CmrbenchError


class RunLock:
    """An exclusive lock on OUT for the life of a run; the OS releases it if the process dies."""

    def __init__(self, out: Path) -> None:
        self.path = Path(out) / ".lock"
        self.fh = None

    def __enter__(self) -> RunLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.fh = open(self.path, "a+")
        try:
            fcntl.flock(self.fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self.fh.seek(0)
            holder = self.fh.read().strip() or "another process"
            self.fh.close()
            raise CmrbenchError(f"{self.path.parent} is in use by another cmrbench run ({holder}); "
                                "wait for it or choose another --out") from None
        self.fh.seek(0)
        self.fh.truncate()
        self.fh.write(f"pid {os.getpid()}")
        self.fh.flush()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.fh:
            fcntl.flock(self.fh, fcntl.LOCK_UN)
            self.fh.close()


class JobDir:
    """OUT/jobs/<id>/: config.json, log.jsonl, last.pt, best.pt, cases.csv, errors.csv, predictions/, done."""

    def __init__(self, out: Path, job_id: str) -> None:
        self.path = Path(out) / "jobs" / job_id
        self.path.mkdir(parents=True, exist_ok=True)

    @property
    def done(self) -> bool:
        """Whether the job finished training and evaluation."""
        return (self.path / "done").is_file()

    def mark_done(self) -> None:
        """Write the marker that ends a job (last, so a crash never leaves a false one)."""
        (self.path / "done").write_text("ok\n")

    def write_summary(self, summary: dict) -> None:
        """What the job measured about itself (parameters, operations, best step, training time)."""
        (self.path / "summary.json").write_text(json.dumps(summary, indent=1, default=str))

    def read_summary(self) -> dict:
        """The job's summary, or {} when it never finished."""
        path = self.path / "summary.json"
        return json.loads(path.read_text()) if path.is_file() else {}

    def write_config(self, config: dict) -> None:
        """The job's resolved configuration."""
        (self.path / "config.json").write_text(json.dumps(config, indent=1, sort_keys=True, default=str))
