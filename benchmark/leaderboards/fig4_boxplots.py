"""Figure 4: Dice box plots per dataset and structure, one box per method, n under each box."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..labels import STRUCTURES
from ..results import Results
from .cases import ORACLE, annotated, case_frame
from .plotting import _plt, colour, hatch, save_figure

NOTE = ("One point per case (subject x phase, seeds averaged); n under each box = cases. Box: quartiles; black line: "
        "median; whiskers: 1.5 x IQR; dots beyond: outliers. Model selection: {rules}.")


def box_data(res: Results) -> tuple[pd.DataFrame, dict[str, set[str]]]:
    """Scored Dice per method, dataset, subject, phase and structure (seeds averaged); annotated structures."""
    frame = case_frame(res)
    frame = frame[frame["selection"] != ORACLE]
    notes = annotated(frame)
    frame = frame[frame["scored"]]
    if frame.empty:
        return pd.DataFrame(columns=["method", "dataset", "subject", "phase", "structure", "dice", "selection"]), notes
    if frame["selection"].nunique() > 1:  # two rules of one training are two boxes, never one pooled box
        frame = frame.assign(method=frame["method"].astype(str) + " (" + frame["selection"].astype(str) + ")")
    keys = ["method", "selection", "dataset", "subject", "phase", "structure"]
    cases = frame.groupby(keys, dropna=False)["dice"].mean().reset_index()
    return cases.assign(method=cases["method"].astype(str), dataset=cases["dataset"].astype(str)), notes


def _panel(ax, sub: pd.DataFrame, methods: list[str], annotated_here: set[str]) -> None:  # type: ignore[no-untyped-def]
    """The boxes of one dataset, n under each, a note in a slot whose structure is not annotated."""
    from matplotlib import patheffects

    width = 0.8 / len(methods)
    below = ax.get_xaxis_transform()  # x in data, y in axes: text under the axis
    median = {"color": "black", "linewidth": 1.6,
              "path_effects": [patheffects.withStroke(linewidth=3.2, foreground="white")]}
    for k, s in enumerate(STRUCTURES):
        if s not in annotated_here:
            ax.text(k, 0.5, f"{s} not annotated\nin this dataset", ha="center", va="center", rotation=90,
                    fontsize=7, color="0.35")
            continue
        for j, m in enumerate(methods):
            pos = k + (j - (len(methods) - 1) / 2) * width
            values = sub[(sub["method"] == m) & (sub["structure"] == s)]["dice"].dropna().to_numpy(float)
            if not len(values):
                ax.text(pos, 0.02, "no scored case", rotation=90, ha="center", va="bottom", fontsize=6, color="0.35")
                continue
            bp = ax.boxplot([values], positions=[pos], widths=width * 0.85, patch_artist=True, medianprops=median,
                            flierprops={"marker": "o", "markersize": 2, "markerfacecolor": colour(j),
                                        "markeredgecolor": colour(j)})
            bp["boxes"][0].set(facecolor=colour(j), edgecolor="black", linewidth=0.7, hatch=hatch(j))
            ax.text(pos, -0.02, f"n={len(values)}", transform=below, ha="center", va="top", fontsize=6,
                    rotation=90 if len(methods) > 2 else 0)


def fig4_boxplots(res: Results, path: Path) -> Path | None:
    """Dice box plots: one panel per dataset, boxes per structure and method; one point per case, seeds averaged."""
    cases, annotated_in = box_data(res)
    if cases.empty:
        return None
    plt = _plt()
    datasets = sorted(cases["dataset"].unique())
    methods = sorted(cases["method"].unique())
    fig, axes = plt.subplots(1, len(datasets), figsize=(max(3.2, 0.45 * len(methods) * 3 + 1.2) * len(datasets), 3.8),
                             squeeze=False, layout="constrained")
    pad = 26 if len(methods) > 2 else 12  # the tick labels go under the n of each box
    for ax, d in zip(axes[0], datasets):
        _panel(ax, cases[cases["dataset"] == d], methods, annotated_in.get(d, set(STRUCTURES)))
        ax.set_xticks(range(len(STRUCTURES)), list(STRUCTURES))
        ax.tick_params(axis="x", pad=pad, length=0)
        ax.set_xlim(-0.5, len(STRUCTURES) - 0.5)
        ax.set_ylim(-0.02, 1.02)  # a box of zeros stays visible
        ax.set_title(d)
        ax.set_ylabel("Dice")
        ax.grid(axis="y", alpha=0.3, linewidth=0.5)
    handles = [plt.Rectangle((0, 0), 1, 1, facecolor=colour(j), edgecolor="black", linewidth=0.7, hatch=hatch(j))
               for j in range(len(methods))]
    fig.legend(handles, methods, loc="outside upper center", ncol=min(len(methods), 4), frameon=False)
    rules = ", ".join(sorted(cases["selection"].dropna().astype(str).unique())) or "none recorded"
    fig.supxlabel(NOTE.format(rules=rules), fontsize=6, wrap=True)
    return save_figure(fig, path)
