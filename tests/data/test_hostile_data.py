"""Hostile data (issue 11): each defect is one problem naming the file; the other cases go on."""
from __future__ import annotations

import gzip
import struct
from pathlib import Path

import nibabel as nib
import numpy as np
import pandas as pd
import pytest
from layouts import save, write_acdc, write_mnms
from typer.testing import CliRunner

from benchmark.cli import app
from benchmark.data.manifest import errors_path, load_manifest
from benchmark.data.problems import read_problems

runner = CliRunner()


def cli(*args: object):
    result = runner.invoke(app, [str(a) for a in args])
    assert "Traceback" not in result.output, result.output
    return result


def index(fmt: str, root: Path, out: Path):
    result = cli("data", "index", fmt, root, "--out", out)
    return result, read_problems(errors_path(out)) if errors_path(out).exists() else []


def acdc_file(root: Path, n: int, suffix: str = "frame01.nii.gz") -> Path:
    return root / "training" / f"patient{n:03d}" / f"patient{n:03d}_{suffix}"


@pytest.fixture
def acdc(tmp_path: Path) -> Path:
    return write_acdc(tmp_path / "ACDC", patients=(1, 2, 3))


def patch(path: Path, offset: int, raw: bytes) -> None:
    """Overwrite bytes of a .nii.gz header in place (nibabel would refuse or silently fix the values)."""
    data = bytearray(gzip.decompress(path.read_bytes()))
    data[offset:offset + len(raw)] = raw
    path.write_bytes(gzip.compress(bytes(data)))


def set_pixdim(path: Path, x: float) -> None:
    """pixdim[1] (bytes 80-83 of a NIfTI-1 header) set to x."""
    patch(path, 80, struct.pack("<f", x))


@pytest.mark.parametrize("pixdim", [0.0, -1.5, float("nan"), float("inf"), 100.0, 1e-6])
def test_implausible_spacing_is_one_problem_at_index_and_at_load(acdc, tmp_path, pixdim):
    out = tmp_path / "m.csv"
    _, problems = index("acdc", acdc, out)
    assert problems == []
    set_pixdim(acdc_file(acdc, 2), pixdim)  # after indexing: the load must catch it too
    result = cli("data", "check", out)
    assert result.exit_code == 1
    assert "patient002_frame01.nii.gz: bad spacing" in result.output and "within 0.1-20 mm" in result.output
    assert "checked 6 case(s): 5 usable, 1 unusable" in result.output
    _, problems = index("acdc", acdc, tmp_path / "again.csv")
    assert [(p.subject, p.phase, p.what) for p in problems] == [("patient002", "ED", "bad spacing")]


def test_header_dimensions_of_30000_cubed_are_refused_before_any_read(acdc, tmp_path):
    patch(acdc_file(acdc, 1), 40, struct.pack("<8h", 3, 30000, 30000, 30000, 1, 1, 1, 1))  # dim[0..7]
    _, problems = index("acdc", acdc, tmp_path / "m.csv")
    [p] = problems
    assert (p.subject, p.what) == ("patient001", "implausible size") and "(30000, 30000, 30000)" in p.why


def test_a_label_on_another_grid_is_a_geometry_problem(acdc, tmp_path):
    lab = acdc_file(acdc, 3, "frame12_gt.nii.gz")
    img = nib.load(str(lab))
    shifted = img.affine.copy()
    shifted[0, 3] += 0.78  # half a voxel
    moved = nib.Nifti1Image(np.asanyarray(img.dataobj), None, img.header)
    moved.set_sform(shifted, code=2)
    moved.header.set_zooms(img.header.get_zooms())  # pixdim as before: only the origin moves
    nib.save(moved, str(lab))
    _, problems = index("acdc", acdc, tmp_path / "m.csv")
    [p] = problems
    assert (p.subject, p.phase, p.what) == ("patient003", "ES", "geometry mismatch")
    assert "origin differs by 0.78 mm" in p.why


def write_manifest_csv(path: Path, rows: list[dict]) -> Path:
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def test_duplicate_manifest_rows_are_left_out_and_named(acdc, tmp_path):
    out = tmp_path / "m.csv"
    index("acdc", acdc, out)
    df = pd.read_csv(out, dtype=str, keep_default_na=False)
    pd.concat([df, df.iloc[[0]]]).to_csv(out, index=False)  # patient001 ED twice
    loaded = load_manifest(out)
    assert len(loaded) == 5
    [p] = loaded.attrs["problems"]
    assert (p.subject, p.phase, p.what) == ("patient001", "ED", "duplicate case") and "lines 2, 8" in p.why
    result = cli("data", "check", out)
    assert result.exit_code == 1 and "1 manifest row(s) left out" in result.output


