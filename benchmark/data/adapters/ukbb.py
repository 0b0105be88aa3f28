"""UK Biobank short-axis data as prepared by ukbb_cardiac: EID/sa_{ED,ES}.nii.gz, label_sa_{ED,ES}.nii.gz."""
from __future__ import annotations

from pathlib import Path

from . import DATASETS
from .base import Adapter, IndexResult, existing


@DATASETS.register("ukbb")
class UKBiobank(Adapter):
    """UK Biobank: one 1.5T Siemens Aera protocol; labels 1 LV, 2 MYO, 3 RV."""

    name = "ukbb"
    description = "UK Biobank as prepared by ukbb_cardiac (EID/sa_{ED,ES}.nii.gz, label_sa_{ED,ES}.nii.gz)"

    def index(self, root: Path) -> IndexResult:
        result = IndexResult()
        subjects = sorted(p for p in root.iterdir() if p.is_dir()) if root.is_dir() else []
        if not subjects:
            result.problems.append(self.problem(root, "missing folder", "no subject folders"))
        for folder in subjects:
            for phase in ("ED", "ES"):
                image = folder / f"sa_{phase}.nii.gz"
                if not image.is_file():
                    result.problems.append(self.problem(image, "missing file", f"no {phase} image",
                                                        folder.name, phase))
                    continue
                self.case_row(result, subject=folder.name, phase=phase, image=image,
                              label=existing(folder / f"label_sa_{phase}.nii.gz"),
                              site="UK Biobank", vendor="Siemens", scanner="Aera", field_strength_t=1.5,
                              pathology="", split="")
        return result
