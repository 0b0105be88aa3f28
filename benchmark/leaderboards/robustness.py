"""Tables XI-XIII (calibration, failure detection, clinical decisions) and the reliability diagram, per target.

Each table reports clean data (shift '') unless built with shifted=True, which adds shift and severity as keys."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..bootstrap import N_RESAMPLES
from ..results import Results, selections
from ..robustness.calibration import BINS, MARGIN_MM, ece, ece_interval, reliability, subject_bins
from ..robustness.decisions import (
    INTEROBSERVER,
    PRESERVED_MIN,
    REDUCED_MAX,
    Limit,
    beyond_limit_share,
    cohen_kappa,
    ef_category,
    flip_share,
    kappa_interval,
)
from ..robustness.failure import aurc, optimal_aurc, uncertainty_dice_spearman
from .cases import ORACLE, seeds_note, selection_note
from .cells import DASH
from .clinical_tables import NO_CLINICAL, SEEDS_AVERAGED, clinical_rows, per_subject
from .tables import Table, register

NO_CALIBRATION = "no calibration.csv in this result set (an evaluation without calibration, or an older result set)"
NO_UNCERTAINTY = "cases.csv has no per-case uncertainty (an evaluation without it, or an older result set)"
SHIFT_KEYS = ["shift", "severity"]
TEMPERATURES = {"1": "ECE (T=1)", "fitted": "ECE (fitted T)"}
INTERVAL = f"95 % percentile bootstrap interval, {N_RESAMPLES} resamples of subjects, fixed seed"


def with_shift(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with `shift` ('' for clean data) and `severity` (0 for clean data), filled where absent."""
    shift = frame["shift"] if "shift" in frame else pd.Series("", index=frame.index)
    severity = frame["severity"] if "severity" in frame else pd.Series(0, index=frame.index)
    return frame.assign(shift=shift.astype(object).fillna("").astype(str),
                        severity=pd.to_numeric(severity, errors="coerce").fillna(0).astype(int))


def _job_column(res: Results, frame: pd.DataFrame, column: str) -> pd.Series:
    jobs = res.jobs.drop_duplicates("job").set_index("job") if "job" in res.jobs else pd.DataFrame()
    if column not in jobs:
        return pd.Series(np.nan, index=frame.index)
    return frame["job"].astype(str).map(jobs[column].set_axis(jobs.index.astype(str)))


def _labelled(res: Results, frame: pd.DataFrame) -> pd.DataFrame:
    """Rows with method, seed, selection, shift and severity; oracle-selected rows left out."""
    frame = with_shift(frame)
    frame = frame.assign(method=_job_column(res, frame, "method").fillna(frame["job"].astype(str)),
                         seed=_job_column(res, frame, "seed"), selection=selections(frame))
    return frame[frame["selection"] != ORACLE]


def _scope(frame: pd.DataFrame, shifted: bool) -> tuple[pd.DataFrame, list[str], list[str]]:
    """Clean rows only (or all, keyed by shift and severity), the extra keys, and a note on what was left out."""
    if shifted:
        return frame, SHIFT_KEYS, ["rows per shift and severity (shift – = clean data)"]
    shifted_rows = frame[frame["shift"] != ""]
    notes = []
    if not shifted_rows.empty:
        names = ", ".join(sorted(shifted_rows["shift"].unique()))
        notes.append(f"clean data only: {len(shifted_rows)} rows under graded shifts ({names}) are left out here")
    return frame[frame["shift"] == ""], [], notes


def _keys(frame: pd.DataFrame, shift_keys: list[str]) -> list[str]:
    extra = ["selection"] if frame["selection"].nunique() > 1 else []
    return ["method", *extra, *shift_keys, "dataset"]


def _fmt(v: float, digits: int = 3) -> str:
    return DASH if v is None or not np.isfinite(v) else f"{v:.{digits}f}"


def _interval_text(value: float, low: float, high: float, n: int) -> str:
    if not np.isfinite(value):
        return DASH
    return f"{value:.3f} [{_fmt(low)}, {_fmt(high)}] n={n}"


