"""nnU-Net v2 both ways: `cmrbench export nnunet` passes nnU-Net's own integrity check, and predictions written by
nnU-Net's own writer are scored by `cmrbench evaluate --mapping` with their domain metadata.

The suite: a UK Biobank-like source (3 subjects: train 1, val 1, test 1), an ACDC-like target (identity sform,
spacing in pixdim only: the header nnU-Net and nibabel read differently unless the export rewrites it) and an
M&Ms-like target (4D cines: ED and ES are frames of one file)."""
from __future__ import annotations

import json
from pathlib import Path

import nibabel as nib
import numpy as np
import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from benchmark.cli import app
from benchmark.data.loader import load_case
from benchmark.data.manifest import load_manifest
from benchmark.export.mapping import case_id

DATASET = "Dataset501_nn-tiny"


def invoke(*args: str):  # type: ignore[no-untyped-def]
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result


@pytest.fixture(scope="module")
def export(tmp_path_factory) -> tuple[Path, Path]:
    """(the export's data set folder, the run folder whose splits it used)."""
    tmp = tmp_path_factory.mktemp("nnunet")
    suite = {"name": "nn-tiny",
             "data": {"source": {"name": "ukbb", "synth": {"cohort": "ukbb", "subjects": 3, "seed": 0},
                                 "split": {"train": 1, "val": 1, "test": 1}},
                      "targets": [{"name": "acdc", "synth": {"cohort": "acdc", "subjects": 1, "seed": 1}},
                                  {"name": "mnms", "synth": {"cohort": "mnms", "subjects": 1, "seed": 2}}]},
             "preprocess": {"crop": 32}, "training": {"iterations": 1, "batch_size": 2},
             "models": [{"name": "unet_test"}], "policies": ["none"]}
    (tmp / "suite.yaml").write_text(yaml.safe_dump(suite))
    invoke("export", "nnunet", str(tmp / "suite.yaml"), "--out", str(tmp / "raw"), "--run", str(tmp / "run"))
    return tmp / "raw" / DATASET, tmp / "run"


def test_export_layout_follows_the_suite_split_and_keeps_voxels_and_spacing(export):
    folder, run = export
    meta = json.loads((folder / "dataset.json").read_text())
    assert meta["labels"] == {"background": 0, "LV": 1, "MYO": 2, "RV": 3} and meta["file_ending"] == ".nii.gz"
    assert meta["channel_names"] == {"0": "cineMRI"} and meta["numTraining"] == 4  # 2 subjects x ED, ES
    splits = pd.read_csv(run / "splits.csv")
    subject = {p: splits.loc[(splits.dataset == "ukbb") & (splits.split == p), "subject"].item()
               for p in ("train", "val", "test")}
    fold = json.loads((folder / "splits_final.json").read_text())
    assert fold == [{p: [f"ukbb_{subject[p]}_ED", f"ukbb_{subject[p]}_ES"] for p in ("train", "val")}]
    mapping = load_manifest(folder / "mapping.csv")
    tests = sorted(mapping.loc[mapping.nnunet_folder == "imagesTs", "nnunet_case"])
    assert tests == sorted(f"{d}_{s}_{p}" for d, s in [("ukbb", subject["test"]), ("acdc", "patient001"),
                                                       ("mnms", mapping.loc[mapping.dataset == "mnms", "subject"]
                                                        .iloc[0])] for p in ("ED", "ES"))
    assert sorted(p.name for p in (folder / "imagesTs").iterdir()) == [f"{c}_0000.nii.gz" for c in tests]
    for row in mapping.to_dict("records"):
        exported = load_case(row, mapping.attrs["root"])
        source = load_case({**row, "image": row["source_image"], "label": row["source_label"],
                            "frame": row["source_frame"], "label_map": "acdc" if row["dataset"] == "acdc"
                            else "canonical"}, "/")
        assert exported.image.ndim == 3 and np.array_equal(exported.image, source.image)  # no resampling
        assert np.array_equal(exported.label, source.label) and exported.spacing == source.spacing
        stored = nib.load(str(mapping.attrs["root"] + "/" + row["label"]))
        assert stored.get_data_dtype() == np.uint8 and set(np.unique(stored.dataobj)) <= {0, 1, 2, 3}
    assert mapping.loc[mapping.dataset == "mnms", "source_frame"].astype(str).str.isdigit().all()  # 4D cine frames


def test_export_passes_nnunets_own_integrity_check(export, monkeypatch, tmp_path):
    pytest.importorskip("nnunetv2", reason="nnunetv2 is not installed (pip install 'cmrbench[nnunet]')")
    folder, _ = export
    for var, path in [("nnUNet_raw", folder.parent), ("nnUNet_preprocessed", tmp_path / "pre"),
                      ("nnUNet_results", tmp_path / "results")]:
        monkeypatch.setenv(var, str(path))
    from nnunetv2.experiment_planning.verify_dataset_integrity import verify_dataset_integrity
    from nnunetv2.utilities.utils import get_identifiers_from_splitted_dataset_folder

    verify_dataset_integrity(str(folder), num_processes=1)  # raises (AssertionError, RuntimeError) on a defect
    mapping = pd.read_csv(folder / "mapping.csv")
    ids = get_identifiers_from_splitted_dataset_folder(str(folder / "imagesTs"), ".nii.gz")
    assert sorted(ids) == sorted(mapping.loc[mapping.nnunet_folder == "imagesTs", "nnunet_case"])


