"""The base of feature-statistics methods: a perturbation of feature maps at the encoder's first stages."""
from __future__ import annotations

from typing import Any

import torch

from .base import Algorithm
from .stages import Stage, encoder_stages, perturbed


class FeatureStatistics(Algorithm):
    """ERM with `perturb` applied, with probability p per forward pass and stage, to the outputs of the first
    `layers` encoder stages (all of them when None), found by `stages.encoder_stages` in any network."""

    def __init__(self, *args: Any, layers: int | None, p: float) -> None:
        super().__init__(*args)
        self.layers, self.p = layers, p
        self._stages: list[Stage] | None = None

    @property
    def stages(self) -> list[Stage]:
        """The stages perturbed (traced on first use)."""
        if self._stages is None:
            found = encoder_stages(self.model)
            self._stages = found if self.layers is None else found[:self.layers]
        return self._stages

    def perturb(self, x: torch.Tensor) -> torch.Tensor:
        """The new feature map (x float32, [B, C, H, W], batch of at least 2)."""
        raise NotImplementedError

    def _maybe(self, x: torch.Tensor) -> torch.Tensor:
        if x.shape[0] < 2 or float(torch.rand(())) >= self.p:
            return x
        return self.perturb(x.float()).to(x.dtype)

    def update(self, images: torch.Tensor, labels: torch.Tensor) -> dict[str, float]:
        with perturbed(self.model, self.stages, self._maybe):
            loss = self.loss(self.logits(images), labels)
        self.step(loss)
        return {"loss": float(loss.detach())}

    def parts(self) -> list[str]:
        return [f"stage {i + 1}" for i in range(len(self.stages))]
