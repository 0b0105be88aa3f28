"""Training-step rates in float32 and bf16 autocast (the Trainer's own step, interleaved so that every variant sees
the same machine load), the harness's step (memory-mapped slices + `paper` augmentation) beside the bare step,
and with --compile what torch.compile gives for inference and training.

Run: python benchmarks/train_speed.py [--quick] [--compile | --only-compile] [--config unet16:256:20 ...]
     [--no-harness] [--device cpu]
Columns: "fp32 NCHW" is the float32 step as cmrbench ran it on the CPU before (no channels_last); "fp32" and "bf16"
are the Trainer's step now (channels_last) with precision fp32 and bf16. Rates are slices/s from median step times.
"other load" is the CPU (in cores) that other processes used meanwhile: on a shared 2-core machine a busy
neighbour slows 2-thread steps several-fold, bf16 most, so only rows near 0 are figures to quote.

Measured on 2 cores of an AMD EPYC with AVX512-BF16 (torch 2.14, other load 0.01-0.02):
  unet16 96x96 b12: 52.1 / 62.7 / 111.0 slices/s (fp32 NCHW / fp32 / bf16), bf16/fp32 1.77
  unet16 256x256 b20: 5.31 / 7.23 / 17.5, bf16/fp32 2.42
  unet64 128x128 b12: 2.93 / 3.49 / 11.3, bf16/fp32 3.22
  torch.compile, unet16 96x96: inference x1.41 (fp32 and bf16; 20-40 s to compile), bf16 training x0.82 (56 s):
  compile pays on the CPU only for inference over more than ~20,000 slices, never for training.
Measured on 2 cores of an AMD EPYC with AVX2 only (no AVX512; torch 2.14, --quick, other load 0.02):
  unet16 96x96 b12: 28.4 / 34.0 / 3.4 slices/s: bf16 is emulated there, 10x slower, so precision auto takes fp32.
"""
from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

import benchmark as cb
from benchmark.precision import autocast
from benchmark.slices import SliceSet
from benchmark.suite import Training
from benchmark.train import Trainer

CONFIGS = (("unet16", 96, 12), ("unet16", 256, 20), ("unet64", 128, 12))


def sync(device: torch.device) -> None:
    """Wait for queued GPU work (no-op on the CPU)."""
    if device.type == "cuda":
        torch.cuda.synchronize()


def cpu_ticks() -> tuple[int, int]:
    """(busy ticks of the whole machine, ticks of this process) from /proc; (0, 0) where there is no /proc."""
    try:
        fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        own = Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()
        return sum(fields) - fields[3] - fields[4], int(own[11]) + int(own[12])
    except (OSError, ValueError, IndexError):
        return 0, 0


def background_cores(start: tuple[int, int], seconds: float) -> float:
    """Mean CPU cores that other processes kept busy since `start` (they slow every variant down)."""
    import os

    busy, own = cpu_ticks()
    return max(0.0, (busy - start[0]) - (own - start[1])) / os.sysconf("SC_CLK_TCK") / max(seconds, 1e-9)


def timed(fns: dict[str, Callable[[], object]], steps: int, warmup: int, device: torch.device) -> dict[str, float]:
    """Median seconds per call of each function, calls interleaved round-robin."""
    times: dict[str, list[float]] = {name: [] for name in fns}
    for i in range(warmup + steps):
        for name, fn in fns.items():
            sync(device)
            t0 = time.perf_counter()
            fn()
            sync(device)
            if i >= warmup:
                times[name].append(time.perf_counter() - t0)
    return {name: float(np.median(t)) for name, t in times.items()}


def random_slices(folder: Path, n: int, canvas: int) -> SliceSet:
    """A memory-mapped SliceSet of random slices, as the harness reads them from its cache."""
    rng = np.random.default_rng(0)
    img = np.lib.format.open_memmap(folder / "i.npy", "w+", np.float32, (n, canvas, canvas))
    lab = np.lib.format.open_memmap(folder / "l.npy", "w+", np.uint8, (n, canvas, canvas))
    img[:] = rng.standard_normal((n, canvas, canvas), dtype=np.float32)
    lab[:] = rng.integers(0, 4, (n, canvas, canvas), dtype=np.uint8)
    img.flush(), lab.flush()
    return SliceSet(np.load(folder / "i.npy", mmap_mode="r"), np.load(folder / "l.npy", mmap_mode="r"))


