"""Classwise calibration of softmax outputs around the heart: bin statistics, ECE, temperature scaling, uncertainty.

ECE follows Guo et al. 2017 and MONAI's `CalibrationErrorMetric`: equal-width confidence bins on [0, 1], each
|mean confidence - accuracy| weighted by the share of voxels in the bin. It is classwise (Kull et al. 2019): for
structure k the "confidence" of every voxel is p_k and it is "correct" when the reference is k, so background
voxels with a low p_k count as well calibrated only if the reference agrees.
"""
from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..bootstrap import LEVEL, N_RESAMPLES, SEED, percentile_interval
from ..labels import BACKGROUND, STRUCTURES

if TYPE_CHECKING:
    import torch

BINS = 15
MARGIN_MM = 10.0
BIN_COLUMNS = ["structure", "bin", "count", "confidence_sum", "correct_sum"]


def heart_box(reference: np.ndarray, spacing_mm: tuple[float, float, float],
              margin_mm: float = MARGIN_MM) -> tuple[slice, ...] | None:
    """The bounding box of the reference heart grown by `margin_mm` on every side (clipped), or None if no heart."""
    ref = np.asarray(reference)
    heart = ref != BACKGROUND
    if not heart.any():
        return None
    box = []
    for axis, (size, step) in enumerate(zip(ref.shape, spacing_mm)):
        other = tuple(a for a in range(ref.ndim) if a != axis)
        hit = np.flatnonzero(heart.any(axis=other))
        grow = int(math.floor(margin_mm / float(step) + 1e-9))  # whole voxels within the margin
        box.append(slice(max(int(hit[0]) - grow, 0), min(int(hit[-1]) + grow + 1, size)))
    return tuple(box)


def bin_index(p: np.ndarray, bins: int = BINS) -> np.ndarray:
    """The equal-width bin of each probability on [0, 1] (p = 1 falls in the last bin)."""
    return np.clip((np.asarray(p, float) * bins).astype(np.int64), 0, bins - 1)


def calibration_rows(probs: np.ndarray, reference: np.ndarray, spacing_mm: tuple[float, float, float],
                     margin_mm: float = MARGIN_MM, bins: int = BINS) -> list[dict]:
    """Per structure and non-empty bin: voxel count, sum of p_k and number with reference == k, inside the box.

    probs: [C, X, Y, Z] softmax over the canonical classes; reference: [X, Y, Z] canonical labels. The box is the
    reference heart's bounding box dilated by margin_mm (whole voxels per axis at that axis's spacing). A
    reference without heart gives no rows."""
    box = heart_box(reference, spacing_mm, margin_mm)
    if box is None:
        return []
    ref = np.asarray(reference)[box].ravel()
    crop = np.asarray(probs)[(slice(None), *box)]
    rows = []
    for name, k in STRUCTURES.items():
        p = crop[k].astype(np.float64).ravel()
        b = bin_index(p, bins)
        count = np.bincount(b, minlength=bins)
        conf = np.bincount(b, weights=p, minlength=bins)
        correct = np.bincount(b, weights=(ref == k).astype(float), minlength=bins)
        rows += [{"structure": name, "bin": int(i), "count": int(count[i]), "confidence_sum": float(conf[i]),
                  "correct_sum": int(round(correct[i]))} for i in np.flatnonzero(count)]
    return rows


