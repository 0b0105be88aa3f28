"""The training step through the algorithm interface (erm) beside the step the trainer ran before it had one,
interleaved in one process, and each built-in algorithm's step time relative to erm.

Run: python benchmarks/algorithm_overhead.py [--steps 15] [--config unet16:96:12 ...] [--precision auto]
"before" is the Trainer's step of cmrbench 0.2.0.dev0 before algorithms (inline forward, cross-entropy, backward,
SGD step), "erm" is Trainer.train_step now, which calls ERM.update; both on the same fixed batch, models and
optimizers built identically. Rates are slices/s from median step times; "other load" is CPU (in cores) used
by other processes meanwhile (only rows near 0 are figures to quote on a shared machine).

Measured on 2 cores of an AMD EPYC with AVX512-BF16 (torch 2.14, bf16, other load 0.02):
  unet16 96x96 b12: before 121.56, erm 124.11 slices/s (-2.1 %); x erm's step time: mixstyle 1.10, dsu 1.32,
  randconv 2.86 (3 views), adv_bias 2.68 (search + clean and adversarial batch)
  unet16 256x256 b20: before 16.26, erm 16.16 slices/s (+0.6 %)
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))

from train_speed import background_cores, cpu_ticks, timed  # noqa: E402

import benchmark as cb  # noqa: E402
from benchmark.precision import autocast  # noqa: E402
from benchmark.slices import SliceSet  # noqa: E402
from benchmark.suite import Training  # noqa: E402
from benchmark.train import Trainer, learning_rate, step_seed  # noqa: E402

ALGORITHMS = ("erm", "mixstyle", "dsu", "randconv", "adv_bias")


def trainer(model: str, crop: int, batch: int, precision: str, algorithm: str, folder: Path) -> Trainer:
    """A Trainer of `model` (seed 0, no augmentation) with `algorithm`."""
    torch.manual_seed(0)
    cfg = Training(iterations=1000, batch_size=batch, precision=precision)
    data = SliceSet(np.zeros((batch, crop, crop), np.float32), np.zeros((batch, crop, crop), np.uint8))
    return Trainer(cb.create_model(model), cb.create_policy("none", crop=crop), cfg, data, data, folder, 0,
                   torch.device("cpu"), {}, (algorithm, {}))


def step_before(t: Trainer, step: int, images: torch.Tensor, labels: torch.Tensor) -> float:
    """Trainer.train_step as it was before the algorithm interface (the baseline)."""
    for group in t.opt.param_groups:
        group["lr"] = learning_rate(t.cfg, step, t.steps_per_epoch)
    torch.manual_seed(step_seed(t.seed, step, 3))
    t.model.train()
    if t.channels_last:
        images = images.contiguous(memory_format=torch.channels_last)
    t.opt.zero_grad(set_to_none=True)
    with autocast(t.device, t.amp_dtype):
        logits = t.net(images)
    loss = t.loss(logits.float(), labels)
    loss.backward()
    t.opt.step()
    return float(loss.detach())


def row(model: str, crop: int, batch: int, precision: str, steps: int, others: bool, folder: Path) -> None:
    """Print before vs erm (and the other algorithms relative to erm) for one configuration."""
    x = torch.randn(batch, 1, crop, crop)
    y = torch.randint(0, 4, (batch, crop, crop))
    before = trainer(model, crop, batch, precision, "erm", folder)
    runs = {name: trainer(model, crop, batch, precision, name, folder) for name in (ALGORITHMS if others
                                                                                   else ("erm",))}
    fns = {"before": lambda: step_before(before, 1, x, y), **{n: (lambda t=t: t.train_step(1, x, y))
                                                              for n, t in runs.items()}}
    start, t0 = cpu_ticks(), time.perf_counter()
    t = timed(fns, steps, 2, torch.device("cpu"))
    other = background_cores(start, time.perf_counter() - t0)
    print(f"\n{model}, batch {batch} at {crop}x{crop}, {runs['erm'].precision}, other load {other:.2f} cores")
    print(f"  before (0.2.0.dev0 step): {batch / t['before']:8.2f} slices/s")
    print(f"  erm (algorithm interface): {batch / t['erm']:8.2f} slices/s   overhead "
          f"{100 * (t['erm'] / t['before'] - 1):+.1f} %")
    for name in ALGORITHMS[1:] if others else ():
        print(f"  {name:24} {batch / t[name]:8.2f} slices/s   {t[name] / t['erm']:.2f} x erm's step time")


def main() -> None:
    """Parse the options and print one block per configuration."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=15, help="timed steps per variant (after 2 warm-up steps)")
    parser.add_argument("--config", nargs="*", default=["unet16:96:12", "unet16:256:20"], help="MODEL:CROP:BATCH")
    parser.add_argument("--precision", default="auto", choices=["auto", "fp32", "bf16"])
    parser.add_argument("--no-others", action="store_true", help="only before vs erm")
    args = parser.parse_args()
    torch.set_num_threads(torch.get_num_threads())
    with tempfile.TemporaryDirectory() as tmp:
        for i, spec in enumerate(args.config):
            model, crop, batch = spec.split(":")
            row(model, int(crop), int(batch), args.precision, args.steps, not args.no_others and i == 0, Path(tmp))


if __name__ == "__main__":
    main()
