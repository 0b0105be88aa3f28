"""The thorax around the heart: clutter where a real thorax has it, painted only where an ellipse reaches."""
from __future__ import annotations

import numpy as np

from benchmark.synth.pathology import PATHOLOGIES
from benchmark.synth.render import Grid
from benchmark.synth.scene import Ellipse, sample_scene, surroundings


def test_clutter_sits_outside_the_lungs_clear_of_the_heart_over_its_own_heights():
    lungs = (Ellipse(85.0, 0.0, 60.0, 80.0, "lung"), Ellipse(-85.0, 0.0, 58.0, 80.0, "lung"))
    for seed in range(5):
        around = surroundings(np.random.default_rng(seed), 165.0, 120.0, (25.0, -15.0), 45.0, 90.0, lungs)
        muscle, stomach, clutter = around[0], around[1], around[2:]
        assert muscle.tissue == "muscle" and muscle.cy < -0.7 * 120  # anterior chest wall
        assert stomach.z_range[1] < 0  # below the base only
        assert 15 <= len(clutter) <= 35
        assert {lay.tissue for lay in clutter} <= {"muscle", "fat", "blood", "liver", "tissue"}
        for lay in clutter:
            assert all(((lay.cx - lung.cx) / lung.a) ** 2 + ((lay.cy - lung.cy) / lung.b) ** 2 >= 1 for lung in lungs)
            assert np.hypot(lay.cx - 25.0, lay.cy + 15.0) - lay.a >= 45.0
            assert 20 <= lay.z_range[1] - lay.z_range[0] <= 90
    heart = PATHOLOGIES.get("NOR")(np.random.default_rng(3))
    assert sample_scene(np.random.default_rng(4), heart) == sample_scene(np.random.default_rng(4), heart)


def test_painting_within_the_bounding_box_equals_blending_over_the_whole_grid():
    x, y = Grid(120, 140, 1.7).coords()
    for ellipse in (Ellipse(10.0, -20.0, 14.0, 6.0, "fat"), Ellipse(-100.0, 90.0, 30.0, 30.0, "fat"),
                    Ellipse(500.0, 0.0, 5.0, 5.0, "fat")):
        base = np.linspace(0, 1, 120 * 140, dtype=np.float64).reshape(120, 140)
        whole = ellipse.fraction(x, y, 1.7, 0.0)
        painted = base.copy()
        ellipse.paint(painted, x, y, 1.7, 0.0, 2.0)
        np.testing.assert_allclose(painted, base * (1 - whole) + 2.0 * whole, atol=1e-12)
    hidden = Ellipse(0.0, 0.0, 30.0, 30.0, "fat", (5.0, 10.0))
    untouched = base.copy()
    hidden.paint(untouched, x, y, 1.7, 0.0, 2.0)
    np.testing.assert_array_equal(untouched, base)
