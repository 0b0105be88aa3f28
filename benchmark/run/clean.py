"""Find (and remove) job and evaluation folders that the suite last run in OUT no longer asks for."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

from ..errors import CmrbenchError

PLAN_FILE = "plan.json"


def _size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def stale_folders(out: Path) -> list[tuple[Path, int]]:
    """Folders under OUT/jobs not in OUT/plan.json (written by the last run), with their sizes in bytes."""
    plan_path = Path(out) / PLAN_FILE
    if not plan_path.is_file():
        raise CmrbenchError(f"{out}: no {PLAN_FILE} (is it the --out folder of a `cmrbench run`?)")
    try:
        plan: dict[str, list[str]] = json.loads(plan_path.read_text())
    except ValueError as exc:
        raise CmrbenchError(f"{plan_path}: not readable JSON ({exc})") from None
    if not isinstance(plan, dict) or not all(isinstance(v, list) for v in plan.values()):
        raise CmrbenchError(f"{plan_path}: not a plan (a JSON object of training id -> list of evaluation ids)")
    stale = []
    for job in sorted((Path(out) / "jobs").glob("*")):
        if not job.is_dir():
            continue
        if job.name not in plan:
            stale.append((job, _size(job)))
            continue
        for ev in sorted((job / "eval").glob("*")):
            if ev.is_dir() and ev.name not in plan[job.name]:
                stale.append((ev, _size(ev)))
    return stale


def remove(folders: list[Path], out: Path) -> None:
    """Delete folders, refusing anything outside OUT/jobs."""
    root = (Path(out) / "jobs").resolve()
    for folder in folders:
        if root not in folder.resolve().parents:
            raise CmrbenchError(f"{folder}: not inside {root}; nothing removed")
        shutil.rmtree(folder)
