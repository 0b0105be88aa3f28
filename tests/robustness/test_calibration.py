"""ECE, the heart box, temperature scaling and the per-case uncertainty scores, against closed forms."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from benchmark.robustness.calibration import (
    apply_temperature,
    bin_index,
    calibration_rows,
    ece,
    ece_interval,
    fit_temperature,
    flip_disagreement,
    predictive_entropy,
    reliability,
    subject_bins,
)


def bins_of(p: np.ndarray, correct: np.ndarray, bins: int = 15) -> pd.DataFrame:
    b = bin_index(p, bins)
    return pd.DataFrame({"bin": np.arange(bins), "count": np.bincount(b, minlength=bins),
                         "confidence_sum": np.bincount(b, p, minlength=bins),
                         "correct_sum": np.bincount(b, correct.astype(float), minlength=bins)})


def ece_by_digitize(p: np.ndarray, correct: np.ndarray, bins: int = 15) -> float:
    """An independent ECE: MONAI-style bin edges, sum over bins of |acc - conf| x share of samples."""
    edges = np.linspace(0, 1, bins + 1)
    which = np.clip(np.digitize(p, edges[1:-1], right=False), 0, bins - 1)
    total = 0.0
    for k in range(bins):
        m = which == k
        if m.any():
            total += m.mean() * abs(correct[m].mean() - p[m].mean())
    return total


def test_a_perfectly_calibrated_toy_has_ece_near_zero_and_matches_an_independent_ece():
    rng = np.random.default_rng(0)
    p = rng.uniform(0, 1, 400_000)
    correct = rng.uniform(0, 1, p.size) < p  # the label is right with probability p
    value = ece(bins_of(p, correct))
    assert value < 0.01
    assert value == pytest.approx(ece_by_digitize(p, correct), abs=1e-12)


def test_always_saying_0_9_with_accuracy_0_6_gives_ece_0_3():
    p = np.full(1000, 0.9)
    correct = np.arange(1000) < 600
    assert ece(bins_of(p, correct)) == pytest.approx(0.3)
    rel = reliability(bins_of(p, correct))
    assert rel[["bin", "count"]].values.tolist() == [[13, 1000]]  # 0.9 * 15 = 13.5: bin 13
    assert rel["confidence"].iloc[0] == pytest.approx(0.9) and rel["accuracy"].iloc[0] == pytest.approx(0.6)


def test_the_bootstrap_interval_of_ece_resamples_subjects():
    frame = pd.concat([bins_of(np.full(100, 0.9), np.arange(100) < a).assign(subject=s)
                       for s, a in (("A", 60), ("B", 90), ("C", 30))])
    subjects, per = subject_bins(frame)
    assert list(subjects) == ["A", "B", "C"] and per[:, 0].sum() == 300
    low, high = ece_interval(per)
    assert ece(frame) == pytest.approx(0.3)  # pooled: 180 of 300 correct at 0.9
    assert 0.0 <= low < 0.3 < high <= 0.6 + 1e-12  # the subjects' own ECEs are 0.3, 0.0 and 0.6


def toy_volume():
    """20 x 20 x 6 voxels; an LV block [8:12, 8:12, 2:4]; p_LV = 1 everywhere (so outside the box too)."""
    ref = np.zeros((20, 20, 6), np.uint8)
    ref[8:12, 8:12, 2:4] = 1
    probs = np.zeros((4, 20, 20, 6))
    probs[1] = 1.0
    return probs, ref


def test_calibration_rows_count_only_voxels_in_the_dilated_box():
    probs, ref = toy_volume()
    # spacing 2 x 2 x 5 mm, margin 4 mm: 2 voxels in-plane, 0 through-plane -> [6:14, 6:14, 2:4] = 128 voxels
    rows = pd.DataFrame(calibration_rows(probs, ref, (2.0, 2.0, 5.0), margin_mm=4.0))
    assert rows.groupby("structure")["count"].sum().to_dict() == {"LV": 128, "MYO": 128, "RV": 128}
    lv = rows[rows.structure == "LV"]
    assert lv[["bin", "count", "confidence_sum", "correct_sum"]].values.tolist() == [[14, 128, 128.0, 32]]
    assert ece(lv) == pytest.approx(1 - 32 / 128)
    myo = rows[rows.structure == "MYO"]
    assert myo[["bin", "count", "confidence_sum", "correct_sum"]].values.tolist() == [[0, 128, 0.0, 0]]
    # a 5 mm margin adds one slice above and below: [6:14, 6:14, 1:5] = 256 voxels
    wider = pd.DataFrame(calibration_rows(probs, ref, (2.0, 2.0, 5.0), margin_mm=5.0))
    assert int(wider[wider.structure == "LV"]["count"].sum()) == 256


def test_the_box_is_clipped_at_the_volume_edge_and_a_reference_without_heart_gives_no_rows():
    probs, ref = toy_volume()
    rows = pd.DataFrame(calibration_rows(probs, ref, (1.0, 1.0, 1.0), margin_mm=100.0))
    assert int(rows[rows.structure == "RV"]["count"].sum()) == 20 * 20 * 6
    assert calibration_rows(probs, np.zeros_like(ref), (1.0, 1.0, 1.0)) == []


def test_temperature_fitting_recovers_the_temperature_that_made_the_labels():
    rng = np.random.default_rng(1)
    logits = rng.normal(0, 3, (20_000, 4))
    p = np.exp(logits / 2.0)
    p /= p.sum(axis=1, keepdims=True)
    labels = (rng.uniform(size=(len(p), 1)) > p.cumsum(axis=1)).sum(axis=1)  # one draw from softmax(z / 2)
    log_probs = torch.log_softmax(torch.tensor(logits), dim=1)
    t = fit_temperature(log_probs, torch.tensor(labels))
    assert t == pytest.approx(2.0, rel=0.05)
    assert fit_temperature(log_probs, torch.tensor(labels)) == t  # deterministic


def test_apply_temperature_is_softmax_of_log_p_over_t_and_keeps_zeros():
    p = np.array([[0.7, 0.0], [0.2, 0.5], [0.1, 0.5]])  # classes on axis 0, two voxels
    out = apply_temperature(p, 2.0)
    expected = np.sqrt(p[:, 0]) / np.sqrt(p[:, 0]).sum()  # softmax(log p / 2) = sqrt(p) / sum sqrt(p)
    assert out[:, 0] == pytest.approx(expected)
    assert out[0, 1] == pytest.approx(0.0, abs=1e-100) and out[1:, 1] == pytest.approx([0.5, 0.5])
    assert np.isfinite(out).all() and apply_temperature(p, 1.0) == pytest.approx(p)


def test_predictive_entropy_averages_over_the_predicted_heart_only():
    probs = np.zeros((4, 2, 2, 1))
    probs[:, 0, 0, 0] = 0.25  # uniform: log 4 nats
    probs[:, 0, 1, 0] = [0.0, 1.0, 0.0, 0.0]  # certain: 0 nats
    probs[:, 1, :, 0] = [[0.5, 0.5], [0.5, 0.5], [0, 0], [0, 0]]  # background voxels: ignored
    pred = np.array([[[1], [2]], [[0], [0]]])
    assert predictive_entropy(probs, pred) == pytest.approx(np.log(4) / 2)
    assert np.isnan(predictive_entropy(probs, np.zeros_like(pred)))


def test_flip_disagreement_is_the_share_of_heart_voxels_where_members_differ():
    a = np.array([1, 1, 2, 3, 0, 0])
    b = np.array([1, 2, 2, 3, 0, 0])
    assert flip_disagreement([a, b, a]) == pytest.approx(1 / 4)
    assert flip_disagreement([a, b], heart=np.array([1, 0, 0, 0, 0, 0])) == pytest.approx(0.0)
    assert np.isnan(flip_disagreement([np.zeros(3, int), np.zeros(3, int)]))
