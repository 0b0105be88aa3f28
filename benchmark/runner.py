"""Run a suite: resolve data, prepare it once, train and evaluate every job, write results and leaderboards.

Each job lives in OUT/jobs/<hash of its resolved config>/; a rerun skips jobs marked done and resumes an
interrupted one from its last checkpoint. A job that fails is recorded in errors.csv and the others go on.
"""
from __future__ import annotations

import math
import traceback
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from .augment import Policy, create_policy, policy_from_config
from .console import console, track
from .data.manifest import load_manifest
from .data.problems import Problem
from .evaluate import error_row, score_case_rows
from .preprocess import CACHE_VERSION, Preprocess, PreparedStore
from .results import CASE_COLUMNS, ERROR_COLUMNS, JOB_COLUMNS, META_COLUMNS, Results
from .sources import resolve_path, resolve_source, split_subjects
from .store import JobDir, RunLock
from .suite import ModelSpec, PolicySpec, Suite, config_hash


@dataclass(frozen=True)
class Context:
    """What every job needs to know about the run (picklable, for process launchers)."""

    suite: Suite
    base: Path
    out: Path
    cache: Path
    manifests: dict[str, str]  # data set name -> manifest CSV
    split: dict[str, str]  # source subject -> train | val | test


@dataclass(frozen=True)
class JobPlan:
    """One job: a model, a policy and a seed, with its id and display name."""

    id: str
    model: ModelSpec
    policy: PolicySpec
    seed: int
    method: str
    config: dict


def build_policy(spec: PolicySpec, crop: int) -> Policy:
    """A registered policy by name, or the suite's own definition from operations."""
    if spec.ops is not None:
        return policy_from_config({"resample": True if spec.resample is None else spec.resample, "ops": spec.ops},
                                  name=spec.name, crop=crop)
    policy = create_policy(spec.name, crop=crop)
    if spec.resample is not None:
        policy.resample = spec.resample
    return policy


def preprocess_for(suite: Suite, policy: Policy) -> Preprocess:
    """The preprocessing a policy implies: resampled to the target spacing unless the policy says not to."""
    p = suite.preprocess
    return Preprocess(target_spacing=p.target_spacing if policy.resample else None, normalise=p.normalise)


def model_label(spec: ModelSpec) -> str:
    """How a model is named in tables."""
    return spec.label or spec.name


def plan_jobs(suite: Suite) -> list[JobPlan]:
    """models x policies x seeds (unless grid is off) plus the explicit jobs, each hashed from its config."""
    from .models import MODELS

    models = {model_label(m): m for m in suite.models}
    models.update({m.name: m for m in suite.models if m.name not in models})
    policies = {p.name: p for p in suite.policies}
    combos: list[tuple[ModelSpec, PolicySpec, int]] = []
    if suite.grid:
        combos += [(m, p, s) for m in suite.models for p in suite.policies for s in suite.seeds]
    for j in suite.jobs:
        m = models.get(j.model) or ModelSpec(name=j.model)
        p = policies.get(j.policy) or PolicySpec(name=j.policy)
        combos += [(m, p, s) for s in (j.seeds or suite.seeds)]
    plans, seen = [], set()
    data = suite.data.model_dump()
    data.pop("cache", None)
    for m, p, s in combos:
        if not m.name.startswith("smp:"):
            MODELS.resolve(m.name)
        policy = build_policy(p, suite.preprocess.crop)
        config = {"model": m.model_dump(exclude={"label"}), "policy": {"name": p.name, "describe": policy.describe()},
                  "seed": s, "training": suite.training.model_dump(), "preprocess": suite.preprocess.model_dump(),
                  "data": data, "cache_version": CACHE_VERSION}
        job_id = config_hash(config)
        if job_id in seen:
            continue
        seen.add(job_id)
        plans.append(JobPlan(job_id, m, p, s, f"{model_label(m)} + {p.name}", config))
    return plans


def prepare_data(suite: Suite, base: Path, cache: Path) -> tuple[dict[str, str], dict[str, str], list[Problem]]:
    """Generate/index every data set and split the source; problems are recorded, never fatal per case."""
    manifests, problems = {}, []
    for src in [suite.data.source, *suite.data.targets]:
        df, found = resolve_source(src, base, cache, progress=lambda xs: track(xs, f"generating {src.name}"))
        problems += found
        path = cache / "manifests" / f"{src.name}.csv"
        if src.manifest is not None:  # re-root the user's manifest next to the others
            from .data.manifest import write_manifest

            df = df.assign(image=[str(Path(df.attrs["root"]) / p) for p in df["image"]],
                           label=[str(Path(df.attrs["root"]) / p) if p else "" for p in df["label"]])
            write_manifest(df.to_dict("records"), path)
        manifests[src.name] = str(path)
    source = load_manifest(manifests[suite.data.source.name])
    split = split_subjects(source, suite.data.source.split, base)
    return manifests, split, problems


