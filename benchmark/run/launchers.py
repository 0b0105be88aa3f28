"""Launchers: how jobs are run: one after another, or one process per visible GPU."""
from __future__ import annotations

import multiprocessing as mp
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from ..errors import CmrbenchError
from ..registry import Registry

Launcher = Callable[[Sequence[Any], Callable[[Any, str], Any], str], list[Any]]
LAUNCHERS: Registry[Launcher] = Registry("launcher")


@LAUNCHERS.register("local")
def local(jobs: Sequence[Any], run: Callable[[Any, str], Any], device: str) -> list[Any]:
    """One job after another on one device."""
    return [run(job, device) for job in jobs]


def _gpu_worker(args: tuple[Callable[[Any, str], Any], Any, str]) -> Any:
    run, job, device = args
    return run(job, device)


@LAUNCHERS.register("gpus")
def gpus(jobs: Sequence[Any], run: Callable[[Any, str], Any], device: str) -> list[Any]:
    """One process per visible CUDA device, jobs dealt round-robin."""
    import torch

    n = torch.cuda.device_count()
    if n < 1:
        raise CmrbenchError("launcher 'gpus' needs at least one visible CUDA device; use --launcher local")
    work = [(run, job, f"cuda:{i % n}") for i, job in enumerate(jobs)]
    with ProcessPoolExecutor(max_workers=n, mp_context=mp.get_context("spawn")) as pool:
        return list(pool.map(_gpu_worker, work))
