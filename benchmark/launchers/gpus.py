"""`gpus`: one fresh process per visible CUDA device, jobs dealt round-robin, each a `run-job`."""
from __future__ import annotations

import multiprocessing as mp
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from ..errors import CmrbenchError
from . import launcher_options, register_launcher


def _worker(args: tuple[Path, str]) -> dict[str, Any]:
    from ..run.jobfile import run_job_dir

    folder, device = args
    return run_job_dir(folder, device, launcher="gpus")


@register_launcher("gpus")
def gpus(dirs: Sequence[Path], device: str, options: dict[str, Any]) -> list[dict[str, Any]]:
    """One process per visible CUDA device (spawned: it loads the suite's plugin files itself)."""
    import torch

    launcher_options("gpus", options)
    n = torch.cuda.device_count()
    if n < 1:
        raise CmrbenchError("launcher 'gpus' needs at least one visible CUDA device; use --launcher local")
    work = [(d, f"cuda:{i % n}") for i, d in enumerate(dirs)]
    with ProcessPoolExecutor(max_workers=n, mp_context=mp.get_context("spawn")) as pool:
        return list(pool.map(_worker, work))
