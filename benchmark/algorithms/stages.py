"""Where an encoder's stages end, in any network, and a hook that perturbs features there during training.

Found by tracing, not by per-model code: a probe forward pass records every leaf module's output in call
order; each time the features first reach a lower resolution, the tensor that was downsampled (or, when the
downsampling is a functional call such as max pooling, the last leaf output at the higher resolution) is the
end of a stage. This finds the blocks of the built-in U-Net and FCN and the stem and layers of smp encoders.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import torch
from torch import nn

Perturb = Callable[[torch.Tensor], torch.Tensor]
PROBE_SIZE = 64  # pixels: divisible by 32, so smp encoders of depth 5 see no padding


@dataclass(frozen=True)
class Stage:
    """The output of one encoder stage: the `call`-th call of leaf module `name` in a forward pass."""

    name: str
    call: int
    channels: int
    stride: int  # input size / this stage's size


def _in_channels(model: nn.Module) -> int:
    conv = next((m for m in model.modules() if isinstance(m, nn.Conv2d)), None)
    return conv.in_channels if conv is not None else 1


def _leaves(model: nn.Module) -> dict[nn.Module, str]:
    return {m: name for name, m in model.named_modules() if not any(True for _ in m.children())}


@torch.no_grad()
def encoder_stages(model: nn.Module, size: int = PROBE_SIZE) -> list[Stage]:
    """The encoder's stage outputs, shallow to deep, found by one probe forward pass in eval mode."""
    leaves = _leaves(model)
    calls: dict[nn.Module, int] = {}
    records: list[tuple[str, int, torch.Tensor]] = []  # (name, call, output) in call order; tensors kept alive
    inputs: list[tuple[int, torch.Tensor]] = []  # (index of the record this call produces, its first input)

    def pre(module: nn.Module, args: tuple) -> None:
        if args and isinstance(args[0], torch.Tensor):
            inputs.append((len(records), args[0]))

    def post(module: nn.Module, args: tuple, out: object) -> None:
        call = calls.get(module, 0)
        calls[module] = call + 1
        if isinstance(out, torch.Tensor) and out.dim() == 4:
            records.append((leaves[module], call, out))
        elif inputs and inputs[-1][0] == len(records):
            inputs.pop()

    handles = [h for m in leaves for h in (m.register_forward_pre_hook(pre), m.register_forward_hook(post))]
    was_training = model.training
    try:
        model.eval()
        model(torch.randn(2, _in_channels(model), size, size, generator=torch.Generator().manual_seed(0)))
    finally:
        model.train(was_training)
        for h in handles:
            h.remove()
    return _stage_ends(records, dict(inputs), size)


def _stage_ends(records: list[tuple[str, int, torch.Tensor]], inputs: dict[int, torch.Tensor],
                size: int) -> list[Stage]:
    """Walk the records: at each first arrival at a lower resolution, the feature map that was downsampled."""
    stages: list[Stage] = []
    lowest = size * size + 1
    producer: dict[int, int] = {}  # id(tensor) -> index of the last record that output it
    for i, (_name, _call, out) in enumerate(records):
        area = out.shape[-2] * out.shape[-1]
        if area < lowest:
            source = producer.get(id(inputs[i])) if i in inputs else None
            higher = [j for j in range(i) if records[j][2].shape[-2] * records[j][2].shape[-1] == lowest]
            if source is None and higher:
                source = higher[-1]
            if source is not None and records[source][2].shape[-2] * records[source][2].shape[-1] == lowest:
                name, call, feat = records[source]
                stages.append(Stage(name, call, feat.shape[1], size // feat.shape[-1]))
            lowest = area
        producer[id(out)] = i
    return stages


@contextmanager
def perturbed(model: nn.Module, stages: list[Stage], perturb: Perturb) -> Iterator[None]:
    """Inside the block, in training mode, each stage's output passes through `perturb` (a new tensor)."""
    modules = dict(model.named_modules())
    wanted: dict[str, set[int]] = {}
    for s in stages:
        wanted.setdefault(s.name, set()).add(s.call)
    calls: dict[str, int] = {}

    def reset(_module: nn.Module, _args: tuple) -> None:
        calls.clear()

    def hook(name: str) -> Callable[[nn.Module, tuple, torch.Tensor], torch.Tensor | None]:
        def fn(module: nn.Module, _args: tuple, out: torch.Tensor) -> torch.Tensor | None:
            call = calls.get(name, 0)
            calls[name] = call + 1
            return perturb(out) if module.training and call in wanted[name] else None
        return fn

    handles = [model.register_forward_pre_hook(reset)]
    handles += [modules[name].register_forward_hook(hook(name)) for name in wanted]
    try:
        yield
    finally:
        for h in handles:
            h.remove()
