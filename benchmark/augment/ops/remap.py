"""Random tissue contrast from the image itself: intensities mapped through a random, non-monotone curve.

Domain randomisation (SynthSeg, Billot et al., Med Image Anal 2023) draws every tissue's intensity at random
from a tissue map. Where the source has one fixed contrast, its tissues already sit in separate intensity
bands, so a random curve over the intensity range gives each band a new, independent brightness: blood may
turn darker than myocardium, fat darker than muscle. It needs no tissue map, so it works on real sources too.
"""
from __future__ import annotations

from typing import Any

import torch

from .base import IntensityOp, Params, moments, op, select


@op
class Remap(IntensityOp):
    """Intensities on the image's `percentiles` range through a piecewise-linear curve whose `knots` (>= 2)
    evenly spaced control values are uniform in [0, 1] (not monotone, so contrasts invert), then brought back
    to the image's own mean and sd, so that the network sees the normalisation it will see at test time."""

    name = "remap"

    def __init__(self, p: float = 1.0, knots: int = 8, percentiles: Any = (0.5, 99.5)) -> None:
        self.knots = self.check.integer("knots", knots, low=2)
        self.percentiles = self.check.pair("percentiles", percentiles, low=0.0, high=100.0)
        super().__init__(p, knots=knots, percentiles=list(self.percentiles))

    def sample(self, n: int, g: torch.Generator) -> Params:
        params = super().sample(n, g)
        params["curve"] = torch.rand(n, self.knots, generator=g)
        return params

    def apply(self, images: torch.Tensor, params: Params) -> torch.Tensor:
        flat = images.flatten(1).float()
        q = torch.tensor(self.percentiles, dtype=flat.dtype, device=flat.device) / 100
        lo, hi = torch.quantile(flat, q, dim=1).view(2, -1, 1, 1, 1)
        span = (hi - lo).clamp_min(1e-6)
        pos = ((images - lo) / span).clamp(0, 1) * (self.knots - 1)
        left = pos.floor().clamp(max=self.knots - 2)
        frac = pos - left
        curve = params["curve"].to(images)
        index = left.long().flatten(1)
        v0 = torch.gather(curve, 1, index).view_as(images)
        v1 = torch.gather(curve, 1, index + 1).view_as(images)
        out = v0 + (v1 - v0) * frac
        mean, sd = moments(images)
        new_mean, new_sd = moments(out)
        out = (out - new_mean) / new_sd.clamp_min(1e-6) * sd + mean
        return select(params["on"], out, images)