def _setting(frame: pd.DataFrame, column: str, default: float, unit: str) -> str:
    values = sorted(set(pd.to_numeric(frame[column], errors="coerce").dropna())) if column in frame else []
    if not values:
        return f"{default:g} {unit} (the default; calibration.csv does not record it)"
    return ", ".join(f"{v:g} {unit}" for v in values)


def _shift_label(wide: pd.DataFrame) -> pd.DataFrame:
    if "shift" in wide:
        wide["shift"] = wide["shift"].replace("", DASH)
    return wide


@register("table11_calibration", "Table XI: classwise expected calibration error (ECE) per method, target and "
                                 "structure, before and after temperature scaling")
def table11(res: Results, shifted: bool = False) -> Table:
    """ECE per method x target x structure x temperature, pooled over voxels, with a subject bootstrap interval."""
    name = "table11_calibration"
    if res.calibration.empty:
        return Table(name, "", absent=NO_CALIBRATION)
    frame, shift_keys, scope_notes = _scope(_labelled(res, res.calibration), shifted)
    if frame.empty:
        return Table(name, "", absent="no calibration rows on clean data outside oracle selection")
    frame = frame.assign(temperature=frame["temperature"].astype(str), subject=frame["subject"].astype(str))
    bins = max(BINS, int(frame["bin"].max()) + 1)
    index = [*_keys(frame, shift_keys), "structure"]
    rows = []
    for key, g in frame.groupby([*index, "temperature"], sort=True):
        subjects, per_subject_bins = subject_bins(g, bins)
        low, high = ece_interval(per_subject_bins)
        rows.append({**dict(zip([*index, "temperature"], key)), "ece": ece(g), "ci_low": low, "ci_high": high,
                     "n_subjects": len(subjects), "n_seeds": g["job"].nunique(), "voxels": int(g["count"].sum())})
    tidy = pd.DataFrame(rows)
    cells = tidy.assign(cell=[_interval_text(e, lo, hi, n) for e, lo, hi, n in
                              zip(tidy.ece, tidy.ci_low, tidy.ci_high, tidy.n_subjects)],
                        column=tidy["temperature"].map(lambda t: TEMPERATURES.get(t, f"ECE (T={t})")))
    wide = cells.pivot_table(index=index, columns="column", values="cell", aggfunc="first").reset_index()
    wide.columns.name = None
    wide = _shift_label(wide.fillna(DASH))
    notes = [f"cell: ECE [{INTERVAL}] n = subjects; the voxels of all the cell's cases (phases and seeds) pooled "
             f"into {bins} equal-width bins of p_k on [0, 1], each |mean p_k - share with reference k| weighted by "
             "its voxel count (classwise ECE, Kull et al. 2019; MONAI CalibrationErrorMetric's binning)",
             f"voxels: inside the reference heart's bounding box dilated by "
             f"{_setting(frame, 'margin_mm', MARGIN_MM, 'mm')}; background voxels count for every structure "
             "(p_k should be low there)",
             "T=1: the softmax as trained; fitted T: after temperature scaling (one T per trained model, fitted on "
             "its source validation split by minimising the NLL)",
             *scope_notes, selection_note(frame), seeds_note(frame), *res.notes]
    return Table(name, "", tidy, wide, notes)


def _case_scores(res: Results) -> pd.DataFrame:
    """One row per scored case (job, dataset, subject, phase): mean Dice over structures and its uncertainty scores."""
    cases = _labelled(res, res.cases)
    keys = ["method", "selection", *SHIFT_KEYS, "dataset", "job", "subject", "phase"]
    agg = {"dice": ("dice", "mean"), "uncertainty": ("uncertainty", "first")}
    if "tta_disagreement" in cases:
        agg["tta_disagreement"] = ("tta_disagreement", "first")
    cases = cases.assign(subject=cases["subject"].astype(str), dice=pd.to_numeric(cases["dice"], errors="coerce"),
                         uncertainty=pd.to_numeric(cases["uncertainty"], errors="coerce"))
    return cases.groupby(keys, sort=True, dropna=False).agg(**agg).reset_index()


