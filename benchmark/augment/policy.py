"""A policy: an ordered list of operations applied to a batch, with the sampled parameters kept."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import torch
import torch.nn.functional as F

from ..errors import CmrbenchError
from .ops import OPS, Elastic, IntensityOp, Op, Params, RandomCrop, SpatialOp


class Policy:
    """Spatial ops become one affine per sample (one grid_sample); intensity ops follow in order."""

    def __init__(self, ops: Sequence[Op], *, resample: bool = True, name: str = "") -> None:
        self.ops = list(ops)
        self.resample = resample  # whether preprocessing resamples to the target spacing first
        self.name = name
        crops = [o for o in self.ops if isinstance(o, RandomCrop)]
        if len(crops) > 1:
            raise CmrbenchError(f"policy '{name}': more than one crop operation")
        self.crop: RandomCrop | None = crops[0] if crops else None

    # -------------------------------------------------------------------------------- describing
    def describe(self) -> str:
        """One line: resampling and every operation with its settings."""
        ops = ", ".join(o.describe() for o in self.ops) or "no operations"
        return f"{'resample, ' if self.resample else ''}{ops}"

    def operations(self) -> list[str]:
        """Names of the operations that are on (resampling counts as one), for ablation tables."""
        return (["resample"] if self.resample else []) + [o.name for o in self.ops]

    # ---------------------------------------------------------------------------------- sampling
    def sample(self, n: int, generator: torch.Generator) -> list[Params]:
        """Draw every operation's parameters for n samples (replayable, loggable)."""
        return [o.sample(n, generator) for o in self.ops]

    def apply(self, images: torch.Tensor, labels: torch.Tensor | None, params: list[Params]
              ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Apply sampled parameters: images [B, C, H, W] float, labels [B, H, W] int64."""
        images, labels = self._spatial(images, labels, params)
        for o, p in zip(self.ops, params):
            if isinstance(o, IntensityOp):
                images = o.apply(images, p)
        return images, labels

    def __call__(self, images: torch.Tensor, labels: torch.Tensor | None = None,
                 generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Sample and apply in one go."""
        return self.apply(images, labels, self.sample(len(images), generator or torch.Generator()))

    # ------------------------------------------------------------------------------- the geometry
    def _spatial(self, images: torch.Tensor, labels: torch.Tensor | None, params: list[Params]
                 ) -> tuple[torch.Tensor, torch.Tensor | None]:
        n, _, h, w = images.shape
        size = (self.crop.size, self.crop.size) if self.crop else (h, w)
        matrix = torch.eye(2).repeat(n, 1, 1)
        field = None
        shift = torch.zeros(n, 2)
        for o, p in zip(self.ops, params):
            if isinstance(o, SpatialOp):
                matrix = matrix @ o.matrix(p)
            if isinstance(o, Elastic) and bool(p["on"].any()):
                field = p["field"]
            if isinstance(o, RandomCrop):
                room = torch.tensor([max(w - size[1], 0) / 2, max(h - size[0], 0) / 2])
                shift = p["shift"] * room
        if field is None and torch.equal(matrix, torch.eye(2).expand(n, 2, 2)):
            return _crop(images, labels, size, shift.round())
        scale_in = torch.diag(torch.tensor([2 / w, 2 / h]))
        theta = torch.zeros(n, 2, 3)
        theta[:, :, :2] = scale_in @ matrix @ torch.diag(torch.tensor([size[1] / 2, size[0] / 2]))
        theta[:, :, 2] = shift @ scale_in.T
        theta = theta.to(images.device, images.dtype)
        grid = F.affine_grid(theta, [n, 1, *size], align_corners=False)
        if field is not None:
            disp = F.interpolate(field.to(images), size=size, mode="bicubic", align_corners=True)
            grid = grid + disp.permute(0, 2, 3, 1) * torch.tensor([2 / w, 2 / h], device=images.device,
                                                                     dtype=images.dtype)
        lo = images.flatten(1).min(1).values.view(-1, 1, 1, 1)
        out = F.grid_sample(images - lo, grid, mode="bilinear", padding_mode="zeros", align_corners=False) + lo
        if labels is not None:
            lab = F.grid_sample(labels.unsqueeze(1).to(images.dtype), grid, mode="nearest", padding_mode="zeros",
                                align_corners=False)
            labels = lab.squeeze(1).round().long()
        return out, labels


def _crop(images: torch.Tensor, labels: torch.Tensor | None, size: tuple[int, int], shift: torch.Tensor
          ) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Integer crop/pad per sample (no interpolation): the fast path when there is no rotation or zoom."""
    n, c, h, w = images.shape
    sh, sw = size
    if (sh, sw) == (h, w) and not shift.any():
        return images, labels
    lo = images.flatten(1).min(1).values
    out = lo.view(-1, 1, 1, 1).expand(n, c, sh, sw).clone()
    lab_out = None if labels is None else torch.zeros(n, sh, sw, dtype=labels.dtype, device=labels.device)
    for i in range(n):
        dx, dy = int(shift[i, 0]), int(shift[i, 1])
        top, left = (h - sh) // 2 + dy, (w - sw) // 2 + dx
        ys, ye = max(top, 0), min(top + sh, h)
        xs, xe = max(left, 0), min(left + sw, w)
        out[i, :, ys - top: ye - top, xs - left: xe - left] = images[i, :, ys:ye, xs:xe]
        if labels is not None and lab_out is not None:
            lab_out[i, ys - top: ye - top, xs - left: xe - left] = labels[i, ys:ye, xs:xe]
    return out, lab_out


def policy_from_config(config: Mapping[str, Any], name: str = "custom", crop: int | None = None) -> Policy:
    """A policy defined in YAML: {resample: bool, ops: [{op: rotate, degrees: 30, p: 0.5}, ...]}."""
    unknown = set(config) - {"resample", "ops"}
    if unknown:
        raise CmrbenchError(f"policy '{name}': unknown key(s) {sorted(unknown)} (expected resample, ops)")
    ops: list[Op] = []
    for i, spec in enumerate(config.get("ops", []) or []):
        if not isinstance(spec, Mapping) or "op" not in spec:
            raise CmrbenchError(f"policy '{name}': ops[{i}] must be a mapping with an 'op' key")
        kwargs = {k: v for k, v in spec.items() if k != "op"}
        cls = OPS.get(str(spec["op"]))
        try:
            ops.append(cls(**kwargs))
        except TypeError as exc:
            raise CmrbenchError(f"policy '{name}': ops[{i}] ({spec['op']}): {exc}") from None
    if crop and not any(isinstance(o, RandomCrop) for o in ops):
        ops.append(OPS.get("random_crop")(size=crop))
    return Policy(ops, resample=bool(config.get("resample", True)), name=name)
