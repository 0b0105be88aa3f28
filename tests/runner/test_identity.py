"""Identity by content: prepared cases, trainings and evaluations are keyed by what they are, not by names."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from conftest import TINY

from benchmark.data.loader import load_case
from benchmark.preprocess import PreparedStore, Preprocess, prepare_case
from benchmark.run.datasets import resolve_data
from benchmark.run.runner import run_suite
from benchmark.suite import load_suite
from benchmark.synth.cohorts import COHORTS, GENERATOR_VERSION, generate_cohort, plan

NO_PROGRESS = lambda what: iter  # noqa: E731


def _suite(tmp_path: Path, cache: Path, **changes) -> Path:
    raw = json.loads(json.dumps(TINY))
    raw["data"]["cache"] = str(cache)
    for key, value in changes.items():
        node = raw
        *parents, last = key.split(".")
        for p in parents:
            node = node[int(p)] if isinstance(node, list) else node[p]
        node[last] = value
    path = tmp_path / f"suite-{len(list(tmp_path.glob('suite-*.yaml')))}.yaml"
    path.write_text(yaml.safe_dump(raw))
    return path


def test_prepared_cache_is_keyed_by_content_not_by_names(tmp_path, shared_cache):
    """Two suites name a data set 'bscmr' with other scans (seed 1 vs 5): each prepares and reads its own."""
    arrays = []
    for seed in (1, 5):
        suite, base = load_suite(_suite(tmp_path, shared_cache, **{"data.targets.0.synth.seed": seed}))
        data, _ = resolve_data(suite, base, shared_cache, tmp_path / f"out{seed}", NO_PROGRESS)
        df = data.frame("bscmr")
        store = PreparedStore(shared_cache / "prepared", Preprocess(target_spacing=3.0))
        store.prepare(df)
        row = df[(df.subject == "BSCMR0001") & (df.phase == "ED")].iloc[0]
        own = prepare_case(load_case(row, df.attrs["root"]), Preprocess(target_spacing=3.0)).image
        cached = store.load(row).image
        assert cached.shape == own.shape and np.array_equal(cached, own)
        arrays.append(cached)
    assert arrays[0].shape != arrays[1].shape  # the same name, two different scans


def test_synthetic_cohorts_are_prefix_stable(tmp_path):
    for name in ("ukbb", "ukbb-random", "acdc", "bscmr", "mnms"):
        small, large = plan(COHORTS.get(name), 4, 3), plan(COHORTS.get(name), 12, 3)
        assert small == large[:4], name
    a = generate_cohort("ukbb", tmp_path / "a", 2, seed=7, workers=1)
    b = generate_cohort("ukbb", tmp_path / "b", 3, seed=7, workers=1)
    pd.testing.assert_frame_equal(a, b.iloc[:len(a)].reset_index(drop=True))
    first = a.subject.iloc[0]
    assert ((tmp_path / "a" / first / "sa_ED.nii.gz").read_bytes()
            == (tmp_path / "b" / first / "sa_ED.nii.gz").read_bytes())
    assert set(a.generator_version) == {GENERATOR_VERSION} == {4}


def test_adding_a_target_trains_nothing_and_keeps_earlier_results(tmp_path, shared_cache):
    out = tmp_path / "out"
    first = _suite(tmp_path, shared_cache, **{"policies": ["none"]})
    run_suite(*load_suite(first), out)
    before = {p: p.read_bytes() for p in out.glob("jobs/*/eval/*/cases.csv")}
    logs = {p: p.read_text() for p in out.glob("jobs/*/log.jsonl")}
    assert len(before) == 2 and (out / "splits.csv").is_file()
    raw = yaml.safe_load(first.read_text())
    raw["data"]["targets"].append({"name": "acdc", "synth": {"cohort": "acdc", "subjects": 2, "seed": 3}})
    second = tmp_path / "second.yaml"
    second.write_text(yaml.safe_dump(raw))
    results = run_suite(*load_suite(second), out)
    assert {p: p.read_text() for p in out.glob("jobs/*/log.jsonl")} == logs  # not one training step more
    assert {p: p.read_bytes() for p in before} == before
    assert len(list(out.glob("jobs/*/eval/*/cases.csv"))) == 3
    assert set(results.cases.dataset) == {"ukbb", "bscmr", "acdc"}
    # scoring settings re-evaluate without training
    tta = run_suite(*load_suite(second, ["evaluation.tta_flip=true"]), out)
    assert {p: p.read_text() for p in out.glob("jobs/*/log.jsonl")} == logs
    assert len(list(out.glob("jobs/*/eval/*/cases.csv"))) == 6 and len(tta.cases) == len(results.cases)


def test_splits_are_written_reused_and_read_by_content(tmp_path, shared_cache):
    out = tmp_path / "out"
    suite, base = load_suite(_suite(tmp_path, shared_cache))
    data, _ = resolve_data(suite, base, shared_cache, out, NO_PROGRESS)
    table = pd.read_csv(out / "splits.csv", dtype=str)
    assert sorted(table.split.value_counts().items()) == [("test", 2), ("train", 3), ("val", 1)]
    # edited by hand, the written split wins over the suite's sizes on the next run
    table.loc[table.split == "test", "split"] = "train"
    table.to_csv(out / "splits.csv", index=False)
    again, _ = resolve_data(suite, base, shared_cache, out, NO_PROGRESS)
    assert sorted(again.splits["ukbb"].values()).count("train") == 5
    # a split file is read by content: the same file at two paths gives one training id, edited another
    from benchmark.run.runner import plan_run

    ids = []
    for name, parts in (("a.csv", ["train"] * 3 + ["val"] + ["test"] * 2),
                        ("b.csv", ["train"] * 3 + ["val"] + ["test"] * 2),
                        ("c.csv", ["train"] * 2 + ["val", "val"] + ["test"] * 2)):
        subjects = sorted(data.splits["ukbb"])
        pd.DataFrame({"subject": subjects, "split": parts}).to_csv(tmp_path / name, index=False)
        s, b = load_suite(_suite(tmp_path, shared_cache, **{"data.source.split": {"file": str(tmp_path / name)}}))
        d, _ = resolve_data(s, b, shared_cache, tmp_path / f"o-{name}", NO_PROGRESS)
        ids.append([j.train.id for j in plan_run(s, d, "fp32")])
    assert ids[0] == ids[1] != ids[2]
