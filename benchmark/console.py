"""The shared rich console and a progress-bar wrapper for long loops."""
from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from typing import TypeVar

from rich.console import Console

T = TypeVar("T")

console = Console(stderr=False, highlight=False)
err_console = Console(stderr=True, highlight=False)


def track(items: Iterable[T], description: str, total: int | None = None) -> Iterator[T]:
    """Iterate with a rich progress bar (ETA) on a terminal, silently elsewhere."""
    if not console.is_terminal or os.environ.get("CMRBENCH_NO_PROGRESS"):
        yield from items
        return
    from rich.progress import track as rich_track

    yield from rich_track(items, description=description, total=total, console=console, transient=True)
