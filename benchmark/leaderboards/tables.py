"""The leaderboards of the study (Tables III-IX, Bland-Altman) as group-bys over the per-case table."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..clinical import MEASURES
from ..labels import STRUCTURES, parse_present
from ..registry import Registry
from ..results import Results
from ..stats import bland_altman, spearman

DASH = "–"


@dataclass
class Table:
    """A leaderboard: numbers for CSV (`tidy`), a formatted grid (`wide`), footnotes, or why it is absent."""

    name: str
    title: str
    tidy: pd.DataFrame = field(default_factory=pd.DataFrame)
    wide: pd.DataFrame = field(default_factory=pd.DataFrame)
    notes: list[str] = field(default_factory=list)
    absent: str = ""


Builder = Callable[[Results], Table]
LEADERBOARDS: Registry[Builder] = Registry("leaderboard")


def _fmt(mean: float, sd: float) -> str:
    return DASH if np.isnan(mean) else f"{mean:.3f} ({sd:.3f})" if not np.isnan(sd) else f"{mean:.3f}"


def _annotated(cases: pd.DataFrame) -> dict[str, set[str]]:
    """Structures annotated anywhere in each dataset."""
    out: dict[str, set[str]] = {}
    for ds, cell in zip(cases["dataset"], cases.get("labels_present", pd.Series([""] * len(cases)))):
        out.setdefault(ds, set()).update(parse_present(cell) or STRUCTURES)
    return out


def _dice_grid(cases: pd.DataFrame, index: list[str]) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """Mean (sd) Dice per index x dataset x structure, with a dash and a note where data is absent."""
    tidy = (cases.groupby([*index, "dataset", "structure"], dropna=False)["dice"]
            .agg(n="count", mean="mean", sd="std").reset_index())
    datasets = sorted(cases["dataset"].unique())
    annotated = _annotated(cases)
    columns = [(d, s) for d in datasets for s in STRUCTURES]
    rows = tidy[index].drop_duplicates().sort_values(index).itertuples(index=False)
    lookup = tidy.set_index([*index, "dataset", "structure"])
    grid, notes = [], []
    for key in rows:
        key = tuple(key)
        cells = {}
        for d, s in columns:
            k = (*key, d, s)
            cells[f"{d} {s}"] = _fmt(lookup.loc[k, "mean"], lookup.loc[k, "sd"]) if k in lookup.index else DASH
        grid.append({**dict(zip(index, key)), **cells})
    for d, s in columns:
        if s not in annotated.get(d, set()):
            notes.append(f"{DASH} {d} {s}: not annotated in {d}, so never scored (not counted as 0)")
    return tidy, pd.DataFrame(grid), notes


def register(name: str, title: str) -> Callable[[Builder], Builder]:
    """Register a leaderboard builder with its title."""

    def deco(fn: Builder) -> Builder:
        LEADERBOARDS.add(name, fn, origin="built-in", title=title)
        return fn

    return deco


def _empty(name: str, title: str, why: str) -> Table:
    return Table(name, title, absent=why)


def _dice_table(res: Results, name: str, index: list[str],
                prepare: Callable[[pd.DataFrame], pd.DataFrame] = lambda c: c) -> Table:
    """Mean (sd) Dice per `index` x dataset x structure, or an absent table when nothing was scored."""
    cases = res.with_methods()
    if cases.empty:
        return _empty(name, "", "no scored cases")
    tidy, wide, notes = _dice_grid(prepare(cases), index)
    return Table(name, "", tidy, wide, notes)


@register("table3_methods", "Table III: Dice per method, dataset and structure, mean (sd)")
def table3(res: Results) -> Table:
    return _dice_table(res, "table3_methods", ["method"])


def _with_params(cases: pd.DataFrame) -> pd.DataFrame:
    cases = cases.assign(parameters=cases.get("parameters", np.nan))
    cases["params (M)"] = (cases["parameters"].astype(float) / 1e6).round(3).astype(str).replace("nan", DASH)
    return cases


@register("table4_architectures", "Table IV: Dice per architecture (with its parameter count)")
def table4(res: Results) -> Table:
    return _dice_table(res, "table4_architectures", ["model", "params (M)", "policy"], _with_params)


@register("table5_ablation", "Table V: Dice per augmentation setting, with the operations that are on")
def table5(res: Results) -> Table:
    table = _dice_table(res, "table5_ablation", ["model", "policy"])
    if table.absent:
        return table
    ops_by_policy = {}
    for policy, ops in zip(res.jobs.get("policy", []), res.jobs.get("operations", [])):
        ops_by_policy[policy] = set(str(ops).split(";")) if isinstance(ops, str) and ops else set()
    all_ops = sorted(set().union(*ops_by_policy.values())) if ops_by_policy else []
    for op in reversed(all_ops):
        table.wide.insert(2, op, ["on" if op in ops_by_policy.get(p, set()) else DASH for p in table.wide["policy"]])
    return table


def _group_table(res: Results, name: str, groupings: list[tuple[str, str]]) -> Table:
    """Mean (sd) Dice and n per group, with the worst group per method, dataset and structure marked *."""
    cases = res.with_methods()
    frames, wides, notes = [], [], []
    for column, label in groupings:
        if cases.empty or column not in cases:
            continue
        c = cases.assign(group=cases[column].map(lambda v: DASH if pd.isna(v) or v == "" else
                                                   (f"{v:g}T" if column == "field_strength_t" else str(v))))
        tidy = (c.groupby(["method", "dataset", "group", "structure"])["dice"]
                .agg(n="count", mean="mean", sd="std").reset_index())
        tidy["worst"] = tidy.groupby(["method", "dataset", "structure"])["mean"].transform("min") == tidy["mean"]
        tidy.insert(0, "grouping", label)
        frames.append(tidy)
        for (method, dataset, group), g in tidy.groupby(["method", "dataset", "group"]):
            row = {"grouping": label, "method": method, "dataset": dataset, "group": group,
                   "n": int(g["n"].max())}
            for s in STRUCTURES:
                hit = g[g.structure == s]
                row[s] = DASH if hit.empty else _fmt(hit["mean"].iloc[0], hit["sd"].iloc[0]) + (
                    " *" if bool(hit["worst"].iloc[0]) and tidy[(tidy.method == method) & (tidy.dataset == dataset)
                                                               ]["group"].nunique() > 1 else "")
            wides.append(row)
    if not frames:
        return _empty(name, "", "no scored cases carry this metadata")
    notes.append("* the worst group of that method, dataset and structure; n = cases (subject x phase)")
    annotated = _annotated(cases)
    for d in sorted(annotated):
        for s in STRUCTURES:
            if s not in annotated[d]:
                notes.append(f"{DASH} {d} {s}: not annotated in {d}, so never scored (not counted as 0)")
    return Table(name, "", pd.concat(frames, ignore_index=True), pd.DataFrame(wides), notes)


@register("table6_scanner", "Table VI: Dice per vendor and per field strength")
def table6(res: Results) -> Table:
    return _group_table(res, "table6_scanner", [("vendor", "vendor"), ("field_strength_t", "field strength")])


@register("table7_site", "Table VII: Dice per site")
def table7(res: Results) -> Table:
    return _group_table(res, "table7_site", [("site", "site")])


@register("table8_pathology", "Table VIII: Dice per pathology group")
def table8(res: Results) -> Table:
    return _group_table(res, "table8_pathology", [("pathology", "pathology")])


NO_CLINICAL = "no subject has both ED and ES scored, so no clinical measure"


def _per_measure(res: Results, stat: Callable[[np.ndarray, np.ndarray], dict]) -> pd.DataFrame:
    """`stat(auto, manual)` per method, dataset and clinical measure (empty when there are none)."""
    clin = res.clinical
    if clin.empty:
        return pd.DataFrame()
    names = res.jobs.set_index("job")["method"] if "method" in res.jobs else pd.Series(dtype=str)
    clin = clin.assign(method=clin["job"].map(names).fillna(clin["job"]),
                       measure=pd.Categorical(clin["measure"].astype(str), MEASURES, ordered=True))
    rows = [{"method": method, "dataset": dataset, "measure": measure,
             **stat(g["auto"].to_numpy(), g["manual"].to_numpy())}
            for (method, dataset, measure), g in clin.groupby(["method", "dataset", "measure"], observed=True)]
    return pd.DataFrame(rows)


def _spearman(auto: np.ndarray, manual: np.ndarray) -> dict:
    rho, p, n = spearman(auto, manual)
    return {"n": n, "rho": rho, "p": p}


def _bland_altman(auto: np.ndarray, manual: np.ndarray) -> dict:
    ba = bland_altman(auto, manual)
    return {"n": ba.n, "removed": ba.removed, "mean_diff": ba.mean_diff, "sd": ba.sd_diff, "loa_low": ba.loa_low,
            "loa_high": ba.loa_high}


@register("table9_correlation", "Table IX: Spearman correlation of clinical measures, automatic vs manual")
def table9(res: Results) -> Table:
    tidy = _per_measure(res, _spearman)
    if tidy.empty:
        return _empty("table9_correlation", "", NO_CLINICAL)
    wide = tidy.assign(cell=[DASH if np.isnan(r) else f"{r:.3f} (p={p:.2g}, n={n})"
                             for r, p, n in zip(tidy.rho, tidy.p, tidy.n)])
    wide = wide.pivot_table(index=["method", "dataset"], columns="measure", values="cell", aggfunc="first",
                            observed=True).reset_index()
    wide.columns.name = None
    wide = wide[["method", "dataset", *[m for m in MEASURES if m in wide.columns]]]
    missing = [m for m in MEASURES if m not in wide.columns]
    notes = [f"{DASH} {', '.join(missing)}: no dataset annotates the structures they need"] if missing else []
    return Table("table9_correlation", "", tidy, wide.fillna(DASH), notes)


@register("bland_altman", "Bland-Altman: mean difference (auto - manual), SD and 95 % limits of agreement")
def bland_altman_table(res: Results) -> Table:
    tidy = _per_measure(res, _bland_altman)
    if tidy.empty:
        return _empty("bland_altman", "", NO_CLINICAL)
    wide = tidy.copy()
    for c in ("mean_diff", "sd", "loa_low", "loa_high"):
        wide[c] = wide[c].map(lambda v: DASH if np.isnan(v) else f"{v:.2f}")
    notes = ["pairs whose mean lies outside 1.5 x IQR of the means are removed first; 'removed' counts them",
             "units: mL for volumes, g for LVM, percentage points for EF"]
    return Table("bland_altman", "", tidy, wide, notes)


def build_all(res: Results, names: list[str] | None = None) -> list[Table]:
    """Every registered leaderboard (or those named), titled."""
    tables = []
    wanted = {LEADERBOARDS.resolve(n) for n in names} if names else None
    for e in sorted(LEADERBOARDS.entries(), key=lambda e: (e.name == "bland_altman", e.name)):
        if wanted is not None and e.name not in wanted:
            continue
        t = e.obj(res)
        t.title = t.title or e.meta["title"]
        tables.append(t)
    return tables
