"""A suite-local algorithm: cross-entropy plus agreement between the predictions on an image and its mirror image.

Use it from a suite with `plugins: [flip_consistency.py]` and `algorithms: [erm, flip_consistency]`.
"""
from __future__ import annotations

import torch

from benchmark.algorithms import Algorithm, register_algorithm


@register_algorithm("flip_consistency")
class FlipConsistency(Algorithm):
    """The task loss plus `weight` x the squared difference of the softmax on x and on x mirrored (and back)."""

    def __init__(self, *args, weight: float = 1.0) -> None:  # keyword-only: the hyperparameters and defaults
        super().__init__(*args)  # model, loss, optimizer and precision: the runner's
        self.weight = weight

    def update(self, images: torch.Tensor, labels: torch.Tensor) -> dict[str, float]:
        plain, mirrored = self.logits(torch.cat([images, images.flip(-1)])).chunk(2)  # one pass for both
        task = self.loss(plain, labels)
        agreement = (plain.softmax(1) - mirrored.flip(-1).softmax(1)).pow(2).mean()
        loss = task + self.weight * agreement
        self.step(loss)  # zero the gradients, back-propagate, one optimizer step
        return {"loss": float(loss.detach()), "task": float(task.detach()), "agreement": float(agreement.detach())}

    def parts(self) -> list[str]:  # what Table V shows as on
        return ["flip consistency"] if self.weight else []
