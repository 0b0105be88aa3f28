"""Domain-gap profile of manifests: geometry, anatomy, contrast, noise and intensities, per case and per group.

SNR is estimated from the image alone: mean LV blood intensity (eroded mask) over the standard deviation of the
background, taken per slice from the darkest of the four corner patches (1/8 of each side) and pooled over slices.
A magnitude image's signal-free background is Rayleigh distributed, its sd 0.655 times the underlying Gaussian
noise sd, hence SNR = 0.655 * mean(LV blood) / sd(background). The estimate holds only where that background is
pure magnitude noise: its mean/sd is then 1.91, reported beside the SNR as `background_mean_over_sd`. Scanners
that filter, mask, zero-fill or quantise the background, parallel imaging (noise that varies in space),
multi-coil magnitude (non-central chi, not Rician), interpolation (correlated noise) and ghosting into a corner all
break it; where the ratio is far from 1.91, read the SNR as unknown rather than as high or low."""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import ndimage as ndi

from ..atomic import write_csv_atomic, write_text_atomic
from ..labels import LV, MYO, RV
from .isolate import case_problem, image_file
from .loader import Case, load_case
from .manifest import load_manifest
from .problems import Problem

RICIAN_BACKGROUND_SD = 0.655  # sd of signal-free magnitude noise over the Gaussian noise sd per channel
PURE_NOISE_MEAN_OVER_SD = 1.913  # mean / sd of signal-free magnitude (Rayleigh) noise: 1.2533 / 0.6551
CORNER_FRACTION = 1 / 8  # corner patch side, as a fraction of the image side (at least MIN_CORNER_PX)
MIN_CORNER_PX = 4
MIN_CORE_VOXELS = 20  # an eroded mask smaller than this falls back to the whole mask
GROUPS = ["dataset", "site", "vendor", "scanner"]
ALL = "(all)"  # group value of the whole-manifest rows
STATS = ["n", "min", "p5", "p25", "median", "p75", "p95", "max"]


@dataclass(frozen=True)
class Measure:
    """One profiled quantity: column name, label, unit and decimals shown."""

    name: str
    label: str
    unit: str
    digits: int


MEASURES = [
    Measure("spacing_mm", "in-plane spacing", "mm", 2),
    Measure("slice_mm", "slice spacing (thickness + gap)", "mm", 1),
    Measure("matrix_long_px", "matrix, long side", "px", 0),
    Measure("matrix_short_px", "matrix, short side", "px", 0),
    Measure("fov_long_mm", "field of view, long side", "mm", 0),
    Measure("fov_short_mm", "field of view, short side", "mm", 0),
    Measure("slices", "slices", "", 0),
    Measure("heart_fraction", "heart (LV+MYO+RV) / field, labelled slices", "", 3),
    Measure("contrast", "LV blood / myocardium intensity", "", 2),
    Measure("snr", "SNR, LV blood / background noise", "", 0),
    Measure("background_mean_over_sd", "background mean / sd (1.91 = pure noise)", "", 2),
    Measure("intensity_p1", "intensity 1st percentile", "", 0),
    Measure("intensity_p50", "intensity median", "", 0),
    Measure("intensity_p99", "intensity 99th percentile", "", 0),
]
MEASURE = {m.name: m for m in MEASURES}


@dataclass
class Profile:
    """One manifest's profile: a row of measures per readable case, and a Problem per case left out."""

    name: str
    manifest: Path
    cases: pd.DataFrame
    errors: list[Problem] = field(default_factory=list)
    root: str = "."


def _core(mask: np.ndarray) -> np.ndarray:
    """The mask less one pixel in-plane (partial volume at its edges), or all of it when that leaves too little."""
    core = ndi.binary_erosion(mask, structure=np.ones((3, 3, 1), bool))
    return core if core.sum() >= MIN_CORE_VOXELS else mask


def background(image: np.ndarray) -> np.ndarray:
    """Per slice, the darkest of the four corner patches; all of them pooled (the noise sample)."""
    nx, ny = image.shape[:2]
    px, py = max(MIN_CORNER_PX, int(nx * CORNER_FRACTION)), max(MIN_CORNER_PX, int(ny * CORNER_FRACTION))
    patches = []
    for z in range(image.shape[2]):
        s = image[:, :, z]
        corners = [s[:px, :py], s[-px:, :py], s[:px, -py:], s[-px:, -py:]]
        patches.append(min(corners, key=lambda c: float(c.mean())).ravel())
    return np.concatenate(patches)


