"""Intensity operations: contrast, brightness, noise, bias field, blur, sharpening, lower resolution."""
from __future__ import annotations

import math
from typing import Any

import torch
import torch.nn.functional as F

from .base import IntensityOp, Params, minmax, moments, op, select, uniform


@op
class Gamma(IntensityOp):
    """I -> I^gamma on the image's [min, max] range, log(gamma) uniform in log(`range`).

    `range`: [lo, hi] of positive exponents, or x >= 1 for [1/x, x] (default [0.7, 1.5]).
    """

    name = "gamma"

    def __init__(self, p: float = 1.0, range: Any = (0.7, 1.5)) -> None:  # noqa: A002
        self.range = self.check.multiplicative("range", range)
        super().__init__(p, range=list(self.range))

    def sample(self, n: int, g: torch.Generator) -> Params:
        params = super().sample(n, g)
        lo, hi = self.range
        params["gamma"] = torch.exp(uniform(n, math.log(lo), math.log(hi), g))
        return params

    def apply(self, images: torch.Tensor, params: Params) -> torch.Tensor:
        lo, span = minmax(images)
        gamma = params["gamma"].to(images).view(-1, 1, 1, 1)
        out = ((images - lo) / span).clamp(0, 1) ** gamma * span + lo
        return select(params["on"], out, images)


@op
class BrightnessContrast(IntensityOp):
    """I -> (I - mean) * contrast + mean + brightness * sd(I), each uniform in its range.

    `brightness` (in units of the image's sd): [lo, hi], or b for [-b, b] (default 0.1).
    `contrast`: [lo, hi] of positive factors, or x >= 1 for [1/x, x] (default [0.8, 1.2]).
    """

    name = "brightness_contrast"

    def __init__(self, p: float = 1.0, brightness: Any = 0.1, contrast: Any = (0.8, 1.2)) -> None:
        self.b = self.check.symmetric("brightness", brightness)
        self.c = self.check.multiplicative("contrast", contrast)
        super().__init__(p, brightness=list(self.b), contrast=list(self.c))

    def sample(self, n: int, g: torch.Generator) -> Params:
        params = super().sample(n, g)
        params["brightness"], params["contrast"] = uniform(n, *self.b, g), uniform(n, *self.c, g)
        return params

    def apply(self, images: torch.Tensor, params: Params) -> torch.Tensor:
        mean, std = moments(images)
        c = params["contrast"].to(images).view(-1, 1, 1, 1)
        b = params["brightness"].to(images).view(-1, 1, 1, 1)
        return select(params["on"], (images - mean) * c + mean + b * std, images)


@op
class GaussianNoise(IntensityOp):
    """Additive Gaussian noise, sd uniform in `sd` times the image's sd: [lo, hi] >= 0, or x for [0, x]."""

    name = "noise"

    def __init__(self, p: float = 1.0, sd: Any = (0.0, 0.1)) -> None:
        self.sd = self.check.magnitude("sd", sd)
        super().__init__(p, sd=list(self.sd))

    def sample(self, n: int, g: torch.Generator) -> Params:
        params = super().sample(n, g)
        params["sd"] = uniform(n, *self.sd, g)
        params["seed"] = torch.randint(0, 2**31 - 1, (n,), generator=g)
        return params

    def apply(self, images: torch.Tensor, params: Params) -> torch.Tensor:
        noise = torch.stack([torch.randn(images.shape[1:], generator=torch.Generator().manual_seed(int(s)))
                             for s in params["seed"]]).to(images)
        scale = params["sd"].to(images).view(-1, 1, 1, 1) * images.flatten(1).std(1).view(-1, 1, 1, 1)
        return select(params["on"], images + noise * scale, images)


@op
class BiasField(IntensityOp):
    """Smooth multiplicative field exp(polynomial of `order` >= 1), coefficients uniform in +-`strength` (>= 0)."""

    name = "bias_field"

    def __init__(self, p: float = 1.0, strength: float = 0.3, order: int = 3) -> None:
        self.strength = self.check.number("strength", strength, low=0.0)
        self.order = self.check.integer("order", order)
        super().__init__(p, strength=strength, order=order)
        self.terms = [(i, j) for i in range(order + 1) for j in range(order + 1 - i) if i + j > 0]

    def sample(self, n: int, g: torch.Generator) -> Params:
        params = super().sample(n, g)
        params["coef"] = uniform(n * len(self.terms), -self.strength, self.strength, g).view(n, -1)
        return params

    def apply(self, images: torch.Tensor, params: Params) -> torch.Tensor:
        h, w = images.shape[-2:]
        y = torch.linspace(-1, 1, h, device=images.device).view(h, 1)
        x = torch.linspace(-1, 1, w, device=images.device).view(1, w)
        basis = torch.stack([x**i * y**j for i, j in self.terms])  # [T, H, W]
        field = torch.einsum("nt,thw->nhw", params["coef"].to(images), basis).exp().unsqueeze(1)
        lo, _ = minmax(images)
        return select(params["on"], (images - lo) * field + lo, images)


