"""Figure 4 (Dice box plots per dataset and structure) and Figure 8 (Bland-Altman plots)."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ..atomic import replace_atomic
from ..labels import STRUCTURES
from ..results import Results
from ..stats import bland_altman


def _plt():  # type: ignore[no-untyped-def]
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save_figure(fig, path: Path) -> Path:  # type: ignore[no-untyped-def]
    """Write a figure as PNG through a temporary name (a reader never sees half of it) and free it."""
    plt = _plt()
    replace_atomic(path, lambda tmp: fig.savefig(tmp, dpi=110))
    plt.close(fig)
    return path


def fig4_boxplots(res: Results, path: Path) -> Path | None:
    """Dice box plots: one panel per dataset, boxes per structure and method; one point per case, seeds averaged."""
    cases = res.with_methods()
    cases = cases[cases["selection"] != "oracle"]
    if cases.empty:
        return None
    cases = cases.groupby(["method", "dataset", "subject", "phase", "structure"])["dice"].mean().reset_index()
    plt = _plt()
    datasets = sorted(cases["dataset"].unique())
    methods = sorted(cases["method"].unique())
    fig, axes = plt.subplots(1, len(datasets), figsize=(4.2 * len(datasets), 3.6), squeeze=False)
    width = 0.8 / max(len(methods), 1)
    colours = plt.cm.tab10(np.arange(len(methods)) % 10)
    for ax, d in zip(axes[0], datasets):
        sub = cases[cases.dataset == d]
        for j, m in enumerate(methods):
            data = [sub[(sub.method == m) & (sub.structure == s)]["dice"].dropna().to_numpy() for s in STRUCTURES]
            pos = np.arange(len(STRUCTURES)) + (j - (len(methods) - 1) / 2) * width
            keep = [k for k, v in enumerate(data) if len(v)]
            if keep:
                bp = ax.boxplot([data[k] for k in keep], positions=pos[keep], widths=width * 0.9, patch_artist=True,
                                showfliers=True, flierprops={"markersize": 2})
                for box in bp["boxes"]:
                    box.set_facecolor(colours[j])
        ax.set_xticks(range(len(STRUCTURES)), list(STRUCTURES))
        ax.set_ylim(0, 1)
        ax.set_title(d)
        ax.set_ylabel("Dice")
    handles = [plt.Rectangle((0, 0), 1, 1, color=colours[j]) for j in range(len(methods))]
    fig.legend(handles, methods, loc="lower center", ncol=min(len(methods), 4), fontsize=8)
    fig.tight_layout(rect=(0, 0.08 + 0.03 * (len(methods) // 4), 1, 1))
    return save_figure(fig, path)


BA_MEASURES = ("LVEDV", "LVESV", "LVM", "RVEDV", "RVESV")


def fig8_bland_altman(res: Results, path: Path) -> Path | None:
    """Bland-Altman plots of LV/RV volumes and LV mass: rows are methods, columns measures, colour dataset.

    One point per subject, its automatic value averaged over seeds (as in the Bland-Altman table)."""
    from .clinical_tables import clinical_rows, per_subject

    clin = clinical_rows(res)
    if clin.empty:
        return None
    plt = _plt()
    clin = per_subject(clin, [])
    methods = sorted(clin["method"].unique())[:6]
    measures = [m for m in BA_MEASURES if m in set(clin["measure"])]
    if not measures:
        return None
    datasets = sorted(clin["dataset"].unique())
    colours = dict(zip(datasets, plt.cm.tab10(np.arange(len(datasets)) % 10)))
    fig, axes = plt.subplots(len(methods), len(measures), figsize=(3.2 * len(measures), 2.8 * len(methods)),
                             squeeze=False)
    for i, method in enumerate(methods):
        for j, measure in enumerate(measures):
            ax = axes[i, j]
            g = clin[(clin.method == method) & (clin.measure == measure)]
            for d, gd in g.groupby("dataset"):
                ax.scatter((gd.auto + gd.manual) / 2, gd.auto - gd.manual, s=8, color=colours[d], label=d)
            ba = bland_altman(g["auto"].to_numpy(), g["manual"].to_numpy())
            if ba.n:
                for y, style in ((ba.mean_diff, "-"), (ba.loa_low, "--"), (ba.loa_high, "--")):
                    ax.axhline(y, color="k", linestyle=style, linewidth=0.8)
                ax.set_title(f"{measure}: {ba.mean_diff:.1f} [{ba.loa_low:.1f}, {ba.loa_high:.1f}]", fontsize=8)
            ax.set_xlabel("mean of auto and manual", fontsize=7)
            if j == 0:
                ax.set_ylabel(f"{method}\nauto - manual", fontsize=7)
            ax.tick_params(labelsize=6)
    axes[0, -1].legend(fontsize=6, loc="upper right")
    fig.tight_layout()
    return save_figure(fig, path)
