"""Operation parameters: what a single number means per operation, and every bad value named by its key path."""
from __future__ import annotations

import pytest
import torch
from test_policies import disc_batch
from typer.testing import CliRunner

from benchmark.augment import policy_from_config
from benchmark.augment.ops import OPS, BrightnessContrast, Gamma, ParameterError
from benchmark.cli import app
from benchmark.errors import CmrbenchError


@pytest.mark.parametrize("op, key, value, expected", [
    ("rotate", "degrees", 15, (-15.0, 15.0)),            # symmetric: d -> [-d, d]
    ("brightness_contrast", "brightness", 0.2, (-0.2, 0.2)),
    ("gamma", "range", 1.5, (1 / 1.5, 1.5)),             # multiplicative: x -> [1/x, x]
    ("scale", "range", 1.25, (0.8, 1.25)),
    ("brightness_contrast", "contrast", 1.2, (1 / 1.2, 1.2)),
    ("noise", "sd", 0.1, (0.0, 0.1)),                     # magnitude: x -> [0, x]
    ("blur", "sigma", 2, (0.0, 2.0)),
    ("spike", "intensity", 0.2, (0.0, 0.2)),
    ("low_resolution", "factor", 3, (1.0, 3.0)),         # from 1: x -> [1, x]
    ("ghosting", "period", 5, (2.0, 5.0)),               # from 2: x -> [2, x]
    ("gamma", "range", [0.8, 1.25], (0.8, 1.25)),        # a pair is taken as given
])
def test_a_single_number_means_the_range_documented_for_its_operation(op, key, value, expected):
    assert OPS.get(op)(**{key: value}).settings[key] == pytest.approx(list(expected))


def test_contrast_1_2_never_inverts_an_image():
    images, labels = disc_batch(64, 32)
    policy = policy_from_config({"ops": [{"op": "brightness_contrast", "brightness": 0, "contrast": 1.2}]})
    out, _ = policy(images, labels, torch.Generator().manual_seed(0))
    centred_in = images.flatten(1) - images.flatten(1).mean(1, keepdim=True)
    centred_out = out.flatten(1) - out.flatten(1).mean(1, keepdim=True)
    ratio = (centred_out * centred_in).sum(1) / (centred_in * centred_in).sum(1)  # the contrast each sample got
    assert float(ratio.min()) >= 1 / 1.2 - 1e-4 and float(ratio.max()) <= 1.2 + 1e-4


def test_gamma_1_5_runs_with_exponents_between_2_3_and_3_2():
    policy = policy_from_config({"ops": [{"op": "gamma", "range": 1.5}]})
    gamma = policy.sample(10000, torch.Generator().manual_seed(0))[0]["gamma"]
    assert float(gamma.min()) >= 1 / 1.5 - 1e-6 and float(gamma.max()) <= 1.5 + 1e-6
    assert float(torch.log(gamma).mean()) == pytest.approx(0, abs=0.01)  # log-uniform, centred on 1
    images, labels = disc_batch(4, 32)
    out, _ = policy(images, labels, torch.Generator().manual_seed(0))
    assert torch.isfinite(out).all()


