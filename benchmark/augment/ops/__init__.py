"""Augmentation operations on whole batches: each samples its parameters, then applies them deterministically.

Spatial operations contribute to one affine per sample (plus an optional smooth displacement), resampled
with grid_sample (bilinear for images, nearest for labels); intensity operations change image values only
(label-aware ones read the labels to choose where).
Parameters come from a torch.Generator: same seed, same batch. Each operation validates its parameters
at construction (see `params` for what a single number means in place of a range).
"""
from .artefacts import Ghosting, Motion, Spike
from .base import OPS, IntensityOp, LabelIntensityOp, Op, Params, SpatialOp, op
from .intensity import BiasField, Blur, BrightnessContrast, Gamma, GaussianNoise, LowResolution, Sharpen
from .params import ParameterError
from .remap import Remap
from .spatial import CenterCrop, Elastic, FlipH, FlipV, RandomCrop, Rotate, Scale
from .trabeculae import Trabeculae

__all__ = ["OPS", "BiasField", "Blur", "BrightnessContrast", "CenterCrop", "Elastic", "FlipH", "FlipV", "Gamma",
           "GaussianNoise", "Ghosting", "IntensityOp", "LabelIntensityOp", "LowResolution", "Motion", "Op",
           "ParameterError", "Params", "RandomCrop", "Remap", "Rotate", "Scale", "Sharpen", "SpatialOp", "Spike",
           "Trabeculae", "op"]
