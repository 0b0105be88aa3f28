"""Failure detection: risk-coverage curves, AURC (Geifman et al. 2019; Jaeger et al. 2023) and rank correlation.

Cases are accepted in order of increasing uncertainty; at coverage k/n the selective risk is the mean risk of the
k most certain cases, and AURC is the mean selective risk over the n coverages. Ties in uncertainty keep the order
given (a stable sort), so give cases in a fixed order.
"""
from __future__ import annotations

import numpy as np

from ..stats import spearman


def _pairs(risk: np.ndarray, uncertainty: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    r, u = np.asarray(risk, float), np.asarray(uncertainty, float)
    if r.shape != u.shape:
        raise ValueError(f"risk and uncertainty differ in shape: {r.shape} vs {u.shape}")
    keep = np.isfinite(r) & ~np.isnan(u)  # an infinite uncertainty is a valid "least certain"
    return r[keep], u[keep]


def risk_coverage(risk: np.ndarray, uncertainty: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Coverage k/n and selective risk (mean risk of the k least uncertain cases) for k = 1..n; NaN pairs dropped."""
    r, u = _pairs(risk, uncertainty)
    order = np.argsort(u, kind="stable")
    n = len(r)
    k = np.arange(1, n + 1)
    return k / n, np.cumsum(r[order]) / k


def aurc(risk: np.ndarray, uncertainty: np.ndarray) -> float:
    """Area under the risk-coverage curve: the mean selective risk over all n coverages; NaN without cases."""
    _, selective = risk_coverage(risk, uncertainty)
    return float(selective.mean()) if len(selective) else float("nan")


def optimal_aurc(risk: np.ndarray) -> float:
    """The lowest AURC any ranking reaches: cases accepted in order of increasing risk."""
    return aurc(risk, risk)


def excess_aurc(risk: np.ndarray, uncertainty: np.ndarray) -> float:
    """AURC minus the optimal AURC of the same cases (E-AURC, Geifman et al. 2019): 0 for a perfect ranking."""
    r, u = _pairs(risk, uncertainty)
    return aurc(r, u) - optimal_aurc(r)


def uncertainty_dice_spearman(uncertainty: np.ndarray, dice: np.ndarray) -> tuple[float, float, int]:
    """Spearman rho of uncertainty against Dice (negative when uncertainty flags bad cases), its p and n."""
    return spearman(np.asarray(uncertainty, float), np.asarray(dice, float))
