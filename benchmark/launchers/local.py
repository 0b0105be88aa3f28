"""`local`: one job after another in this process, each exactly as `cmrbench run-job` runs it."""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from . import launcher_options, register_launcher


@register_launcher("local")
def local(dirs: Sequence[Path], device: str, options: dict[str, Any]) -> list[dict[str, Any]]:
    """One job after another on one device."""
    from ..run.jobfile import run_job_dir

    launcher_options("local", options)
    return [run_job_dir(d, device, launcher="local") for d in dirs]
