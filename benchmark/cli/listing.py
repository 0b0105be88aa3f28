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
    from ..console import console
    from ..data.adapters import DATASETS

    table = _table("name", "origin", "reads")
    for e in DATASETS.entries(pattern):
        table.add_row(e.name, e.origin, e.obj.description)
    console.print(table)


def _table(*columns: str):
    from rich.table import Table

    return Table(*columns)


def _print_broken(group: str) -> None:
    from ..console import console
    from ..plugins import BROKEN

    for b in BROKEN:
        if b.group == group:
            console.print(f"[yellow]plugin '{b.name}' ({b.target}) failed to load:[/] {b.error}", soft_wrap=True)


@lister("models")
def _models(pattern: str) -> None:
    import fnmatch

    from ..console import console
    from ..models import MODELS, count_parameters, create_model

    table = _table("name", "origin", "parameters (default settings)", "notes")
    for e in MODELS.entries(pattern):
        n = count_parameters(create_model(e.name))
        preset = e.meta.get("preset")
        note = f"{e.meta['base']} with {', '.join(f'{k}={v}' for k, v in preset.items())}" if preset else ""
        table.add_row(e.name, e.origin, f"{n / 1e6:.3f} M", note)
    for e in MODELS.namespaces():
        if fnmatch.fnmatchcase(e.name, pattern) or pattern == "*":
            table.add_row(e.name, e.origin, "depends on encoder", str(e.meta.get("note", "")))
    console.print(table)
    _print_broken("cmrbench.models")


@lister("policies")
def _policies(pattern: str) -> None:
    from ..augment.ops import OPS
    from ..augment.registry import POLICIES, create_policy
    from ..console import console

    table = _table("name", "origin", "operations and parameters (crop 256)")
    for e in POLICIES.entries(pattern):
        table.add_row(e.name, e.origin, create_policy(e.name).describe())
    console.print(table)
    console.print(f"operations for suite-defined policies: {', '.join(OPS.names())}")
    _print_broken("cmrbench.policies")


@lister("algorithms")
def _algorithms(pattern: str) -> None:
    from ..algorithms import ALGORITHMS
    from ..console import console

    table = _table("name", "origin", "what", "hyperparameters (defaults)")
    for e in ALGORITHMS.entries(pattern):
        doc = (e.obj.__doc__ or "").strip().splitlines()
        params = ", ".join(f"{k}={v!r}" for k, v in e.obj.hyperparameters().items())
        table.add_row(e.name, e.origin, doc[0] if doc else "", params or "none")
    console.print(table)
    _print_broken("cmrbench.algorithms")


@lister("leaderboards")
def _leaderboards(pattern: str) -> None:
    from ..console import console
    from ..leaderboards import LEADERBOARDS

    table = _table("name", "origin", "what")
    for e in LEADERBOARDS.entries(pattern):
        table.add_row(e.name, e.origin, e.meta["title"])
    console.print(table)


@lister("launchers")
def _launchers(pattern: str) -> None:
    from rich.text import Text

    from ..console import console
    from ..launchers import LAUNCHERS

    table = _table("name", "origin", "what", "needs")
    for e in LAUNCHERS.entries(pattern):
        doc = (e.obj.__doc__ or "").strip().splitlines()
        extra = e.meta.get("extra")
        needs = Text(f"pip install 'cmrbench[{extra}]'" if extra else "")  # Text: [ray] is not markup
        table.add_row(e.name, e.origin, doc[0] if doc else "", needs)
    console.print(table)
    _print_broken("cmrbench.launchers")


@lister("shifts")
def _shifts(pattern: str) -> None:
    from rich.text import Text

    from ..console import console
    from ..shifts import SHIFTS

    table = _table("name", "kind", "severities 1-5", "origin")
    for e in SHIFTS.entries(pattern):
        table.add_row(e.name, e.meta["kind"], Text(e.meta["levels"]), e.origin)
    console.print(table)
    _print_broken("cmrbench.shifts")


@lister("cohorts")
def _cohorts(pattern: str) -> None:
    from ..console import console
    from ..synth.cohorts import COHORTS

    table = _table("name", "layout", "sites", "pathologies", "labels", "description")
    for e in COHORTS.entries(pattern):
        c = e.obj
        labels = "; ".join(f"{p}: {'+'.join(s)}" for p, s in c.labelled.items())
        table.add_row(e.name, c.layout, ", ".join(c.sites), ", ".join(c.pathologies), labels, c.description)
    console.print(table)


@lister("scanners")
def _scanners(pattern: str) -> None:
    from ..console import console
    from ..synth.profiles import SCANNERS

    table = _table("name", "vendor", "model", "T", "SNR", "gamma", "k-space", "bias", "banding", "origin")
    for e in SCANNERS.entries(pattern):
        s = e.obj
        table.add_row(e.name, s.vendor, s.model, f"{s.field_strength_t:g}", f"{s.snr:g}", f"{s.gamma:g}",
                      f"{s.kspace:g}", f"{s.bias:g}", f"{s.banding:g}", e.origin)
    console.print(table)


@lister("sites")
def _sites(pattern: str) -> None:
    from ..console import console
    from ..synth.profiles import SITES

    table = _table("name", "scanners (share)", "spacing mm", "FOV mm", "slice+gap mm", "orientation", "origin")
    for e in SITES.entries(pattern):
        s = e.obj
        scanners = ", ".join(f"{k} ({v:.0%})" for k, v in s.scanners.items())
        orient = f"rot {90 * s.rotate90}" + (", flip" if s.flip else "") + (", apex first" if s.apex_first else "")
        fov = f"{s.fov_mm[0]:g}x{s.fov_mm[1]:g}" if s.fov_range is None else \
            f"{s.fov_range[0][0]:g}-{s.fov_range[0][1]:g} x {s.fov_range[1][0]:.0%}-{s.fov_range[1][1]:.0%}"
        table.add_row(e.name, scanners, f"{s.spacing_mm[0]:g}-{s.spacing_mm[1]:g}", fov,
                      f"{'/'.join(f'{t:g}' for t in s.slice_mm)} + {'/'.join(f'{g:g}' for g in s.gap_mm)}", orient,
                      e.origin)
    console.print(table)


@app.command("list")
def list_(kind: str = typer.Argument(..., help="models, policies, algorithms, datasets, leaderboards, launchers, "
                                     "shifts, cohorts, scanners or sites"),
          pattern: str = typer.Argument("*", help="wildcard filter, e.g. 'unet*'")) -> None:
    """List what is registered, with where each comes from."""
    from ..errors import CmrbenchError

    if kind not in LISTERS:
        raise CmrbenchError(f"cannot list '{kind}' (choose from: {', '.join(sorted(LISTERS))})")
    LISTERS[kind](pattern)
