"""On a CUDA card: training throughput of unet16 and unet64 at 256x256, batch 20, bf16 + channels_last, eager and
torch.compile'd; whether the harness's loader and `paper` augmentation keep up; inference slices/s; and the projected
time of suites/paper.yaml per epoch and in total.

Run: python benchmarks/gpu.py [--suite suites/paper.yaml] [--manifest source_manifest.csv] [--steps 30] [--no-compile]
Without a CUDA device it prints "no CUDA device: nothing measured" and exits 0 (nothing failed; nothing to do).
Takes about 2-4 minutes on an H100, most of it torch.compile.

The projection counts training slices as 3975 subjects x 2 phases x ~10 slices unless --manifest gives the source
data (then the slices of the suite's first `split.train` labelled subjects, read from the NIfTI headers); each epoch
adds the validation slices (300 x 2 x 10 by default) at the measured inference rate. Jobs on a network that was not
measured (fcn16, fcn64, ...) are projected at the rate of the measured U-Net of the same width suffix (16 or 64).

Measured on an H100 80GB HBM3 (torch 2.11, 128 s start to finish): unet16 603 slices/s eager, 625 compiled; unet64
460 eager, 440 compiled (compiling ~44 s each); waiting for the batch took 14-16 ms of each 32-46 ms step (31-45%),
so the synchronous loader limits the step; inference 981 (unet16) and 694 (unet64) slices/s; suites/paper.yaml
projected at ~180 s per U-Net64 epoch, 22 days for its 11 trainings on one card.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
MODELS = ("unet16", "unet64")
CROP, BATCH = 256, 20


# ------------------------------------------------------------------------------ projection (pure, tested on CPU)
@dataclass(frozen=True)
class Projection:
    """Seconds per epoch of one job, per job, and for the whole suite."""

    epoch_s: float
    job_s: float
    total_s: float


def training_slices(subjects: int = 3975, phases: int = 2, slices_per_volume: int = 10) -> int:
    """Training slices of a source data set: subjects x phases x slices per short-axis stack."""
    return subjects * phases * slices_per_volume


def project(slices: int, epochs: float, jobs: int, rate: float, val_slices: int = 0,
            val_rate: float | None = None) -> Projection:
    """Time of `jobs` identical jobs of `epochs` epochs over `slices` at `rate` slices/s (+ validation per epoch)."""
    epoch = slices / rate + (val_slices / val_rate if val_slices and val_rate else 0.0)
    return Projection(epoch, epoch * epochs, epoch * epochs * jobs)


def hours(seconds: float) -> str:
    """A duration for people: seconds, minutes, hours or days."""
    for unit, size in (("d", 86400.0), ("h", 3600.0), ("min", 60.0)):
        if seconds >= 2 * size or (unit == "h" and seconds >= size):
            return f"{seconds / size:.1f} {unit}"
    return f"{seconds:.0f} s"


def suite_jobs(path: Path) -> tuple[list[str], float]:
    """The network of every job of a suite, and its training epochs."""
    from benchmark.run.runner import plan_jobs
    from benchmark.suite import load_suite

    suite, _ = load_suite(path)
    if suite.training.epochs is None:
        raise SystemExit(f"{path}: training is given in iterations, not epochs; nothing to project")
    return [plan.model.name for plan in plan_jobs(suite)], float(suite.training.epochs)


def split_sizes(path: Path) -> tuple[int, int]:
    """Training and validation subjects of a suite's source data (3975 and 300, the study's, where not given)."""
    from benchmark.suite import load_suite

    splits = [s.split for s in load_suite(path)[0].data.sources if s.split is not None]
    train = sum(s.train or 0 for s in splits) or 3975
    return train, sum(s.val or 0 for s in splits) or 300


def rate_for(model: str, rates: dict[str, float]) -> float:
    """The measured rate of a network, or of the measured U-Net with the same width suffix."""
    if model in rates:
        return rates[model]
    return rates.get("unet16" if model.endswith("16") else "unet64", next(iter(rates.values())))


def manifest_slices(manifest: Path, subjects: int) -> int:
    """Slices of the first `subjects` labelled subjects of a manifest (z size from each NIfTI header)."""
    import nibabel as nib

    from benchmark.data.manifest import load_manifest

    df = load_manifest(manifest)
    df = df[df["label"] != ""]
    keep = sorted(df["subject"].unique())[:subjects]
    rows = df[df["subject"].isin(keep)]
    root = Path(df.attrs["root"])
    return int(sum(nib.load(str(root / p)).shape[2] for p in rows["image"]))


# ------------------------------------------------------------------------------------- measuring (CUDA)
def slice_set(folder: Path, n: int, canvas: int) -> Any:
    """A memory-mapped SliceSet of random slices, as the harness reads them from its cache."""
    import numpy as np
    from numpy.lib.format import open_memmap

    from benchmark.slices import SliceSet

    rng = np.random.default_rng(0)
    img = open_memmap(folder / "images.npy", "w+", np.float32, (n, canvas, canvas))
    lab = open_memmap(folder / "labels.npy", "w+", np.uint8, (n, canvas, canvas))
    img[:] = rng.standard_normal((n, canvas, canvas), dtype=np.float32)
    lab[:] = rng.integers(0, 4, (n, canvas, canvas), dtype=np.uint8)
    img.flush(), lab.flush()
    return SliceSet(np.load(folder / "images.npy", mmap_mode="r"), np.load(folder / "labels.npy", mmap_mode="r"))


def utilisation() -> str:
    """The card's recent utilisation, where pynvml/amdsmi can tell."""
    import torch

    try:
        return f"{torch.cuda.utilization()} %"
    except Exception:  # noqa: BLE001  (no pynvml)
        return "n/a"


