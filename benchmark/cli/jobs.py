"""`cmrbench run-job | collect | status`: one job as a command, results from whatever is done, and progress."""
from __future__ import annotations

from pathlib import Path

import typer

from . import app


@app.command("run-job")
def run_job_cmd(folder: Path = typer.Argument(..., help="a job folder, OUT/jobs/<id>"),
                device: str | None = typer.Option(None, "--device", help="default: the device the run chose"),
                threads: int | None = typer.Option(None, "--threads", min=1,
                                                   help="CPU threads (the suite's `threads` wins)")) -> None:
    """Train (or resume) and evaluate one job of a run, wherever this command runs; exit 1 if it fails."""
    from ..console import console
    from ..run.jobfile import run_job_dir

    summary = run_job_dir(folder, device, launcher="run-job", threads=threads)
    if "failed" in summary:
        console.print(f"[red]failed[/]: {summary['failed']} (see {folder / 'error.txt'})")
        raise typer.Exit(1)


@app.command("collect")
def collect_cmd(out: Path = typer.Argument(..., help="a run folder")) -> None:
    """Build results and leaderboards from the jobs that are done; list those that are not."""
    from ..console import console
    from ..run.runner import finish
    from ..run.store import RunLock

    with RunLock(out):
        results = finish(out)
    console.print(f"results in {out / 'results'} ({len(results.cases)} case row(s), {len(results.errors)} error "
                  f"row(s)); leaderboards in {out / 'leaderboards'}")


@app.command("status")
def status_cmd(out: Path = typer.Argument(..., help="a run folder")) -> None:
    """Per job: done, running, failed (with its last line), stopped (killed; rerun resumes) or pending, and where."""
    from rich.table import Table
    from rich.text import Text

    from ..console import console
    from ..run.status import job_states

    states = job_states(out)
    table = Table("job", "state", "evaluations", "where", "last line", box=None)
    for s in states:
        colour = {"done": "green", "running": "cyan", "failed": "red"}.get(s.state, "yellow")
        table.add_row(s.job, Text(s.state, style=colour), s.evaluations, Text(s.where), Text(s.last))
    console.print(table)
    counts = {k: sum(s.state == k for s in states) for k in ("done", "running", "failed", "stopped", "pending")}
    console.print(", ".join(f"{n} {k}" for k, n in counts.items()))
