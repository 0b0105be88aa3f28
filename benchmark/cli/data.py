"""`cmrbench data index|check|profile`: datasets as downloaded -> manifest, a full read of every file, a domain-gap
profile."""
from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

import typer

from . import app

data_app = typer.Typer(no_args_is_help=True, help="Index datasets into manifests, check and profile them.")
app.add_typer(data_app, name="data")


@data_app.command("index")
def index(
    fmt: str = typer.Argument(..., metavar="FORMAT",
                              help="acdc, mnms, mnms2, ukbb or manifest (see `cmrbench list datasets`)"),
    root: Path = typer.Argument(..., help="the dataset's folder as downloaded (a CSV file for 'manifest')"),
    out: Path = typer.Option(..., "--out", "-o", help="manifest CSV to write"),
    verify: bool = typer.Option(False, "--verify",
                                help="also open every file (as `data check`) and drop unusable cases"),
) -> None:
    """Scan a dataset's headers into a manifest; problems go to MANIFEST.errors.csv beside it."""
    from ..console import console, track
    from ..data.adapters import get_adapter, index_dataset
    from ..data.check import check_rows, usable
    from ..data.manifest import errors_path, to_frame, write_manifest
    from ..data.problems import write_problems
    from ..errors import CmrbenchError

    get_adapter(fmt)  # an unknown format is named before the folder is looked at
    if not root.exists():
        raise CmrbenchError(f"{root}: no such file or folder")
    result = index_dataset(fmt, root)
    problems = list(result.problems)
    rows = result.rows
    if verify and rows:
        df = to_frame(rows)
        df.attrs["root"] = "/"
        found = check_rows(df, progress=lambda xs: track(xs, "verifying"))
        problems += found
        rows = usable(df, found).to_dict("records")
    df = write_manifest(rows, out)
    err_file = errors_path(out)
    write_problems(problems, err_file)
    n_err = sum(p.severity == "error" for p in problems)
    console.print(f"indexed {len(df)} case(s) of {df['subject'].nunique() if len(df) else 0} subject(s) "
                  f"from {root} -> {out}")
    if problems:
        console.print(f"[yellow]{n_err} problem(s) and {len(problems) - n_err} warning(s)[/], "
                      f"listed in {err_file}:")
        for p in problems[:20]:
            console.print(f"  {p.severity}: {p.line()}", markup=False, soft_wrap=True)
        if len(problems) > 20:
            console.print(f"  ... and {len(problems) - 20} more")
    if df.empty:
        raise CmrbenchError(f"no usable case found under {root}")


@data_app.command("check")
def check(manifest: Path = typer.Argument(..., help="manifest CSV")) -> None:
    """Open every file of a manifest; name every problem; exit 1 if any case is unusable."""
    from ..console import console, track
    from ..data.check import check_rows
    from ..data.manifest import load_manifest
    from ..errors import CmrbenchError

    df = load_manifest(manifest)
    if df.empty and not df.attrs["problems"]:
        raise CmrbenchError(f"manifest {manifest}: no rows below the header, nothing to check")
    problems = df.attrs["problems"] + check_rows(df, progress=lambda xs: track(xs, "checking"))
    for p in problems:
        console.print(f"{p.severity}: {p.line()}", markup=False, soft_wrap=True)
    left_out = len(df.attrs["problems"])
    n_bad = len({(p.dataset, p.subject, p.phase) for p in problems[left_out:] if p.severity == "error"})
    console.print(f"checked {len(df)} case(s): {len(df) - n_bad} usable, {n_bad} unusable"
                  + (f"; {left_out} manifest row(s) left out" if left_out else ""))
    if left_out:
        n_bad += left_out
    if n_bad:
        raise typer.Exit(1)


@data_app.command("profile")
def profile(
    manifests: list[Path] = typer.Argument(..., metavar="MANIFEST...", help="manifest CSV(s) to profile"),
    out: Path | None = typer.Option(None, "--out", "-o",
                                    help="folder for profile.csv, cases.csv, errors.csv, profile.md "
                                         "(and profile.png/.pdf with two or more manifests)"),
) -> None:
    """Domain-gap report: geometry, heart size, contrast, SNR and intensities per data set, site and scanner.

    Reads every case (nothing is written beside the data); exit 1 if any case could not be read."""
    from ..console import console, track
    from ..data.profile import manifest_names, profile_manifest, summarise, tables, to_markdown, write_profile

    def bar(name: str) -> Callable[[Iterable], Iterable]:
        return lambda xs: track(xs, f"profiling {name}")

    profiles = [profile_manifest(m, n, progress=bar(n)) for m, n in zip(manifests, manifest_names(manifests))]
    import pandas as pd

    tidy = pd.concat([summarise(p) for p in profiles], ignore_index=True)
    for title, table, notes in tables(profiles, tidy):
        if console.is_terminal:
            from rich.table import Table as RichTable

            rt = RichTable(title=title, title_justify="left")
            for col in table.columns:
                rt.add_column(str(col))
            for row in table.itertuples(index=False):
                rt.add_row(*[str(v) for v in row])
            console.print(rt)
            for note in notes:
                console.print(f"  {note}", style="dim", markup=False, soft_wrap=True)
        else:
            console.print(to_markdown(title, table, notes), markup=False, soft_wrap=True, highlight=False)
    if out is not None:
        written = write_profile(profiles, out)
        console.print("wrote " + ", ".join(str(w) for w in written), markup=False, soft_wrap=True)
    if any(p.errors for p in profiles):
        raise typer.Exit(1)
