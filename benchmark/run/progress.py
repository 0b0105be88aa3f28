"""Training progress: a rich bar on a terminal; elsewhere (logs, SLURM, nohup) a plain line every N steps."""
from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from ..console import console, progress_enabled

Update = Callable[[int, int, float], None]  # (step, total, loss)
LINES = 20  # plain lines per training unless CMRBENCH_PROGRESS_EVERY sets the step interval


def clock(seconds: float) -> str:
    """'1h02m', '3m10s' or '42s'."""
    s = int(round(seconds))
    return f"{s // 3600}h{s % 3600 // 60:02d}m" if s >= 3600 else f"{s // 60}m{s % 60:02d}s" if s >= 60 else f"{s}s"


def every(total: int) -> int:
    """Steps between plain progress lines: CMRBENCH_PROGRESS_EVERY, else a twentieth of the training."""
    raw = os.environ.get("CMRBENCH_PROGRESS_EVERY", "")
    return max(1, int(raw)) if raw.isdigit() else max(1, round(total / LINES))


def plain_progress(description: str, total: int, lr: Callable[[int], float]) -> Update:
    """Prints 'training X: step s/N loss l lr r elapsed e eta t' every N steps and at the last."""
    interval, t0, first = every(total), time.perf_counter(), [-1]

    def update(step: int, total_: int, loss: float) -> None:
        if first[0] < 0:
            first[0] = step - 1  # a resumed run starts past 0: its rate counts only the steps it ran
        if step % interval and step != total_:
            return
        elapsed = time.perf_counter() - t0
        done = step - first[0]
        eta = elapsed / done * (total_ - step) if done else 0.0
        console.print(f"training {description}: step {step}/{total_} loss {loss:.4f} lr {lr(step - 1):.3g} "
                      f"elapsed {clock(elapsed)} eta {clock(eta)}", markup=False, highlight=False)

    return update


@contextmanager
def training_progress(description: str, total: int, lr: Callable[[int], float] = lambda step: float("nan")
                      ) -> Iterator[Update]:
    """A callback (step, total, loss): a progress bar on a terminal, plain lines elsewhere, nothing when off."""
    if not progress_enabled():
        yield lambda step, total_, loss: None
        return
    if not console.is_terminal:
        yield plain_progress(description, total, lr)
        return
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                  TimeRemainingColumn(), TextColumn("{task.fields[loss]}"), console=console,
                  transient=True) as bar:
        task = bar.add_task(f"training {description}", total=total, completed=0, loss="")
        yield lambda step, total_, loss: bar.update(task, completed=step, loss=f"loss {loss:.3f}")
