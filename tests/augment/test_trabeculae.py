"""Trabeculae: strands of myocardial signal inside the cavities, along the wall; labels and the rest untouched."""
from __future__ import annotations

import pytest
import torch
from phantoms import blood_in_ring

import benchmark as cb
from benchmark.augment.ops import Trabeculae
from benchmark.augment.ops.trabeculae import near_wall, strands


def heart(n: int = 1) -> tuple[torch.Tensor, torch.Tensor]:
    """A 64 x 64 image: background 0.1, myocardial ring 0.3 (r 14-20), LV blood disc 1.0 (r < 14)."""
    return blood_in_ring(n, blood_r=14, values=(0.1, 1.0, 0.3))


def test_the_wall_weight_is_one_on_the_rim_and_falls_as_a_gaussian_tail_inside():
    cavity = torch.zeros(1, 1, 40, 40)
    cavity[..., :, 20:] = 1  # a straight wall between columns 19 and 20
    row = near_wall(cavity, torch.tensor([2.0]))[0, 0, 10]
    assert torch.all(row[:20] == 0)
    assert float(row[20]) == pytest.approx(1.0, abs=0.05)
    # Phi(-d / 2) / Phi(-0.25) with d = 2.5, 4.5, 6.5 pixels from the wall
    assert [float(row[20 + k]) for k in (2, 4, 6)] == pytest.approx([0.263, 0.030, 0.001], abs=0.01)


def test_strands_cover_about_the_density_asked():
    for density in (0.25, 0.5):
        cover = float(strands((128, 128), torch.tensor([3]), torch.tensor([1.0]), torch.tensor([density])).mean())
        assert abs(cover - density) < 0.06, (density, cover)


def test_cavity_pixels_move_toward_the_myocardium_mostly_at_the_wall_and_nothing_else_changes():
    images, labels = heart(8)
    op = Trabeculae(p=1.0, strength=(1.0, 1.0), width=(1.5, 1.5), density=(0.5, 0.5))
    out = op.apply_labelled(images, labels, op.sample(8, torch.Generator().manual_seed(0)))
    lv = labels == 1
    assert torch.equal(out[:, 0][~lv], images[:, 0][~lv])
    blood = out[:, 0][lv]
    assert float(blood.min()) >= 0.3 - 1e-6 and float(blood.max()) <= 1.0 + 1e-6
    r = torch.hypot(*torch.meshgrid(torch.arange(64) + 0.5 - 32, torch.arange(64) + 0.5 - 32, indexing="ij"))
    rim = (r >= 12) & (r < 14)
    core = r < 8
    drop_rim = float((1 - out[:, 0][:, rim]).mean())
    drop_core = float((1 - out[:, 0][:, core]).mean())
    # about half the rim is strands, pulled all the way to 0.3 (a drop of 0.7) on the rim, by exp(-1) a pixel in: ~0.25
    assert 0.15 < drop_rim < 0.45, drop_rim
    assert drop_core < 0.01, drop_core


def test_without_labels_or_without_myocardium_the_images_pass_unchanged():
    images, labels = heart(4)
    op = Trabeculae(p=1.0)
    params = op.sample(4, torch.Generator().manual_seed(1))
    assert torch.equal(op.apply_labelled(images, None, params), images)
    no_myo = labels.clone()
    no_myo[no_myo == 2] = 0
    assert torch.equal(op.apply_labelled(images, no_myo, params), images)


def test_the_policy_passes_labels_to_it_and_never_changes_them():
    images, labels = heart(12)
    policy = cb.create_policy("paper+trabeculae", crop=64)
    assert [(o.name, o.p) for o in policy.ops if isinstance(o, Trabeculae)] == [("trabeculae", 0.7)]
    params = policy.sample(12, torch.Generator().manual_seed(0))
    out, lab = policy.apply(images, labels, params)
    plain = cb.create_policy("paper", crop=64)
    ref, ref_lab = plain.apply(images, labels, [p for p, o in zip(params, policy.ops) if o.name != "trabeculae"])
    assert torch.equal(lab, ref_lab)
    on = params[[o.name for o in policy.ops].index("trabeculae")]["on"]
    assert 0 < int(on.sum()) < 12
    assert torch.equal(out[~on], ref[~on]) and not torch.allclose(out[on], ref[on])
