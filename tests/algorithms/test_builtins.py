"""Every built-in algorithm, on the built-in U-Net, the FCN and an smp encoder: it changes the weights on a step,
gives bit-identical weights for one seed, and a run that crashed after a checkpoint resumes to the same weights."""
from __future__ import annotations

from pathlib import Path

import pytest
import torch
from tiny_slices import tiny_slices

import benchmark as cb
from benchmark.algorithms import Algorithm, register_algorithm
from benchmark.slices import SliceSet
from benchmark.suite import Training
from benchmark.train import Trainer

CPU = torch.device("cpu")
ALGORITHMS = ["erm", "mixstyle", "dsu", "randconv", "adv_bias"]
MODELS = {"unet16": {}, "fcn16": {}, "smp:unet:resnet18": {"encoder_depth": 3, "decoder_channels": (32, 16, 8)}}
STEPS = 4


class Crash(Exception):
    """Stands for a kill: raised after a step, past the last checkpoint."""


def make_trainer(folder: Path, algorithm: str, model: str, steps: int = STEPS) -> Trainer:
    """`model` on 32x32 crops of tiny slices, `none` policy, fp32, seed 0, a checkpoint every 2 steps."""
    folder.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(0)
    cfg = Training(iterations=steps, batch_size=4, validate_every=2, checkpoint_every=2, precision="fp32",
                   optimizer={"name": "sgd", "lr": 0.05})
    data = tiny_slices(n=8, size=32)
    return Trainer(cb.create_model(model, **MODELS[model]), cb.create_policy("none", crop=32), cfg, data,
                   SliceSet(data.images[:4], data.labels[:4]), folder, 0, CPU, {}, (algorithm, {}))


def weights(trainer: Trainer) -> dict[str, torch.Tensor]:
    return {k: v.clone() for k, v in trainer.model.state_dict().items()}


def same(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> bool:
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


@pytest.mark.parametrize("model", list(MODELS))
@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_steps_change_weights_deterministically_and_resume_exactly(tmp_path, algorithm, model):
    first = make_trainer(tmp_path / "a", algorithm, model)
    start = weights(first)
    first.fit()
    trained = weights(first)
    changed = [k for k in start if start[k].is_floating_point() and not torch.equal(start[k], trained[k])]
    assert changed, f"{algorithm} on {model} changed no weight"

    again = make_trainer(tmp_path / "b", algorithm, model)
    again.fit()
    assert same(trained, weights(again)), f"{algorithm} on {model}: two runs of seed 0 differ"

    crashed = make_trainer(tmp_path / "c", algorithm, model)

    def crash_after_step_3(step: int, total: int, loss: float) -> None:
        if step == 3:  # step 3 is done, the last checkpoint is step 2's
            raise Crash

    with pytest.raises(Crash):
        crashed.fit(crash_after_step_3)
    resumed = make_trainer(tmp_path / "c", algorithm, model)
    resumed.fit()
    assert resumed.step == STEPS
    assert same(trained, weights(resumed)), f"{algorithm} on {model}: the resumed run differs"


@pytest.mark.parametrize("algorithm", ["mixstyle", "dsu", "randconv", "adv_bias"])
def test_each_method_trains_differently_from_erm(tmp_path, algorithm):
    erm = make_trainer(tmp_path / "erm", "erm", "unet16")
    erm.fit()
    other = make_trainer(tmp_path / algorithm, algorithm, "unet16")
    other.fit()
    assert not same(weights(erm), weights(other))


def test_prediction_is_the_plain_network_in_eval_mode(tmp_path):
    trainer = make_trainer(tmp_path, "mixstyle", "unet16")
    x = torch.randn(3, 1, 32, 32)
    trainer.algorithm.eval()
    with torch.no_grad():
        assert torch.equal(trainer.algorithm(x), trainer.model(x))


@register_algorithm("test_counting_erm")
class CountingERM(Algorithm):
    """ERM whose loss weight depends on a buffer of its own (steps seen): state beyond model and optimizer."""

    def __init__(self, *args) -> None:
        super().__init__(*args)
        self.register_buffer("seen", torch.zeros(()))

    def update(self, images: torch.Tensor, labels: torch.Tensor) -> dict[str, float]:
        self.seen += 1
        loss = self.loss(self.logits(images), labels) / self.seen
        self.step(loss)
        return {"loss": float(loss.detach())}


def test_an_algorithms_own_state_is_checkpointed_and_resumed(tmp_path):
    whole = make_trainer(tmp_path / "a", "test_counting_erm", "unet16")
    whole.fit()
    assert float(whole.algorithm.seen) == STEPS
    crashed = make_trainer(tmp_path / "b", "test_counting_erm", "unet16")

    def crash(step: int, total: int, loss: float) -> None:
        if step == 3:
            raise Crash

    with pytest.raises(Crash):
        crashed.fit(crash)
    resumed = make_trainer(tmp_path / "b", "test_counting_erm", "unet16")
    resumed.fit()
    assert float(resumed.algorithm.seen) == STEPS  # 2 from the checkpoint, 2 after it
    assert same(weights(whole), weights(resumed))