SCORES = {"uncertainty": "entropy", "tta_disagreement": "TTA"}


def _failure_row(g: pd.DataFrame, score: str) -> dict:
    """AURC, optimal AURC and Spearman rho of one score per job (seed), averaged over the jobs."""
    per_job = []
    for _, j in g.groupby("job", sort=True):
        risk = 1.0 - j["dice"].to_numpy(float)
        u = j[score].to_numpy(float)
        rho, p, n = uncertainty_dice_spearman(u, j["dice"].to_numpy(float))
        u = np.where(np.isnan(u), np.inf, u)  # nothing predicted: the least certain case
        per_job.append({"aurc": aurc(risk, u), "optimal_aurc": optimal_aurc(risk), "rho": rho, "p": p, "n_rho": n,
                        "n_cases": int(np.isfinite(risk).sum())})
    jobs = pd.DataFrame(per_job)
    se = float(jobs["aurc"].std(ddof=1) / np.sqrt(len(jobs))) if len(jobs) > 1 else np.nan
    return {"score": SCORES[score], "aurc": jobs["aurc"].mean(), "optimal_aurc": jobs["optimal_aurc"].mean(),
            "excess_aurc": (jobs["aurc"] - jobs["optimal_aurc"]).mean(), "aurc_seed_se": se,
            "rho": jobs["rho"].mean(), "p": jobs["p"].max(), "n_rho": int(jobs["n_rho"].min()),
            "n_cases": int(jobs["n_cases"].min()), "n_seeds": len(jobs)}


def _rho_cell(r: pd.Series) -> str:
    if not np.isfinite(r["rho"]):
        return DASH
    return f"{r['rho']:.3f} (p={r['p']:.2g}, n={int(r['n_rho'])})"


@register("table12_failure", "Table XII: failure detection per method and target: AURC (risk = 1 - Dice) and "
                             "Spearman correlation of uncertainty with Dice")
def table12(res: Results, shifted: bool = False) -> Table:
    """Per method x target and uncertainty score: AURC, optimal AURC, E-AURC and Spearman rho (p, n)."""
    name = "table12_failure"
    if res.cases.empty or "uncertainty" not in res.cases or res.cases["uncertainty"].isna().all():
        return Table(name, "", absent=NO_UNCERTAINTY)
    cases, shift_keys, scope_notes = _scope(_case_scores(res), shifted)
    if cases.empty:
        return Table(name, "", absent="no scored clean cases outside oracle selection")
    index = _keys(cases, shift_keys)
    scores = [s for s in SCORES if s in cases and cases[s].notna().any()]
    rows = [{**dict(zip(index, key)), **_failure_row(g, s)}
            for key, g in cases.groupby(index, sort=True) for s in scores if g[s].notna().any()]
    tidy = pd.DataFrame(rows)
    wide = tidy[[*index, "score"]].copy()
    wide["AURC"] = [_fmt(a) + (f" ±{se:.3f} ({k} seeds)" if k > 1 else "")
                    for a, se, k in zip(tidy.aurc, tidy.aurc_seed_se, tidy.n_seeds)]
    wide["optimal AURC"] = tidy["optimal_aurc"].map(_fmt)
    wide["E-AURC"] = tidy["excess_aurc"].map(_fmt)
    wide["Spearman rho (score vs Dice)"] = [_rho_cell(r) for _, r in tidy.iterrows()]
    wide["cases"] = tidy["n_cases"]
    wide = _shift_label(wide)
    notes = ["case: one subject and phase scored by one trained model; risk = 1 - its Dice averaged over the "
             "structures scored; entropy = mean predictive entropy (nats) over the predicted heart; TTA = share of "
             "predicted-heart voxels where the flip-TTA members disagree",
             "AURC (Geifman et al. 2019; Jaeger et al. 2023): cases accepted by increasing uncertainty, the mean "
             "selective risk over all coverages k/n; optimal AURC ranks by the risk itself; E-AURC = AURC - optimal "
             "(0 = a perfect ranking); lower is better; a case with nothing predicted (no entropy) is ranked least "
             "certain",
             "computed per trained model (seed) over its cases, then averaged: ± is the standard error over seeds; "
             "rho is the mean over seeds, p the largest of the seeds' p, n and cases the smallest count of a seed; "
             "rho leaves out cases with no score; p: exact permutation for n <= 9, otherwise asymptotic",
             "rho < 0: a higher uncertainty goes with a lower Dice, as it should; no interval (the bootstrap is not "
             "applied to AURC here)",
             *scope_notes, selection_note(cases), seeds_note(cases.assign(seed=_job_column(res, cases, "seed"))),
             *res.notes]
    return Table(name, "", tidy, wide, notes)


