"""`cmrbench predict` options: label files left out of a folder, frames of a 4D cine, ACDC's label values and
class probabilities. The checkpoint's network says LV inside its centred 32 x 32 crop."""
from __future__ import annotations

import nibabel as nib
import numpy as np
import pytest
from test_predict import SHAPE, invoke, write_case

from benchmark.models import MODELS

LV_INSIDE = np.zeros(SHAPE, dtype=np.uint8)
LV_INSIDE[4:36, 2:34] = 1


@pytest.fixture
def case(tmp_path):
    plugin, ckpt, image = write_case(tmp_path, "predictnet_opts")
    yield plugin, ckpt, image
    MODELS.remove("predictnet_opts")


def run(case, source, out, *options):
    plugin, ckpt, _ = case
    return invoke("predict", "--checkpoint", ckpt, "--input", source, "--out", out, "--plugins", plugin, *options)


def read(path):
    img = nib.load(path)
    return np.asarray(img.dataobj), img


def test_label_files_in_a_folder_are_left_out(tmp_path, case):
    folder = tmp_path / "in"
    folder.mkdir()
    data = np.random.default_rng(1).normal(size=SHAPE).astype(np.float32)
    for name in ("p1_ED.nii.gz", "p1_ED_gt.nii.gz", "p2_sa_seg.nii.gz"):
        nib.save(nib.Nifti1Image(data, np.diag([1.5, 1.5, 8.0, 1.0])), folder / name)
    result = run(case, folder, tmp_path / "seg")
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (tmp_path / "seg").iterdir()) == ["p1_ED.nii.gz"]
    assert "left out 2 label file(s)" in result.output


def write_cine(folder, frames=3, info=True):
    folder.mkdir(parents=True, exist_ok=True)
    data = np.random.default_rng(2).normal(size=(*SHAPE, frames)).astype(np.float32)
    nib.save(nib.Nifti1Image(data, np.diag([1.5, 1.5, 8.0, 1.0])), folder / "patient001_4d.nii.gz")
    if info:
        (folder / "Info.cfg").write_text("ED: 1\nES: 3\nGroup: NOR\n")
    return folder / "patient001_4d.nii.gz"


def test_all_frames_of_a_cine_give_one_4d_label_map(tmp_path, case):
    cine = write_cine(tmp_path / "acdc")
    assert run(case, cine, tmp_path / "seg").exit_code == 0
    label, img = read(tmp_path / "seg" / "patient001_4d.nii.gz")
    assert label.shape == (*SHAPE, 3) and all(np.array_equal(label[..., t], LV_INSIDE) for t in range(3))
    assert img.header.get_zooms()[:3] == (1.5, 1.5, 8.0)


def test_ed_es_from_info_cfg_and_frame_numbers(tmp_path, case):
    cine = write_cine(tmp_path / "acdc")
    result = run(case, cine, tmp_path / "seg", "--frames", "ED,ES,2")
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (tmp_path / "seg").iterdir()) == [
        "patient001_4d_ED.nii.gz", "patient001_4d_ES.nii.gz", "patient001_4d_frame02.nii.gz"]
    assert np.array_equal(read(tmp_path / "seg" / "patient001_4d_ES.nii.gz")[0], LV_INSIDE)


def test_ed_without_info_cfg_skips_the_file_and_says_why(tmp_path, case):
    cine = write_cine(tmp_path / "bare", info=False)
    result = run(case, cine, tmp_path / "seg", "--frames", "ED")
    assert result.exit_code == 1
    assert "--frames ED needs an Info.cfg beside the cine" in " ".join(result.output.split())
    assert (tmp_path / "seg" / "errors.csv").is_file()
    assert run(case, cine, tmp_path / "seg2", "--frames", "9").exit_code == 1  # past the cine's 3 frames
    assert invoke("predict", "--checkpoint", case[1], "--input", cine, "--out", tmp_path / "x",
                  "--frames", "ED;ES").exit_code == 2


def test_acdc_label_values_and_probabilities(tmp_path, case):
    _, _, image = case
    assert run(case, image, tmp_path / "seg", "--label-map", "acdc", "--probabilities").exit_code == 0
    label, _ = read(tmp_path / "seg" / image.name)
    assert np.array_equal(label, np.where(LV_INSIDE == 1, 3, 0))  # ACDC: LV is 3
    probs, img = read(tmp_path / "seg" / "case_ED_probs.nii.gz")
    assert probs.shape == (*SHAPE, 4) and probs.dtype == np.float32
    assert np.allclose(probs.sum(-1), 1, atol=1e-5)
    assert np.array_equal(probs.argmax(-1), LV_INSIDE)
    assert invoke("predict", "--checkpoint", case[1], "--input", image, "--out", tmp_path / "y",
                  "--label-map", "mnms").exit_code == 2
