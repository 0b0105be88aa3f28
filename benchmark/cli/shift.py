"""`cmrbench shift`: shifted copies of a data set, for scoring another tool under graded shifts."""
from __future__ import annotations

from pathlib import Path

import typer

from . import app


def _levels(text: str) -> list[int]:
    from ..errors import CmrbenchError

    try:
        levels = sorted({int(x) for x in text.split(",") if x.strip()})
    except ValueError:
        raise CmrbenchError(f"--severities {text!r}: give levels 1-5 separated by commas, e.g. 1,3,5") from None
    if not levels or any(v not in (1, 2, 3, 4, 5) for v in levels):
        raise CmrbenchError(f"--severities {text!r}: levels must lie in 1-5")
    return levels


@app.command("shift")
def shift_cmd(
    manifest: Path = typer.Option(..., "--manifest", "-m", help="manifest CSV of the cases to shift"),
    out: Path = typer.Option(..., "--out", "-o", help="folder for <shift>_<severity>/ copies and manifests"),
    shifts: str = typer.Option("all", "--shifts", help="comma-separated shift names, or all (cmrbench list shifts)"),
    severities: str = typer.Option("1,2,3,4,5", "--severities", help="levels 1-5, comma-separated"),
    seed: int = typer.Option(0, "--seed", min=0, help="the draws of every case (as evaluation.shift_seed)"),
) -> None:
    """Write every image of a manifest under graded shifts (NIfTI, original geometry) with a manifest per level."""
    from ..console import console, track
    from ..data.manifest import load_manifest
    from ..data.problems import write_problems
    from ..run.store import ensure_writable_dir
    from ..shifts import shift_names
    from ..shifts.copies import write_shifted_copies

    names = shift_names([s.strip() for s in shifts.split(",") if s.strip()])
    levels = _levels(severities)
    df = load_manifest(manifest)
    ensure_writable_dir(out)
    written, problems = write_shifted_copies(df, out, names, levels, seed, lambda xs: track(xs, "shifting"))
    problems = list(df.attrs.get("problems", [])) + problems
    write_problems(problems, out / "problems.csv")
    console.print(f"wrote {written} shifted image(s) ({len(names)} shift(s) x {len(levels)} severities) under {out}; "
                  f"{len(problems)} case(s) skipped, listed in {out / 'problems.csv'}")
