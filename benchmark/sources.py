"""Resolve a suite's data sets to manifests: generate synthetic cohorts, index downloads, split the source."""
from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from .data.adapters import get_adapter
from .data.manifest import load_manifest, to_frame, write_manifest
from .data.problems import Problem
from .errors import CmrbenchError
from .suite import DataSource, Split

# synthetic cohort -> (adapter, file or folder inside the cohort it reads)
COHORT_ADAPTER = {"ukbb": ("ukbb", ""), "acdc": ("acdc", ""), "mnms": ("mnms", ""), "bscmr": ("manifest", "manifest.csv")}


def resolve_path(base: Path, value: str) -> Path:
    p = Path(value).expanduser()
    return p if p.is_absolute() else base / p


def resolve_source(src: DataSource, base: Path, cache: Path,
                   progress: Callable[[Iterable], Iterable] = iter) -> tuple[pd.DataFrame, list[Problem]]:
    """The data set's manifest (dataset column = the suite's name for it) and indexing problems."""
    if src.synth is not None:
        from .synth.cohorts import COHORTS, generate_cohort

        COHORTS.get(src.synth.cohort)
        folder = cache / "synth" / f"{src.synth.cohort}-n{src.synth.subjects}-s{src.synth.seed}"
        if not (folder / "truth.csv").is_file():
            generate_cohort(src.synth.cohort, folder, src.synth.subjects, src.synth.seed, progress=progress)
        adapter, inner = COHORT_ADAPTER[src.synth.cohort]
        result = get_adapter(adapter).index(folder / inner if inner else folder)
    elif src.adapter is not None:
        root = resolve_path(base, src.root or "")
        if not root.exists():
            raise CmrbenchError(f"data set '{src.name}': root {root} does not exist")
        result = get_adapter(src.adapter).index(root)
    else:
        manifest = resolve_path(base, src.manifest or "")
        if not manifest.is_file():
            raise CmrbenchError(f"data set '{src.name}': manifest {manifest} does not exist")
        df = load_manifest(manifest)
        df["dataset"] = src.name
        return df, []
    target = cache / "manifests" / f"{src.name}.csv"
    rows = [{**r, "dataset": src.name} for r in result.rows]
    df = write_manifest(rows, target) if rows else to_frame([])
    problems = [Problem(p.file, p.what, p.why, src.name, p.subject, p.phase, p.severity) for p in result.problems]
    return df, problems


def split_subjects(df: pd.DataFrame, split: Split | None, base: Path) -> dict[str, str]:
    """subject -> train | val | test for the source data set (fixed shuffle, shared by every job)."""
    subjects = sorted(df["subject"].unique())
    if split is not None and split.file:
        table = pd.read_csv(resolve_path(base, split.file), dtype=str)
        if not {"subject", "split"} <= set(table.columns):
            raise CmrbenchError(f"split file {split.file}: needs columns subject, split")
        return dict(zip(table["subject"], table["split"]))
    rng = np.random.default_rng(0)
    order = [subjects[i] for i in rng.permutation(len(subjects))]
    n = len(order)
    if split is None or all(v is None for v in (split.train, split.val, split.test)):
        n_val, n_test = max(1, round(0.2 * n)), max(1, round(0.2 * n))
        n_train = n - n_val - n_test
    else:
        n_val, n_test = split.val or 0, split.test or 0
        n_train = split.train if split.train is not None else n - n_val - n_test
    if n_train + n_val + n_test > n or n_train < 1:
        raise CmrbenchError(f"split train={n_train} val={n_val} test={n_test} needs more than the {n} subjects "
                            "of the source data set")
    parts = ["train"] * n_train + ["val"] * n_val + ["test"] * n_test
    return dict(zip(order, parts))
