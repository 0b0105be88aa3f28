"""Every bad input gets one clear problem naming the file; the good cases are kept."""
from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest
from layouts import save, write_acdc, write_mnms
from typer.testing import CliRunner

from benchmark.cli import app
from benchmark.data.manifest import errors_path, load_manifest
from benchmark.data.problems import read_problems

runner = CliRunner()


def cli(*args: str):
    result = runner.invoke(app, [str(a) for a in args])
    assert "Traceback" not in result.output
    return result


def acdc_file(root: Path, n: int, suffix: str = "frame01.nii.gz") -> Path:
    return root / "training" / f"patient{n:03d}" / f"patient{n:03d}_{suffix}"


def index(fmt: str, root: Path, tmp_path: Path, *extra: str):
    out = tmp_path / "manifest.csv"
    result = cli("data", "index", fmt, root, "--out", out, *extra)
    problems = read_problems(errors_path(out)) if errors_path(out).exists() else []
    return result, out, problems


@pytest.fixture
def acdc(tmp_path: Path) -> Path:
    return write_acdc(tmp_path / "ACDC", patients=(1, 2, 3))


def test_missing_info_cfg_skips_that_patient_only(acdc, tmp_path):
    (acdc / "training/patient002/Info.cfg").unlink()
    result, out, problems = index("acdc", acdc, tmp_path)
    assert result.exit_code == 0
    assert sorted(set(load_manifest(out).subject)) == ["patient001", "patient003"]
    [p] = problems
    assert (p.subject, p.what) == ("patient002", "missing metadata") and p.file.endswith("Info.cfg")
    assert "Info.cfg" in result.output


def test_es_frame_not_on_disk(acdc, tmp_path):
    acdc_file(acdc, 1, "frame12.nii.gz").unlink()
    _, out, problems = index("acdc", acdc, tmp_path)
    assert [(p.subject, p.phase, p.what) for p in problems] == [("patient001", "ES", "missing file")]
    assert "1-based" in problems[0].why
    assert len(load_manifest(out)) == 5


def test_image_label_shape_mismatch(acdc, tmp_path):
    save(acdc_file(acdc, 3, "frame01_gt.nii.gz"), np.zeros((24, 19, 3), np.uint8), (1.5, 1.5, 10))
    _, _, problems = index("acdc", acdc, tmp_path)
    [p] = problems
    assert (p.subject, p.what) == ("patient003", "shape mismatch") and "(24, 19, 3)" in p.why


@pytest.mark.parametrize("shape", [(24, 20), (24, 20, 3, 2, 2)])
def test_2d_and_5d_files(acdc, tmp_path, shape):
    save(acdc_file(acdc, 2), np.zeros(shape, np.int16), (1.5,) * len(shape))
    _, _, problems = index("acdc", acdc, tmp_path)
    [p] = problems
    assert p.what == "bad dimensions" and f"{len(shape)}D" in p.why


def _truncate(path: Path) -> None:
    raw = path.read_bytes()
    path.write_bytes(raw[: len(raw) // 2])


def _check(tmp_path: Path, out: Path):
    result = cli("data", "check", out)
    return result


def test_check_reports_truncated_nan_and_label_values(acdc, tmp_path):
    _, out, problems = index("acdc", acdc, tmp_path)
    assert problems == []
    _truncate(acdc_file(acdc, 1))
    img = np.zeros((24, 20, 3), np.float32)
    img[3, 4, 1] = np.nan
    save(acdc_file(acdc, 2), img, (1.5625, 1.5625, 10.0))
    lab = np.zeros((24, 20, 3), np.uint8)
    lab[0, 0, 0] = 7
    save(acdc_file(acdc, 3, "frame12_gt.nii.gz"), lab, (1.5625, 1.5625, 10.0), acdc_header=True)
    result = _check(tmp_path, out)
    assert result.exit_code == 1
    text = result.output
    assert "patient001_frame01.nii.gz: truncated file" in text
    assert "patient002_frame01.nii.gz: non-finite intensities: 1 voxel(s) are NaN or Inf" in text
    assert "patient003_frame12_gt.nii.gz: unexpected label values: found [7], expected [0, 1, 2, 3] (acdc convention)" in text
    assert "checked 6 case(s): 3 usable, 3 unusable" in text


def test_check_passes_on_clean_data_and_verify_drops_bad_cases(acdc, tmp_path):
    _, out, _ = index("acdc", acdc, tmp_path)
    assert _check(tmp_path, out).exit_code == 0
    with gzip.open(acdc_file(acdc, 2), "rb") as fh:
        head = fh.read(400)
    acdc_file(acdc, 2).write_bytes(gzip.compress(head))  # header intact, data gone
    result, out, problems = index("acdc", acdc, tmp_path, "--verify")
    assert result.exit_code == 0
    assert [(p.subject, p.phase, p.what) for p in problems] == [("patient002", "ED", "truncated file")]
    assert len(load_manifest(out)) == 5


def test_mnms_case_missing_from_csv_and_frame_beyond_cine(tmp_path):
    root = write_mnms(tmp_path / "MnM", {"A0S9V9": (0, 9), "B1D2E3": (11, 40)})
    folder = root / "Training/Labeled/C9C9C9"
    folder.mkdir()
    _, out, problems = index("mnms", root, tmp_path)
    found = {(p.subject, p.phase, p.what) for p in problems}
    assert found == {("B1D2E3", "ES", "frame out of range"), ("C9C9C9", "", "missing metadata")}
    assert len(load_manifest(out)) == 3


def test_user_errors_are_one_line_without_traceback(tmp_path):
    result = cli("data", "index", "acdcc", tmp_path, "--out", tmp_path / "m.csv")
    assert result.exit_code != 0 and "did you mean 'acdc'" in result.output
    result = cli("data", "check", tmp_path / "nope.csv")
    assert result.exit_code != 0 and "nope.csv: no such file" in result.output
    bad = tmp_path / "bad.csv"
    bad.write_text("dataset,subject\nx,y\n")
    result = cli("data", "check", bad)
    assert result.exit_code != 0 and "missing column(s) phase, image" in result.output
