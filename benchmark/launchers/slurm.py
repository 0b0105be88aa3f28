"""`slurm`: a SLURM job array through submitit, one array task per job, requeued on preemption and time-out.

Each task runs `cmrbench run-job` on its job folder; on SLURM's warning signal submitit calls `JobCall.checkpoint`,
which resubmits the same call, and the job resumes from its last.pt. `cluster: local` runs the same tasks as
local processes through submitit's local executor (no SLURM needed), which is how the tests run it.
"""
from __future__ import annotations

import shlex
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from . import launcher_options, needs_extra, register_launcher

SUBMITIT_FOLDER = "slurm"  # OUT/slurm/<slurm job id>/: submitit's pickles and each task's stdout and stderr


class SlurmOptions(BaseModel):
    """The suite's `launcher: {name: slurm, ...}` settings (SLURM's own names where they exist)."""

    model_config = ConfigDict(extra="forbid")
    cluster: Literal["slurm", "local", "debug"] | None = Field(
        None, description="slurm; local: processes on this machine; none: slurm where sbatch exists, else local")
    partition: str | None = None
    timeout_min: int = Field(240, gt=0, description="time limit of one task; at the limit it is requeued")
    gpus_per_job: int | None = Field(None, ge=0, description="default 1 on a CUDA device, else 0")
    cpus_per_job: int = Field(4, gt=0)
    mem_gb: float | None = Field(None, gt=0)
    array_parallelism: int = Field(16, gt=0, description="most array tasks running at once")
    max_requeues: int = Field(3, ge=0, description="time-outs a job may be requeued after (preemptions are free)")
    account: str | None = None
    qos: str | None = None
    constraint: str | None = None
    setup: list[str] = Field(default_factory=list, description="shell lines run before each task (module load ...)")
    additional: dict[str, str | int] = Field(default_factory=dict, description="further #SBATCH options")


def _options(options: dict[str, Any]) -> SlurmOptions:
    return launcher_options("slurm", options)


class JobCall:
    """What each array task runs: one job folder through run-job; `checkpoint` makes it requeueable."""

    def __init__(self, device: str, threads: int) -> None:
        self.device, self.threads = device, threads

    def __call__(self, folder: str) -> dict[str, Any]:
        from ..run.jobfile import run_job_dir

        return run_job_dir(Path(folder), self.device, launcher="slurm", threads=self.threads)

    def checkpoint(self, folder: str) -> Any:
        """Called by submitit on preemption or time-out: run the same job again; it resumes from last.pt."""
        from submitit.helpers import DelayedSubmission

        return DelayedSubmission(self, folder)


def _parameters(opts: SlurmOptions, device: str) -> dict[str, Any]:
    """AutoExecutor parameters: generic names, and slurm_-prefixed ones that only SLURM reads."""
    gpus = opts.gpus_per_job if opts.gpus_per_job is not None else (1 if device.startswith("cuda") else 0)
    params: dict[str, Any] = {"name": "cmrbench", "timeout_min": opts.timeout_min, "gpus_per_node": gpus,
                              "cpus_per_task": opts.cpus_per_job, "tasks_per_node": 1, "nodes": 1,
                              "slurm_array_parallelism": opts.array_parallelism}
    if opts.mem_gb is not None:
        params["mem_gb"] = opts.mem_gb
    for key in ("partition", "account", "qos", "constraint"):
        if getattr(opts, key) is not None:
            params[f"slurm_{key}"] = getattr(opts, key)
    if opts.setup:
        params["slurm_setup"] = list(opts.setup)
    if opts.additional:
        params["slurm_additional_parameters"] = dict(opts.additional)
    return params


def sbatch_script(dirs: Sequence[Path], device: str, options: dict[str, Any], folder: Path) -> str:
    """The sbatch script submitit would submit for this array (needs submitit, not SLURM)."""
    needs_extra("submitit", "slurm", "slurm")
    from submitit.slurm.slurm import SlurmExecutor, _convert_mem, _make_sbatch_string

    opts = _options(options)
    names = SlurmExecutor._equivalence_dict()
    native: dict[str, Any] = {}
    for key, value in _parameters(opts, device).items():
        native[key.removeprefix("slurm_") if key.startswith("slurm_") else str(names.get(key) or key)] = value
    if "mem" in native:
        native["mem"] = _convert_mem(native["mem"])  # as SlurmExecutor writes it: 32GB, 1536MB
    command = " ".join([shlex.quote(sys.executable), "-u -m submitit.core._submit", shlex.quote(str(folder))])
    return _make_sbatch_string(command=command, folder=folder, map_count=len(dirs), **native)


def describe(dirs: Sequence[Path], device: str, options: dict[str, Any]) -> str:
    """For --dry-run: the array's tasks and the sbatch script that submits them."""
    folder = Path(dirs[0]).resolve().parent.parent / SUBMITIT_FOLDER / "%j" if dirs else Path(SUBMITIT_FOLDER)
    tasks = [f"#   task {i}: cmrbench run-job {d} --device {device}" for i, d in enumerate(dirs)]
    return "\n".join([f"# a SLURM array of {len(dirs)} task(s):", *tasks,
                      sbatch_script(dirs, device, options, folder)])


@register_launcher("slurm", describe=describe, extra="slurm", options=SlurmOptions)
def slurm(dirs: Sequence[Path], device: str, options: dict[str, Any]) -> list[dict[str, Any]]:
    """A SLURM job array via submitit, requeued on preemption and time-out."""
    submitit = needs_extra("submitit", "slurm", "slurm")
    opts = _options(options)
    if not dirs:
        return []
    folder = Path(dirs[0]).resolve().parent.parent / SUBMITIT_FOLDER / "%j"
    executor = submitit.AutoExecutor(folder=folder, cluster=opts.cluster, slurm_max_num_timeout=opts.max_requeues,
                                     local_max_num_timeout=opts.max_requeues)
    executor.update_parameters(**_parameters(opts, device))
    call = JobCall(device, opts.cpus_per_job)
    # SLURM caps a running array itself; the local executor starts every task at once, so it gets waves
    wave = len(dirs) if executor.cluster == "slurm" else opts.array_parallelism
    summaries: list[dict[str, Any]] = []
    for i in range(0, len(dirs), wave):
        chunk = [str(Path(d).resolve()) for d in dirs[i:i + wave]]
        jobs = executor.map_array(call, chunk)
        summaries += [_result(job, Path(d)) for job, d in zip(jobs, chunk, strict=True)]
    return summaries


def _result(job: Any, folder: Path) -> dict[str, Any]:
    """A task's summary; one that failed outright (requeues spent, unreadable job file) becomes a failed one."""
    try:
        return dict(job.result())
    except Exception as exc:  # submitit re-raises the task's error; the job's own failures come back as summaries
        why = " ".join(str(exc).split())[:300]
        return {"job": folder.name, "failed": f"{type(exc).__name__} (submitit job {job.job_id}): {why}"}
