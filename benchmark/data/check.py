"""Open every file of a manifest and list every problem, file by file."""
from __future__ import annotations

from collections.abc import Callable, Iterable

import pandas as pd
from pathlib import Path

from .isolate import case_problem, image_file
from .loader import load_case
from .problems import Problem


def check_rows(df: pd.DataFrame, progress: Callable[[Iterable], Iterable] = iter) -> list[Problem]:
    """Load every row fully (image, label, values); one Problem per unusable case."""
    problems: list[Problem] = []
    root = df.attrs.get("root", ".")
    for _, row in progress(list(df.iterrows())):
        try:
            load_case(row, root)
        except Exception as exc:  # any failure is this case's problem, never the check's
            problems.append(case_problem(exc, Path(root) / image_file(row), row))
    return problems


def usable(df: pd.DataFrame, problems: list[Problem]) -> pd.DataFrame:
    """The rows of `df` that no error-severity problem names."""
    bad = {(p.dataset, p.subject, p.phase) for p in problems if p.severity == "error"}
    keep = [(d, s, p) not in bad for d, s, p in zip(df["dataset"], df["subject"], df["phase"])]
    out = df[keep].reset_index(drop=True)
    out.attrs.update(df.attrs)
    return out
