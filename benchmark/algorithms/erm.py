"""Empirical risk minimisation: the study's training, one loss on the batch as the policy augmented it."""
from __future__ import annotations

import torch

from . import register_algorithm
from .base import Algorithm


@register_algorithm("erm")
class ERM(Algorithm):
    """One loss on the batch as the policy gave it: the study's training, and DomainBed's baseline.

    Vapnik 1998; Gulrajani and Lopez-Paz, "In search of lost domain generalization", ICLR 2021.
    No hyperparameters.
    """

    def update(self, images: torch.Tensor, labels: torch.Tensor) -> dict[str, float]:
        loss = self.loss(self.logits(images), labels)
        self.step(loss)
        return {"loss": float(loss.detach())}
