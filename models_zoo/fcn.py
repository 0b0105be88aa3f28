"""The FCN of Bai et al. 2018 (ukbb_cardiac's build_FCN): multi-scale features upsampled and fused."""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from benchmark.models import register_model

from .common import PadToMultiple, conv_bn_relu

BLOCKS = (2, 2, 3, 3, 3)
# Table IV of Chen et al. (FCN-16 0.98 M, FCN-64 15.6 M) matches the deepest level capped at width x 8
# with every width scaled together (per-level features 2 x width, fusion 4 x width: 32 and 64 at width 16,
# ukbb_cardiac's `same_dim` and `fc`); ukbb_cardiac's own default doubles to width x 16 (1.99 M at width 16):
# pass multipliers=(1, 2, 4, 8, 16).
TABLE_IV_MULTIPLIERS = (1, 2, 4, 8, 8)


def bilinear_kernel(factor: int) -> torch.Tensor:
    """The 2D bilinear interpolation kernel of a transposed convolution upsampling by `factor`."""
    size = 2 * factor
    centre = factor - 0.5
    og = torch.arange(size, dtype=torch.float32)
    filt = 1 - torch.abs(og - centre) / factor
    return filt[:, None] * filt[None, :]


class FixedBilinearUp(nn.Module):
    """Depthwise transposed convolution with fixed bilinear weights (not trained)."""

    def __init__(self, channels: int, factor: int) -> None:
        super().__init__()
        self.factor, self.channels = factor, channels
        self.register_buffer("weight", bilinear_kernel(factor).expand(channels, 1, -1, -1).clone(), persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.factor == 1:
            return x
        return F.conv_transpose2d(x, self.weight, stride=self.factor, padding=self.factor // 2, groups=self.channels)


class FCN(nn.Module):
    """Five conv levels [2, 2, 3, 3, 3], each reduced to 32 features, upsampled, concatenated and fused."""

    def __init__(self, in_channels: int = 1, num_classes: int = 4, width: int = 16,
                 multipliers: tuple[int, ...] = TABLE_IV_MULTIPLIERS, level_features: int | None = None,
                 fuse_features: int | None = None) -> None:
        super().__init__()
        chans = [width * m for m in multipliers]
        level_features = level_features or 2 * width
        fuse_features = fuse_features or 4 * width
        self.levels = nn.ModuleList()
        cin = in_channels
        for i, (n, c) in enumerate(zip(BLOCKS, chans)):
            convs = [conv_bn_relu(cin if j == 0 else c, c, stride=2 if (j == 0 and i > 0) else 1) for j in range(n)]
            self.levels.append(nn.Sequential(*convs))
            cin = c
        self.reduce = nn.ModuleList([conv_bn_relu(c, level_features, kernel=1) for c in chans])
        self.up = nn.ModuleList([FixedBilinearUp(level_features, 2**i) for i in range(len(chans))])
        self.fuse = nn.Sequential(conv_bn_relu(level_features * len(chans), fuse_features, kernel=1),
                                  conv_bn_relu(fuse_features, fuse_features, kernel=1))
        self.head = nn.Conv2d(fuse_features, num_classes, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        feats = []
        for level, reduce, up in zip(self.levels, self.reduce, self.up):
            x = level(x)
            feats.append(up(reduce(x)))
        return self.head(self.fuse(torch.cat(feats, dim=1)))


@register_model("fcn", variants={"fcn16": {"width": 16}, "fcn64": {"width": 64}, "fcn_test": {"width": 4}})
def fcn(in_channels: int = 1, num_classes: int = 4, width: int = 16,
        multipliers: tuple[int, ...] = TABLE_IV_MULTIPLIERS) -> nn.Module:
    """Bai et al. 2018 FCN (Table IV variant by default); any input size (padded to a multiple of 16)."""
    return PadToMultiple(FCN(in_channels, num_classes, width, tuple(multipliers)), 16)
