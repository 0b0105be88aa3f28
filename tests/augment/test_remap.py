"""Random tissue contrast (remap): identity and mirror as limiting curves, flat tissues stay flat, order flips."""
from __future__ import annotations

import pytest
import torch
from phantoms import blood_in_ring

import benchmark as cb
from benchmark.augment import policy_from_config
from benchmark.augment.ops import ParameterError, Remap


def tissues(n: int = 1) -> tuple[torch.Tensor, torch.Tensor]:
    """A 64 x 64 image of three flat tissues: background 0.05, a myocardium-like ring 0.35, a blood disc 1.0."""
    return blood_in_ring(n)


def test_a_two_knot_rising_curve_is_the_identity_and_a_falling_one_inverts():
    images, _ = tissues()
    op = Remap(knots=2, percentiles=(0, 100))
    on = torch.tensor([True])
    same = op.apply(images, {"on": on, "curve": torch.tensor([[0.0, 1.0]])})
    assert torch.allclose(same, images, atol=1e-6)
    inverted = op.apply(images, {"on": on, "curve": torch.tensor([[1.0, 0.0]])})
    # mirrored about the image's mean, its mean and sd kept: the blood (1.0) becomes the darkest tissue
    mean = images.mean()
    assert torch.allclose(inverted, 2 * mean - images, atol=1e-5)
    assert float(inverted.mean()) == pytest.approx(float(mean), abs=1e-6)
    assert float(inverted.std()) == pytest.approx(float(images.std()), rel=1e-5)


def test_each_flat_tissue_gets_one_new_value_and_blood_is_darker_than_myocardium_about_half_the_time():
    images, labels = tissues(400)
    remaps = [o for o in cb.create_policy("paper+remap", crop=64).ops if isinstance(o, Remap)]
    assert [(o.p, o.knots) for o in remaps] == [(0.8, 8)]
    op = Remap(knots=8, percentiles=(0, 100))
    params = op.sample(400, torch.Generator().manual_seed(0))
    new = op.apply(images, params)
    blood = new[:, 0][labels == 1].view(400, -1)
    myo = new[:, 0][labels == 2].view(400, -1)
    assert torch.allclose(blood, blood[:, :1]) and torch.allclose(myo, myo[:, :1])
    darker = float((blood[:, 0] < myo[:, 0]).float().mean())
    assert 0.4 < darker < 0.6, darker


def test_samples_that_are_off_are_untouched_and_labels_never_change():
    images, labels = tissues(12)
    policy = policy_from_config({"ops": [{"op": "remap", "p": 0.5}]})
    params = policy.sample(12, torch.Generator().manual_seed(0))
    out, lab = policy.apply(images, labels, params)
    on = params[0]["on"]
    assert 0 < int(on.sum()) < 12
    assert torch.equal(out[~on], images[~on]) and not torch.allclose(out[on], images[on])
    assert torch.equal(lab, labels)


@pytest.mark.parametrize("spec, message", [
    ({"knots": 1}, "knots: must be a whole number >= 2"),
    ({"percentiles": [99, 1]}, "percentiles: range must be ordered"),
    ({"percentiles": [0, 101]}, r"percentiles: must lie in \[0, 100\]"),
])
def test_bad_remap_settings_name_the_key(spec, message):
    with pytest.raises(ParameterError, match=message):
        Remap(**spec)
