"""Generator anatomy: the RV's shape against what real short-axis labels show."""
from __future__ import annotations

import numpy as np
import pytest

from benchmark.synth import render
from benchmark.synth.pathology import PATHOLOGIES
from benchmark.synth.subject import SubjectSpec, generate_subject

_ANGLES = np.linspace(-np.pi, np.pi, 720, endpoint=False)


def _rv_shape(heart, depth: float) -> tuple[float, float]:
    """RV angular span (degrees, seen from the LV axis) and farthest reach / mean epicardial radius at ED."""
    endo, epi, rv = heart.radii(heart.ed, -depth * heart.ed.l_endo, _ANGLES)
    span = float((rv - epi > 0.3).mean() * 360)
    return span, float(rv.max() / np.sqrt((epi**2).mean()))


@pytest.mark.parametrize("group", ["NOR", "DCM", "HCM", "MINF", "ARV"])
def test_basal_rv_spans_and_reaches_as_in_real_acdc_labels(group):
    """Basal third, median over 30 hearts. Measured on 25 real ACDC patients' ED labels (all groups): span
    120 degrees (10-90 %: 106-144), reach 2.14 epicardial radii (1.78-2.57); generator v3 had 160 and 1.85."""
    rng = np.random.default_rng(5)
    shapes = np.array([_rv_shape(PATHOLOGIES.get(group)(rng), depth=0.15) for _ in range(30)])
    span, reach = np.median(shapes, axis=0)
    assert 95 <= span <= 145, span
    assert 2.6 >= reach >= 1.75, reach


def test_rv_vanishes_before_the_lv_toward_the_apex():
    rng = np.random.default_rng(6)
    for _ in range(10):
        heart = PATHOLOGIES.get("NOR")(rng)
        assert 0.7 * heart.ed.l_endo <= heart.ed.rv_length <= 0.95 * heart.ed.l_endo + 1e-9
        _, epi, rv = heart.radii(heart.ed, -0.97 * heart.ed.l_endo, _ANGLES)
        assert epi.max() > 0 and np.all(rv - epi < 0.3)


@pytest.mark.parametrize("group", ["ARV", "DCM", "HCM"])
def test_the_lopsided_heart_window_renders_what_a_wide_square_one_does(monkeypatch, group):
    """The window only bounds where the heart is drawn: a 300 mm square gives the same images and labels."""
    spec = SubjectSpec("1", "ukbb", "siemens-aera-1.5t", group, (9,))
    tight = generate_subject(spec)
    monkeypatch.setattr(render, "outline", lambda heart: (-150.0, 150.0, -150.0, 150.0))
    wide = generate_subject(spec)
    for phase in ("ED", "ES"):
        np.testing.assert_array_equal(tight.labels[phase], wide.labels[phase])
        np.testing.assert_array_equal(tight.images[phase], wide.images[phase])
        assert tight.labels[phase].any()
