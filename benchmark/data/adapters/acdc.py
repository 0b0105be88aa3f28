"""ACDC (Bernard et al. 2018) as released: [database/]{training,testing}/patientNNN/."""
from __future__ import annotations

from pathlib import Path

from ..problems import DataError, Problem
from . import DATASETS
from .base import Adapter, IndexResult, existing

# ACDC's group names -> the names used in tables
GROUPS = {"NOR": "NOR", "DCM": "DCM", "HCM": "HCM", "MINF": "MINF", "RV": "ARV"}
SPLITS = {"training": "train", "testing": "test"}


def parse_info(path: Path) -> dict[str, str]:
    """Parse an Info.cfg ('ED: 1' per line) into a dict; raises DataError when it is not text."""
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DataError(Problem(str(path), "unreadable metadata",
                                f"not text (byte 0x{raw[exc.start]:02x} at offset {exc.start})")) from None
    if "\x00" in text:
        raise DataError(Problem(str(path), "unreadable metadata", "binary content (NUL bytes), not text"))
    info: dict[str, str] = {}
    for line in text.splitlines():
        if ":" in line:
            key, value = line.split(":", 1)
            info[key.strip()] = value.strip()
    return info


@DATASETS.register("acdc")
class ACDC(Adapter):
    """ACDC: 1.5T/3T Siemens, Dijon; labels 1 RV, 2 MYO, 3 LV; ED/ES are 1-based frame numbers."""

    name = "acdc"
    label_convention = "acdc"
    description = "ACDC challenge release ({training,testing}/patientNNN, Info.cfg)"

    def index(self, root: Path) -> IndexResult:
        result = IndexResult()
        base = root / "database" if (root / "database").is_dir() else root
        folders = [(s, base / s) for s in SPLITS if (base / s).is_dir()]
        if not folders:
            result.problems.append(self.problem(root, "missing folder", "no training/ or testing/ folder"))
        for split, folder in folders:
            for patient in sorted(p for p in folder.iterdir() if p.is_dir() and p.name.startswith("patient")):
                self._patient(result, patient, SPLITS[split])
        return result

    def _patient(self, result: IndexResult, folder: Path, split: str) -> None:
        subject = folder.name
        cfg = folder / "Info.cfg"
        if not cfg.is_file():
            result.problems.append(self.problem(cfg, "missing metadata", "no Info.cfg: ED/ES unknown", subject))
            return
        try:
            info = parse_info(cfg)
        except DataError as err:
            result.problems.append(self.problem(cfg, err.problem.what, err.problem.why, subject))
            return
        group = info.get("Group", "")
        if not group:
            self.warn_missing_metadata(result, cfg, subject, "no 'Group' line: pathology unknown")
        for phase in ("ED", "ES"):
            raw = info.get(phase, "")
            if not (raw.isascii() and raw.isdigit()) or int(raw) < 1:
                result.problems.append(self.problem(cfg, "missing metadata",
                                                    f"'{phase}' is '{raw}', not a frame number (1, 2, ...)", subject, phase))
                continue
            stem = f"{subject}_frame{int(raw):02d}"
            image = folder / f"{stem}.nii.gz"
            if not image.is_file():
                result.problems.append(self.problem(
                    image, "missing file", f"{phase} frame {raw} (1-based, from Info.cfg) is not on disk",
                    subject, phase))
                continue
            self.case_row(result, subject=subject, phase=phase, image=image,
                          label=existing(folder / f"{stem}_gt.nii.gz"),
                          site="Dijon", vendor="Siemens", scanner="", field_strength_t=None,
                          pathology=GROUPS.get(group, group), split=split)
