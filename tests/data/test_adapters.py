"""Each adapter reads its layout as downloaded into SPEC.md's manifest, labels in canonical values."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from layouts import disc_label, save, write_acdc, write_mnms, write_mnms2, write_ukbb

from benchmark.data.adapters import DATASETS, get_adapter
from benchmark.data.loader import load_case
from benchmark.data.manifest import COLUMNS, load_manifest, write_manifest
from benchmark.labels import LV, MYO, RV


def index_to_manifest(fmt: str, root: Path, out: Path):
    result = get_adapter(fmt).index(root)
    return write_manifest(result.rows, out), result.problems


def test_every_format_is_registered():
    assert DATASETS.names() == ["acdc", "manifest", "mnms", "mnms2", "ukbb"]


@pytest.mark.parametrize("database", [False, True])
def test_acdc_rows_spacing_from_pixdim_and_remapped_labels(tmp_path, database):
    write_acdc(tmp_path / "ACDC", database=database)
    df, problems = index_to_manifest("acdc", tmp_path / "ACDC", tmp_path / "m.csv")
    assert problems == []
    assert list(df.columns[: len(COLUMNS)]) == COLUMNS
    assert len(df) == 4 and set(df["phase"]) == {"ED", "ES"}
    # Info.cfg ES: 12 is 1-based: the file patient001_frame12
    es = df[(df.subject == "patient001") & (df.phase == "ES")].iloc[0]
    assert es["image"].endswith("patient001_frame12.nii.gz")
    assert es["pathology"] == "ARV" and es["split"] == "train"
    # sform carries no spacing: pixdim does
    assert (es["spacing_x_mm"], es["spacing_z_mm"]) == (1.5625, 10.0)
    case = load_case(es, tmp_path)
    assert case.spacing == (1.5625, 1.5625, 10.0)
    # ACDC 3 (LV) at the centre -> canonical 1; ACDC 1 (RV) -> canonical 3
    expected = disc_label(case.image.shape, {0: LV, 1: MYO, 2: RV})
    np.testing.assert_array_equal(case.label, expected)


def test_acdc_testing_without_ground_truth_is_indexed_unlabelled(tmp_path):
    root = write_acdc(tmp_path / "ACDC", patients=(101,), split="testing")
    for gt in root.rglob("*_gt.nii.gz"):
        gt.unlink()
    df, problems = index_to_manifest("acdc", root, tmp_path / "m.csv")
    assert problems == [] and set(df["label"]) == {""} and set(df["split"]) == {"test"}


def test_mnms_zero_based_frames_and_ed_after_es(tmp_path):
    root = write_mnms(tmp_path / "MnM")
    df, problems = index_to_manifest("mnms", root, tmp_path / "m.csv")
    assert problems == []
    later = df[df.subject == "B1D2E3"].set_index("phase")
    assert later.loc["ED", "frame"] == 11 and later.loc["ES", "frame"] == 4
    assert later.loc["ED", "vendor"] == "Philips" and later.loc["ED", "site"] == "2"
    # frame t has intensity 10 t: the loader picks the 0-based index
    ed = load_case(later.loc["ED"], tmp_path)
    es = load_case(later.loc["ES"], tmp_path)
    assert ed.image.max() == 110.0 and es.image.max() == 40.0
    assert ed.image.ndim == 3 and ed.label is not None and set(np.unique(ed.label)) == {0, 1, 2, 3}
    first = df[(df.subject == "A0S9V9") & (df.phase == "ED")].iloc[0]
    assert load_case(first, tmp_path).image.max() == 0.0


def test_mnms2_unpadded_codes_and_empty_csv_rows(tmp_path):
    root = write_mnms2(tmp_path / "MnM2")
    df, problems = index_to_manifest("mnms2", root, tmp_path / "m.csv")
    assert problems == []
    assert sorted(set(df.subject)) == ["001", "002"]
    assert set(df.scanner) == {"SymphonyTim"} and set(df.field_strength_t) == {1.5}
    assert set(df.pathology) == {"ARR"}


def test_ukbb_layout(tmp_path):
    root = write_ukbb(tmp_path / "UKBB")
    df, problems = index_to_manifest("ukbb", root, tmp_path / "m.csv")
    assert problems == [] and len(df) == 4
    assert set(df.vendor) == {"Siemens"} and set(df.field_strength_t) == {1.5}
    assert df.spacing_x_mm.iloc[0] == pytest.approx(1.8269, abs=1e-4)


def test_manifest_csv_reroots_paths_and_keeps_labels_present(tmp_path):
    shape = (16, 16, 2)
    save(tmp_path / "src/bs01/ed.nii.gz", np.ones(shape, np.float32), (0.78, 0.78, 8.0))
    save(tmp_path / "src/bs01/ed_gt.nii.gz", disc_label(shape, {0: 1, 1: 2, 2: 0}), (0.78, 0.78, 8.0))
    save(tmp_path / "src/bs01/es.nii.gz", np.ones(shape, np.float32), (0.78, 0.78, 8.0))
    (tmp_path / "src/in.csv").write_text(
        "dataset,subject,phase,image,label,site,vendor,scanner,field_strength_t,pathology,labels_present\n"
        "bscmr,bs01,ED,bs01/ed.nii.gz,bs01/ed_gt.nii.gz,Barts,Philips,Ingenia,1.5,AS,LV;MYO\n"
        "bscmr,bs01,ES,bs01/es.nii.gz,,Barts,Philips,Ingenia,1.5,AS,\n"
        "bscmr,bs02,ED,bs02/ed.nii.gz,,Leeds,Siemens,Aera,1.5,AS,LV\n")
    out = tmp_path / "elsewhere/manifest.csv"
    df, problems = index_to_manifest("manifest", tmp_path / "src/in.csv", out)
    assert [(p.subject, p.what) for p in problems] == [("bs02", "missing folder")]
    ed = load_manifest(out).set_index("phase").loc["ED"]
    assert ed["labels_present"] == "LV;MYO" and ed["site"] == "Barts" and ed["spacing_x_mm"] == 0.78
    assert (out.parent / ed["image"]).resolve() == (tmp_path / "src/bs01/ed.nii.gz").resolve()
