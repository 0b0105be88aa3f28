"""RandConv: images passed through random convolutions, with a consistency loss across views."""
from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

from . import register_algorithm
from .base import Algorithm


def random_convolution(x: torch.Tensor, kernel_sizes: tuple[int, ...], mix: bool) -> torch.Tensor:
    """Each image [B, 1, H, W] convolved with its own random kernel (Kaiming normal, size drawn from
    kernel_sizes), mixed with the original by a U(0, 1) weight when `mix`, then z-scored per image as the
    harness normalises its inputs."""
    b, c = x.shape[:2]
    k = kernel_sizes[int(torch.randint(len(kernel_sizes), ()))]
    weight = torch.randn(b * c, c, k, k, device=x.device) / (c * k * k) ** 0.5  # a kernel per image (groups)
    out = F.conv2d(x.reshape(1, b * c, *x.shape[2:]), weight, padding=k // 2, groups=b).reshape(x.shape)
    if mix:
        alpha = torch.rand(b, 1, 1, 1, device=x.device)
        out = alpha * out + (1 - alpha) * x
    mean = out.mean((1, 2, 3), keepdim=True)
    std = out.std((1, 2, 3), keepdim=True).clamp_min(1e-6)
    return (out - mean) / std


@register_algorithm("randconv")
class RandConv(Algorithm):
    """Trains on random-convolution views of each batch, with a consistency loss between the views.

    Xu, Liu, Yang, Raffel and Niethammer, "Robust and generalizable visual representation learning via
    random convolutions", ICLR 2021.

    Every step trains on `views` random-convolution views of the batch (multi-scale kernels 1, 3, 5, 7,
    mixed with the original: the paper's RC_mix) with cross-entropy on each and the paper's consistency
    loss: `consistency` (lambda, 10 in the paper) times the mean KL divergence of each view's prediction
    from their mixture.
    """

    def __init__(self, *args: Any, kernel_sizes: tuple[int, ...] = (1, 3, 5, 7), mix: bool = True,
                 views: int = 3, consistency: float = 10.0) -> None:
        super().__init__(*args)
        self.kernel_sizes, self.mix = tuple(kernel_sizes), mix
        self.views, self.consistency = max(1, views), consistency

    def update(self, images: torch.Tensor, labels: torch.Tensor) -> dict[str, float]:
        views = torch.cat([random_convolution(images, self.kernel_sizes, self.mix) for _ in range(self.views)])
        logits = self.logits(views)
        task = self.loss(logits, labels.repeat(self.views, 1, 1))
        logs = {"task": float(task.detach())}
        loss = task
        if self.consistency and self.views > 1:
            logp = logits.log_softmax(1).reshape(self.views, -1, *logits.shape[1:])
            mixture = logp.exp().mean(0).clamp(1e-7, 1).log()
            kl = (logp.exp() * (logp - mixture)).sum(2).mean()
            loss = task + self.consistency * kl
            logs["consistency"] = float(kl.detach())
        self.step(loss)
        return {"loss": float(loss.detach()), **logs}

    def parts(self) -> list[str]:
        return ["random convolution", *(["mixing"] if self.mix else []),
                *(["consistency"] if self.consistency and self.views > 1 else [])]
