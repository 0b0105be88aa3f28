"""`cmrbench export nnunet`: a suite's data as an nnU-Net v2 raw data set, scored back by `evaluate --mapping`."""
from __future__ import annotations

from pathlib import Path

import typer

from . import app
from .run import SET_HELP

export_app = typer.Typer(no_args_is_help=True, help="Write a suite's data in another tool's layout.")
app.add_typer(export_app, name="export")


@export_app.command("nnunet")
def nnunet(
    suite: Path = typer.Argument(..., help="suite YAML"),
    out: Path = typer.Option(..., "--out", "-o", help="nnU-Net raw folder (nnUNet_raw) to write DatasetXXX_<Name>/ in"),
    dataset_id: int = typer.Option(501, "--dataset-id", help="nnU-Net data set id, 1..999 (500 and up for your own)"),
    name: str | None = typer.Option(None, "--name", help="the <Name> of DatasetXXX_<Name> (default: the suite's)"),
    run: Path | None = typer.Option(None, "--run", help="cmrbench run folder whose splits.csv and data cache the "
                                    "export shares, made if missing (default runs/<suite name>, as `cmrbench run`)"),
    overrides: list[str] = typer.Option([], "--set", help=SET_HELP),
) -> None:
    """Source train/val -> imagesTr/labelsTr with the suite's split as fold 0; source test and targets -> imagesTs."""
    from .. import __version__
    from ..console import console, track
    from ..errors import CmrbenchError
    from ..export.mapping import MAPPING_FILE, TEST_FOLDER, TRAIN_FOLDER
    from ..export.nnunet import PROBLEMS_FILE, export_nnunet, target_folder
    from ..run.datasets import resolve_data
    from ..run.sources import resolve_path
    from ..run.store import RunLock, ensure_writable_dir
    from ..suite import load_suite

    spec, base = load_suite(suite, overrides)
    if spec.protocol.name != "standard":
        raise CmrbenchError(f"suite {suite}: protocol {spec.protocol.name} makes one training per domain; the "
                            "export writes the standard protocol's one train/val split (set protocol: standard)")
    name = name or spec.name
    target_folder(out, dataset_id, name)  # a clash is named before any data is generated
    ensure_writable_dir(out)
    run = run or Path("runs") / spec.name
    ensure_writable_dir(run, "--run")
    with RunLock(run):  # splits.csv and the cache are shared with `cmrbench run` on the same folder
        cache = resolve_path(base, spec.data.cache) if spec.data.cache else run.resolve() / "cache"
        ensure_writable_dir(cache, "cache")
        data, problems = resolve_data(spec, base, cache, run, lambda what: lambda xs: track(xs, what))
        description = (f"cmrbench {__version__} export of suite '{spec.name}': sources {', '.join(data.sources)}, "
                       f"targets {', '.join(data.targets) or 'none'}; labels 0 background, 1 LV blood pool, "
                       "2 myocardium, 3 RV blood pool")
        result = export_nnunet(data, out, dataset_id, name, description, problems,
                               progress=lambda xs: track(xs, "exporting"))
    console.print(f"wrote {result.folder}: {result.counts[TRAIN_FOLDER]} training case(s) (fold 0 of "
                  f"splits_final.json is the suite's train/val split, {run / 'splits.csv'}), "
                  f"{result.counts[TEST_FOLDER]} case(s) to predict in {TEST_FOLDER}/, "
                  f"{MAPPING_FILE} to score them", soft_wrap=True, markup=False)
    for structure, n in result.unannotated.items():
        console.print(f"[yellow]note:[/] {n} training case(s) do not annotate {structure}: nnU-Net learns it as "
                      "background there, as cmrbench's own training does", soft_wrap=True)
    if result.problems:
        console.print(f"[yellow]{len(result.problems)} case(s) left out[/]: see {result.folder / PROBLEMS_FILE}",
                      soft_wrap=True)
