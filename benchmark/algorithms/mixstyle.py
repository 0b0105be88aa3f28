"""MixStyle: mix instance-level feature statistics between samples of a batch."""
from __future__ import annotations

from typing import Any

import torch

from . import register_algorithm
from .features import FeatureStatistics


@register_algorithm("mixstyle")
class MixStyle(FeatureStatistics):
    """Mixes instance-level feature statistics between samples at the first encoder stages.

    Zhou, Yang, Qiao and Xiang, "Domain generalization with MixStyle", ICLR 2021.

    Each perturbed stage normalises every feature map by its own (detached) mean and standard deviation and
    re-styles it with a Beta(alpha, alpha) mixture of its statistics and those of a random other sample.
    Defaults are the paper's: p 0.5, alpha 0.1, eps 1e-6, after the first two stages.
    """

    def __init__(self, *args: Any, p: float = 0.5, alpha: float = 0.1, eps: float = 1e-6, layers: int | None = 2
                 ) -> None:
        super().__init__(*args, layers=layers, p=p)
        self.alpha, self.eps = alpha, eps

    def perturb(self, x: torch.Tensor) -> torch.Tensor:
        mu = x.mean((2, 3), keepdim=True).detach()
        sig = (x.var((2, 3), keepdim=True) + self.eps).sqrt().detach()
        lam = torch.distributions.Beta(self.alpha, self.alpha).sample((x.shape[0], 1, 1, 1)).to(x.device)
        perm = torch.randperm(x.shape[0], device=x.device)
        mix_mu = lam * mu + (1 - lam) * mu[perm]
        mix_sig = lam * sig + (1 - lam) * sig[perm]
        return (x - mu) / sig * mix_sig + mix_mu
