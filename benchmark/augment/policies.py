"""The built-in augmentation policies: the study's recipe, its ablations and the richer alternatives."""
from __future__ import annotations

from .ops import (
    BiasField,
    Blur,
    BrightnessContrast,
    CenterCrop,
    Elastic,
    FlipH,
    FlipV,
    Gamma,
    GaussianNoise,
    Op,
    RandomCrop,
    Remap,
    Rotate,
    Scale,
    Sharpen,
    Trabeculae,
)
from .policy import Policy
from .registry import register_policy


def _paper_ops(crop: int, *, flip: bool = True, rotation: bool = True, scale: bool = True) -> list[Op]:
    ops: list[Op] = []
    if flip:
        ops += [FlipH(p=0.5), FlipV(p=0.5)]
    if rotation:
        ops.append(Rotate(degrees=(-30, 30)))
    if scale:
        ops.append(Scale(range=(0.7, 1.4)))
    return ops + [RandomCrop(crop)]


@register_policy("paper")
def paper(crop: int = 256) -> Policy:
    """Chen et al. 2020: resample to 1.25 mm, flips (p=0.5), rotation [-30, 30] deg, scale [0.7, 1.4], random crop."""
    return Policy(_paper_ops(crop), resample=True, name="paper")


@register_policy("paper-no-resample")
def paper_no_resample(crop: int = 256) -> Policy:
    """Table V ablation: the paper recipe on images left at their acquired spacing."""
    return Policy(_paper_ops(crop), resample=False, name="paper-no-resample")


@register_policy("paper-no-rotation")
def paper_no_rotation(crop: int = 256) -> Policy:
    """Table V ablation: no rotation."""
    return Policy(_paper_ops(crop, rotation=False), resample=True, name="paper-no-rotation")


@register_policy("paper-no-flip")
def paper_no_flip(crop: int = 256) -> Policy:
    """Table V ablation: no flips."""
    return Policy(_paper_ops(crop, flip=False), resample=True, name="paper-no-flip")


@register_policy("paper-no-scale")
def paper_no_scale(crop: int = 256) -> Policy:
    """Table V ablation: no scaling."""
    return Policy(_paper_ops(crop, scale=False), resample=True, name="paper-no-scale")


@register_policy("paper+gamma")
def paper_gamma(crop: int = 256) -> Policy:
    """The paper recipe plus gamma contrast augmentation (p=0.5, gamma in [0.7, 1.5])."""
    ops = _paper_ops(crop)
    return Policy(ops[:-1] + [Gamma(p=0.5, range=(0.7, 1.5)), ops[-1]], resample=True, name="paper+gamma")


@register_policy("paper+remap")
def paper_remap(crop: int = 256) -> Policy:
    """The paper recipe plus random tissue contrast (p=0.8): intensities through a random 8-knot curve."""
    ops = _paper_ops(crop)
    return Policy(ops[:-1] + [Remap(p=0.8, knots=8), ops[-1]], resample=True, name="paper+remap")


@register_policy("paper+trabeculae")
def paper_trabeculae(crop: int = 256) -> Policy:
    """The paper recipe plus trabeculae (p=0.7): strands of myocardial signal along the cavity walls, labels kept."""
    ops = _paper_ops(crop)
    return Policy(ops[:-1] + [Trabeculae(p=0.7), ops[-1]], resample=True, name="paper+trabeculae")


@register_policy("bai2018")
def bai2018(crop: int = 256) -> Policy:
    """Bai et al. 2018: rotation ~ N(0, 10 deg), scale ~ N(1, 0.2) (clipped at 3 sd), no flip, no resampling."""
    return Policy([Rotate(sd=10.0), Scale(sd=0.2), RandomCrop(crop)], resample=False, name="bai2018")


@register_policy("none")
def none(crop: int = 256) -> Policy:
    """No augmentation and no resampling: centre crop (or pad) only."""
    return Policy([CenterCrop(crop)], resample=False, name="none")


@register_policy("bigaug")
def bigaug(crop: int = 256) -> Policy:
    """Zhang et al. 2020 (BigAug): image-quality, appearance, then spatial transforms, each p=0.5, in that order."""
    ops: list[Op] = [
        Blur(p=0.5, sigma=(0.25, 1.5)), Sharpen(p=0.5, amount=(0.2, 1.0)), GaussianNoise(p=0.5, sd=(0.0, 0.1)),
        BrightnessContrast(p=0.5, brightness=0.1, contrast=(0.65, 1.5)), BiasField(p=0.5, strength=0.3),
        Gamma(p=0.5, range=(0.7, 1.5)), Rotate(p=0.5, degrees=(-20, 20)), Scale(p=0.5, range=(0.6, 1.5)),
        Elastic(p=0.5, magnitude=4.0), RandomCrop(crop),
    ]
    return Policy(ops, resample=True, name="bigaug")
