"""Small in-memory result sets with known numbers for the leaderboard and statistics tests."""
from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from benchmark.results import CASE_COLUMNS, ERROR_COLUMNS, EXPECTED_COLUMNS, JOB_COLUMNS, META_COLUMNS, Results


def toy_results(subjects: int = 8, seeds: tuple = (0,), phases: tuple = ("ED", "ES"),
                structures: tuple = ("LV",), dice: Callable[..., float] = lambda seed, i, phase, s: 0.9,
                method: str = "unet + paper", dataset: str = "acdc", missing: tuple = (),
                meta: Callable[[int], dict] = lambda i: {}, selection: str | None = None,
                vol_ref: Callable[[int, str, str], float] = lambda i, phase, s: 100.0 + i,
                prefix: str = "", hd95: Callable[..., float] = lambda seed, i, phase, s: 1.0,
                assd: Callable[..., float] = lambda seed, i, phase, s: 0.5) -> Results:
    """One job per seed; `missing` lists (seed, subject index, phase) with an error row instead of a score."""
    cases, expected, errors, jobs = [], [], [], []
    model, policy = method.split(" + ") if " + " in method else (method, "none")
    for seed in seeds:
        job = f"{prefix}{method.replace(' ', '')}-s{seed}"
        jobs.append({"job": job, "method": method, "model": model, "policy": policy, "seed": str(seed),
                     "parameters": 1e6, "operations": ""})
        for i in range(subjects):
            for phase in phases:
                info = {"site": "site1", "vendor": "Siemens", "scanner": "", "field_strength_t": 1.5,
                        "pathology": "NOR", "split": "test", "labels_present": ";".join(structures), **meta(i)}
                who = {"job": job, "dataset": dataset, "subject": f"S{i:03d}", "phase": phase}
                expected.append({**who, **info})
                if (seed, i, phase) in missing:
                    errors.append({**who, "file": "x.nii.gz", "what": "missing prediction", "why": "no file"})
                    continue
                for s in structures:
                    cases.append({**who, "model": model, "policy": policy, "seed": str(seed), "structure": s,
                                  "dice": dice(seed, i, phase, s), "hd95_mm": hd95(seed, i, phase, s),
                                  "assd_mm": assd(seed, i, phase, s),
                                  "vol_pred_ml": vol_ref(i, phase, s), "vol_ref_ml": vol_ref(i, phase, s),
                                  **info, **({"selection": selection} if selection else {})})
    columns = CASE_COLUMNS + META_COLUMNS + (["selection"] if selection else [])
    return Results(pd.DataFrame(cases, columns=columns), pd.DataFrame(), pd.DataFrame(errors, columns=ERROR_COLUMNS),
                   pd.DataFrame(jobs, columns=JOB_COLUMNS), expected=pd.DataFrame(expected, columns=EXPECTED_COLUMNS))


def stack(*sets: Results) -> Results:
    """Concatenate result sets that belong to one run (no label, no refusal)."""
    cat = lambda frames: pd.concat([f for f in frames if not f.empty], ignore_index=True)  # noqa: E731
    return Results(cat([r.cases for r in sets]), pd.DataFrame(), cat([r.errors for r in sets]) if any(
        not r.errors.empty for r in sets) else sets[0].errors, cat([r.jobs for r in sets]),
        expected=cat([r.expected for r in sets]))


def subject_values(rng_seed: int, n: int) -> np.ndarray:
    """Reproducible Dice-like values in (0.6, 1.0)."""
    return np.random.default_rng(rng_seed).uniform(0.6, 1.0, n)
