"""3. Manifests: `data check`, `data index manifest`, `evaluate`, and suites with a `manifest:` source."""
from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from .calls import IMG, check_call, evaluate_call, index_call, run_call, write_suite
from .env import Call, Env, add, case
from .tools import edit_manifest, symlink_loop


def _manifest_text(name: str, make: Callable[[Env, Path], None], commands: tuple[str, ...] = ("check", "evaluate"),
                   names: Callable[[Env], list[str]] | None = None,
                   accept: Callable[[Env], bool] | None = None) -> None:
    """The manifest rewritten by `make(env, path)`; each command run on it."""
    for command in commands:
        def build(env: Env, command: str = command) -> Call:
            path = env.manifest
            make(env, path)
            wanted = names(env) if names else [path.name]
            if command == "check":
                call = check_call(env, wanted)
                call.accept_ok = (lambda: accept(env)) if accept else None
                return call
            if command == "evaluate":
                return evaluate_call(env, wanted)
            return index_call(env, "manifest", path, wanted)

        add("manifest", f"{command}-{name}", build)


def _manifest_rows_of(path: Path) -> int:
    """How many cases cmrbench reads from a manifest (the product's own reader: is the input understood?)."""
    from benchmark.data.manifest import load_manifest

    return len(load_manifest(path))


def _text(text: str | bytes) -> Callable[[Env, Path], None]:
    return lambda env, path: path.write_bytes(text if isinstance(text, bytes) else text.encode())


def _rows(fn: Callable[[Env, pd.DataFrame], pd.DataFrame | None]) -> Callable[[Env, Path], None]:
    return lambda env, path: edit_manifest(path, lambda df: fn(env, df)) and None


_manifest_text("empty-file", _text(""), ("check", "evaluate", "index"))
_manifest_text("header-only", lambda env, p: p.write_text(p.read_text().splitlines()[0] + "\n"),
               ("check", "evaluate", "index"))
_manifest_text("latin1-bytes", lambda env, p: p.write_bytes(p.read_bytes().replace(b"Dijon", b"Dij\xf6n")),
               ("check", "index"))
_manifest_text("semicolon-separated", lambda env, p: p.write_text(p.read_text().replace(",", ";")), ("check", "index"))
_manifest_text("tab-separated", lambda env, p: p.write_text(p.read_text().replace(",", "\t")), ("check",),
               accept=lambda env: _manifest_rows_of(env.manifest) == 4)  # read as it is: a tab is a separator
_manifest_text("missing-image-column", _rows(lambda env, df: df.drop(columns=["image"])), ("check", "index"))
_manifest_text("phase-XX", _rows(lambda env, df: df.assign(phase=["XX", *df["phase"][1:]])), ("check", "index"))
_manifest_text("duplicate-case-rows", _rows(lambda env, df: pd.concat([df, df.iloc[:1]])), ("check", "evaluate"),
               names=lambda env: ["patient001"])
_manifest_text("frame-abc", _rows(lambda env, df: df.assign(frame=["abc", *df["frame"][1:]])), ("check",),
               names=lambda env: ["acdc.csv", "frame", IMG])
_manifest_text("frame-minus-3", _rows(lambda env, df: df.assign(frame=["-3", *df["frame"][1:]])), ("check",),
               names=lambda env: [IMG, "acdc.csv"])
_manifest_text("frame-1e9", _rows(lambda env, df: df.assign(frame=["1e9", *df["frame"][1:]])), ("check",),
               names=lambda env: [IMG, "1e9"])
_manifest_text("spacing-abc", _rows(lambda env, df: df.assign(spacing_x_mm=["abc", *df["spacing_x_mm"][1:]])),
               ("check",), names=lambda env: ["acdc.csv", "spacing_x_mm", IMG])
_manifest_text("image-is-etc-passwd", _rows(lambda env, df: df.assign(image=["/etc/passwd", *df["image"][1:]])),
               ("check",), names=lambda env: ["passwd"])
_manifest_text("image-dotdot-to-etc-passwd", _rows(lambda env, df: df.assign(
    image=["../" * 30 + "etc/passwd", *df["image"][1:]])), ("check", "index"), names=lambda env: ["passwd"])
_manifest_text("label-map-bogus", _rows(lambda env, df: df.assign(label_map=["bogus", *df["label_map"][1:]])),
               ("check", "evaluate"), names=lambda env: ["bogus", "label_map"])
_manifest_text("image-cell-empty", _rows(lambda env, df: df.assign(image=["", *df["image"][1:]])), ("check",),
               names=lambda env: ["patient001", "image"])


def _symlink_manifest(env: Env, path: Path) -> None:
    loop = symlink_loop(env.inp / "loop.nii.gz")
    edit_manifest(path, lambda df: df.assign(image=[loop.name, *df["image"][1:]]))


_manifest_text("image-symlink-loop", _symlink_manifest, ("check", "index"), names=lambda env: ["loop.nii.gz"])


def _escaping_subject(subject_of: Callable[[Env], str]) -> Callable[[Env, Path], None]:
    """Rename patient001 to a path-like subject and plant a perfect 'prediction' where that path leads."""

    def make(env: Env, path: Path) -> None:
        subject = subject_of(env)
        for phase in ("ED", "ES"):
            name = f"{subject}_{phase}.nii.gz"
            target = Path(name) if subject.startswith("/") else Path(os.path.normpath(env.inp / "preds" / name))
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(env.pred("patient001", phase), target)
        edit_manifest(path, lambda df: df.assign(subject=df["subject"].replace("patient001", subject)))

    return make


_manifest_text("subject-dotdot-path", _escaping_subject(lambda env: "../../planted"), ("evaluate", "index"),
               names=lambda env: ["../../planted", "planted"])
_manifest_text("subject-absolute-path", _escaping_subject(lambda env: str(env.sb / "abs" / "planted")),
               ("evaluate", "index"), names=lambda env: ["planted"])
_manifest_text("subject-with-newline", _rows(lambda env, df: df.assign(
    subject=df["subject"].replace("patient001", "patient\n001"))), ("evaluate", "index"),
               names=lambda env: ["patient\n001", "patient\\n001"])


@case("manifest", "check-subject-with-nul")
def _(env: Env) -> Call:
    path = env.manifest
    path.write_bytes(path.read_bytes().replace(b",patient001,", b",pati\x00ent001,", 1))
    return check_call(env, [path.name, "pati"])


@case("manifest", "check-manifest-is-a-directory")
def _(env: Env) -> Call:
    folder = env.inputs() / "folder.csv"
    folder.mkdir()
    return check_call(env, [folder.name], manifest=folder)


def _suite_with_manifest_source(name: str, make: Callable[[Env, Path], None]) -> None:
    def build(env: Env) -> Call:
        path = env.manifest
        make(env, path)
        # the 2 subjects of the clean manifest fit a 1/1/0 split, so only the hostile edit can fail the run
        suite = write_suite(env, {"data": {"source": {"name": "acdc", "manifest": str(path), "synth": None,
                                                      "split": {"train": 1, "val": 1, "test": 0}},
                                           "cache": str(env.cache)}})
        return run_call(env, suite, [path.name])

    add("manifest", f"run-source-{name}", build, needs_run=True)


_suite_with_manifest_source("empty-file", _text(""))
_suite_with_manifest_source("phase-XX", _rows(lambda env, df: df.assign(phase=["XX", *df["phase"][1:]])))
_suite_with_manifest_source("latin1-bytes", lambda env, p: p.write_bytes(b"dataset,subj\xe9ct,phase,image\n"))
