"""Training progress: a rich bar on a terminal; nothing elsewhere (logs stay readable)."""
from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from ..console import console


@contextmanager
def training_progress(description: str, total: int) -> Iterator[Callable[[int, int, float], None]]:
    """A callback (step, total, loss) that advances a progress bar while the block runs."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    quiet = not console.is_terminal or bool(os.environ.get("CMRBENCH_NO_PROGRESS"))
    with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                  TimeRemainingColumn(), TextColumn("{task.fields[loss]}"), console=console, disable=quiet,
                  transient=True) as bar:
        task = bar.add_task(f"training {description}", total=total, completed=0, loss="")
        yield lambda step, total_, loss: bar.update(task, completed=step, loss=f"loss {loss:.3f}")
