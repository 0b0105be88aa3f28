"""Run a suite: resolve data, plan trainings and evaluations by content, prepare data once, launch, collect.

A rerun skips finished trainings and evaluations and resumes an interrupted training from its last
checkpoint; adding a target only adds evaluations. A job that fails is recorded in errors.csv.
"""
from __future__ import annotations

import json
import time
from pathlib import Path

import pandas as pd
import yaml

from ..atomic import write_text_atomic
from ..console import console, track
from ..data.problems import Problem, read_problems, write_problems
from ..digest import digest_json
from ..errors import CmrbenchError
from ..launchers import describe_launch
from ..preprocess import PreparedStore
from ..results import Results
from ..shifts import shift_names
from ..suite import LauncherSpec, Suite
from ..tracking import TrackingSession, check_tracking, open_tracking
from .clean import PLAN_FILE
from .collect import collect
from .datasets import RunData, resolve_data, rows_digest
from .evaluation import eval_rows
from .job import Context, Job, training_rows
from .jobfile import is_running, on_job_finished, read_job_file, write_job_file
from .jobs import EvalPlan, TrainPlan, build_policy, eval_plan, grid, preprocess_for, training_config, with_id
from .profile import add, breakdown, phase, reset
from .sources import resolve_path
from .store import JobDir, RunLock, ensure_writable_dir

DATA_PROBLEMS = "data_problems.csv"  # what resolving and preparing the data found, kept for `cmrbench collect`


def plan_jobs(suite: Suite) -> list[TrainPlan]:
    """The trainings a suite asks for, before its data is read (no ids yet): for `validate`."""
    p = suite.protocol
    domains = p.domains or ([s.name for s in suite.data.sources] if p.by == "dataset" else [f"<each {p.by}>"])
    return grid(suite, domains)


def _evals(suite: Suite, data: RunData, train: TrainPlan, precision: str) -> list[EvalPlan]:
    rules = suite.training.selection.rules
    wanted = [(s, "test") for s in data.sources] + [(t, "test" if t in data.splits else "all") for t in data.targets]
    if train.heldout:
        wanted += [(s, "heldout") for s in data.sources]
    out = []
    for dataset, part in wanted:
        probe = EvalPlan(train.id, dataset, part, "")
        rows = eval_rows(data, train, probe)
        if rows.empty:
            continue
        target = dataset in data.targets
        for rule in rules:
            if rule == "oracle" and not target:
                continue  # oracle selects on a target's own labelled part; sources have none to offer
            digest = rows_digest(rows)
            if rule == "oracle":
                digest = digest_json([digest, rows_digest(eval_rows(data, train, probe, "oracle_val"))])
            out.append(eval_plan(train, dataset, part, rule, digest, suite, precision))
        if target:  # graded shifts: every target case, under the suite's first selection rule that is not oracle
            rule = next((r for r in rules if r != "oracle"), "source_val")
            out += [eval_plan(train, dataset, part, rule, rows_digest(rows), suite, precision, shift)
                    for shift in shift_names(suite.evaluation.shifts)]
    return out


def plan_run(suite: Suite, data: RunData, precision: str) -> list[Job]:
    """Every training with its content id and the evaluations that use it."""
    lodo = suite.protocol.name == "leave_one_domain_out"
    domains = (suite.protocol.domains or data.domains()) if lodo else None
    jobs = []
    for plan in grid(suite, domains):
        parts = training_rows(plan, data)
        digest = digest_json({part: rows_digest(rows) for part, rows in parts.items()})
        plan = with_id(plan, training_config(suite, plan, digest, precision))
        jobs.append(Job(plan, tuple(_evals(suite, data, plan, precision))))
    return jobs


def resolve_device(name: str) -> str:
    """'auto' -> cuda when available, else cpu."""
    if name != "auto":
        return name
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def _resolved_precision(suite: Suite, device_name: str) -> str:
    import torch

    from ..precision import describe_precision, resolve_precision

    return describe_precision(resolve_precision(suite.training.precision, torch.device(device_name)))


def _prepare(suite: Suite, jobs: list[Job], data: RunData, cache: Path) -> list[Problem]:
    problems: list[Problem] = []
    variants = {preprocess_for(suite, build_policy(j.train.policy, suite.preprocess.crop)) for j in jobs}
    for pre in sorted(variants, key=lambda v: str(v.target_spacing)):
        store = PreparedStore(cache / "prepared", pre)
        for name in data.manifests:
            problems += store.prepare(data.frame(name), progress=lambda xs: track(
                xs, f"preparing {name} ({pre.target_spacing or 'native'} mm)"))
    return problems


