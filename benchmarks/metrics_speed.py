"""All metrics (Dice, HD95, ASSD for LV, MYO, RV) on a 10x256x256 volume: cmrbench beside medpy, one run.

Run: python benchmarks/metrics_speed.py [--repeats 5]
"""
from __future__ import annotations

import argparse
import time

import numpy as np
from medpy.metric import binary as medpy

from benchmark.metrics import score_structures

SPACING = (10.0, 1.25, 1.25)


def heart(shift: int) -> np.ndarray:
    """Three structures (LV disc, MYO ring, RV crescent) on 8 of 10 slices, shifted by `shift` voxels."""
    z, y, x = np.mgrid[:10, :256, :256]
    r = np.hypot(y - 128 - shift, x - 140)
    lab = np.zeros((10, 256, 256), np.uint8)
    inside = (z >= 1) & (z <= 8)
    lab[inside & (r < 30)] = 2
    lab[inside & (r < 22)] = 1
    rv = np.hypot(y - 128, x - 100 + shift) < 34
    lab[inside & rv & (r >= 30)] = 3
    return lab


def medpy_scores(pred: np.ndarray, ref: np.ndarray) -> list[tuple[float, float, float]]:
    out = []
    for v in (1, 2, 3):
        p, r = pred == v, ref == v
        out.append((medpy.dc(p, r), medpy.hd95(p, r, SPACING), medpy.assd(p, r, SPACING)))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    ref, pred = heart(0), heart(3)
    ours_scores = score_structures(pred, ref, SPACING)
    theirs = medpy_scores(pred, ref)
    for s, t in zip(ours_scores, theirs):
        assert np.allclose((s.dice, s.hd95_mm, s.assd_mm), t), (s, t)
    start = time.perf_counter()
    for _ in range(args.repeats):
        score_structures(pred, ref, SPACING)
    ours = (time.perf_counter() - start) / args.repeats
    start = time.perf_counter()
    for _ in range(args.repeats):
        medpy_scores(pred, ref)
    base = (time.perf_counter() - start) / args.repeats
    print("10x256x256, LV/MYO/RV, Dice + HD95 + ASSD (same numbers from both):")
    for s in ours_scores:
        print(f"  {s.structure}: dice {s.dice:.4f}  hd95 {s.hd95_mm:.3f} mm  assd {s.assd_mm:.3f} mm")
    print(f"cmrbench: {ours * 1000:7.1f} ms per volume")
    print(f"medpy:    {base * 1000:7.1f} ms per volume")
    print(f"cmrbench takes {ours / base:.2f} of medpy's time ({base / ours:.1f}x faster)")


if __name__ == "__main__":
    main()
