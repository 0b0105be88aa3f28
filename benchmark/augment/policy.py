"""A policy: an ordered list of operations applied to a batch in the listed order, parameters kept."""
from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple, overload

import torch

from ..errors import CmrbenchError
from .ops import IntensityOp, Op, Params, RandomCrop, SpatialOp
from .resample import resample


class Stage(NamedTuple):
    """Consecutive operations of one kind: 'spatial' (one resampling) or 'intensity'; indices into the ops."""

    kind: str
    ops: tuple[int, ...]


def plan_stages(ops: Sequence[Op]) -> list[Stage]:
    """Split ops into runs of spatial and of intensity ops, in order; the crop joins the last spatial run.

    The crop sets the output size wherever it is listed: it is folded into the last spatial resampling
    (or, with no spatial op, applied first), so intensity ops after the last spatial op see the output.
    """
    stages: list[list] = []
    for i, o in enumerate(ops):
        if isinstance(o, RandomCrop):
            continue
        kind = "spatial" if isinstance(o, SpatialOp) else "intensity"
        if stages and stages[-1][0] == kind:
            stages[-1][1].append(i)
        else:
            stages.append([kind, [i]])
    crop = next((i for i, o in enumerate(ops) if isinstance(o, RandomCrop)), None)
    if crop is not None:
        spatial = [s for s in stages if s[0] == "spatial"]
        if spatial:
            spatial[-1][1].append(crop)
        else:
            stages.insert(0, ["spatial", [crop]])
    return [Stage(kind, tuple(idx)) for kind, idx in stages]


class Policy:
    """Ops applied in the listed order: each run of consecutive spatial ops is one grid_sample."""

    def __init__(self, ops: Sequence[Op], *, resample: bool = True, name: str = "") -> None:
        self.ops = list(ops)
        self.resample = resample  # whether preprocessing resamples to the target spacing first
        self.name = name
        odd = [o for o in self.ops if not isinstance(o, (SpatialOp, IntensityOp, RandomCrop))]
        if odd:
            raise CmrbenchError(f"policy '{name}': {type(odd[0]).__name__} is not a spatial, crop or intensity op")
        crops = [o for o in self.ops if isinstance(o, RandomCrop)]
        if len(crops) > 1:
            raise CmrbenchError(f"policy '{name}': more than one crop operation")
        self.crop: RandomCrop | None = crops[0] if crops else None
        self.stages = plan_stages(self.ops)

    def describe(self) -> str:
        """One line: resampling and every operation with its settings."""
        ops = ", ".join(o.describe() for o in self.ops) or "no operations"
        return f"{'resample, ' if self.resample else ''}{ops}"

    def operations(self) -> list[str]:
        """Names of the operations that are on (resampling counts as one), for ablation tables."""
        return (["resample"] if self.resample else []) + [o.name for o in self.ops]

    def sample(self, n: int, generator: torch.Generator) -> list[Params]:
        """Draw every operation's parameters for n samples (replayable, loggable)."""
        return [o.sample(n, generator) for o in self.ops]

    def apply(self, images: torch.Tensor, labels: torch.Tensor | None, params: list[Params]
              ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Apply sampled parameters stage by stage: images [B, C, H, W] float, labels [B, H, W] int64."""
        for stage in self.stages:
            if stage.kind == "spatial":
                images, labels = resample(images, labels, [self.ops[i] for i in stage.ops],
                                          [params[i] for i in stage.ops])
            else:
                for i in stage.ops:
                    images = self.ops[i].transform(images, labels, params[i])  # type: ignore[attr-defined]
        return images, labels

    @overload
    def __call__(self, images: torch.Tensor, labels: torch.Tensor,
                 generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]: ...

    @overload
    def __call__(self, images: torch.Tensor, labels: None = None,
                 generator: torch.Generator | None = None) -> tuple[torch.Tensor, None]: ...

    def __call__(self, images: torch.Tensor, labels: torch.Tensor | None = None,
                 generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Sample with `generator` (required: it makes the batch random and replayable) and apply."""
        if not isinstance(generator, torch.Generator):
            raise TypeError(f"policy '{self.name}' needs a torch.Generator, e.g. "
                            "policy(images, labels, torch.Generator().manual_seed(step)); without one every call "
                            f"would draw the same batch (got {type(generator).__name__})")
        return self.apply(images, labels, self.sample(len(images), generator))
