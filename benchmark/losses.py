"""Training losses by name: cross-entropy, soft Dice over the cardiac structures, and their sum."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F

from .labels import NUM_CLASSES
from .registry import Registry, check_arguments

Loss = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]  # (logits [B, C, H, W], labels [B, H, W] int64) -> scalar
LossFactory = Callable[..., Loss]

LOSSES: Registry[LossFactory] = Registry("loss")
FOREGROUND = tuple(range(1, NUM_CLASSES))  # LV, MYO, RV


@LOSSES.register("ce", aliases=("cross_entropy",))
def cross_entropy() -> Loss:
    """Pixel-wise cross-entropy over all classes, averaged over pixels and batch."""

    def loss(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        return F.cross_entropy(logits, labels)

    return loss


@LOSSES.register("dice")
def soft_dice(smooth: float = 1.0, classes: tuple[int, ...] = FOREGROUND) -> Loss:
    """1 - mean over `classes` (LV, MYO, RV) of the batch soft Dice (2|P.Y| + s) / (|P| + |Y| + s) of softmax P.

    Sums pool the whole batch. Every listed class counts, present in the labels or not: one absent from
    both labels and prediction scores about 1 (loss 0) through the smoothing s, one predicted but absent
    scores about 0, as the evaluation scores a structure found on one side only.
    """
    index = list(classes)

    def loss(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        probs = logits.float().softmax(1)[:, index]
        target = F.one_hot(labels, logits.shape[1]).permute(0, 3, 1, 2)[:, index].to(probs)
        inter = (probs * target).sum((0, 2, 3))
        total = probs.sum((0, 2, 3)) + target.sum((0, 2, 3))
        return 1 - ((2 * inter + smooth) / (total + smooth)).mean()

    return loss


@LOSSES.register("ce+dice")
def ce_plus_dice(smooth: float = 1.0) -> Loss:
    """Cross-entropy plus soft Dice (each as above), unweighted."""
    ce, dice = cross_entropy(), soft_dice(smooth)

    def loss(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        return ce(logits, labels) + dice(logits, labels)

    return loss


def create_loss(name: str, **kwargs: Any) -> Loss:
    """A registered loss: loss(logits [B, C, H, W], labels [B, H, W] int64) -> scalar tensor."""
    factory = LOSSES.get(name)
    check_arguments(f"loss '{name}'", factory, kwargs)
    return factory(**kwargs)


def list_losses(pattern: str = "*") -> list[str]:
    """Registered loss names matching a wildcard."""
    return LOSSES.names(pattern)