def make_trainer(model: str, crop: int, batch: int, precision: str, data: SliceSet, folder: Path,
                 device: torch.device, compile: bool = False) -> Trainer:
    """The harness's Trainer for one network and precision (`paper` augmentation, seed 0)."""
    torch.manual_seed(0)
    cfg = Training(iterations=1000, batch_size=batch, precision=precision, compile=compile)
    return Trainer(cb.create_model(model), cb.create_policy("paper", crop=crop), cfg, data, data, folder, 0, device, {})


def precision_row(model: str, crop: int, batch: int, steps: int, folder: Path, device: torch.device) -> dict:
    """Slices/s of the step in float32 NCHW (before), float32 and bf16 (now), on fixed random tensors."""
    data = SliceSet(np.zeros((batch, crop, crop), np.float32), np.zeros((batch, crop, crop), np.uint8))
    x = torch.randn(batch, 1, crop, crop, device=device)
    y = torch.randint(0, 4, (batch, crop, crop), device=device)
    trainers = {name: make_trainer(model, crop, batch, name.split()[0], data, folder, device)
                for name in ("fp32 NCHW", "fp32", "bf16")}
    before = trainers["fp32 NCHW"]
    before.channels_last = False
    before.model.to(memory_format=torch.contiguous_format)
    counter = {name: 0 for name in trainers}

    def step(name: str) -> Callable[[], object]:
        def run() -> object:
            counter[name] += 1
            return trainers[name].train_step(counter[name], x, y)
        return run

    start, t0 = cpu_ticks(), time.perf_counter()
    t = timed({name: step(name) for name in trainers}, steps, 1, device)
    other = background_cores(start, time.perf_counter() - t0)
    return {"model": model, "crop": crop, "batch": batch, "other": other, **{name: batch / s for name, s in t.items()}}


def print_precision_table(rows: list[dict]) -> None:
    """The float32 / bf16 table."""
    print(f"\n{'model':7} {'crop':>8} {'batch':>5} {'fp32 NCHW':>10} {'fp32':>8} {'bf16':>8} "
          f"{'bf16/fp32':>10} {'bf16/NCHW':>10} {'other load':>11}   (slices/s; other load: cores busy with "
          "other processes meanwhile)")
    for r in rows:
        print(f"{r['model']:7} {r['crop']:>4}x{r['crop']:<3} {r['batch']:5} {r['fp32 NCHW']:10.2f} {r['fp32']:8.2f} "
              f"{r['bf16']:8.2f} {r['bf16'] / r['fp32']:10.2f} {r['bf16'] / r['fp32 NCHW']:10.2f} {r['other']:11.2f}")


def harness_vs_bare(model: str, crop: int, batch: int, precision: str, steps: int, folder: Path,
                    device: torch.device) -> None:
    """The Trainer's step on memory-mapped slices with `paper` augmentation beside the same step on fixed tensors."""
    canvas = int(np.ceil(crop * 1.25 / 16) * 16)
    trainer = make_trainer(model, crop, batch, precision, random_slices(folder, 400, canvas), folder, device)
    bare = make_trainer(model, crop, batch, precision, trainer.train_set, folder, device)
    x = torch.randn(batch, 1, crop, crop, device=device)
    y = torch.randint(0, 4, (batch, crop, crop), device=device)
    counter = [0, 0]

    def harness_step() -> None:
        counter[0] += 1
        trainer.train_step(counter[0], *trainer.batch(counter[0]))

    def bare_step() -> None:
        counter[1] += 1
        bare.train_step(counter[1], x, y)

    t = timed({"harness": harness_step, "bare": bare_step}, steps, 2, device)
    print(f"\nharness vs bare: {model}, batch {batch} at {crop}x{crop}, {trainer.precision}")
    print(f"harness (memmap slices + paper policy + Trainer step): {batch / t['harness']:8.2f} slices/s")
    print(f"bare (the Trainer step on fixed tensors):              {batch / t['bare']:8.2f} slices/s")
    print(f"harness / bare = {t['bare'] / t['harness']:.3f}")


