"""Spatial operations: each contributes a 2x2 matrix (and elastic a displacement field) to one resampling."""
from __future__ import annotations

import math
from typing import Any, ClassVar

import torch

from .base import Op, Params, SpatialOp, op, uniform


class _Flip(SpatialOp):
    """Mirror along one axis (0: x, left-right; 1: y, top-bottom)."""

    axis: ClassVar[int] = 0

    def matrix(self, params: Params) -> torch.Tensor:
        m = torch.eye(2).repeat(len(params["on"]), 1, 1)
        m[params["on"], self.axis, self.axis] = -1
        return m


@op
class FlipH(_Flip):
    """Mirror left-right."""

    name = "flip_h"
    axis = 0


@op
class FlipV(_Flip):
    """Mirror top-bottom."""

    name = "flip_v"
    axis = 1


@op
class Rotate(SpatialOp):
    """Rotation in degrees: uniform in `degrees` or N(0, `sd`) clipped at 3 sd.

    `degrees`: [lo, hi], or d >= 0 for [-d, d] (default 30); `sd` >= 0 instead of degrees.
    """

    name = "rotate"

    def __init__(self, p: float = 1.0, degrees: Any = None, sd: float | None = None) -> None:
        if degrees is not None and sd is not None:
            raise self.check.fail("sd", "give degrees or sd, not both")
        self.range = self.check.symmetric("degrees", 30.0 if degrees is None else degrees)
        self.sd = None if sd is None else self.check.number("sd", sd, low=0.0)
        super().__init__(p, **({"sd": sd} if sd is not None else {"degrees": list(self.range)}))

    def sample(self, n: int, g: torch.Generator) -> Params:
        params = super().sample(n, g)
        if self.sd is not None:
            angle = (torch.randn(n, generator=g) * self.sd).clamp(-3 * self.sd, 3 * self.sd)
        else:
            angle = uniform(n, *self.range, g)
        params["degrees"] = torch.where(params["on"], angle, torch.zeros(n))
        return params

    def matrix(self, params: Params) -> torch.Tensor:
        a = torch.deg2rad(params["degrees"])
        c, s = torch.cos(a), torch.sin(a)
        return torch.stack([torch.stack([c, -s], -1), torch.stack([s, c], -1)], -2)


@op
class Scale(SpatialOp):
    """Isotropic zoom by s (anatomy s times larger): log-uniform in `range` or N(1, `sd`) clipped at 3 sd.

    `range`: [lo, hi] of positive factors, or x >= 1 for [1/x, x] (default [0.7, 1.4]); `sd` in [0, 1/3).
    """

    name = "scale"

    def __init__(self, p: float = 1.0, range: Any = None, sd: float | None = None) -> None:  # noqa: A002
        if range is not None and sd is not None:
            raise self.check.fail("sd", "give range or sd, not both")
        self.range = self.check.multiplicative("range", (0.7, 1.4) if range is None else range)
        self.sd = None
        if sd is not None:
            self.sd = self.check.number("sd", sd, low=0.0)
            if 3 * self.sd >= 1:
                raise self.check.fail("sd", f"must be below 1/3 so that 1 - 3 sd stays a positive scale, got {sd}")
        super().__init__(p, **({"sd": sd} if sd is not None else {"range": list(self.range)}))

    def sample(self, n: int, g: torch.Generator) -> Params:
        params = super().sample(n, g)
        if self.sd is not None:
            s = 1 + (torch.randn(n, generator=g) * self.sd).clamp(-3 * self.sd, 3 * self.sd)
        else:
            lo, hi = self.range
            s = torch.exp(uniform(n, math.log(lo), math.log(hi), g))
        params["scale"] = torch.where(params["on"], s.clamp_min(0.05), torch.ones(n))
        return params

    def matrix(self, params: Params) -> torch.Tensor:
        return torch.diag_embed((1 / params["scale"]).unsqueeze(-1).repeat(1, 2))


@op
class Elastic(SpatialOp):
    """Smooth random deformation: a `grid` x `grid` (>= 2) displacement grid, sd `magnitude` (>= 0) pixels.

    The coarse grid is upsampled bicubically to a dense displacement field.
    """

    name = "elastic"

    def __init__(self, p: float = 1.0, magnitude: float = 4.0, grid: int = 5) -> None:
        self.magnitude = self.check.number("magnitude", magnitude, low=0.0)
        self.grid = self.check.integer("grid", grid, low=2)
        super().__init__(p, magnitude=magnitude, grid=grid)

    def sample(self, n: int, g: torch.Generator) -> Params:
        params = super().sample(n, g)
        field = torch.randn(n, 2, self.grid, self.grid, generator=g) * self.magnitude
        params["field"] = field * params["on"].view(-1, 1, 1, 1)
        return params

    def matrix(self, params: Params) -> torch.Tensor:
        return torch.eye(2).repeat(len(params["on"]), 1, 1)


@op
class RandomCrop(Op):
    """Crop `size` (a positive whole number) pixels at a random position, padding where the image is smaller.

    The crop sets the policy's output size: it joins the last spatial resampling wherever it is listed.
    """

    name = "random_crop"
    kind = "crop"

    def __init__(self, size: int = 256, p: float = 1.0) -> None:
        self.size = self.check.integer("size", size)
        super().__init__(p, size=size)

    def sample(self, n: int, g: torch.Generator) -> Params:
        return {"on": torch.ones(n, dtype=torch.bool), "shift": torch.rand(n, 2, generator=g) * 2 - 1}


@op
class CenterCrop(RandomCrop):
    """Crop or pad `size` pixels around the centre."""

    name = "center_crop"

    def sample(self, n: int, g: torch.Generator) -> Params:
        return {"on": torch.ones(n, dtype=torch.bool), "shift": torch.zeros(n, 2)}
