"""`cmrbench clean OUT`: list (and with --remove delete) job folders the current suite no longer uses."""
from __future__ import annotations

from pathlib import Path

import typer

from . import app


@app.command("clean")
def clean(out: Path = typer.Argument(..., help="a run folder (--out of `cmrbench run`)"),
          remove: bool = typer.Option(False, "--remove", help="delete them (default: only list)")) -> None:
    """List trainings and evaluations in OUT that the suite last run there no longer asks for."""
    from contextlib import nullcontext

    from ..console import console
    from ..errors import CmrbenchError
    from ..run.clean import remove as remove_folders
    from ..run.clean import stale_folders
    from ..run.store import RunLock

    stale_folders(out)  # OUT must be a run folder before anything (a lock file included) is written there
    # removing takes OUT's lock, so a run that is writing there is never pulled from under it
    with RunLock(out) if remove else nullcontext():
        stale = stale_folders(out)
        for folder, size in stale:
            console.print(f"{'removed' if remove else 'stale'}  {folder}  ({size / 1e6:.1f} MB)", markup=False,
                          soft_wrap=True)
        if remove:
            try:
                remove_folders([f for f, _ in stale], out)
            except OSError as exc:
                raise CmrbenchError(f"{exc.filename or out}: cannot remove ({exc.strerror or exc})") from None
    total = sum(s for _, s in stale) / 1e6
    verb = "removed" if remove else "not used by the last run (rerun with --remove to delete)"
    console.print(f"{len(stale)} folder(s), {total:.1f} MB {verb}")
