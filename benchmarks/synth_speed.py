"""Time `cmrbench synth` for 100 subjects of each cohort and print the clinical ranges per group.

Run: python benchmarks/synth_speed.py [--subjects 100] [--workers 0]
"""
from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from benchmark.synth.cohorts import COHORTS, clinical_summary, generate_cohort


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--subjects", type=int, default=100)
    parser.add_argument("--workers", type=int, default=0)
    args = parser.parse_args()
    print(f"{os.cpu_count()} CPU core(s); {args.subjects} subjects per cohort")
    with tempfile.TemporaryDirectory() as tmp:
        for name in COHORTS.names():
            start = time.perf_counter()
            truth = generate_cohort(name, Path(tmp) / name, args.subjects, seed=0, workers=args.workers or None)
            elapsed = time.perf_counter() - start
            print(f"\n{name}: {elapsed:.1f} s for {args.subjects} subjects ({elapsed / args.subjects:.2f} s each)")
            table = clinical_summary(truth).groupby("group").agg(["min", "median", "max"]).round(1)
            print(table.to_string())


if __name__ == "__main__":
    main()
