"""Temperature scaling (Guo et al., ICML 2017) fitted on the source validation split, for calibration reporting."""
from __future__ import annotations

from typing import Any

import numpy as np

MAX_VOXELS = 200_000  # a deterministic subsample keeps the fit to seconds


def fit_on_source_val(scorer: Any, plan: Any, ctx: Any) -> float:
    """The temperature that minimises the NLL of the loaded weights on the voxels of the source validation cases
    within each reference heart's box (10 mm margin); 1.0 where there is nothing to fit on."""
    import torch

    from ..data.loader import load_case
    from ..robustness.calibration import fit_temperature, heart_box
    from .job import training_rows

    rows = training_rows(plan, ctx.data)["val"]
    logs, labels = [], []
    for _, row in rows.iterrows():
        if not scorer.store.path(row).is_file():
            continue
        reference = load_case(row, "/")  # source rows carry absolute paths
        if reference.label is None:
            continue
        box = heart_box(reference.label, reference.spacing)
        if box is None:
            continue
        out = scorer.predict(scorer.store.load(row))
        probs = out.probs[(slice(None), *box)].reshape(out.probs.shape[0], -1).T
        logs.append(np.log(np.clip(probs, 1e-12, 1.0)))
        labels.append(reference.label[box].ravel())
    if not logs:
        return 1.0
    log_probs, target = np.concatenate(logs), np.concatenate(labels)
    if len(target) > MAX_VOXELS:
        keep = np.random.default_rng(0).choice(len(target), MAX_VOXELS, replace=False)
        log_probs, target = log_probs[keep], target[keep]
    return float(fit_temperature(torch.from_numpy(log_probs), torch.from_numpy(target.astype(np.int64))))
