"""bSSFP contrast from relaxation: the textbook signal, the real ordering of tissues, and the randomised cohort."""
from __future__ import annotations

import math

import numpy as np
import pytest

from benchmark.synth import bssfp
from benchmark.synth.profiles import SCANNERS
from benchmark.synth.randomised import randomise


def test_steady_state_matches_the_short_tr_limit_and_peaks_near_the_ernst_like_angle():
    """For TR << T2 < T1 the signal is PD sin(a) / ((T1/T2)(1 - cos a) + 1 + cos a) (Scheffler & Lehnhardt 2003),
    largest at cos(a) = (T1/T2 - 1) / (T1/T2 + 1)."""
    t1, t2 = 1441.0, 290.0
    for flip in (30.0, 60.0, 80.0):
        a = math.radians(flip)
        limit = math.sin(a) / ((t1 / t2) * (1 - math.cos(a)) + 1 + math.cos(a))
        assert bssfp.steady_state(t1, t2, 1.0, flip, 0.5) == pytest.approx(limit, rel=0.01)
    flips = np.arange(5.0, 90.0, 0.5)
    best = flips[np.argmax([bssfp.steady_state(t1, t2, 1.0, f, 0.5) for f in flips])]
    assert best == pytest.approx(math.degrees(math.acos((t1 / t2 - 1) / (t1 / t2 + 1))), abs=1.0)


@pytest.mark.parametrize("field_t", [1.5, 3.0])
def test_tissues_order_as_in_a_cine(field_t):
    c = bssfp.contrast(field_t, 60.0, 3.0)
    assert c["blood"] == 1.0
    assert 0.2 <= c["myo"] <= 0.45  # blood 2-5x myocardium
    assert 0.5 <= c["rv_blood"] < 1.0  # venous blood: shorter T2, a little darker
    assert c["fat"] >= 0.7 and c["lung"] < 0.05
    assert c["myo"] < c["liver"] < c["fat"]


def test_drawn_protocols_vary_contrast_but_keep_blood_above_myocardium():
    rng = np.random.default_rng(0)
    draws = [bssfp.draw_contrast(rng) for _ in range(400)]
    ratio = np.array([1 / c["myo"] for c, _ in draws])
    assert ratio.min() > 1.2 and np.percentile(ratio, 90) / np.percentile(ratio, 10) > 1.8
    fields = np.array([f for _, f in draws])
    assert set(fields) == {1.5, 3.0} and 0.5 <= (fields == 1.5).mean() <= 0.7


def test_the_bssfp_scanner_draws_its_field_strength_and_a_real_ordering():
    scanner = SCANNERS.get("randomised-bssfp")
    drawn = [randomise(scanner, np.random.default_rng(s)) for s in range(30)]
    assert {d.field_strength_t for d in drawn} == {1.5, 3.0}
    assert all(d.contrast["myo"] < 1.0 and not d.randomised for d in drawn)
    uniform = [randomise(SCANNERS.get("randomised"), np.random.default_rng(s)) for s in range(30)]
    assert {d.field_strength_t for d in uniform} == {1.5}
    assert any(d.contrast["myo"] > 1.0 for d in uniform)  # the uniform model lets blood be the darker one
