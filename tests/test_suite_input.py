"""Hostile suite files and --set values: one line naming the file or key, exit 2, never a traceback or a blow-up."""
from __future__ import annotations

import time
import tracemalloc
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from benchmark.cli import app
from benchmark.errors import CmrbenchError
from benchmark.suite import load_suite

runner = CliRunner()

SUITE = {
    "name": "tiny",
    "data": {"source": {"name": "ukbb", "synth": {"cohort": "ukbb", "subjects": 6, "seed": 0}},
             "targets": [{"name": "bscmr", "synth": {"cohort": "bscmr", "subjects": 2, "seed": 1}}]},
    "preprocess": {"target_spacing": 3.0, "crop": 48},
    "training": {"iterations": 8, "batch_size": 4},
    "models": [{"name": "unet_test"}],
    "policies": ["paper", "none"],
    "device": "cpu",
}


@pytest.fixture
def suite(tmp_path) -> Path:
    path = tmp_path / "tiny.yaml"
    path.write_text(yaml.safe_dump(SUITE))
    return path


def refused(*args: object) -> str:
    """Run `cmrbench validate ...`; it must exit 2 with exactly one line `error: ...`, and no traceback."""
    result = runner.invoke(app, ["validate", *(str(a) for a in args)])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.output
    return lines[0]


def test_the_tiny_suite_is_valid(suite):
    result = runner.invoke(app, ["validate", str(suite)])
    assert result.exit_code == 0 and "2 job(s)" in result.output


BOMB = "\n".join(["a: &a [x, x, x, x, x, x, x, x, x, x]"]
                 + [f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 10)}]" for i in range(8)])


def test_an_alias_bomb_in_model_kwargs_is_refused_at_once(tmp_path):
    """Billion laughs: 9 levels of 10 aliases, 10^9 values once expanded (3.2 GB and a pydantic panic before)."""
    text = yaml.safe_dump({k: v for k, v in SUITE.items() if k != "models"})
    path = tmp_path / "bomb.yaml"
    path.write_text(text + "models:\n  - name: unet_test\n    kwargs:\n"
                    + "".join(f"      {line}\n" for line in BOMB.splitlines()))
    tracemalloc.start()
    start = time.perf_counter()
    with pytest.raises(CmrbenchError, match="expands to more than 100000 values through aliases"):
        load_suite(path)
    elapsed = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert elapsed < 1.0 and peak < 20e6, (elapsed, peak)
    assert f"suite {path}: expands to more than 100000 values" in refused(path)


def test_an_alias_bomb_in_a_set_value_is_refused(suite):
    line = refused(suite, "--set", "models.0.kwargs={" + BOMB.replace("\n", ", ") + "}")
    assert "--set models.0.kwargs=" in line and "expands to more than 100000 values" in line


def test_a_recursive_alias_is_refused(suite):
    line = refused(suite, "--set", "models.0.kwargs={a: &a [1, *a]}")
    assert "alias *a refers to a list or mapping that contains it" in line


def test_deep_nesting_is_refused_not_a_recursion_error(suite, tmp_path):
    path = tmp_path / "deep.yaml"
    path.write_text(suite.read_text() + "plugins: " + "[" * 5000 + "]" * 5000 + "\n")
    assert f"suite {path}: nested more than 50 levels deep" in refused(path)
    assert "nested more than 50 levels deep" in refused(suite, "--set", "models.0.kwargs.a=" + "[" * 5000)


def test_a_document_of_too_many_values_is_refused(suite):
    line = refused(suite, "--set", "models.0.kwargs.a=[" + ",".join(["1"] * 100_001) + "]")
    assert "--set models.0.kwargs.a=" in line and "more than 100000 values" in line


def test_a_suite_over_1_mib_is_refused(suite, tmp_path):
    path = tmp_path / "big.yaml"
    path.write_text(suite.read_text() + ("# padding\n" * 110_000))
    assert f"suite {path}: {path.stat().st_size} bytes, more than the 1048576 bytes (1 MiB)" in refused(path)


@pytest.mark.parametrize("item", ["training.iterations=[", "a=: :", "training.iterations=\t20",
                                  "models.0.kwargs={a: 1"])
def test_a_set_value_that_is_not_yaml_names_the_item(suite, item):
    line = refused(suite, "--set", item)
    assert line.startswith(f"error: --set {item.split('=')[0]}=")
    assert "not valid YAML" in line and "line 1, column" in line


@pytest.mark.parametrize("item", ["=3", "a..b=1", "training.=5", " =1"])
def test_a_set_key_with_an_empty_part_is_refused(suite, item):
    assert "has an empty part" in refused(suite, "--set", item)


def test_a_suite_that_is_not_utf8_is_refused(tmp_path):
    path = tmp_path / "latin1.yaml"
    path.write_bytes("name: caf\u00e9\n".encode("latin-1"))
    assert f"suite {path}: not UTF-8 text (byte 0xe9 at offset 9)" in refused(path)


def test_a_binary_suite_is_refused_on_one_line(tmp_path):
    path = tmp_path / "binary.yaml"
    path.write_bytes(b"name: a\x00\x01\x02")
    assert f"suite {path}: not valid YAML: character #x0000 is not allowed in YAML (position 7)" in refused(path)


@pytest.mark.parametrize("text", ["", "# only a comment\n", "---\n"])
def test_an_empty_suite_says_so(tmp_path, text):
    path = tmp_path / "empty.yaml"
    path.write_text(text)
    assert f"suite {path}: the file is empty" in refused(path)


