"""Figure 8: Bland-Altman plots, one panel per method, dataset and clinical measure (never pooled), with units."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..clinical import MEASURES, NEEDS, UNITS
from ..results import Results
from ..stats import BlandAltman, bland_altman, iqr_inliers
from .cases import ORACLE, annotated, case_frame
from .clinical_tables import clinical_rows, per_subject
from .plotting import _plt, colour, save_figure

NOTE = ("One point per subject (automatic value averaged over seeds). Solid: bias = mean(auto - manual); dashed: "
        "95 % limits of agreement = bias +- 1.96 SD, computed after removing pairs whose mean lies outside "
        "1.5 x IQR of the means (drawn as x, counted on the panel). Same numbers as bland_altman.csv. "
        "EF differences in percentage points.")


@dataclass
class Panel:
    """One Bland-Altman panel: a method on a dataset for one measure, or why it is empty."""

    method: str
    dataset: str
    measure: str
    auto: np.ndarray = field(default_factory=lambda: np.zeros(0))
    manual: np.ndarray = field(default_factory=lambda: np.zeros(0))
    stats: BlandAltman | None = None
    empty: str = ""

    @property
    def unit(self) -> str:
        """mL, % or g."""
        return UNITS[self.measure]

    @property
    def kept(self) -> np.ndarray:
        """True for the points the statistics used (the IQR rule's inliers)."""
        return iqr_inliers((self.auto + self.manual) / 2)


def _why_empty(measure: str, dataset: str, annotated_in: dict[str, set[str]]) -> str:
    structure, phases = NEEDS[measure]
    if structure not in annotated_in.get(dataset, {structure}):
        return f"{structure} not annotated in {dataset}:\nno {measure}"
    return f"no subject with {structure}\nscored at {' and '.join(phases)}"


def _row_keys(clin: pd.DataFrame, cases: pd.DataFrame, label: str) -> list[tuple[str, str]]:
    """(method, dataset) rows: every pair with clinical values or with scored cases (explained when empty)."""
    keys = {(str(m), str(d)) for m, d in zip(clin[label], clin["dataset"])}
    keys |= {(str(m), str(d)) for m, d in zip(cases[label], cases["dataset"])} if label in cases else set()
    return sorted(keys)


def _labelled(frame: pd.DataFrame, several_rules: bool) -> pd.DataFrame:
    """`frame` with a `row` column: the method, and its selection rule where several rules are present."""
    method = frame["method"].astype(str)
    if several_rules:
        method = method + " (" + frame["selection"].astype(str) + ")"
    return frame.assign(row=method)


def ba_panels(res: Results) -> list[Panel]:
    """Every panel of Figure 8, row by row (method x dataset), one per measure; empty ones say why."""
    clin = clinical_rows(res)
    if clin.empty:
        return []
    cases = case_frame(res)
    cases = cases[cases["selection"] != ORACLE]
    several = clin["selection"].nunique() > 1
    subjects = _labelled(per_subject(clin, ["selection"]), several)
    cases = _labelled(cases[cases["scored"]], several) if not cases.empty else cases
    annotated_in = annotated(case_frame(res))
    groups = {(str(k[0]), str(k[1]), str(k[2])): g for k, g in
              subjects.groupby(["row", "dataset", "measure"], observed=True)}
    panels = []
    for method, dataset in _row_keys(subjects, cases, "row"):
        for measure in MEASURES:
            g = groups.get((method, dataset, measure))
            if g is None:
                panels.append(Panel(method, dataset, measure, empty=_why_empty(measure, dataset, annotated_in)))
                continue
            auto, manual = g["auto"].to_numpy(float), g["manual"].to_numpy(float)
            ok = np.isfinite(auto) & np.isfinite(manual)
            panels.append(Panel(method, dataset, measure, auto[ok], manual[ok], bland_altman(auto, manual)))
    return panels


def _draw(ax, p: Panel, c: str) -> None:  # type: ignore[no-untyped-def]
    """Points, bias and limits of agreement with their values, n and the count removed."""
    if p.stats is None:
        ax.text(0.5, 0.5, p.empty, transform=ax.transAxes, ha="center", va="center", color="0.35", fontsize=7)
        ax.set_xticks([])
        ax.set_yticks([])
        return
    mean, diff, keep = (p.auto + p.manual) / 2, p.auto - p.manual, p.kept
    ax.scatter(mean[keep], diff[keep], s=10, color=c, edgecolors="none", alpha=0.85)
    if (~keep).any():
        ax.scatter(mean[~keep], diff[~keep], s=16, color=c, marker="x", linewidths=0.8)
    ax.axhline(0, color="0.75", linewidth=0.6, linestyle=":")
    ba, u = p.stats, p.unit
    lines = [(ba.mean_diff, "-", f"bias {ba.mean_diff:+.1f} {u}")]
    if np.isfinite(ba.sd_diff):
        lines += [(ba.loa_high, "--", f"+1.96 SD: {ba.loa_high:+.1f} {u}"),
                  (ba.loa_low, "--", f"-1.96 SD: {ba.loa_low:+.1f} {u}")]
    for y, style, text in lines:
        ax.axhline(y, color="black", linestyle=style, linewidth=0.8)
        ax.text(0.98, y, text, transform=ax.get_yaxis_transform(), ha="right", va="bottom", fontsize=6)
    if np.isfinite(ba.sd_diff):  # room above and below the limits for their labels
        pad = max(ba.loa_high - ba.loa_low, 1e-6) * 0.35
        low, high = min(diff.min(), ba.loa_low) - pad, max(diff.max(), ba.loa_high) + pad
        ax.set_ylim(low, high)
    count = f"n={ba.n}" + (f", {ba.removed} removed (x)" if ba.removed else "")
    ax.text(0.02, 0.03, count, transform=ax.transAxes, fontsize=6, va="bottom", color="0.2")
    ax.set_xlabel(f"mean of auto and manual ({u})")


def fig8_bland_altman(res: Results, path: Path) -> Path | None:
    """Bland-Altman plots: a row per method and dataset, a column per measure (LVEDV ... RVEF), units on the axes."""
    panels = ba_panels(res)
    if not panels:
        return None
    plt = _plt()
    rows = list(dict.fromkeys((p.method, p.dataset) for p in panels))
    datasets = sorted({d for _, d in rows})
    fig, axes = plt.subplots(len(rows), len(MEASURES), figsize=(2.5 * len(MEASURES), 2.3 * len(rows) + 0.5),
                             squeeze=False, layout="constrained")
    for p in panels:
        i, j = rows.index((p.method, p.dataset)), MEASURES.index(p.measure)
        ax = axes[i, j]
        _draw(ax, p, colour(datasets.index(p.dataset)))
        ax.set_title(f"{p.dataset} - {p.measure} ({p.unit})", fontsize=7)
        ylabel = f"auto - manual ({p.unit})" if p.stats is not None else ""
        ax.set_ylabel(f"{p.method}\n{ylabel}" if j == 0 else ylabel, fontsize=7)
    fig.supxlabel(NOTE, fontsize=6, wrap=True)
    return save_figure(fig, path)
