"""Adversarial bias field and affine: one gradient-ascent step on a smooth intensity field and a small affine."""
from __future__ import annotations

import math
from typing import Any

import torch
import torch.nn.functional as F

from . import register_algorithm
from .base import Algorithm


def bias_field(control: torch.Tensor, size: tuple[int, int], magnitude: float) -> torch.Tensor:
    """A smooth multiplicative field in [1 - magnitude, 1 + magnitude] from control points [B, 1, h, w]."""
    smooth = F.interpolate(control, size=size, mode="bicubic", align_corners=True)
    return 1 + magnitude * torch.tanh(smooth)


def affine_grid(params: torch.Tensor, size: tuple[int, int], rotation: float, scale: float, shift: float
                ) -> torch.Tensor:
    """Sampling grids [B, H, W, 2] of rotations, isotropic scalings and shifts bounded by tanh of params [B, 4]."""
    t = torch.tanh(params)
    angle = t[:, 0] * math.radians(rotation)
    zoom = 1 + t[:, 1] * scale
    cos, sin = torch.cos(angle) / zoom, torch.sin(angle) / zoom
    theta = torch.stack([torch.stack([cos, -sin, t[:, 2] * shift * 2], 1),
                         torch.stack([sin, cos, t[:, 3] * shift * 2], 1)], 1)
    return F.affine_grid(theta, [params.shape[0], 1, *size], align_corners=False)


@register_algorithm("adv_bias")
class AdvBias(Algorithm):
    """Trains on the batch and on a bias field and small affine moved one gradient step up the loss.

    In the spirit of AdvChain: Chen et al., "Enhancing MR image segmentation with realistic adversarial data
    augmentation", Medical Image Analysis 2022 (and "Realistic adversarial data augmentation for MR image
    segmentation", MICCAI 2020, for the bias field).

    Each step draws a random smooth multiplicative bias field (control points every `spacing` pixels,
    magnitude 0.3: the papers' values) and a small affine (rotation 15 deg, scale 0.1, shift 0.1 of the field
    of view), takes one normalised gradient-ascent step of size `step` on their parameters to raise the loss,
    then trains on the clean batch plus `weight` times the adversarial one (labels moved by the same affine).
    The search runs with the network in eval mode, as AdvChain does, so batch statistics are not disturbed.
    """

    def __init__(self, *args: Any, magnitude: float = 0.3, spacing: int = 64, affine: bool = True,
                 bias: bool = True, rotation: float = 15.0, scale: float = 0.1, shift: float = 0.1,
                 step: float = 1.0, weight: float = 1.0) -> None:
        super().__init__(*args)
        self.magnitude, self.spacing, self.use_affine, self.use_bias = magnitude, max(1, spacing), affine, bias
        self.rotation, self.scale, self.shift, self.step_size, self.weight = rotation, scale, shift, step, weight

    def transform(self, images: torch.Tensor, labels: torch.Tensor, control: torch.Tensor,
                  params: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Images under the bias field (about each image's minimum) and the affine; labels under the affine."""
        size = (images.shape[-2], images.shape[-1])
        low = images.amin((1, 2, 3), keepdim=True)
        out = images - low
        if self.use_bias:
            out = out * bias_field(control, size, self.magnitude)
        if self.use_affine:
            grid = affine_grid(params, size, self.rotation, self.scale, self.shift)
            out = F.grid_sample(out, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
            labels = F.grid_sample(labels[:, None].float(), grid.detach(), mode="nearest", padding_mode="zeros",
                                   align_corners=False)[:, 0].round().long()
        return out + low, labels

    def adversary(self, images: torch.Tensor, labels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The random draw moved one step up the loss's gradient."""
        b, _, h, w = images.shape
        control = torch.randn(b, 1, h // self.spacing + 2, w // self.spacing + 2, device=images.device)
        params = torch.randn(b, 4, device=images.device) * 0.5
        control.requires_grad_(True)
        params.requires_grad_(True)
        self.model.eval()
        try:
            x, y = self.transform(images, labels, control, params)
            grads = torch.autograd.grad(self.loss(self.logits(x), y), [control, params], allow_unused=True)
        finally:
            self.model.train()
        moved = []
        for value, grad in zip((control, params), grads):
            if grad is None:
                moved.append(value.detach())
                continue
            rms = grad.flatten(1).pow(2).mean(1).sqrt().clamp_min(1e-12).view(-1, *[1] * (grad.dim() - 1))
            moved.append((value + self.step_size * grad / rms).detach())
        return moved[0], moved[1]

    def update(self, images: torch.Tensor, labels: torch.Tensor) -> dict[str, float]:
        control, params = self.adversary(images, labels)
        with torch.no_grad():
            adv_images, adv_labels = self.transform(images, labels, control, params)
        logits = self.logits(torch.cat([images, adv_images]))
        clean = self.loss(logits[:len(images)], labels)
        adversarial = self.loss(logits[len(images):], adv_labels)
        loss = clean + self.weight * adversarial
        self.step(loss)
        return {"loss": float(loss.detach()), "clean": float(clean.detach()),
                "adversarial": float(adversarial.detach())}

    def parts(self) -> list[str]:
        return [*(["adversarial bias field"] if self.use_bias else []),
                *(["adversarial affine"] if self.use_affine else [])]
