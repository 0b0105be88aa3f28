"""The hostile-input corpus: each case writes one bad input into a sandbox and says which command to run on it.

A case's `build(env)` returns a `Call`: the command's arguments, the folders it may write to, and the names
(file names, keys) that its error message or errors.csv row must contain. test_corpus.py runs every call and
checks the promise (README.md). Nothing here knows how the product should word a message.
"""
from __future__ import annotations

import gzip
import io
import json
import os
import shutil
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import nibabel as nib
import numpy as np
import pandas as pd
import yaml
from layouts import MNMS_HEADER, save, write_mnms, write_mnms2, write_ukbb

FAMILIES = ("nifti", "layout", "manifest", "suite", "set", "checkpoint", "prediction", "runstate")


@dataclass
class Env:
    """Where a case writes: `sb` is the sandbox (snapshotted); `base`, `run`, `cache` are shared, read-only inputs."""

    sb: Path
    base: Path  # clean inputs: ACDC/ (2 patients), acdc.csv (its manifest), preds/ (perfect predictions)
    run: Path | None = None  # a finished tiny run: results/, jobs/<id>/best.pt, manifests/, splits.csv
    cache: Path | None = None  # that run's cache (a generated ukbb cohort)
    suite: dict | None = None  # that run's suite

    @property
    def inp(self) -> Path:
        return self.sb / "in"

    @property
    def out(self) -> Path:
        return self.sb / "out"

    @property
    def work(self) -> Path:
        """The command's current folder (inside the sandbox, so that writes there are seen)."""
        return self.sb / "work"

    @property
    def marker(self) -> Path:
        """A file that only executed input would create."""
        return self.sb / "MARKER"

    # the clean inputs, copied into the sandbox -----------------------------------------------------------
    def inputs(self) -> Path:
        if not (self.inp / "ACDC").exists():
            shutil.copytree(self.base, self.inp, symlinks=True, dirs_exist_ok=True)
        return self.inp

    def acdc(self, n: int = 1, suffix: str = "frame01.nii.gz") -> Path:
        self.inputs()
        return self.inp / "ACDC" / "training" / f"patient{n:03d}" / f"patient{n:03d}_{suffix}"

    @property
    def manifest(self) -> Path:
        self.inputs()
        return self.inp / "acdc.csv"

    def pred(self, subject: str = "patient001", phase: str = "ED") -> Path:
        self.inputs()
        return self.inp / "preds" / f"{subject}_{phase}.nii.gz"

    def best_pt(self) -> Path:
        assert self.run is not None
        return next(self.run.glob("jobs/*/best.pt"))


@dataclass
class Call:
    """One command on hostile input and what the promise needs to know to judge it."""

    args: list[str]
    allowed: list[Path] = field(default_factory=list)  # folders (or files) the command may create or change
    names: list[str] = field(default_factory=list)  # one of these must be named by the error line or an errors row
    limited: bool = False  # run in a subprocess under a memory limit and a timeout
    max_seconds: float | None = None  # the command itself (imports excluded) must finish within this
    accept_ok: Callable[[], bool] | None = None  # exit 0 without a row is fine if this says the input was handled
    report_lines: bool = False  # the command writes no errors file: its printed error/warning lines are its rows
    skip: str = ""


@dataclass(frozen=True)
class Case:
    id: str
    family: str
    build: Callable[[Env], Call]
    needs_run: bool = False  # needs the session's tiny trained run (checkpoint, results, cache)


CASES: list[Case] = []


def case(family: str, name: str, needs_run: bool = False):  # type: ignore[no-untyped-def]
    assert family in FAMILIES

    def deco(fn: Callable[[Env], Call]) -> Callable[[Env], Call]:
        CASES.append(Case(f"{family}-{name}", family, fn, needs_run))
        return fn

    return deco


def add(family: str, name: str, fn: Callable[[Env], Call], needs_run: bool = False) -> None:
    case(family, name, needs_run)(fn)


# ----------------------------------------------------------------------------------------------------------
# low-level writers
# ----------------------------------------------------------------------------------------------------------
def _raw(path: Path) -> tuple[bytes, bool]:
    data = path.read_bytes()
    gz = data[:2] == b"\x1f\x8b"
    return (gzip.decompress(data) if gz else data), gz


def _write_raw(path: Path, raw: bytes, gz: bool) -> None:
    path.write_bytes(gzip.compress(raw, mtime=0) if gz else raw)


def patch_header(path: Path, fn: Callable[[nib.Nifti1Header], None]) -> Path:
    """Change header fields in place, byte for byte (nibabel's save would recompute them from the affine)."""
    raw, gz = _raw(path)
    hdr = nib.Nifti1Header.from_fileobj(io.BytesIO(raw), check=False)
    fn(hdr)
    _write_raw(path, hdr.binaryblock + raw[348:], gz)
    return path


def set_field(name: str, index: int | None, value: float) -> Callable[[nib.Nifti1Header], None]:
    def fn(hdr: nib.Nifti1Header) -> None:
        if index is None:
            hdr[name] = value
        else:
            arr = np.array(hdr[name]).copy()
            arr[index] = value
            hdr[name] = arr

    return fn


def truncate(path: Path, keep: float | int = 0.5) -> Path:
    raw = path.read_bytes()
    n = int(len(raw) * keep) if isinstance(keep, float) else keep
    path.write_bytes(raw[:n])
    return path


def random_bytes(path: Path, n: int = 4096, seed: int = 0) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(np.random.default_rng(seed).integers(0, 256, n, dtype=np.uint8).tobytes())
    return path


def symlink_loop(path: Path) -> Path:
    """`path` becomes one end of a two-link loop."""
    if path.exists() or path.is_symlink():
        path.unlink()
    other = path.with_name(path.name + ".loop")
    os.symlink(path.name, other)
    os.symlink(other.name, path)
    return path


def replace_data(path: Path, data: np.ndarray) -> Path:
    """Same header geometry (affine, pixdim), new voxels (and dtype)."""
    img = nib.load(str(path))
    hdr = img.header.copy()
    hdr.set_data_dtype(data.dtype)
    new = nib.Nifti1Image(data, img.affine, hdr)
    new.header.set_zooms(img.header.get_zooms()[: data.ndim] + (1.0,) * max(0, data.ndim - 3))
    nib.save(new, str(path))
    return path


def edit_manifest(path: Path, fn: Callable[[pd.DataFrame], pd.DataFrame | None]) -> Path:
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    new = fn(df)
    (df if new is None else new).to_csv(path, index=False)
    return path


# ----------------------------------------------------------------------------------------------------------
# the commands
# ----------------------------------------------------------------------------------------------------------
def index_call(env: Env, fmt: str, root: Path, names: list[str], **kw: object) -> Call:
    return Call(["data", "index", fmt, str(root), "--out", str(env.out / "m.csv")], [env.out], names, **kw)  # type: ignore[arg-type]


def index_acdc(env: Env, names: list[str], **kw: object) -> Call:
    return index_call(env, "acdc", env.inputs() / "ACDC", names, **kw)


