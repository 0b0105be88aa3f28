"""The profile figure: histograms of every measure per manifest and a montage of typical mid-ventricular slices."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..atomic import replace_atomic
from .loader import load_case
from .profile import MEASURES, Profile

MONTAGE_SLICES = 4  # typical slices shown per manifest


def typical_cases(cases: pd.DataFrame, k: int = MONTAGE_SLICES) -> pd.DataFrame:
    """Up to k cases of distinct subjects whose heart fraction is nearest the manifest's median (ED first)."""
    if cases.empty:
        return cases
    pool = cases[cases["phase"] == "ED"] if (cases["phase"] == "ED").any() else cases
    hf = pool["heart_fraction"]
    distance = (hf - hf.median()).abs() if hf.notna().any() else pd.Series(0.0, index=pool.index)
    ordered = pool.assign(_d=distance.fillna(np.inf)).sort_values(["_d", "subject"], kind="stable")
    return ordered.drop_duplicates("subject").head(k).drop(columns="_d")


def _slice(profile: Profile, row: pd.Series) -> tuple[np.ndarray, tuple[float, float]] | None:
    """The stored mid-ventricular slice of a case, and its pixel size; None if it can no longer be read."""
    try:
        case = load_case(row, profile.root, with_label=False)
    except Exception:  # profiled a moment ago; a file changed since is shown as a blank panel
        return None
    z = min(int(row["mid_slice"]), case.image.shape[2] - 1)
    return case.image[:, :, z], (case.spacing[0], case.spacing[1])


def _histograms(top, profiles: list[Profile], colours) -> None:  # type: ignore[no-untyped-def]
    """One histogram per measure, each manifest's cases as fractions, and the legend in the first free panel."""
    import matplotlib.pyplot as plt

    ncols = 5
    nrows = -(-(len(MEASURES) + 1) // ncols)
    axes = top.subplots(nrows, ncols).ravel()
    for ax, m in zip(axes, MEASURES):
        values = [p.cases[m.name].dropna().to_numpy(float) for p in profiles]
        pooled = np.concatenate(values)
        if not pooled.size:
            ax.text(0.5, 0.5, "no values", ha="center", va="center", transform=ax.transAxes)
        else:
            edges = np.histogram_bin_edges(pooled, bins=min(20, max(5, pooled.size // 3)))
            for v, c in zip(values, colours):
                if v.size:
                    ax.hist(v, bins=edges, weights=np.full(v.size, 1 / v.size), color=c, alpha=0.35)
                    ax.hist(v, bins=edges, weights=np.full(v.size, 1 / v.size), color=c, histtype="step")
        ax.set_title(m.label + (f" ({m.unit})" if m.unit else ""), fontsize=8)
        ax.tick_params(labelsize=7)
    for ax in axes[len(MEASURES):]:
        ax.axis("off")
    handles = [plt.Rectangle((0, 0), 1, 1, color=c, alpha=0.5) for c in colours]
    axes[len(MEASURES)].legend(handles, [f"{p.name} (n={len(p.cases)})" for p in profiles], loc="center",
                               fontsize=8, title="fraction of cases", title_fontsize=8)
    top.suptitle("Distribution of each measure per manifest", fontsize=10)


def _montage(bottom, profiles: list[Profile], colours) -> None:  # type: ignore[no-untyped-def]
    """Typical mid-ventricular slices of each manifest, all at one mm scale."""
    shown = [(p, typical_cases(p.cases)) for p in profiles]
    half = max([max(r["fov_long_mm"] for _, r in t.iterrows()) / 2 for _, t in shown if len(t)], default=1.0)
    grid = bottom.subplots(len(profiles), MONTAGE_SLICES, squeeze=False)
    for i, (p, picked) in enumerate(shown):
        rows = [r for _, r in picked.iterrows()]
        for j, ax in enumerate(grid[i]):
            ax.set_xticks([])
            ax.set_yticks([])
            ax.set_xlim(-half, half)
            ax.set_ylim(half, -half)
            ax.set_facecolor("black")
            if j == 0:
                ax.set_ylabel(p.name, fontsize=9, color=colours[i])
            if j >= len(rows):
                ax.axis("off")
                continue
            got = _slice(p, rows[j])
            if got is None:
                ax.text(0, 0, "unreadable", color="w", ha="center")
                continue
            img, (dx, dy) = got
            lo, hi = np.percentile(img, [1, 99])
            w, h = img.shape[0] * dx / 2, img.shape[1] * dy / 2
            ax.imshow(img.T, cmap="gray", vmin=lo, vmax=hi, extent=(-w, w, h, -h), interpolation="antialiased")
            ax.set_title(f"{rows[j]['subject']} {rows[j]['phase']} z{int(rows[j]['mid_slice'])}, {dx:.2f} mm",
                         fontsize=7)
    bottom.suptitle("Typical mid-ventricular slices (heart fraction nearest the median; same mm scale, "
                    "as stored, 1-99th percentile window)", fontsize=9)


def profile_figure(profiles: list[Profile], path: Path) -> list[Path]:
    """Write PATH (PNG) and PATH with .pdf; returns both."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    colours = plt.cm.tab10(np.arange(len(profiles)) % 10)
    nrows = -(-(len(MEASURES) + 1) // 5)
    fig = plt.figure(figsize=(3.2 * 5, 2.3 * nrows + 2.6 * len(profiles)), layout="constrained")
    halves = fig.add_gridspec(2, 1, height_ratios=[2.3 * nrows, 2.6 * len(profiles)])
    _histograms(fig.add_subfigure(halves[0]), profiles, colours)
    _montage(fig.add_subfigure(halves[1]), profiles, colours)
    path = Path(path)
    pdf = path.with_suffix(".pdf")
    replace_atomic(path, lambda tmp: fig.savefig(tmp, dpi=110))
    replace_atomic(pdf, lambda tmp: fig.savefig(tmp))
    plt.close(fig)
    return [path, pdf]
