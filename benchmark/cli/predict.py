"""`cmrbench predict`: segment NIfTI files with a job's checkpoint (best.pt), its model from any plugin."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from . import app

PLUGINS_HELP = "a local plugin file defining the checkpoint's model, as in a suite's `plugins:` (repeatable)"


def load_checkpoint(path: Path, device: str) -> dict[str, Any]:
    """A cmrbench best.pt: model_name, model_kwargs, preprocess, crop, tta_flip, model (state dict), ..."""
    import torch

    from ..errors import CmrbenchError

    if not path.is_file():
        raise CmrbenchError(f"checkpoint {path}: no such file")
    state = torch.load(path, map_location=device, weights_only=False)
    if not isinstance(state, dict) or "model_name" not in state:
        raise CmrbenchError(f"checkpoint {path}: not a cmrbench best.pt")
    return state


def missing_model_message(path: Path, state: dict[str, Any]) -> str:
    """Why a checkpoint's model cannot be built here, and what to pass to fix it."""
    from ..plugins import broken_plugins_note

    files = [str(f) for f in state.get("plugins") or []]
    if files:
        hint = f"its suite loaded it from plugin file(s) {', '.join(files)}: pass them with --plugins FILE"
    else:
        hint = ("it comes from a plugin: install the package that provides it, or pass the suite's plugin "
                "file with --plugins FILE")
    return f"checkpoint {path} needs model '{state['model_name']}', which is not registered here; {hint}" + \
        broken_plugins_note()


def model_from_checkpoint(path: Path, state: dict[str, Any], device: str):  # type: ignore[no-untyped-def]
    """The checkpoint's network with its trained weights, on `device`."""
    from ..errors import UnknownNameError
    from ..models import MODELS, create_model

    try:
        MODELS.get(state["model_name"])
    except UnknownNameError:
        from ..errors import CmrbenchError

        raise CmrbenchError(missing_model_message(path, state)) from None
    model = create_model(state["model_name"], **state.get("model_kwargs", {})).to(device)
    model.load_state_dict(state["model"])
    return model


@app.command("predict")
def predict(checkpoint: Path = typer.Option(..., "--checkpoint", help="a job's best.pt"),
            input: Path = typer.Option(..., "--input", help="a 3D NIfTI file or a folder of them"),  # noqa: A002
            out: Path = typer.Option(..., "--out", "-o", help="folder for the label maps"),
            plugins: list[Path] = typer.Option([], "--plugins", help=PLUGINS_HELP),
            device: str = typer.Option("cpu", "--device")) -> None:
    """Segment NIfTI files with a trained model (labels 0 bg, 1 LV, 2 MYO, 3 RV, on each input's grid)."""
    import torch

    from ..console import console, track
    from ..data.loader import Case
    from ..data.nifti import read_array
    from ..data.problems import DataError
    from ..errors import CmrbenchError
    from ..infer import predict_case, save_label
    from ..plugins import load_plugin_file
    from ..preprocess import Preprocess, prepare_case

    for plugin in plugins:
        load_plugin_file(plugin)
    state = load_checkpoint(checkpoint, device)
    model = model_from_checkpoint(checkpoint, state, device)
    settings: dict[str, Any] = {k: tuple(v) if isinstance(v, list) else v for k, v in state["preprocess"].items()}
    pre = Preprocess(**settings)
    files = sorted(input.glob("*.nii*")) if input.is_dir() else [input]
    if not files:
        raise CmrbenchError(f"{input}: no NIfTI files")
    done = 0
    for f in track(files, "segmenting"):
        try:
            image, img = read_array(f)
        except DataError as err:
            console.print(f"skipped: {err.problem.line()}", markup=False)
            continue
        sx, sy, sz = (float(z) for z in img.header.get_zooms()[:3])  # read_array(f) admits only 3D files
        case = Case(image.astype("float32"), None, (sx, sy, sz), img.affine, img.header)
        label = predict_case(model, prepare_case(case, pre), state["crop"], torch.device(device),
                             state.get("tta_flip", False))
        save_label(label, img.affine, img.header, out / f.name)
        done += 1
    console.print(f"segmented {done} of {len(files)} file(s) into {out}")
