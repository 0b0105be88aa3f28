"""NIfTI reading that turns every failure into a Problem naming the file and the reason."""
from __future__ import annotations

import gzip
import zlib
from dataclasses import dataclass
from pathlib import Path

import nibabel as nib
import numpy as np

from .problems import DataError, Problem


@dataclass(frozen=True)
class Header:
    """What a NIfTI header says: array shape, voxel sizes (pixdim) and the affine."""

    shape: tuple[int, ...]
    zooms: tuple[float, ...]
    affine: np.ndarray


def _fail(path: Path, what: str, why: str) -> DataError:
    return DataError(Problem(file=str(path), what=what, why=why))


def open_image(path: Path) -> nib.Nifti1Image:
    """Open a NIfTI file's header (data stays on disk)."""
    path = Path(path)
    if not path.is_file():
        raise _fail(path, "missing file", "no such file")
    try:
        img = nib.load(str(path))
    except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
        raise _fail(path, "truncated file", f"the header cannot be read ({exc})") from None
    except Exception as exc:  # nibabel raises many types for non-NIfTI content
        broken = _gzip_defect(path)
        if broken:
            raise _fail(path, "truncated file", broken) from None
        raise _fail(path, "unreadable file", f"not a NIfTI image ({type(exc).__name__}: {exc})") from None
    if not isinstance(img, (nib.Nifti1Image, nib.Nifti2Image)):
        raise _fail(path, "unreadable file", f"not a NIfTI image but {type(img).__name__}")
    return img


def _gzip_defect(path: Path) -> str:
    """Why a .gz file cannot be decompressed to its end ('' when it can, or is not gzip)."""
    if path.suffix != ".gz":
        return ""
    try:
        with gzip.open(path, "rb") as fh:
            while fh.read(1 << 20):
                pass
    except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
        return f"the gzip stream is cut short or corrupt ({exc})"
    return ""


def read_header(path: Path) -> Header:
    """Header facts of a NIfTI file, checked for sane voxel sizes."""
    img = open_image(path)
    shape = tuple(int(s) for s in img.shape)
    zooms = tuple(float(z) for z in img.header.get_zooms())
    spatial = zooms[:3]
    if len(shape) >= 3 and (not np.all(np.isfinite(spatial)) or min(spatial) <= 0):
        raise _fail(Path(path), "bad spacing", f"header voxel sizes {spatial} are not positive numbers")
    return Header(shape, zooms, img.affine)


def read_array(path: Path, frame: int | None = None) -> tuple[np.ndarray, nib.Nifti1Image]:
    """Load a 3D volume, or one time frame of a 4D file, as a numpy array with its image."""
    path = Path(path)
    img = open_image(path)
    ndim = len(img.shape)
    if frame is None and ndim != 3:
        raise _fail(path, "bad dimensions", f"expected a 3D volume, got {ndim}D shape {img.shape}")
    if frame is not None:
        if ndim != 4:
            raise _fail(path, "bad dimensions", f"expected a 4D cine for frame {frame}, got {ndim}D shape {img.shape}")
        if not 0 <= frame < img.shape[3]:
            raise _fail(path, "frame out of range", f"frame {frame} not in 0..{img.shape[3] - 1}")
    try:
        data = np.asanyarray(img.dataobj[..., frame] if frame is not None else img.dataobj)
    except (EOFError, zlib.error, gzip.BadGzipFile, OSError) as exc:
        raise _fail(path, "truncated file", f"the data ends early ({exc})") from None
    except ValueError as exc:  # uncompressed files shorter than the header says
        raise _fail(path, "truncated file", str(exc)) from None
    return np.asarray(data), img
