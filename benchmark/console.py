"""The shared rich console and a progress-bar wrapper for long loops.

Off a terminal (a log file, a pipe, SLURM's output) the console is wide enough that no table is cut and no line
is wrapped, and progress comes as plain lines; CMRBENCH_NO_PROGRESS=1 (or `cmrbench --quiet`) turns it off.
"""
from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from typing import TypeVar

from rich.console import Console

T = TypeVar("T")

LOG_WIDTH = 4096  # columns off a terminal: tables at their natural width, lines never wrapped

console = Console(stderr=False, highlight=False)
err_console = Console(stderr=True, highlight=False)
for _c in (console, err_console):
    if not _c.is_terminal and not os.environ.get("COLUMNS"):
        _c.width = LOG_WIDTH


def progress_enabled() -> bool:
    """False under CMRBENCH_NO_PROGRESS or --quiet."""
    return not (os.environ.get("CMRBENCH_NO_PROGRESS") or console.quiet)


def track(items: Iterable[T], description: str, total: int | None = None) -> Iterator[T]:
    """Iterate with a rich progress bar (ETA) on a terminal, silently elsewhere."""
    if not console.is_terminal or not progress_enabled():
        yield from items
        return
    from rich.progress import track as rich_track

    yield from rich_track(items, description=description, total=total, console=console, transient=True)
