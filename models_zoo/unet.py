"""The U-Net of Chen et al. 2020: five levels, BN after each conv, bilinear up, dropout after each concat."""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from benchmark.models import register_model

from .common import PadToMultiple, conv_bn_relu

LEVELS = (1, 2, 4, 8, 8)


def double_conv(cin: int, cout: int) -> nn.Sequential:
    """(conv3x3, BN, ReLU) x 2."""
    return nn.Sequential(conv_bn_relu(cin, cout), conv_bn_relu(cout, cout))


class UNet(nn.Module):
    """Encoder width x (1, 2, 4, 8, 8); each decoder level concatenates the skip, drops out, convolves."""

    def __init__(self, in_channels: int = 1, num_classes: int = 4, width: int = 64, dropout: float = 0.2) -> None:
        super().__init__()
        ch = [width * m for m in LEVELS]
        self.down = nn.ModuleList([double_conv(in_channels, ch[0])] +
                                  [double_conv(ch[i - 1], ch[i]) for i in range(1, len(ch))])
        # decoder level i: concat(up(deeper), skip_i) -> out channels of the next shallower skip
        outs = [ch[i - 1] if i > 0 else ch[0] for i in range(len(ch) - 1)]
        self.up = nn.ModuleList([double_conv(ch[i + 1 if i == len(ch) - 2 else i] + ch[i], outs[i])
                                 for i in range(len(ch) - 1)])
        self.drop = nn.Dropout2d(dropout)
        self.head = nn.Conv2d(ch[0], num_classes, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        skips = []
        for i, block in enumerate(self.down):
            x = block(x if i == 0 else F.max_pool2d(x, 2))
            skips.append(x)
        x = skips.pop()
        for i in reversed(range(len(self.up))):
            x = F.interpolate(x, size=skips[i].shape[-2:], mode="bilinear", align_corners=False)
            x = self.up[i](self.drop(torch.cat([skips[i], x], dim=1)))
        return self.head(x)


@register_model("unet", variants={"unet16": {"width": 16}, "unet64": {"width": 64}, "unet_test": {"width": 4}})
def unet(in_channels: int = 1, num_classes: int = 4, width: int = 64, dropout: float = 0.2) -> nn.Module:
    """Chen et al. 2020 U-Net; any input size (padded internally to a multiple of 16)."""
    return PadToMultiple(UNet(in_channels, num_classes, width, dropout), 16)
