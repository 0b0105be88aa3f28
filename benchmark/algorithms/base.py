"""The algorithm interface (DomainBed's split): an algorithm owns how a batch updates the model and how it predicts;
the runner owns data, seeds, the optimizer's schedule, checkpoints and evaluation."""
from __future__ import annotations

import inspect
from typing import Any

import torch
from torch import nn

from ..losses import Loss
from ..precision import autocast, uses_channels_last


class Algorithm(nn.Module):
    """Base class. Subclasses take their hyperparameters as keyword-only arguments with their paper's defaults.

    `update(images, labels)` runs one optimisation step and returns numbers to log (at least "loss");
    `predict(x)` returns logits [B, C, H, W]. Randomness must come from torch's global generator, which the
    trainer seeds per step, so that a step is the same whether the run was resumed or not.
    """

    net: Any  # what logits() and predict() run: set by use_network

    def __init__(self, model: nn.Module, loss: Loss, optimizer: torch.optim.Optimizer | None = None,
                 amp_dtype: torch.dtype | None = None) -> None:
        super().__init__()
        self.model, self.loss, self.optimizer, self.amp_dtype = model, loss, optimizer, amp_dtype
        self.use_network(model)

    def use_network(self, net: Any) -> None:
        """Run `net` (the model, or its torch.compile wrapper) in logits() and predict(); not a submodule, so
        it never enters extra_state()."""
        object.__setattr__(self, "net", net)

    # ------------------------------------------------------------------------------- for subclasses
    def logits(self, x: torch.Tensor) -> torch.Tensor:
        """Float32 logits of the network on x (under the run's autocast, channels_last kept)."""
        if uses_channels_last(x.device):
            x = x.contiguous(memory_format=torch.channels_last)
        with autocast(x.device, self.amp_dtype):
            out = self.net(x)
        return out.float()

    def step(self, loss: torch.Tensor) -> None:
        """Zero the gradients, back-propagate `loss` and take one optimizer step."""
        assert self.optimizer is not None, "an algorithm built for inference has no optimizer"
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.optimizer.step()

    # -------------------------------------------------------------------------------- the interface
    def update(self, images: torch.Tensor, labels: torch.Tensor) -> dict[str, float]:
        """One training step on a batch (images [B, 1, H, W] float, labels [B, H, W] int64); returns logs."""
        raise NotImplementedError

    def predict(self, x: torch.Tensor) -> torch.Tensor:
        """Logits for images x; plain inference through the model unless an algorithm says otherwise."""
        return self.net(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """predict(x): an algorithm is used wherever a network is (inference, TTA)."""
        return self.predict(x)

    @classmethod
    def hyperparameters(cls) -> dict[str, Any]:
        """The hyperparameters this algorithm declares, with their defaults."""
        params = inspect.signature(cls.__init__).parameters.values()
        return {p.name: p.default for p in params if p.kind is p.KEYWORD_ONLY}

    def extra_state(self) -> dict[str, Any]:
        """What the algorithm keeps besides the model and the trainer's optimizer (its own modules and buffers),
        saved in last.pt so that a resumed run continues exactly; override it for anything else it keeps."""
        return {k: v for k, v in self.state_dict().items() if not k.startswith("model.")}

    def load_extra_state(self, state: dict[str, Any]) -> None:
        """Restore what extra_state() returned."""
        if state:
            self.load_state_dict({**self.model.state_dict(prefix="model."), **state})

    def parts(self) -> list[str]:
        """Names of the components that are on (for ablation tables); none for a plain algorithm."""
        return []
