"""A suite-local augmentation policy: the study's geometry, milder, plus MR-like intensity changes.

Use it from a suite with `plugins: [mr_policy.py]` and `policies: [paper, mr]`.
"""
from __future__ import annotations

from benchmark.augment import Policy, register_policy
from benchmark.augment.ops import BiasField, FlipH, FlipV, Gamma, GaussianNoise, RandomCrop, Rotate, Scale


@register_policy("mr")
def mr(crop: int = 256) -> Policy:
    """Flips, rotation +-15 deg, scale [0.9, 1.1], gamma, a bias field and Gaussian noise, then the crop."""
    return Policy([FlipH(p=0.5), FlipV(p=0.5), Rotate(degrees=(-15, 15)), Scale(range=(0.9, 1.1)),
                   Gamma(p=0.5, range=(0.7, 1.5)), BiasField(p=0.5, strength=0.3), GaussianNoise(p=0.3, sd=(0, 0.05)),
                   RandomCrop(crop)],  # spatial ops are fused into one resampling; the crop comes last
                  resample=True, name="mr")  # resample: images go to the suite's target spacing first
