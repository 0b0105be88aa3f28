"""Table X (Dice under graded shifts, mean corruption error) and the Dice-against-severity curves.

Shifted cases live in results/shifts.csv, apart from cases.csv: a shifted case is never pooled with a clean one.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..labels import STRUCTURES
from ..results import Results, selections
from .cases import case_frame, parse_present, seeds_note, selection_note
from .cells import CELL_NOTE, DASH, cell_text, summarise
from .tables import Table, register

KEYS = ["job", "dataset", "subject", "phase"]
NO_SHIFTS = "no graded shifts in this result set (set evaluation.shifts in the suite)"
CE_NOTE = ("CE: corruption error as ImageNet-C defines it (Hendrycks and Dietterich, ICLR 2019): the method's error "
           "(1 - mean Dice) summed over severities, divided by the reference method's; mCE: its mean over shifts; "
           "relative mCE uses the error above each method's own clean error; 100 % = as robust as the reference")


def shift_frame(res: Results) -> pd.DataFrame:
    """Shifted rows with their method, scored=True, plus a Dice-0 scored=False row for each expected case x shift
    x severity without a score (expected: the target's clean expected cases, at every severity scored)."""
    shifted = res.shifts.copy()
    jobs = res.jobs.drop_duplicates("job").set_index("job")["method"] if "method" in res.jobs else pd.Series()
    shifted["job"] = shifted["job"].astype(str)
    shifted["method"] = shifted["job"].map(jobs).fillna(shifted["job"])
    shifted["subject"] = shifted["subject"].astype(str)
    shifted["severity"] = shifted["severity"].astype(int)
    shifted = shifted.assign(scored=True, selection=selections(shifted))
    levels = shifted[["job", "dataset", "method", "shift", "severity"]].drop_duplicates()
    expected = res.expected_cases()
    if expected.empty:
        return shifted
    exp = expected.assign(**{c: expected[c].astype(str) for c in KEYS}).drop_duplicates(KEYS)
    exp = exp.merge(levels, on=["job", "dataset"])
    hit = shifted[[*KEYS, "shift", "severity"]].drop_duplicates().assign(_hit=True)
    exp = exp.merge(hit, on=[*KEYS, "shift", "severity"], how="left")
    exp = exp[exp["_hit"].isna()].drop(columns="_hit")
    if exp.empty:
        return shifted
    exp["structure"] = [list(parse_present(p) or STRUCTURES) for p in exp.get("labels_present", [""] * len(exp))]
    exp = exp.explode("structure").assign(dice=0.0, scored=False)
    return pd.concat([shifted, exp.reindex(columns=shifted.columns)], ignore_index=True).assign(
        scored=lambda f: f["scored"].astype(bool))


def clean_frame(res: Results, shifted: pd.DataFrame) -> pd.DataFrame:
    """The clean cases of the jobs, targets and selection rule that were shifted, as severity 0."""
    clean = case_frame(res)
    pairs = shifted[["job", "dataset", "selection"]].drop_duplicates()
    clean = clean.assign(job=clean["job"].astype(str)).merge(pairs, on=["job", "dataset", "selection"])
    return clean.assign(shift="clean", severity=0)


def reference_method(shifted: pd.DataFrame, methods: list[str]) -> tuple[str | None, str]:
    """The method CE is relative to: the suite's evaluation.shift_reference, else the only one with policy none."""
    named = shifted.get("reference", pd.Series(dtype=str)).dropna().astype(str)
    named = named[named != ""]
    if not named.empty:
        ref = named.iloc[0]
        return (ref, "") if ref in methods else (None, f"reference method '{ref}' is not in this result set")
    none = sorted({m for m, p in zip(shifted["method"], shifted["policy"]) if p == "none"})
    if len(none) == 1:
        return none[0], ""
    return None, "no CE: name the reference method in evaluation.shift_reference"


def corruption_errors(tidy: pd.DataFrame, clean: pd.DataFrame, reference: str) -> pd.DataFrame:
    """CE per method, dataset and shift, and relative CE, from mean Dice per severity (tidy) and clean Dice."""
    err = tidy.assign(error=1.0 - tidy["mean"])
    sums = err.groupby(["method", "dataset", "shift"])["error"].agg(["sum", "count"]).reset_index()
    base = (1.0 - clean.set_index(["method", "dataset"])["mean"]).rename("clean_error")
    sums = sums.join(base, on=["method", "dataset"])
    sums["relative"] = sums["sum"] - sums["count"] * sums["clean_error"]
    ref = sums[sums["method"] == reference].set_index(["dataset", "shift"])[["sum", "relative"]]
    sums = sums.join(ref.add_suffix("_ref"), on=["dataset", "shift"])
    sums["CE"] = 100 * sums["sum"] / sums["sum_ref"]
    sums["relative CE"] = 100 * sums["relative"] / sums["relative_ref"].where(sums["relative_ref"] > 0)
    return sums[["method", "dataset", "shift", "CE", "relative CE"]]


@register("table10_shifts", "Table X: Dice under graded shifts (mean over severities), and corruption error")
def table10(res: Results, missing: str = "exclude") -> Table:
    if res.shifts.empty:
        return Table("table10_shifts", "", absent=NO_SHIFTS)
    shifted = shift_frame(res)
    clean = clean_frame(res, shifted)
    tidy = summarise(shifted, ["method", "dataset", "shift", "severity"], missing)
    per_shift = summarise(shifted, ["method", "dataset", "shift"], missing)
    overall = summarise(shifted, ["method", "dataset"], missing)
    clean_cells = summarise(clean, ["method", "dataset"], missing) if not clean.empty else overall.iloc[:0]
    ref, why = reference_method(shifted, sorted(shifted["method"].unique()))
    ce = corruption_errors(tidy, clean_cells, ref) if ref else pd.DataFrame()
    shifts = sorted(shifted["shift"].unique())
    grid = []
    for (method, dataset), row in overall.set_index(["method", "dataset"]).iterrows():
        line = {"method": method, "dataset": dataset}
        hit = clean_cells[(clean_cells["method"] == method) & (clean_cells["dataset"] == dataset)]
        line["clean"] = cell_text(hit.iloc[0]) if not hit.empty else DASH
        for s in shifts:
            cell = per_shift[(per_shift["method"] == method) & (per_shift["dataset"] == dataset)
                             & (per_shift["shift"] == s)]
            line[s] = cell_text(cell.iloc[0]) if not cell.empty else DASH
        line["mean over shifts"] = cell_text(row)
        if not ce.empty:
            mine = ce[(ce["method"] == method) & (ce["dataset"] == dataset)]
            line["mCE %"] = f"{mine['CE'].mean():.1f}" if not mine.empty else DASH
            line["relative mCE %"] = f"{mine['relative CE'].mean():.1f}" if mine["relative CE"].notna().any() \
                else DASH
        grid.append(line)
    severities = sorted(shifted["severity"].unique())
    notes = [CELL_NOTE.replace("mean Dice", "mean Dice (over structures, and for a shift over its severities)"),
             f"severities {', '.join(map(str, severities))} of each shift (levels: `cmrbench list shifts`); "
             "results/table10_shifts.csv has every severity; clean: the same cases, jobs and rule without a shift",
             selection_note(shifted), seeds_note(shifted),
             CE_NOTE + (f"; reference: {ref}" if ref else f"; {why}")]
    if not ce.empty:
        tidy = tidy.merge(ce, on=["method", "dataset", "shift"], how="left")
    return Table("table10_shifts", "", tidy, pd.DataFrame(grid), notes + list(res.notes))


def fig_shift_curves(res: Results, path: Path) -> Path | None:
    """Mean Dice against severity (0: clean), one panel per shift, one line per method and target."""
    if res.shifts.empty:
        return None
    from .plotting import _plt, colour, save_figure

    shifted = shift_frame(res)
    frame = pd.concat([shifted, clean_frame(res, shifted)], ignore_index=True)
    frame = frame[frame["scored"]]
    means = (frame.groupby(["method", "dataset", "shift", "severity", "subject"])["dice"].mean()
             .groupby(["method", "dataset", "shift", "severity"]).mean().reset_index())
    shifts = sorted(shifted["shift"].unique())
    plt = _plt()
    cols = min(5, len(shifts))
    rows = int(np.ceil(len(shifts) / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(3.2 * cols, 2.8 * rows), squeeze=False, sharey=True)
    lines = sorted(means[["method", "dataset"]].drop_duplicates().itertuples(index=False))
    colours = [colour(i) for i in range(len(lines))]
    for ax, s in zip(axes.flat, shifts):
        for line_colour, (method, dataset) in zip(colours, lines):
            pts = means[(means["method"] == method) & (means["dataset"] == dataset)
                        & means["shift"].isin([s, "clean"])].sort_values("severity")
            ax.plot(pts["severity"], pts["dice"], "o-", color=line_colour, label=f"{method} on {dataset}", ms=3)
        ax.set_title(s, fontsize=9)
        ax.set_xlabel("severity (0: clean)", fontsize=8)
        ax.set_xticks(range(0, 6))
        ax.grid(alpha=0.3)
    for ax in axes.flat[len(shifts):]:
        ax.axis("off")
    axes[0, 0].set_ylabel("mean Dice over subjects")
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=min(4, len(labels)), fontsize=8, frameon=False)
    fig.tight_layout(rect=(0, 0.06 + 0.03 * (len(labels) // 4), 1, 1))
    return save_figure(fig, path)
