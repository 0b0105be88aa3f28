"""The Dice leaderboards of the study (Tables III-VIII) as group-bys over the per-case table, and the registry."""
from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..labels import STRUCTURES
from ..registry import Registry
from ..results import Results
from .best import best_cells, best_rule
from .cases import annotation_notes, case_frame, check_missing, count_note, seeds_note, selection_note, split_selection
from .cells import ASSD, DASH, DICE, HD95, Metric, case_counts, cell_note, cell_text, summarise

MIN_GROUP_N = 5  # subjects a group needs before it can be named the worst


@dataclass
class Table:
    """A leaderboard: numbers for CSV (`tidy`), a formatted grid (`wide`), footnotes, or why it is absent.

    `bold` marks the best cells of `wide` (same index; a column it lacks has none), as one of its notes says."""

    name: str
    title: str
    tidy: pd.DataFrame = field(default_factory=pd.DataFrame)
    wide: pd.DataFrame = field(default_factory=pd.DataFrame)
    notes: list[str] = field(default_factory=list)
    absent: str = ""
    bold: pd.DataFrame = field(default_factory=pd.DataFrame)

    def is_bold(self, row: object, column: str) -> bool:
        """Whether the cell of `wide` at (index label row, column) is one of the best."""
        return column in self.bold.columns and row in self.bold.index and bool(self.bold.at[row, column])


Builder = Callable[..., Table]  # (res: Results[, missing: str]) -> Table
LEADERBOARDS: Registry[Builder] = Registry("leaderboard")


def register(name: str, title: str) -> Callable[[Builder], Builder]:
    """Register a leaderboard builder with its title."""

    def deco(fn: Builder) -> Builder:
        LEADERBOARDS.add(name, fn, origin="built-in", title=title)
        return fn

    return deco


def _empty(name: str, title: str, why: str) -> Table:
    return Table(name, title, absent=why)


def table_notes(frame: pd.DataFrame, res: Results, missing: str, metric: Metric = DICE) -> list[str]:
    """The notes every Dice table carries: cell, selection rule, seeds, counts, annotations, merge warnings."""
    return [cell_note(metric), selection_note(frame), seeds_note(frame), count_note(frame, missing),
            *annotation_notes(frame), *res.notes]


def _metric_grid(frame: pd.DataFrame, index: list[str], missing: str,
                 metric: Metric) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Tidy cell statistics per index x dataset x structure, the wide grid of their texts and its bold cells."""
    tidy = summarise(frame, [*index, "dataset", "structure"], missing, metric)
    counts = case_counts(frame, index).set_index(index)["scored"]
    lookup = tidy.set_index([*index, "dataset", "structure"])
    columns = [(d, s) for d in sorted(frame["dataset"].unique()) for s in STRUCTURES]
    grid, stats = [], []
    for key in tidy[index].drop_duplicates().itertuples(index=False):
        key = tuple(key)
        found = {f"{d} {s}": lookup.loc[(*key, d, s)] for d, s in columns if (*key, d, s) in lookup.index}
        cells = {f"{d} {s}": cell_text(found[f"{d} {s}"], metric) if f"{d} {s}" in found else DASH
                 for d, s in columns}
        grid.append({**dict(zip(index, key)), "scored": counts.loc[key if len(key) > 1 else key[0]], **cells})
        stats.append(found)
    return tidy, pd.DataFrame(grid), _bold(stats, [f"{d} {s}" for d, s in columns], metric)


_NO_CELL = {"mean": np.nan, "ci_low": np.nan, "ci_high": np.nan, "n_subjects": 0}


def _bold(stats: list[dict[str, pd.Series]], columns: list[str], metric: Metric) -> pd.DataFrame:
    """The bold cells of each column, from the statistics of each row's cells (rows in the grid's order)."""
    return pd.DataFrame({c: best_cells(pd.DataFrame([dict(row[c]) if c in row else _NO_CELL for row in stats]),
                                       metric) for c in columns}, index=range(len(stats)))


def _pools_methods(frame: pd.DataFrame, index: list[str]) -> bool:
    return "method" not in index and bool((frame.groupby(index, dropna=False)["method"].nunique() > 1).any())


def dice_table(res: Results, name: str, index: list[str], missing: str = "exclude", oracle: bool = False,
               prepare: Callable[[pd.DataFrame], pd.DataFrame] = lambda c: c, metric: Metric = DICE) -> Table:
    """`metric` (Dice unless told) cells per `index` x dataset x structure (non-oracle rows, or oracle rows only),
    the best of each column bold, or an absent table."""
    check_missing(missing)
    frame, extra = split_selection(case_frame(res), oracle)
    if frame.empty:
        why = "no oracle-selected rows (cases.csv has no selection=oracle)" if oracle else "no scored cases"
        return _empty(name, "", why)
    frame = prepare(frame)
    index = [*index, *extra]
    if _pools_methods(frame, index):  # two result sets share a model and policy: keep their rows apart
        index = ["method", *index]
    tidy, wide, bold = _metric_grid(frame, index, missing, metric)
    return Table(name, "", tidy, wide, [*table_notes(frame, res, missing, metric), best_rule(metric)], bold=bold)


@register("table3_methods", "Table III: Dice per method, dataset and structure")
def table3(res: Results, missing: str = "exclude") -> Table:
    return dice_table(res, "table3_methods", ["method"], missing)


@register("table3_oracle", "Table III (oracle selection): Dice with the checkpoint chosen on labelled target data "
                           "— an upper bound, not a valid domain-generalisation result")
def table3_oracle(res: Results, missing: str = "exclude") -> Table:
    table = dice_table(res, "table3_oracle", ["method"], missing, oracle=True)
    if not table.absent:
        table.notes.insert(0, "oracle selection sees labelled target data: an upper bound on what selection could "
                              "reach, kept apart from Table III as DomainBed keeps its selection methods apart")
    return table


DISTANCE_NOTES = ("a structure present in the reference and missed by the prediction (or the reverse) has the "
                  "image's diagonal in mm as its distance, so a miss never improves a mean; a structure empty in both "
                  "is not scored",
                  "an expected case without a usable prediction has no distance: it is counted ('a/b scored') and left "
                  "out whatever --missing says (--missing fail scores Dice only)")


def distance_table(res: Results, name: str, metric: Metric, missing: str = "exclude") -> Table:
    """Table III's layout for a surface distance in mm (lower is better), unscored cases always left out."""
    table = dice_table(res, name, ["method"], "exclude", metric=metric)
    if not table.absent:
        table.notes[3:3] = list(DISTANCE_NOTES)
    return table


