"""6. Checkpoints given to `predict`: code-running pickles, garbage, other architectures, missing keys; bad images."""
from __future__ import annotations

import shutil
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np

from .calls import predict_call
from .env import Call, Env, add, case
from .tools import patch_header, random_bytes, replace_data, set_field, truncate


class Exploit:
    """Unpickling this creates `path` (a stand-in for any code an attacker wants run)."""

    def __init__(self, path: Path) -> None:
        self.path = str(path)

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (open, (self.path, "w"))


def _ckpt(env: Env) -> Path:
    return env.sb / "in" / "ckpt" / "best.pt"


def _checkpoint_case(name: str, make: Callable[[Env, Path], None], names: list[str] | None = None) -> None:
    def build(env: Env) -> Call:
        path = _ckpt(env)
        path.parent.mkdir(parents=True, exist_ok=True)
        make(env, path)
        return predict_call(env, path, names or [path.name, "checkpoint"])

    add("checkpoint", name, build, needs_run=True)


def _real_state(env: Env) -> dict:
    import torch

    return torch.load(env.best_pt(), map_location="cpu", weights_only=False)


def _save_state(path: Path, state: object) -> None:
    import torch

    torch.save(state, path)


def _edit_state(fn: Callable[[dict], None]) -> Callable[[Env, Path], None]:
    def make(env: Env, path: Path) -> None:
        state = _real_state(env)
        fn(state)
        _save_state(path, state)

    return make


_checkpoint_case("pickle-that-runs-code", lambda env, p: _save_state(
    p, {"model_name": "unet_test", "payload": Exploit(env.marker)}))
_checkpoint_case("plain-pickle-that-runs-code", lambda env, p: p.write_bytes(
    __import__("pickle").dumps({"model_name": Exploit(env.marker)})))
_checkpoint_case("random-bytes", lambda env, p: random_bytes(p) and None)
_checkpoint_case("empty-file", lambda env, p: p.write_bytes(b""))


def _zip_not_torch(env: Env, path: Path) -> None:
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("readme.txt", "not a checkpoint")


_checkpoint_case("zip-that-is-not-torch", _zip_not_torch)
_checkpoint_case("truncated", lambda env, p: (shutil.copy(env.best_pt(), p), truncate(p, 0.5)) and None)


def _other_arch(state: dict) -> None:
    import torch

    state["model"] = torch.nn.Sequential(torch.nn.Conv2d(1, 3, 5), torch.nn.Linear(3, 2)).state_dict()


_checkpoint_case("state-dict-of-another-architecture", _edit_state(_other_arch))
_checkpoint_case("state-dict-wrong-shapes", _edit_state(
    lambda s: s.__setitem__("model", {k: v[..., :1].clone() if v.ndim else v for k, v in s["model"].items()})))
_checkpoint_case("missing-preprocess", _edit_state(lambda s: s.pop("preprocess")))
_checkpoint_case("missing-crop", _edit_state(lambda s: s.pop("crop")))
_checkpoint_case("missing-model-weights", _edit_state(lambda s: s.pop("model")))
_checkpoint_case("model-kwargs-unknown", _edit_state(lambda s: s.__setitem__("model_kwargs", {"bogus": 1})),
                 ["best.pt", "checkpoint", "bogus"])
_checkpoint_case("model-name-not-a-string", _edit_state(lambda s: s.__setitem__("model_name", ["unet_test"])))
_checkpoint_case("crop-zero", _edit_state(lambda s: s.__setitem__("crop", 0)))
_checkpoint_case("checkpoint-is-a-list", lambda env, p: _save_state(p, [1, 2, 3]))


@case("checkpoint", "checkpoint-is-a-directory", needs_run=True)
def _(env: Env) -> Call:
    path = _ckpt(env)
    path.mkdir(parents=True)
    return predict_call(env, path, [path.name])


def _predict_input(name: str, make: Callable[[Env], Path]) -> None:
    def build(env: Env) -> Call:
        image = make(env)
        return predict_call(env, env.best_pt(), [image.name], image=image)

    add("checkpoint", f"predict-input-{name}", build, needs_run=True)


_predict_input("truncated", lambda env: truncate(env.acdc(1), 0.6))
# a 4D cine is segmented frame by frame (predict --frames); five dimensions are not an image predict reads
_predict_input("5d-file", lambda env: replace_data(env.acdc(1), np.zeros((24, 20, 3, 2, 2), np.float32)))
_predict_input("nan-voxels", lambda env: replace_data(env.acdc(1), np.full((24, 20, 3), np.nan, np.float32)))
_predict_input("pixdim-zero", lambda env: patch_header(env.acdc(1), set_field("pixdim", 1, 0.0)))
