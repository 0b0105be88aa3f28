"""Metrics on shapes with closed-form answers, anisotropic spacing, the empty-mask rules, and medpy."""
from __future__ import annotations

import numpy as np
import pytest
from medpy.metric import binary as medpy

from benchmark.metrics import diagonal_mm, dice, hd95_assd, score_structures, surface_distances


def ball(shape: tuple[int, int, int], spacing: tuple[float, float, float], radius_mm: float,
         centre_mm: tuple[float, float, float] | None = None) -> np.ndarray:
    grids = np.meshgrid(*[(np.arange(n) + 0.5) * s for n, s in zip(shape, spacing)], indexing="ij")
    centre = centre_mm or tuple(n * s / 2 for n, s in zip(shape, spacing))
    return sum((g - c) ** 2 for g, c in zip(grids, centre)) < radius_mm**2


def test_dice_of_shifted_discs_matches_the_closed_form():
    # two discs of radius r with centres d apart overlap by the lens area
    r, d = 30.0, 12.0
    a = ball((1, 400, 400), (1, 0.25, 0.25), r, (0.5, 50, 50))
    b = ball((1, 400, 400), (1, 0.25, 0.25), r, (0.5, 50 + d, 50))
    lens = 2 * r**2 * np.arccos(d / (2 * r)) - d / 2 * np.sqrt(4 * r**2 - d**2)
    assert dice(a, b) == pytest.approx(lens / (np.pi * r**2), abs=0.003)


def test_hd95_of_concentric_spheres_is_the_radius_difference_at_anisotropic_spacing():
    spacing = (2.0, 0.5, 0.75)
    a = ball((40, 160, 110), spacing, 20.0)
    b = ball((40, 160, 110), spacing, 26.0)
    hd, assd = hd95_assd(a, b, spacing)
    assert hd == pytest.approx(6.0, abs=1.0)
    assert assd == pytest.approx(6.0, abs=1.0)


def test_a_known_shift_gives_the_known_hd_in_mm():
    spacing = (8.0, 1.25, 1.25)
    a = np.zeros((6, 60, 60), bool)
    a[1:5, 20:40, 20:40] = True
    b = np.roll(a, 3, axis=2)  # 3 voxels x 1.25 mm
    x, _ = surface_distances(a, b, spacing)
    hd, _ = hd95_assd(a, b, spacing)
    assert x.max() == pytest.approx(3.75) and hd == pytest.approx(3.75)
    assert hd95_assd(a, a, spacing) == (0.0, 0.0)


@pytest.mark.parametrize("seed", range(4))
def test_agrees_with_medpy_on_random_masks(seed):
    rng = np.random.default_rng(seed)
    spacing = tuple(rng.uniform(0.6, 9.0, 3))
    a = np.zeros((8, 50, 60), bool)
    b = np.zeros_like(a)
    a[1:6, 5:35, 10:40] = True
    b[2:8, 12:45, 8:30] = True
    a ^= rng.random(a.shape) < 0.03
    b ^= rng.random(b.shape) < 0.03
    hd, assd = hd95_assd(a, b, spacing)
    assert hd == pytest.approx(medpy.hd95(a, b, spacing), rel=1e-9)
    assert assd == pytest.approx(medpy.assd(a, b, spacing), rel=1e-9)
    assert dice(a, b) == pytest.approx(medpy.dc(a, b), rel=1e-12)


def test_crop_does_not_change_distances_for_structures_on_the_border():
    a = np.zeros((4, 30, 30), bool)
    b = np.zeros_like(a)
    a[:, :10, :10] = True
    b[:, :12, 2:10] = True
    assert hd95_assd(a, b, (3, 1, 1)) == pytest.approx((medpy.hd95(a, b, (3, 1, 1)), medpy.assd(a, b, (3, 1, 1))))


def test_empty_mask_rules():
    spacing = (10.0, 1.5, 1.5)
    ref = np.zeros((3, 20, 20), np.uint8)
    ref[1, 5:10, 5:10] = 1  # LV only
    pred = np.zeros_like(ref)
    pred[1, 2:4, 2:4] = 3  # an RV where none is
    scores = {s.structure: s for s in score_structures(pred, ref, spacing)}
    assert set(scores) == {"LV", "RV"}  # MYO empty in both: no row
    diag = diagonal_mm(ref.shape, spacing)
    assert diag == pytest.approx(np.sqrt(30**2 + 30**2 + 30**2))
    assert (scores["LV"].dice, scores["LV"].hd95_mm, scores["LV"].assd_mm) == (0.0, diag, diag)
    assert scores["LV"].vol_ref_ml == pytest.approx(25 * 22.5 / 1000)
    assert scores["RV"].dice == 0.0 and scores["RV"].vol_pred_ml == pytest.approx(4 * 22.5 / 1000)
    # a structure not annotated is left out, never scored as 0
    only_lv = {s.structure for s in score_structures(pred, ref, spacing, present=("LV",))}
    assert only_lv == {"LV"}
