"""7. Predictions given to `evaluate`: missing, shape, geometry, values, dimensions."""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import nibabel as nib
import numpy as np
import pandas as pd

from .calls import evaluate_call
from .env import Call, Env, add, case
from .tools import flip_x, patch_header, replace_data, set_field, shift_origin, symlink_loop, truncate


def _pred_case(name: str, make: Callable[[Env, Path], Path | None], names: list[str] | None = None,
               accept: Callable[[Env], bool] | None = None) -> None:
    def build(env: Env) -> Call:
        path = env.pred()
        made = make(env, path) or path
        call = evaluate_call(env, names or [made.name])
        call.accept_ok = (lambda: accept(env)) if accept else None
        return call

    add("prediction", name, build)


def _scored_perfectly(env: Env, subject: str, phase: str) -> bool:
    """The case was scored, with Dice 1 for every structure (the prediction is the reference)."""
    cases = pd.read_csv(env.out / "results" / "cases.csv", dtype={"subject": str})
    mine = cases[(cases.subject == subject) & (cases.phase == phase)]
    return len(mine) > 0 and bool((mine.dice == 1).all())


def _pred_data(data: Callable[[np.ndarray], np.ndarray]) -> Callable[[Env, Path], Path]:
    def make(env: Env, path: Path) -> Path:
        return replace_data(path, data(np.asarray(nib.load(str(path)).dataobj)))

    return make


def _set_voxel(value: float, dtype: str) -> Callable[[np.ndarray], np.ndarray]:
    def fn(a: np.ndarray) -> np.ndarray:
        a = a.astype(dtype)
        a.flat[len(a.flat) // 2] = value
        return a

    return fn


_pred_case("missing-file", lambda env, p: p.unlink())
_pred_case("wrong-shape", _pred_data(lambda a: a[:-2]))
_pred_case("origin-shifted", lambda env, p: patch_header(p, shift_origin))
_pred_case("axis-flipped", lambda env, p: patch_header(p, flip_x))
_pred_case("pixdim-differs", lambda env, p: patch_header(p, set_field("pixdim", 1, 3.0)),
           accept=lambda env: _scored_perfectly(env, "patient001", "ED"))  # same affine: the same grid
_pred_case("nan-voxel", _pred_data(_set_voxel(np.nan, "float32")))
_pred_case("label-9", _pred_data(_set_voxel(9, "uint8")))
_pred_case("float-label-1.5", _pred_data(_set_voxel(1.5, "float32")))
_pred_case("4d-prediction", _pred_data(lambda a: np.stack([a, a], -1)))
_pred_case("truncated", lambda env, p: truncate(p, 0.6))


@case("prediction", "prediction-is-a-directory")
def _(env: Env) -> Call:
    path = env.pred()
    path.unlink()
    path.mkdir()
    return evaluate_call(env, [path.name])


@case("prediction", "prediction-symlink-loop")
def _(env: Env) -> Call:
    return evaluate_call(env, [symlink_loop(env.pred("patient002", "ES")).name])


@case("prediction", "pred-folder-is-a-file")
def _(env: Env) -> Call:
    folder = env.inputs() / "preds_file"
    folder.write_text("not a folder\n")
    return evaluate_call(env, [folder.name], pred=folder)
