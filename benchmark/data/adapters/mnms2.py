"""M&Ms-2 (Martin-Isla et al. 2023): dataset/NNN/NNN_SA_{ED,ES}[_gt].nii.gz plus dataset_information.csv."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..csvfile import read_csv_text
from ..problems import DataError, Problem
from . import DATASETS
from .base import Adapter, IndexResult, existing

CSV_NAME = "dataset_information.csv"


def read_information(root: Path) -> tuple[pd.DataFrame | None, Path]:
    """The information table keyed by unpadded subject code (empty rows dropped)."""
    for csv in (root / CSV_NAME, root / "dataset" / CSV_NAME):
        if csv.is_file():
            df = read_csv_text(csv)
            if "SUBJECT_CODE" not in df.columns:
                raise DataError(Problem(str(csv), "missing metadata", "no SUBJECT_CODE column"))
            df = df[df["SUBJECT_CODE"].str.strip() != ""]
            return df.set_index(df["SUBJECT_CODE"].str.strip().str.lstrip("0")), csv
    return None, root / CSV_NAME


def _field(value: str) -> float | None:
    try:
        return float(value.upper().replace("T", "").strip())
    except ValueError:
        return None


@DATASETS.register("mnms2")
class MnMs2(Adapter):
    """M&Ms-2: 3 vendors, 1.5T and 3T; labels 1 LV, 2 MYO, 3 RV; one 3D file per phase."""

    name = "mnms2"
    description = "M&Ms-2 challenge (dataset/NNN/NNN_SA_{ED,ES}[_gt].nii.gz + dataset_information.csv)"

    def index(self, root: Path) -> IndexResult:
        result = IndexResult()
        folder = root / "dataset"
        if not folder.is_dir():
            result.problems.append(self.problem(folder, "missing folder", "no dataset/ folder"))
            return result
        info, csv, why = None, root / CSV_NAME, f"no {CSV_NAME}"
        try:
            info, csv = read_information(root)
        except DataError as err:  # the images stay usable without vendor and scanner
            csv, why = Path(err.problem.file), err.problem.why
        if info is None:
            result.problems.append(self.problem(csv, "missing metadata", f"{why}: vendor/scanner unknown",
                                                severity="warning"))
        for case in sorted(p for p in folder.iterdir() if p.is_dir()):
            code = case.name
            key = code.lstrip("0")
            meta = {}
            if info is not None and key in info.index:
                row = info.loc[key]
                if isinstance(row, pd.DataFrame):  # two rows for one subject: which vendor is unknowable
                    result.problems.append(self.problem(csv, "duplicate metadata", f"{len(row)} rows with "
                                                        f"SUBJECT_CODE {key}: vendor/scanner unknown", code,
                                                        severity="warning"))
                    row = pd.Series(dtype=str)
                meta = {"vendor": row.get("VENDOR", ""), "scanner": row.get("SCANNER", ""),
                        "field_strength_t": _field(str(row.get("FIELD", ""))),
                        "pathology": row.get("DISEASE", "")}
            elif info is not None:
                self.warn_missing_metadata(result, csv, code, f"no row with SUBJECT_CODE {key}")
            for phase in ("ED", "ES"):
                image = case / f"{code}_SA_{phase}.nii.gz"
                if not image.is_file():
                    result.problems.append(self.problem(image, "missing file", f"no {phase} image", code, phase))
                    continue
                self.case_row(result, subject=code, phase=phase, image=image,
                              label=existing(case / f"{code}_SA_{phase}_gt.nii.gz"), site="", split="", **meta)
        return result
