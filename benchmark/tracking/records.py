"""What a finished job gives a tracker, read from its folder: name, tags, params, curves, scores, artifacts.

Nothing here knows a tracker's API: each tracker maps these plain values onto its own calls and limits.
"""
from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from ..run.job import Job
from ..run.jobs import EvalPlan, model_label
from ..run.store import JobDir

CURVES = ("loss", "val_iou", "val_dice", "lr")  # the training curves of log.jsonl, one point per validation
SCORES = ("dice", "hd95_mm", "assd_mm")  # per-case columns of cases.csv reported as means
SUMMARY_METRICS = ("parameters", "best_step", "train_seconds")  # numbers of summary.json
SUMMARY_TAGS = ("precision", "threads")  # settings of summary.json
DEFAULT_RULE = "source_val"
_UNSAFE = re.compile(r"[^\w.\- /]")  # what metric, param and tag names may hold (MLflow's rule, without ':')


def run_name(job: Job) -> str:
    """A job's name in a tracker: its method and seed, as the tables name it."""
    return f"{job.train.method} seed {job.train.seed}"


def job_tags(job: Job, suite: str, out: Path) -> dict[str, str]:
    """What identifies a job and where it ran: its id, suite, method, model, policy, algorithm, seed, run folder."""
    plan = job.train
    tags = {"job": plan.id, "suite": suite, "method": plan.method, "model": model_label(plan.model),
            "policy": plan.policy.name, "algorithm": plan.algorithm.shown, "seed": str(plan.seed),
            "out": str(Path(out).resolve())}
    if plan.heldout:
        tags["heldout"] = plan.heldout
    return tags


def safe_key(key: str, limit: int) -> str:
    """A name a tracker accepts: letters, digits, _ - . / and spaces, at most `limit` characters."""
    return _UNSAFE.sub("_", key)[:limit]


def flatten(value: Any, prefix: str = "") -> dict[str, str]:
    """A nested config as dotted keys and text values (lists as JSON, an empty mapping as {})."""
    if isinstance(value, Mapping) and value:
        out: dict[str, str] = {}
        for k, v in value.items():
            out.update(flatten(v, f"{prefix}.{k}" if prefix else str(k)))
        return out
    if isinstance(value, (Mapping, list, tuple)):
        text = json.dumps(value, sort_keys=True, default=str)
    else:
        text = str(value)
    return {prefix or "value": text}


def params(config: Mapping[str, Any], key_limit: int, value_limit: int) -> dict[str, str]:
    """The training's resolved config as params; a value past `value_limit` is cut and ends in '...'."""
    out = {}
    for key, text in flatten(config).items():
        if len(text) > value_limit:
            text = text[:value_limit - 3] + "..."
        out[safe_key(key, key_limit)] = text
    return out


def curves(log: Path) -> dict[int, dict[str, float]]:
    """Per validation step, the curves log.jsonl holds; a step logged twice (a resumed training repeats the
    steps after its last checkpoint) keeps its last line, the one on the path to the final weights."""
    points: dict[int, dict[str, float]] = {}
    if not log.is_file():
        return points
    for line in log.read_text(encoding="utf-8").splitlines():
        try:
            row = json.loads(line)
        except ValueError:
            continue  # a line cut short by a kill: the resumed training logs that step again
        if not isinstance(row, dict) or "event" in row or not isinstance(row.get("step"), int):
            continue
        values = {k: float(row[k]) for k in CURVES if isinstance(row.get(k), (int, float))}
        points[row["step"]] = values
    return dict(sorted(points.items()))


def summary_values(jd: JobDir) -> tuple[dict[str, float], dict[str, str]]:
    """The job's measured numbers (parameters, best step, training seconds) and settings (precision, threads)."""
    summary = jd.read_summary()
    metrics = {k: float(summary[k]) for k in SUMMARY_METRICS if isinstance(summary.get(k), (int, float))}
    tags = {k: str(summary[k]) for k in SUMMARY_TAGS if summary.get(k) not in (None, "")}
    return metrics, tags


def evaluation_name(ev: EvalPlan) -> str:
    """Where an evaluation's scores go: the data set (with -heldout for a held-out domain), then the rule."""
    dataset = f"{ev.dataset}-heldout" if ev.part == "heldout" else ev.dataset
    return f"{dataset}/{ev.rule}"


def scores(cases: pd.DataFrame, ev: EvalPlan) -> dict[str, float]:
    """An evaluation's means per structure as in Table III (a subject's phases averaged, then the subjects):
    `dice/<dataset>/<structure>` and `dice/<dataset>/mean`, hd95_mm and assd_mm where scored. A rule other than
    source_val is named in the metric: `dice_last/...`, `dice_oracle/...`."""
    dataset = f"{ev.dataset}-heldout" if ev.part == "heldout" else ev.dataset
    suffix = "" if ev.rule == DEFAULT_RULE else f"_{ev.rule}"
    out: dict[str, float] = {}
    if cases.empty or not {"subject", "structure"} <= set(cases.columns):
        return out
    for metric in SCORES:
        if metric not in cases.columns:
            continue
        values = pd.to_numeric(cases[metric], errors="coerce")
        frame = cases.assign(value=values).dropna(subset=["value"])
        per_subject = frame.groupby(["structure", "subject"])["value"].mean()
        per_structure = per_subject.groupby(level="structure").mean()
        for structure, mean in per_structure.items():
            if math.isfinite(mean):
                out[f"{metric}{suffix}/{dataset}/{structure}"] = float(mean)
        if metric == "dice" and len(per_structure):
            out[f"{metric}{suffix}/{dataset}/mean"] = float(per_structure.mean())
    return out


def finished_evaluations(job: Job, jd: JobDir) -> list[EvalPlan]:
    """The job's evaluations of the cases as they are (not graded shifts) that have finished."""
    return [ev for ev in job.evals if not ev.shift and jd.eval_done(ev.id)]


def leaderboard_files(folder: Path) -> list[Path]:
    """The run's leaderboards as Markdown and CSV (OUT/leaderboards/*.md, *.csv)."""
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix in (".md", ".csv"))
