"""The operation contract (sample parameters, then apply them), its registry and shared helpers."""
from __future__ import annotations

from typing import Any, ClassVar

import torch

from ...registry import Registry
from .params import Check

Params = dict[str, torch.Tensor]


class Op:
    """One operation applied to each sample with probability `p` (in [0, 1])."""

    name: ClassVar[str] = ""
    kind: ClassVar[str] = "intensity"  # "spatial", "crop" or "intensity"

    def __init__(self, p: float = 1.0, **settings: Any) -> None:
        self.p = self.check.probability("p", p)
        self.settings = {"p": self.p, **settings}

    @property
    def check(self) -> Check:
        """Validators whose errors name this operation."""
        return Check(self.name)

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

    def transform(self, images: torch.Tensor, labels: torch.Tensor | None, params: Params) -> torch.Tensor:
        """What a policy calls: `apply`, the labels unused."""
        return self.apply(images, params)


class LabelIntensityOp(IntensityOp):
    """Changes image values where the labels say (a tissue's signal, not its extent); labels are untouched.

    Policies pass the batch's labels while training; where none are given (prediction, test-time shifts)
    the images pass unchanged."""

    def apply_labelled(self, images: torch.Tensor, labels: torch.Tensor | None, params: Params) -> torch.Tensor:
        raise NotImplementedError

    def apply(self, images: torch.Tensor, params: Params) -> torch.Tensor:
        return self.apply_labelled(images, None, params)

    def transform(self, images: torch.Tensor, labels: torch.Tensor | None, params: Params) -> torch.Tensor:
        """What a policy calls: `apply_labelled` with the labels."""
        return self.apply_labelled(images, labels, params)


OPS: Registry[type[Op]] = Registry("augmentation operation")


def op(cls: type[Op]) -> type[Op]:
    """Register an operation class under its `name`."""
    OPS.add(cls.name, cls)
    return cls


def uniform(n: int, lo: float, hi: float, g: torch.Generator) -> torch.Tensor:
    """n draws from U[lo, hi]."""
    return lo + (hi - lo) * torch.rand(n, generator=g)


def select(on: torch.Tensor, new: torch.Tensor, old: torch.Tensor) -> torch.Tensor:
    """Per sample: `new` where the op is on, else `old`."""
    return torch.where(on.view(-1, *([1] * (old.dim() - 1))).to(old.device), new, old)


def minmax(images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-sample minimum and (non-zero) span, shaped [B, 1, 1, 1]."""
    flat = images.flatten(1)
    lo = flat.min(1).values.view(-1, 1, 1, 1)
    hi = flat.max(1).values.view(-1, 1, 1, 1)
    return lo, (hi - lo).clamp_min(1e-6)


def moments(images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-sample mean and standard deviation, shaped [B, 1, 1, 1]."""
    flat = images.flatten(1)
    return flat.mean(1).view(-1, 1, 1, 1), flat.std(1).view(-1, 1, 1, 1)
