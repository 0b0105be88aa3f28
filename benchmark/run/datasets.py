"""A run's data: every data set resolved to a manifest with per-case content digests, and the written splits."""
from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..data.manifest import load_manifest, write_manifest
from ..data.problems import Problem
from ..digest import FileDigests, case_digest, digest_json
from ..errors import CmrbenchError
from ..suite import Suite
from .sources import resolve_source
from .splits import SplitTable, holdout_subjects, split_subjects

Progress = Callable[[str], Callable[[Iterable], Iterable]]


@dataclass(frozen=True)
class RunData:
    """Manifests (with a case_digest column) and splits of every data set; picklable for launchers."""

    manifests: dict[str, str]  # data set name -> manifest CSV
    splits: dict[str, dict[str, str]]  # data set name -> subject -> train | val | test | oracle_val
    sources: tuple[str, ...]
    targets: tuple[str, ...]
    domain_by: str = "dataset"

    def frame(self, name: str) -> pd.DataFrame:
        """A data set's manifest with its split column filled from the written splits."""
        path = Path(self.manifests[name])
        df = _load(path, path.stat().st_mtime_ns).copy()
        if name in self.splits:
            df["split"] = df["subject"].map(self.splits[name]).fillna("")
        return df

    def source_rows(self) -> pd.DataFrame:
        """Every source data set's rows in one frame (paths made absolute), with a `domain` column."""
        frames = []
        for name in self.sources:
            df = self.frame(name)
            root = Path(df.attrs["root"])
            df["image"] = [str(root / p) if p else "" for p in df["image"]]
            df["label"] = [str(root / p) if p else "" for p in df["label"]]
            df["domain"] = df["dataset"] if self.domain_by == "dataset" else df[self.domain_by].astype(str)
            frames.append(df)
        out = pd.concat(frames, ignore_index=True)
        out.attrs["root"] = "/"
        return out

    def domains(self) -> list[str]:
        """The domains of a leave-one-domain-out protocol, in order."""
        return sorted(self.source_rows()["domain"].unique())


@functools.lru_cache(maxsize=64)
def _load(path: Path, mtime_ns: int) -> pd.DataFrame:
    """A run manifest read once per version of the file (planning asks for each data set many times)."""
    return load_manifest(path)


def rows_digest(rows: pd.DataFrame) -> str:
    """The content of a set of cases, independent of row order."""
    return digest_json(sorted(zip(rows["dataset"], rows["subject"], rows["phase"], rows["case_digest"])))


def _with_digests(df: pd.DataFrame, files: FileDigests) -> pd.DataFrame:
    root = df.attrs.get("root", ".")
    df = df.copy()
    df["case_digest"] = [case_digest(r, root, files) for r in df.to_dict("records")]
    return df


def resolve_data(suite: Suite, base: Path, cache: Path, out: Path,
                 progress: Progress) -> tuple[RunData, list[Problem]]:
    """Generate or index every data set, digest its cases, and split sources (and targets for oracle)."""
    files = FileDigests(cache / "digests.json")
    manifests, problems = {}, []
    for src in suite.data.all:
        df, found = resolve_source(src, base, cache, progress=progress(f"generating {src.name}"))
        problems += found
        if df.empty:
            raise CmrbenchError(f"data set '{src.name}': no usable case (see errors.csv of the run)")
        root = Path(df.attrs["root"])
        df = df.assign(image=[str(root / p) if p else "" for p in df["image"]],
                       label=[str(root / p) if p else "" for p in df["label"]])
        path = out / "manifests" / f"{src.name}.csv"  # per run: a shared cache may hold another 'acdc'
        write_manifest(_with_digests(df, files).to_dict("records"), path)
        manifests[src.name] = str(path)
    files.save()
    splits = _splits(suite, base, out, manifests)
    return RunData(manifests, splits, tuple(s.name for s in suite.data.sources),
                   tuple(t.name for t in suite.data.targets), suite.protocol.by), problems


def _splits(suite: Suite, base: Path, out: Path, manifests: dict[str, str]) -> dict[str, dict[str, str]]:
    table = SplitTable(out)
    splits = {}
    for src in suite.data.sources:
        subjects = sorted(load_manifest(manifests[src.name])["subject"].unique())
        splits[src.name] = table.ensure(src.name, subjects,
                                        lambda s: split_subjects(s, src.split, base, src.name))
    if "oracle" in suite.training.selection.rules:
        for tgt in suite.data.targets:
            labelled = load_manifest(manifests[tgt.name])
            subjects = sorted(labelled.loc[labelled["label"] != "", "subject"].unique())
            frac = suite.training.selection.oracle_fraction
            splits[tgt.name] = table.ensure(tgt.name, subjects, lambda s: holdout_subjects(s, frac, tgt.name))
    table.write()
    return splits
