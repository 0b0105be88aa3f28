"""Augmentation operations on whole batches: each samples its parameters, then applies them deterministically.

Spatial operations contribute to one affine per sample (plus an optional smooth displacement),
resampled once with grid_sample (bilinear for images, nearest for labels). Intensity operations act
on the (normalised) images afterwards. Parameters come from a torch.Generator: same seed, same batch.
"""
from __future__ import annotations

import math
from typing import Any, ClassVar

import torch
import torch.nn.functional as F

from ..registry import Registry

Params = dict[str, torch.Tensor]


def _uniform(n: int, lo: float, hi: float, g: torch.Generator) -> torch.Tensor:
    return lo + (hi - lo) * torch.rand(n, generator=g)


def _pair(value: Any) -> tuple[float, float]:
    if isinstance(value, (int, float)):
        return (-float(value), float(value))
    lo, hi = value
    return float(lo), float(hi)


class Op:
    """One operation applied to each sample with probability `p`."""

    name: ClassVar[str] = ""
    kind: ClassVar[str] = "intensity"  # "spatial", "crop" or "intensity"

    def __init__(self, p: float = 1.0, **kwargs: Any) -> None:
        self.p = float(p)
        self.settings = {"p": self.p, **kwargs}

    def sample(self, n: int, g: torch.Generator) -> Params:
        """Draw this op's parameters for n samples; 'on' says which samples it applies to."""
        return {"on": torch.rand(n, generator=g) < self.p}

    def describe(self) -> str:
        """Name and settings, for listings and logs."""
        args = ", ".join(f"{k}={v}" for k, v in self.settings.items() if not (k == "p" and v == 1.0))
        return f"{self.name}({args})"


class SpatialOp(Op):
    """Contributes a 2x2 matrix (output -> input pixel offsets) to the per-sample affine."""

    kind = "spatial"

    def matrix(self, params: Params) -> torch.Tensor:  # [n, 2, 2], rows/cols in (x, y) order
        raise NotImplementedError


class IntensityOp(Op):
    """Changes image values; labels are untouched."""

    def apply(self, images: torch.Tensor, params: Params) -> torch.Tensor:
        raise NotImplementedError


OPS: Registry[type[Op]] = Registry("augmentation operation")


def op(cls: type[Op]) -> type[Op]:
    """Register an operation class under its `name`."""
    OPS.add(cls.name, cls)
    return cls


def _select(on: torch.Tensor, new: torch.Tensor, old: torch.Tensor) -> torch.Tensor:
    return torch.where(on.view(-1, *([1] * (old.dim() - 1))).to(old.device), new, old)


# ---------------------------------------------------------------------------------------------- spatial
@op
class FlipH(SpatialOp):
    """Mirror left-right."""

    name = "flip_h"

    def matrix(self, params: Params) -> torch.Tensor:
        m = torch.eye(2).repeat(len(params["on"]), 1, 1)
        m[params["on"], 0, 0] = -1
        return m


@op
class FlipV(SpatialOp):
    """Mirror top-bottom."""

    name = "flip_v"

    def matrix(self, params: Params) -> torch.Tensor:
        m = torch.eye(2).repeat(len(params["on"]), 1, 1)
        m[params["on"], 1, 1] = -1
        return m


@op
class Rotate(SpatialOp):
    """Rotation by an angle in degrees: uniform in `degrees` or normal with `sd` (clipped at 3 sd)."""

    name = "rotate"

    def __init__(self, p: float = 1.0, degrees: Any = 30.0, sd: float | None = None) -> None:
        super().__init__(p, **({"sd": sd} if sd is not None else {"degrees": list(_pair(degrees))}))
        self.range, self.sd = _pair(degrees), sd

    def sample(self, n: int, g: torch.Generator) -> Params:
        params = super().sample(n, g)
        if self.sd is not None:
            angle = (torch.randn(n, generator=g) * self.sd).clamp(-3 * self.sd, 3 * self.sd)
        else:
            angle = _uniform(n, *self.range, g)
        params["degrees"] = torch.where(params["on"], angle, torch.zeros(n))
        return params

    def matrix(self, params: Params) -> torch.Tensor:
        a = torch.deg2rad(params["degrees"])
        c, s = torch.cos(a), torch.sin(a)
        return torch.stack([torch.stack([c, -s], -1), torch.stack([s, c], -1)], -2)


