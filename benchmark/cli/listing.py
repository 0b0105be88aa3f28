"""`cmrbench list KIND`: what is registered, built-in and plugins, and where each comes from."""
from __future__ import annotations

from collections.abc import Callable

import typer

from . import app

LISTERS: dict[str, Callable[[str], None]] = {}


def lister(kind: str) -> Callable[[Callable[[str], None]], Callable[[str], None]]:
    """Register the function that prints one kind of registered thing."""

    def deco(fn: Callable[[str], None]) -> Callable[[str], None]:
        LISTERS[kind] = fn
        return fn

    return deco


@lister("datasets")
def _datasets(pattern: str) -> None:
    from rich.table import Table

    from ..console import console
    from ..data.adapters import DATASETS

    table = Table("name", "origin", "reads")
    for e in DATASETS.entries(pattern):
        table.add_row(e.name, e.origin, e.obj.description)
    console.print(table)


@app.command("list")
def list_(kind: str = typer.Argument(..., help="models, policies, datasets or leaderboards"),
          pattern: str = typer.Argument("*", help="wildcard filter, e.g. 'unet*'")) -> None:
    """List what is registered, with where each comes from."""
    from ..errors import CmrbenchError

    if kind not in LISTERS:
        raise CmrbenchError(f"cannot list '{kind}' (choose from: {', '.join(sorted(LISTERS))})")
    LISTERS[kind](pattern)
