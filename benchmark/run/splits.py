"""Subject-level splits, written down: OUT/splits.csv (dataset, subject, split) made on the first run and reused.

A split is data (as nnU-Net's splits_final.json): a rerun, a resumed run or a run with another target list
trains on exactly the same subjects. A user's split file is read by content, never by path.
"""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from ..atomic import write_csv_atomic
from ..errors import CmrbenchError
from ..suite import Split
from .sources import resolve_path

SPLITS_FILE = "splits.csv"


def _sizes(n: int, split: Split | None) -> tuple[int, int, int]:
    if split is None or all(v is None for v in (split.train, split.val, split.test)):
        n_val, n_test = max(1, round(0.2 * n)), max(1, round(0.2 * n))
        return n - n_val - n_test, n_val, n_test
    n_val, n_test = split.val or 0, split.test or 0
    n_train = split.train if split.train is not None else n - n_val - n_test
    return n_train, n_val, n_test


def _read(path: Path, what: str, columns: tuple[str, ...] | list[str] = ("subject", "split")) -> pd.DataFrame:
    """A splits CSV, or one CmrbenchError naming it and what is wrong."""
    from ..data.csvfile import read_csv_text
    from ..data.problems import DataError

    if not path.is_file():
        raise CmrbenchError(f"{what} {path}: no such file")
    try:
        df = read_csv_text(path)
    except DataError as err:
        raise CmrbenchError(f"{what} {path}: {err.problem.why}") from None
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise CmrbenchError(f"{what} {path}: needs column(s) {', '.join(missing)}")
    return df


def split_subjects(subjects: list[str], split: Split | None, base: Path, dataset: str = "") -> dict[str, str]:
    """subject -> train | val | test: a fixed shuffle and the suite's sizes, or the suite's split file."""
    subjects = sorted(set(subjects))
    if split is not None and split.file:
        path = resolve_path(base, split.file)
        table = _read(path, "split file")
        if not {"subject", "split"} <= set(table.columns):
            raise CmrbenchError(f"split file {path}: needs columns subject, split")
        return dict(zip(table["subject"], table["split"]))
    order = [subjects[i] for i in np.random.default_rng(0).permutation(len(subjects))]
    n_train, n_val, n_test = _sizes(len(order), split)
    if n_train + n_val + n_test > len(order) or n_train < 1:
        raise CmrbenchError(f"data set '{dataset}': split train={n_train} val={n_val} test={n_test} needs more "
                            f"than its {len(order)} subjects")
    return dict(zip(order, ["train"] * n_train + ["val"] * n_val + ["test"] * n_test))


def holdout_subjects(subjects: list[str], fraction: float, dataset: str) -> dict[str, str]:
    """A target's labelled validation part for oracle selection (`oracle_val`); the rest is `test`."""
    subjects = sorted(set(subjects))
    rng = np.random.default_rng([0, len(dataset), *dataset.encode()])
    order = [subjects[i] for i in rng.permutation(len(subjects))]
    n_val = max(1, round(fraction * len(order))) if len(order) > 1 else 0
    return {s: "oracle_val" if i < n_val else "test" for i, s in enumerate(order)}


class SplitTable:
    """OUT/splits.csv: every (dataset, subject) with its split; computed parts are added, written ones kept."""

    def __init__(self, out: Path) -> None:
        self.path = Path(out) / SPLITS_FILE
        self.table: dict[tuple[str, str], str] = {}
        if self.path.is_file():
            df = _read(self.path, "splits", ["dataset", "subject", "split"])
            self.table = {(d, s): p for d, s, p in zip(df["dataset"], df["subject"], df["split"])}

    def datasets(self) -> set[str]:
        """Data sets the table already splits."""
        return {d for d, _ in self.table}

    def ensure(self, dataset: str, subjects: list[str], make: Callable[[list[str]], dict[str, str]]) -> dict[str, str]:
        """The written split of a data set, or a new one from `make(subjects)`; a changed subject list is an error."""
        written = {s: p for (d, s), p in self.table.items() if d == dataset}
        if written:
            if set(written) != set(subjects):
                extra = sorted(set(subjects) - set(written))[:3]
                gone = sorted(set(written) - set(subjects))[:3]
                raise CmrbenchError(f"{self.path}: the subjects of '{dataset}' changed since it was written "
                                    f"(new: {extra or 'none'}, gone: {gone or 'none'}); remove its rows (or the "
                                    "file) to split again, or use another --out")
            return written
        made = make(subjects)
        unknown = sorted(set(subjects) - set(made))
        if unknown:
            raise CmrbenchError(f"the split of '{dataset}' does not name subject(s) {unknown[:3]}")
        self.table.update({(dataset, s): made[s] for s in subjects})
        return {s: made[s] for s in subjects}

    def write(self) -> None:
        """Write the table (atomically)."""
        rows = [{"dataset": d, "subject": s, "split": p} for (d, s), p in sorted(self.table.items())]
        write_csv_atomic(pd.DataFrame(rows, columns=["dataset", "subject", "split"]), self.path, index=False)