@op
class Scale(SpatialOp):
    """Isotropic zoom by s (the anatomy appears s times larger): uniform in `range` or N(1, sd) clipped at 3 sd."""

    name = "scale"

    def __init__(self, p: float = 1.0, range: Any = (0.7, 1.4), sd: float | None = None) -> None:  # noqa: A002
        super().__init__(p, **({"sd": sd} if sd is not None else {"range": list(_pair(range))}))
        self.range, self.sd = _pair(range), sd

    def sample(self, n: int, g: torch.Generator) -> Params:
        params = super().sample(n, g)
        if self.sd is not None:
            s = 1 + (torch.randn(n, generator=g) * self.sd).clamp(-3 * self.sd, 3 * self.sd)
        else:
            lo, hi = self.range
            s = torch.exp(_uniform(n, math.log(lo), math.log(hi), g))
        params["scale"] = torch.where(params["on"], s.clamp_min(0.05), torch.ones(n))
        return params

    def matrix(self, params: Params) -> torch.Tensor:
        return torch.diag_embed((1 / params["scale"]).unsqueeze(-1).repeat(1, 2))


@op
class Elastic(SpatialOp):
    """Smooth random deformation: a coarse displacement grid (mm-free, in pixels) upsampled bicubically."""

    name = "elastic"

    def __init__(self, p: float = 1.0, magnitude: float = 4.0, grid: int = 5) -> None:
        super().__init__(p, magnitude=magnitude, grid=grid)
        self.magnitude, self.grid = magnitude, grid

    def sample(self, n: int, g: torch.Generator) -> Params:
        params = super().sample(n, g)
        field = torch.randn(n, 2, self.grid, self.grid, generator=g) * self.magnitude
        params["field"] = field * params["on"].view(-1, 1, 1, 1)
        return params

    def matrix(self, params: Params) -> torch.Tensor:
        return torch.eye(2).repeat(len(params["on"]), 1, 1)


@op
class RandomCrop(Op):
    """Crop `size` pixels at a random position (padding with zeros where the image is smaller)."""

    name = "random_crop"
    kind = "crop"

    def __init__(self, size: int = 256, p: float = 1.0) -> None:
        super().__init__(p, size=size)
        self.size = int(size)

    def sample(self, n: int, g: torch.Generator) -> Params:
        return {"on": torch.ones(n, dtype=torch.bool), "shift": torch.rand(n, 2, generator=g) * 2 - 1}


@op
class CenterCrop(RandomCrop):
    """Crop or pad `size` pixels around the centre."""

    name = "center_crop"

    def sample(self, n: int, g: torch.Generator) -> Params:
        return {"on": torch.ones(n, dtype=torch.bool), "shift": torch.zeros(n, 2)}