@register("table3_hd95", "Table III (HD95): 95th-percentile Hausdorff distance in mm per method, dataset and structure")
def table3_hd95(res: Results, missing: str = "exclude") -> Table:
    return distance_table(res, "table3_hd95", HD95, check_missing(missing))


@register("table3_assd", "Table III (ASSD): average symmetric surface distance in mm per method, dataset and "
                         "structure")
def table3_assd(res: Results, missing: str = "exclude") -> Table:
    return distance_table(res, "table3_assd", ASSD, check_missing(missing))


def _with_params(cases: pd.DataFrame) -> pd.DataFrame:
    cases = cases.assign(parameters=cases.get("parameters", np.nan))
    cases["params (M)"] = (cases["parameters"].astype(float) / 1e6).round(3).astype(str).replace("nan", DASH)
    return cases


def with_algorithm(res: Results, index: list[str]) -> list[str]:
    """`index` plus the algorithm column where the results hold more than plain erm (older sets have none)."""
    names = set(res.jobs["algorithm"].dropna().astype(str)) if "algorithm" in res.jobs else set()
    return [*index, "algorithm"] if names - {"erm", ""} else index


@register("table4_architectures", "Table IV: Dice per architecture (with its parameter count)")
def table4(res: Results, missing: str = "exclude") -> Table:
    return dice_table(res, "table4_architectures", with_algorithm(res, ["model", "params (M)", "policy"]), missing,
                      prepare=_with_params)


def _parts(res: Results, key: str, column: str) -> dict[str, set[str]]:
    """What is on, per policy (its operations) or per algorithm (its parts), from jobs.csv."""
    if key not in res.jobs or column not in res.jobs:
        return {}
    return {str(k): set(v.split(";")) if isinstance(v, str) and v else set()
            for k, v in zip(res.jobs[key], res.jobs[column])}


@register("table5_ablation", "Table V: Dice per augmentation setting and algorithm, with the operations and "
                             "algorithm parts that are on")
def table5(res: Results, missing: str = "exclude") -> Table:
    table = dice_table(res, "table5_ablation", with_algorithm(res, ["model", "policy"]), missing)
    if table.absent:
        return table
    at = list(table.wide.columns).index("scored")
    for key, column in (("algorithm", "algorithm_parts"), ("policy", "operations")):
        on = _parts(res, key, column)
        if key not in table.wide:
            continue
        for part in sorted(set().union(*on.values()), reverse=True) if on else []:
            table.wide.insert(at, part, ["on" if part in on.get(str(k), set()) else DASH for k in table.wide[key]])
    return table


