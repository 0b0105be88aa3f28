"""Per-job overhead of each launcher beside `local`: seconds from dispatch to a job's first training step, and total.

Every launcher runs the same 4 jobs (unet_test, 48x48, 30 steps, 1 thread each; data prepared beforehand, so only
launching differs) from fresh job folders, one job at a time so that totals compare like for like, and `ray`
and `slurm` once more with 2 jobs at a time. Columns:
  first step: seconds from the launcher's call to the first training step of its first job (Ray's start-up or a
    submitit process included);
  job start: median seconds from a job's process taking it up (where.json) to its first step (imports, data);
  total: wall seconds for the 4 jobs; per job vs local: (total - local's total) / 4.

Run: python benchmarks/launcher_overhead.py [--iterations 30] [--launchers local,ray,slurm]
"""
from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

import yaml

from benchmark.launchers import LAUNCHERS
from benchmark.run.runner import run_suite
from benchmark.suite import load_suite

SUITE = {
    "name": "overhead", "seeds": [0, 1], "threads": 1,
    "data": {"source": {"name": "ukbb", "synth": {"cohort": "ukbb", "subjects": 6, "seed": 0},
                        "split": {"train": 3, "val": 1, "test": 2}}, "targets": []},
    "preprocess": {"target_spacing": 3.0, "crop": 48},
    "training": {"batch_size": 4, "validate_every": 10, "checkpoint_every": 10,
                 "optimizer": {"name": "sgd", "lr": 0.01}},
    "models": [{"name": "unet_test"}], "policies": ["paper", "none"], "device": "cpu",
}
VARIANTS = {  # label: (launcher, options)
    "local": ("local", {}),
    "ray, 1 at a time": ("ray", {"local_cpus": 2, "num_cpus": 2}),
    "slurm (submitit local), 1 at a time": ("slurm", {"cluster": "local", "cpus_per_job": 1, "array_parallelism": 1}),
    "ray, 2 at a time": ("ray", {"local_cpus": 2, "num_cpus": 1}),
    "slurm (submitit local), 2 at a time": ("slurm", {"cluster": "local", "cpus_per_job": 1, "array_parallelism": 2}),
}


def measure(tmp: Path, label: str, name: str, options: dict, iterations: int) -> dict[str, float]:
    """Write fresh job folders (data from the shared cache), then time the launcher on them."""
    raw = {**SUITE, "data": {**SUITE["data"], "cache": str(tmp / "cache")},
           "training": {**SUITE["training"], "iterations": iterations}}
    path = tmp / "suite.yaml"
    path.write_text(yaml.safe_dump(raw))
    out = tmp / label.replace(" ", "_").replace(",", "").replace("(", "").replace(")", "")
    run_suite(*load_suite(path), out, dry_run=True)
    dirs = sorted(p.parent for p in (out / "jobs").glob("*/job.json"))
    start = time.time()
    summaries = LAUNCHERS.get(name)(dirs, "cpu", options)
    total = time.time() - start
    failed = [s["failed"] for s in summaries if "failed" in s]
    if failed:
        raise SystemExit(f"{label}: {failed}")
    firsts = [s["first_step_unix"] for s in summaries]
    begun = [json.loads((d / "where.json").read_text())["started_unix"] for d in dirs]
    by_job = {s["job"]: s["first_step_unix"] for s in summaries}
    return {"first step": min(firsts) - start, "total": total,
            "job start": statistics.median(by_job[d.name] - b for d, b in zip(dirs, begun))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--iterations", type=int, default=30)
    parser.add_argument("--launchers", default="local,ray,slurm", help="comma-separated subset")
    args = parser.parse_args()
    wanted = set(args.launchers.split(","))
    rows = {}
    with tempfile.TemporaryDirectory() as tmp:
        for label, (name, options) in VARIANTS.items():
            if name in wanted:
                rows[label] = measure(Path(tmp), label, name, options, args.iterations)
    base = rows.get("local", {}).get("total")
    print(f"\n4 jobs of unet_test, 48x48, {args.iterations} steps of 4, 1 thread each, on this machine's CPU")
    print(f"{'launcher':40s} {'first step s':>12s} {'job start s':>12s} {'total s':>9s} {'per job vs local s':>19s}")
    for label, r in rows.items():
        extra = f"{(r['total'] - base) / 4:+19.2f}" if base is not None else f"{'':>19s}"
        print(f"{label:40s} {r['first step']:12.2f} {r['job start']:12.2f} {r['total']:9.2f} {extra}")


if __name__ == "__main__":
    main()
