"""Throughput of the `paper` policy (batches of 20 at 256x256) beside a per-slice scipy.ndimage baseline
doing the same work, and the training-step rate of unet16 at the same size, in one run.

Run: python benchmarks/augment_speed.py [--batches 10] [--threads 2]
"""
from __future__ import annotations

import argparse
import math
import time

import numpy as np
import torch
from scipy import ndimage

import benchmark as cb

CANVAS, CROP, BATCH = 320, 256, 20


def scipy_paper(image: np.ndarray, label: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """The same work per slice: flips (p=0.5), rotation [-30, 30], scale [0.7, 1.4], random 256 crop, one
    composed affine_transform each for image (linear) and label (nearest)."""
    a = np.deg2rad(rng.uniform(-30, 30))
    s = math.exp(rng.uniform(math.log(0.7), math.log(1.4)))
    flip = np.diag([-1.0 if rng.random() < 0.5 else 1.0, -1.0 if rng.random() < 0.5 else 1.0])
    rot = np.array([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]])
    matrix = flip @ rot / s
    room = (CANVAS - CROP) / 2
    shift = rng.uniform(-room, room, 2)
    centre_out = np.array([CROP / 2 - 0.5] * 2)
    centre_in = np.array([CANVAS / 2 - 0.5] * 2) + shift
    offset = centre_in - matrix @ centre_out
    img = ndimage.affine_transform(image, matrix, offset, output_shape=(CROP, CROP), order=1, mode="constant")
    lab = ndimage.affine_transform(label, matrix, offset, output_shape=(CROP, CROP), order=0, mode="constant")
    return img, lab


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--batches", type=int, default=10)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    images = torch.randn(BATCH, 1, CANVAS, CANVAS)
    labels = torch.randint(0, 4, (BATCH, CANVAS, CANVAS))
    policy = cb.create_policy("paper", crop=CROP)
    g = torch.Generator().manual_seed(0)
    policy(images, labels, g)  # warm-up
    start = time.perf_counter()
    for _ in range(args.batches):
        policy(images, labels, g)
    ours = args.batches * BATCH / (time.perf_counter() - start)

    rng = np.random.default_rng(0)
    np_img, np_lab = images[:, 0].numpy(), labels.numpy().astype(np.uint8)
    start = time.perf_counter()
    for _ in range(args.batches):
        for i in range(BATCH):
            scipy_paper(np_img[i], np_lab[i], rng)
    base = args.batches * BATCH / (time.perf_counter() - start)

    model = cb.create_model("unet16")
    opt = torch.optim.SGD(model.parameters(), lr=1e-3, momentum=0.9)
    x, y = policy(images, labels, g)
    steps = max(2, args.batches // 2)
    model.train()
    for i in range(steps + 1):
        if i == 1:
            start = time.perf_counter()
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
    step_rate = steps / (time.perf_counter() - start)

    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, batches of {BATCH} slices "
          f"{CANVAS}x{CANVAS} -> {CROP}x{CROP}")
    print(f"paper policy (affine_grid/grid_sample, whole batch): {ours:8.1f} slices/s")
    print(f"per-slice scipy.ndimage baseline, same work:         {base:8.1f} slices/s")
    print(f"speed-up: {ours / base:.2f}x")
    print(f"unet16 training step (batch {BATCH}, {CROP}x{CROP}, SGD): {step_rate:.2f} steps/s "
          f"= {step_rate * BATCH:.1f} slices/s")


if __name__ == "__main__":
    main()