def check_call(env: Env, names: list[str], manifest: Path | None = None, **kw: object) -> Call:
    return Call(["data", "check", str(manifest or env.manifest)], [], names, report_lines=True,
                **kw)  # type: ignore[arg-type]


def evaluate_call(env: Env, names: list[str], manifest: Path | None = None, pred: Path | None = None,
                  **kw: object) -> Call:
    env.inputs()
    return Call(["evaluate", "--manifest", str(manifest or env.manifest), "--pred", str(pred or env.inp / "preds"),
                 "--out", str(env.out)], [env.out], names, **kw)  # type: ignore[arg-type]


def validate_call(env: Env, suite: Path, names: list[str], sets: tuple[str, ...] = (), **kw: object) -> Call:
    args = ["validate", str(suite)]
    for s in sets:
        args += ["--set", s]
    return Call(args, [], names, **kw)  # type: ignore[arg-type]


def run_call(env: Env, suite: Path, names: list[str], out: Path | None = None, **kw: object) -> Call:
    out = out or env.out
    assert env.cache is not None
    return Call(["run", str(suite), "--out", str(out)], [out, env.cache], names, **kw)  # type: ignore[arg-type]


def predict_call(env: Env, ckpt: Path, names: list[str], image: Path | None = None, **kw: object) -> Call:
    return Call(["predict", "--checkpoint", str(ckpt), "--input", str(image or env.acdc(1)), "--out", str(env.out)],
                [env.out], names, **kw)  # type: ignore[arg-type]


# ----------------------------------------------------------------------------------------------------------
# 1. NIfTI headers and data
# ----------------------------------------------------------------------------------------------------------
IMG, GT = "patient001_frame01.nii.gz", "patient001_frame01_gt.nii.gz"


def _header_case(name: str, fn: Callable[[nib.Nifti1Header], None], target: str = "frame01.nii.gz",
                 command: str = "index") -> None:
    def build(env: Env) -> Call:
        path = patch_header(env.acdc(1, target), fn)
        if command == "index":
            return index_acdc(env, [path.name])
        return check_call(env, [path.name])

    add("nifti", name, build)


for _label, _value in [("zero", 0.0), ("negative", -1.5625), ("nan", float("nan")), ("inf", float("inf")),
                       ("100mm", 100.0), ("1e-6mm", 1e-6)]:
    _header_case(f"index-pixdim-{_label}", set_field("pixdim", 1, _value))
_header_case("index-label-pixdim-zero", set_field("pixdim", 2, 0.0), target="frame01_gt.nii.gz")
_header_case("index-slice-thickness-nan", set_field("pixdim", 3, float("nan")))
_header_case("check-pixdim-zero-after-indexing", set_field("pixdim", 1, 0.0), command="check")
_header_case("check-pixdim-nan-after-indexing", set_field("pixdim", 2, float("nan")), command="check")
for _d0 in (0, 2, 5, 8, 9):
    _header_case(f"index-dim0-{_d0}", set_field("dim", 0, _d0))
_header_case("index-header-says-30000-cubed",
             lambda h: h.__setitem__("dim", np.array([3, 30000, 30000, 30000, 1, 1, 1, 1], dtype=np.int16)))
_header_case("check-vox-offset-beyond-file", set_field("vox_offset", None, 1e9), command="check")
_header_case("check-unknown-datatype-code", lambda h: h.__setitem__("datatype", 1234), command="check")


@case("nifti", "check-header-says-30000-cubed")
def _(env: Env) -> Call:
    path = patch_header(env.acdc(1), lambda h: h.__setitem__(
        "dim", np.array([3, 30000, 30000, 30000, 1, 1, 1, 1], dtype=np.int16)))
    return check_call(env, [path.name], limited=True, max_seconds=5)


@case("nifti", "index-truncated-gz-header")
def _(env: Env) -> Call:
    return index_acdc(env, [truncate(env.acdc(1), 60).name])


@case("nifti", "check-truncated-gz-data")
def _(env: Env) -> Call:
    return check_call(env, [truncate(env.acdc(1), 0.6).name])


def _as_nii(env: Env, n: int = 1) -> Path:
    """patient00n's ED image as an uncompressed .nii, the manifest pointing at it."""
    gz = env.acdc(n)
    nii = gz.with_name(gz.name.replace(".nii.gz", ".nii"))
    nii.write_bytes(gzip.decompress(gz.read_bytes()))
    gz.unlink()
    edit_manifest(env.manifest, lambda df: df.assign(image=df["image"].str.replace(gz.name, nii.name, regex=False)))
    return nii


@case("nifti", "check-truncated-nii")
def _(env: Env) -> Call:
    return check_call(env, [truncate(_as_nii(env), 0.6).name])


@case("nifti", "index-not-gzip-but-named-gz")
def _(env: Env) -> Call:
    path = env.acdc(1)
    path.write_bytes(gzip.decompress(path.read_bytes()))
    return index_acdc(env, [path.name], accept_ok=lambda: _manifest_rows(env) == 4)


@case("nifti", "index-empty-image")
def _(env: Env) -> Call:
    path = env.acdc(1)
    path.write_bytes(b"")
    return index_acdc(env, [path.name])


@case("nifti", "index-empty-label")
def _(env: Env) -> Call:
    path = env.acdc(1, "frame12_gt.nii.gz")
    path.write_bytes(b"")
    return index_acdc(env, [path.name])


@case("nifti", "index-random-bytes")
def _(env: Env) -> Call:
    return index_acdc(env, [random_bytes(env.acdc(1)).name])


@case("nifti", "index-gzipped-random-bytes")
def _(env: Env) -> Call:
    path = env.acdc(1)
    path.write_bytes(gzip.compress(np.random.default_rng(1).integers(0, 256, 4096, dtype=np.uint8).tobytes()))
    return index_acdc(env, [path.name])


@case("nifti", "check-random-bytes")
def _(env: Env) -> Call:
    return check_call(env, [random_bytes(env.acdc(2, "frame12_gt.nii.gz")).name])


