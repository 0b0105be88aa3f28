"""The commands a case runs (`data index`, `data check`, `evaluate`, `validate`, `run`, `predict`) and their inputs.

Shared by several families: the clean ACDC file names, the suite the tiny run used (`TINY`) and its writer.
"""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import yaml

from .env import Call, Env

IMG, GT = "patient001_frame01.nii.gz", "patient001_frame01_gt.nii.gz"


def index_call(env: Env, fmt: str, root: Path, names: list[str], **kw: object) -> Call:
    return Call(["data", "index", fmt, str(root), "--out", str(env.out / "m.csv")], [env.out], names, **kw)  # type: ignore[arg-type]


def index_acdc(env: Env, names: list[str], **kw: object) -> Call:
    return index_call(env, "acdc", env.inputs() / "ACDC", names, **kw)


def check_call(env: Env, names: list[str], manifest: Path | None = None, **kw: object) -> Call:
    return Call(["data", "check", str(manifest or env.manifest)], [], names, report_lines=True,
                **kw)  # type: ignore[arg-type]


def evaluate_call(env: Env, names: list[str], manifest: Path | None = None, pred: Path | None = None,
                  **kw: object) -> Call:
    env.inputs()
    return Call(["evaluate", "--manifest", str(manifest or env.manifest), "--pred", str(pred or env.inp / "preds"),
                 "--out", str(env.out)], [env.out], names, **kw)  # type: ignore[arg-type]


def validate_call(env: Env, suite: Path, names: list[str], sets: tuple[str, ...] = (), **kw: object) -> Call:
    args = ["validate", str(suite)]
    for s in sets:
        args += ["--set", s]
    return Call(args, [], names, **kw)  # type: ignore[arg-type]


def run_call(env: Env, suite: Path, names: list[str], out: Path | None = None, **kw: object) -> Call:
    out = out or env.out
    assert env.cache is not None
    return Call(["run", str(suite), "--out", str(out)], [out, env.cache], names, **kw)  # type: ignore[arg-type]


def predict_call(env: Env, ckpt: Path, names: list[str], image: Path | None = None, **kw: object) -> Call:
    return Call(["predict", "--checkpoint", str(ckpt), "--input", str(image or env.acdc(1)), "--out", str(env.out)],
                [env.out], names, **kw)  # type: ignore[arg-type]


def manifest_rows(env: Env) -> int:
    path = env.out / "m.csv"
    return len(pd.read_csv(path)) if path.is_file() else -1


TINY: dict = {
    "name": "tiny",
    "seeds": [0],
    "data": {"source": {"name": "ukbb", "synth": {"cohort": "ukbb", "subjects": 4, "seed": 0},
                        "split": {"train": 2, "val": 1, "test": 1}}},
    "preprocess": {"target_spacing": 3.0, "crop": 48},
    "training": {"iterations": 2, "batch_size": 2, "validate_every": 2, "checkpoint_every": 2,
                 "optimizer": {"name": "sgd", "lr": 0.01}},
    "models": [{"name": "unet_test"}],
    "policies": ["none"],
    "device": "cpu",
}


def _merge(base: dict, change: dict) -> dict:
    out = json.loads(json.dumps(base))
    for key, value in change.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def write_suite(env: Env, change: dict | None = None, text: str | bytes | None = None) -> Path:
    path = env.sb / "in" / "suite.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    if text is not None:
        path.write_bytes(text if isinstance(text, bytes) else text.encode())
    else:
        base = env.suite or TINY
        path.write_text(yaml.safe_dump(_merge(base, change or {}), sort_keys=False))
    return path


def tiny_yaml(env: Env) -> str:
    return yaml.safe_dump(env.suite or TINY, sort_keys=False)
