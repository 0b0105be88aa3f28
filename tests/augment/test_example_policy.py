"""The policy-plugin example of the README (docs/examples/mr_policy.py) loads, registers and augments a batch."""
from __future__ import annotations

from pathlib import Path

import torch

import benchmark as cb
from benchmark.augment import POLICIES
from benchmark.plugins import load_plugin_file

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "mr_policy.py"


def test_the_readme_policy_example_augments_a_batch():
    load_plugin_file(EXAMPLE)
    try:
        policy = cb.create_policy("mr", crop=48)
        assert policy.operations()[0] == "resample" and len(policy.operations()) == 9
        images = torch.randn(4, 1, 64, 64)
        labels = (images[:, 0] > 1).long()
        out, out_labels = policy(images, labels, torch.Generator().manual_seed(0))
        assert out.shape == (4, 1, 48, 48) and out_labels.shape == (4, 48, 48)
        assert set(out_labels.unique().tolist()) <= {0, 1}
        assert not torch.equal(out, images[:, :, 8:56, 8:56])
    finally:
        POLICIES.remove("mr")
