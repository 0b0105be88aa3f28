"""`cmrbench predict`: segment NIfTI files with a job's checkpoint (best.pt), its model from any plugin."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from . import app

CHECKPOINT_KEYS = ("model_name", "model", "preprocess", "crop")
CHECKPOINT_TYPES = {"model_name": (str, "a name"), "model": (dict, "a state dict"),
                    "preprocess": (dict, "a mapping of settings"), "crop": (int, "a whole number")}
PLUGINS_HELP = "a local plugin file defining the checkpoint's model, as in a suite's `plugins:` (repeatable)"


def load_checkpoint(path: Path, device: str) -> dict[str, Any]:
    """A cmrbench best.pt: model_name, model_kwargs, preprocess, crop, tta_flip, model (state dict), ..."""
    import torch

    from ..errors import CmrbenchError

    if not path.is_file():
        raise CmrbenchError(f"checkpoint {path}: no such file")
    try:  # weights_only: tensors and plain values only, so a crafted file cannot run code
        state = torch.load(path, map_location=device, weights_only=True)
    except Exception as exc:
        why = " ".join(str(exc).split())[:300]
        raise CmrbenchError(f"checkpoint {path}: not a readable PyTorch checkpoint of tensors and plain values "
                            f"({type(exc).__name__}: {why})") from None
    missing = [k for k in CHECKPOINT_KEYS if not isinstance(state, dict) or k not in state]
    if missing:
        raise CmrbenchError(f"checkpoint {path}: not a cmrbench best.pt (no {', '.join(missing)})")
    wrong = [f"{key} {state[key]!r:.60} is not {what}" for key, (kind, what) in CHECKPOINT_TYPES.items()
             if not isinstance(state[key], kind) or isinstance(state[key], bool)]
    if not wrong and not 16 <= state["crop"] <= 4096:
        wrong.append(f"crop {state['crop']} is not within 16-4096")
    if wrong:
        raise CmrbenchError(f"checkpoint {path}: not a cmrbench best.pt ({'; '.join(wrong)})")
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
    from ..errors import CmrbenchError

    try:
        model = create_model(state["model_name"], **(state.get("model_kwargs") or {})).to(device)
        model.load_state_dict(state["model"])
    except (TypeError, ValueError, RuntimeError, AttributeError) as exc:
        why = " ".join(str(exc).split())[:300]
        raise CmrbenchError(f"checkpoint {path}: its weights do not fit model '{state['model_name']}' "
                            f"({type(exc).__name__}: {why})") from None
    return with_algorithm(path, state, model)


def with_algorithm(path: Path, state: dict[str, Any], model):  # type: ignore[no-untyped-def]
    """The network wrapped in the algorithm that trained it, whose predict() is then used (erm: the network)."""
    from ..algorithms import create_algorithm
    from ..errors import CmrbenchError, UnknownNameError
    from ..losses import create_loss

    spec = state.get("algorithm") or {"name": "erm", "kwargs": {}}
    if not isinstance(spec, dict) or not isinstance(spec.get("name"), str) or not isinstance(spec.get("kwargs"), dict):
        raise CmrbenchError(f"checkpoint {path}: unreadable algorithm entry {spec!r:.100}")
    if spec["name"] == "erm":
        return model
    try:
        return create_algorithm(spec["name"], model, create_loss("ce"), **spec["kwargs"])
    except UnknownNameError:
        raise CmrbenchError(f"checkpoint {path} was trained with algorithm '{spec['name']}', which is not registered "
                            "here; load its plugin file with --plugins FILE") from None


@app.command("predict")
def predict(checkpoint: Path = typer.Option(..., "--checkpoint", help="a job's best.pt"),
            input: Path = typer.Option(..., "--input", help="a 3D NIfTI file or a folder of them"),  # noqa: A002
            out: Path = typer.Option(..., "--out", "-o", help="folder for the label maps"),
            plugins: list[Path] = typer.Option([], "--plugins", help=PLUGINS_HELP),
            device: str = typer.Option("cpu", "--device")) -> None:
    """Segment NIfTI files with a trained model (labels 0 bg, 1 LV, 2 MYO, 3 RV, on each input's grid).

    A file that cannot be segmented is skipped and listed in OUT/errors.csv; the exit status is then 1."""
    import torch

    from ..console import console, track
    from ..data.isolate import case_problem
    from ..data.loader import Case, read_image
    from ..data.problems import Problem, write_problems
    from ..errors import CmrbenchError
    from ..infer import predict_case, save_label
    from ..plugins import load_plugin_file
    from ..preprocess import Preprocess, prepare_case

    for plugin in plugins:
        load_plugin_file(plugin)
    state = load_checkpoint(checkpoint, device)
    model = model_from_checkpoint(checkpoint, state, device)
    try:
        settings: dict[str, Any] = {k: tuple(v) if isinstance(v, list) else v for k, v in state["preprocess"].items()}
        pre = Preprocess(**settings)
    except (TypeError, AttributeError) as exc:
        raise CmrbenchError(f"checkpoint {checkpoint}: unreadable preprocess settings ({exc})") from None
    if not input.exists():
        raise CmrbenchError(f"--input {input}: no such file or folder")
    files = sorted(input.glob("*.nii*")) if input.is_dir() else [input]
    if not files:
        raise CmrbenchError(f"--input {input}: no NIfTI files")
    skipped: list[Problem] = []
    for f in track(files, "segmenting"):
        try:  # one file's failure is reported and skipped; the others are segmented
            image, img, spacing = read_image(f)
            case = Case(image, None, spacing, img.affine, img.header)
            label = predict_case(model, prepare_case(case, pre), state["crop"], torch.device(device),
                                 state.get("tta_flip", False))
            save_label(label, img.affine, img.header, out / f.name)
        except Exception as exc:
            skipped.append(case_problem(exc, f))
            console.print(f"skipped: {skipped[-1].line()}", markup=False, soft_wrap=True)
    console.print(f"segmented {len(files) - len(skipped)} of {len(files)} file(s) into {out}")
    if skipped:
        write_problems(skipped, out / "errors.csv")
        console.print(f"{len(skipped)} file(s) skipped, listed in {out / 'errors.csv'}")
        raise typer.Exit(1)
