"""Resolve a suite's data sets to manifests: generate synthetic cohorts, index downloads, split the source."""
from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

import pandas as pd

from ..data.adapters import index_dataset
from ..data.manifest import load_manifest, to_frame, write_manifest
from ..data.problems import Problem
from ..errors import CmrbenchError
from ..suite import DataSource

# a synthetic cohort's on-disk layout -> (adapter, file or folder inside the cohort it reads)
LAYOUT_ADAPTER = {"ukbb": ("ukbb", ""), "acdc": ("acdc", ""), "mnms": ("mnms", ""),
                  "manifest": ("manifest", "manifest.csv")}


def resolve_path(base: Path, value: str) -> Path:
    """A suite's path: absolute as given, else relative to the suite's folder."""
    p = Path(value).expanduser()
    return p if p.is_absolute() else base / p


def cohort_folder(cohort: str, subjects: int, seed: int) -> str:
    """A generated cohort's cache folder: its generator version and parameters (its identity)."""
    from ..synth.cohorts import GENERATOR_VERSION

    return f"{cohort}-v{GENERATOR_VERSION}-n{subjects}-s{seed}"


def resolve_source(src: DataSource, base: Path, cache: Path,
                   progress: Callable[[Iterable], Iterable] = iter) -> tuple[pd.DataFrame, list[Problem]]:
    """The data set's manifest (dataset column = the suite's name for it) and indexing problems."""
    if src.synth is not None:
        from ..synth.cohorts import COHORTS, generate_cohort

        cohort = COHORTS.get(src.synth.cohort)
        folder = cache / "synth" / cohort_folder(src.synth.cohort, src.synth.subjects, src.synth.seed)
        if not (folder / "truth.csv").is_file():
            generate_cohort(src.synth.cohort, folder, src.synth.subjects, src.synth.seed, progress=progress)
        adapter, inner = LAYOUT_ADAPTER[cohort.layout]
        result = index_dataset(adapter, folder / inner if inner else folder)
    elif src.adapter is not None:
        root = resolve_path(base, src.root or "")
        if not root.exists():
            raise CmrbenchError(f"data set '{src.name}': root {root} does not exist")
        result = index_dataset(src.adapter, root)
    else:
        manifest = resolve_path(base, src.manifest or "")
        if not manifest.is_file():
            raise CmrbenchError(f"data set '{src.name}': manifest {manifest} does not exist")
        df = load_manifest(manifest)
        df["dataset"] = src.name
        return df, [Problem(p.file, p.what, p.why, src.name, p.subject, p.phase, p.severity)
                    for p in df.attrs["problems"]]
    target = cache / "manifests" / f"{src.name}.csv"
    rows = [{**r, "dataset": src.name} for r in result.rows]
    df = write_manifest(rows, target) if rows else to_frame([])
    problems = [Problem(p.file, p.what, p.why, src.name, p.subject, p.phase, p.severity) for p in result.problems]
    return df, problems
