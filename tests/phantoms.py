"""Flat-tissue phantoms for intensity tests: a blood disc inside a myocardial ring on a background."""
from __future__ import annotations

import torch


def blood_in_ring(n: int = 1, *, blood_r: float = 12, ring_r: float = 20,
                  values: tuple[float, float, float] = (0.05, 1.0, 0.35)) -> tuple[torch.Tensor, torch.Tensor]:
    """n copies of a 64 x 64 image and its labels: background, LV blood (label 1, r < `blood_r`) and myocardium
    (label 2, up to `ring_r`), each flat at its value in `values` (background, blood, myocardium)."""
    y, x = torch.meshgrid(torch.arange(64) + 0.5, torch.arange(64) + 0.5, indexing="ij")
    r = torch.hypot(x - 32, y - 32)
    lab = torch.zeros(64, 64, dtype=torch.long)
    lab[r < ring_r] = 2
    lab[r < blood_r] = 1
    img = torch.tensor(values)[lab]
    return img.expand(n, 1, 64, 64).clone(), lab.expand(n, 64, 64).clone()
