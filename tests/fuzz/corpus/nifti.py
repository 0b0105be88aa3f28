"""1. NIfTI headers and data: pixdim, dim, datatype, truncation, voxel values, label geometry, loops."""
from __future__ import annotations

import gzip
from collections.abc import Callable
from pathlib import Path

import nibabel as nib
import numpy as np
from layouts import save

from .calls import check_call, index_acdc, manifest_rows
from .env import Call, Env, add, case
from .tools import (
    edit_manifest,
    flip_x,
    patch_header,
    random_bytes,
    replace_data,
    set_field,
    shift_origin,
    symlink_loop,
    truncate,
)


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
    return index_acdc(env, [path.name], accept_ok=lambda: manifest_rows(env) == 4)


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
