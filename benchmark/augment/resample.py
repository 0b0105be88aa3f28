"""One resampling per run of spatial operations: their affines composed, one grid_sample, the crop folded in."""
from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F

from .ops import Elastic, Op, Params, RandomCrop, SpatialOp


def resample(images: torch.Tensor, labels: torch.Tensor | None, ops: Sequence[Op], params: Sequence[Params]
             ) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Apply consecutive spatial ops (and at most one crop, which sets the output size) in one resampling."""
    n, _, h, w = images.shape
    crop = next((o for o in ops if isinstance(o, RandomCrop)), None)
    size = (crop.size, crop.size) if crop else (h, w)
    matrix = torch.eye(2).repeat(n, 1, 1)
    field = None
    shift = torch.zeros(n, 2)
    for o, p in zip(ops, params):
        if isinstance(o, SpatialOp):
            matrix = matrix @ o.matrix(p)
        if isinstance(o, Elastic) and bool(p["on"].any()):
            field = p["field"]
        if isinstance(o, RandomCrop):
            room = torch.tensor([max(w - size[1], 0) / 2, max(h - size[0], 0) / 2])
            shift = p["shift"] * room
    if field is None and torch.equal(matrix, torch.eye(2).expand(n, 2, 2)):
        return crop_or_pad(images, labels, size, shift.round())
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


def crop_or_pad(images: torch.Tensor, labels: torch.Tensor | None, size: tuple[int, int], shift: torch.Tensor
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
