"""Gather finished evaluations into one result set (nothing is recomputed; unfinished ones are listed)."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..data.problems import Problem
from ..evaluate import error_row
from ..results import ERROR_COLUMNS, JOB_COLUMNS, Results
from .job import Job
from .store import JobDir

JOB_EXTRA = ["heldout", "precision", "train_seconds", "best_step"]


def _read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype={"subject": str, "job": str, "seed": str}, keep_default_na=True) \
        if path.is_file() else pd.DataFrame()


def _clinical(cases: pd.DataFrame) -> pd.DataFrame:
    """Clinical measures per selection rule (ED and ES of one rule, never mixed across rules)."""
    from ..clinical import clinical_measures

    if cases.empty or "selection" not in cases:
        return clinical_measures(cases)
    parts = [clinical_measures(g).assign(selection=rule) for rule, g in cases.groupby("selection")]
    return pd.concat(parts, ignore_index=True)


def collect(out: Path, jobs: list[Job], data_problems: list[Problem]) -> tuple[Results, list[str]]:
    """The result set of these jobs, and a line for each evaluation that is not done."""
    cases, errors, expected = [], [error_row("data", p) for p in data_problems], []
    rows, pending = [], []
    for job in jobs:
        plan, jd = job.train, JobDir(out, job.train.id)
        failed = _read(jd.path / "errors.csv")
        errors += failed.to_dict("records")
        for ev in job.evals:
            folder = jd.eval_dir(ev.id)
            if not jd.eval_done(ev.id):
                pending.append(f"{plan.method} seed {plan.seed} on {ev.dataset} ({ev.rule}): not done")
                continue
            cases.append(_read(folder / "cases.csv"))
            errors += _read(folder / "errors.csv").to_dict("records")
            expected.append(_read(folder / "expected.csv"))
        summary = jd.read_summary()  # a job that failed has none: its row keeps method and policy only
        rows.append({"job": plan.id, "method": plan.method, "model": summary.get("model", plan.model.label or
                                                                                  plan.model.name),
                     "policy": plan.policy.name, "seed": plan.seed, "parameters": summary.get("parameters"),
                     "operations": summary.get("operations", ""), "heldout": plan.heldout,
                     **{k: summary.get(k, "") for k in JOB_EXTRA[1:]}})
    case_df = pd.concat([c for c in cases if not c.empty], ignore_index=True) if any(
        not c.empty for c in cases) else pd.DataFrame(columns=Results().cases.columns)
    exp_df = pd.concat([e for e in expected if not e.empty], ignore_index=True) if any(
        not e.empty for e in expected) else pd.DataFrame()
    jobs_df = pd.DataFrame(rows, columns=list(dict.fromkeys(JOB_COLUMNS + JOB_EXTRA)))
    return Results(case_df, _clinical(case_df), pd.DataFrame(errors, columns=ERROR_COLUMNS), jobs_df,
                   expected=exp_df), pending
