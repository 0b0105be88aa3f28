"""Synthetic cohorts: real layouts that the adapters read, exact truth volumes, published ranges."""
from __future__ import annotations

import hashlib
from pathlib import Path

import nibabel as nib
import numpy as np
import pandas as pd
import pytest

from benchmark.data.adapters import get_adapter
from benchmark.data.loader import load_case
from benchmark.data.manifest import write_manifest
from benchmark.synth.cohorts import COHORTS, clinical_summary, generate_cohort
from benchmark.synth.profiles import SITES

ADAPTER = {"ukbb": ("ukbb", ""), "acdc": ("acdc", ""), "mnms": ("mnms", ""), "bscmr": ("manifest", "manifest.csv")}
SIZES = {"ukbb": 3, "acdc": 10, "mnms": 4, "bscmr": 4}


@pytest.fixture(scope="module")
def cohorts(tmp_path_factory) -> dict[str, tuple[Path, pd.DataFrame]]:
    root = tmp_path_factory.mktemp("synth")
    return {c: (root / c, generate_cohort(c, root / c, n, seed=3)) for c, n in SIZES.items()}


def _index(name: str, root: Path, tmp: Path):
    fmt, sub = ADAPTER[name]
    result = get_adapter(fmt).index(root / sub if sub else root)
    return write_manifest(result.rows, tmp / f"{name}.csv"), result.problems


@pytest.mark.parametrize("name", list(SIZES))
def test_adapter_reads_cohort_and_truth_volumes_match_label_files(cohorts, tmp_path, name):
    root, truth = cohorts[name]
    df, problems = _index(name, root, tmp_path)
    assert problems == []
    assert len(df) == 2 * SIZES[name]
    truth = truth.assign(subject=truth.subject.astype(str)).set_index(["subject", "phase"])
    for _, row in df.iterrows():
        case = load_case(row, tmp_path)
        ml = float(np.prod(case.spacing)) / 1000
        expected = truth.loc[(row.subject, row.phase)]
        for structure, value in (("lv", 1), ("myo", 2), ("rv", 3)):
            want = expected[f"{structure}_ml"]
            got = float((case.label == value).sum() * ml)
            assert got == pytest.approx(0.0 if np.isnan(want) else want, abs=1e-3), (row.subject, structure)


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path):
    def digest(folder: Path) -> str:
        h = hashlib.sha256()
        for f in sorted(p for p in folder.rglob("*") if p.is_file()):
            h.update(f.relative_to(folder).as_posix().encode() + f.read_bytes())
        return h.hexdigest()

    generate_cohort("ukbb", tmp_path / "a", 2, seed=11)
    generate_cohort("ukbb", tmp_path / "b", 2, seed=11, workers=1)
    generate_cohort("ukbb", tmp_path / "c", 2, seed=12)
    assert digest(tmp_path / "a") == digest(tmp_path / "b") != digest(tmp_path / "c")


def test_pathology_groups_fall_in_published_ranges(cohorts):
    acdc = clinical_summary(cohorts["acdc"][1])
    assert sorted(acdc.group.value_counts().to_dict().items()) == [(g, 2) for g in ("ARV", "DCM", "HCM", "MINF", "NOR")]
    nor = acdc[acdc.group == "NOR"]
    assert nor.LVEDV.between(100, 200).all() and nor.LVEF.between(50, 70).all()
    assert nor.LVM.between(70, 150).all() and nor.RVEDV.between(110, 220).all()
    assert nor.wall.between(7, 11).all()
    dcm, hcm, minf, arv = (acdc[acdc.group == g] for g in ("DCM", "HCM", "MINF", "ARV"))
    assert (dcm.LVEF < 40).all() and (dcm.LVEDV > 200).all()
    assert (hcm.wall >= 15).all() and (hcm.LVEF > 65).all() and (hcm.LVEDV < nor.LVEDV.max()).all()
    assert (minf.LVEF < 40).all()
    assert ((arv.RVEF < 40) | (arv.RVEDV > 220)).all()
    bscmr = cohorts["bscmr"][1]
    ed = bscmr[bscmr.phase == "ED"]
    assert (ed.pathology == "AS").all() and (1.05 * ed.myo_ml > 150).all()


def test_bscmr_labels_lv_at_both_phases_myo_at_ed_only(cohorts, tmp_path):
    df, _ = _index("bscmr", cohorts["bscmr"][0], tmp_path)
    assert set(df[df.phase == "ED"].labels_present) == {"LV;MYO"}
    assert set(df[df.phase == "ES"].labels_present) == {"LV"}
    es = load_case(df[df.phase == "ES"].iloc[0], tmp_path)
    assert set(np.unique(es.label)) == {0, 1}
    assert len(set(df.site)) >= 2 and set(df.field_strength_t) <= {1.5, 3.0}


def test_mnms_cines_are_4d_and_labelled_only_at_ed_and_es(cohorts):
    root, truth = cohorts["mnms"]
    meta = pd.read_csv(next(root.glob("*M&Ms_Dataset_information*.csv")), index_col=0)
    row = meta.iloc[0]
    gt_file = next(root.rglob(f"{row['External code']}_sa_gt.nii.gz"))
    gt = np.asarray(nib.load(gt_file).dataobj)
    assert gt.ndim == 4 and gt.shape[3] == COHORTS.get("mnms").cine_frames
    labelled = [t for t in range(gt.shape[3]) if gt[..., t].any()]
    assert labelled == sorted({int(row.ED), int(row.ES)})


def test_acdc_header_keeps_spacing_in_pixdim_only(cohorts):
    root, _ = cohorts["acdc"]
    img = nib.load(next(root.rglob("*_frame01.nii.gz")))
    assert int(img.header["sform_code"]) == 2 and np.allclose(img.affine[:3, :3], np.eye(3))
    low, high = SITES.get("acdc-dijon").spacing_mm  # ACDC's 1.34-1.68 mm
    assert low <= float(img.header.get_zooms()[0]) <= high
    assert img.get_data_dtype() == np.int16
    info = (next(root.rglob("Info.cfg"))).read_text()
    assert "ED: 1\n" in info and "NbFrame: 6" in info
