"""Where each job of a run stands: done, running, failed (with its last log line) or pending, and where it ran."""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from ..errors import CmrbenchError
from .clean import PLAN_FILE
from .jobfile import LOG_FILE, WHERE_FILE, is_running


@dataclass(frozen=True)
class JobState:
    """One job's state and the facts behind it."""

    job: str
    state: str  # done | running | failed | stopped (started, ended without finishing: killed) | pending
    evaluations: str  # "k/n" evaluations done
    where: str  # host and launcher of its last attempt
    last: str  # the last line of its log (why it failed, or how far it got)


_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")  # a log written through a terminal keeps its colour codes


def _last_line(path: Path) -> str:
    if not path.is_file():
        return ""
    text = _ANSI.sub("", path.read_text(encoding="utf-8", errors="replace"))
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    return lines[-1][:160] if lines else ""


def _where(folder: Path) -> dict:
    """where.json of the job's last attempt ({} if it never started)."""
    try:
        info = json.loads((folder / WHERE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return info if isinstance(info, dict) else {}


def job_states(out: Path) -> list[JobState]:
    """Every job of OUT's plan, in plan order."""
    path = Path(out) / PLAN_FILE
    try:
        plan = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CmrbenchError(f"{out}: no {PLAN_FILE}; nothing has been run there") from None
    except (OSError, ValueError) as exc:
        raise CmrbenchError(f"{path}: unreadable ({exc})") from None
    states = []
    for job_id, eval_ids in plan.items():
        folder = Path(out) / "jobs" / job_id
        done = sum((folder / "eval" / e / "done").is_file() for e in eval_ids)
        where = _where(folder)
        if is_running(folder):
            state = "running"
        elif (folder / "trained").is_file() and done == len(eval_ids):
            state = "done"
        elif (folder / "error.txt").is_file():
            state = "failed"
        elif where and "finished" not in where:
            state = "stopped"
        else:
            state = "pending"
        last = _last_line(folder / "error.txt") if state == "failed" else _last_line(folder / LOG_FILE)
        at = f"{where.get('host', '?')} ({where.get('launcher', '?')}, {where.get('device', '?')})" if where else ""
        states.append(JobState(job_id, state, f"{done}/{len(eval_ids)}", at, last))
    return states
