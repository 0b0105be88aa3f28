"""Clinical measures per subject from its ED and ES frames: volumes, ejection fractions, LV mass."""
from __future__ import annotations

from collections.abc import Callable

import pandas as pd

MYO_DENSITY_G_PER_ML = 1.05
MEASURES = ("LVEDV", "LVESV", "LVEF", "LVM", "RVEDV", "RVESV", "RVEF")
KEYS = ["job", "dataset", "subject"]
UNITS = {"LVEDV": "mL", "LVESV": "mL", "LVEF": "%", "LVM": "g", "RVEDV": "mL", "RVESV": "mL", "RVEF": "%"}
# the structure and the phases each measure is computed from
NEEDS = {"LVEDV": ("LV", ("ED",)), "LVESV": ("LV", ("ES",)), "LVEF": ("LV", ("ED", "ES")), "LVM": ("MYO", ("ED",)),
         "RVEDV": ("RV", ("ED",)), "RVESV": ("RV", ("ES",)), "RVEF": ("RV", ("ED", "ES"))}


def _ef(edv: float, esv: float) -> float:
    return 100.0 * (edv - esv) / edv if edv > 0 else float("nan")


def _values(get: Callable[[str, str, str], float], kind: str) -> dict[str, float]:
    """The seven measures of one subject from its volumes of one kind (vol_pred_ml or vol_ref_ml)."""
    lvedv, lvesv = get(kind, "LV", "ED"), get(kind, "LV", "ES")
    rvedv, rvesv = get(kind, "RV", "ED"), get(kind, "RV", "ES")
    return {"LVEDV": lvedv, "LVESV": lvesv, "LVEF": _ef(lvedv, lvesv),
            "LVM": get(kind, "MYO", "ED") * MYO_DENSITY_G_PER_ML,
            "RVEDV": rvedv, "RVESV": rvesv, "RVEF": _ef(rvedv, rvesv)}


def clinical_measures(cases: pd.DataFrame) -> pd.DataFrame:
    """From per-structure volumes (cases.csv rows): one row per job, dataset, subject and measure (auto, manual).

    With a `selection` column in cases, each model-selection rule of a job gets its own rows (and that column)."""
    keys = KEYS + (["selection"] if "selection" in cases.columns else [])
    if cases.empty:
        return pd.DataFrame(columns=[*keys, "measure", "auto", "manual"])
    if "selection" in keys:
        cases = cases.assign(selection=cases["selection"].fillna("source_val"))
    vol = cases.pivot_table(index=[*keys, "phase"], columns="structure", values=["vol_pred_ml", "vol_ref_ml"],
                            aggfunc="first")
    rows = []
    levels = list(range(len(keys)))
    for key, group in vol.groupby(level=levels):
        g = group.droplevel(levels)

        def get(kind: str, structure: str, phase: str) -> float:
            col = (kind, structure)
            return float(g.loc[phase, col]) if phase in g.index and col in g.columns else float("nan")

        for src, kind in (("auto", "vol_pred_ml"), ("manual", "vol_ref_ml")):
            for measure, value in _values(get, kind).items():
                rows.append({**dict(zip(keys, key)), "measure": measure, "source": src, "value": value})
    long = pd.DataFrame(rows)
    wide = long.pivot_table(index=[*keys, "measure"], columns="source", values="value", aggfunc="first").reset_index()
    wide = wide.dropna(subset=["auto", "manual"])
    wide["measure"] = pd.Categorical(wide["measure"], MEASURES, ordered=True)
    return wide.sort_values([*keys, "measure"]).reset_index(drop=True)[[*keys, "measure", "auto", "manual"]]
