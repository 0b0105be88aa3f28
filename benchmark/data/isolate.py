"""One case's failure, whatever raised it, as a Problem: the run records it and goes on with the others."""
from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from .problems import DataError, Problem


def case_problem(exc: Exception, file: str | Path, row: Mapping | None = None) -> Problem:
    """The Problem a case's exception stands for, stamped with the row's dataset, subject and phase."""
    who = {k: str(row.get(k, "")) for k in ("dataset", "subject", "phase")} if row is not None else {}
    if isinstance(exc, DataError):
        p = exc.problem
        return Problem(p.file, p.what, p.why, **(who or dict(dataset=p.dataset, subject=p.subject, phase=p.phase)),
                       severity=p.severity)
    if isinstance(exc, MemoryError):
        return Problem(str(file), "too large", "not enough memory to process this case", **who)
    if isinstance(exc, OSError):
        return Problem(str(getattr(exc, "filename", None) or file), "unreadable file", exc.strerror or str(exc),
                       **who)
    return Problem(str(file), "case failed", f"{type(exc).__name__}: {' '.join(str(exc).split())}", **who)


def image_file(row: Mapping) -> str:
    """The image path a manifest row names (what a problem points at when no file is to blame)."""
    return str(Path(str(row.get("image", ""))))
