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
            input: Path = typer.Option(..., "--input", help="a NIfTI file (3D, or a 4D cine) or a folder of them; "
                                       "label files (*_gt*, *_seg*) in a folder are left out"),  # noqa: A002
            out: Path = typer.Option(..., "--out", "-o", help="folder for the label maps"),
            frames_: str = typer.Option("all", "--frames", help="of a 4D cine: 'all' (one 4D label map) or ED, ES "
                                        "(from the Info.cfg beside it, ACDC's layout) and 1-based frame numbers, "
                                        "e.g. ED,ES or 1,12 (one 3D map each, named <file>_ED, <file>_frame12)"),
            label_map: str = typer.Option("canonical", "--label-map", help="label values written: canonical "
                                          "(1 LV, 2 MYO, 3 RV) or acdc (1 RV, 2 MYO, 3 LV)"),
            probabilities: bool = typer.Option(False, "--probabilities", help="also write <name>_probs.nii.gz: "
                                               "float32 class probabilities (background, LV, MYO, RV) as the last "
                                               "axis"),
            plugins: list[Path] = typer.Option([], "--plugins", help=PLUGINS_HELP),
            device: str = typer.Option("cpu", "--device")) -> None:
    """Segment NIfTI files with a trained model, each on its own grid.

    A file that cannot be segmented is skipped and listed in OUT/errors.csv; the exit status is then 1."""
    from ..console import console, track
    from ..data.isolate import case_problem
    from ..data.problems import Problem, write_problems
    from ..labels import convention
    from ..plugins import load_plugin_file
    from .predict_inputs import input_files, parse_frames

    wanted = parse_frames(frames_)
    convention(label_map)  # an unknown convention fails before anything runs
    for plugin in plugins:
        load_plugin_file(plugin)
    state = load_checkpoint(checkpoint, device)
    segmenter = Segmenter(checkpoint, state, model_from_checkpoint(checkpoint, state, device), device)
    files, labels = input_files(input)
    if labels:
        console.print(f"left out {len(labels)} label file(s) (*_gt*, *_seg*), e.g. {labels[0].name}", markup=False)
    skipped: list[Problem] = []
    for f in track(files, "segmenting"):
        try:  # one file's failure is reported and skipped; the others are segmented
            segmenter.segment_file(f, wanted, out, label_map, probabilities)
        except Exception as exc:
            skipped.append(case_problem(exc, f))
            console.print(f"skipped: {skipped[-1].line()}", markup=False, soft_wrap=True)
    console.print(f"segmented {len(files) - len(skipped)} of {len(files)} file(s) into {out}")
    if skipped:
        write_problems(skipped, out / "errors.csv")
        console.print(f"{len(skipped)} file(s) skipped, listed in {out / 'errors.csv'}")
        raise typer.Exit(1)


class Segmenter:
    """A checkpoint's network with its preprocessing, segmenting files frame by frame."""

    def __init__(self, path: Path, state: dict[str, Any], model: Any, device: str) -> None:
        import torch

        from ..errors import CmrbenchError
        from ..preprocess import Preprocess

        try:
            settings: dict[str, Any] = {k: tuple(v) if isinstance(v, list) else v
                                        for k, v in state["preprocess"].items()}
            self.pre = Preprocess(**settings)
        except (TypeError, AttributeError) as exc:
            raise CmrbenchError(f"checkpoint {path}: unreadable preprocess settings ({exc})") from None
        self.model, self.state, self.device = model, state, torch.device(device)

    def volume(self, path: Path, frame: int | None) -> tuple[Any, Any, Any]:
        """Labels [X, Y, Z], probabilities [C, X, Y, Z] and the NIfTI image of one volume."""
        from ..data.loader import Case, read_image
        from ..infer import predict_case_output
        from ..preprocess import prepare_case

        image, img, spacing = read_image(path, frame)
        case = Case(image, None, spacing, img.affine, img.header)
        out = predict_case_output(self.model, prepare_case(case, self.pre), self.state["crop"], self.device,
                                  self.state.get("tta_flip", False))
        return out.label, out.probs, img

    def segment_file(self, path: Path, wanted: list[str], out: Path, label_map: str, probabilities: bool) -> None:
        """Write the label map(s) of one file (and its probabilities when asked)."""
        import numpy as np

        from ..data.nifti import open_image
        from ..labels import from_canonical
        from .predict_inputs import frames, stem

        shape = tuple(open_image(path).shape)
        for fr in frames(path, shape, wanted):
            if fr.index is None and len(shape) == 4:  # every frame of a cine, stacked back into 4D
                parts = [self.volume(path, t) for t in range(shape[3])]
                label, probs = np.stack([p[0] for p in parts], -1), np.stack([p[1] for p in parts], -1)
                probs, img = np.moveaxis(probs, 0, -1), parts[0][2]  # [X, Y, Z, T, C]
                like = open_image(path)
            else:
                label, probs, img = self.volume(path, fr.index)
                probs, like = np.moveaxis(probs, 0, -1), img  # [X, Y, Z, C]
            name = stem(path) + fr.suffix
            write_volume(from_canonical(label, label_map), like, out / f"{name}.nii.gz", np.uint8)
            if probabilities:
                write_volume(probs.astype(np.float32), like, out / f"{name}_probs.nii.gz", np.float32)


def write_volume(array: Any, like: Any, path: Path, dtype: Any) -> None:
    """Write an array with the geometry of image `like` (its affine and voxel sizes)."""
    import nibabel as nib

    path.parent.mkdir(parents=True, exist_ok=True)
    header = like.header.copy()
    header.set_data_dtype(dtype)
    zooms = tuple(like.header.get_zooms()[:3]) + (1.0,) * (array.ndim - 3)
    img = nib.Nifti1Image(array.astype(dtype), like.affine, header)
    img.header.set_zooms(zooms)
    nib.save(img, str(path))