def _rows_for_evaluation(ctx: Context) -> list[pd.DataFrame]:
    frames = []
    src = load_manifest(ctx.manifests[ctx.suite.data.source.name])
    src["split"] = src["subject"].map(ctx.split).fillna("")
    test = src[src["split"] == "test"].copy()
    test.attrs.update(src.attrs)
    frames.append(test)
    for t in ctx.suite.data.targets:
        frames.append(load_manifest(ctx.manifests[t.name]))
    return frames


def run_job(args: tuple[JobPlan, Context], device_name: str) -> dict[str, Any]:
    """Train (or resume) and evaluate one job; returns its summary (also on failure)."""
    plan, ctx = args
    jd = JobDir(ctx.out, plan.id)
    summary = {"job": plan.id, "method": plan.method, "model": model_label(plan.model), "policy": plan.policy.name,
               "seed": plan.seed}
    if jd.done:
        console.print(f"[green]done[/] {plan.method} seed {plan.seed} ({plan.id}): skipped")
        return summary
    jd.write_config(plan.config)
    try:
        summary.update(_train_and_evaluate(plan, ctx, jd, device_name))
        jd.write_summary(summary)
        jd.mark_done()
    except Exception as exc:  # one failing job must not stop the others
        (jd.path / "error.txt").write_text(traceback.format_exc())
        pd.DataFrame([{"job": plan.id, "dataset": "", "subject": "", "phase": "", "file": str(jd.path),
                       "what": "job failed", "why": f"{type(exc).__name__}: {exc}"}]).to_csv(
            jd.path / "errors.csv", index=False)
        console.print(f"[red]failed[/] {plan.method} seed {plan.seed}: {type(exc).__name__}: {exc}")
    return summary


def _train_and_evaluate(plan: JobPlan, ctx: Context, jd: JobDir, device_name: str) -> dict[str, Any]:
    import torch

    from .infer import predict_case, save_label
    from .models import count_parameters, create_model
    from .slices import build_slices
    from .train import Trainer

    suite = ctx.suite
    device = torch.device(device_name)
    torch.manual_seed(plan.seed)
    if device.type == "cpu":
        torch.use_deterministic_algorithms(True, warn_only=True)
    policy = build_policy(plan.policy, suite.preprocess.crop)
    pre = preprocess_for(suite, policy)
    store = PreparedStore(ctx.cache / "prepared", pre)
    crop = suite.preprocess.crop
    canvas = suite.preprocess.canvas or int(math.ceil(crop * 1.25 / 16) * 16)
    source = load_manifest(ctx.manifests[suite.data.source.name])
    parts = source["subject"].map(ctx.split)
    subjects = {k: sorted(source.loc[parts == k, "subject"].unique()) for k in ("train", "val")}
    key = lambda part, size: f"{pre.key()}-{config_hash(subjects[part])}-{part}-{size}"  # noqa: E731
    train = build_slices(store, source[parts == "train"], canvas, ctx.cache / "slices" / key("train", canvas))
    val = build_slices(store, source[parts == "val"], crop, ctx.cache / "slices" / key("val", crop))
    model = create_model(plan.model.name, **plan.model.kwargs)
    params = count_parameters(model)
    meta = {"model_name": plan.model.name, "model_kwargs": plan.model.kwargs, "preprocess": asdict(pre),
            "crop": crop, "method": plan.method, "tta_flip": suite.training.tta_flip}
    trainer = Trainer(model, policy, suite.training, train, val, jd.path, plan.seed, device, meta)
    console.print(f"[bold]{plan.method}[/] seed {plan.seed} ({plan.id}): {len(train)} training slices, "
                  f"{trainer.total} steps of {suite.training.batch_size} on {device}")
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                  TimeRemainingColumn(), TextColumn("{task.fields[loss]}"), console=console,
                  disable=not console.is_terminal, transient=True) as bar:
        task = bar.add_task(f"training {plan.method}", total=trainer.total, completed=trainer.step, loss="")
        result = trainer.fit(lambda step, total, loss: bar.update(task, completed=step, loss=f"loss {loss:.3f}"))
    best = torch.load(jd.path / "best.pt", map_location=device, weights_only=False)
    model.load_state_dict(best["model"])
    job = {"job": plan.id, "model": model_label(plan.model), "policy": plan.policy.name, "seed": plan.seed}
    rows, errors = [], []
    from .data.loader import load_case
    from .data.problems import DataError

    for frame in _rows_for_evaluation(ctx):
        labelled = frame[frame["label"] != ""]
        for _, row in track(list(labelled.iterrows()), f"evaluating {plan.method} on {frame['dataset'].iloc[0]}"
                            if len(labelled) else "evaluating"):
            if not store.path(row).is_file():
                continue  # unreadable case: recorded once under job 'data'
            try:
                reference = load_case(row, frame.attrs["root"])
            except DataError as err:
                errors.append(error_row(plan.id, err.problem))
                continue
            pred = predict_case(model, store.load(row), crop, device, suite.training.tta_flip)
            rows += score_case_rows(job, row, reference, pred)
            if suite.save_predictions:
                save_label(pred, reference.affine, reference.header,
                           jd.path / "predictions" / str(row["dataset"]) / f"{row['subject']}_{row['phase']}.nii.gz")
    pd.DataFrame(rows, columns=CASE_COLUMNS + META_COLUMNS).to_csv(jd.path / "cases.csv", index=False,
                                                                  float_format="%.6g")
    pd.DataFrame(errors, columns=ERROR_COLUMNS).to_csv(jd.path / "errors.csv", index=False)
    return {"parameters": params, "operations": ";".join(policy.operations()), "best_step": result.best_step,
            "train_seconds": round(result.seconds, 1)}