def sync(device: Any) -> None:
    """Wait for the GPU's queued work (no-op on the CPU)."""
    import torch

    if device.type == "cuda":
        torch.cuda.synchronize()


def measure_training(model: str, compiled: bool, data: Any, folder: Path, steps: int, device: Any,
                     crop: int = CROP, batch: int = BATCH) -> dict[str, Any]:
    """Slices/s of the Trainer's step (bf16, channels_last), split into waiting for data and computing."""
    import numpy as np

    import benchmark as cb
    from benchmark.suite import Training
    from benchmark.train import Trainer

    cfg = Training(iterations=steps + 3, batch_size=batch, precision="bf16", compile=compiled)
    trainer = Trainer(cb.create_model(model), cb.create_policy("paper", crop=crop), cfg, data, data, folder, 0,
                      device, {})
    t0 = time.perf_counter()
    for step in range(3):  # warm-up (and compilation)
        trainer.train_step(step, *trainer.batch(step))
    sync(device)
    warmup = time.perf_counter() - t0
    wait, compute, total = [], [], []
    for step in range(3, steps + 3):
        t0 = time.perf_counter()
        images, labels = trainer.batch(step)
        sync(device)
        t1 = time.perf_counter()
        trainer.train_step(step, images, labels)  # returns the loss as a float: synchronises
        t2 = time.perf_counter()
        wait.append(t1 - t0), compute.append(t2 - t1), total.append(t2 - t0)
    return {"model": model, "compile": compiled, "rate": batch / float(np.median(total)),
            "compute_rate": batch / float(np.median(compute)), "data_ms": 1e3 * float(np.median(wait)),
            "compute_ms": 1e3 * float(np.median(compute)), "warmup_s": warmup,
            "util": utilisation() if device.type == "cuda" else "n/a", "trainer": trainer}


def measure_inference(model: Any, device: Any, n: int = 320, crop: int = CROP, repeats: int = 3) -> float:
    """Slices/s of predict_probabilities in bf16 (the harness's chunking, probabilities back on the host)."""
    import numpy as np
    import torch

    from benchmark.infer import predict_probabilities

    slices = np.random.default_rng(1).standard_normal((n, crop, crop), dtype=np.float32)
    predict_probabilities(model, slices[:32], device, precision=torch.bfloat16)
    times = []
    for _ in range(repeats):
        sync(device)
        t0 = time.perf_counter()
        predict_probabilities(model, slices, device, precision=torch.bfloat16)
        sync(device)
        times.append(time.perf_counter() - t0)
    return n / min(times)


# ------------------------------------------------------------------------------------------------ report
def data_share(row: dict[str, Any]) -> float:
    """Percent of a step spent waiting for the batch (memmap read, copy to the GPU, augmentation)."""
    return 100 * row["data_ms"] / (row["data_ms"] + row["compute_ms"])


def print_training_header(crop: int = CROP, batch: int = BATCH) -> None:
    """The training table's title and columns."""
    print(f"\ntraining, batch {batch} at {crop}x{crop}, bf16 + channels_last, `paper` augmentation on the device")
    print(f"{'model':8} {'compile':8} {'slices/s':>9} {'compute-only':>13} {'data ms':>8} {'compute ms':>11} "
          f"{'data %':>7} {'warm-up s':>10} {'GPU util':>9}", flush=True)


