"""A tiny suite: two jobs of unet_test on 48x48 crops, a few steps, synthetic data shared through one cache."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

TINY = {
    "name": "tiny",
    "seeds": [0],
    "data": {
        "source": {"name": "ukbb", "synth": {"cohort": "ukbb", "subjects": 6, "seed": 0},
                   "split": {"train": 3, "val": 1, "test": 2}},
        "targets": [{"name": "bscmr", "synth": {"cohort": "bscmr", "subjects": 2, "seed": 1}}],
    },
    "preprocess": {"target_spacing": 3.0, "crop": 48},
    "training": {"iterations": 8, "batch_size": 4, "validate_every": 3, "checkpoint_every": 2,
                 "optimizer": {"name": "sgd", "lr": 0.01}},
    "models": [{"name": "unet_test"}],
    "policies": ["paper", "none"],
    "device": "cpu",
}


@pytest.fixture(scope="session")
def shared_cache(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("cache")


@pytest.fixture
def tiny_suite(tmp_path, shared_cache) -> Path:
    suite = dict(TINY, data=dict(TINY["data"], cache=str(shared_cache)))
    path = tmp_path / "tiny.yaml"
    path.write_text(yaml.safe_dump(suite))
    return path