def dice(a: np.ndarray, b: np.ndarray, k: int) -> float:
    """Dice of structure k between two label maps."""
    return 2 * float(((a == k) & (b == k)).sum()) / float((a == k).sum() + (b == k).sum())


def test_predictions_named_and_written_as_nnunet_writes_them_are_scored_with_domain_metadata(export, tmp_path):
    pytest.importorskip("nnunetv2", reason="nnunetv2 is not installed (pip install 'cmrbench[nnunet]')")
    from nnunetv2.imageio.simpleitk_reader_writer import SimpleITKIO

    folder, _ = export
    mapping = pd.read_csv(folder / "mapping.csv", keep_default_na=False)
    tests = mapping[mapping.nnunet_folder == "imagesTs"].set_index("nnunet_case")
    altered, missing = tests.index[tests.dataset == "ukbb"][0], tests.index[tests.dataset == "acdc"][0]
    pred = tmp_path / "pred"
    pred.mkdir()
    expected = {}
    for case in tests.index.drop(missing):  # nnUNetv2_predict: the input's geometry, labels as predicted
        _, props = SimpleITKIO().read_images([str(folder / "imagesTs" / f"{case}_0000.nii.gz")])
        seg, _ = SimpleITKIO().read_seg(str(folder / "labelsTs" / f"{case}.nii.gz"))
        out = np.roll(seg[0], 2, axis=-1) if case == altered else seg[0]  # two voxels along the rows
        if case == altered:
            expected = {s: dice(out, seg[0], k) for s, k in [("LV", 1), ("MYO", 2), ("RV", 3)]}
        SimpleITKIO().write_seg(out, str(pred / f"{case}.nii.gz"), props)
    invoke("evaluate", "--pred", str(pred), "--mapping", str(folder / "mapping.csv"), "--out",
           str(tmp_path / "scored"), "--name", "nnunet")
    res = tmp_path / "scored" / "results"
    cases = pd.read_csv(res / "cases.csv", keep_default_na=False)
    cases["case"] = [case_id(d, s, p) for d, s, p in zip(cases.dataset, cases.subject, cases.phase)]
    assert set(cases.case) == set(tests.index.drop(missing))
    assert (cases.loc[cases.case != altered, "dice"] == 1.0).all()
    shifted = cases[cases.case == altered].set_index("structure")["dice"]
    assert 0.3 < min(expected.values()) and max(expected.values()) < 0.99
    assert shifted.to_dict() == pytest.approx(expected, abs=1e-6)
    errors = pd.read_csv(res / "errors.csv", keep_default_na=False)
    lost = tests.loc[missing]
    assert errors[["dataset", "subject", "phase", "what"]].values.tolist() == [
        [lost.dataset, lost.subject, lost.phase, "missing prediction"]]
    assert len(pd.read_csv(res / "expected.csv")) == len(tests)
    for col in ("site", "vendor"):  # every scored row carries its case's domain metadata
        assert (cases[col] == [tests.loc[c, col] for c in cases.case]).all() and (cases[col] != "").all()
    site_table = (tmp_path / "scored" / "leaderboards" / "table7_site.md").read_text()
    vendor_table = (tmp_path / "scored" / "leaderboards" / "table6_scanner.md").read_text()
    assert all(s in site_table for s in set(tests.site)) and all(v in vendor_table for v in set(tests.vendor))


def test_a_second_export_with_the_same_id_is_refused_before_any_work(export):
    folder, run = export
    result = CliRunner().invoke(app, ["export", "nnunet", str(folder.parents[1] / "suite.yaml"), "--out",
                                      str(folder.parent), "--run", str(run), "--name", "other"])
    assert result.exit_code == 2 and "data set 501 exists already" in " ".join(result.output.split())
    assert [p.name for p in folder.parent.iterdir()] == [DATASET]  # nothing half-written beside it


def test_evaluate_takes_a_manifest_or_a_mapping_not_both(tmp_path):
    (tmp_path / "pred").mkdir()
    for given in ([], ["--manifest", "m.csv", "--mapping", "mapping.csv"]):
        result = CliRunner().invoke(app, ["evaluate", "--pred", str(tmp_path / "pred"), "--out", str(tmp_path),
                                          *given])
        assert result.exit_code == 2 and "one of the two" in result.output


def test_case_ids_are_nnunet_identifiers_and_never_meet():
    assert case_id("acdc", "patient001", "ED") == "acdc_patient001_ED"
    odd = [case_id("my set", "a.b", "ES"), case_id("my-set", "a-b", "ES"), case_id("my set", "a b", "ES")]
    assert len(set(odd)) == 3 and odd[1] == "my-set_a-b_ES"
    assert all(c.replace("_", "").replace("-", "").isalnum() for c in odd)
