"""4. Suites given to `validate` / `run` (bad values, YAML tags, bombs, nesting) and 5. `--set` values."""
from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .calls import run_call, tiny_yaml, validate_call, write_suite
from .env import Call, Env, add, case


def _suite_value(name: str, change: dict, names: list[str]) -> None:
    add("suite", name, lambda env: validate_call(env, write_suite(env, change), names))


_suite_value("iterations-minus-5", {"training": {"iterations": -5}}, ["iterations"])
_suite_value("iterations-zero", {"training": {"iterations": 0}}, ["iterations"])
_suite_value("batch-size-zero", {"training": {"batch_size": 0}}, ["batch_size"])
_suite_value("crop-zero", {"preprocess": {"crop": 0}}, ["crop"])
_suite_value("crop-minus-48", {"preprocess": {"crop": -48}}, ["crop"])
_suite_value("target-spacing-zero", {"preprocess": {"target_spacing": 0}}, ["target_spacing"])
_suite_value("target-spacing-negative", {"preprocess": {"target_spacing": -1.25}}, ["target_spacing"])
_suite_value("target-spacing-1e9", {"preprocess": {"target_spacing": 1e9}}, ["target_spacing"])
_suite_value("lr-nan", {"training": {"optimizer": {"lr": float("nan")}}}, ["lr"])
_suite_value("lr-negative", {"training": {"optimizer": {"lr": -1}}}, ["lr"])
_suite_value("epochs-inf", {"training": {"iterations": None, "epochs": float("inf")}}, ["epochs"])
_suite_value("checkpoint-every-zero", {"training": {"checkpoint_every": 0}}, ["checkpoint_every"])
_suite_value("validate-every-zero", {"training": {"validate_every": 0}}, ["validate_every"])
_suite_value("device-tpu", {"device": "tpu"}, ["tpu", "device"])
_suite_value("unknown-top-level-key", {"trainng": {"iterations": 2}}, ["trainng"])
_suite_value("unknown-nested-key", {"training": {"optimiser": {"lr": 0.1}}}, ["optimiser"])
_suite_value("target-named-like-source", {"data": {"targets": [
    {"name": "ukbb", "synth": {"cohort": "bscmr", "subjects": 2, "seed": 1}}]}}, ["ukbb"])
_suite_value("duplicate-model-labels", {"models": [{"name": "unet_test", "label": "net"},
                                                   {"name": "unet_test", "label": "net",
                                                    "kwargs": {"width": 4}}]}, ["net"])
_suite_value("unknown-model", {"models": [{"name": "no_such_net"}]}, ["no_such_net"])
_suite_value("plugin-file-missing", {"plugins": ["no_such_plugin.py"]}, ["no_such_plugin.py"])
_suite_value("plugin-is-a-directory", {"plugins": ["."]}, ["plugin"])
_suite_value("name-escapes-runs-folder", {"name": "../../escaped"}, ["../../escaped", "name"])
_suite_value("synth-subjects-negative", {"data": {"source": {"synth": {"subjects": -3}}}}, ["subjects"])
_suite_value("seeds-empty", {"seeds": []}, ["seeds", "no jobs"])


def _suite_text(name: str, text: Callable[[Env], str | bytes], names: list[str] | None = None,
                **kw: object) -> None:
    def build(env: Env) -> Call:
        path = write_suite(env, text=text(env))
        return validate_call(env, path, names or [path.name], **kw)

    add("suite", name, build)


_suite_text("yaml-python-tag", lambda env: tiny_yaml(env) + f"extra: !!python/object/apply:os.system "
            f"['touch {env.marker}']\n", ["python/object", "yaml", "extra", "suite.yaml"])
_suite_text("yaml-python-name-tag", lambda env: tiny_yaml(env).replace(
    "name: tiny", "name: !!python/name:os.system"), ["python/name", "suite.yaml"])
