"""`cmrbench predict` predicts through the algorithm that trained a checkpoint, and names one it cannot find."""
from __future__ import annotations

import nibabel as nib
import numpy as np
import torch
from test_predict import SHAPE, invoke, write_case

from benchmark.algorithms import ALGORITHMS, Algorithm, register_algorithm
from benchmark.models import MODELS


@register_algorithm("test_rv_everywhere")
class RVEverywhere(Algorithm):
    """Predicts the network's logits with 20 added to RV's: a predict() that differs from the network's."""

    def predict(self, x: torch.Tensor) -> torch.Tensor:
        logits = self.net(x)
        return logits + torch.tensor([0.0, 0.0, 0.0, 20.0], device=x.device).view(1, 4, 1, 1)


def test_predict_uses_the_algorithms_predict(tmp_path):
    plugin, ckpt, image = write_case(tmp_path, "predictnet_algo")
    state = torch.load(ckpt, weights_only=False)
    torch.save({**state, "algorithm": {"name": "test_rv_everywhere", "kwargs": {}}}, ckpt)
    try:
        result = invoke("predict", "--checkpoint", ckpt, "--input", image, "--out", tmp_path / "seg",
                        "--plugins", plugin)
        assert result.exit_code == 0, result.output
        seg = np.asarray(nib.load(tmp_path / "seg" / image.name).dataobj)
        expected = np.zeros(SHAPE, dtype=np.uint8)
        expected[4:36, 2:34] = 3  # the network says LV inside the crop; the algorithm's predict says RV
        assert np.array_equal(seg, expected)
        torch.save({**state, "algorithm": {"name": "not_here", "kwargs": {}}}, ckpt)
        missing = invoke("predict", "--checkpoint", ckpt, "--input", image, "--out", tmp_path / "seg2",
                         "--plugins", plugin)
        assert missing.exit_code == 2
        assert (f"checkpoint {ckpt} was trained with algorithm 'not_here', which is not registered here"
                in " ".join(missing.output.split()))
    finally:
        MODELS.remove("predictnet_algo")
    assert "test_rv_everywhere" in ALGORITHMS
