"""Augmentation: label integrity, exact 90-degree symmetries, s^2 area scaling, replayable batches."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import benchmark as cb
from benchmark.augment import policy_from_config
from benchmark.augment.ops import OPS
from benchmark.errors import CmrbenchError


def disc_batch(n: int = 4, size: int = 128, radius: float = 20.0) -> tuple[torch.Tensor, torch.Tensor]:
    """Images and labels holding a centred disc (LV), a ring (MYO) and an off-centre blob (RV)."""
    y, x = torch.meshgrid(torch.arange(size) + 0.5, torch.arange(size) + 0.5, indexing="ij")
    r = torch.hypot(x - size / 2, y - size / 2)
    lab = torch.zeros(size, size, dtype=torch.long)
    lab[r < radius + 6] = 2
    lab[r < radius] = 1
    lab[torch.hypot(x - size / 2 - 35, y - size / 2 + 5) < 9] = 3
    img = lab.float() * 0.7 + 0.05 * torch.randn(size, size, generator=torch.Generator().manual_seed(1))
    return img.expand(n, 1, size, size).clone(), lab.expand(n, size, size).clone()


@pytest.mark.parametrize("name", cb.list_policies())
def test_every_policy_keeps_labels_in_0_to_3_and_returns_the_crop(name):
    images, labels = disc_batch(6, 96)
    labels[:, :5, :5] = 3
    out_img, out_lab = cb.create_policy(name, crop=64)(images, labels, torch.Generator().manual_seed(3))
    assert out_img.shape == (6, 1, 64, 64) and out_lab.shape == (6, 64, 64)
    assert out_lab.dtype == torch.long and set(out_lab.unique().tolist()) <= {0, 1, 2, 3}
    assert torch.isfinite(out_img).all()


@pytest.mark.parametrize("ops", [
    [{"op": "rotate", "degrees": [90, 90]}], [{"op": "rotate", "degrees": [180, 180]}],
    [{"op": "rotate", "degrees": [-90, -90]}], [{"op": "flip_h"}], [{"op": "flip_v"}],
    [{"op": "flip_h"}, {"op": "rotate", "degrees": [270, 270]}],
])
def test_flips_and_quarter_turns_keep_label_areas_exactly(ops):
    images, labels = disc_batch()
    _, out = policy_from_config({"ops": ops})(images, labels, torch.Generator().manual_seed(0))
    for c in range(4):
        assert int((out == c).sum()) == int((labels == c).sum())
    assert not torch.equal(out, labels)  # the RV blob did move


@pytest.mark.parametrize("s", [0.7, 0.85, 1.25, 1.4])
def test_scaling_by_s_changes_disc_area_by_s_squared(s):
    images, labels = disc_batch(2, 160, radius=25)
    _, out = policy_from_config({"ops": [{"op": "scale", "range": [s, s]}]})(images, labels, torch.Generator())
    ratio = float(((out == 1).sum()) / ((labels == 1).sum()))
    assert ratio == pytest.approx(s * s, rel=0.03)


def test_same_seed_same_batch_other_seed_other_batch():
    images, labels = disc_batch(8, 96)
    policy = cb.create_policy("bigaug", crop=64)
    a = policy(images, labels, torch.Generator().manual_seed(42))
    b = policy(images, labels, torch.Generator().manual_seed(42))
    c = policy(images, labels, torch.Generator().manual_seed(43))
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])
    assert not torch.equal(a[0], c[0])


def test_sampled_parameters_replay_and_can_be_logged():
    images, labels = disc_batch(3, 64)
    policy = cb.create_policy("paper", crop=48)
    params = policy.sample(3, torch.Generator().manual_seed(5))
    rotate = params[2]
    assert rotate["degrees"].shape == (3,) and bool((rotate["degrees"].abs() <= 30).all())
    first = policy.apply(images, labels, params)
    again = policy.apply(images, labels, params)
    assert torch.equal(first[1], again[1])


@pytest.mark.parametrize("name", OPS.names())
def test_every_operation_runs_on_a_batch(name):
    images, labels = disc_batch(3, 64)
    kwargs = {"size": 48} if "crop" in name else {}
    policy = policy_from_config({"ops": [{"op": name, "p": 1.0, **kwargs}]})
    out, lab = policy(images, labels, torch.Generator().manual_seed(0))
    assert torch.isfinite(out).all() and lab is not None
    if OPS.get(name).kind == "intensity":
        assert torch.equal(lab, labels) and not torch.allclose(out, images)


def test_policy_p_zero_leaves_images_untouched():
    images, labels = disc_batch(3, 64)
    policy = policy_from_config({"ops": [{"op": "gamma", "p": 0.0}, {"op": "noise", "p": 0.0}]})
    out, _ = policy(images, labels, torch.Generator())
    assert torch.equal(out, images)


def test_suite_defined_policy_errors_name_the_problem():
    with pytest.raises(CmrbenchError, match="did you mean 'rotate'"):
        policy_from_config({"ops": [{"op": "rotat"}]}, name="mine")
    with pytest.raises(CmrbenchError, match=r"policy 'mine': ops\[0\] \(rotate\)\.angle: unknown parameter "
                                            r"\(rotate takes p, degrees, sd\)"):
        policy_from_config({"ops": [{"op": "rotate", "angle": 3}]}, name="mine")
    with pytest.raises(CmrbenchError, match="unknown key"):
        policy_from_config({"opps": []}, name="mine")


def test_ablations_differ_from_paper_by_one_operation():
    paper = set(cb.create_policy("paper").operations())
    assert paper == {"resample", "flip_h", "flip_v", "rotate", "scale", "random_crop"}
    assert paper - set(cb.create_policy("paper-no-resample").operations()) == {"resample"}
    assert paper - set(cb.create_policy("paper-no-rotation").operations()) == {"rotate"}
    assert paper - set(cb.create_policy("paper-no-flip").operations()) == {"flip_h", "flip_v"}
    assert paper - set(cb.create_policy("paper-no-scale").operations()) == {"scale"}
    assert set(cb.create_policy("paper+gamma").operations()) - paper == {"gamma"}
    bai = cb.create_policy("bai2018")
    assert not bai.resample and "flip_h" not in bai.operations()
    degrees = bai.sample(20000, torch.Generator().manual_seed(0))[0]["degrees"]
    assert float(degrees.std()) == pytest.approx(10, rel=0.05) and float(degrees.abs().max()) <= 30
    assert np.isclose(float(bai.sample(20000, torch.Generator().manual_seed(0))[1]["scale"].std()), 0.2, rtol=0.05)


def test_calling_a_policy_without_a_generator_is_an_error_not_a_fixed_batch():
    images, labels = disc_batch(2, 64)
    policy = cb.create_policy("paper", crop=48)
    with pytest.raises(TypeError, match="needs a torch.Generator"):
        policy(images, labels)
    with pytest.raises(TypeError, match="needs a torch.Generator"):
        policy(images, labels, 7)