_suite_text("duplicate-yaml-key", lambda env: tiny_yaml(env) + "training:\n  iterations: 99999999\n", ["training"])
_suite_text("empty-file", lambda env: "")
_suite_text("binary-file", lambda env: np.random.default_rng(3).integers(0, 256, 4000, dtype=np.uint8).tobytes())
_suite_text("list-at-top-level", lambda env: "- name: tiny\n- seeds: [0]\n")
_suite_text("scalar-at-top-level", lambda env: "42\n")
_suite_text("utf16-text", lambda env: tiny_yaml(env).encode("utf-16"))
_suite_text("5mb-of-text", lambda env: tiny_yaml(env) + "padding: '" + "x" * (5 << 20) + "'\n",
            ["padding", "suite.yaml"],
            max_seconds=2)
_suite_text("deep-nesting-10000", lambda env: tiny_yaml(env).replace(
    "models:\n- name: unet_test", "models:\n- name: unet_test\n  kwargs: {deep: " + "[" * 10000 + "]" * 10000 + "}"),
            ["suite.yaml", "deep", "kwargs"], limited=True, max_seconds=2)
_suite_text("deep-nesting-mappings", lambda env: "a: " + "{a: " * 5000 + "1" + "}" * 5000 + "\n",
            ["suite.yaml"], limited=True, max_seconds=2)


def _billion_laughs(levels: int = 9) -> str:
    lines = ["  kwargs:", "    l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for i in range(1, levels + 1):
        lines.append(f"    l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 10) + "]")
    return "\n".join(lines) + "\n"


def _bomb_yaml(env: Env) -> str:
    return tiny_yaml(env).replace("models:\n- name: unet_test\n", "models:\n- name: unet_test\n" + _billion_laughs())


_suite_text("alias-bomb-in-model-kwargs", _bomb_yaml, ["suite.yaml", "alias", "kwargs", "l9"], limited=True,
            max_seconds=2)


@case("suite", "run-alias-bomb-in-model-kwargs", needs_run=True)
def _(env: Env) -> Call:
    path = write_suite(env, text=_bomb_yaml(env))
    return run_call(env, path, ["suite.yaml", "alias", "kwargs", "l9"], limited=True, max_seconds=2)


@case("suite", "run-name-escapes-runs-folder", needs_run=True)
def _(env: Env) -> Call:
    # no --out: the run folder is runs/<name>; the data root is missing so it stops early
    path = write_suite(env, {"name": "../../escaped", "data": {"source": {
        "name": "ukbb", "adapter": "ukbb", "root": str(env.sb / "in" / "nowhere"), "synth": None}}})
    return Call(["run", str(path)], [env.work / "runs"], ["escaped", "name", "nowhere"])


@case("suite", "run-dataset-name-escapes-out", needs_run=True)
def _(env: Env) -> Call:
    manifest = env.manifest
    path = write_suite(env, {"data": {"source": {"name": "../../../escaped", "manifest": str(manifest),
                                                 "synth": None, "split": {"train": 100}},
                                      "cache": str(env.cache)}})
    return run_call(env, path, ["escaped", "name"], out=env.out / "run")


# ----------------------------------------------------------------------------------------------------------
# 5. --set values
# ----------------------------------------------------------------------------------------------------------
def _set_case(name: str, value: str | Callable[[Env], str], names: list[str]) -> None:
    def build(env: Env) -> Call:
        item = value(env) if callable(value) else value
        return validate_call(env, write_suite(env), names, sets=(item,))

    add("set", name, build)


_set_case("unclosed-flow-list", "training.iterations=[", ["training.iterations"])
_set_case("empty-key", "=3", ["=3", "--set"])
_set_case("empty-path-part", "a..b=1", ["a..b", "a: unknown key"])
_set_case("python-tag", lambda env: f'seeds=!!python/object/apply:os.system ["touch {env.marker}"]', ["seeds"])
_set_case("iterations-minus-1", "training.iterations=-1", ["iterations"])
_set_case("list-index-out-of-range", "models.99.name=x", ["models.99", "99"])
_set_case("value-starts-with-tab", "training.optimizer.lr=\t0.1", ["lr"])
_set_case("value-with-inner-tab", "training.iterations=1\t2", ["iterations"])
_set_case("no-equals-sign", "training.iterations", ["training.iterations"])
_set_case("index-into-a-number", "training.iterations.x=1", ["iterations"])
_set_case("seed-1e999", "seeds=[1e999]", ["seeds"])
_set_case("alias-to-nothing", "seeds=*nothing", ["seeds"])
_set_case("crop-1e9", "preprocess.crop=1000000000", ["crop"])
