"""Trabeculae in the blood pools, drawn from the label map: dark strands near the wall that stay labelled cavity.

Expert contours (ACDC, UK Biobank, M&Ms) draw the endocardium round the trabeculations and papillary
muscles, so a real cavity holds strands of myocardial signal along its wall. A generator's smooth pool has
none, and a network trained on it labels those strands wall: on real ACDC at end-diastole it draws the LV at
0.63 of its reference volume and the myocardium at 1.6 (docs/synthetic.md). This op puts them in per training
case, from the labels, the way SynthSeg draws tissue from a label map (Billot et al., Med Image Anal 2023).
"""
from __future__ import annotations

import math
from typing import Any

import torch

from ...labels import LV, MYO, RV
from .base import LabelIntensityOp, Params, op, select, uniform
from .intensity import gaussian_blur


def near_wall(cavity: torch.Tensor, width: torch.Tensor) -> torch.Tensor:
    """Per pixel of [B, 1, H, W] 0/1 cavity masks: the share of wall within a Gaussian of each sample's `width`
    pixels, relative to a rim pixel's: 1 on the rim of a straight wall, Phi(-d / width) / Phi(-0.5 / width)
    at d pixels from it (more in corners, capped at 1); 0 outside the cavity."""
    width = width.to(cavity)
    rim = 0.5 * (1 + torch.erf(-0.5 / width / math.sqrt(2)))
    return (gaussian_blur(1 - cavity, width) / rim.view(-1, 1, 1, 1)).clamp(max=1) * cavity


def strands(shape: tuple[int, int], seeds: torch.Tensor, grain: torch.Tensor, density: torch.Tensor) -> torch.Tensor:
    """Soft 0-1 masks [B, 1, H, W], each covering about its `density` of the field: Gaussian noise from its
    seed, smoothed over its `grain` pixels."""
    noise = torch.stack([torch.randn(1, *shape, generator=torch.Generator().manual_seed(int(s))) for s in seeds])
    noise = gaussian_blur(noise, grain)
    flat = noise.flatten(1)
    z = (noise - flat.mean(1).view(-1, 1, 1, 1)) / flat.std(1).clamp_min(1e-6).view(-1, 1, 1, 1)
    threshold = math.sqrt(2) * torch.special.erfinv(1 - 2 * density.float())
    return torch.sigmoid((z - threshold.view(-1, 1, 1, 1)) / 0.25)


@op
class Trabeculae(LabelIntensityOp):
    """Inside the LV and RV cavities, strands pulled toward the case's mean myocardial signal by `strength`,
    most within `width` pixels of the wall (see `near_wall`), covering `density` of the pool at `grain`
    pixels. Labels never change; cases without myocardium are left as they are."""

    name = "trabeculae"

    def __init__(self, p: float = 1.0, strength: Any = (0.4, 1.0), width: Any = (1.0, 3.5),
                 density: Any = (0.25, 0.55), grain: Any = (0.6, 1.4)) -> None:
        self.strength = self.check.pair("strength", strength, low=0.0, high=1.0)
        self.width = self.check.pair("width", width, low=0.1, high=20.0)
        self.density = self.check.pair("density", density, low=0.01, high=0.99)
        self.grain = self.check.pair("grain", grain, low=0.3, high=10.0)
        super().__init__(p, strength=list(self.strength), width=list(self.width), density=list(self.density),
                         grain=list(self.grain))

    def sample(self, n: int, g: torch.Generator) -> Params:
        params = super().sample(n, g)
        for key, (lo, hi) in (("strength", self.strength), ("width", self.width), ("density", self.density),
                              ("grain", self.grain)):
            params[key] = uniform(n, lo, hi, g)
        params["seed"] = torch.randint(0, 2**31 - 1, (n,), generator=g)
        return params

    def apply_labelled(self, images: torch.Tensor, labels: torch.Tensor | None, params: Params) -> torch.Tensor:
        if labels is None:
            return images
        cavity = ((labels == LV) | (labels == RV)).unsqueeze(1).to(images)
        myo = (labels == MYO).unsqueeze(1).to(images)
        myo_pixels = myo.sum((2, 3))
        myo_mean = ((images * myo).sum((2, 3)) / myo_pixels.clamp_min(1)).view(*images.shape[:2], 1, 1)
        h, w = images.shape[-2:]
        weight = near_wall(cavity, params["width"])
        mask = strands((h, w), params["seed"], params["grain"], params["density"]).to(images)
        pull = params["strength"].to(images).view(-1, 1, 1, 1) * weight * mask
        out = images + pull * (myo_mean - images)
        return select(params["on"] & (myo_pixels[:, 0] > 0).cpu(), out, images)
