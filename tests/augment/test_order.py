"""Operations run in the listed order (one resampling per run of spatial ops); built-in policies unchanged."""
from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from test_policies import disc_batch

import benchmark as cb
from benchmark.augment import Policy, policy_from_config
from benchmark.augment.ops import Gamma, GaussianNoise, Op, Params, Rotate
from benchmark.augment.policy import Stage, plan_stages


def ops_of(*specs: dict) -> list[Op]:
    return policy_from_config({"ops": list(specs)}).ops


def params_for(ops: list[Op], n: int) -> dict[str, Params]:
    """Each op's parameters drawn from its own seed, so two orders of the same ops share them."""
    return {o.name: o.sample(n, torch.Generator().manual_seed(i)) for i, o in enumerate(ops)}


def run_in_order(ops: list[Op], images: torch.Tensor, labels: torch.Tensor, params: dict[str, Params]):
    return Policy(ops).apply(images, labels, [params[o.name] for o in ops])


def test_noise_before_a_flip_is_flipped_with_the_image_and_after_it_is_not():
    images, labels = disc_batch(3, 32)
    noise, flip = ops_of({"op": "noise", "sd": [0.5, 0.5]}, {"op": "flip_h"})
    params = params_for([noise, flip], 3)
    noisy = noise.apply(images, params["noise"])  # I + N
    first_noise, _ = run_in_order([noise, flip], images, labels, params)
    first_flip, _ = run_in_order([flip, noise], images, labels, params)
    torch.testing.assert_close(first_noise, noisy.flip(-1), atol=1e-5, rtol=0)  # flip(I + N)
    torch.testing.assert_close(first_flip, noisy - images + images.flip(-1), atol=1e-5, rtol=0)  # flip(I) + N
    assert (first_noise - first_flip).abs().max() > 0.1


def test_gamma_then_rotate_differs_from_rotate_then_gamma():
    images, labels = disc_batch(2, 48)
    gamma, rotate = Gamma(range=(2.0, 2.0)), Rotate(degrees=(45, 45))
    params = params_for([gamma, rotate], 2)
    a, lab_a = run_in_order([gamma, rotate], images, labels, params)
    b, lab_b = run_in_order([rotate, gamma], images, labels, params)
    assert torch.equal(lab_a, lab_b)  # labels see the same geometry
    # rotate then gamma: the exact gamma of the rotated image; gamma then rotate: the rotation of gamma'd values
    rotated, _ = run_in_order([rotate], images, labels, params)
    torch.testing.assert_close(b, gamma.apply(rotated, params["gamma"]))
    torch.testing.assert_close(a, run_in_order([rotate], gamma.apply(images, params["gamma"]), labels, params)[0])
    assert (a - b).abs().max() > 0.05  # interpolation does not commute with a convex curve


def test_brightness_before_a_rotation_moves_the_zero_padding_with_it():
    size = 32
    images = torch.zeros(1, 1, size, size)
    images[..., 8:24, 8:24] = 1.0  # std known in closed form: a quarter of the pixels are 1
    labels = torch.zeros(1, size, size, dtype=torch.long)
    bright, rotate = ops_of({"op": "brightness_contrast", "brightness": [1, 1], "contrast": [1, 1]},
                            {"op": "rotate", "degrees": [45, 45]})
    params = params_for([bright, rotate], 1)
    first_bright, _ = run_in_order([bright, rotate], images, labels, params)
    corner_before = float(first_bright[0, 0, 0, 0])
    assert corner_before == pytest.approx(float(images.std()), abs=1e-5)  # padding = the brightened minimum
    first_rotate, _ = run_in_order([rotate, bright], images, labels, params)
    assert float(first_rotate[0, 0, 0, 0]) != pytest.approx(corner_before, abs=1e-3)


@pytest.mark.parametrize("specs, stages", [
    (["flip_h", "flip_v", "rotate", "scale", "random_crop"], [("spatial", (0, 1, 2, 3, 4))]),
    (["flip_h", "rotate", "gamma", "random_crop"], [("spatial", (0, 1, 3)), ("intensity", (2,))]),
    (["gamma", "noise", "rotate", "scale", "random_crop"], [("intensity", (0, 1)), ("spatial", (2, 3, 4))]),
    (["rotate", "gamma", "flip_h", "noise", "random_crop"],
     [("spatial", (0,)), ("intensity", (1,)), ("spatial", (2, 4)), ("intensity", (3,))]),
    (["gamma", "random_crop"], [("spatial", (1,)), ("intensity", (0,))]),
    (["random_crop", "gamma", "rotate"], [("intensity", (1,)), ("spatial", (2, 0))]),
    (["gamma", "noise"], [("intensity", (0, 1))]),
])
def test_ops_split_into_runs_in_order_and_the_crop_joins_the_last_spatial_run(specs, stages):
    ops = ops_of(*({"op": s, **({"size": 16} if "crop" in s else {})} for s in specs))
    assert plan_stages(ops) == [Stage(kind, idx) for kind, idx in stages]


def test_one_grid_sample_per_spatial_run(monkeypatch):
    calls = []
    real = F.grid_sample

    def counting(*args, **kwargs):
        calls.append(kwargs.get("mode"))
        return real(*args, **kwargs)

    monkeypatch.setattr("benchmark.augment.resample.F.grid_sample", counting)
    images, labels = disc_batch(2, 48)
    cb.create_policy("paper", crop=32)(images, labels, torch.Generator().manual_seed(0))
    assert calls == ["bilinear", "nearest"]
    calls.clear()
    specs = [{"op": "rotate"}, {"op": "scale"}, {"op": "gamma"}, {"op": "rotate"}, {"op": "random_crop", "size": 32}]
    out, lab = policy_from_config({"ops": specs})(images, labels, torch.Generator().manual_seed(0))
    assert calls == ["bilinear", "nearest"] * 2 and out.shape == (2, 1, 32, 32) and lab.shape == (2, 32, 32)