def _voxels(name: str, value: float, dtype: str, gt: bool, n: int = 1) -> None:
    def build(env: Env) -> Call:
        path = env.acdc(n, "frame01_gt.nii.gz" if gt else "frame01.nii.gz")
        data = np.asarray(nib.load(str(path)).dataobj).astype(dtype)
        data.flat[len(data.flat) // 2] = value
        return check_call(env, [replace_data(path, data).name])

    add("nifti", name, build)


_voxels("check-nan-voxel", np.nan, "float32", gt=False)
_voxels("check-inf-voxel", np.inf, "float32", gt=False)
_voxels("check-float64-1e300-voxel", 1e300, "float64", gt=False)
_voxels("check-label-7", 7, "uint8", gt=True)
_voxels("check-label-minus-1", -1, "int16", gt=True)
_voxels("check-label-255", 255, "uint8", gt=True)
_voxels("check-label-1.5", 1.5, "float32", gt=True)
_voxels("check-label-nan", np.nan, "float32", gt=True)
_voxels("check-label-int64-2e40", 2.0**40, "int64", gt=True)


@case("nifti", "check-complex-image")
def _(env: Env) -> Call:
    path = env.acdc(1)
    data = np.asarray(nib.load(str(path)).dataobj).astype(np.complex64) * (1 + 1j)
    return check_call(env, [replace_data(path, data).name])


@case("nifti", "check-rgb-image")
def _(env: Env) -> Call:
    path = env.acdc(1)
    img = nib.load(str(path))
    shape = img.shape
    rgb = np.zeros(shape, dtype=[("R", "u1"), ("G", "u1"), ("B", "u1")])
    hdr = img.header.copy()
    hdr.set_data_dtype("RGB")
    nib.save(nib.Nifti1Image(rgb, img.affine, hdr), str(path))
    return check_call(env, [path.name])


@case("nifti", "index-label-shape-mismatch")
def _(env: Env) -> Call:
    path = env.acdc(2, "frame12_gt.nii.gz")
    save(path, np.zeros((24, 19, 3), np.uint8), (1.5625, 1.5625, 10.0), acdc_header=True)
    return index_acdc(env, [path.name])


@case("nifti", "check-label-shape-mismatch")
def _(env: Env) -> Call:
    path = env.acdc(2, "frame12_gt.nii.gz")
    save(path, np.zeros((24, 20, 4), np.uint8), (1.5625, 1.5625, 10.0), acdc_header=True)
    return check_call(env, [path.name])


def shift_origin(hdr: nib.Nifti1Header) -> None:
    row = np.array(hdr["srow_x"]).copy()
    row[3] += 40.0
    hdr["srow_x"] = row


def flip_x(hdr: nib.Nifti1Header) -> None:
    row = np.array(hdr["srow_x"]).copy()
    row[0] = -row[0]
    hdr["srow_x"] = row


for _cmd in ("index", "check"):
    _header_case(f"{_cmd}-label-origin-shifted", shift_origin, target="frame01_gt.nii.gz", command=_cmd)
    _header_case(f"{_cmd}-label-axis-flipped", flip_x, target="frame01_gt.nii.gz", command=_cmd)


@case("nifti", "index-image-symlink-loop")
def _(env: Env) -> Call:
    return index_acdc(env, [symlink_loop(env.acdc(1)).name])


@case("nifti", "check-image-symlink-loop")
def _(env: Env) -> Call:
    return check_call(env, [symlink_loop(env.acdc(2)).name])


@case("nifti", "index-directory-instead-of-image")
def _(env: Env) -> Call:
    path = env.acdc(1)
    path.unlink()
    path.mkdir()
    return index_acdc(env, [path.name])


@case("nifti", "check-directory-instead-of-label")
def _(env: Env) -> Call:
    path = env.acdc(1, "frame12_gt.nii.gz")
    path.unlink()
    path.mkdir()
    return check_call(env, [path.name])


# ----------------------------------------------------------------------------------------------------------
# 2. data-set layouts
# ----------------------------------------------------------------------------------------------------------
def _manifest_rows(env: Env) -> int:
    path = env.out / "m.csv"
    return len(pd.read_csv(path)) if path.is_file() else -1


def _info(env: Env, n: int = 1) -> Path:
    return env.acdc(n, "x").parent / "Info.cfg"


def _info_case(name: str, text: bytes | str, works_if_rows: int | None = None) -> None:
    """patient001's Info.cfg rewritten; `works_if_rows`: reading it right (that many cases) is fine too."""

    def build(env: Env) -> Call:
        cfg = _info(env)
        cfg.write_bytes(text if isinstance(text, bytes) else text.encode())
        ok = (lambda: _manifest_rows(env) == works_if_rows) if works_if_rows is not None else None
        return index_acdc(env, ["Info.cfg"], accept_ok=ok)

    add("layout", f"acdc-info-{name}", build)


_INFO = "ED: {ed}\nES: 12\nGroup: RV\nHeight: 184.0\nNbFrame: 30\nWeight: 95.0\n"
_info_case("binary", np.random.default_rng(2).integers(0, 256, 300, dtype=np.uint8).tobytes())
_info_case("latin1", "ED: 1\nES: 12\nGroup: RV\nName: Ren\xe9\n".encode("latin-1"))
_info_case("ed-superscript-two", _INFO.format(ed="²"))
_info_case("ed-arabic-indic-digit", _INFO.format(ed="\u0661"), works_if_rows=4)
_info_case("ed-minus-one", _INFO.format(ed="-1"))
_info_case("ed-1.5", _INFO.format(ed="1.5"))
_info_case("ed-zero", _INFO.format(ed="0"))
_info_case("ed-beyond-frame-count", _INFO.format(ed="31"))
_info_case("empty", "")


@case("layout", "acdc-info-missing")
def _(env: Env) -> Call:
    _info(env).unlink()
    return index_acdc(env, ["Info.cfg"])


@case("layout", "acdc-info-is-a-directory")
def _(env: Env) -> Call:
    cfg = _info(env)
    cfg.unlink()
    cfg.mkdir()
    return index_acdc(env, ["Info.cfg"])


@case("layout", "acdc-patient-folder-empty")
def _(env: Env) -> Call:
    (env.inputs() / "ACDC" / "training" / "patient003").mkdir()
    return index_acdc(env, ["patient003"])


@case("layout", "acdc-es-image-missing")
def _(env: Env) -> Call:
    path = env.acdc(2, "frame12.nii.gz")
    path.unlink()
    return index_acdc(env, [path.name])


@case("layout", "acdc-training-folder-empty")
def _(env: Env) -> Call:
    training = env.inputs() / "ACDC" / "training"
    shutil.rmtree(training)
    training.mkdir()
    return index_acdc(env, ["ACDC", "training"])


def _root_is_file(fmt: str) -> None:
    def build(env: Env) -> Call:
        root = env.sb / "in" / f"{fmt}_root.nii.gz"
        random_bytes(root, 64)
        return index_call(env, fmt, root, [root.name])

    add("layout", f"{fmt}-root-is-a-file", build)


def _root_empty(fmt: str) -> None:
    def build(env: Env) -> Call:
        root = env.sb / "in" / f"{fmt}_empty"
        root.mkdir(parents=True)
        return index_call(env, fmt, root, [root.name])

    add("layout", f"{fmt}-root-empty", build)


for _fmt in ("acdc", "mnms", "mnms2", "ukbb"):
    _root_is_file(_fmt)
    _root_empty(_fmt)


def _mnms_csv(env: Env) -> Path:
    root = write_mnms(env.sb / "in" / "MnM")
    return root / "211230_M&Ms_Dataset_information_diagnosis_opendataset.csv"


def _mnms_case(name: str, rewrite: Callable[[Path], None], names: list[str] | None = None,
               works_if_rows: int | None = None) -> None:
    def build(env: Env) -> Call:
        csv = _mnms_csv(env)
        rewrite(csv)
        ok = (lambda: _manifest_rows(env) == works_if_rows) if works_if_rows is not None else None
        return index_call(env, "mnms", csv.parent, names or [csv.name], accept_ok=ok)

    add("layout", f"mnms-{name}", build)


def _sep(sep: str) -> Callable[[Path], None]:
    return lambda csv: csv.write_text(csv.read_text().replace(",", sep))


_mnms_case("csv-semicolon", _sep(";"), works_if_rows=4)
_mnms_case("csv-tab", _sep("\t"), works_if_rows=4)
_mnms_case("csv-bom", lambda csv: csv.write_bytes(b"\xef\xbb\xbf" + csv.read_bytes()), works_if_rows=4)
_mnms_case("csv-latin1", lambda csv: csv.write_bytes(csv.read_bytes().replace(b"HCM,M", b"HCM \xe9,M", 1)),
           works_if_rows=4)
_mnms_case("csv-utf16", lambda csv: csv.write_bytes(csv.read_text().encode("utf-16")), works_if_rows=4)
_mnms_case("csv-missing-es-column", lambda csv: csv.write_text(
    "\n".join(",".join(c for i, c in enumerate(line.split(",")) if i != 6) for line in csv.read_text().splitlines())
    + "\n"))
_mnms_case("csv-duplicate-subject-rows", lambda csv: csv.write_text(
    csv.read_text() + "9,A0S9V9,Siemens,A,1,3,7,50,HCM,M,175,80\n"), names=["A0S9V9"])
_mnms_case("csv-ed-superscript", lambda csv: csv.write_text(csv.read_text().replace(",0,9,", ",²,9,")),
           names=["A0S9V9"])
_mnms_case("csv-ed-minus-one", lambda csv: csv.write_text(csv.read_text().replace(",0,9,", ",-1,9,")),
           names=["A0S9V9"])
_mnms_case("csv-ed-1.5", lambda csv: csv.write_text(csv.read_text().replace(",0,9,", ",1.5,9,")),
           names=["A0S9V9"])
_mnms_case("csv-es-beyond-cine", lambda csv: csv.write_text(csv.read_text().replace(",0,9,", ",0,13,")),
           names=["A0S9V9"])
_mnms_case("csv-header-only", lambda csv: csv.write_text(MNMS_HEADER), names=["A0S9V9", "211230"])
_mnms_case("csv-binary-garbage", lambda csv: random_bytes(csv, 2000) and None, names=["MnM"])


@case("layout", "mnms-case-folder-without-files")
def _(env: Env) -> Call:
    csv = _mnms_csv(env)
    (csv.parent / "Training" / "Labeled" / "A0S9V9" / "A0S9V9_sa.nii.gz").unlink()
    return index_call(env, "mnms", csv.parent, ["A0S9V9_sa.nii.gz"])


def _mnms2_case(name: str, rewrite: Callable[[Path], None], names: list[str], works_if_rows: int | None = None) -> None:
    def build(env: Env) -> Call:
        root = write_mnms2(env.sb / "in" / "MnM2")
        rewrite(root / "dataset_information.csv")
        ok = (lambda: _manifest_rows(env) == works_if_rows) if works_if_rows is not None else None
        return index_call(env, "mnms2", root, names, accept_ok=ok)

    add("layout", f"mnms2-{name}", build)


_mnms2_case("csv-latin1", lambda csv: csv.write_bytes(csv.read_bytes().replace(b"ARR", b"ARR\xe9", 1)),
            ["dataset_information.csv"], works_if_rows=4)
_mnms2_case("csv-missing-subject-code-column",
            lambda csv: csv.write_text(csv.read_text().replace("SUBJECT_CODE", "CODE")), ["dataset_information.csv"])
_mnms2_case("csv-duplicate-subject-rows",
            lambda csv: csv.write_text(csv.read_text() + "1,HCM,PHILIPS,Achieva,3T\n"),
            ["dataset_information.csv", "001"])
_mnms2_case("csv-binary-garbage", lambda csv: random_bytes(csv, 3000) and None, ["dataset_information.csv"])


@case("layout", "ukbb-image-is-a-directory")
def _(env: Env) -> Call:
    root = write_ukbb(env.sb / "in" / "UKBB")
    path = root / "1000001" / "sa_ES.nii.gz"
    path.unlink()
    path.mkdir()
    return index_call(env, "ukbb", root, ["sa_ES.nii.gz"])


@case("layout", "ukbb-label-random-bytes")
def _(env: Env) -> Call:
    root = write_ukbb(env.sb / "in" / "UKBB")
    return index_call(env, "ukbb", root, [random_bytes(root / "1000002" / "label_sa_ED.nii.gz").name])


# ----------------------------------------------------------------------------------------------------------
# 3. manifests
# ----------------------------------------------------------------------------------------------------------
def _manifest_text(name: str, make: Callable[[Env, Path], None], commands: tuple[str, ...] = ("check", "evaluate"),
                   names: Callable[[Env], list[str]] | None = None,
                   accept: Callable[[Env], bool] | None = None) -> None:
    """The manifest rewritten by `make(env, path)`; each command run on it."""
    for command in commands:
        def build(env: Env, command: str = command) -> Call:
            path = env.manifest
            make(env, path)
            wanted = names(env) if names else [path.name]
            if command == "check":
                call = check_call(env, wanted)
                call.accept_ok = (lambda: accept(env)) if accept else None
                return call
            if command == "evaluate":
                return evaluate_call(env, wanted)
            return index_call(env, "manifest", path, wanted)

        add("manifest", f"{command}-{name}", build)


def _manifest_rows_of(path: Path) -> int:
    """How many cases cmrbench reads from a manifest (the product's own reader: is the input understood?)."""
    from benchmark.data.manifest import load_manifest

    return len(load_manifest(path))


def _text(text: str | bytes) -> Callable[[Env, Path], None]:
    return lambda env, path: path.write_bytes(text if isinstance(text, bytes) else text.encode())


def _rows(fn: Callable[[Env, pd.DataFrame], pd.DataFrame | None]) -> Callable[[Env, Path], None]:
    return lambda env, path: edit_manifest(path, lambda df: fn(env, df)) and None


_manifest_text("empty-file", _text(""), ("check", "evaluate", "index"))
_manifest_text("header-only", lambda env, p: p.write_text(p.read_text().splitlines()[0] + "\n"),
               ("check", "evaluate", "index"))
_manifest_text("latin1-bytes", lambda env, p: p.write_bytes(p.read_bytes().replace(b"Dijon", b"Dij\xf6n")),
               ("check", "index"))
_manifest_text("semicolon-separated", lambda env, p: p.write_text(p.read_text().replace(",", ";")), ("check", "index"))
_manifest_text("tab-separated", lambda env, p: p.write_text(p.read_text().replace(",", "\t")), ("check",),
               accept=lambda env: _manifest_rows_of(env.manifest) == 4)  # read as it is: a tab is a separator
_manifest_text("missing-image-column", _rows(lambda env, df: df.drop(columns=["image"])), ("check", "index"))
_manifest_text("phase-XX", _rows(lambda env, df: df.assign(phase=["XX", *df["phase"][1:]])), ("check", "index"))
_manifest_text("duplicate-case-rows", _rows(lambda env, df: pd.concat([df, df.iloc[:1]])), ("check", "evaluate"),
               names=lambda env: ["patient001"])
_manifest_text("frame-abc", _rows(lambda env, df: df.assign(frame=["abc", *df["frame"][1:]])), ("check",),
               names=lambda env: ["acdc.csv", "frame", IMG])
_manifest_text("frame-minus-3", _rows(lambda env, df: df.assign(frame=["-3", *df["frame"][1:]])), ("check",),
               names=lambda env: [IMG, "acdc.csv"])
_manifest_text("frame-1e9", _rows(lambda env, df: df.assign(frame=["1e9", *df["frame"][1:]])), ("check",),
               names=lambda env: [IMG, "1e9"])
_manifest_text("spacing-abc", _rows(lambda env, df: df.assign(spacing_x_mm=["abc", *df["spacing_x_mm"][1:]])),
               ("check",), names=lambda env: ["acdc.csv", "spacing_x_mm", IMG])
_manifest_text("image-is-etc-passwd", _rows(lambda env, df: df.assign(image=["/etc/passwd", *df["image"][1:]])),
               ("check",), names=lambda env: ["passwd"])
_manifest_text("image-dotdot-to-etc-passwd", _rows(lambda env, df: df.assign(
    image=["../" * 30 + "etc/passwd", *df["image"][1:]])), ("check", "index"), names=lambda env: ["passwd"])
_manifest_text("label-map-bogus", _rows(lambda env, df: df.assign(label_map=["bogus", *df["label_map"][1:]])),
               ("check", "evaluate"), names=lambda env: ["bogus", "label_map"])
_manifest_text("image-cell-empty", _rows(lambda env, df: df.assign(image=["", *df["image"][1:]])), ("check",),
               names=lambda env: ["patient001", "image"])


def _symlink_manifest(env: Env, path: Path) -> None:
    loop = symlink_loop(env.inp / "loop.nii.gz")
    edit_manifest(path, lambda df: df.assign(image=[loop.name, *df["image"][1:]]))


_manifest_text("image-symlink-loop", _symlink_manifest, ("check", "index"), names=lambda env: ["loop.nii.gz"])


def _escaping_subject(subject_of: Callable[[Env], str]) -> Callable[[Env, Path], None]:
    """Rename patient001 to a path-like subject and plant a perfect 'prediction' where that path leads."""

    def make(env: Env, path: Path) -> None:
        subject = subject_of(env)
        for phase in ("ED", "ES"):
            name = f"{subject}_{phase}.nii.gz"
            target = Path(name) if subject.startswith("/") else Path(os.path.normpath(env.inp / "preds" / name))
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(env.pred("patient001", phase), target)
        edit_manifest(path, lambda df: df.assign(subject=df["subject"].replace("patient001", subject)))

    return make


_manifest_text("subject-dotdot-path", _escaping_subject(lambda env: "../../planted"), ("evaluate", "index"),
               names=lambda env: ["../../planted", "planted"])
_manifest_text("subject-absolute-path", _escaping_subject(lambda env: str(env.sb / "abs" / "planted")),
               ("evaluate", "index"), names=lambda env: ["planted"])
_manifest_text("subject-with-newline", _rows(lambda env, df: df.assign(
    subject=df["subject"].replace("patient001", "patient\n001"))), ("evaluate", "index"),
               names=lambda env: ["patient\n001", "patient\\n001"])


@case("manifest", "check-subject-with-nul")
def _(env: Env) -> Call:
    path = env.manifest
    path.write_bytes(path.read_bytes().replace(b",patient001,", b",pati\x00ent001,", 1))
    return check_call(env, [path.name, "pati"])


@case("manifest", "check-manifest-is-a-directory")
def _(env: Env) -> Call:
    folder = env.inputs() / "folder.csv"
    folder.mkdir()
    return check_call(env, [folder.name], manifest=folder)


def _suite_with_manifest_source(name: str, make: Callable[[Env, Path], None]) -> None:
    def build(env: Env) -> Call:
        path = env.manifest
        make(env, path)
        # the 2 subjects of the clean manifest fit a 1/1/0 split, so only the hostile edit can fail the run
        suite = _write_suite(env, {"data": {"source": {"name": "acdc", "manifest": str(path), "synth": None,
                                                       "split": {"train": 1, "val": 1, "test": 0}},
                                            "cache": str(env.cache)}})
        return run_call(env, suite, [path.name])

    add("manifest", f"run-source-{name}", build, needs_run=True)


_suite_with_manifest_source("empty-file", _text(""))
_suite_with_manifest_source("phase-XX", _rows(lambda env, df: df.assign(phase=["XX", *df["phase"][1:]])))
_suite_with_manifest_source("latin1-bytes", lambda env, p: p.write_bytes(b"dataset,subj\xe9ct,phase,image\n"))


# ----------------------------------------------------------------------------------------------------------
# 4. suites
# ----------------------------------------------------------------------------------------------------------
TINY: dict = {
    "name": "tiny",
    "seeds": [0],
    "data": {"source": {"name": "ukbb", "synth": {"cohort": "ukbb", "subjects": 4, "seed": 0},
                        "split": {"train": 2, "val": 1, "test": 1}}},
    "preprocess": {"target_spacing": 3.0, "crop": 48},
    "training": {"iterations": 2, "batch_size": 2, "validate_every": 2, "checkpoint_every": 2,
                 "optimizer": {"name": "sgd", "lr": 0.01}},
    "models": [{"name": "unet_test"}],
    "policies": ["none"],
    "device": "cpu",
}


def _merge(base: dict, change: dict) -> dict:
    out = json.loads(json.dumps(base))
    for key, value in change.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def _write_suite(env: Env, change: dict | None = None, text: str | bytes | None = None) -> Path:
    path = env.sb / "in" / "suite.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    if text is not None:
        path.write_bytes(text if isinstance(text, bytes) else text.encode())
    else:
        base = env.suite or TINY
        path.write_text(yaml.safe_dump(_merge(base, change or {}), sort_keys=False))
    return path


def _suite_value(name: str, change: dict, names: list[str]) -> None:
    add("suite", name, lambda env: validate_call(env, _write_suite(env, change), names))


_suite_value("iterations-minus-5", {"training": {"iterations": -5}}, ["iterations"])
_suite_value("iterations-zero", {"training": {"iterations": 0}}, ["iterations"])
_suite_value("batch-size-zero", {"training": {"batch_size": 0}}, ["batch_size"])
_suite_value("crop-zero", {"preprocess": {"crop": 0}}, ["crop"])
_suite_value("crop-minus-48", {"preprocess": {"crop": -48}}, ["crop"])
_suite_value("target-spacing-zero", {"preprocess": {"target_spacing": 0}}, ["target_spacing"])
_suite_value("target-spacing-negative", {"preprocess": {"target_spacing": -1.25}}, ["target_spacing"])
_suite_value("target-spacing-1e9", {"preprocess": {"target_spacing": 1e9}}, ["target_spacing"])
_suite_value("lr-nan", {"training": {"optimizer": {"lr": float("nan")}}}, ["lr"])
_suite_value("lr-negative", {"training": {"optimizer": {"lr": -1}}}, ["lr"])
_suite_value("epochs-inf", {"training": {"iterations": None, "epochs": float("inf")}}, ["epochs"])
_suite_value("checkpoint-every-zero", {"training": {"checkpoint_every": 0}}, ["checkpoint_every"])
_suite_value("validate-every-zero", {"training": {"validate_every": 0}}, ["validate_every"])
_suite_value("device-tpu", {"device": "tpu"}, ["tpu", "device"])
_suite_value("unknown-top-level-key", {"trainng": {"iterations": 2}}, ["trainng"])
_suite_value("unknown-nested-key", {"training": {"optimiser": {"lr": 0.1}}}, ["optimiser"])
_suite_value("target-named-like-source", {"data": {"targets": [
    {"name": "ukbb", "synth": {"cohort": "bscmr", "subjects": 2, "seed": 1}}]}}, ["ukbb"])
_suite_value("duplicate-model-labels", {"models": [{"name": "unet_test", "label": "net"},
                                                   {"name": "unet_test", "label": "net",
                                                    "kwargs": {"width": 4}}]}, ["net"])
_suite_value("unknown-model", {"models": [{"name": "no_such_net"}]}, ["no_such_net"])
_suite_value("plugin-file-missing", {"plugins": ["no_such_plugin.py"]}, ["no_such_plugin.py"])
_suite_value("plugin-is-a-directory", {"plugins": ["."]}, ["plugin"])
_suite_value("name-escapes-runs-folder", {"name": "../../escaped"}, ["../../escaped", "name"])
_suite_value("synth-subjects-negative", {"data": {"source": {"synth": {"subjects": -3}}}}, ["subjects"])
_suite_value("seeds-empty", {"seeds": []}, ["seeds", "no jobs"])


def _suite_text(name: str, text: Callable[[Env], str | bytes], names: list[str] | None = None,
                **kw: object) -> None:
    def build(env: Env) -> Call:
        path = _write_suite(env, text=text(env))
        return validate_call(env, path, names or [path.name], **kw)

    add("suite", name, build)


def _tiny_yaml(env: Env) -> str:
    return yaml.safe_dump(env.suite or TINY, sort_keys=False)


_suite_text("yaml-python-tag", lambda env: _tiny_yaml(env) + f"extra: !!python/object/apply:os.system "
            f"['touch {env.marker}']\n", ["python/object", "yaml", "extra", "suite.yaml"])
_suite_text("yaml-python-name-tag", lambda env: _tiny_yaml(env).replace(
    "name: tiny", "name: !!python/name:os.system"), ["python/name", "suite.yaml"])
_suite_text("duplicate-yaml-key", lambda env: _tiny_yaml(env) + "training:\n  iterations: 99999999\n", ["training"])
_suite_text("empty-file", lambda env: "")
_suite_text("binary-file", lambda env: np.random.default_rng(3).integers(0, 256, 4000, dtype=np.uint8).tobytes())
_suite_text("list-at-top-level", lambda env: "- name: tiny\n- seeds: [0]\n")
_suite_text("scalar-at-top-level", lambda env: "42\n")
_suite_text("utf16-text", lambda env: _tiny_yaml(env).encode("utf-16"))
_suite_text("5mb-of-text", lambda env: _tiny_yaml(env) + "padding: '" + "x" * (5 << 20) + "'\n",
            ["padding", "suite.yaml"],
            max_seconds=2)
_suite_text("deep-nesting-10000", lambda env: _tiny_yaml(env).replace(
    "models:\n- name: unet_test", "models:\n- name: unet_test\n  kwargs: {deep: " + "[" * 10000 + "]" * 10000 + "}"),
            ["suite.yaml", "deep", "kwargs"], limited=True, max_seconds=2)
_suite_text("deep-nesting-mappings", lambda env: "a: " + "{a: " * 5000 + "1" + "}" * 5000 + "\n",
            ["suite.yaml"], limited=True, max_seconds=2)


def _billion_laughs(levels: int = 9) -> str:
    lines = ["  kwargs:", "    l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for i in range(1, levels + 1):
        lines.append(f"    l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 10) + "]")
    return "\n".join(lines) + "\n"


def _bomb_yaml(env: Env) -> str:
    return _tiny_yaml(env).replace("models:\n- name: unet_test\n", "models:\n- name: unet_test\n" + _billion_laughs())


_suite_text("alias-bomb-in-model-kwargs", _bomb_yaml, ["suite.yaml", "alias", "kwargs", "l9"], limited=True,
            max_seconds=2)


@case("suite", "run-alias-bomb-in-model-kwargs", needs_run=True)
def _(env: Env) -> Call:
    path = _write_suite(env, text=_bomb_yaml(env))
    return run_call(env, path, ["suite.yaml", "alias", "kwargs", "l9"], limited=True, max_seconds=2)


@case("suite", "run-name-escapes-runs-folder", needs_run=True)
def _(env: Env) -> Call:
    # no --out: the run folder is runs/<name>; the data root is missing so it stops early
    path = _write_suite(env, {"name": "../../escaped", "data": {"source": {
        "name": "ukbb", "adapter": "ukbb", "root": str(env.sb / "in" / "nowhere"), "synth": None}}})
    return Call(["run", str(path)], [env.work / "runs"], ["escaped", "name", "nowhere"])


@case("suite", "run-dataset-name-escapes-out", needs_run=True)
def _(env: Env) -> Call:
    manifest = env.manifest
    path = _write_suite(env, {"data": {"source": {"name": "../../../escaped", "manifest": str(manifest),
                                                  "synth": None, "split": {"train": 100}},
                                       "cache": str(env.cache)}})
    return run_call(env, path, ["escaped", "name"], out=env.out / "run")


# ----------------------------------------------------------------------------------------------------------
# 5. --set values
# ----------------------------------------------------------------------------------------------------------
def _set_case(name: str, value: str | Callable[[Env], str], names: list[str]) -> None:
    def build(env: Env) -> Call:
        item = value(env) if callable(value) else value
        return validate_call(env, _write_suite(env), names, sets=(item,))

    add("set", name, build)


_set_case("unclosed-flow-list", "training.iterations=[", ["training.iterations"])
_set_case("empty-key", "=3", ["=3", "--set"])
_set_case("empty-path-part", "a..b=1", ["a..b", "a: unknown key"])
_set_case("python-tag", lambda env: f'seeds=!!python/object/apply:os.system ["touch {env.marker}"]', ["seeds"])
_set_case("iterations-minus-1", "training.iterations=-1", ["iterations"])
_set_case("list-index-out-of-range", "models.99.name=x", ["models.99", "99"])
_set_case("value-starts-with-tab", "training.optimizer.lr=\t0.1", ["lr"])
_set_case("value-with-inner-tab", "training.iterations=1\t2", ["iterations"])
_set_case("no-equals-sign", "training.iterations", ["training.iterations"])
_set_case("index-into-a-number", "training.iterations.x=1", ["iterations"])
_set_case("seed-1e999", "seeds=[1e999]", ["seeds"])
_set_case("alias-to-nothing", "seeds=*nothing", ["seeds"])
_set_case("crop-1e9", "preprocess.crop=1000000000", ["crop"])


# ----------------------------------------------------------------------------------------------------------
# 6. checkpoints
# ----------------------------------------------------------------------------------------------------------
class Exploit:
    """Unpickling this creates `path` (a stand-in for any code an attacker wants run)."""

    def __init__(self, path: Path) -> None:
        self.path = str(path)

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (open, (self.path, "w"))


def _ckpt(env: Env) -> Path:
    return env.sb / "in" / "ckpt" / "best.pt"


def _checkpoint_case(name: str, make: Callable[[Env, Path], None], names: list[str] | None = None) -> None:
    def build(env: Env) -> Call:
        path = _ckpt(env)
        path.parent.mkdir(parents=True, exist_ok=True)
        make(env, path)
        return predict_call(env, path, names or [path.name, "checkpoint"])

    add("checkpoint", name, build, needs_run=True)


def _real_state(env: Env) -> dict:
    import torch

    return torch.load(env.best_pt(), map_location="cpu", weights_only=False)


def _save_state(path: Path, state: object) -> None:
    import torch

    torch.save(state, path)


def _edit_state(fn: Callable[[dict], None]) -> Callable[[Env, Path], None]:
    def make(env: Env, path: Path) -> None:
        state = _real_state(env)
        fn(state)
        _save_state(path, state)

    return make


_checkpoint_case("pickle-that-runs-code", lambda env, p: _save_state(
    p, {"model_name": "unet_test", "payload": Exploit(env.marker)}))
_checkpoint_case("plain-pickle-that-runs-code", lambda env, p: p.write_bytes(
    __import__("pickle").dumps({"model_name": Exploit(env.marker)})))
_checkpoint_case("random-bytes", lambda env, p: random_bytes(p) and None)
_checkpoint_case("empty-file", lambda env, p: p.write_bytes(b""))


def _zip_not_torch(env: Env, path: Path) -> None:
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("readme.txt", "not a checkpoint")


_checkpoint_case("zip-that-is-not-torch", _zip_not_torch)
_checkpoint_case("truncated", lambda env, p: (shutil.copy(env.best_pt(), p), truncate(p, 0.5)) and None)


def _other_arch(state: dict) -> None:
    import torch

    state["model"] = torch.nn.Sequential(torch.nn.Conv2d(1, 3, 5), torch.nn.Linear(3, 2)).state_dict()


_checkpoint_case("state-dict-of-another-architecture", _edit_state(_other_arch))
_checkpoint_case("state-dict-wrong-shapes", _edit_state(
    lambda s: s.__setitem__("model", {k: v[..., :1].clone() if v.ndim else v for k, v in s["model"].items()})))
_checkpoint_case("missing-preprocess", _edit_state(lambda s: s.pop("preprocess")))
_checkpoint_case("missing-crop", _edit_state(lambda s: s.pop("crop")))
_checkpoint_case("missing-model-weights", _edit_state(lambda s: s.pop("model")))
_checkpoint_case("model-kwargs-unknown", _edit_state(lambda s: s.__setitem__("model_kwargs", {"bogus": 1})),
                 ["best.pt", "checkpoint", "bogus"])
_checkpoint_case("model-name-not-a-string", _edit_state(lambda s: s.__setitem__("model_name", ["unet_test"])))
_checkpoint_case("crop-zero", _edit_state(lambda s: s.__setitem__("crop", 0)))
_checkpoint_case("checkpoint-is-a-list", lambda env, p: _save_state(p, [1, 2, 3]))


@case("checkpoint", "checkpoint-is-a-directory", needs_run=True)
def _(env: Env) -> Call:
    path = _ckpt(env)
    path.mkdir(parents=True)
    return predict_call(env, path, [path.name])


def _predict_input(name: str, make: Callable[[Env], Path]) -> None:
    def build(env: Env) -> Call:
        image = make(env)
        return predict_call(env, env.best_pt(), [image.name], image=image)

    add("checkpoint", f"predict-input-{name}", build, needs_run=True)


_predict_input("truncated", lambda env: truncate(env.acdc(1), 0.6))
_predict_input("4d-file", lambda env: env.acdc(1, "4d.nii.gz"))
_predict_input("nan-voxels", lambda env: replace_data(env.acdc(1), np.full((24, 20, 3), np.nan, np.float32)))
_predict_input("pixdim-zero", lambda env: patch_header(env.acdc(1), set_field("pixdim", 1, 0.0)))


# ----------------------------------------------------------------------------------------------------------
# 7. predictions given to `evaluate`
# ----------------------------------------------------------------------------------------------------------
def _pred_case(name: str, make: Callable[[Env, Path], Path | None], names: list[str] | None = None,
               accept: Callable[[Env], bool] | None = None) -> None:
    def build(env: Env) -> Call:
        path = env.pred()
        made = make(env, path) or path
        call = evaluate_call(env, names or [made.name])
        call.accept_ok = (lambda: accept(env)) if accept else None
        return call

    add("prediction", name, build)


def _scored_perfectly(env: Env, subject: str, phase: str) -> bool:
    """The case was scored, with Dice 1 for every structure (the prediction is the reference)."""
    cases = pd.read_csv(env.out / "results" / "cases.csv", dtype={"subject": str})
    mine = cases[(cases.subject == subject) & (cases.phase == phase)]
    return len(mine) > 0 and bool((mine.dice == 1).all())


def _pred_data(data: Callable[[np.ndarray], np.ndarray]) -> Callable[[Env, Path], Path]:
    def make(env: Env, path: Path) -> Path:
        return replace_data(path, data(np.asarray(nib.load(str(path)).dataobj)))

    return make


def _set_voxel(value: float, dtype: str) -> Callable[[np.ndarray], np.ndarray]:
    def fn(a: np.ndarray) -> np.ndarray:
        a = a.astype(dtype)
        a.flat[len(a.flat) // 2] = value
        return a

    return fn


_pred_case("missing-file", lambda env, p: p.unlink())
_pred_case("wrong-shape", _pred_data(lambda a: a[:-2]))
_pred_case("origin-shifted", lambda env, p: patch_header(p, shift_origin))
_pred_case("axis-flipped", lambda env, p: patch_header(p, flip_x))
_pred_case("pixdim-differs", lambda env, p: patch_header(p, set_field("pixdim", 1, 3.0)),
           accept=lambda env: _scored_perfectly(env, "patient001", "ED"))  # same affine: the same grid
_pred_case("nan-voxel", _pred_data(_set_voxel(np.nan, "float32")))
_pred_case("label-9", _pred_data(_set_voxel(9, "uint8")))
_pred_case("float-label-1.5", _pred_data(_set_voxel(1.5, "float32")))
_pred_case("4d-prediction", _pred_data(lambda a: np.stack([a, a], -1)))
_pred_case("truncated", lambda env, p: truncate(p, 0.6))


@case("prediction", "prediction-is-a-directory")
def _(env: Env) -> Call:
    path = env.pred()
    path.unlink()
    path.mkdir()
    return evaluate_call(env, [path.name])


@case("prediction", "prediction-symlink-loop")
def _(env: Env) -> Call:
    return evaluate_call(env, [symlink_loop(env.pred("patient002", "ES")).name])


@case("prediction", "pred-folder-is-a-file")
def _(env: Env) -> Call:
    folder = env.inputs() / "preds_file"
    folder.write_text("not a folder\n")
    return evaluate_call(env, [folder.name], pred=folder)


# ----------------------------------------------------------------------------------------------------------
# 8. run state: OUT, stored results
# ----------------------------------------------------------------------------------------------------------
def _results_copy(env: Env) -> Path:
    assert env.run is not None
    dst = env.sb / "in" / "resultset"
    shutil.copytree(env.run / "results", dst / "results")
    return dst


def _results_case(name: str, make: Callable[[Path], Path], command: str = "leaderboard",
                  accept_any_ok: bool = False) -> None:
    def build(env: Env) -> Call:
        rs = _results_copy(env)
        bad = make(rs / "results")
        ok = (lambda: True) if accept_any_ok else None
        if command == "leaderboard":
            return Call(["leaderboard", str(rs), "--table", "all"], [], [bad.name], accept_ok=ok)
        if command == "leaderboard-out":
            return Call(["leaderboard", str(rs), "--out", str(env.out)], [env.out], [bad.name], accept_ok=ok)
        clean = env.sb / "in" / "clean"
        shutil.copytree(env.run / "results", clean / "results")  # type: ignore[operator]
        return Call(["compare", str(rs), str(clean)], [], [bad.name], accept_ok=ok)

    add("runstate", f"{command}-{name}", build, needs_run=True)


def _truncate_mid_line(path: Path) -> Path:
    text = path.read_bytes()
    cut = text.rfind(b"\n", 0, len(text) - 1)
    path.write_bytes(text[: cut + 25])
    return path


def _write(name: str, content: str | bytes) -> Callable[[Path], Path]:
    def make(folder: Path) -> Path:
        path = folder / name
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
        return path

    return make


def _csv_edit(name: str, fn: Callable[[pd.DataFrame], pd.DataFrame]) -> Callable[[Path], Path]:
    def make(folder: Path) -> Path:
        path = folder / name
        fn(pd.read_csv(path, dtype=str, keep_default_na=False)).to_csv(path, index=False)
        return path

    return make


_GARBAGE = np.random.default_rng(4).integers(0, 256, 3000, dtype=np.uint8).tobytes()
_results_case("cases-truncated-mid-line", lambda f: _truncate_mid_line(f / "cases.csv"))
_results_case("cases-truncated-mid-line", lambda f: _truncate_mid_line(f / "cases.csv"), command="compare")
_results_case("cases-random-bytes", _write("cases.csv", _GARBAGE))
_results_case("cases-random-bytes", _write("cases.csv", _GARBAGE), command="compare")
_results_case("cases-missing-dice-column", _csv_edit("cases.csv", lambda df: df.drop(columns=["dice"])))
_results_case("cases-dice-abc", _csv_edit("cases.csv", lambda df: df.assign(dice="abc")))
_results_case("cases-dice-abc", _csv_edit("cases.csv", lambda df: df.assign(dice="abc")), command="compare")
_results_case("cases-is-a-directory", lambda f: ((f / "cases.csv").unlink(), (f / "cases.csv").mkdir(),
                                                 f / "cases.csv")[-1])
_results_case("meta-json-not-json", _write("meta.json", "{name: oops"))
_results_case("meta-json-a-list", _write("meta.json", "[1, 2]"))
_results_case("meta-json-name-is-a-mapping", _write("meta.json", '{"name": {"a": 1}}'), accept_any_ok=True)
_results_case("errors-extra-columns", _csv_edit("errors.csv", lambda df: pd.concat(
    [df, pd.DataFrame([{"job": "x", "dataset": "ukbb", "subject": "s", "phase": "ED", "file": "f", "what": "w",
                        "why": "y"}])]).assign(extra="1", more="2")), accept_any_ok=True)
_results_case("errors-random-bytes", _write("errors.csv", _GARBAGE))
_results_case("jobs-random-bytes", _write("jobs.csv", _GARBAGE))
_results_case("jobs-missing-method-column", _csv_edit("jobs.csv", lambda df: df.drop(columns=["method"])))
_results_case("expected-missing-columns", _csv_edit("expected.csv", lambda df: df[["job"]]))
_results_case("clinical-random-bytes", _write("clinical.csv", _GARBAGE), command="leaderboard-out")


@case("runstate", "run-out-is-an-existing-file", needs_run=True)
def _(env: Env) -> Call:
    out = env.sb / "in" / "out_file"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("i am a file\n")
    return run_call(env, _write_suite(env), [out.name], out=out)


# A read-only OUT is covered by tests/runner/test_run_state.py::test_read_only_out_is_one_clear_error, which drops
# root's privileges in a child process; a whole `cmrbench run` cannot (the child cannot read root's interpreter).


@case("runstate", "run-lock-is-a-directory", needs_run=True)
def _(env: Env) -> Call:
    (env.out / ".lock").mkdir(parents=True)
    return run_call(env, _write_suite(env), [".lock"])


@case("runstate", "run-cache-is-a-file", needs_run=True)
def _(env: Env) -> Call:
    cache = env.sb / "in" / "cache_file"
    cache.parent.mkdir(parents=True, exist_ok=True)
    cache.write_text("not a folder\n")
    suite = _write_suite(env, {"data": {"cache": str(cache)}})
    return run_call(env, suite, [cache.name])


def _copy_run(env: Env) -> Path:
    assert env.run is not None
    shutil.copytree(env.run, env.out, symlinks=True)
    return env.out


@case("runstate", "run-splits-csv-garbage", needs_run=True)
def _(env: Env) -> Call:
    out = _copy_run(env)
    (out / "splits.csv").write_bytes(_GARBAGE)
    return run_call(env, _write_suite(env), ["splits.csv"])


@case("runstate", "run-resume-summary-json-corrupt", needs_run=True)
def _(env: Env) -> Call:
    out = _copy_run(env)
    summary = next(out.glob("jobs/*/summary.json"))
    summary.write_text("{not json")
    return run_call(env, _write_suite(env), ["summary.json"])


@case("runstate", "run-resume-last-pt-garbage", needs_run=True)
def _(env: Env) -> Call:
    out = _copy_run(env)
    job = next(out.glob("jobs/*/trained")).parent
    (job / "trained").unlink()
    random_bytes(job / "last.pt")
    return run_call(env, _write_suite(env), ["last.pt"])


@case("runstate", "run-errors-csv-extra-columns", needs_run=True)
def _(env: Env) -> Call:
    out = _copy_run(env)
    path = out / "results" / "errors.csv"
    path.write_text("job,dataset,subject,phase,file,what,why,extra\nx,ukbb,s,ED,f,w,y,1\n")
    return run_call(env, _write_suite(env), ["errors.csv"], accept_ok=lambda: True)
