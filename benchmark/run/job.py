"""One job, the unit every launcher runs: train (or resume) one training, then run its pending evaluations.

A training lives in OUT/jobs/<training id>/ (config.json, log.jsonl, last.pt, best.pt, snapshots/, trained);
each evaluation of it in OUT/jobs/<training id>/eval/<evaluation id>/ (config.json, cases.csv, errors.csv,
expected.csv, predictions/, done). Finished steps are skipped, so adding a target trains nothing.
"""
from __future__ import annotations

import math
import traceback
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from ..console import console
from ..results import ERROR_COLUMNS
from ..suite import Suite
from .datasets import RunData
from .jobs import EvalPlan, TrainPlan, build_policy, model_label, preprocess_for
from .profile import TRAINING, phase
from .store import JobDir


@dataclass(frozen=True)
class Context:
    """What every job needs to know about the run (picklable, for process launchers)."""

    suite: Suite
    base: Path
    out: Path
    cache: Path
    data: RunData
    precision: str  # resolved: bf16 | fp32


@dataclass(frozen=True)
class Job:
    """A training and the evaluations that use it."""

    train: TrainPlan
    evals: tuple[EvalPlan, ...]


def run_job(args: tuple[Job, Context], device_name: str) -> dict[str, Any]:
    """Train (or resume) and evaluate one job; returns its summary (also on failure, with 'failed')."""
    job, ctx = args
    from ..plugins import load_plugin_file

    for plugin in ctx.suite.plugins:  # process launchers start from a fresh interpreter
        load_plugin_file(ctx.base / plugin)
    plan = job.train
    jd = JobDir(ctx.out, plan.id)
    summary = {"job": plan.id, "method": plan.method, "model": model_label(plan.model), "policy": plan.policy.name,
               "algorithm": plan.algorithm.shown, "seed": plan.seed, "heldout": plan.heldout}
    timings: dict[str, float] = {}
    summary["timings"] = timings
    try:
        if jd.trained:
            console.print(f"[green]trained[/] {plan.method} seed {plan.seed} ({plan.id}): 0 training steps")
            summary.update({k: v for k, v in jd.read_summary().items() if k != "timings"})
        else:
            jd.write_config(plan.config)
            summary.update(train(plan, ctx, jd, device_name, timings))
            jd.write_summary(summary)
            jd.mark_trained()
        pending = [e for e in job.evals if not jd.eval_done(e.id)]
        if pending:
            from .evaluation import evaluate_training

            with phase("evaluation (prediction and scoring)", timings):
                evaluate_training(plan, pending, ctx, jd, device_name)
        jd.clear_error()
    except Exception as exc:  # one failing job must not stop the others
        jd.write_error(traceback.format_exc(), pd.DataFrame([{
            "job": plan.id, "dataset": "", "subject": "", "phase": "", "file": str(jd.path), "what": "job failed",
            "why": f"{type(exc).__name__}: {exc}"}], columns=ERROR_COLUMNS))
        console.print(f"[red]failed[/] {plan.method} seed {plan.seed}: {type(exc).__name__}: {exc}")
        summary["failed"] = f"{type(exc).__name__}: {exc}"
    return summary


def training_rows(plan: TrainPlan, data: RunData) -> dict[str, pd.DataFrame]:
    """The source cases a training learns from (train) and selects on (val), without its held-out domain."""
    rows = data.source_rows()
    rows = rows[(rows["label"] != "") & (rows["domain"] != plan.heldout)]
    return {part: rows[rows["split"] == part] for part in ("train", "val")}


def train(plan: TrainPlan, ctx: Context, jd: JobDir, device_name: str, timings: dict[str, float]) -> dict[str, Any]:
    """Train one model to the end (resuming from last.pt); returns what the summary records."""
    import torch

    from ..models import count_parameters, create_model
    from ..preprocess import PreparedStore
    from ..slices import build_slices
    from ..train import Trainer
    from .datasets import rows_digest

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
    parts = training_rows(plan, ctx.data)
    with phase("training slices", timings):
        slices = {part: build_slices(store, rows, size,
                                     ctx.cache / "slices" / f"{pre.key()}-{rows_digest(rows)}-{size}")
                  for (part, rows), size in zip(parts.items(), (canvas, crop))}
    model = create_model(plan.model.name, **plan.model.kwargs)
    params = count_parameters(model)
    meta = {"model_name": plan.model.name, "model_kwargs": plan.model.kwargs, "preprocess": asdict(pre),
            "crop": crop, "method": plan.method, "tta_flip": suite.evaluation.tta_flip,
            "algorithm": {"name": plan.algorithm.name, "kwargs": plan.algorithm.kwargs},
            "plugins": [str((ctx.base / p).resolve()) for p in suite.plugins]}
    trainer = Trainer(model, policy, suite.training, slices["train"], slices["val"], jd.path, plan.seed, device,
                      meta, (plan.algorithm.name, plan.algorithm.kwargs))
    console.print(f"[bold]{plan.method}[/] seed {plan.seed} ({plan.id}): {len(slices['train'])} training slices, "
                  f"{trainer.total} steps of {suite.training.batch_size} on {device} ({trainer.precision})")
    from .progress import training_progress

    described = f"{plan.method} seed {plan.seed}"
    with training_progress(described, trainer.total, trainer.lr) as update, phase(TRAINING, timings):
        result = trainer.fit(update)
    return {"parameters": params, "operations": ";".join(policy.operations()),
            "algorithm_parts": ";".join(trainer.algorithm.parts()), "best_step": result.best_step,
            "train_seconds": round(result.seconds, 1), "precision": trainer.precision,
            "threads": torch.get_num_threads(), "first_step_unix": result.first_step_unix}