# Fingerprints of each built-in policy's batch (disc_batch(4, 80, radius=18), crop 56, seed 7) computed with
# the code before operations ran in the listed order: image sum, position-weighted image sum, label counts,
# position-weighted label sum. bigaug lists its intensity operations first (BigAug's order) and so changed.
BEFORE = {
    "bai2018": (6793.160768337548, 3503.9803965226743, [5910, 3724, 2550, 360], 5095.117595471578),
    "none": (7384.874329359183, 3689.338411365213, [5264, 4080, 3136, 64], 5268.129155704376),
    "paper": (8529.915912874043, 4017.1484482573596, [3968, 5227, 3031, 318], 5761.972813521486),
    "paper+gamma": (8271.081052035093, 4069.594322453956, [3994, 5301, 3167, 82], 5836.301602487443),
    "paper-no-flip": (6673.922018647194, 3542.941267619468, [6403, 3164, 2349, 628], 5126.777485450051),
    "paper-no-resample": (8529.915912874043, 4017.1484482573596, [3968, 5227, 3031, 318], 5761.972813521486),
    "paper-no-rotation": (6601.115242384374, 3288.1719682088233, [6477, 3144, 2352, 571], 4735.598341704536),
    "paper-no-scale": (7643.066512204707, 3739.0004838523573, [5336, 4019, 2620, 569], 5355.001275611896),
}
BIGAUG_LABELS_BEFORE = ([6235, 3746, 2339, 224], 4814.207765287411)


def fingerprint(images: torch.Tensor, labels: torch.Tensor) -> tuple[float, float, list[int], float]:
    x = images.double()
    weight = torch.linspace(0, 1, x.numel(), dtype=torch.float64).view(x.shape)
    lab_weight = torch.linspace(0, 1, labels.numel(), dtype=torch.float64).view(labels.shape)
    return (float(x.sum()), float((x * weight).sum()), torch.bincount(labels.flatten(), minlength=4).tolist(),
            float((labels.double() * lab_weight).sum()))


@pytest.mark.parametrize("name", sorted(BEFORE))
def test_builtin_policies_give_the_same_batches_as_before(name):
    images, labels = disc_batch(4, 80, radius=18)
    got = fingerprint(*cb.create_policy(name, crop=56)(images, labels, torch.Generator().manual_seed(7)))
    s, ws, counts, wl = BEFORE[name]
    assert got[0] == pytest.approx(s, rel=1e-6) and got[1] == pytest.approx(ws, rel=1e-6)
    assert got[2] == counts and got[3] == pytest.approx(wl, rel=1e-9)


def test_bigaug_applies_quality_and_appearance_ops_before_its_spatial_ones():
    images, labels = disc_batch(4, 80, radius=18)
    policy = cb.create_policy("bigaug", crop=56)
    kinds = [o.kind for o in policy.ops]
    assert kinds == ["intensity"] * 6 + ["spatial"] * 3 + ["crop"]
    out, lab = policy(images, labels, torch.Generator().manual_seed(7))
    params = policy.sample(4, torch.Generator().manual_seed(7))
    expected = images
    for o, p in zip(policy.ops[:6], params[:6]):
        expected = o.apply(expected, p)  # type: ignore[attr-defined]
    expected, expected_lab = Policy(policy.ops[6:]).apply(expected, labels, params[6:])
    assert torch.equal(out, expected) and torch.equal(lab, expected_lab)
    counts, weighted = BIGAUG_LABELS_BEFORE  # the geometry (and so the labels) is what it was
    assert fingerprint(out, lab)[2] == counts and fingerprint(out, lab)[3] == pytest.approx(weighted, rel=1e-9)


def test_the_crop_sets_the_output_wherever_it_is_listed():
    images, labels = disc_batch(3, 64)
    gamma = Gamma(p=1.0)
    crop_first = policy_from_config({"ops": [{"op": "center_crop", "size": 40}, {"op": "gamma"}]})
    crop_last = policy_from_config({"ops": [{"op": "gamma"}, {"op": "center_crop", "size": 40}]})
    p = gamma.sample(3, torch.Generator().manual_seed(1))
    shift = {"on": torch.ones(3, dtype=torch.bool), "shift": torch.zeros(3, 2)}
    a = crop_first.apply(images, labels, [shift, p])
    b = crop_last.apply(images, labels, [p, shift])
    assert torch.equal(a[0], b[0]) and a[0].shape == (3, 1, 40, 40)


def test_intensity_ops_listed_first_see_the_whole_image():
    images, labels = disc_batch(2, 64)
    noise = GaussianNoise(sd=(0.3, 0.3))
    policy = Policy([noise, Rotate(degrees=(0, 0)), cb.create_policy("none", crop=40).ops[0]])
    params = policy.sample(2, torch.Generator().manual_seed(0))
    out, _ = policy.apply(images, labels, params)
    full = noise.apply(images, params[0])  # noise scaled by the sd of the whole 64 x 64 image, then cropped
    torch.testing.assert_close(out, full[..., 12:52, 12:52])
