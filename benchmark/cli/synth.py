"""`cmrbench synth COHORT --out DIR`: a synthetic cohort in the real on-disk layout of its namesake."""
from __future__ import annotations

import shutil
import time
from pathlib import Path

import typer

from . import app


@app.command("synth")
def synth(
    cohort: str = typer.Argument(..., help="ukbb, acdc, bscmr or mnms (see `cmrbench list cohorts`)"),
    out: Path = typer.Option(..., "--out", "-o", help="folder to write the cohort into"),
    subjects: int = typer.Option(20, "--subjects", "-n", min=1, help="number of subjects"),
    seed: int = typer.Option(0, "--seed", help="same seed, same bytes"),
    preview: Path | None = typer.Option(None, "--preview", help="also write a montage PNG of the first subject"),
    workers: int = typer.Option(0, "--workers", help="processes (0: one per CPU core)"),
    overwrite: bool = typer.Option(False, "--overwrite", help="empty OUT first if it holds files"),
) -> None:
    """Write a synthetic cohort (images, labels, metadata, truth.csv) in its real layout."""
    from ..console import console, track
    from ..errors import CmrbenchError
    from ..synth.cohorts import COHORTS, generate_cohort, plan

    spec = COHORTS.get(cohort)
    if out.exists() and not out.is_dir():
        raise CmrbenchError(f"--out {out}: a file, not a folder")
    if out.exists() and any(out.iterdir()):
        if not overwrite:
            raise CmrbenchError(f"{out} is not empty; choose an empty folder or pass --overwrite")
        shutil.rmtree(out)
    start = time.perf_counter()
    truth = generate_cohort(cohort, out, subjects, seed, workers or None,
                            progress=lambda xs: track(xs, f"synth {cohort}", total=subjects))
    elapsed = time.perf_counter() - start
    console.print(f"wrote {truth['subject'].nunique()} {cohort} subject(s) to {out} in {elapsed:.1f} s "
                  f"({spec.description}); truth.csv beside them")
    if preview is not None:
        from ..synth.preview import save_preview
        from ..synth.subject import generate_subject
        from ..synth.writers import written_labels

        first = plan(spec, subjects, seed)[0]
        subject = generate_subject(first)
        subject.labels = {p: written_labels(subject, spec, p) for p in subject.labels}  # as annotated on disk
        save_preview(subject, preview)
        console.print(f"preview of {first.subject} -> {preview}")
