"""What `cmrbench predict` segments: the image files of a folder (label files left out) and the frames of each."""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ..errors import CmrbenchError

LABEL_FILE = re.compile(r"_(gt|seg)", re.IGNORECASE)  # ACDC's *_gt, nnU-Net and M&Ms' *_seg / *_sa_gt
ALL = "all"


def stem(path: Path) -> str:
    """The file name without .nii or .nii.gz."""
    name = path.name
    return name[:-7] if name.endswith(".nii.gz") else name[:-4] if name.endswith(".nii") else path.stem


def input_files(path: Path) -> tuple[list[Path], list[Path]]:
    """The NIfTI files to segment, and the label files (*_gt*, *_seg*) of a folder that are left out."""
    if not path.exists():
        raise CmrbenchError(f"--input {path}: no such file or folder")
    if path.is_file():
        return [path], []
    found = sorted(p for p in path.glob("*.nii*") if p.is_file() and p.name.endswith((".nii", ".nii.gz")))
    labels = [p for p in found if LABEL_FILE.search(stem(p))]
    images = [p for p in found if p not in labels]
    if not images:
        raise CmrbenchError(f"--input {path}: no NIfTI images" + (f" ({len(labels)} label file(s) left out)"
                                                                   if labels else ""))
    return images, labels


@dataclass(frozen=True)
class Frame:
    """One volume to segment: a 3D file (index None) or frame `index` (0-based) of a 4D cine, and the suffix of
    its output file ('' for a 3D file or a whole cine, '_ED', '_frame03')."""

    index: int | None
    suffix: str


def parse_frames(text: str) -> list[str]:
    """--frames: 'all', or a comma-separated list of ED, ES and 1-based frame numbers."""
    items = [t.strip() for t in text.split(",") if t.strip()]
    if items == [ALL]:
        return items
    bad = [t for t in items if t.upper() not in ("ED", "ES") and not t.isdigit()]
    if not items or bad or any(t.isdigit() and int(t) < 1 for t in items):
        raise CmrbenchError(f"--frames {text!r}: expected 'all' or a list of ED, ES and frame numbers from 1, "
                            "e.g. ED,ES or 1,12")
    return [t.upper() if not t.isdigit() else t for t in items]


def named_frame(path: Path, name: str) -> int:
    """The 1-based frame number of ED or ES, from the Info.cfg beside a cine (ACDC's layout)."""
    from ..data.adapters.acdc import parse_info

    cfg = path.parent / "Info.cfg"
    if not cfg.is_file():
        raise CmrbenchError(f"{path}: --frames {name} needs an Info.cfg beside the cine (ACDC's layout) naming "
                            "its ED and ES frames; give frame numbers instead, e.g. --frames 1,12")
    value = parse_info(cfg).get(name, "")
    if not value.isdigit():
        raise CmrbenchError(f"{cfg}: no whole number for {name} (found {value!r})")
    return int(value)


def frames(path: Path, shape: tuple[int, ...], wanted: list[str]) -> list[Frame]:
    """The volumes of one file: itself when 3D; all frames at once or the frames asked for when 4D."""
    if len(shape) == 3 or wanted == [ALL]:
        return [Frame(None, "")]
    out = []
    for item in wanted:
        number = named_frame(path, item) if item in ("ED", "ES") else int(item)
        if not 1 <= number <= shape[3]:
            raise CmrbenchError(f"{path}: frame {number} is not in 1..{shape[3]} (this cine's frames)")
        out.append(Frame(number - 1, f"_{item}" if item in ("ED", "ES") else f"_frame{number:02d}"))
    return out