def _subject_measures(res: Results, shifted: bool) -> tuple[pd.DataFrame, list[str], list[str], pd.DataFrame, str]:
    """Per subject (seeds averaged): auto and manual measures as columns like 'LVEF_auto'; or why there are none."""
    clin = clinical_rows(res)
    if clin.empty:
        return pd.DataFrame(), [], [], clin, NO_CLINICAL
    clin, shift_keys, scope_notes = _scope(with_shift(clin), shifted)
    if clin.empty:
        return pd.DataFrame(), [], scope_notes, clin, "no clinical measures on clean data"
    index = _keys(clin, shift_keys)
    subjects = per_subject(clin, index[1:-1])
    wide = subjects.pivot_table(index=[*index, "subject"], columns="measure", values=["auto", "manual"],
                                aggfunc="first", observed=True)
    wide.columns = [f"{m}_{src}" for src, m in wide.columns]
    return wide.reset_index(), index, scope_notes, clin, ""


def _column(g: pd.DataFrame, name: str) -> np.ndarray:
    return g[name].to_numpy(float) if name in g else np.full(len(g), np.nan)


@register("table13_decisions", "Table XIII: clinical decisions per method and target: LVEF category agreement "
                               "(Cohen's kappa), category flips and errors beyond inter-observer limits")