def _group_label(column: str) -> Callable[[object], str]:
    def label(v: Any) -> str:  # a table cell: None, NaN, a number or a string
        if v is None or (isinstance(v, float) and np.isnan(v)) or v == "":
            return DASH
        return f"{float(v):g}T" if column == "field_strength_t" else str(v)

    return label


def mark_worst(tidy: pd.DataFrame, keys: list[str], min_n: int = MIN_GROUP_N) -> pd.Series:
    """True for the lowest mean among groups of at least min_n subjects, where two or more such groups exist."""
    eligible = (tidy["n_subjects"] >= min_n) & tidy["mean"].notna()
    means = tidy["mean"].where(eligible)
    lowest = means.groupby([tidy[k] for k in keys], dropna=False).transform("min")
    count = eligible.groupby([tidy[k] for k in keys], dropna=False).transform("sum")
    return eligible & (count >= 2) & (means == lowest)


def _group_rows(tidy: pd.DataFrame, counts: pd.DataFrame, keys: list[str], label: str) -> list[dict]:
    rows = []
    counts = counts.set_index([*keys, "group"])["scored"]
    for key, g in tidy.groupby([*keys, "group"], sort=True, dropna=False):
        row = {"grouping": label, **dict(zip([*keys, "group"], key)), "n": int(g["n_subjects"].max()),
               "scored": counts.loc[key]}
        for s in STRUCTURES:
            hit = g[g.structure == s]
            row[s] = DASH if hit.empty else cell_text(hit.iloc[0]) + (" *" if bool(hit["worst"].iloc[0]) else "")
        rows.append(row)
    return rows


def group_table(res: Results, name: str, groupings: list[tuple[str, str]], missing: str = "exclude") -> Table:
    """Dice cells and n (subjects) per group, the worst group of at least MIN_GROUP_N subjects marked *."""
    check_missing(missing)
    frame, extra = split_selection(case_frame(res), oracle=False)
    keys = ["method", *extra, "dataset"]
    frames, wides = [], []
    for column, label in groupings:
        if frame.empty or column not in frame:
            continue
        c = frame.assign(group=frame[column].map(_group_label(column)))
        tidy = summarise(c, [*keys, "group", "structure"], missing)
        tidy["worst"] = mark_worst(tidy, [*keys, "structure"])
        wides += _group_rows(tidy, case_counts(c, [*keys, "group"]), keys, label)
        frames.append(tidy.assign(grouping=label)[["grouping", *tidy.columns]])
    if not frames:
        return _empty(name, "", "no scored cases carry this metadata")
    notes = [f"* the worst group of that method, dataset and structure among groups of at least {MIN_GROUP_N} "
             f"subjects (smaller groups are never marked); n = subjects", *table_notes(frame, res, missing)]
    return Table(name, "", pd.concat(frames, ignore_index=True), pd.DataFrame(wides), notes)


@register("table6_scanner", "Table VI: Dice per vendor and per field strength")
def table6(res: Results, missing: str = "exclude") -> Table:
    return group_table(res, "table6_scanner", [("vendor", "vendor"), ("field_strength_t", "field strength")],
                       missing)


@register("table7_site", "Table VII: Dice per site")
def table7(res: Results, missing: str = "exclude") -> Table:
    return group_table(res, "table7_site", [("site", "site")], missing)


@register("table8_pathology", "Table VIII: Dice per pathology group")
def table8(res: Results, missing: str = "exclude") -> Table:
    return group_table(res, "table8_pathology", [("pathology", "pathology")], missing)


FIRST = {"table3_methods": 0, "table3_hd95": 1, "table3_assd": 2}  # Table III, then its distances, then the rest


def _natural(name: str) -> list:
    """A sort key in which table10 follows table9 (digit runs compare as numbers)."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name)]


def _order(name: str) -> tuple:
    """Where a table goes: by number, Table III's own tables first, Bland-Altman last."""
    number = _natural(name)[:2]
    return name == "bland_altman", number, FIRST.get(name, len(FIRST)), _natural(name)


def build_all(res: Results, names: list[str] | None = None, missing: str = "exclude") -> list[Table]:
    """Every registered leaderboard (or those named), titled; `missing` goes to builders that accept it."""
    check_missing(missing)
    tables = []
    wanted = {LEADERBOARDS.resolve(n) for n in names} if names else None
    for e in sorted(LEADERBOARDS.entries(), key=lambda e: _order(e.name)):
        if wanted is not None and e.name not in wanted:
            continue
        takes_missing = "missing" in inspect.signature(e.obj).parameters
        t = e.obj(res, missing=missing) if takes_missing else e.obj(res)
        t.title = t.title or e.meta["title"]
        tables.append(t)
    return tables
