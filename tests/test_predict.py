"""`cmrbench predict` with a checkpoint whose model comes from a suite-local plugin file."""
from __future__ import annotations

from pathlib import Path

import nibabel as nib
import numpy as np
import torch
from torch import nn
from typer.testing import CliRunner

from benchmark.cli import app
from benchmark.models import MODELS

PLUGIN = '''
from torch import nn
from benchmark.models import register_model

@register_model("{name}")
def tiny(in_channels=1, num_classes=4, width=2):
    return nn.Sequential(nn.Conv2d(in_channels, width, 3, padding=1), nn.ReLU(), nn.Conv2d(width, num_classes, 1))
'''
SHAPE = (40, 36, 3)
CROP = 32


def write_case(tmp_path: Path, name: str, with_plugins_key: bool = True) -> tuple[Path, Path, Path]:
    """A plugin file, a best.pt whose network says 'LV' everywhere, and one 3D NIfTI image."""
    plugin = tmp_path / f"{name}_nets.py"
    plugin.write_text(PLUGIN.format(name=name))
    net = nn.Sequential(nn.Conv2d(1, 2, 3, padding=1), nn.ReLU(), nn.Conv2d(2, 4, 1))  # as the plugin builds it
    with torch.no_grad():
        for p in net.parameters():
            p.zero_()
        net[2].bias[1] = 10.0
    state = {"model_name": name, "model_kwargs": {}, "crop": CROP, "method": f"{name} + none", "tta_flip": False,
             "preprocess": {"target_spacing": None, "normalise": "zscore", "percentiles": [1.0, 99.0]},
             "model": net.state_dict(), "step": 8, "val_metric": 0.5}
    if with_plugins_key:
        state["plugins"] = [str(plugin)]
    ckpt = tmp_path / "best.pt"
    torch.save(state, ckpt)
    image = tmp_path / "case_ED.nii.gz"
    data = np.random.default_rng(0).normal(size=SHAPE).astype(np.float32)
    nib.save(nib.Nifti1Image(data, np.diag([1.5, 1.5, 8.0, 1.0])), image)
    return plugin, ckpt, image


def invoke(*args: object):
    result = CliRunner().invoke(app, [str(a) for a in args])
    assert "Traceback" not in result.output
    return result


def test_predict_loads_the_model_from_a_plugin_file(tmp_path):
    plugin, ckpt, image = write_case(tmp_path, "predictnet_a")
    try:
        result = invoke("predict", "--checkpoint", ckpt, "--input", image, "--out", tmp_path / "seg",
                        "--plugins", plugin)
        assert result.exit_code == 0, result.output
    finally:
        MODELS.remove("predictnet_a")
    seg = np.asarray(nib.load(tmp_path / "seg" / image.name).dataobj)
    assert seg.shape == SHAPE
    expected = np.zeros(SHAPE, dtype=np.uint8)
    expected[4:36, 2:34] = 1  # LV inside the centred 32 x 32 crop, background outside it
    assert np.array_equal(seg, expected)


def test_an_unregistered_model_names_itself_and_the_plugin_files_to_pass(tmp_path):
    plugin, ckpt, image = write_case(tmp_path, "predictnet_b")
    result = invoke("predict", "--checkpoint", ckpt, "--input", image, "--out", tmp_path / "seg")
    assert result.exit_code == 2
    text = " ".join(result.output.split())
    assert f"checkpoint {ckpt} needs model 'predictnet_b', which is not registered here" in text
    assert f"plugin file(s) {plugin}: pass them with --plugins FILE" in text
    assert not (tmp_path / "seg").exists()


def test_without_a_plugins_key_the_message_still_says_where_the_model_comes_from(tmp_path):
    _, ckpt, image = write_case(tmp_path, "predictnet_c", with_plugins_key=False)
    result = invoke("predict", "--checkpoint", ckpt, "--input", image, "--out", tmp_path / "seg")
    assert result.exit_code == 2
    text = " ".join(result.output.split())
    assert "needs model 'predictnet_c', which is not registered here; it comes from a plugin" in text
    assert "--plugins FILE" in text


def test_a_missing_plugin_file_is_a_clear_error(tmp_path):
    _, ckpt, image = write_case(tmp_path, "predictnet_d")
    result = invoke("predict", "--checkpoint", ckpt, "--input", image, "--out", tmp_path / "seg",
                    "--plugins", tmp_path / "nope.py")
    assert result.exit_code == 2 and "nope.py: no such file" in result.output


class Marker:
    """Unpickling this touches a file: what a crafted best.pt would do with weights_only=False."""

    def __init__(self, path: str) -> None:
        self.path = path

    def __reduce__(self):
        return (open, (self.path, "w"))


def test_a_crafted_checkpoint_runs_no_code(tmp_path):
    marker = tmp_path / "pwned"
    torch.save({"model_name": "x", "model": {}, "preprocess": {}, "crop": 8, "payload": Marker(str(marker))},
               tmp_path / "evil.pt")
    result = invoke("predict", "--checkpoint", tmp_path / "evil.pt", "--input", tmp_path, "--out", tmp_path / "seg")
    assert result.exit_code == 2 and not marker.exists()
    assert f"checkpoint {tmp_path / 'evil.pt'}: not a readable PyTorch checkpoint" in " ".join(result.output.split())


def test_mismatched_weights_and_garbage_are_one_line(tmp_path):
    plugin, ckpt, image = write_case(tmp_path, "predictnet_e")
    state = torch.load(ckpt, weights_only=True)
    state["model"] = {"0.weight": torch.zeros(3, 3)}
    torch.save(state, tmp_path / "other.pt")
    (tmp_path / "garbage.pt").write_bytes(b"\x80\x04not a checkpoint" * 10)
    for bad, why in (("other.pt", "its weights do not fit model 'predictnet_e'"),
                     ("garbage.pt", "not a readable PyTorch checkpoint")):
        result = invoke("predict", "--checkpoint", tmp_path / bad, "--input", image, "--out", tmp_path / "seg",
                        "--plugins", plugin)
        assert result.exit_code == 2 and why in " ".join(result.output.split())


def test_a_nan_image_is_skipped_and_listed_and_a_missing_input_is_an_error(tmp_path):
    plugin, ckpt, image = write_case(tmp_path, "predictnet_f")
    data = np.ones(SHAPE, np.float32)
    data[1, 2, 0] = np.nan
    nib.save(nib.Nifti1Image(data, np.diag([1.5, 1.5, 8.0, 1.0])), tmp_path / "nan_ED.nii.gz")
    result = invoke("predict", "--checkpoint", ckpt, "--input", tmp_path, "--out", tmp_path / "seg",
                    "--plugins", plugin)
    assert result.exit_code == 1 and "segmented 1 of 2 file(s)" in result.output
    assert sorted(p.name for p in (tmp_path / "seg").iterdir()) == ["case_ED.nii.gz", "errors.csv"]
    assert "non-finite intensities" in (tmp_path / "seg/errors.csv").read_text()
    result = invoke("predict", "--checkpoint", ckpt, "--input", tmp_path / "nope.nii.gz", "--out", tmp_path / "s2",
                    "--plugins", plugin)
    assert result.exit_code == 2 and "no such file or folder" in result.output
