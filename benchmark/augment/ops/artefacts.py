"""MR acquisition artefacts simulated in k-space: motion, ghosting and spikes."""
from __future__ import annotations

import math
from typing import Any

import torch

from .base import IntensityOp, Params, minmax, op, select, uniform


def kspace(images: torch.Tensor) -> torch.Tensor:
    """Centred 2D Fourier transform."""
    return torch.fft.fftshift(torch.fft.fft2(images), dim=(-2, -1))


def image(k: torch.Tensor) -> torch.Tensor:
    """Magnitude image of centred k-space."""
    return torch.fft.ifft2(torch.fft.ifftshift(k, dim=(-2, -1))).abs()


@op
class Motion(IntensityOp):
    """Patient motion: a fraction of phase-encoding lines acquired with the object translated.

    `shift`: the largest translation in pixels (>= 0); `fraction` of lines: [lo, hi] in [0, 1], or x for [0, x].
    """

    name = "motion"

    def __init__(self, p: float = 1.0, shift: float = 6.0, fraction: Any = (0.1, 0.3)) -> None:
        self.shift = self.check.number("shift", shift, low=0.0)
        self.fraction = self.check.magnitude("fraction", fraction, high=1.0)
        super().__init__(p, shift=shift, fraction=list(self.fraction))

    def sample(self, n: int, g: torch.Generator) -> Params:
        params = super().sample(n, g)
        params["shift"] = (torch.rand(n, 2, generator=g) * 2 - 1) * self.shift
        params["fraction"] = uniform(n, *self.fraction, g)
        params["seed"] = torch.randint(0, 2**31 - 1, (n,), generator=g)
        return params

    def apply(self, images: torch.Tensor, params: Params) -> torch.Tensor:
        lo, _ = minmax(images)
        k = kspace(images - lo)
        h, w = images.shape[-2:]
        ky = torch.fft.fftshift(torch.fft.fftfreq(h, device=images.device)).view(h, 1)
        kx = torch.fft.fftshift(torch.fft.fftfreq(w, device=images.device)).view(1, w)
        out = images.clone()
        for i in torch.nonzero(params["on"]).flatten().tolist():
            dx, dy = (float(v) for v in params["shift"][i])
            phase = torch.exp(-2j * math.pi * (kx * dx + ky * dy))
            lines = torch.rand(h, generator=torch.Generator().manual_seed(int(params["seed"][i])))
            moved = (lines < float(params["fraction"][i])).to(images.device).view(h, 1)
            ki = torch.where(moved, k[i] * phase, k[i])
            out[i] = image(ki) + lo[i]
        return out


@op
class Ghosting(IntensityOp):
    """Ghosts along phase encoding: every `period`-th k-space line scaled by 1 - strength.

    `period`: whole numbers [lo, hi] >= 2, or x for [2, x]; `strength`: [lo, hi] in [0, 1], or x for [0, x].
    """

    name = "ghosting"

    def __init__(self, p: float = 1.0, period: Any = (2, 6), strength: Any = (0.3, 0.9)) -> None:
        self.period = self.check.at_least("period", period, 2.0)
        if not all(v.is_integer() for v in self.period):
            raise self.check.fail("period", f"must be whole numbers of k-space lines, got {period}")
        self.strength = self.check.magnitude("strength", strength, high=1.0)
        super().__init__(p, period=list(self.period), strength=list(self.strength))

    def sample(self, n: int, g: torch.Generator) -> Params:
        params = super().sample(n, g)
        lo, hi = self.period
        params["period"] = torch.randint(int(lo), int(hi) + 1, (n,), generator=g)
        params["strength"] = uniform(n, *self.strength, g)
        return params

    def apply(self, images: torch.Tensor, params: Params) -> torch.Tensor:
        lo, _ = minmax(images)
        k = kspace(images - lo)
        h = images.shape[-2]
        rows = torch.arange(h, device=images.device)
        period = params["period"].to(images.device).view(-1, 1)
        factor = 1 - params["strength"].to(images).view(-1, 1) * (rows.view(1, -1) % period == 0)
        factor = torch.where((rows - h // 2).abs().view(1, -1) < 2, torch.ones_like(factor), factor)  # keep centre
        out = image(k * factor.view(-1, 1, h, 1)) + lo
        return select(params["on"], out, images)


@op
class Spike(IntensityOp):
    """A k-space spike (herringbone stripes): one off-centre sample boosted by `intensity` x the k-space maximum.

    `intensity`: [lo, hi] >= 0, or x for [0, x].
    """

    name = "spike"

    def __init__(self, p: float = 1.0, intensity: Any = (0.05, 0.3)) -> None:
        self.intensity = self.check.magnitude("intensity", intensity)
        super().__init__(p, intensity=list(self.intensity))

    def sample(self, n: int, g: torch.Generator) -> Params:
        params = super().sample(n, g)
        params["where"] = torch.rand(n, 2, generator=g) * 0.8 + 0.1
        params["intensity"] = uniform(n, *self.intensity, g)
        return params

    def apply(self, images: torch.Tensor, params: Params) -> torch.Tensor:
        lo, _ = minmax(images)
        k = kspace(images - lo)
        h, w = images.shape[-2:]
        out = images.clone()
        for i in torch.nonzero(params["on"]).flatten().tolist():
            ki = k[i].clone()
            r, c = int(params["where"][i, 0] * h), int(params["where"][i, 1] * w)
            ki[..., r, c] += float(params["intensity"][i]) * ki.abs().max()
            out[i] = image(ki) + lo[i]
        return out