def test_a_duplicate_across_training_and_testing_is_reported_by_the_adapter(tmp_path):
    root = write_acdc(tmp_path / "ACDC", patients=(1, 2))
    write_acdc(root, patients=(2,), split="testing")
    _, problems = index("acdc", root, tmp_path / "m.csv")
    assert sorted((p.subject, p.phase, p.what) for p in problems) == [("patient002", ph, "duplicate case")
                                                                     for ph in ("ED", "ED", "ES", "ES")]
    assert sorted(set(load_manifest(tmp_path / "m.csv").subject)) == ["patient001"]


@pytest.mark.parametrize("content, what, kept", [(b"ED: \xb2\nES: 12\n", "unreadable metadata", []),
                                                 ("ED: ²\nES: 12\n".encode(), "missing metadata", ["ES"]),
                                                 (b"\x00\x01\x02\xff" * 50, "unreadable metadata", []),
                                                 (b"ED: 0\nES: 12\n", "missing metadata", ["ES"])])
def test_a_bad_info_cfg_costs_only_its_patient(acdc, tmp_path, content, what, kept):
    (acdc / "training/patient002/Info.cfg").write_bytes(content)
    result, problems = index("acdc", acdc, tmp_path / "m.csv")
    assert result.exit_code == 0
    assert {(p.subject, p.what) for p in problems} == {("patient002", what)}
    df = load_manifest(tmp_path / "m.csv")
    assert len(df) == 4 + len(kept) and list(df[df.subject == "patient002"].phase) == kept


@pytest.mark.parametrize("sep", [";", "\t"])
def test_mnms_csv_saved_with_semicolons_or_tabs_is_read(tmp_path, sep):
    root = write_mnms(tmp_path / "MnM")
    csv = root / "211230_M&Ms_Dataset_information_diagnosis_opendataset.csv"
    csv.write_text("\ufeff" + csv.read_text().replace(",", sep))
    result, problems = index("mnms", root, tmp_path / "m.csv")
    assert result.exit_code == 0 and problems == []
    assert len(load_manifest(tmp_path / "m.csv")) == 4


def test_mnms_csv_that_is_not_utf8_is_one_problem(tmp_path):
    root = write_mnms(tmp_path / "MnM")
    csv = root / "211230_M&Ms_Dataset_information_diagnosis_opendataset.csv"
    csv.write_bytes(csv.read_bytes().replace(b"HCM", b"H\xe9M"))
    result, problems = index("mnms", root, tmp_path / "m.csv")
    assert result.exit_code == 2 and "no usable case" in result.output
    [p] = problems
    assert p.what == "unreadable table" and "not UTF-8 text (byte 0xe9" in p.why and p.file == str(csv)


@pytest.mark.parametrize("content, why", [(b"", "empty file"), (b"dataset,subject\n\xe9,x\n", "not UTF-8 text (byte 0xe9 at offset 16)"),
                                          (b"dataset;subject;phase\n", "missing column(s) image")])
def test_unreadable_manifests_are_one_line(tmp_path, content, why):
    path = tmp_path / "m.csv"
    path.write_bytes(content)
    result = cli("data", "check", path)
    assert result.exit_code == 2 and why in result.output and str(path) in result.output.replace("\n", "")


def test_a_symlink_loop_in_a_manifest_is_that_case_only(acdc, tmp_path):
    out = tmp_path / "m.csv"
    index("acdc", acdc, out)
    loop = tmp_path / "loop.nii.gz"
    loop.symlink_to(tmp_path / "loop2.nii.gz")
    (tmp_path / "loop2.nii.gz").symlink_to(loop)
    df = pd.read_csv(out, dtype=str, keep_default_na=False)
    df.loc[0, "image"] = str(loop)
    df.to_csv(out, index=False)
    result = cli("data", "check", out)
    assert result.exit_code == 1 and "checked 6 case(s): 5 usable, 1 unusable" in result.output


def test_prepare_records_any_exception_of_one_case_and_goes_on(acdc, tmp_path, monkeypatch):
    import benchmark.preprocess as pre

    out = tmp_path / "m.csv"
    index("acdc", acdc, out)
    df = load_manifest(out)
    df["case_digest"] = [f"case{i}" for i in range(len(df))]
    real = pre.prepare_case

    def explode(case, cfg):
        if case.meta["subject"] == "patient002" and case.meta["phase"] == "ES":
            raise MemoryError
        return real(case, cfg)

    monkeypatch.setattr(pre, "prepare_case", explode)
    problems = pre.PreparedStore(tmp_path / "cache", pre.Preprocess()).prepare(df)
    assert [(p.subject, p.phase, p.what) for p in problems] == [("patient002", "ES", "too large")]
    assert len(list((tmp_path / "cache").glob("*/*.npz"))) == 5
