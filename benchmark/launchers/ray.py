"""`ray`: one Ray task per job, on a running cluster (`address`) or a local instance; a lost worker retries the job.

The task is `cmrbench run-job` in a Ray worker: it loads the suite's plugin files itself and resumes from last.pt,
so a retry after a killed or preempted worker continues where the job stopped.
"""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from . import launcher_options, needs_extra, register_launcher


class RayOptions(BaseModel):
    """The suite's `launcher: {name: ray, ...}` settings."""

    model_config = ConfigDict(extra="forbid")
    address: str | None = Field(None, description="a running cluster ('auto', 'ray://host:10001'); none: start one")
    num_cpus: float = Field(1.0, gt=0, description="CPUs per job (torch uses as many threads)")
    num_gpus: float | None = Field(None, ge=0, description="GPUs per job; default 1 on a CUDA device, else 0")
    max_retries: int = Field(3, ge=0, description="how often a job whose worker died is started again")
    local_cpus: int | None = Field(None, gt=0, description="CPUs of the local instance (no address); default all")


def _options(options: dict[str, Any]) -> RayOptions:
    return launcher_options("ray", options)


def _run(folder: str, device: str, threads: int) -> dict[str, Any]:
    """The Ray task: one job, exactly as `cmrbench run-job` runs it, on the task's CPUs."""
    from ..run.jobfile import run_job_dir

    return run_job_dir(Path(folder), device, launcher="ray", threads=threads)


def _gpus(opts: RayOptions, device: str) -> float:
    return opts.num_gpus if opts.num_gpus is not None else (1.0 if device.startswith("cuda") else 0.0)


def describe(dirs: Sequence[Path], device: str, options: dict[str, Any]) -> str:
    """What `ray` would do, for --dry-run."""
    opts = _options(options)
    where = f"the Ray cluster at {opts.address}" if opts.address else \
        f"a local Ray instance ({opts.local_cpus or 'all'} CPUs)"
    lines = [f"{len(dirs)} Ray task(s) on {where}, each {opts.num_cpus:g} CPU(s) and {_gpus(opts, device):g} GPU(s), "
             f"retried up to {opts.max_retries} time(s) if its worker dies:"]
    return "\n".join(lines + [f"  cmrbench run-job {d} --device {device}" for d in dirs])


@register_launcher("ray", describe=describe, extra="ray", options=RayOptions)
def ray_launcher(dirs: Sequence[Path], device: str, options: dict[str, Any]) -> list[dict[str, Any]]:
    """One Ray task per job, on a running cluster or a local instance."""
    ray = needs_extra("ray", "ray", "ray")
    opts = _options(options)
    started = not ray.is_initialized()
    if started:
        init: dict[str, Any] = {"address": opts.address, "include_dashboard": False, "log_to_driver": True}
        if opts.address is None:
            init["num_cpus"] = opts.local_cpus
        ray.init(**init)
    try:
        task = ray.remote(num_cpus=opts.num_cpus, num_gpus=_gpus(opts, device), max_retries=opts.max_retries,
                          retry_exceptions=False)(_run)
        threads = max(1, int(opts.num_cpus))
        refs = [task.remote(str(Path(d).resolve()), device, threads) for d in dirs]
        return [_result(ray, ref, Path(d)) for ref, d in zip(refs, dirs, strict=True)]
    finally:
        if started:
            ray.shutdown()


def _result(ray: Any, ref: Any, folder: Path) -> dict[str, Any]:
    """A task's summary; a task that failed outright (retries spent, unreadable job file) becomes a failed one."""
    try:
        return dict(ray.get(ref))
    except Exception as exc:  # Ray wraps the task's error; the job's own failures come back as summaries
        why = " ".join(str(exc).split())[:300]
        return {"job": folder.name, "failed": f"{type(exc).__name__}: {why}"}
