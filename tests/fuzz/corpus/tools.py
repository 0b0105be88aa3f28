"""Low-level writers: damage a file in place (header fields, truncation, random bytes, symlink loops, ...)."""
from __future__ import annotations

import gzip
import io
import os
from collections.abc import Callable
from pathlib import Path

import nibabel as nib
import numpy as np
import pandas as pd


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


def shift_origin(hdr: nib.Nifti1Header) -> None:
    row = np.array(hdr["srow_x"]).copy()
    row[3] += 40.0
    hdr["srow_x"] = row


def flip_x(hdr: nib.Nifti1Header) -> None:
    row = np.array(hdr["srow_x"]).copy()
    row[0] = -row[0]
    hdr["srow_x"] = row