def compile_inference(model: str, crop: int, batch: int, steps: int, device: torch.device) -> None:
    """Inference slices/s of a network eager and torch.compile'd (fp32 and bf16), and the compile time."""
    print(f"\ntorch.compile, inference: {model}, batch {batch} at {crop}x{crop}")
    print(f"{'precision':9} {'eager':>9} {'compiled':>9} {'speed-up':>9} {'compile s':>10}   (slices/s)")
    x = torch.randn(batch, 1, crop, crop, device=device).contiguous(memory_format=torch.channels_last)
    for dtype in (None, torch.bfloat16):
        torch.manual_seed(0)
        net = cb.create_model(model).to(device).to(memory_format=torch.channels_last).eval()
        compiled = torch.compile(net)

        def infer(fn: Callable[[torch.Tensor], torch.Tensor]) -> Callable[[], object]:
            def run() -> object:
                with torch.no_grad(), autocast(device, dtype):
                    return fn(x)
            return run

        t0 = time.perf_counter()
        infer(compiled)()
        sync(device)
        compile_s = time.perf_counter() - t0
        t = timed({"eager": infer(net), "compiled": infer(compiled)}, steps, 2, device)
        print(f"{'bf16' if dtype else 'fp32':9} {batch / t['eager']:9.1f} {batch / t['compiled']:9.1f} "
              f"{t['eager'] / t['compiled']:9.2f} {compile_s:10.1f}")


def compile_training(model: str, crop: int, batch: int, steps: int, folder: Path, device: torch.device) -> None:
    """Training slices/s of the Trainer's bf16 step eager and with cfg.compile, and the compile time."""
    data = SliceSet(np.zeros((batch, crop, crop), np.float32), np.zeros((batch, crop, crop), np.uint8))
    x = torch.randn(batch, 1, crop, crop, device=device)
    y = torch.randint(0, 4, (batch, crop, crop), device=device)
    eager = make_trainer(model, crop, batch, "bf16", data, folder, device)
    compiled = make_trainer(model, crop, batch, "bf16", data, folder, device, compile=True)
    t0 = time.perf_counter()
    compiled.train_step(0, x, y)
    compile_s = time.perf_counter() - t0
    t = timed({"eager": lambda: eager.train_step(1, x, y), "compiled": lambda: compiled.train_step(1, x, y)},
              steps, 2, device)
    print(f"\ntorch.compile, training (Trainer step, bf16): {model}, batch {batch} at {crop}x{crop}")
    print(f"eager {batch / t['eager']:.1f}, compiled {batch / t['compiled']:.1f} slices/s "
          f"(x{t['eager'] / t['compiled']:.2f}); compiling took {compile_s:.1f} s")


def main() -> None:
    """Parse the options and print the tables."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="fewer steps (3 instead of 7 per variant)")
    parser.add_argument("--compile", action="store_true", help="also measure torch.compile (takes minutes)")
    parser.add_argument("--only-compile", action="store_true", help="only the torch.compile measurements")
    parser.add_argument("--config", action="append", metavar="MODEL:CROP:BATCH",
                        help="measure these instead of the three defaults (repeatable), e.g. unet16:256:20")
    parser.add_argument("--no-harness", action="store_true", help="skip the harness-vs-bare comparison")
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    args = parser.parse_args()
    device = torch.device(args.device)
    steps = 3 if args.quick else 7
    where = torch.cuda.get_device_name(device) if device.type == "cuda" else f"{torch.get_num_threads()} threads"
    print(f"torch {torch.__version__} on {device} ({where})")
    with tempfile.TemporaryDirectory() as tmp:
        if not args.only_compile:
            rows = []
            configs = [(m, int(c), int(b)) for m, c, b in (x.split(":") for x in args.config)] if args.config \
                else CONFIGS
            for model, crop, batch in configs:
                rows.append(precision_row(model, crop, batch, steps, Path(tmp), device))
                print(f"  measured {model} {crop}x{crop}", flush=True)
            print_precision_table(rows)
            if not args.no_harness:
                harness_vs_bare("unet16", 96, 12, "auto", 2 * steps, Path(tmp), device)
        if args.compile or args.only_compile:
            compile_inference("unet16", 96, 16, 3 * steps, device)
            compile_training("unet16", 96, 12, 2 * steps, Path(tmp), device)


if __name__ == "__main__":
    main()
