"""A montage of one subject's short-axis stack, base to apex, ED above ES, with label outlines."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from .subject import Subject

OUTLINES = {1: ("LV", "#ff4040"), 2: ("MYO", "#40ff40"), 3: ("RV", "#4080ff")}


def base_to_apex(subject: Subject, phase: str) -> tuple[np.ndarray, np.ndarray]:
    """The stored image and label stacks reordered from base to apex."""
    img, lab = subject.images[phase], subject.labels[phase]
    if subject.site.apex_first:
        img, lab = img[::-1], lab[::-1]
    return img, lab


def save_preview(subject: Subject, path: Path, max_slices: int = 12) -> Path:
    """Write the montage PNG: one column per slice, rows ED and ES."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    stacks = {p: base_to_apex(subject, p) for p in ("ED", "ES")}
    n = min(max_slices, stacks["ED"][0].shape[0])
    picks = np.linspace(0, stacks["ED"][0].shape[0] - 1, n).round().astype(int)
    fig, axes = plt.subplots(2, n, figsize=(1.7 * n, 3.9), facecolor="black")
    for row, phase in enumerate(("ED", "ES")):
        img, lab = stacks[phase]
        vmax = np.percentile(img, 99.5)
        for col, k in enumerate(picks):
            ax = axes[row, col]
            ax.imshow(img[k], cmap="gray", vmin=0, vmax=vmax, interpolation="nearest")
            for value, (_, colour) in OUTLINES.items():
                if (lab[k] == value).any():
                    ax.contour(lab[k] == value, levels=[0.5], colors=colour, linewidths=0.6)
            ax.set_axis_off()
            if row == 0:
                ax.set_title(f"slice {k}", color="white", fontsize=7)
        axes[row, 0].text(-0.08, 0.5, phase, color="white", transform=axes[row, 0].transAxes, ha="right",
                          va="center", fontsize=9)
    spec, sc = subject.spec, subject.scanner
    fig.suptitle(f"{spec.subject}  {spec.pathology}  {sc.vendor} {sc.model} {sc.field_strength_t:g}T  "
                 f"{subject.spacing[0]:.2f} mm, {subject.thickness:g}+{subject.gap:g} mm  (base -> apex; "
                 f"red LV, green MYO, blue RV)", color="white", fontsize=8)
    fig.tight_layout(rect=(0.02, 0, 1, 0.95))
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=90, facecolor="black")
    plt.close(fig)
    return path
