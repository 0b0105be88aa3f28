"""The run folder: a lock against concurrent runs, one folder per training with one per evaluation of it."""
from __future__ import annotations

import fcntl
import json
import os
from pathlib import Path
from typing import TextIO

import pandas as pd

from ..atomic import write_text_atomic
from ..errors import CmrbenchError


class RunLock:
    """An exclusive lock on OUT for the life of a run; the OS releases it if the process dies."""

    def __init__(self, out: Path) -> None:
        self.path = Path(out) / ".lock"
        self.fh: TextIO | None = None

    def __enter__(self) -> RunLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.fh = fh = open(self.path, "a+")
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.seek(0)
            holder = fh.read().strip() or "another process"
            fh.close()
            raise CmrbenchError(f"{self.path.parent} is in use by another cmrbench run ({holder}); "
                                "wait for it or choose another --out") from None
        fh.seek(0)
        fh.truncate()
        fh.write(f"pid {os.getpid()}")
        fh.flush()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.fh:
            fcntl.flock(self.fh, fcntl.LOCK_UN)
            self.fh.close()


class JobDir:
    """OUT/jobs/<training id>/: config.json, log.jsonl, last.pt, best.pt, snapshots/, summary.json, trained,
    and eval/<evaluation id>/ per evaluation."""

    def __init__(self, out: Path, job_id: str) -> None:
        self.path = Path(out) / "jobs" / job_id
        self.path.mkdir(parents=True, exist_ok=True)

    @property
    def trained(self) -> bool:
        """Whether training finished (checkpoints final)."""
        return (self.path / "trained").is_file()

    def mark_trained(self) -> None:
        """Write the marker that ends training (last, so a crash never leaves a false one)."""
        (self.path / "trained").write_text("ok\n")

    def eval_dir(self, eval_id: str) -> Path:
        """Where one evaluation of this training lives."""
        return self.path / "eval" / eval_id

    def eval_done(self, eval_id: str) -> bool:
        """Whether that evaluation finished."""
        return (self.eval_dir(eval_id) / "done").is_file()

    def write_summary(self, summary: dict) -> None:
        """What the job measured about itself (parameters, operations, best step, training time)."""
        write_text_atomic(self.path / "summary.json", json.dumps(summary, indent=1, default=str))

    def read_summary(self) -> dict:
        """The job's summary, or {} when it never finished training."""
        path = self.path / "summary.json"
        return json.loads(path.read_text()) if path.is_file() else {}

    def write_config(self, config: dict) -> None:
        """The training's resolved configuration."""
        write_text_atomic(self.path / "config.json", json.dumps(config, indent=1, sort_keys=True, default=str))

    def write_error(self, trace: str, rows: pd.DataFrame) -> None:
        """Record why the job failed (error.txt for the traceback, errors.csv for the tables)."""
        write_text_atomic(self.path / "error.txt", trace)
        rows.to_csv(self.path / "errors.csv", index=False)

    def clear_error(self) -> None:
        """Forget an earlier failure once the job has succeeded."""
        for name in ("error.txt", "errors.csv"):
            (self.path / name).unlink(missing_ok=True)
