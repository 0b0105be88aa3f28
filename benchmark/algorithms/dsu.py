"""DSU: feature statistics as random variables whose spread is estimated across the batch."""
from __future__ import annotations

from typing import Any

import torch

from . import register_algorithm
from .features import FeatureStatistics


@register_algorithm("dsu")
class DSU(FeatureStatistics):
    """Redraws instance-level feature statistics from Gaussians as wide as they vary across the batch.

    Li, Dai, Yang, Huang, Wen, Han and Xie, "Uncertainty modeling for out-of-distribution generalization",
    ICLR 2022.

    Each perturbed stage replaces every feature map's mean and standard deviation by draws from Gaussians
    centred on them, whose spread is the batch's standard deviation of that statistic (per channel).
    Defaults are the paper's: p 0.5, eps 1e-6, factor 1, at every encoder stage.
    """

    def __init__(self, *args: Any, p: float = 0.5, eps: float = 1e-6, factor: float = 1.0,
                 layers: int | None = None) -> None:
        super().__init__(*args, layers=layers, p=p)
        self.eps, self.factor = eps, factor

    def perturb(self, x: torch.Tensor) -> torch.Tensor:
        mean = x.mean((2, 3))
        std = (x.var((2, 3)) + self.eps).sqrt()
        spread_mean = (mean.var(0, keepdim=True) + self.eps).sqrt()
        spread_std = (std.var(0, keepdim=True) + self.eps).sqrt()
        beta = mean + torch.randn_like(mean) * spread_mean * self.factor
        gamma = std + torch.randn_like(std) * spread_std * self.factor
        return (x - mean[..., None, None]) / std[..., None, None] * gamma[..., None, None] + beta[..., None, None]