@pytest.mark.parametrize("spec, message", [
    ({"op": "gamma", "range": [1.5, 0.7]}, r"\(gamma\)\.range: range must be ordered \[low, high\], got \[1.5, 0.7\]"),
    ({"op": "gamma", "range": [0, 1.5]}, r"\(gamma\)\.range: a multiplicative range must be > 0"),
    ({"op": "gamma", "range": 0.7}, r"\(gamma\)\.range: a single value x means \[1/x, x\] and must be >= 1"),
    ({"op": "brightness_contrast", "contrast": 0.2}, r"\(brightness_contrast\)\.contrast: a single value x means"),
    ({"op": "brightness_contrast", "contrast": [-1.2, 1.2]},
     r"\(brightness_contrast\)\.contrast: a multiplicative range must be > 0, got \[-1.2, 1.2\]"),
    ({"op": "scale", "range": [1.4, 0.7]}, r"\(scale\)\.range: range must be ordered"),
    ({"op": "scale", "sd": 0.4}, r"\(scale\)\.sd: must be below 1/3"),
    ({"op": "rotate", "degrees": -10}, r"\(rotate\)\.degrees: must be in \[0, inf\], got -10"),
    ({"op": "rotate", "degrees": [30, -30]}, r"\(rotate\)\.degrees: range must be ordered"),
    ({"op": "rotate", "degrees": 10, "sd": 5}, r"\(rotate\)\.sd: give degrees or sd, not both"),
    ({"op": "rotate", "degrees": "lots"}, r"\(rotate\)\.degrees: must be a number or a \[low, high\] pair"),
    ({"op": "flip_h", "p": 1.5}, r"\(flip_h\)\.p: must be in \[0, 1\], got 1.5"),
    ({"op": "noise", "p": -0.1}, r"\(noise\)\.p: must be in \[0, 1\]"),
    ({"op": "noise", "sd": [0.2, 0.1]}, r"\(noise\)\.sd: range must be ordered"),
    ({"op": "blur", "sigma": [-0.5, 1]}, r"\(blur\)\.sigma: must lie in \[0, inf\]"),
    ({"op": "sharpen", "sigma": -1}, r"\(sharpen\)\.sigma: must be in \[0, inf\]"),
    ({"op": "random_crop", "size": 0}, r"\(random_crop\)\.size: must be a whole number >= 1, got 0"),
    ({"op": "center_crop", "size": 12.5}, r"\(center_crop\)\.size: must be a whole number >= 1, got 12.5"),
    ({"op": "elastic", "grid": 1}, r"\(elastic\)\.grid: must be a whole number >= 2"),
    ({"op": "elastic", "magnitude": -2}, r"\(elastic\)\.magnitude: must be in \[0, inf\]"),
    ({"op": "bias_field", "order": 0}, r"\(bias_field\)\.order: must be a whole number >= 1"),
    ({"op": "low_resolution", "factor": [0.5, 2]}, r"\(low_resolution\)\.factor: must lie in \[1, inf\]"),
    ({"op": "ghosting", "strength": 1.5}, r"\(ghosting\)\.strength: must be in \[0, 1\]"),
    ({"op": "ghosting", "period": [2.5, 4]}, r"\(ghosting\)\.period: must be whole numbers"),
    ({"op": "motion", "fraction": [0.5, 1.2]}, r"\(motion\)\.fraction: must lie in \[0, 1\]"),
    ({"op": "spike", "intensity": float("nan")}, r"\(spike\)\.intensity: must be a number or a \[low, high\] pair"),
    ({"op": "rotate", "angle": 3}, r"\(rotate\)\.angle: unknown parameter \(rotate takes p, degrees, sd\)"),
])
def test_bad_parameters_are_errors_naming_the_key_path(spec, message):
    with pytest.raises(CmrbenchError, match=r"^policy 'mine': ops\[1\] " + message):
        policy_from_config({"ops": [{"op": "flip_v"}, spec]}, name="mine")


def test_ops_built_directly_name_their_parameter():
    with pytest.raises(ParameterError, match=r"^gamma\.range: range must be ordered") as err:
        Gamma(range=(2.0, 1.0))
    assert (err.value.op, err.value.key) == ("gamma", "range")
    with pytest.raises(ParameterError, match=r"^brightness_contrast\.p: must be in \[0, 1\]"):
        BrightnessContrast(p=2)


def test_bad_policy_shapes_name_the_key():
    with pytest.raises(CmrbenchError, match=r"policy 'mine'\.resample: must be true or false"):
        policy_from_config({"resample": "yes", "ops": []}, name="mine")
    with pytest.raises(CmrbenchError, match=r"policy 'mine'\.ops: must be a list"):
        policy_from_config({"ops": {"op": "rotate"}}, name="mine")
    with pytest.raises(CmrbenchError, match=r"policy 'mine': ops\[0\]: unknown augmentation operation 'rotat'"):
        policy_from_config({"ops": [{"op": "rotat"}]}, name="mine")


def test_every_default_is_valid_and_described_as_before():
    described = {name: OPS.get(name)().describe() for name in OPS.names()}
    assert described["rotate"] == "rotate(degrees=[-30.0, 30.0])"
    assert described["scale"] == "scale(range=[0.7, 1.4])"
    assert described["brightness_contrast"] == "brightness_contrast(brightness=[-0.1, 0.1], contrast=[0.8, 1.2])"
    assert described["ghosting"] == "ghosting(period=[2.0, 6.0], strength=[0.3, 0.9])"


def test_validate_reports_a_bad_policy_parameter(tmp_path):
    suite = tmp_path / "suite.yaml"
    suite.write_text(
        "name: s\n"
        "data:\n  source: {name: ukbb, synth: {cohort: ukbb, subjects: 6, seed: 0},\n"
        "           split: {train: 3, val: 1, test: 2}}\n"
        "training: {iterations: 2, batch_size: 2}\n"
        "models: [unet_test]\n"
        "policies:\n  - {name: mine, ops: [{op: rotate, degrees: 10}, {op: gamma, range: [1.5, 0.7]}]}\n")
    result = CliRunner().invoke(app, ["validate", str(suite)])
    assert result.exit_code == 2, result.output
    assert "policy 'mine': ops[1] (gamma).range: range must be ordered [low, high], got [1.5, 0.7]" in \
        " ".join(result.output.split())