def collect(out: Path, plans: list[JobPlan], data_problems: list[Problem]) -> Results:
    """Gather every job's cases, errors and summary into one result set (nothing is recomputed)."""
    from .clinical import clinical_measures

    cases, errors, jobs = [], [error_row("data", p) for p in data_problems], []
    for plan in plans:
        jd = JobDir(out, plan.id)
        if (jd.path / "cases.csv").is_file() and jd.done:
            cases.append(pd.read_csv(jd.path / "cases.csv", dtype={"subject": str, "job": str, "seed": str}))
        if (jd.path / "errors.csv").is_file():
            errors += pd.read_csv(jd.path / "errors.csv", dtype=str).to_dict("records")
        summary = jd.read_summary()  # a job that failed has none: its row keeps method and policy only
        jobs.append({"job": plan.id, "method": plan.method, "model": model_label(plan.model),
                     "policy": plan.policy.name, "seed": plan.seed, "parameters": summary.get("parameters"),
                     "operations": summary.get("operations", "")})
    case_df = pd.concat(cases, ignore_index=True) if cases else pd.DataFrame(columns=CASE_COLUMNS + META_COLUMNS)
    return Results(case_df, clinical_measures(case_df), pd.DataFrame(errors, columns=ERROR_COLUMNS),
                   pd.DataFrame(jobs, columns=JOB_COLUMNS))


def resolve_device(name: str) -> str:
    """'auto' -> cuda when available, else cpu."""
    if name != "auto":
        return name
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def run_suite(suite: Suite, base: Path, out: Path, device: str | None = None, launcher: str | None = None) -> Results:
    """The whole run; safe to call again on the same OUT (finished jobs are skipped)."""
    from .launchers import LAUNCHERS
    from .leaderboards import write_leaderboards
    from .plugins import load_plugin_file
    from .provenance import provenance

    out = Path(out)
    with RunLock(out):
        for plugin in suite.plugins:
            load_plugin_file(base / plugin)
        (out / "suite.yaml").write_text(yaml.safe_dump(suite.model_dump(mode="json"), sort_keys=False))
        # a suite's own cache path is relative to the suite file; the default lives inside OUT
        cache = resolve_path(base, suite.data.cache) if suite.data.cache else out.resolve() / "cache"
        plans = plan_jobs(suite)
        launch = LAUNCHERS.get(launcher or suite.launcher)
        device_name = resolve_device(device or suite.device)
        manifests, split, problems = prepare_data(suite, base, cache)
        ctx = Context(suite, base, out, cache, manifests, split)
        variants = {preprocess_for(suite, build_policy(p.policy, suite.preprocess.crop)) for p in plans}
        for pre in sorted(variants, key=lambda v: str(v.target_spacing)):
            store = PreparedStore(cache / "prepared", pre)
            for name, path in manifests.items():
                problems += store.prepare(load_manifest(path), progress=lambda xs: track(
                    xs, f"preparing {name} ({pre.target_spacing or 'native'} mm)"))
        console.print(f"suite '{suite.name}': {len(plans)} job(s) on {device_name} with launcher "
                      f"'{launcher or suite.launcher}'")
        launch([(p, ctx) for p in plans], run_job, device_name)
        results = collect(out, plans, _unique(problems))
        results.write(out)
        prov = provenance(suite=suite.name, seeds=",".join(map(str, suite.seeds)), device=device_name)
        (out / "results" / "provenance.yaml").write_text(yaml.safe_dump(prov, sort_keys=False))
        write_leaderboards(results, out, prov, names=suite.leaderboards)
        return results


def _unique(problems: list[Problem]) -> list[Problem]:
    seen, out = set(), []
    for p in problems:
        key = (p.file, p.what, p.dataset, p.subject, p.phase)
        if key not in seen:
            seen.add(key)
            out.append(p)
    return out
