"""Clinical measures per subject from its ED and ES frames: volumes, ejection fractions, LV mass."""
from __future__ import annotations

import numpy as np
import pandas as pd

MYO_DENSITY_G_PER_ML = 1.05
MEASURES = ("LVEDV", "LVESV", "LVEF", "LVM", "RVEDV", "RVESV", "RVEF")
KEYS = ["job", "dataset", "subject"]


def _ef(edv: float, esv: float) -> float:
    return 100.0 * (edv - esv) / edv if edv > 0 else float("nan")


def clinical_measures(cases: pd.DataFrame) -> pd.DataFrame:
    """From per-structure volumes (cases.csv rows): one row per job, dataset, subject and measure (auto, manual)."""
    if cases.empty:
        return pd.DataFrame(columns=[*KEYS, "measure", "auto", "manual"])
    vol = cases.pivot_table(index=[*KEYS, "phase"], columns="structure", values=["vol_pred_ml", "vol_ref_ml"],
                            aggfunc="first")
    rows = []
    for key, group in vol.groupby(level=[0, 1, 2]):
        g = group.droplevel([0, 1, 2])

        def get(kind: str, structure: str, phase: str) -> float:
            col = (kind, structure)
            return float(g.loc[phase, col]) if phase in g.index and col in g.columns else float("nan")

        for src, kind in (("auto", "vol_pred_ml"), ("manual", "vol_ref_ml")):
            lvedv, lvesv = get(kind, "LV", "ED"), get(kind, "LV", "ES")
            rvedv, rvesv = get(kind, "RV", "ED"), get(kind, "RV", "ES")
            values = {"LVEDV": lvedv, "LVESV": lvesv, "LVEF": _ef(lvedv, lvesv),
                      "LVM": get(kind, "MYO", "ED") * MYO_DENSITY_G_PER_ML,
                      "RVEDV": rvedv, "RVESV": rvesv, "RVEF": _ef(rvedv, rvesv)}
            for measure, value in values.items():
                rows.append({**dict(zip(KEYS, key)), "measure": measure, "source": src, "value": value})
    long = pd.DataFrame(rows)
    wide = long.pivot_table(index=[*KEYS, "measure"], columns="source", values="value", aggfunc="first").reset_index()
    wide = wide.dropna(subset=["auto", "manual"])
    wide["measure"] = pd.Categorical(wide["measure"], MEASURES, ordered=True)
    return wide.sort_values([*KEYS, "measure"]).reset_index(drop=True)[[*KEYS, "measure", "auto", "manual"]]
