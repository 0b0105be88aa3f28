"""`cmrbench data profile`: per-case measures with known values, tables, files, errors, and real vs synthetic."""
from __future__ import annotations

import hashlib
import math
from pathlib import Path

import nibabel as nib
import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from benchmark.cli import app
from benchmark.data.adapters import index_dataset
from benchmark.data.loader import Case
from benchmark.data.manifest import load_manifest, write_manifest
from benchmark.data.profile import ALL, measure_case, overlap, profile_manifest, summarise
from benchmark.labels import LV, MYO, RV
from benchmark.synth.cohorts import generate_cohort

REAL_ACDC = Path(__file__).resolve().parents[2].parent / "shared" / "real" / "acdc"
AERA_SNR = 28  # the synthetic Siemens Aera's LV blood over noise sigma (benchmark/synth/profiles.py)


def _index(fmt: str, root: Path, out: Path) -> Path:
    result = index_dataset(fmt, root)
    assert result.rows and not [p for p in result.problems if p.severity == "error"]
    write_manifest(result.rows, out)
    return out


@pytest.fixture(scope="module")
def cohorts(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Manifests of 3-subject synthetic acdc and ukbb cohorts, written once for the module."""
    base = tmp_path_factory.mktemp("cohorts")
    out = {}
    for name in ("acdc", "ukbb"):
        generate_cohort(name, base / name, 3, seed=0, workers=1)
        out[name] = _index(name, base / name, base / f"synth_{name}.csv")
    return out


def _digests(folder: Path) -> dict[str, str]:
    return {str(p): hashlib.sha1(p.read_bytes()).hexdigest() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_measures_of_a_drawn_case_have_their_closed_form_values():
    """LV disc r=15 px in a myocardial ring to r=20 px, 10x10 px RV, on slices 1-3 of 5; Rician noise sigma 10."""
    rng = np.random.default_rng(0)
    nx, ny, nz = 120, 100, 5
    x, y = np.mgrid[:nx, :ny]
    r = np.hypot(x - 60, y - 50)
    label = np.zeros((nx, ny, nz), np.uint8)
    for z in (1, 2, 3):
        label[..., z][r < 20] = MYO
        label[..., z][r < 15] = LV
        label[20:30, 45:55, z] = RV
    signal = np.select([label == LV, label == MYO, label == RV], [300.0, 100.0, 250.0], 0.0)
    sigma = 10.0
    image = np.hypot(signal + sigma * rng.standard_normal(signal.shape), sigma * rng.standard_normal(signal.shape))
    case = Case(image.astype(np.float32), label, (1.25, 1.25, 8.0), np.eye(4), nib.Nifti1Header())
    m = measure_case(case)
    assert (m["matrix_long_px"], m["matrix_short_px"], m["slices"]) == (120, 100, 5)
    assert (m["fov_long_mm"], m["fov_short_mm"], m["spacing_mm"], m["slice_mm"]) == (150, 125, 1.25, 8.0)
    # heart pixels (a disc of radius 20 px and the RV square) over the 3 labelled slices only, not all 5
    assert m["heart_fraction"] == pytest.approx((math.pi * 20**2 + 100) / (nx * ny), rel=0.01)
    assert m["contrast"] == pytest.approx(3.0, rel=0.02)  # 300 / 100 (the Rician bias at 100/10 is 0.5 %)
    assert m["snr"] == pytest.approx(300 / sigma, rel=0.06)  # 0.655 x blood / sd(background) = blood / sigma
    assert m["background_mean_over_sd"] == pytest.approx(1.913, rel=0.05)
    assert m["mid_slice"] == 2


def test_a_blank_image_gives_no_contrast_or_snr_rather_than_an_error():
    label = np.zeros((40, 40, 3), np.uint8)
    label[10:20, 10:20, 1], label[12:18, 12:18, 1], label[25:30, 25:30, 1] = MYO, LV, RV
    m = measure_case(Case(np.zeros(label.shape, np.float32), label, (1.0, 1.0, 5.0), np.eye(4), nib.Nifti1Header()))
    assert math.isnan(m["contrast"]) and math.isnan(m["snr"]) and math.isnan(m["background_mean_over_sd"])
    assert m["heart_fraction"] == pytest.approx((100 + 25) / 1600)


def test_synthetic_cohort_measures_match_headers_and_anatomy(cohorts):
    prof = profile_manifest(cohorts["ukbb"])
    df = load_manifest(cohorts["ukbb"])
    assert prof.errors == [] and len(prof.cases) == len(df) == 6
    for row, case in zip(df.itertuples(), prof.cases.itertuples()):
        img = nib.load(str(Path(df.attrs["root"]) / row.image))
        zooms = img.header.get_zooms()
        assert case.spacing_mm == pytest.approx(row.spacing_x_mm, rel=1e-4) == pytest.approx(zooms[0], rel=1e-6)
        assert case.slice_mm == pytest.approx(zooms[2]) == 10.0  # ukbb: 8 mm slices + 2 mm gap
        assert case.slices == img.shape[2]
        assert case.fov_long_mm == pytest.approx(max(img.shape[:2]) * zooms[0], rel=1e-6)
    assert prof.cases["heart_fraction"].between(0, 0.5, inclusive="neither").all()
    assert (prof.cases["contrast"] > 1).all()  # bSSFP: blood brighter than myocardium
    assert prof.cases["snr"].between(0.75 * AERA_SNR, 1.25 * AERA_SNR).all()
    assert prof.cases["background_mean_over_sd"].between(1.8, 2.0).all()  # pure magnitude noise
    tidy = summarise(prof)
    whole = tidy[(tidy.dataset == ALL) & (tidy.measure == "spacing_mm")].iloc[0]
    assert whole["n"] == 6 and whole["min"] == pytest.approx(1.8269, rel=1e-4)


def test_two_manifests_write_csv_md_and_figure_and_leave_the_data_alone(cohorts, tmp_path):
    before = {k: _digests(p.parent / k) for k, p in cohorts.items()}
    out = tmp_path / "profile"
    result = CliRunner().invoke(app, ["data", "profile", str(cohorts["acdc"]), str(cohorts["ukbb"]),
                                      "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "Side by side: synth_acdc vs synth_ukbb" in result.output
    for name in ("profile.csv", "cases.csv", "errors.csv", "profile.md", "profile.png", "profile.pdf"):
        assert (out / name).stat().st_size > 0, name
    assert (out / "profile.png").read_bytes()[:4] == b"\x89PNG"
    tidy = pd.read_csv(out / "profile.csv", keep_default_na=False)
    assert set(tidy["manifest"]) == {"synth_acdc", "synth_ukbb"}
    ukbb = tidy[(tidy.manifest == "synth_ukbb") & (tidy.dataset == "ukbb") & (tidy.measure == "slice_mm")]
    assert ukbb[["vendor", "scanner", "n", "median"]].values.tolist() == [["Siemens", "Aera", 6, 10.0]]
    md = (out / "profile.md").read_text()
    assert "| measure | synth_acdc | synth_ukbb | ranges overlap | 5-95 % overlap |" in md
    assert "![profile](profile.png)" in md
    # synthetic ukbb spacing is 1.8269 mm; synthetic acdc draws 1.34-1.68 mm: the ranges cannot overlap
    spacing = [line for line in md.splitlines() if line.startswith("| in-plane spacing (mm) |")]
    assert spacing[-1].endswith("| no | no |")
    assert pd.read_csv(out / "errors.csv").empty
    assert {k: _digests(p.parent / k) for k, p in cohorts.items()} == before


def test_unreadable_cases_are_counted_and_listed(cohorts, tmp_path):
    df = load_manifest(cohorts["ukbb"])
    root = Path(df.attrs["root"])
    broken = tmp_path / "broken_sa_ED.nii.gz"
    good = (root / df.at[0, "image"]).read_bytes()
    broken.write_bytes(good[: len(good) // 2])
    rows = df.to_dict("records")
    for r in rows:
        for col in ("image", "label"):
            r[col] = str(root / r[col])
    rows[0]["image"] = str(broken)
    manifest = write_manifest(rows, tmp_path / "m.csv")
    with open(tmp_path / "m.csv", "a") as fh:  # a row that names no case: left out by the manifest reader
        fh.write(",".join(["ukbb", "9999999", "MID", str(broken)] + [""] * (len(manifest.columns) - 4)) + "\n")
    prof = profile_manifest(tmp_path / "m.csv")
    assert len(prof.cases) == 5 and len(prof.errors) == 2
    assert {(e.subject, e.phase, e.what) for e in prof.errors} == {
        (rows[0]["subject"], "ED", "truncated file"), ("9999999", "MID", "bad row")}
    result = CliRunner().invoke(app, ["data", "profile", str(tmp_path / "m.csv"), "--out", str(tmp_path / "p")])
    assert result.exit_code == 1
    assert "5 case(s) profiled, 2 left out" in result.output and "truncated file" in result.output
    errors = pd.read_csv(tmp_path / "p" / "errors.csv")
    assert sorted(errors["what"]) == ["bad row", "truncated file"]
    assert not (tmp_path / "p" / "profile.png").exists()  # one manifest: tables only


def test_overlap_of_ranges():
    assert overlap([(1, 3), (3, 5)]) and overlap([(1, 5), (2, 3), (0, 2)])
    assert not overlap([(1, 2), (2.5, 3)])


@pytest.fixture(scope="module")
def real_vs_synthetic(cohorts, tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    """Whole-manifest distributions of the real ACDC sample (indexed once) and a 3-subject synthetic acdc cohort."""
    if not (REAL_ACDC / "training").is_dir():
        pytest.skip(f"real ACDC sample not found at {REAL_ACDC} (only the project's shared/ checkout has it)")
    manifest = _index("acdc", REAL_ACDC, tmp_path_factory.mktemp("real") / "real_acdc.csv")
    profiles = [profile_manifest(manifest), profile_manifest(cohorts["acdc"])]
    assert [p.errors for p in profiles] == [[], []]
    tidy = pd.concat([summarise(p) for p in profiles])
    return tidy[tidy.dataset == ALL].set_index(["measure", "manifest"])


def _ranges(tidy: pd.DataFrame, measure: str) -> list[tuple[float, float]]:
    rows = tidy.loc[measure]
    print(f"{measure}: " + ", ".join(f"{m} [{r['min']:.3g}, {r['max']:.3g}] n={r['n']}" for m, r in rows.iterrows()))
    return list(zip(rows["min"], rows["max"]))


def test_real_acdc_and_synthetic_acdc_share_field_of_view_contrast_and_heart_size(real_vs_synthetic):
    assert real_vs_synthetic.loc[("fov_long_mm", "real_acdc"), "n"] == 50  # 25 patients at ED and ES
    assert overlap(_ranges(real_vs_synthetic, "fov_short_mm"))
    # measured: real ACDC contrast 1.53-3.39, heart fraction 0.018-0.061; synthetic acdc lies inside both
    assert overlap(_ranges(real_vs_synthetic, "contrast"))
    assert overlap(_ranges(real_vs_synthetic, "heart_fraction"))


def test_real_acdc_and_synthetic_acdc_long_side_of_the_field_of_view_overlaps(real_vs_synthetic):
    # the synthetic acdc site draws its field of view per subject (330-440 mm readout) since generator v3
    assert overlap(_ranges(real_vs_synthetic, "fov_long_mm"))
