"""The four built-in cohorts, each mirroring one data set of the reference study, and their generation."""
from __future__ import annotations

import errno
import glob
import multiprocessing as mp
import os
import re
import shutil
import socket
import string
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..atomic import write_csv_atomic
from ..errors import CmrbenchError
from ..registry import Registry
from .profiles import SITES
from .subject import SubjectSpec, generate_subject


@dataclass(frozen=True)
class Cohort:
    """Which sites, scanners and pathologies a cohort draws from, and how it is written to disk."""

    name: str
    sites: dict[str, float]  # site -> share of subjects
    pathologies: dict[str, float]  # group -> share of subjects (balanced exactly when `balanced`)
    layout: str  # writer in benchmark.synth.writers
    labelled: dict[str, tuple[str, ...]]  # phase -> structures written to the label files
    cine_frames: int = 0
    ed_first: bool = False  # ED is the first cine frame (ACDC)
    balanced: bool = False
    description: str = ""


COHORTS: Registry[Cohort] = Registry("cohort")
ALL = ("LV", "MYO", "RV")

for _c in [
    Cohort("ukbb", {"ukbb": 1.0}, {"NOR": 0.88, "DCM": 0.03, "HCM": 0.04, "MINF": 0.05}, "ukbb",
           {"ED": ALL, "ES": ALL}, description="UK Biobank-like: one 1.5T Siemens Aera, 1.8 mm, 8 mm + 2 mm gap"),
    Cohort("ukbb-random", {"ukbb-randomised": 1.0}, {"NOR": 0.88, "DCM": 0.03, "HCM": 0.04, "MINF": 0.05}, "ukbb",
           {"ED": ALL, "ES": ALL}, description="ukbb's anatomy and geometry; contrast and imaging drawn per "
                                               "subject (domain randomisation)"),
    Cohort("ukbb-bssfp", {"ukbb-bssfp": 1.0}, {"NOR": 0.88, "DCM": 0.03, "HCM": 0.04, "MINF": 0.05}, "ukbb",
           {"ED": ALL, "ES": ALL}, description="ukbb's anatomy and geometry; bSSFP contrast from relaxation times, "
                                               "flip angle, TR and field drawn per subject, imaging drawn"),
    Cohort("acdc", {"acdc-dijon": 1.0}, {g: 0.2 for g in ("NOR", "DCM", "HCM", "MINF", "ARV")}, "acdc",
           {"ED": ALL, "ES": ALL}, cine_frames=6, ed_first=True, balanced=True,
           description="ACDC-like: one site, 1.5T Aera / 3T Trio Tim, five groups of 20 %"),
    Cohort("bscmr", {"bscmr-a": 0.25, "bscmr-b": 0.25, "bscmr-c": 0.15, "bscmr-d": 0.12, "bscmr-e": 0.12,
                     "bscmr-f": 0.11}, {"AS": 1.0}, "manifest",
           {"ED": ("LV", "MYO"), "ES": ("LV",)},
           description="BSCMR-AS-like: 6 sites, 9 scanners, aortic stenosis; LV at ED/ES, MYO at ED"),
    Cohort("mnms", {"mnms-1": 0.3, "mnms-2": 0.2, "mnms-3": 0.2, "mnms-4": 0.2, "mnms-5": 0.1},
           {"NOR": 0.25, "DCM": 0.2, "HCM": 0.3, "ARV": 0.1, "MINF": 0.15}, "mnms", {"ED": ALL, "ES": ALL},
           cine_frames=8, description="M&Ms-like: 5 centres, 4 vendors, 4D cines labelled at ED and ES"),
]:
    COHORTS.add(_c.name, _c, origin="built-in")


def _pick(rng: np.random.Generator, shares: dict[str, float]) -> str:
    names = list(shares)
    p = np.array([shares[n] for n in names], float)
    return str(rng.choice(names, p=p / p.sum()))