def print_training_row(r: dict[str, Any]) -> None:
    """One configuration's row."""
    print(f"{r['model']:8} {'yes' if r['compile'] else 'no':8} {r['rate']:9.1f} {r['compute_rate']:13.1f} "
          f"{r['data_ms']:8.1f} {r['compute_ms']:11.1f} {data_share(r):6.1f}% {r['warmup_s']:10.1f} {r['util']:>9}",
          flush=True)


def print_loader_verdict(rows: list[dict[str, Any]]) -> None:
    """Whether the loader and augmentation keep the device busy."""
    worst = max(data_share(r) for r in rows)
    print("loader + augmentation " + ("keep up" if worst < 15 else "LIMIT the step") +
          f": waiting for data is at most {worst:.0f}% of a step (the Trainer loads synchronously, no prefetch)")


def print_projection(suite_path: Path, slices: int, val_slices: int, rates: dict[str, float],
                     infer_rates: dict[str, float]) -> None:
    """Per-epoch and total time of every job of the suite, at the measured rates."""
    models, epochs = suite_jobs(suite_path)
    print(f"\nprojection for {suite_path.name}: {len(models)} jobs x {epochs:g} epochs, {slices} training and "
          f"{val_slices} validation slices per epoch")
    total = 0.0
    counts = {m: models.count(m) for m in dict.fromkeys(models)}
    for model, n in counts.items():
        p = project(slices, epochs, n, rate_for(model, rates), val_slices, rate_for(model, infer_rates))
        total += p.total_s
        print(f"  {model:10} x{n:<3} {p.epoch_s:8.1f} s/epoch  {hours(p.job_s):>9} per job  {hours(p.total_s):>9}")
    print(f"  total on one card: {hours(total)}")


def measure_all(device: Any, steps: int, compile: bool) -> tuple[list[dict[str, Any]], dict[str, float]]:
    """Every training row (printed as measured) and the inference rate of each network."""
    import torch

    rows, infer_rates = [], {}
    print_training_header()
    with tempfile.TemporaryDirectory() as tmp:
        data = slice_set(Path(tmp), 600, 320)
        for model in MODELS:
            for compiled in (False, True) if compile else (False,):
                try:
                    row = measure_training(model, compiled, data, Path(tmp), steps, device)
                except Exception as exc:  # noqa: BLE001  (a compiler failure must not lose the other rows)
                    print(f"{model:8} {'yes' if compiled else 'no':8} failed: {type(exc).__name__}: {exc}"[:400])
                    continue
                print_training_row(row)
                if not compiled:
                    infer_rates[model] = measure_inference(row.pop("trainer").model, device)
                rows.append(row)
                row.pop("trainer", None)
                if device.type == "cuda":
                    torch.cuda.empty_cache()
    return rows, infer_rates


def main(argv: list[str] | None = None) -> int:
    """Measure on the CUDA card and print the tables; 0 without CUDA (nothing measured)."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--suite", type=Path, default=ROOT / "suites" / "paper.yaml")
    parser.add_argument("--manifest", type=Path, help="the source data's manifest, to count its slices")
    parser.add_argument("--steps", type=int, default=30, help="timed training steps per configuration")
    parser.add_argument("--no-compile", action="store_true", help="skip the torch.compile rows")
    args = parser.parse_args(argv)
    import torch

    if not torch.cuda.is_available():
        print("no CUDA device: nothing measured")
        return 0
    sys.path.insert(0, str(ROOT))
    device = torch.device("cuda")
    from benchmark.precision import describe_precision, resolve_precision

    print(f"{torch.cuda.get_device_name()}, torch {torch.__version__}, CUDA {torch.version.cuda}; precision auto "
          f"resolves to {describe_precision(resolve_precision('auto', device))}")
    rows, infer_rates = measure_all(device, args.steps, not args.no_compile)
    print_loader_verdict(rows)
    print("\ninference (predict_probabilities, bf16, chunks of 16, probabilities to the host): " +
          ", ".join(f"{m} {r:.0f} slices/s" for m, r in infer_rates.items()))
    train_subjects, val_subjects = split_sizes(args.suite)
    slices = manifest_slices(args.manifest, train_subjects) if args.manifest else training_slices(train_subjects)
    val_slices = training_slices(val_subjects)
    for compiled in (False, True):
        rates = {r["model"]: r["rate"] for r in rows if r["compile"] == compiled}
        if rates:
            print(f"\n[{'torch.compile' if compiled else 'eager'}]", end="")
            print_projection(args.suite, slices, val_slices, rates, infer_rates)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
