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
import torch.nn.functional as F

from ...labels import LV, MYO, RV
from .base import LabelIntensityOp, Params, op, select, uniform


def wall_depth(cavity: torch.Tensor, reach: int) -> torch.Tensor:
    """Per pixel of a [B, 1, H, W] 0/1 mask: how many 3 x 3 erosions it survives (1 on the rim), up to `reach`."""
    depth = torch.zeros_like(cavity)
    current = cavity
    for _ in range(reach):
        depth += current
        current = -F.max_pool2d(-current, 3, stride=1, padding=1)
    return depth


def strands(shape: tuple[int, int], seed: int, grain: float, density: float) -> torch.Tensor:
    """A soft 0-1 mask covering about `density` of the field: Gaussian noise smoothed over `grain` pixels."""
    g = torch.Generator().manual_seed(seed)
    noise = torch.randn(1, 1, *shape, generator=g)
    half = max(1, math.ceil(3 * grain))
    x = torch.arange(-half, half + 1, dtype=torch.float32)
    k = torch.exp(-0.5 * (x / grain) ** 2)
    k = k / k.sum()
    noise = F.conv2d(F.pad(noise, (half, half, 0, 0), mode="reflect"), k.view(1, 1, 1, -1))
    noise = F.conv2d(F.pad(noise, (0, 0, half, half), mode="reflect"), k.view(1, 1, -1, 1))
    z = (noise - noise.mean()) / noise.std().clamp_min(1e-6)
    threshold = math.sqrt(2) * torch.special.erfinv(torch.tensor(1 - 2 * density))
    return torch.sigmoid((z - threshold) / 0.25)[0, 0]


@op
class Trabeculae(LabelIntensityOp):
    """Inside the LV and RV cavities, strands pulled toward the case's mean myocardial signal by `strength`,
    most within `width` pixels of the wall (weight exp(-(depth - 1) / width)), covering `density` of the
    pool at `grain` pixels. Labels never change; cases without myocardium are left as they are."""

    name = "trabeculae"

    def __init__(self, p: float = 1.0, strength: Any = (0.4, 1.0), width: Any = (0.7, 2.5),
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
        reach = math.ceil(4 * self.width[1]) + 1
        depth = wall_depth(cavity, reach)
        width = params["width"].to(images).view(-1, 1, 1, 1)
        near_wall = torch.exp(-(depth - 1).clamp_min(0) / width) * cavity
        h, w = images.shape[-2:]
        mask = torch.stack([strands((h, w), int(s), float(gr), float(d)) for s, gr, d
                            in zip(params["seed"], params["grain"], params["density"])]).unsqueeze(1).to(images)
        pull = params["strength"].to(images).view(-1, 1, 1, 1) * near_wall * mask
        out = images + pull * (myo_mean - images)
        return select(params["on"] & (myo_pixels[:, 0] > 0).cpu(), out, images)
