"""The corpus's registry: where a case writes (`Env`), what it runs (`Call`), and `CASES` in registration order."""
from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

FAMILIES = ("nifti", "layout", "manifest", "suite", "set", "checkpoint", "prediction", "runstate")


@dataclass
class Env:
    """Where a case writes: `sb` is the sandbox (snapshotted); `base`, `run`, `cache` are shared, read-only inputs."""

    sb: Path
    base: Path  # clean inputs: ACDC/ (2 patients), acdc.csv (its manifest), preds/ (perfect predictions)
    run: Path | None = None  # a finished tiny run: results/, jobs/<id>/best.pt, manifests/, splits.csv
    cache: Path | None = None  # that run's cache (a generated ukbb cohort)
    suite: dict | None = None  # that run's suite

    @property
    def inp(self) -> Path:
        return self.sb / "in"

    @property
    def out(self) -> Path:
        return self.sb / "out"

    @property
    def work(self) -> Path:
        """The command's current folder (inside the sandbox, so that writes there are seen)."""
        return self.sb / "work"

    @property
    def marker(self) -> Path:
        """A file that only executed input would create."""
        return self.sb / "MARKER"

    # the clean inputs, copied into the sandbox -----------------------------------------------------------
    def inputs(self) -> Path:
        if not (self.inp / "ACDC").exists():
            shutil.copytree(self.base, self.inp, symlinks=True, dirs_exist_ok=True)
        return self.inp

    def acdc(self, n: int = 1, suffix: str = "frame01.nii.gz") -> Path:
        self.inputs()
        return self.inp / "ACDC" / "training" / f"patient{n:03d}" / f"patient{n:03d}_{suffix}"

    @property
    def manifest(self) -> Path:
        self.inputs()
        return self.inp / "acdc.csv"

    def pred(self, subject: str = "patient001", phase: str = "ED") -> Path:
        self.inputs()
        return self.inp / "preds" / f"{subject}_{phase}.nii.gz"

    def best_pt(self) -> Path:
        assert self.run is not None
        return next(self.run.glob("jobs/*/best.pt"))


@dataclass
class Call:
    """One command on hostile input and what the promise needs to know to judge it."""

    args: list[str]
    allowed: list[Path] = field(default_factory=list)  # folders (or files) the command may create or change
    names: list[str] = field(default_factory=list)  # one of these must be named by the error line or an errors row
    limited: bool = False  # run in a subprocess under a memory limit and a timeout
    max_seconds: float | None = None  # the command itself (imports excluded) must finish within this
    accept_ok: Callable[[], bool] | None = None  # exit 0 without a row is fine if this says the input was handled
    report_lines: bool = False  # the command writes no errors file: its printed error/warning lines are its rows
    skip: str = ""


@dataclass(frozen=True)
class Case:
    id: str
    family: str
    build: Callable[[Env], Call]
    needs_run: bool = False  # needs the session's tiny trained run (checkpoint, results, cache)


CASES: list[Case] = []


def case(family: str, name: str, needs_run: bool = False):  # type: ignore[no-untyped-def]
    assert family in FAMILIES

    def deco(fn: Callable[[Env], Call]) -> Callable[[Env], Call]:
        CASES.append(Case(f"{family}-{name}", family, fn, needs_run))
        return fn

    return deco


def add(family: str, name: str, fn: Callable[[Env], Call], needs_run: bool = False) -> None:
    case(family, name, needs_run)(fn)