def _sums(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.groupby("bin")[["count", "confidence_sum", "correct_sum"]].sum().sort_index()


def ece(frame: pd.DataFrame) -> float:
    """Expected calibration error from bin statistics (rows pooled by bin: filter one structure first); NaN if empty."""
    if frame.empty:
        return float("nan")
    s = _sums(frame)
    total = float(s["count"].sum())
    return float(np.abs(s["confidence_sum"] - s["correct_sum"]).sum() / total) if total else float("nan")


def reliability(frame: pd.DataFrame) -> pd.DataFrame:
    """Per non-empty bin: voxel count, mean confidence and accuracy (the points of a reliability diagram)."""
    if frame.empty:
        return pd.DataFrame(columns=["bin", "count", "confidence", "accuracy"])
    s = _sums(frame)
    s = s[s["count"] > 0]
    return pd.DataFrame({"bin": s.index.astype(int), "count": s["count"].astype(int).to_numpy(),
                         "confidence": (s["confidence_sum"] / s["count"]).to_numpy(),
                         "accuracy": (s["correct_sum"] / s["count"]).to_numpy()})


def subject_bins(frame: pd.DataFrame, bins: int = BINS) -> tuple[np.ndarray, np.ndarray]:
    """Bin sums per subject: (subjects, array [n_subjects, 3, bins] of count, confidence_sum, correct_sum)."""
    subjects, code = np.unique(frame["subject"].astype(str).to_numpy(), return_inverse=True)
    out = np.zeros((len(subjects), 3, bins))
    b = frame["bin"].to_numpy(int)
    for j, col in enumerate(("count", "confidence_sum", "correct_sum")):
        np.add.at(out[:, j], (code, b), frame[col].to_numpy(float))
    return subjects, out


def ece_interval(per_subject: np.ndarray, n_resamples: int = N_RESAMPLES, seed: int = SEED,
                 level: float = LEVEL) -> tuple[float, float]:
    """Percentile bootstrap interval of the pooled ECE, resampling subjects (per_subject from subject_bins)."""
    n = len(per_subject)
    if n == 0:
        return float("nan"), float("nan")
    rng = np.random.default_rng(seed)
    weights = np.stack([np.bincount(r, minlength=n) for r in rng.integers(0, n, size=(n_resamples, n))])
    pooled = np.einsum("rs,sjb->rjb", weights.astype(float), per_subject)
    total = pooled[:, 0].sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        values = np.abs(pooled[:, 1] - pooled[:, 2]).sum(axis=1) / total
    return percentile_interval(values, level)


def fit_temperature(log_probs: torch.Tensor, labels: torch.Tensor, max_iter: int = 100) -> float:
    """The T > 0 minimising the NLL of softmax(log_probs / T) (LBFGS on log T, float64: deterministic)."""
    import torch

    x = log_probs.detach().to(torch.float64)
    y = labels.detach().to(torch.long)
    log_t = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.LBFGS([log_t], lr=1.0, max_iter=max_iter, line_search_fn="strong_wolfe",
                            tolerance_grad=1e-10, tolerance_change=1e-12)

    def closure() -> torch.Tensor:
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(x / log_t.exp(), y)
        loss.backward()
        return loss

    opt.step(closure)
    return float(log_t.exp().item())


_TINY = np.finfo(np.float64).tiny


def apply_temperature(probs: np.ndarray, temperature: float, axis: int = 0) -> np.ndarray:
    """softmax(log(p) / T) over the class axis; a probability of 0 stays 0 (its log is clipped, not -inf)."""
    logp = np.log(np.maximum(np.asarray(probs, np.float64), _TINY)) / float(temperature)
    logp -= logp.max(axis=axis, keepdims=True)
    e = np.exp(logp)
    return (e / e.sum(axis=axis, keepdims=True)).astype(np.asarray(probs).dtype, copy=False)


def predictive_entropy(probs: np.ndarray, pred: np.ndarray) -> float:
    """Mean entropy (nats) of the class distribution over voxels predicted as heart (pred != 0); NaN if none."""
    heart = np.asarray(pred) != BACKGROUND
    if not heart.any():
        return float("nan")
    p = np.asarray(probs, np.float64)[:, heart]
    with np.errstate(divide="ignore", invalid="ignore"):
        h = -np.where(p > 0, p * np.log(p), 0.0).sum(axis=0)
    return float(h.mean())


def flip_disagreement(member_preds: list[np.ndarray], heart: np.ndarray | None = None) -> float:
    """Share of predicted-heart voxels where the TTA members' argmax labels are not all equal; NaN if none.

    `heart` is the final prediction's heart mask; without it, voxels any member labels as heart."""
    stack = np.stack([np.asarray(m) for m in member_preds])
    mask = (stack != BACKGROUND).any(axis=0) if heart is None else np.asarray(heart, bool)
    if not mask.any():
        return float("nan")
    differ = (stack != stack[:1]).any(axis=0)
    return float(differ[mask].mean())
