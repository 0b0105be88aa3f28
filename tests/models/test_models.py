"""Every registered model: shapes for even and odd sizes, backward, train/eval, state-dict round trip."""
from __future__ import annotations

import io

import pytest
import torch

import benchmark as cb
from benchmark.errors import CmrbenchError
from benchmark.models import MODELS

# the big presets get the same checks at their own width; smp is represented by small combinations
SMP = ["smp:unet:resnet18", "smp:fpn:mobilenet_v2", "smp:unet:tu-mobilenetv3_small_050"]
NAMES = MODELS.names() + SMP


@pytest.mark.parametrize("name", NAMES)
def test_model_contract(name):
    torch.manual_seed(0)
    model = cb.create_model(name)
    for h, w in ((64, 64), (37, 53)):
        x = torch.randn(2, 1, h, w)
        model.train()
        y = model(x)
        assert y.shape == (2, 4, h, w)
        y.logsumexp(1).mean().backward()
        grads = [p.grad for p in model.parameters() if p.requires_grad]
        assert all(g is not None for g in grads) and any(g.abs().sum() > 0 for g in grads)
        model.zero_grad()
    model.eval()
    x = torch.randn(1, 1, 48, 40)
    with torch.no_grad():
        before = model(x)
    buffer = io.BytesIO()
    torch.save(model.state_dict(), buffer)
    buffer.seek(0)
    clone = cb.create_model(name)
    clone.load_state_dict(torch.load(buffer, weights_only=True))
    clone.eval()
    with torch.no_grad():
        torch.testing.assert_close(clone(x), before)


@pytest.mark.parametrize("name, millions", [("unet16", 0.84), ("unet64", 13.4), ("fcn16", 0.98), ("fcn64", 15.6)])
def test_parameter_counts_match_table_iv_within_5_percent(name, millions):
    n = cb.count_parameters(cb.create_model(name))
    assert abs(n / 1e6 - millions) / millions < 0.05, n


def test_fcn_with_ukbb_cardiac_widths_has_about_1_98_million_weights():
    n = cb.count_parameters(cb.create_model("fcn", multipliers=(1, 2, 4, 8, 16)))
    assert abs(n / 1e6 - 1.98) < 0.02


def test_dropout_after_each_concatenation_is_2d_with_p_0_2():
    net = cb.create_model("unet16").net
    assert isinstance(net.drop, torch.nn.Dropout2d) and net.drop.p == 0.2
    assert cb.create_model("unet", width=8, dropout=0.5).net.drop.p == 0.5


def test_pretrained_weights_are_never_downloaded():
    with pytest.raises(CmrbenchError, match="never downloads"):
        cb.create_model("smp:unet:resnet18", encoder_weights="imagenet")
    with pytest.raises(CmrbenchError, match="does not exist"):
        cb.create_model("smp:unet:resnet18", encoder_weights_path="/nonexistent.pth")


def test_bad_names_give_clear_errors():
    with pytest.raises(CmrbenchError, match="did you mean 'unet64', 'unet16'"):
        cb.create_model("unet61")
    with pytest.raises(CmrbenchError, match="unknown architecture 'unett'"):
        cb.create_model("smp:unett:resnet18")
    with pytest.raises(CmrbenchError, match="expected smp:<arch>:<encoder>"):
        cb.create_model("smp:unet")


def test_list_models_with_wildcards():
    assert cb.list_models("unet*") == ["unet", "unet16", "unet64", "unet_test"]
    assert "smp:<arch>:<encoder>" in cb.list_models()


def test_an_argument_the_factory_does_not_take_is_named():
    with pytest.raises(CmrbenchError, match=r"model 'unet16': unknown argument\(s\) 'widht' "
                                            r"\(it takes in_channels, num_classes, width, dropout\)"):
        cb.create_model("unet16", widht=8)
    with pytest.raises(CmrbenchError, match=r"model 'fcn': unknown argument\(s\) 'depth'"):
        cb.create_model("fcn", depth=3)


def test_a_type_error_inside_the_model_code_propagates_unchanged():
    def broken(in_channels: int = 1, num_classes: int = 4, width: int = 2):
        return torch.nn.Conv2d(in_channels, num_classes, kernel_size=None + width)  # a bug in the model's code

    MODELS.add("broken_net", broken)
    try:
        with pytest.raises(TypeError, match="unsupported operand type") as err:
            cb.create_model("broken_net", width=3)
        assert not isinstance(err.value, CmrbenchError)
    finally:
        MODELS.remove("broken_net")
