"""`cmrbench run | validate`: the suite runner and its dry run."""
from __future__ import annotations

import json
from pathlib import Path

import typer

from . import app

SET_HELP = "override a suite value, e.g. --set training.iterations=20 (repeatable)"


@app.command("validate")
def validate(suite: Path = typer.Argument(..., help="suite YAML"),
             overrides: list[str] = typer.Option([], "--set", help=SET_HELP),
             strict: bool = typer.Option(False, "--strict", help="fail when a data path does not exist yet")) -> None:
    """Resolve a suite fully (schema, names, paths) without training; list its jobs."""
    from ..console import console
    from ..data.adapters import DATASETS
    from ..errors import CmrbenchError
    from ..launchers import launcher_options
    from ..leaderboards import LEADERBOARDS
    from ..plugins import load_plugin_file
    from ..run.runner import plan_jobs
    from ..run.sources import resolve_path
    from ..shifts import shift_names
    from ..suite import load_suite
    from ..synth.cohorts import COHORTS
    from ..tracking import check_tracking, describe_tracking

    spec, base = load_suite(suite, overrides)
    check_tracking(spec)
    for plugin in spec.plugins:
        load_plugin_file(base / plugin)
    missing = []
    for src in spec.data.all:
        if src.synth is not None:
            COHORTS.get(src.synth.cohort)
            continue
        if src.adapter is not None:
            DATASETS.get(src.adapter)
        path = resolve_path(base, src.root or src.manifest or "")
        if not path.exists():
            missing.append(f"data set '{src.name}': {path} does not exist (point the suite at your copy)")
    if missing and strict:
        raise CmrbenchError("; ".join(missing))
    for name in spec.leaderboards or []:
        LEADERBOARDS.resolve(name)
    launcher_options(spec.launcher.name, spec.launcher.options)
    shift_names(spec.evaluation.shifts)
    plans = plan_jobs(spec)
    if not plans:
        raise CmrbenchError(f"suite {suite}: no jobs (add models and policies, or jobs)")
    for m in missing:
        console.print(f"[yellow]warning:[/] {m}", soft_wrap=True)
    proto = spec.protocol
    per = (f" per held-out {proto.by} (one training per {proto.by} found in the data)"
           if proto.name == "leave_one_domain_out" and proto.by != "dataset" and not proto.domains else "")
    console.print(f"suite '{spec.name}' is valid: {len(plans)} job(s){per}, selection "
                  f"{', '.join(spec.training.selection.rules)}"
                  + (f"; {len(missing)} data path(s) to fill in before `cmrbench run`" if missing else ""))
    for p in plans:  # ids hash the data's content: they are known once `cmrbench run` has read it
        console.print(f"  {p.method}  seed {p.seed}", markup=False)
    for line in describe_tracking(spec):
        console.print(f"tracking: {line}", markup=False, soft_wrap=True)


@app.command("run")
def run(suite: Path = typer.Argument(..., help="suite YAML"),
        out: Path | None = typer.Option(None, "--out", "-o", help="run folder (default runs/<suite name>)"),
        device: str | None = typer.Option(None, "--device", help="cpu, cuda, cuda:1 ... (default: the suite's)"),
        launcher: str | None = typer.Option(None, "--launcher", help="local, gpus, ray, slurm or a plugin's "
                                            "(default: the suite's; see `cmrbench list launchers`)"),
        dry_run: bool = typer.Option(False, "--dry-run", help="prepare and write the job files, then print what "
                                     "the launcher would submit instead of running it"),
        overrides: list[str] = typer.Option([], "--set", help=SET_HELP),
        mlflow: str | None = typer.Option(None, "--mlflow", metavar="URI", help="also log to this MLflow store "
                                          "(file:///abs/mlruns, sqlite:///mlflow.db, http://host:5000); the "
                                          "experiment is the suite's tracking.mlflow.experiment, else its name"),
        profile: bool = typer.Option(False, "--profile", help="print where the wall time went, per phase")) -> None:
    """Train, evaluate, and write results and leaderboards; a rerun resumes where it stopped."""
    from ..console import console
    from ..run.runner import run_suite
    from ..suite import load_suite
    from .results import _print_table

    device_set = [f"device={device}"] if device is not None else []  # validated like the suite's own value
    mlflow_set = [f"tracking.mlflow.uri={json.dumps(mlflow)}"] if mlflow is not None else []  # quoted: a string
    spec, base = load_suite(suite, [*overrides, *device_set, *mlflow_set])
    out = out or Path("runs") / spec.name
    results = run_suite(spec, base, out, device, launcher, dry_run)
    if dry_run:
        return
    from ..leaderboards import build_all

    for t in build_all(results, ["table3_methods"]):
        _print_table(t)
    console.print(f"results in {out / 'results'}, {len(results.errors)} error row(s); leaderboards in "
                  f"{out / 'leaderboards'} (report.html)")
    if profile:
        _print_profile(out / "results" / "profile.csv")
    failed = results.errors[results.errors["what"] == "job failed"] if not results.errors.empty else results.errors
    if len(failed):
        console.print(f"[red]{len(failed)} job(s) failed[/]: see {out / 'results' / 'errors.csv'} and each job's "
                      "error.txt; rerun the same command to retry them")
        raise typer.Exit(1)


def _print_profile(path: Path) -> None:
    """The run's time per phase, and the share that was not training."""
    import pandas as pd

    from ..console import console
    from ..run.profile import TRAINING

    df = pd.read_csv(path)
    total = float(df.loc[df.phase == "total", "seconds"].iloc[0])
    for row in df.itertuples(index=False):
        console.print(f"  {row.phase:<42} {row.seconds:8.1f} s  {100 * row.share:5.1f} %", markup=False)
    training = float(df.loc[df.phase == TRAINING, "seconds"].sum())
    console.print(f"  not training: {total - training:.1f} s of {total:.1f} s "
                  f"({100 * (1 - training / total) if total else 0:.1f} %)", markup=False)
