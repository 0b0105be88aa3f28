"""A suite plugin for the launcher tests: unet_test as `flakynet`, which can end its own process once, mid-training.

With `mark` set, the first process to take `at` training forward passes while `mark` does not exist creates it and
sends itself `sig` (SIGKILL: a lost Ray worker; SIGUSR2: SLURM's preemption and time-out warning). Later processes
find the mark and train undisturbed, so a launcher that retries or requeues finishes the job from its last.pt.
"""
from __future__ import annotations

import os
import signal

import torch

from benchmark.models import create_model, register_model


class Flaky(torch.nn.Module):
    """unet_test with a one-time signal to its own process at training forward pass `at`."""

    def __init__(self, net: torch.nn.Module, mark: str, at: int, sig: str) -> None:
        super().__init__()
        self.net, self.mark, self.at, self.sig, self.calls = net, mark, at, sig, 0

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.training and self.mark:
            self.calls += 1
            if self.calls == self.at and _claim(self.mark):
                os.kill(os.getpid(), getattr(signal, self.sig))
        return self.net(x)


def _claim(mark: str) -> bool:
    """Create `mark` unless it exists (atomically: of two processes racing, one wins)."""
    try:
        fd = os.open(mark, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
    except FileExistsError:
        return False
    os.write(fd, str(os.getpid()).encode())
    os.close(fd)
    return True


@register_model("flakynet")
def flakynet(in_channels: int = 1, num_classes: int = 4, mark: str = "", at: int = 0, sig: str = "SIGKILL"):
    """unet_test; see Flaky."""
    return Flaky(create_model("unet_test", in_channels=in_channels, num_classes=num_classes), mark, at, sig)
