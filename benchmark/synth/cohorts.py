"""The four built-in cohorts, each mirroring one data set of the reference study, and their generation."""
from __future__ import annotations

import os
import string
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

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


GENERATOR_VERSION = 2  # part of a cohort's identity (cache folder, truth.csv): bump when the output changes
_ALPHABET = list(string.ascii_uppercase + string.digits)


def _subject_id(cohort: str, i: int, rng: np.random.Generator) -> str:
    """Subject i's id in the naming habit of the real data set."""
    if cohort == "ukbb":
        return str(int(rng.integers(1_000_000, 6_000_000)))
    if cohort == "acdc":
        return f"patient{i + 1:03d}"
    if cohort == "mnms":
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
        sid = _subject_id(cohort.name, i, rng)
        while sid in seen:  # a clash with an earlier subject: draw again (still a function of the prefix)
            sid = _subject_id(cohort.name, i, rng)
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


def generate_cohort(name: str, out: Path, n: int, seed: int = 0, workers: int | None = None,
                    progress: Callable[[Iterable], Iterable] = iter) -> pd.DataFrame:
    """Write `n` subjects of cohort `name` under `out` in its real layout, plus truth.csv; returns truth."""
    from .writers import FINISHERS

    cohort = COHORTS.get(name)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    specs = plan(cohort, n, seed)
    jobs = [(s, cohort, str(out), i, n) for i, s in enumerate(specs)]
    workers = workers or min(len(jobs), os.cpu_count() or 1)
    if workers > 1:
        with ProcessPoolExecutor(workers) as pool:
            results = list(progress(pool.map(_work, jobs)))
    else:
        results = [_work(j) for j in progress(jobs)]
    truth = pd.DataFrame([row for rows, _ in results for row in rows])
    FINISHERS[cohort.layout](out, [meta for _, meta in results])
    truth.to_csv(out / "truth.csv", index=False, float_format="%.4f")
    return truth


def clinical_summary(truth: pd.DataFrame) -> pd.DataFrame:
    """Per subject from truth.csv: group, LVEDV, LVEF, LVM, RVEDV, RVEF and maximal wall thickness."""
    ed = truth[truth.phase == "ED"].set_index("subject")
    es = truth[truth.phase == "ES"].set_index("subject")
    return pd.DataFrame({"group": ed.pathology, "LVEDV": ed.lv_ml, "LVEF": 100 * (1 - es.lv_ml / ed.lv_ml),
                         "LVM": 1.05 * ed.myo_ml, "RVEDV": ed.rv_ml, "RVEF": 100 * (1 - es.rv_ml / ed.rv_ml),
                         "wall": ed.max_wall_mm})
