"""NIfTI reading that turns every failure into a Problem naming the file and the reason."""
from __future__ import annotations

import gzip
import zlib
from dataclasses import dataclass
from pathlib import Path

import nibabel as nib
import numpy as np
from nibabel.openers import ImageOpener

from .problems import DataError, Problem

# Voxel sizes outside this range are header defects, not scans: 0.1 mm is finer than any clinical CMR,
# 20 mm coarser than any short-axis slice; nibabel itself turns pixdim 0 into 1 mm, so the raw field is read.
SPACING_MM = (0.1, 20.0)
MAX_VOXELS = 2**28  # one 3D volume or 4D cine: 1 GiB as float32 (a 512 x 512 x 20 x 50 cine is 2.6e8)
ORIGIN_TOL_MM = 0.01  # affines of files on one grid: origins within 0.01 mm ...
AXIS_TOL = 1e-3  # ... and axis vectors within 0.1 % of the voxel size



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


def raw_pixdim(path: Path, img: nib.Nifti1Image) -> np.ndarray:
    """pixdim[1:4] as stored in the file: nibabel's loaded header has 0 already replaced by 1."""
    try:
        with ImageOpener(str(path)) as fh:
            header = type(img.header).from_fileobj(fh, check=False)
    except Exception:  # the header was readable once; fall back to what nibabel made of it
        header = img.header
    return np.asarray(header["pixdim"][1:4], dtype=np.float64)


def spacing_of(path: Path, img: nib.Nifti1Image) -> tuple[float, float, float]:
    """The in-plane and slice voxel sizes from the raw pixdim field, checked to be finite and plausible."""
    raw = raw_pixdim(path, img)
    lo, hi = SPACING_MM
    if len(img.shape) >= 3 and not (np.all(np.isfinite(raw)) and np.all(raw >= lo) and np.all(raw <= hi)):
        shown = ", ".join(f"{v:g}" for v in raw)
        raise _fail(Path(path), "bad spacing",
                    f"header voxel sizes ({shown}) mm are not all within {lo:g}-{hi:g} mm")
    return float(raw[0]), float(raw[1]), float(raw[2])


def check_size(path: Path, img: nib.Nifti1Image) -> None:
    """Refuse a header whose dimensions describe more voxels than any cardiac scan holds."""
    voxels = int(np.prod([int(s) for s in img.shape], dtype=np.float64))
    if voxels > MAX_VOXELS or min(img.shape, default=0) < 1:
        raise _fail(Path(path), "implausible size",
                    f"header dimensions {tuple(img.shape)} ({voxels:,} voxels; at most {MAX_VOXELS:,} are read)")


def geometry_mismatch(affine: np.ndarray, reference: np.ndarray, zooms: tuple[float, ...]) -> str:
    """Why two affines do not place one voxel grid in space ('' when they do, within the tolerances).

    pixdim is not compared: a label written as nib.Nifti1Image(data, image.affine) gets its pixdim from the
    affine, which in ACDC's headers (identity sform, spacing in pixdim only) differs from the image's."""
    a, r = np.asarray(affine, float), np.asarray(reference, float)
    if not (np.all(np.isfinite(a)) and np.all(np.isfinite(r))):
        return "the affine holds NaN or Inf"
    shift = float(np.max(np.abs(a[:3, 3] - r[:3, 3])))
    axes = float(np.max(np.abs(a[:3, :3] - r[:3, :3]) / np.maximum(np.asarray(zooms[:3], float), 1e-6)))
    if shift > ORIGIN_TOL_MM:
        return f"origin differs by {shift:.3g} mm (tolerance {ORIGIN_TOL_MM} mm)"
    if axes > AXIS_TOL:
        return (f"axis directions or voxel sizes differ (largest difference {axes:.3g} of a voxel; "
                f"flipped or resampled?)")
    return ""


def read_header(path: Path) -> Header:
    """Header facts of a NIfTI file, checked for sane voxel sizes and dimensions."""
    img = open_image(path)
    check_size(path, img)
    shape = tuple(int(s) for s in img.shape)
    zooms = tuple(float(z) for z in img.header.get_zooms())
    if len(shape) >= 3:
        zooms = (*spacing_of(path, img), *zooms[3:])
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
    check_size(path, img)
    try:
        data = np.asanyarray(img.dataobj[..., frame] if frame is not None else img.dataobj)
    except MemoryError:
        raise _fail(path, "too large", f"not enough memory to read shape {tuple(img.shape)}") from None
    except (EOFError, zlib.error, gzip.BadGzipFile, OSError) as exc:
        raise _fail(path, "truncated file", f"the data ends early ({exc})") from None
    except ValueError as exc:  # uncompressed files shorter than the header says
        raise _fail(path, "truncated file", str(exc)) from None
    except Exception as exc:  # an unsupported data type, a scaling nibabel cannot apply
        raise _fail(path, "unreadable data", f"{type(exc).__name__}: {exc}") from None
    data = np.asarray(data)
    if data.dtype.kind not in "biuf":
        raise _fail(path, "unsupported data type", f"{data.dtype} voxels (expected integers or real numbers)")
    return data, img