GENERATOR_VERSION = 4  # part of a cohort's identity (cache folder, truth.csv): bump when the output changes
_ALPHABET = list(string.ascii_uppercase + string.digits)


def _subject_id(cohort: str, layout: str, i: int, rng: np.random.Generator) -> str:
    """Subject i's id in the naming habit of the real data set it is written as."""
    if layout == "ukbb":
        return str(int(rng.integers(1_000_000, 6_000_000)))
    if layout == "acdc":
        return f"patient{i + 1:03d}"
    if layout == "mnms":
        return "".join(rng.choice(_ALPHABET, 6))
    return f"{cohort.upper()}{i + 1:04d}"


def _group(cohort: Cohort, seed: int, i: int, rng: np.random.Generator) -> str:
    """Subject i's pathology: exact shares per block of groups when balanced, else drawn by share."""
    if not cohort.balanced:
        return _pick(rng, cohort.pathologies)
    groups = list(cohort.pathologies)
    block = np.random.default_rng([seed, 3, i // len(groups)]).permutation(len(groups))
    return groups[int(block[i % len(groups)])]


def plan(cohort: Cohort, n: int, seed: int) -> list[SubjectSpec]:
    """Who is in the cohort: subject ids, site, scanner, pathology and a per-subject seed.

    Prefix-stable: subject i depends only on (seed, i), so cohorts of 10 and 100 share their first 10."""
    specs: list[SubjectSpec] = []
    seen: set[str] = set()
    for i in range(n):
        rng = np.random.default_rng([seed, 2, i])
        sid = _subject_id(cohort.name, cohort.layout, i, rng)
        while sid in seen:  # a clash with an earlier subject: draw again (still a function of the prefix)
            sid = _subject_id(cohort.name, cohort.layout, i, rng)
        seen.add(sid)
        group = _group(cohort, seed, i, rng)
        site = _pick(rng, cohort.sites)
        scanner = _pick(rng, SITES.get(site).scanners)
        specs.append(SubjectSpec(sid, site, scanner, group, (seed, 1, i)))
    return specs


def _work(args: tuple[SubjectSpec, Cohort, str, int, int]) -> tuple[list[dict], dict]:
    from .writers import WRITERS

    spec, cohort, root, index, n = args
    subject = generate_subject(spec, cohort.cine_frames, cohort.ed_first)
    return WRITERS[cohort.layout](subject, cohort, Path(root), index, n)


def _exit_with_parent(parent: int, every_s: float = 0.2) -> None:
    """Worker initializer: leave as soon as the process that started this worker is gone (kill -9 included).

    A pool worker otherwise waits on its task queue for ever once its parent is killed."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(every_s)
        os._exit(1)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _host() -> str:
    return re.sub(r"[^A-Za-z0-9-]+", "-", socket.gethostname()) or "host"


def _partial_name(out: Path, pid: int) -> Path:
    """Where process `pid` of this machine writes the cohort before it is complete."""
    return out.with_name(f".{out.name}.{_host()}.{pid}.partial")


def _remove_abandoned(out: Path) -> None:
    """Delete the unfinished folders left by generations of this machine whose process is gone (killed mid-way)."""
    prefix = f".{out.name}.{_host()}."
    for folder in out.parent.glob(f"{glob.escape(prefix)}*.partial"):
        pid = folder.name[len(prefix):-len(".partial")]
        if pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(folder, ignore_errors=True)


def _is_cache_folder(out: Path, name: str, n: int, seed: int) -> bool:
    """Whether `out` is a run cache's folder for exactly this cohort (then cmrbench may replace what it holds)."""
    from ..run.sources import cohort_folder

    return out.name == cohort_folder(name, n, seed)


def _publish(work: Path, out: Path, replaceable: bool) -> None:
    """Rename the finished folder `work` to `out`. Where `out` is a cache folder of this cohort, one that another
    run finished first is kept, and an unfinished one (no truth.csv: an older version killed while writing in
    place) is replaced."""
    for _ in range(3):
        try:
            work.rename(out)  # onto a missing or empty folder
            return
        except OSError as exc:
            if exc.errno not in (errno.ENOTEMPTY, errno.EEXIST) or not replaceable:
                raise CmrbenchError(f"{out}: cannot put the generated cohort there ({exc.strerror})") from None
        if (out / "truth.csv").is_file():
            shutil.rmtree(work, ignore_errors=True)  # the same cohort, written by another run sharing the cache
            return
        stale = out.with_name(f".{out.name}.{os.getpid()}.stale")
        try:
            out.rename(stale)
        except FileNotFoundError:
            continue
        shutil.rmtree(stale, ignore_errors=True)
    raise CmrbenchError(f"{out}: cannot put the generated cohort there (another process keeps replacing it)")


def _generate(cohort: Cohort, out: Path, n: int, seed: int, workers: int | None,
              progress: Callable[[Iterable], Iterable]) -> pd.DataFrame:
    from .writers import FINISHERS

    specs = plan(cohort, n, seed)
    jobs = [(s, cohort, str(out), i, n) for i, s in enumerate(specs)]
    workers = workers or min(len(jobs), os.cpu_count() or 1)
    if workers > 1:
        # spawn: a worker inherits no open file of the caller (a forked one would hold a run's lock for ever)
        with ProcessPoolExecutor(workers, mp_context=mp.get_context("spawn"), initializer=_exit_with_parent,
                                 initargs=(os.getpid(),)) as pool:
            results = list(progress(pool.map(_work, jobs)))
    else:
        results = [_work(j) for j in progress(jobs)]
    truth = pd.DataFrame([row for rows, _ in results for row in rows])
    FINISHERS[cohort.layout](out, [meta for _, meta in results])
    write_csv_atomic(truth, out / "truth.csv", index=False, float_format="%.4f")  # last: it marks the end
    return truth


def generate_cohort(name: str, out: Path, n: int, seed: int = 0, workers: int | None = None,
                    progress: Callable[[Iterable], Iterable] = iter) -> pd.DataFrame:
    """Write `n` subjects of cohort `name` under `out` in its real layout, plus truth.csv; returns truth.

    The cohort is written to a hidden sibling folder and renamed to `out` when complete (truth.csv last), so
    `out` never holds half a cohort: a run killed mid-way leaves only that sibling, removed by the next call,
    and two runs sharing a cache never write the same files. `out` must be missing or empty, unless it is a run
    cache's folder of this very cohort (see run.sources.cohort_folder)."""
    cohort = COHORTS.get(name)
    out = Path(out)
    replaceable = _is_cache_folder(out, name, n, seed)
    if out.exists() and not out.is_dir():
        raise CmrbenchError(f"{out}: not a directory")
    if not replaceable and out.is_dir() and any(out.iterdir()):
        raise CmrbenchError(f"{out} is not empty; choose an empty or new folder for the cohort")
    out.parent.mkdir(parents=True, exist_ok=True)
    _remove_abandoned(out)
    work = _partial_name(out, os.getpid())
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()
    try:
        truth = _generate(cohort, work, n, seed, workers, progress)
        _publish(work, out, replaceable)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return truth


def clinical_summary(truth: pd.DataFrame) -> pd.DataFrame:
    """Per subject from truth.csv: group, LVEDV, LVEF, LVM, RVEDV, RVEF and maximal wall thickness."""
    ed = truth[truth.phase == "ED"].set_index("subject")
    es = truth[truth.phase == "ES"].set_index("subject")
    return pd.DataFrame({"group": ed.pathology, "LVEDV": ed.lv_ml, "LVEF": 100 * (1 - es.lv_ml / ed.lv_ml),
                         "LVM": 1.05 * ed.myo_ml, "RVEDV": ed.rv_ml, "RVEF": 100 * (1 - es.rv_ml / ed.rv_ml),
                         "wall": ed.max_wall_mm})
