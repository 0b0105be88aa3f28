"""What every dataset adapter provides, and the header checks they share."""
from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path

from ...labels import STRUCTURES
from ..manifest import name_defect
from ..nifti import geometry_mismatch, read_header
from ..problems import WARNING, DataError, Problem

ALL_PRESENT = ";".join(STRUCTURES)


@dataclass
class IndexResult:
    """Manifest rows (absolute paths) and the problems met while indexing."""

    rows: list[dict] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


class Adapter(ABC):
    """Scans one dataset layout, as downloaded, into manifest rows; reads headers only."""

    name: str = ""
    label_convention: str = "canonical"
    description: str = ""

    @abstractmethod
    def index(self, root: Path) -> IndexResult:
        """Scan `root` into manifest rows and problems."""

    # shared helpers -------------------------------------------------------------------------
    def problem(self, file: Path | str, what: str, why: str, subject: str = "", phase: str = "",
                severity: str = "error", dataset: str = "") -> Problem:
        """A Problem stamped with this dataset's name."""
        return Problem(str(file), what, why, dataset or self.name, subject, phase, severity)

    def case_row(self, result: IndexResult, *, subject: str, phase: str, image: Path,
                 label: Path | None, frame: int | None = None, dataset: str = "", **meta: object) -> None:
        """Check a case's headers; append its row, or its problems when it is unusable."""
        try:
            img = read_header(image)
            ndim = len(img.shape)
            want = 3 if frame is None else 4
            if ndim != want:
                raise DataError(self.problem(image, "bad dimensions",
                                             f"expected a {want}D file, got {ndim}D shape {img.shape}"))
            if frame is not None and not 0 <= frame < img.shape[3]:
                raise DataError(self.problem(image, "frame out of range",
                                             f"{phase} frame {frame} not in 0..{img.shape[3] - 1}"))
            if label is not None:
                lab = read_header(label)
                if lab.shape[:3] != img.shape[:3] or len(lab.shape) != ndim:
                    raise DataError(self.problem(label, "shape mismatch",
                                                 f"label shape {lab.shape} != image shape {img.shape}"))
                off_grid = geometry_mismatch(lab.affine, img.affine, img.zooms)
                if off_grid:
                    raise DataError(self.problem(label, "geometry mismatch",
                                                 f"label and image grids differ: {off_grid}"))
        except DataError as err:
            p = err.problem
            result.problems.append(self.problem(p.file, p.what, p.why, subject, phase, dataset=dataset))
            return
        except OSError as exc:  # a symlink loop, a permission, a folder named like the file
            result.problems.append(self.problem(image, "unreadable file", exc.strerror or str(exc), subject, phase,
                                                dataset=dataset))
            return
        zx, zy, zz = (round(z, 6) for z in img.zooms[:3])  # float32 header -> tidy decimals
        row: dict[str, object] = {
            "dataset": dataset or self.name, "subject": subject, "phase": phase, "image": str(image),
            "label": str(label) if label is not None else "", "frame": frame,
            "spacing_x_mm": zx, "spacing_y_mm": zy, "spacing_z_mm": zz,
            "labels_present": ALL_PRESENT if label is not None else "",
            "label_map": self.label_convention,
        }
        row.update({k: v for k, v in meta.items() if v not in ("", None) or k not in row})
        result.rows.append(row)

    def warn_missing_metadata(self, result: IndexResult, file: Path, subject: str, why: str) -> None:
        """Record metadata that is absent; the case stays usable."""
        result.problems.append(self.problem(file, "missing metadata", why, subject, severity=WARNING))


def existing(path: Path) -> Path | None:
    """The path if it is a file, else None."""
    return path if path.is_file() else None


def unique_cases(result: IndexResult) -> IndexResult:
    """Leave out rows whose names are not plain names, and every case that more than one row names."""
    def key(row: dict) -> tuple[str, str, str]:
        return str(row.get("dataset", "")), str(row.get("subject", "")), str(row.get("phase", ""))

    counts: dict[tuple[str, str, str], int] = {}
    for row in result.rows:
        counts[key(row)] = counts.get(key(row), 0) + 1
    keep, problems = [], list(result.problems)
    for row in result.rows:
        dataset, subject, phase = key(row)
        defect = next((f"{col} {name!r} {why}" for col, name in (("dataset", dataset), ("subject", subject))
                       if (why := name_defect(name))), "")
        if defect:
            problems.append(Problem(str(row.get("image", "")), "bad name", defect, dataset, subject, phase))
            continue
        if counts[key(row)] == 1:
            keep.append(row)
            continue
        problems.append(Problem(str(row.get("image", "")), "duplicate case",
                                f"{counts[key(row)]} files are indexed as this case; none is used", dataset, subject,
                                phase))
    return IndexResult(keep, problems)