@pytest.mark.parametrize(("item", "says"), [
    ("training.iterations=-5", "training.iterations: Input should be greater than or equal to 1"),
    ("training.batch_size=0", "training.batch_size: Input should be greater than or equal to 1"),
    ("training.batch_size=100000", "training.batch_size: Input should be less than or equal to 4096"),
    ("preprocess.crop=0", "preprocess.crop: Input should be greater than or equal to 16"),
    ("preprocess.canvas=0", "preprocess.canvas: Input should be greater than or equal to 16"),
    ("preprocess.target_spacing=0", "preprocess.target_spacing: Input should be greater than or equal to 0.1"),
    ("preprocess.target_spacing=-1.25", "preprocess.target_spacing: Input should be greater than or equal to 0.1"),
    ("preprocess.target_spacing=125", "preprocess.target_spacing: Input should be less than or equal to 20"),
    ("training.optimizer.lr=.nan", "training.optimizer.lr: Input should be a finite number"),
    ("training.optimizer.lr=.inf", "training.optimizer.lr: Input should be a finite number"),
    ("training.optimizer.lr=0", "training.optimizer.lr: Input should be greater than 0"),
    ("training.optimizer.momentum=-0.9", "training.optimizer.momentum: Input should be greater than or equal to 0"),
    ("training.optimizer.weight_decay=-1e-4", "training.optimizer.weight_decay: Input should be greater than or"),
    ("training.schedule.step_epochs=0", "training.schedule.step_epochs: Input should be greater than 0"),
    ("training.schedule.gamma=0", "training.schedule.gamma: Input should be greater than 0"),
    ("training.schedule.gamma=1.5", "training.schedule.gamma: Input should be less than or equal to 1"),
    ("training.checkpoint_every=0", "training.checkpoint_every: Input should be greater than or equal to 1"),
    ("training.validate_every=-1", "training.validate_every: Input should be greater than or equal to 1"),
    ("seeds=[-1]", "seeds.0: Input should be greater than or equal to 0"),
    ("seeds=[4294967296]", "seeds.0: Input should be less than or equal to 4294967295"),
    ("seeds=[]", "seeds: List should have at least 1 item"),
    ("data.source.synth.subjects=0", "data.source.synth.subjects: Input should be greater than or equal to 1"),
    ("data.source.synth.subjects=1000000000", "data.source.synth.subjects: Input should be less than or equal"),
    ("data.source.synth.seed=-3", "data.source.synth.seed: Input should be greater than or equal to 0"),
    ("data.source.split={train: 0}", "data.source.split.train: Input should be greater than or equal to 1"),
    ("data.source.split={val: -1}", "data.source.split.val: Input should be greater than or equal to 0"),
    ("training.selection=[]", "training.selection.rules: List should have at least 1 item"),
    ("device=tpu", "device: device 'tpu' is not one of auto, cpu, cuda, cuda:N, mps"),
    ("device=cuda:x", "device: device 'cuda:x' is not one of auto, cpu, cuda, cuda:N, mps"),
])
def test_validate_range_checks_numbers_and_the_device(suite, item, says):
    assert f"suite {suite}: {says}" in refused(suite, "--set", item)


def test_epochs_must_be_finite(suite):
    line = refused(suite, "--set", "training.iterations=null", "--set", "training.epochs=.inf")
    assert "training.epochs: Input should be a finite number" in line


@pytest.mark.parametrize(("item", "says"), [
    ("models=[unet_test, unet_test]", "model label 'unet_test' listed more than once"),
    ("models=[{name: unet_test, label: net}, {name: fcn_test, label: net}]", "model label 'net' listed more than"),
    ("policies=[paper, none, paper]", "policy name 'paper' listed more than once"),
    ("jobs=[{model: unet_test, policy: paper}, {model: unet_test, policy: paper, seeds: [1]}]",
     "job (model, policy) ('unet_test', 'paper') listed more than once: list its seeds in one job"),
    ("seeds=[0, 1, 0]", "seeds: seed 0 listed more than once"),
    ("training.selection=[last, source_val, last]", "training.selection.rules: selection rule 'last' listed"),
    ("protocol={name: leave_one_domain_out, by: vendor, domains: [A, A]}", "protocol.domains: domain 'A' listed"),
    ("leaderboards=[table3_methods, table3_methods]", "leaderboards: leaderboard 'table3_methods' listed more"),
])
def test_names_that_key_results_are_unique(suite, item, says):
    assert says in refused(suite, "--set", item)


@pytest.mark.parametrize(("item", "says"), [
    ("name=../../outside", "name: suite name '../../outside' may use only letters, digits and . _ + -"),
    ("data.targets.0.name=../x", "data.targets.0.name: data set name '../x' may use only letters, digits"),
    ("data.targets.0.name=''", "data.targets.0.name: data set name '' may use only letters, digits"),
])
def test_names_that_become_file_names_cannot_leave_their_folder(suite, item, says):
    assert says in refused(suite, "--set", item)


def test_a_long_key_full_of_control_characters_stays_on_one_line(suite):
    line = refused(suite, "--set", "training.a\nb\x1b[31m" + "x" * 5000 + "=1")
    assert "unknown key" in line and len(line) < 600 and "\x1b" not in line


def test_the_device_flag_of_run_is_checked_like_the_suite_key(tmp_path):
    from typer.testing import CliRunner

    from benchmark.cli import app

    suite = tmp_path / "s.yaml"
    suite.write_text("name: s\ndata: {source: {name: ukbb, synth: {cohort: ukbb, subjects: 4}}}\n"
                     "training: {iterations: 2}\n")
    result = CliRunner().invoke(app, ["run", str(suite), "--out", str(tmp_path / "out"), "--device", "tpu"])
    assert result.exit_code == 2 and "device 'tpu' is not one of" in result.output
    assert not (tmp_path / "out").exists()
