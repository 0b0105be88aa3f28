"""Algorithms through a suite: crossed with models x policies x seeds, named in the tables, a suite-local plugin
algorithm included; plain erm keeps the training ids of suites written before algorithms existed."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from benchmark.cli import app
from benchmark.errors import CmrbenchError
from benchmark.run.datasets import resolve_data
from benchmark.run.runner import plan_run
from benchmark.suite import load_suite

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "flip_consistency.py"
SUITE = {
    "name": "algos",
    "plugins": ["flip_consistency.py"],
    "data": {"source": {"name": "ukbb", "synth": {"cohort": "ukbb", "subjects": 5, "seed": 0},
                        "split": {"train": 3, "val": 1, "test": 1}},
             "targets": [{"name": "acdc", "synth": {"cohort": "acdc", "subjects": 2, "seed": 1}}]},
    "preprocess": {"target_spacing": 3.0, "crop": 48},
    "training": {"iterations": 4, "batch_size": 4, "validate_every": 2, "checkpoint_every": 2,
                 "optimizer": {"name": "sgd", "lr": 0.01}},
    "models": [{"name": "unet_test"}],
    "policies": ["none"],
    "algorithms": ["erm", {"name": "flip_consistency", "kwargs": {"weight": 0.5}},
                   {"name": "adv_bias", "kwargs": {"affine": False}, "label": "adv_bias-no-affine"}],
    "device": "cpu",
}


def write(tmp_path: Path, suite: dict, name: str = "suite.yaml") -> Path:
    shutil.copy(EXAMPLE, tmp_path / EXAMPLE.name)
    path = tmp_path / name
    path.write_text(yaml.safe_dump(suite))
    return path


def test_a_plugin_algorithm_runs_through_a_suite_and_appears_in_the_tables(tmp_path):
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["run", str(write(tmp_path, SUITE)), "--out", str(out)])
    assert result.exit_code == 0, result.output
    jobs = pd.read_csv(out / "results/jobs.csv").set_index("method")
    assert sorted(jobs.index) == ["unet_test + none", "unet_test + none + adv_bias-no-affine",
                                  "unet_test + none + flip_consistency"]
    assert jobs.loc["unet_test + none + flip_consistency", "algorithm_parts"] == "flip consistency"
    assert jobs.loc["unet_test + none + adv_bias-no-affine", "algorithm_parts"] == "adversarial bias field"
    table3 = (out / "leaderboards/table3_methods.md").read_text()
    assert "unet_test + none + flip_consistency" in table3
    table5 = pd.read_csv(out / "leaderboards/table5_ablation.csv")
    assert set(table5["algorithm"]) == {"erm", "flip_consistency", "adv_bias-no-affine"}
    wide = (out / "leaderboards/table5_ablation.md").read_text()
    assert "flip consistency" in wide and "adversarial bias field" in wide
    folder = out / "jobs" / jobs.loc["unet_test + none + flip_consistency", "job"]
    log = [json.loads(line) for line in (folder / "log.jsonl").read_text().splitlines()]
    assert log[-1]["step"] == 4 and log[-1]["loss"] > 0


def test_plain_erm_keeps_earlier_ids_and_labels_never_enter_them(tmp_path):
    def ids(algorithms: list | None) -> dict[str, str]:
        suite = {k: v for k, v in SUITE.items() if k not in ("plugins", "algorithms")}
        if algorithms is not None:
            suite["algorithms"] = algorithms
        s, base = load_suite(write(tmp_path, suite, f"s{len(list(tmp_path.glob('s*.yaml')))}.yaml"))
        data, _ = resolve_data(s, base, tmp_path / "cache", tmp_path / "o", lambda what: iter)
        return {j.train.method: j.train.id for j in plan_run(s, data, "fp32")}

    before = ids(None)  # a suite written before algorithms existed
    assert ids(["erm"]) == before
    labelled = ids([{"name": "erm", "label": "baseline"}, "mixstyle"])
    assert labelled["unet_test + none + baseline"] == before["unet_test + none"]
    tuned = ids([{"name": "mixstyle", "kwargs": {"p": 0.9}, "label": "mixstyle-p0.9"}, "mixstyle"])
    assert len(set(tuned.values())) == 2 and not set(tuned.values()) & set(before.values())
    with pytest.raises(CmrbenchError, match="algorithm label 'mixstyle' listed more than once"):
        ids([{"name": "mixstyle", "kwargs": {"p": 0.9}}, "mixstyle"])
    with pytest.raises(CmrbenchError, match="one training under two labels"):
        ids([{"name": "dsu", "label": "a"}, {"name": "dsu", "label": "b"}])


def test_validate_names_an_unknown_hyperparameter(tmp_path):
    bad = {**SUITE, "plugins": [], "algorithms": [{"name": "dsu", "kwargs": {"alpha": 0.1}}]}
    result = CliRunner().invoke(app, ["validate", str(write(tmp_path, bad))])
    assert result.exit_code == 2
    assert "algorithm 'dsu': unknown hyperparameter(s) 'alpha'" in " ".join(result.output.split())
