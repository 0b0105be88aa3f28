"""AURC and its bounds on cases whose ranking is known, checked against every ordering."""
from __future__ import annotations

from itertools import permutations

import numpy as np
import pytest

from benchmark.robustness.failure import aurc, excess_aurc, optimal_aurc, risk_coverage, uncertainty_dice_spearman

RISK = np.array([0.1, 0.5, 0.2, 0.9])


def test_ranking_by_risk_gives_the_optimal_aurc_and_the_reverse_the_worst():
    # accepted 0.1, 0.2, 0.5, 0.9: selective risks 0.1, 0.15, 0.8/3, 0.425
    assert aurc(RISK, RISK) == pytest.approx((0.1 + 0.15 + 0.8 / 3 + 0.425) / 4)
    assert optimal_aurc(RISK) == aurc(RISK, RISK)
    every = [aurc(RISK[list(order)], np.arange(4)) for order in permutations(range(4))]
    assert min(every) == pytest.approx(optimal_aurc(RISK))
    assert max(every) == pytest.approx(aurc(RISK, -RISK)) == pytest.approx((0.9 + 0.7 + 1.6 / 3 + 0.425) / 4)
    assert excess_aurc(RISK, RISK) == 0.0 and excess_aurc(RISK, -RISK) > 0


def test_risk_coverage_and_a_constant_uncertainty():
    coverage, selective = risk_coverage(RISK, np.array([0.3, 0.1, 0.2, 0.4]))
    assert coverage.tolist() == [0.25, 0.5, 0.75, 1.0]
    assert selective == pytest.approx([0.5, 0.35, 0.8 / 3, 0.425])
    assert selective[-1] == pytest.approx(RISK.mean())  # full coverage: the mean risk


def test_cases_without_a_risk_or_score_are_left_out_and_an_infinite_score_counts_as_least_certain():
    assert aurc(np.append(RISK, np.nan), np.append(RISK, 0.0)) == pytest.approx(optimal_aurc(RISK))
    assert aurc(RISK, np.array([0.1, 0.5, 0.2, np.inf])) == pytest.approx(optimal_aurc(RISK))
    assert np.isnan(aurc(np.array([]), np.array([])))


def test_spearman_of_an_uncertainty_that_falls_with_dice_is_minus_one():
    dice = np.array([0.9, 0.5, 0.8, 0.1, 0.7])
    rho, p, n = uncertainty_dice_spearman((1 - dice) ** 2, dice)
    assert rho == pytest.approx(-1.0) and n == 5 and p == pytest.approx(2 / 120)
