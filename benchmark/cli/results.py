"""`cmrbench evaluate | leaderboard | compare`: score predictions, rebuild tables, compare result sets."""
from __future__ import annotations

import re
from pathlib import Path

import typer

from . import app


def _print_table(table, max_rows: int = 40) -> None:  # type: ignore[no-untyped-def]
    from rich.table import Table as RichTable

    from ..console import console

    rt = RichTable(title=table.title, title_justify="left")
    if table.absent:
        console.print(f"[bold]{table.title}[/]: no data ({table.absent})")
        return
    if not console.is_terminal:  # a log file or a pipe: full-width Markdown, never cells cut to "0.9…"
        from ..leaderboards.formats import to_markdown

        console.print(to_markdown(table), markup=False, soft_wrap=True, highlight=False)
        return
    for col in table.wide.columns:
        rt.add_column(str(col))
    for row in table.wide.head(max_rows).itertuples(index=False):
        rt.add_row(*[str(v) for v in row])
    console.print(rt)
    for note in table.notes:
        console.print(f"  {note}", style="dim", markup=False)


MISSING_HELP = ("what the tables do with expected cases that have no usable prediction: exclude (left out, "
                "counted) or fail (Dice 0 for each annotated structure)")


def set_labels(paths: list[Path], names: list[str], labels: list[str]) -> list[str | None]:
    """The label of each result set from --label KEY=NAME, KEY being a path as given or a set's name."""
    from ..errors import CmrbenchError

    out: list[str | None] = [None] * len(paths)
    for item in labels:
        key, sep, value = item.partition("=")
        if not sep or not key or not value:
            raise CmrbenchError(f"--label {item}: write PATH=NAME or SETNAME=NAME")
        hits = [i for i, (p, n) in enumerate(zip(paths, names))
                if key in (str(p), n) or Path(key).resolve() == Path(p).resolve()]
        if not hits:
            raise CmrbenchError(f"--label {item}: {key} is neither a result path given nor a set's name "
                                f"({', '.join(names)})")
        for i in hits:
            out[i] = value
    return out


@app.command("evaluate")
def evaluate(
    manifest: Path | None = typer.Option(None, "--manifest", "-m", help="manifest CSV with the reference labels"),
    pred: Path = typer.Option(..., "--pred", help="folder of <subject>_<phase>.nii.gz (or <dataset>/...); with "
                              "--mapping, nnU-Net's <nnunet_case>.nii.gz"),
    mapping: Path | None = typer.Option(None, "--mapping", help="instead of --manifest: the mapping.csv of "
                                        "`cmrbench export nnunet`, to score nnU-Net's predictions of imagesTs"),
    out: Path = typer.Option(..., "--out", "-o", help="folder for results/ and leaderboards/"),
    name: str = typer.Option("external", "--name", help="method name shown in the tables"),
    label_map: str = typer.Option("canonical", "--label-map", help="label convention of the predictions: "
                                  "canonical or an adapter's name (e.g. acdc)"),
    missing: str = typer.Option("exclude", "--missing", help=MISSING_HELP),
    shifts: bool = typer.Option(False, "--shifts", help="also score PRED/<shift>_<severity>/ folders (predictions "
                                "on the copies `cmrbench shift` writes) into results/shifts.csv and Table X"),
) -> None:
    """Score predictions made by any tool against a manifest (or an nnU-Net export's mapping); write results and
    leaderboards."""
    from ..console import console, track
    from ..data.manifest import load_manifest
    from ..errors import CmrbenchError
    from ..evaluate import evaluate_predictions, find_prediction
    from ..leaderboards import write_leaderboards
    from ..leaderboards.cases import check_missing
    from ..provenance import provenance

    check_missing(missing)
    if (manifest is None) == (mapping is None):
        raise CmrbenchError("give --manifest (predictions named <subject>_<phase>) or --mapping (an nnU-Net "
                            "export's mapping.csv), one of the two")
    if mapping is not None and shifts:
        raise CmrbenchError("--shifts: shifted copies are named by subject and phase; score them with --manifest")
    if not pred.is_dir():
        raise CmrbenchError(f"--pred {pred}: no such folder")
    if mapping is not None:
        from ..export.mapping import find_nnunet_prediction, load_mapping

        df, locate = load_mapping(mapping), find_nnunet_prediction
    else:
        assert manifest is not None
        df, locate = load_manifest(manifest), find_prediction
        if df.empty and not df.attrs["problems"]:
            raise CmrbenchError(f"manifest {manifest}: no rows below the header, nothing to score")
    res = evaluate_predictions(df, pred, name, label_map, progress=lambda xs: track(xs, "scoring"), locate=locate)
    if shifts:
        import pandas as pd

        from ..evaluate import evaluate_shifted

        res.shifts, shift_errors = evaluate_shifted(df, pred, name, label_map, lambda xs: track(xs, "scoring shifts"))
        if res.shifts.empty:
            raise CmrbenchError(f"--shifts: {pred} has no <shift>_<severity> folder (as `cmrbench shift` names them)")
        res.errors = pd.concat([res.errors, shift_errors], ignore_index=True)
    folder = res.write(out)
    tables = write_leaderboards(res, out, provenance(device="cpu"), missing=missing)
    _print_table(next(t for t in tables if t.name == "table3_methods"))
    scored = res.cases[["dataset", "subject", "phase"]].drop_duplicates().shape[0]
    console.print(f"scored {scored} of {len(res.expected)} expected case(s); {len(res.errors)} error(s) in "
                  f"{folder / 'errors.csv'}; leaderboards in {out / 'leaderboards'}")


