"""Losses by name: cross-entropy and soft Dice on cases with known values, and gradients that flow."""
from __future__ import annotations

import math

import pytest
import torch

from benchmark.errors import CmrbenchError
from benchmark.losses import LOSSES, create_loss, list_losses

MARGIN = 30.0


def one_hot_logits(labels: torch.Tensor, classes: int = 4, margin: float = MARGIN) -> torch.Tensor:
    """Logits [B, C, H, W] that put `margin` on each pixel's class and 0 elsewhere."""
    return torch.nn.functional.one_hot(labels, classes).permute(0, 3, 1, 2).float() * margin


def labels_with_every_class(b: int = 2, size: int = 16) -> torch.Tensor:
    return torch.randint(0, 4, (b, size, size), generator=torch.Generator().manual_seed(0))


def test_losses_are_registered_with_the_cross_entropy_alias():
    assert list_losses() == ["ce", "ce+dice", "dice"]
    assert LOSSES.resolve("cross_entropy") == "ce"


@pytest.mark.parametrize("name", ["ce", "cross_entropy", "dice", "ce+dice"])
def test_a_perfect_prediction_costs_nothing(name):
    labels = labels_with_every_class()
    loss = create_loss(name)(one_hot_logits(labels), labels)
    assert loss.shape == () and float(loss) == pytest.approx(0, abs=1e-6)


def test_all_background_against_a_full_lv_costs_one_third_of_dice():
    labels = torch.ones(2, 8, 8, dtype=torch.long)  # every pixel LV; MYO and RV absent
    logits = one_hot_logits(torch.zeros_like(labels))  # every pixel predicted background
    n = labels.numel()
    # LV: (2 * 0 + 1) / (0 + n + 1); MYO and RV: absent on both sides, (0 + 1) / (0 + 1) = 1
    expected = (1 - 1 / (n + 1)) / 3
    assert float(create_loss("dice")(logits, labels)) == pytest.approx(expected, abs=1e-6)
    assert float(create_loss("ce")(logits, labels)) == pytest.approx(MARGIN + math.log(1 + 3 * math.exp(-MARGIN)))


def test_half_the_lv_found_gives_dice_two_thirds():
    labels = torch.ones(1, 8, 8, dtype=torch.long)
    pred = labels.clone()
    pred[..., 4:] = 0  # LV predicted on half the pixels: Dice = 2 * 32 / (32 + 64)
    n = labels.numel()
    lv = (2 * n / 2 + 1) / (n / 2 + n + 1)
    assert float(create_loss("dice")(one_hot_logits(pred), labels)) == pytest.approx((1 - lv) / 3, abs=1e-6)


def test_a_structure_predicted_where_there_is_none_costs_as_much_as_one_missed():
    labels = torch.zeros(1, 8, 8, dtype=torch.long)
    pred = labels.clone()
    pred[..., :4, :4] = 3  # 16 pixels of RV that is not there
    assert float(create_loss("dice")(one_hot_logits(pred), labels)) == pytest.approx((1 - 1 / 17) / 3, abs=1e-6)


@pytest.mark.parametrize("name", ["ce", "dice", "ce+dice"])
def test_gradients_flow_to_every_class(name):
    labels = labels_with_every_class()
    logits = torch.randn(2, 4, 16, 16, generator=torch.Generator().manual_seed(1), requires_grad=True)
    create_loss(name)(logits, labels).backward()
    assert logits.grad is not None and torch.isfinite(logits.grad).all()
    assert all(float(logits.grad[:, c].abs().sum()) > 0 for c in range(4))


def test_ce_plus_dice_is_the_sum():
    labels = labels_with_every_class()
    logits = torch.randn(2, 4, 16, 16, generator=torch.Generator().manual_seed(2))
    total = create_loss("ce+dice")(logits, labels)
    torch.testing.assert_close(total, create_loss("ce")(logits, labels) + create_loss("dice")(logits, labels))


def test_bad_names_and_arguments_are_clear():
    with pytest.raises(CmrbenchError, match="unknown loss 'dise'; did you mean 'dice'"):
        create_loss("dise")
    with pytest.raises(CmrbenchError, match=r"loss 'dice': unknown argument\(s\) 'smoth'"):
        create_loss("dice", smoth=0.5)
