"""Any other data (BSCMR-AS, in-house): a manifest CSV written by hand, checked and re-rooted."""
from __future__ import annotations

from pathlib import Path

from ..csvfile import read_csv_text
from ..manifest import REQUIRED
from ..problems import DataError
from . import DATASETS
from .base import Adapter, IndexResult

# columns whose values come from the files' headers or the adapter, not copied from the CSV
_DERIVED = {"dataset", "subject", "phase", "image", "label", "frame", "spacing_x_mm", "spacing_y_mm", "spacing_z_mm"}


@DATASETS.register("manifest")
class ManifestCSV(Adapter):
    """A CSV with SPEC.md's manifest columns (at least dataset, subject, phase, image); canonical labels."""

    name = "manifest"
    description = "a manifest CSV (SPEC.md columns; paths relative to the CSV)"

    def index(self, root: Path) -> IndexResult:
        result = IndexResult()
        if not root.is_file():
            result.problems.append(self.problem(root, "missing file", "the manifest CSV does not exist"))
            return result
        try:
            df = read_csv_text(root)
        except DataError as err:
            result.problems.append(self.problem(root, err.problem.what, err.problem.why))
            return result
        missing = [c for c in REQUIRED if c not in df.columns]
        if missing:
            result.problems.append(self.problem(root, "missing column", f"{', '.join(missing)} absent"))
            return result
        for line, rec in enumerate(df.to_dict("records"), start=2):
            self._row(result, rec, root, line)
        return result

    def _row(self, result: IndexResult, rec: dict, csv: Path, line: int) -> None:
        subject, phase = rec["subject"].strip(), rec["phase"].strip()
        dataset = rec["dataset"].strip() or self.name

        def problem(file: Path, what: str, why: str) -> None:
            result.problems.append(self.problem(file, what, f"line {line}: {why}", subject, phase, dataset=dataset))

        if phase not in ("ED", "ES"):
            return problem(csv, "bad row", f"phase '{phase}' is not ED or ES")
        image = csv.parent / rec["image"]
        label = csv.parent / rec["label"] if rec.get("label", "").strip() else None
        if not image.parent.is_dir():
            return problem(image.parent, "missing folder", "the case's folder does not exist")
        if not image.is_file():
            return problem(image, "missing file", "no image")
        if label is not None and not label.is_file():
            return problem(label, "missing file", "no label")
        frame = rec.get("frame", "").strip()
        if frame and not frame.isdigit():
            return problem(csv, "bad row", f"frame '{frame}' is not a time index")
        meta = {k: v.strip() for k, v in rec.items() if k not in _DERIVED}
        meta["label_map"] = meta.get("label_map") or "canonical"
        if label is not None and not meta.get("labels_present"):
            meta.pop("labels_present", None)
        self.case_row(result, subject=subject, phase=phase, image=image, label=label,
                      frame=int(frame) if frame else None, dataset=dataset, **meta)
