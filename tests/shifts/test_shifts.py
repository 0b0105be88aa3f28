"""Every graded shift: identity at 0, deterministic per case, a change that grows with severity, and its own
defining property at stated numbers (noise SNR, resolution limit, fold-over band, partial volume)."""
from __future__ import annotations

import numpy as np
import pytest

from benchmark.shifts import SHIFTS, apply_shift, shift_names
from benchmark.shifts.acquisition import SNR, THICKNESS, WRAP
from benchmark.shifts.kspace import signal_level

SPACING = (1.8, 1.8, 10.0)


def phantom() -> np.ndarray:
    """A bright disc (the heart) in a dimmer body on a dark background, varying through the slices."""
    yy, xx = np.mgrid[:96, :96]
    body = ((xx - 48) ** 2 / 40 ** 2 + (yy - 48) ** 2 / 30 ** 2 < 1).astype(np.float32)
    disc = ((xx - 52) ** 2 + (yy - 44) ** 2 < 14 ** 2).astype(np.float32)
    image = 5 + 60 * body + 80 * disc
    return np.stack([image * (0.7 + 0.1 * z) for z in range(6)], axis=-1).astype(np.float32)


@pytest.mark.parametrize("name", shift_names(["all"]))
def test_a_shift_is_deterministic_shaped_like_its_input_and_grows_with_severity(name):
    image = phantom()
    assert apply_shift(name, image, SPACING, 0, 0, "case") is image
    change = []
    for severity in (1, 2, 3, 4, 5):
        out = apply_shift(name, image, SPACING, severity, 0, "case")
        again = apply_shift(name, image, SPACING, severity, 0, "case")
        assert out.dtype == np.float32 and out.shape == image.shape and np.isfinite(out).all() and out.min() >= 0
        assert np.array_equal(out, again)
        change.append(float(np.abs(out - image).mean()))
    assert change[0] > 0 and all(b >= a for a, b in zip(change, change[1:])), change


def test_random_shifts_differ_between_cases_and_seeds():
    image = phantom()
    a = apply_shift("noise", image, SPACING, 3, 0, "case-a")
    assert not np.array_equal(a, apply_shift("noise", image, SPACING, 3, 0, "case-b"))
    assert not np.array_equal(a, apply_shift("noise", image, SPACING, 3, 1, "case-a"))


@pytest.mark.parametrize("severity", [1, 3, 5])
def test_noise_leaves_the_stated_snr(severity):
    image = np.full((128, 128, 4), 100.0, np.float32)
    out = apply_shift("noise", image, SPACING, severity, 0, "flat")
    expected = signal_level(image) / SNR[severity]  # 100 / 32, 100 / 8, 100 / 2
    sd = float(np.sqrt(((out - image) ** 2).mean()))  # Rician: about the Gaussian SD at these SNRs and above
    assert sd == pytest.approx(expected, rel=0.15 if severity < 5 else 0.35)


def test_low_resolution_keeps_nothing_finer_than_its_level_and_spares_a_coarser_image():
    stripes = np.zeros((96, 96, 1), np.float32)
    stripes[::2] = 100  # a 3.6 mm period at 1.8 mm spacing: finer than level 3 (3 mm resolution, 6 mm period)
    out = apply_shift("low_resolution", stripes + 10, SPACING, 3, 0, "s")
    assert out.std() < 0.01 * stripes.std()
    coarse = phantom()
    same = apply_shift("low_resolution", coarse, (5.0, 5.0, 10.0), 1, 0, "c")  # 5 mm pixels, level 1 is 2 mm
    assert np.allclose(same, coarse, atol=1e-3)


def test_wrap_around_adds_the_opposite_side_into_the_stated_band():
    image = np.zeros((100, 100, 1), np.float32)
    image[95:, :] = 7.0  # content at one edge of both axes
    image[:, 95:] = 7.0
    out = apply_shift("wrap_around", image, SPACING, 2, 0, "w")  # 8 % of 100 lines fold in from each side
    m = round(WRAP[2] * 100)
    folded = out[:m, :50].mean() > 0 or out[:50, :m].mean() > 0
    assert folded and out[m:50, m:50].max() == 0  # nothing changes between the bands


def test_slice_thickness_mixes_neighbours_by_the_slab_overlap():
    image = np.zeros((8, 8, 3), np.float32)
    image[..., 1] = 100
    out = apply_shift("slice_thickness", image, SPACING, 4, 0, "t")  # slab 2 x spacing: half of it lies outside
    w = (THICKNESS[4] - 1) / (2 * THICKNESS[4])
    assert out[0, 0, 1] == pytest.approx(100 * (1 - 2 * w)) and out[0, 0, 0] == pytest.approx(100 * w)


def test_every_shift_states_its_kind_and_levels():
    for entry in SHIFTS.entries():
        assert entry.meta["kind"] in ("spatial", "intensity", "artefact", "acquisition")
        assert len(entry.meta["levels"]) > 20
    assert len(shift_names(["all"])) >= 10


def test_severities_outside_one_to_five_are_refused():
    with pytest.raises(ValueError, match="severity 6"):
        apply_shift("noise", phantom(), SPACING, 6, 0, "c")
