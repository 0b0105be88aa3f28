"""The run folder: a lock against concurrent runs, one folder per training with one per evaluation of it."""
from __future__ import annotations

import errno
import fcntl
import json
import os
from pathlib import Path
from typing import TextIO

import pandas as pd

from ..atomic import temporary_name, write_csv_atomic, write_text_atomic
from ..errors import CmrbenchError


def ensure_writable_dir(path: Path, what: str = "--out") -> None:
    """Create `path` if needed and prove a file can be written in it; else one CmrbenchError naming it and the
    OS reason (Permission denied, Not a directory, No space left on device, Read-only file system)."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise CmrbenchError(f"{what} {path}: cannot write there ({os.strerror(errno.ENOTDIR)}: it is a file)")
    probe = temporary_name(path / ".write-test")  # unique: two runs may check one folder at once
    try:
        path.mkdir(parents=True, exist_ok=True)
        write_text_atomic(probe, "ok\n")
        probe.unlink()
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise CmrbenchError(f"{what} {path}: cannot write there ({reason})") from None


class RunLock:
    """An exclusive lock on OUT for the life of a run; the OS releases it if the process dies."""

    def __init__(self, out: Path) -> None:
        self.path = Path(out) / ".lock"
        self.fh: TextIO | None = None

    def __enter__(self) -> RunLock:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # Python opens it close-on-exec: a process started under the lock never inherits it
            self.fh = fh = open(self.path, "a+")
        except OSError as exc:
            raise CmrbenchError(f"{self.path}: cannot take the run's lock ({exc.strerror or exc})") from None
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
        try:
            self.path.mkdir(parents=True, exist_ok=True)
        except OSError:
            pass  # full disk or read-only OUT: the job's first write reports it, and the run goes on

    @property
    def trained(self) -> bool:
        """Whether training finished (checkpoints final)."""
        return (self.path / "trained").is_file()

    def mark_trained(self) -> None:
        """Write the marker that ends training (last, so a crash never leaves a false one)."""
        write_text_atomic(self.path / "trained", "ok\n")

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
        if not path.is_file():
            return {}
        try:
            summary = json.loads(path.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError) as exc:  # JSONDecodeError is a ValueError
            raise CmrbenchError(f"{path}: damaged ({' '.join(str(exc).split())}); delete {self.path} to train "
                                "this job again") from None
        if not isinstance(summary, dict):
            raise CmrbenchError(f"{path}: not a job summary; delete {self.path} to train this job again")
        return summary

    def write_config(self, config: dict) -> None:
        """The training's resolved configuration."""
        write_text_atomic(self.path / "config.json", json.dumps(config, indent=1, sort_keys=True, default=str))

    def write_error(self, trace: str, rows: pd.DataFrame) -> None:
        """Record why the job failed (error.txt for the traceback, errors.csv for the tables).

        Never raises: where even that cannot be written (full disk, read-only OUT) one line goes to stderr and the
        run goes on with the next job; the job stays unfinished, so a rerun tries it again."""
        try:
            write_text_atomic(self.path / "error.txt", trace)
            write_csv_atomic(rows, self.path / "errors.csv", index=False)
        except OSError as exc:
            from ..console import err_console

            why = exc.strerror or str(exc)
            err_console.print(f"error: could not record the failure of job {self.path.name} in {self.path} ({why})",
                              markup=False, soft_wrap=True, highlight=False)

    def clear_error(self) -> None:
        """Forget an earlier failure once the job has succeeded."""
        for name in ("error.txt", "errors.csv"):
            (self.path / name).unlink(missing_ok=True)
