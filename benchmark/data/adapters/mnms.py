"""M&Ms-1 (Campello et al. 2021): 4D cines labelled at ED and ES, metadata in one CSV."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..csvfile import read_csv_text
from ..problems import DataError, Problem
from . import DATASETS
from .base import Adapter, IndexResult, existing

SPLITS = {"Training/Labeled": "train", "Training/Unlabeled": "unlabeled", "Validation": "val", "Testing": "test"}
# Every M&Ms-1 centre scanned at 1.5 T (Campello et al. 2021, Table 1).
FIELD_STRENGTH_T = 1.5
META_COLUMNS = ["External code", "VendorName", "Vendor", "Centre", "ED", "ES"]


def find_metadata_csv(root: Path) -> Path | None:
    """The metadata CSV: a .csv under ROOT whose first line has 'External code' (in any encoding)."""
    for csv in sorted(root.glob("*.csv")) + sorted(root.glob("*/*.csv")):
        try:
            with open(csv, "rb") as fh:
                head = fh.read(4096)
            if "External code" in head.decode("utf-16" if head[:2] in (b"\xff\xfe", b"\xfe\xff") else "latin-1",
                                              errors="replace").split("\n", 1)[0]:
                return csv
        except OSError:
            continue
    return None


def read_metadata(csv: Path) -> pd.DataFrame:
    """The metadata table indexed by subject code; the leading unnamed index column is dropped."""
    df = read_csv_text(csv)
    df = df.loc[:, [c for c in df.columns if c and not c.startswith("Unnamed")]]
    if "External code" not in df.columns:
        raise DataError(Problem(str(csv), "missing metadata", "no 'External code' column"))
    df = df[df["External code"].str.strip() != ""]
    return df.set_index(df["External code"].str.strip())


@DATASETS.register("mnms")
class MnMs(Adapter):
    """M&Ms-1: 4 vendors, 5 centres; labels 1 LV, 2 MYO, 3 RV; ED/ES are 0-based time indices."""

    name = "mnms"
    description = "M&Ms-1 challenge ({Training/Labeled,...}/CODE/CODE_sa[_gt].nii.gz + metadata CSV)"

    def index(self, root: Path) -> IndexResult:
        result = IndexResult()
        csv = find_metadata_csv(root)
        if csv is None:
            result.problems.append(self.problem(root, "missing metadata",
                                                "no metadata CSV with an 'External code' column"))
            return result
        try:
            meta = read_metadata(csv)
        except DataError as err:
            result.problems.append(self.problem(csv, err.problem.what, err.problem.why))
            return result
        missing = [c for c in META_COLUMNS if c not in meta.columns]
        if missing:
            result.problems.append(self.problem(csv, "missing metadata", f"columns {missing} absent"))
            return result
        for rel, split in SPLITS.items():
            folder = root / rel
            if not folder.is_dir():
                continue
            for case in sorted(p for p in folder.iterdir() if p.is_dir()):
                self._case(result, case, split, meta, csv)
        if not result.rows and not result.problems:
            result.problems.append(self.problem(root, "missing folder", f"none of {list(SPLITS)} holds a case"))
        return result

    def _case(self, result: IndexResult, folder: Path, split: str, meta: pd.DataFrame, csv: Path) -> None:
        code = folder.name
        image = folder / f"{code}_sa.nii.gz"
        if code not in meta.index:
            result.problems.append(self.problem(csv, "missing metadata", f"no row for {code}: ED/ES unknown", code))
            return
        info = meta.loc[code]
        if isinstance(info, pd.DataFrame):
            result.problems.append(self.problem(csv, "duplicate metadata",
                                                f"{len(info)} rows for {code}: ED/ES ambiguous", code))
            return
        for phase in ("ED", "ES"):
            raw = str(info[phase]).strip()
            if not (raw.isascii() and raw.isdigit()):
                result.problems.append(self.problem(csv, "missing metadata",
                                                    f"{phase} is '{raw}', not a time index", code, phase))
                continue
            if not image.is_file():
                result.problems.append(self.problem(image, "missing file", "no 4D short-axis cine", code, phase))
                continue
            self.case_row(result, subject=code, phase=phase, image=image,
                          label=existing(folder / f"{code}_sa_gt.nii.gz"), frame=int(raw),
                          site=str(info.get("Centre", "")), vendor=str(info.get("VendorName", "")),
                          scanner="", field_strength_t=FIELD_STRENGTH_T,
                          pathology=str(info.get("Pathology", "")), split=split)
