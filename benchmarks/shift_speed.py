"""Time of a shifted evaluation per severity level beside the plain evaluation of the same cases (issue 14: at most
2x), on the quickstart's targets (synthetic acdc and bscmr, 10 subjects each, unet16, crop 96, 1.8 mm).

The plain evaluation reads each case's prepared (cached) image; a shifted one reads the case, applies the shift,
resamples and normalises it, then predicts and scores the same way. Times are medians of `--repeats` passes.

Run: python benchmarks/shift_speed.py [--repeats 3] [--shifts noise,motion]
"""
from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import torch

from benchmark.run.evaluation import Scorer, eval_rows
from benchmark.run.jobfile import read_job_file
from benchmark.run.runner import run_suite
from benchmark.run.shifted import score_shifted
from benchmark.shifts import shift_names
from benchmark.suite import load_suite


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--shifts", default="all")
    args = parser.parse_args()
    torch.set_num_threads(2)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out"
        suite, base = load_suite(Path(__file__).parent.parent / "suites" / "quickstart.yaml",
                                 ["policies=[none]", "device=cpu"])
        run_suite(suite, base, out, dry_run=True)  # data generated and prepared, job files written
        folder = next((out / "jobs").glob("*/job.json")).parent
        job, ctx, _ = read_job_file(folder)
        scorer = Scorer(job.train, ctx, "cpu")
        evals = [e for e in job.evals if e.dataset in ctx.data.targets and not e.shift]
        rows = [eval_rows(ctx.data, job.train, e) for e in evals]
        n = sum(len(r) for r in rows)

        def timed(fn) -> float:  # type: ignore[no-untyped-def]
            times = []
            for _ in range(args.repeats):
                start = time.perf_counter()
                for r in rows:
                    fn(r)
                times.append(time.perf_counter() - start)
            return statistics.median(times)

        plain = timed(lambda r: scorer.score(r, None, "plain"))
        print(f"\n{n} target cases (acdc + bscmr), unet16 untrained (time does not depend on the weights), "
              f"2 threads; median of {args.repeats}")
        print(f"{'evaluation':28s} {'seconds':>8s} {'x plain':>8s}")
        print(f"{'plain':28s} {plain:8.2f} {1.0:8.2f}")
        names = shift_names([args.shifts] if args.shifts == "all" else args.shifts.split(","))
        for name in names:
            t = timed(lambda r, name=name: score_shifted(scorer, r, name, [3], 0, None, name))
            print(f"{name + ' (one severity)':28s} {t:8.2f} {t / plain:8.2f}")


if __name__ == "__main__":
    main()