def table13(res: Results, shifted: bool = False) -> Table:
    """Kappa of the ESC LVEF category (interval), flip share, shares past the LVEDV and LVM limits, n subjects."""
    name = "table13_decisions"
    subjects, index, scope_notes, clin, why = _subject_measures(res, shifted)
    if why:
        return Table(name, "", absent=why)
    rows = []
    for key, g in subjects.groupby(index, sort=True):
        auto_ef, manual_ef = _column(g, "LVEF_auto"), _column(g, "LVEF_manual")
        low, high = kappa_interval(ef_category(auto_ef), ef_category(manual_ef))
        flips, n_ef = flip_share(auto_ef, manual_ef)
        edv, n_edv = beyond_limit_share(_column(g, "LVEDV_auto"), _column(g, "LVEDV_manual"), INTEROBSERVER["LVEDV"])
        lvm, n_lvm = beyond_limit_share(_column(g, "LVM_auto"), _column(g, "LVM_manual"), INTEROBSERVER["LVM"])
        rows.append({**dict(zip(index, key)), "kappa": cohen_kappa(ef_category(auto_ef), ef_category(manual_ef)),
                     "kappa_low": low, "kappa_high": high, "flip_share": flips, "n_ef": n_ef,
                     "beyond_lvedv_share": edv, "n_lvedv": n_edv, "beyond_lvm_share": lvm, "n_lvm": n_lvm,
                     "n_subjects": int(g["subject"].nunique())})
    tidy = pd.DataFrame(rows)

    def share(v: float, n: int) -> str:
        return DASH if not n else f"{100 * v:.1f} % of {n}"

    wide = tidy[index].copy()
    wide["kappa (LVEF category)"] = [_interval_text(k, lo, hi, n) for k, lo, hi, n in
                                     zip(tidy.kappa, tidy.kappa_low, tidy.kappa_high, tidy.n_ef)]
    wide["category flips"] = [share(v, n) for v, n in zip(tidy.flip_share, tidy.n_ef)]
    edv_limit, lvm_limit = INTEROBSERVER["LVEDV"], INTEROBSERVER["LVM"]
    wide[f"|LVEDV error| > {edv_limit.half_width:.2f} {edv_limit.unit}"] = [share(v, n) for v, n in
                                                                 zip(tidy.beyond_lvedv_share, tidy.n_lvedv)]
    wide[f"|LVM error| > {lvm_limit.half_width:.2f} {lvm_limit.unit}"] = [share(v, n) for v, n in
                                                             zip(tidy.beyond_lvm_share, tidy.n_lvm)]
    wide["subjects"] = tidy["n_subjects"]
    wide = _shift_label(wide)
    notes = [f"LVEF category (2021 ESC heart failure guideline, McDonagh et al., Eur Heart J 2021;42:3599-3726): "
             f"HFrEF <= {REDUCED_MAX:g} %, HFmrEF 41-49 % (here ({REDUCED_MAX:g}, {PRESERVED_MIN:g})), "
             f"HFpEF >= {PRESERVED_MIN:g} %; kappa: Cohen's unweighted, automatic vs manual category "
             f"[{INTERVAL}] n = subjects with both EFs (resamples where kappa is undefined are "
             "dropped); – where one category holds every subject (kappa undefined)",
             _limits_note(edv_limit, lvm_limit),
             SEEDS_AVERAGED, *scope_notes, selection_note(clin), seeds_note(clin), *res.notes]
    return Table(name, "", tidy, wide, notes)


def _limits_note(edv: Limit, lvm: Limit) -> str:
    return (f"inter-observer limits: 1.96 SD of the differences between two observers, LVEDV 1.96 x {edv.sd:g} = "
            f"{edv.half_width:.2f} {edv.unit}, LV mass 1.96 x {lvm.sd:g} = {lvm.half_width:.2f} {lvm.unit} "
            f"({edv.source}; their mean differences, {edv.bias:g} {edv.unit} and {lvm.bias:g} {lvm.unit}, are left "
            "out: the sign depends on the observer order); 'x % of n': share of the n subjects with both values")


def fig_reliability(res: Results, path: Path) -> Path | None:
    """Reliability diagram per target (clean data): one line per method, raw solid, temperature-scaled dashed."""
    if res.calibration.empty:
        return None
    frame, _, _ = _scope(_labelled(res, res.calibration), shifted=False)
    if frame.empty:
        return None
    from .plotting import _plt, colour, save_figure

    plt = _plt()
    frame = frame.assign(temperature=frame["temperature"].astype(str))
    datasets = sorted(frame["dataset"].unique())
    methods = sorted(frame["method"].unique())
    colours = {m: colour(i) for i, m in enumerate(methods)}
    fig, axes = plt.subplots(1, len(datasets), figsize=(3.8 * len(datasets), 3.8), squeeze=False)
    for ax, d in zip(axes[0], datasets):
        ax.plot([0, 1], [0, 1], color="0.6", linewidth=0.8)
        for (m, t), g in frame[frame["dataset"] == d].groupby(["method", "temperature"]):
            rel = reliability(g)
            label = m if t == "1" else f"{m} (fitted T)"
            ax.plot(rel["confidence"], rel["accuracy"], "-o" if t == "1" else "--s", color=colours[m],
                    markersize=3, linewidth=1, label=label)
        ax.set(xlim=(0, 1), ylim=(0, 1), title=d, xlabel="mean p_k in bin", ylabel="share with reference k")
    axes[0, -1].legend(fontsize=6, loc="upper left")
    fig.suptitle("Classwise reliability, structures pooled", fontsize=9)
    fig.tight_layout()
    return save_figure(fig, path)