def run_suite(suite: Suite, base: Path, out: Path, device: str | None = None, launcher: str | None = None,
              dry_run: bool = False) -> Results:
    """The whole run; safe to call again on the same OUT (finished work is skipped).

    With `dry_run`, data are resolved and prepared and every job file written, then what the launcher would
    dispatch is printed instead of running it."""
    from ..launchers import LAUNCHERS, launcher_options
    from ..plugins import load_plugin_file

    out = Path(out)
    reset()
    start = time.perf_counter()
    check_tracking(suite)  # a tracker whose package is not installed fails here in one line, before any work
    ensure_writable_dir(out)  # and so does a read-only, full or mistyped OUT
    with RunLock(out):
        for plugin in suite.plugins:
            load_plugin_file(base / plugin)
        write_text_atomic(out / "suite.yaml", yaml.safe_dump(suite.model_dump(mode="json"), sort_keys=False))
        # a suite's own cache path is relative to the suite file; the default lives inside OUT
        cache = resolve_path(base, suite.data.cache) if suite.data.cache else out.resolve() / "cache"
        ensure_writable_dir(cache, "cache")
        spec = suite.launcher if launcher in (None, suite.launcher.name) else LauncherSpec(name=launcher)
        launch = LAUNCHERS.get(spec.name)
        launcher_options(spec.name, spec.options)  # bad launcher settings fail here, before any work
        device_name = resolve_device(device or suite.device)
        precision = _resolved_precision(suite, device_name)
        with phase("data generation and indexing"):
            data, problems = resolve_data(suite, base, cache, out, lambda what: lambda xs: track(xs, what))
            jobs = plan_run(suite, data, precision)
        write_text_atomic(out / PLAN_FILE, json.dumps({j.train.id: [e.id for e in j.evals] for j in jobs}, indent=1))
        with phase("preparation (resampling, normalisation)"):
            problems += _prepare(suite, jobs, data, cache)
        n_evals = sum(len(j.evals) for j in jobs)
        console.print(f"suite '{suite.name}': {len(jobs)} training(s), {n_evals} evaluation(s) on {device_name} "
                      f"({precision}) with launcher '{spec.name}'")
        ctx = Context(suite, base, out, cache, data, precision)
        dirs = [JobDir(out, j.train.id).path for j in jobs]
        for job, folder in zip(jobs, dirs):
            write_job_file(folder, job, ctx, device_name)
        write_problems(_unique(problems), out / DATA_PROBLEMS)
        todo = _to_dispatch(out, jobs)
        if dry_run:
            console.print(describe_launch(spec, todo, device_name), markup=False, soft_wrap=True)
            return Results()
        tracking = open_tracking(suite, out, jobs)  # a job run in this process is logged as it finishes
        with on_job_finished(tracking.job_finished):
            for summary in launch(todo, device_name, spec.options) if todo else []:
                add(summary.get("timings", {}))
                if "failed" in summary and "method" not in summary:  # the launcher lost it before the job began
                    console.print(f"[red]failed[/] job {summary['job']}: {summary['failed']}", soft_wrap=True)
        results = finish(out, tracking)
        _write_profile(out, time.perf_counter() - start)
        return results


def _to_dispatch(out: Path, jobs: list[Job]) -> list[Path]:
    """The job folders with work left, in plan order; done ones and ones running elsewhere are named, not sent."""
    todo = []
    for job in jobs:
        jd = JobDir(out, job.train.id)
        label = f"{job.train.method} seed {job.train.seed} ({job.train.id})"
        if jd.trained and all(jd.eval_done(e.id) for e in job.evals):
            console.print(f"[green]done already[/] {label}: 0 training steps, 0 evaluations")
        elif is_running(jd.path):
            console.print(f"[yellow]running elsewhere[/] {label}: not dispatched again (see cmrbench status)")
        else:
            todo.append(jd.path)
    return todo


def finish(out: Path, tracking: TrackingSession | None = None) -> Results:
    """Collect whatever jobs of OUT's plan are done into results/ and leaderboards/; list those that are not.

    The suite's trackers (`tracking`, else opened here) then log every trained job they miss and the leaderboards."""
    from ..leaderboards import write_leaderboards
    from ..provenance import provenance

    jobs, suite, device, precision = planned_jobs(out)
    tracking = tracking or open_tracking(suite, out, jobs)
    with phase("collecting results"):
        problems = read_problems(out / DATA_PROBLEMS) if (out / DATA_PROBLEMS).is_file() else []
        results, pending = collect(out, jobs, problems)
    for line in pending:
        console.print(f"[yellow]pending[/] {line}", markup=True)
    if not results.shifts.empty:  # the method mean corruption error is relative to, for Table X
        results.shifts["reference"] = suite.evaluation.shift_reference or ""
    results.write(out)
    prov = provenance(suite=suite.name, seeds=",".join(map(str, suite.seeds)), device=device, precision=precision,
                      selection=",".join(suite.training.selection.rules))
    write_text_atomic(out / "results" / "provenance.yaml", yaml.safe_dump(prov, sort_keys=False))
    with phase("tables, figures and report"):
        write_leaderboards(results, out, prov, names=suite.leaderboards)
    if tracking.trackers:
        with phase("experiment tracking"):
            tracking.finish()
    return results


def planned_jobs(out: Path) -> tuple[list[Job], Suite, str, str]:
    """The jobs OUT's last run planned (plan.json and each job's job.json), its suite, device and precision."""
    plan_path = Path(out) / PLAN_FILE
    if not plan_path.is_file():
        raise CmrbenchError(f"{out}: no {PLAN_FILE}; run the suite there first (cmrbench run SUITE --out {out})")
    try:
        ids = list(json.loads(plan_path.read_text(encoding="utf-8")))
    except (ValueError, UnicodeDecodeError) as exc:
        raise CmrbenchError(f"{plan_path}: damaged ({exc}); rerun the suite to write it again") from None
    read = [read_job_file(JobDir(out, i).path) for i in ids]
    if not read:
        raise CmrbenchError(f"{plan_path}: plans no job")
    _, ctx, device = read[0]
    return [job for job, _, _ in read], ctx.suite, device, ctx.precision


def _write_profile(out: Path, total: float) -> None:
    """OUT/results/profile.csv: seconds and share of the run's wall time per phase."""
    rows = [{"phase": n, "seconds": round(s, 2), "share": round(f, 4)} for n, s, f in breakdown(total)]
    rows.append({"phase": "total", "seconds": round(total, 2), "share": 1.0})
    write_text_atomic(out / "results" / "profile.csv", pd.DataFrame(rows).to_csv(index=False))


def _unique(problems: list[Problem]) -> list[Problem]:
    seen, out = set(), []
    for p in problems:
        key = (p.file, p.what, p.dataset, p.subject, p.phase)
        if key not in seen:
            seen.add(key)
            out.append(p)
    return out
