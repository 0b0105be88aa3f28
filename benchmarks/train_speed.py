"""The harness's training-step rate (memory-mapped slices, `paper` augmentation, the Trainer's step) beside
a bare loop of the same model on random tensors on the same device, in one run.

Run: python benchmarks/train_speed.py [--model unet16] [--crop 96] [--batch 20] [--steps 20] [--device cpu]
"""
from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

import benchmark as cb
from benchmark.slices import SliceSet
from benchmark.suite import Training
from benchmark.train import Trainer


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", default="unet16")
    parser.add_argument("--crop", type=int, default=96)
    parser.add_argument("--batch", type=int, default=20)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    args = parser.parse_args()
    device = torch.device(args.device)
    canvas = int(np.ceil(args.crop * 1.25 / 16) * 16)
    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as tmp:
        n = 400
        img = np.lib.format.open_memmap(Path(tmp) / "i.npy", "w+", np.float32, (n, canvas, canvas))
        lab = np.lib.format.open_memmap(Path(tmp) / "l.npy", "w+", np.uint8, (n, canvas, canvas))
        img[:] = rng.standard_normal((n, canvas, canvas), dtype=np.float32)
        lab[:] = rng.integers(0, 4, (n, canvas, canvas), dtype=np.uint8)
        train = SliceSet(np.load(Path(tmp) / "i.npy", mmap_mode="r"), np.load(Path(tmp) / "l.npy", mmap_mode="r"))
        cfg = Training(iterations=args.steps, batch_size=args.batch, amp=True)
        trainer = Trainer(cb.create_model(args.model), cb.create_policy("paper", crop=args.crop), cfg, train, train,
                          Path(tmp), 0, device, {})
        bare_model = cb.create_model(args.model).to(device)
        if device.type == "cuda":
            bare_model = bare_model.to(memory_format=torch.channels_last)
        opt = torch.optim.SGD(bare_model.parameters(), lr=1e-3, momentum=0.9)
        x = torch.randn(args.batch, 1, args.crop, args.crop, device=device)
        y = torch.randint(0, 4, (args.batch, args.crop, args.crop), device=device)
        amp = trainer.amp_dtype

        def bare_step() -> None:
            bare_model.train()
            opt.zero_grad(set_to_none=True)
            with torch.autocast(device.type, dtype=amp, enabled=amp is not None):
                loss = F.cross_entropy(bare_model(x), y)
            loss.backward()
            opt.step()

        def harness_step(step: int) -> None:
            trainer.train_step(step, *trainer.batch(step))

        # interleaved, so that both see the same machine load; medians of per-step times
        times: dict[str, list[float]] = {"harness": [], "bare": []}
        for step in range(args.steps + 2):
            for name, fn in (("harness", lambda: harness_step(step)), ("bare", bare_step)):
                sync(device)
                t0 = time.perf_counter()
                fn()
                sync(device)
                if step >= 2:  # warm-up
                    times[name].append(time.perf_counter() - t0)
        harness = 1 / float(np.median(times["harness"]))
        bare = 1 / float(np.median(times["bare"]))

    print(f"{args.model}, batch {args.batch} at {args.crop}x{args.crop}, {device} "
          f"({torch.cuda.get_device_name(device) if device.type == 'cuda' else f'{torch.get_num_threads()} threads'})")
    print(f"harness (memmap slices + paper policy + Trainer step): {harness:7.3f} steps/s")
    print(f"bare loop (random tensors, same model and optimizer):   {bare:7.3f} steps/s")
    print(f"harness / bare = {harness / bare:.3f}")


if __name__ == "__main__":
    main()