@app.command("leaderboard")
def leaderboard(
    results: list[Path] = typer.Argument(..., help="one or more run/evaluate output folders"),
    out: Path | None = typer.Option(None, "--out", "-o", help="write leaderboards/ here (default: print only)"),
    fmt: str = typer.Option("md", "--format", help="md, csv, tex or html: what to print"),
    table: str = typer.Option("table3_methods", "--table", help="which table to print ('all' for every one)"),
    missing: str = typer.Option("exclude", "--missing", help=MISSING_HELP),
    label: list[str] = typer.Option([], "--label", help="PATH=NAME or SETNAME=NAME (repeatable): show that result "
                                    "set's methods as 'NAME: method', needed when two sets share a method name"),
) -> None:
    """Rebuild the tables from stored results (several result sets are combined, never silently pooled)."""
    from ..console import console
    from ..errors import CmrbenchError
    from ..leaderboards import LEADERBOARDS, build_all, write_leaderboards
    from ..leaderboards.cases import check_missing
    from ..leaderboards.formats import to_html, to_latex, to_markdown
    from ..results import combine, load_results

    if fmt not in ("md", "csv", "tex", "html"):
        raise CmrbenchError(f"--format {fmt}: choose md, csv, tex or html")
    check_missing(missing)
    sets = [load_results(r) for r in results]
    res = combine(sets, set_labels(results, [s.name for s in sets], label))
    tables = write_leaderboards(res, out, missing=missing) if out else build_all(res, missing=missing)
    wanted = tables if table == "all" else [t for t in tables if t.name == LEADERBOARDS.resolve(table)]
    render = {"md": to_markdown, "tex": to_latex, "html": to_html,
              "csv": lambda t: t.tidy.to_csv(index=False) if not t.absent else f"# no data: {t.absent}\n"}[fmt]
    for t in wanted:
        console.print(render(t), markup=False, soft_wrap=True)
    if out:
        console.print(f"leaderboards written to {out / 'leaderboards'}")


@app.command("compare")
def compare_cmd(
    a: Path = typer.Argument(..., help="result set A"),
    b: Path = typer.Argument(..., help="result set B"),
    out: Path | None = typer.Option(None, "--out", "-o", help="also write one CSV per table here"),
    method: list[str] = typer.Option([], "--method", help="compare only this method name (repeatable; both sides)"),
    dataset: list[str] = typer.Option([], "--dataset", help="compare only this dataset (repeatable)"),
) -> None:
    """Per-table Dice differences (A - B) per subject (seeds and phases averaged): paired Wilcoxon, Holm, 95 % CI."""
    from rich.table import Table as RichTable

    from ..atomic import write_csv_atomic
    from ..compare import compare
    from ..console import console
    from ..errors import CmrbenchError
    from ..results import load_results

    tables = compare(load_results(a), load_results(b), method or None, dataset or None)
    if not tables:
        raise CmrbenchError("the two result sets share no scored subject (same dataset, subject, structure)"
                            + (" among the --method/--dataset chosen" if method or dataset else ""))
    for name, df in tables.items():
        rt = RichTable(title=f"{name}: A - B", title_justify="left")
        for col in df.columns:
            rt.add_column(str(col))
        for row in df.itertuples(index=False):
            rt.add_row(*[f"{v:.4g}" if isinstance(v, float) else str(v) for v in row])
        console.print(rt)
        if out:
            slug = re.sub(r"[^A-Za-z0-9]+", "_", name).strip("_")  # 'table6_scanner (vendor)' -> table6_scanner_vendor
            write_csv_atomic(df, out / f"compare_{slug}.csv", index=False)
