"""Gather finished evaluations into one result set (nothing is recomputed; unfinished ones are listed)."""
from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from ..clinical import clinical_measures
from ..data.problems import Problem
from ..evaluate import error_row
from ..results import CALIBRATION_COLUMNS, ERROR_COLUMNS, JOB_COLUMNS, Results, read_table
from .job import Job
from .store import JobDir

JOB_EXTRA = ["heldout", "algorithm", "algorithm_parts", "precision", "threads", "train_seconds", "best_step"]


def collect(out: Path, jobs: list[Job], data_problems: list[Problem]) -> tuple[Results, list[str]]:
    """The result set of these jobs, and a line for each evaluation that is not done."""
    cases, errors, expected, shifted = [], [error_row("data", p) for p in data_problems], [], []
    calibration: list[pd.DataFrame] = []
    rows, pending = [], []
    for job in jobs:
        plan, jd = job.train, JobDir(out, job.train.id)
        failed = read_table(jd.path / "errors.csv")
        errors += failed.to_dict("records")
        for ev in job.evals:
            folder = jd.eval_dir(ev.id)
            if not jd.eval_done(ev.id):
                pending.append(f"{plan.method} seed {plan.seed} on {ev.dataset} ({ev.rule}): not done")
                continue
            errors += read_table(folder / "errors.csv").to_dict("records")
            if (folder / "calibration.csv").is_file():
                calibration.append(read_table(folder / "calibration.csv"))
            if ev.shift:  # kept apart: shifted cases never pool with the cases as they are
                shifted.append(read_table(folder / "cases.csv"))
                continue
            cases.append(read_table(folder / "cases.csv"))
            expected.append(read_table(folder / "expected.csv"))
        summary = jd.read_summary()  # a job that failed has none: its row keeps method and policy only
        rows.append({"job": plan.id, "method": plan.method, "model": summary.get("model", plan.model.label or
                                                                                  plan.model.name),
                     "policy": plan.policy.name, "seed": plan.seed, "parameters": summary.get("parameters"),
                     "operations": summary.get("operations", ""), "heldout": plan.heldout,
                     "algorithm": plan.algorithm.shown,
                     **{k: summary.get(k, "") for k in JOB_EXTRA[2:]}})
    case_df = _concat(cases, Results().cases.columns)
    jobs_df = pd.DataFrame(rows, columns=list(dict.fromkeys(JOB_COLUMNS + JOB_EXTRA)))
    # clinical_measures keeps each selection rule apart (never ED of one rule with ES of another)
    return Results(case_df, clinical_measures(case_df), pd.DataFrame(errors, columns=ERROR_COLUMNS), jobs_df,
                   expected=_concat(expected, []), shifts=_concat(shifted, []),
                   calibration=_concat(calibration, CALIBRATION_COLUMNS)), pending


def _concat(frames: list[pd.DataFrame], columns: Iterable[str]) -> pd.DataFrame:
    """The non-empty frames one after another, or an empty frame with `columns`."""
    full = [f for f in frames if not f.empty]
    return pd.concat(full, ignore_index=True) if full else pd.DataFrame(columns=list(columns))
