"""The generic encoder hook: the stages it finds in the built-in U-Net, the FCN and an smp ResNet encoder, and
that a perturbation there acts in training mode only."""
from __future__ import annotations

import torch

import benchmark as cb
from benchmark.algorithms.stages import encoder_stages, perturbed


def described(model: str, **kwargs) -> list[tuple[str, int, int, int]]:
    return [(s.name, s.call, s.channels, s.stride) for s in encoder_stages(cb.create_model(model, **kwargs))]


def test_unet_stages_are_the_four_encoder_blocks_before_each_pooling():
    assert described("unet16") == [("net.down.0.1.2", 0, 16, 1), ("net.down.1.1.2", 0, 32, 2),
                                   ("net.down.2.1.2", 0, 64, 4), ("net.down.3.1.2", 0, 128, 8)]


def test_fcn_stages_are_the_levels_not_their_side_branches():
    assert described("fcn16") == [("net.levels.0.1.2", 0, 16, 1), ("net.levels.1.1.2", 0, 32, 2),
                                  ("net.levels.2.2.2", 0, 64, 4), ("net.levels.3.2.2", 0, 128, 8)]


def test_smp_resnet_stages_are_the_stem_and_the_residual_layers_after_their_last_addition():
    # BasicBlock calls its one ReLU twice; call 1 follows the residual addition, the block's output
    assert described("smp:unet:resnet18") == [
        ("net.encoder.relu", 0, 64, 2), ("net.encoder.layer1.1.relu", 1, 64, 4),
        ("net.encoder.layer2.1.relu", 1, 128, 8), ("net.encoder.layer3.1.relu", 1, 256, 16)]


def test_probe_leaves_the_model_as_it_was():
    model = cb.create_model("unet_test")
    before = {k: v.clone() for k, v in model.state_dict().items()}
    model.train()
    encoder_stages(model)
    assert model.training
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())  # BN statistics untouched
    assert not any(m._forward_hooks or m._forward_pre_hooks for m in model.modules())


def test_a_perturbation_acts_at_the_stages_in_training_mode_only():
    torch.manual_seed(0)
    model = cb.create_model("unet_test", dropout=0.0)
    x = torch.randn(2, 1, 32, 32)
    seen: list[tuple[int, ...]] = []

    def zero(feature: torch.Tensor) -> torch.Tensor:
        seen.append(tuple(feature.shape))
        return torch.zeros_like(feature)

    stages = encoder_stages(model)[:2]
    model.train()
    plain = model(x)
    with perturbed(model, stages, zero):
        changed = model(x)
        model.eval()
        evaluated = model(x)
    assert seen == [(2, 4, 32, 32), (2, 8, 16, 16)]  # unet_test: width 4, then 8 at half size
    assert not torch.allclose(plain, changed)
    model.train()
    assert torch.equal(evaluated, model.eval()(x))
    assert not any(m._forward_hooks for m in model.modules())  # removed on leaving the block