# -------------------------------------------------------------------------------------------- intensity
def _minmax(images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    flat = images.flatten(1)
    lo = flat.min(1).values.view(-1, 1, 1, 1)
    hi = flat.max(1).values.view(-1, 1, 1, 1)
    return lo, (hi - lo).clamp_min(1e-6)


@op
class Gamma(IntensityOp):
    """Contrast change I -> I^gamma on the image's [min, max] range; log(gamma) uniform in log(range)."""

    name = "gamma"

    def __init__(self, p: float = 1.0, range: Any = (0.7, 1.5)) -> None:  # noqa: A002
        super().__init__(p, range=list(_pair(range)))
        self.range = _pair(range)

    def sample(self, n: int, g: torch.Generator) -> Params:
        params = super().sample(n, g)
        lo, hi = self.range
        params["gamma"] = torch.exp(_uniform(n, math.log(lo), math.log(hi), g))
        return params

    def apply(self, images: torch.Tensor, params: Params) -> torch.Tensor:
        lo, span = _minmax(images)
        gamma = params["gamma"].to(images).view(-1, 1, 1, 1)
        out = ((images - lo) / span).clamp(0, 1) ** gamma * span + lo
        return _select(params["on"], out, images)


@op
class BrightnessContrast(IntensityOp):
    """I -> I * contrast + brightness (brightness in units of the image's standard deviation)."""

    name = "brightness_contrast"

    def __init__(self, p: float = 1.0, brightness: Any = 0.1, contrast: Any = (0.8, 1.2)) -> None:
        super().__init__(p, brightness=list(_pair(brightness)), contrast=list(_pair(contrast)))
        self.b, self.c = _pair(brightness), _pair(contrast)

    def sample(self, n: int, g: torch.Generator) -> Params:
        params = super().sample(n, g)
        params["brightness"], params["contrast"] = _uniform(n, *self.b, g), _uniform(n, *self.c, g)
        return params

    def apply(self, images: torch.Tensor, params: Params) -> torch.Tensor:
        std = images.flatten(1).std(1).view(-1, 1, 1, 1)
        mean = images.flatten(1).mean(1).view(-1, 1, 1, 1)
        c = params["contrast"].to(images).view(-1, 1, 1, 1)
        b = params["brightness"].to(images).view(-1, 1, 1, 1)
        return _select(params["on"], (images - mean) * c + mean + b * std, images)


@op
class GaussianNoise(IntensityOp):
    """Additive Gaussian noise with sd uniform in `sd` (times the image's sd)."""

    name = "noise"

    def __init__(self, p: float = 1.0, sd: Any = (0.0, 0.1)) -> None:
        super().__init__(p, sd=list(_pair(sd)))
        self.sd = _pair(sd)

    def sample(self, n: int, g: torch.Generator) -> Params:
        params = super().sample(n, g)
        params["sd"] = _uniform(n, *self.sd, g)
        params["seed"] = torch.randint(0, 2**31 - 1, (n,), generator=g)
        return params

    def apply(self, images: torch.Tensor, params: Params) -> torch.Tensor:
        noise = torch.stack([torch.randn(images.shape[1:], generator=torch.Generator().manual_seed(int(s)))
                             for s in params["seed"]]).to(images)
        scale = params["sd"].to(images).view(-1, 1, 1, 1) * images.flatten(1).std(1).view(-1, 1, 1, 1)
        return _select(params["on"], images + noise * scale, images)


@op
class BiasField(IntensityOp):
    """Smooth multiplicative field exp(polynomial of `order`), coefficients uniform in +-`strength`."""

    name = "bias_field"

    def __init__(self, p: float = 1.0, strength: float = 0.3, order: int = 3) -> None:
        super().__init__(p, strength=strength, order=order)
        self.strength, self.order = strength, order
        self.terms = [(i, j) for i in range(order + 1) for j in range(order + 1 - i) if i + j > 0]

    def sample(self, n: int, g: torch.Generator) -> Params:
        params = super().sample(n, g)
        params["coef"] = _uniform(n * len(self.terms), -self.strength, self.strength, g).view(n, -1)
        return params

    def apply(self, images: torch.Tensor, params: Params) -> torch.Tensor:
        h, w = images.shape[-2:]
        y = torch.linspace(-1, 1, h, device=images.device).view(h, 1)
        x = torch.linspace(-1, 1, w, device=images.device).view(1, w)
        basis = torch.stack([x**i * y**j for i, j in self.terms])  # [T, H, W]
        field = torch.einsum("nt,thw->nhw", params["coef"].to(images), basis).exp().unsqueeze(1)
        lo, _ = _minmax(images)
        return _select(params["on"], (images - lo) * field + lo, images)


def _gaussian_blur(images: torch.Tensor, sigma: torch.Tensor) -> torch.Tensor:
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
    """Gaussian blur with sigma uniform in `sigma` (pixels)."""

    name = "blur"

    def __init__(self, p: float = 1.0, sigma: Any = (0.25, 1.5)) -> None:
        super().__init__(p, sigma=list(_pair(sigma)))
        self.sigma = _pair(sigma)

    def sample(self, n: int, g: torch.Generator) -> Params:
        params = super().sample(n, g)
        params["sigma"] = _uniform(n, *self.sigma, g) * params["on"]
        return params

    def apply(self, images: torch.Tensor, params: Params) -> torch.Tensor:
        return _select(params["on"], _gaussian_blur(images, params["sigma"]), images)


@op
class Sharpen(IntensityOp):
    """Unsharp masking: I + amount * (I - blur(I)), amount uniform in `amount`."""

    name = "sharpen"

    def __init__(self, p: float = 1.0, amount: Any = (0.2, 1.0), sigma: float = 1.0) -> None:
        super().__init__(p, amount=list(_pair(amount)), sigma=sigma)
        self.amount, self.sigma = _pair(amount), sigma

    def sample(self, n: int, g: torch.Generator) -> Params:
        params = super().sample(n, g)
        params["amount"] = _uniform(n, *self.amount, g)
        return params

    def apply(self, images: torch.Tensor, params: Params) -> torch.Tensor:
        blurred = _gaussian_blur(images, torch.full((len(images),), self.sigma))
        out = images + params["amount"].to(images).view(-1, 1, 1, 1) * (images - blurred)
        return _select(params["on"], out, images)


@op
class LowResolution(IntensityOp):
    """Downsample by a factor uniform in `factor`, then upsample back (lost detail, as a coarser scan)."""

    name = "low_resolution"

    def __init__(self, p: float = 1.0, factor: Any = (1.0, 2.0)) -> None:
        super().__init__(p, factor=list(_pair(factor)))
        self.factor = _pair(factor)

    def sample(self, n: int, g: torch.Generator) -> Params:
        params = super().sample(n, g)
        params["factor"] = _uniform(n, *self.factor, g)
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


def _kspace(images: torch.Tensor) -> torch.Tensor:
    return torch.fft.fftshift(torch.fft.fft2(images), dim=(-2, -1))


def _image(k: torch.Tensor) -> torch.Tensor:
    return torch.fft.ifft2(torch.fft.ifftshift(k, dim=(-2, -1))).abs()


def _restore_offset(out: torch.Tensor, images: torch.Tensor) -> torch.Tensor:
    """k-space ops act on magnitude: shift the result back to the input's minimum (z-scored inputs go < 0)."""
    lo, _ = _minmax(images)
    return out + lo


@op
class Motion(IntensityOp):
    """Patient motion: a fraction of phase-encoding lines acquired with the object translated."""

    name = "motion"

    def __init__(self, p: float = 1.0, shift: float = 6.0, fraction: Any = (0.1, 0.3)) -> None:
        super().__init__(p, shift=shift, fraction=list(_pair(fraction)))
        self.shift, self.fraction = shift, _pair(fraction)

    def sample(self, n: int, g: torch.Generator) -> Params:
        params = super().sample(n, g)
        params["shift"] = (torch.rand(n, 2, generator=g) * 2 - 1) * self.shift
        params["fraction"] = _uniform(n, *self.fraction, g)
        params["seed"] = torch.randint(0, 2**31 - 1, (n,), generator=g)
        return params

    def apply(self, images: torch.Tensor, params: Params) -> torch.Tensor:
        lo, _ = _minmax(images)
        k = _kspace(images - lo)
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
            out[i] = _image(ki) + lo[i]
        return out


@op
class Ghosting(IntensityOp):
    """Ghosts along phase encoding: every `period`-th k-space line scaled by an intensity factor."""

    name = "ghosting"

    def __init__(self, p: float = 1.0, period: Any = (2, 6), strength: Any = (0.3, 0.9)) -> None:
        super().__init__(p, period=list(_pair(period)), strength=list(_pair(strength)))
        self.period, self.strength = _pair(period), _pair(strength)

    def sample(self, n: int, g: torch.Generator) -> Params:
        params = super().sample(n, g)
        lo, hi = self.period
        params["period"] = torch.randint(int(lo), int(hi) + 1, (n,), generator=g)
        params["strength"] = _uniform(n, *self.strength, g)
        return params

    def apply(self, images: torch.Tensor, params: Params) -> torch.Tensor:
        lo, _ = _minmax(images)
        k = _kspace(images - lo)
        h = images.shape[-2]
        rows = torch.arange(h, device=images.device)
        period = params["period"].to(images.device).view(-1, 1)
        factor = 1 - params["strength"].to(images).view(-1, 1) * (rows.view(1, -1) % period == 0)
        factor = torch.where((rows - h // 2).abs().view(1, -1) < 2, torch.ones_like(factor), factor)  # keep centre
        out = _image(k * factor.view(-1, 1, h, 1)) + lo
        return _select(params["on"], out, images)


@op
class Spike(IntensityOp):
    """A k-space spike (herringbone stripes): one off-centre k-space sample boosted."""

    name = "spike"

    def __init__(self, p: float = 1.0, intensity: Any = (0.05, 0.3)) -> None:
        super().__init__(p, intensity=list(_pair(intensity)))
        self.intensity = _pair(intensity)

    def sample(self, n: int, g: torch.Generator) -> Params:
        params = super().sample(n, g)
        params["where"] = torch.rand(n, 2, generator=g) * 0.8 + 0.1
        params["intensity"] = _uniform(n, *self.intensity, g)
        return params

    def apply(self, images: torch.Tensor, params: Params) -> torch.Tensor:
        lo, _ = _minmax(images)
        k = _kspace(images - lo)
        h, w = images.shape[-2:]
        out = images.clone()
        for i in torch.nonzero(params["on"]).flatten().tolist():
            ki = k[i].clone()
            r, c = int(params["where"][i, 0] * h), int(params["where"][i, 1] * w)
            ki[..., r, c] += float(params["intensity"][i]) * ki.abs().max()
            out[i] = _image(ki) + lo[i]
        return out