def mid_slice(label: np.ndarray | None, depth: int) -> int:
    """The middle of the slices that hold LV blood (mid-ventricular), else the middle slice."""
    if label is not None:
        z = np.flatnonzero((label == LV).any(axis=(0, 1)))
        if z.size:
            return int(z[z.size // 2])
    return depth // 2


def measure_case(case: Case) -> dict[str, float]:
    """Every measure of one case (NaN where its label lacks the structures a measure needs)."""
    image, label = case.image, case.label
    nx, ny, nz = image.shape
    dx, dy, dz = case.spacing
    fov = (nx * dx, ny * dy)
    p1, p50, p99 = np.percentile(image, [1, 50, 99])
    out = dict(spacing_mm=(dx + dy) / 2, slice_mm=dz, matrix_long_px=max(nx, ny), matrix_short_px=min(nx, ny),
               fov_long_mm=max(fov), fov_short_mm=min(fov), slices=nz, intensity_p1=p1, intensity_p50=p50,
               intensity_p99=p99, heart_fraction=np.nan, contrast=np.nan, snr=np.nan)
    bg = background(image)
    bg_sd = float(bg.std())
    out["background_mean_over_sd"] = float(bg.mean()) / bg_sd if bg_sd > 0 else np.nan
    if label is not None:
        present = set(np.unique(label).tolist())
        if {LV, MYO, RV} <= present:
            on = (label > 0).any(axis=(0, 1))
            out["heart_fraction"] = float((label[:, :, on] > 0).mean())
        if LV in present:
            blood = float(image[_core(label == LV)].mean())
            myo = float(image[_core(label == MYO)].mean()) if MYO in present else 0.0
            if myo > 0:
                out["contrast"] = blood / myo
            out["snr"] = RICIAN_BACKGROUND_SD * blood / bg_sd if bg_sd > 0 else np.nan
    out["mid_slice"] = mid_slice(label, nz)
    return {k: float(v) for k, v in out.items()}


def profile_manifest(path: Path, name: str | None = None,
                     progress: Callable[[Iterable], Iterable] = iter) -> Profile:
    """Read every case of a manifest (nothing is written) and measure it; unreadable cases become errors."""
    df = load_manifest(path)
    root = df.attrs["root"]
    errors: list[Problem] = list(df.attrs["problems"])
    rows = []
    for _, row in progress(list(df.iterrows())):
        try:
            measures = measure_case(load_case(row, root))
        except Exception as exc:  # any failure is this case's problem, never the profile's
            errors.append(case_problem(exc, Path(root) / image_file(row), row))
            continue
        keep = {k: row[k] for k in [*GROUPS, "subject", "phase", "image", "label", "frame", "label_map"]}
        rows.append({**keep, **measures})
    cols = [*GROUPS, "subject", "phase", "image", "label", "frame", "label_map", *MEASURE, "mid_slice"]
    return Profile(name or Path(path).stem, Path(path), pd.DataFrame(rows, columns=cols), errors, root)


def manifest_names(paths: list[Path]) -> list[str]:
    """A distinct short name per manifest: its stem, else folder/stem, else numbered."""
    for naming in (lambda p: p.stem, lambda p: f"{p.resolve().parent.name}/{p.stem}"):
        names = [naming(Path(p)) for p in paths]
        if len(set(names)) == len(names):
            return names
    return [f"{i + 1}:{Path(p).stem}" for i, p in enumerate(paths)]


def _stats(values: pd.Series) -> dict[str, float]:
    v = values.dropna().to_numpy(float)
    if not v.size:
        return {"n": 0, **{s: np.nan for s in STATS[1:]}}
    q = np.percentile(v, [0, 5, 25, 50, 75, 95, 100])
    return {"n": int(v.size), **dict(zip(STATS[1:], q.tolist()))}


def summarise(profile: Profile) -> pd.DataFrame:
    """Tidy distribution table: per group (and the whole manifest as '(all)') and measure, n and percentiles."""
    rows = []
    whole = profile.cases.assign(**{g: ALL for g in GROUPS})
    frames = [(key, sub) for key, sub in profile.cases.groupby(GROUPS, sort=True)] if len(profile.cases) else []
    for key, sub in [*frames, ((ALL,) * len(GROUPS), whole)]:
        for m in MEASURES:
            rows.append({"manifest": profile.name, **dict(zip(GROUPS, key)), "measure": m.name, "unit": m.unit,
                         **_stats(sub[m.name])})
    return pd.DataFrame(rows, columns=["manifest", *GROUPS, "measure", "unit", *STATS])


def cell(stats: pd.Series | dict, digits: int) -> str:
    """'median [min, max] (n)' at a measure's precision, or a dash with no values."""
    if not stats["n"]:
        return "–"
    f = lambda v: f"{v:.{digits}f}"  # noqa: E731
    return f"{f(stats['median'])} [{f(stats['min'])}, {f(stats['max'])}] ({int(stats['n'])})"


def overlap(ranges: list[tuple[float, float]]) -> bool:
    """Whether closed ranges [lo, hi] share at least one value."""
    return max(lo for lo, _ in ranges) <= min(hi for _, hi in ranges)


def _group_name(key: tuple) -> str:
    return " / ".join(str(k) for k in key if str(k)) or "(no metadata)"


def manifest_table(profile: Profile, tidy: pd.DataFrame) -> pd.DataFrame:
    """One manifest: a row per measure, a column per data set/site/vendor/scanner group (and all, if several)."""
    tidy = tidy[tidy["manifest"] == profile.name]
    keys = list(dict.fromkeys(tuple(r) for r in tidy[GROUPS].itertuples(index=False)))
    if len(keys) == 2:  # one group: the whole-manifest column says the same
        keys = keys[:1]
    out = pd.DataFrame({"measure": [f"{m.label} ({m.unit})" if m.unit else m.label for m in MEASURES]})
    for key in keys:
        sub = tidy[(tidy[GROUPS] == pd.Series(key, index=GROUPS)).all(axis=1)].set_index("measure")
        out["all" if key[0] == ALL else _group_name(key)] = [cell(sub.loc[m.name], m.digits) for m in MEASURES]
    return out


def comparison_table(profiles: list[Profile], tidy: pd.DataFrame) -> pd.DataFrame:
    """Side by side: each measure's median [min, max] (n) per manifest, and whether the ranges overlap."""
    whole = tidy[tidy["dataset"] == ALL]
    out = pd.DataFrame({"measure": [f"{m.label} ({m.unit})" if m.unit else m.label for m in MEASURES]})
    flags = []
    for p in profiles:
        sub = whole[whole["manifest"] == p.name].set_index("measure")
        out[p.name] = [cell(sub.loc[m.name], m.digits) for m in MEASURES]
    for m in MEASURES:
        rows = whole[whole["measure"] == m.name]
        flags.append(["–", "–"] if (rows["n"] == 0).any() else
                     ["yes" if overlap(list(zip(rows[lo], rows[hi]))) else "no"
                      for lo, hi in (("min", "max"), ("p5", "p95"))])
    out["ranges overlap"] = [f[0] for f in flags]
    out["5-95 % overlap"] = [f[1] for f in flags]
    return out


def to_markdown(title: str, table: pd.DataFrame, notes: Iterable[str] = ()) -> str:
    """A GitHub-flavoured Markdown table with a title and notes."""
    esc = lambda v: " ".join(str(v).split()).replace("|", "\\|")  # noqa: E731
    lines = [f"### {title}", "", "| " + " | ".join(map(esc, table.columns)) + " |",
             "|" + "|".join("---" for _ in table.columns) + "|"]
    lines += ["| " + " | ".join(map(esc, row)) + " |" for row in table.itertuples(index=False)]
    return "\n".join([*lines, "", *[f"{n}  " for n in notes], ""])


def errors_frame(profiles: list[Profile]) -> pd.DataFrame:
    """Every case left out, with the manifest it came from."""
    cols = ["manifest", "dataset", "subject", "phase", "file", "what", "why", "severity"]
    return pd.DataFrame([{"manifest": p.name, **{c: getattr(e, c) for c in cols[1:]}}
                         for p in profiles for e in p.errors], columns=cols)


def case_notes(profile: Profile) -> list[str]:
    """How many cases were read and which were left out."""
    notes = [f"{profile.manifest}: {len(profile.cases)} case(s) profiled, {len(profile.errors)} left out"]
    notes += [f"left out: {e.line()}" for e in profile.errors]
    return notes


METHOD_NOTE = ("median [min, max] (n cases). Slice spacing is the header's z voxel size (thickness plus any gap). "
               "Contrast and SNR use LV blood and myocardium eroded by one pixel in-plane; heart fraction needs "
               "LV, MYO and RV labelled. SNR = 0.655 x LV blood / sd of the darkest corner patch per slice: "
               "trust it only where background mean / sd is near 1.91 (pure magnitude noise).")


def tables(profiles: list[Profile], tidy: pd.DataFrame) -> list[tuple[str, pd.DataFrame, list[str]]]:
    """(title, table, notes) for each manifest, then the side-by-side comparison when there are several."""
    out = [(f"Profile of {p.name}", manifest_table(p, tidy), case_notes(p)) for p in profiles]
    if len(profiles) > 1:
        out.append(("Side by side: " + " vs ".join(p.name for p in profiles), comparison_table(profiles, tidy),
                    ["ranges overlap: whether all manifests' [min, max] share a value; 5-95 % overlap: the same for "
                     "[5th, 95th percentile], which one outlying case cannot decide."]))
    out[-1][2].insert(0, METHOD_NOTE)
    return out


def write_profile(profiles: list[Profile], out: Path) -> list[Path]:
    """profile.csv (tidy), cases.csv, errors.csv and profile.md under `out`; profile.png/.pdf with several."""
    out = Path(out)
    tidy = pd.concat([summarise(p) for p in profiles], ignore_index=True)
    written = [out / "profile.csv", out / "cases.csv", out / "errors.csv", out / "profile.md"]
    write_csv_atomic(tidy, written[0], index=False, float_format="%.6g")
    cases = pd.concat([p.cases.assign(manifest=p.name) for p in profiles], ignore_index=True)
    write_csv_atomic(cases[["manifest", *[c for c in cases.columns if c != "manifest"]]], written[1], index=False,
                     float_format="%.6g")
    write_csv_atomic(errors_frame(profiles), written[2], index=False)
    parts = ["# Data profile", ""]
    parts += [to_markdown(title, table, notes) for title, table, notes in tables(profiles, tidy)]
    if len(profiles) > 1:
        from .profile_figure import profile_figure

        written += profile_figure(profiles, out / "profile.png")
        parts += ["![profile](profile.png)", ""]
    write_text_atomic(written[3], "\n".join(parts))
    return written