def gaussian_blur(images: torch.Tensor, sigma: torch.Tensor) -> torch.Tensor:
    """Blur each sample with its own sigma (pixels), separable, via grouped convolution."""
    n, c, h, w = images.shape
    radius = int(math.ceil(3 * float(sigma.max()))) if len(sigma) else 0
    if radius == 0:
        return images
    xs = torch.arange(-radius, radius + 1, device=images.device, dtype=images.dtype)
    k = torch.exp(-0.5 * (xs.view(1, -1) / sigma.to(images).clamp_min(1e-3).view(-1, 1)) ** 2)
    k = (k / k.sum(1, keepdim=True)).repeat_interleave(c, 0)
    x = images.reshape(1, n * c, h, w)
    x = F.conv2d(F.pad(x, (radius, radius, 0, 0), mode="reflect"), k.view(n * c, 1, 1, -1), groups=n * c)
    x = F.conv2d(F.pad(x, (0, 0, radius, radius), mode="reflect"), k.view(n * c, 1, -1, 1), groups=n * c)
    return x.view(n, c, h, w)


@op
class Blur(IntensityOp):
    """Gaussian blur, sigma (pixels) uniform in `sigma`: [lo, hi] >= 0, or x for [0, x]."""

    name = "blur"

    def __init__(self, p: float = 1.0, sigma: Any = (0.25, 1.5)) -> None:
        self.sigma = self.check.magnitude("sigma", sigma)
        super().__init__(p, sigma=list(self.sigma))

    def sample(self, n: int, g: torch.Generator) -> Params:
        params = super().sample(n, g)
        params["sigma"] = uniform(n, *self.sigma, g) * params["on"]
        return params

    def apply(self, images: torch.Tensor, params: Params) -> torch.Tensor:
        return select(params["on"], gaussian_blur(images, params["sigma"]), images)


@op
class Sharpen(IntensityOp):
    """Unsharp masking I + amount * (I - blur_sigma(I)): `amount` [lo, hi] >= 0 or x for [0, x]; `sigma` >= 0."""

    name = "sharpen"

    def __init__(self, p: float = 1.0, amount: Any = (0.2, 1.0), sigma: float = 1.0) -> None:
        self.amount = self.check.magnitude("amount", amount)
        self.sigma = self.check.number("sigma", sigma, low=0.0)
        super().__init__(p, amount=list(self.amount), sigma=sigma)

    def sample(self, n: int, g: torch.Generator) -> Params:
        params = super().sample(n, g)
        params["amount"] = uniform(n, *self.amount, g)
        return params

    def apply(self, images: torch.Tensor, params: Params) -> torch.Tensor:
        blurred = gaussian_blur(images, torch.full((len(images),), self.sigma))
        out = images + params["amount"].to(images).view(-1, 1, 1, 1) * (images - blurred)
        return select(params["on"], out, images)


@op
class LowResolution(IntensityOp):
    """Downsample by a factor uniform in `factor` ([lo, hi] >= 1, or x for [1, x]), then upsample back."""

    name = "low_resolution"

    def __init__(self, p: float = 1.0, factor: Any = (1.0, 2.0)) -> None:
        self.factor = self.check.at_least("factor", factor, 1.0)
        super().__init__(p, factor=list(self.factor))

    def sample(self, n: int, g: torch.Generator) -> Params:
        params = super().sample(n, g)
        params["factor"] = uniform(n, *self.factor, g)
        return params

    def apply(self, images: torch.Tensor, params: Params) -> torch.Tensor:
        out = images.clone()
        h, w = images.shape[-2:]
        for i in torch.nonzero(params["on"]).flatten().tolist():
            f = float(params["factor"][i])
            small = F.interpolate(images[i: i + 1], size=(max(1, round(h / f)), max(1, round(w / f))),
                                  mode="area")
            out[i: i + 1] = F.interpolate(small, size=(h, w), mode="bilinear", align_corners=False)
        return out
