"""LVEF categories, Cohen's kappa against a hand-computed confusion matrix, and observer-limit shares."""
from __future__ import annotations

import numpy as np
import pytest

from benchmark.robustness.decisions import (
    CATEGORIES,
    INTEROBSERVER,
    beyond_limit_share,
    cohen_kappa,
    confusion,
    ef_category,
    flip_share,
    kappa_interval,
)

MATRIX = np.array([[10, 2, 0], [3, 8, 1], [0, 2, 14]])  # rows auto, columns manual; 40 subjects


def labels_of(m: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    pairs = [(CATEGORIES[i], CATEGORIES[j]) for i in range(3) for j in range(3) for _ in range(m[i, j])]
    return np.array([a for a, _ in pairs], object), np.array([b for _, b in pairs], object)


def test_esc_2021_categories_at_their_boundaries():
    cats = ef_category(np.array([25.0, 40.0, 40.5, 49.9, 50.0, 62.0, np.nan]))
    assert cats.tolist() == ["HFrEF", "HFrEF", "HFmrEF", "HFmrEF", "HFpEF", "HFpEF", ""]


def test_kappa_agrees_with_the_hand_computed_confusion_matrix():
    a, b = labels_of(MATRIX)
    assert confusion(a, b).tolist() == MATRIX.tolist()
    # p_o = 32/40 = 0.8; p_e = (12*13 + 12*12 + 16*15) / 40^2 = 0.3375; kappa = 0.4625 / 0.6625
    assert cohen_kappa(a, b) == pytest.approx(0.4625 / 0.6625)
    assert cohen_kappa(a, a) == pytest.approx(1.0)
    low, high = kappa_interval(a, b)
    assert low < 0.4625 / 0.6625 < high and high <= 1.0
    assert np.isnan(cohen_kappa(np.array(["HFpEF"] * 3), np.array(["HFpEF"] * 3)))  # p_e = 1: undefined


def test_flips_and_errors_beyond_the_published_limits():
    share, n = flip_share(np.array([35.0, 45.0, 55.0, np.nan]), np.array([42.0, 44.0, 60.0, 50.0]))
    assert (share, n) == (pytest.approx(1 / 3), 3)
    edv = INTEROBSERVER["LVEDV"]
    assert edv.half_width == pytest.approx(1.96 * 6.1) and INTEROBSERVER["LVM"].half_width == pytest.approx(22.148)
    manual = np.full(4, 150.0)
    share, n = beyond_limit_share(manual + np.array([0.0, 11.9, 12.0, -13.0]), manual, edv)
    assert (share, n) == (0.5, 4)
