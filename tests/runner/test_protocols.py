"""Selection rules side by side, several sources trained on together, leave-one-domain-out."""
from __future__ import annotations

import pandas as pd

from benchmark.runner import run_suite
from benchmark.suite import load_suite


def test_selection_rules_are_reported_side_by_side(tiny_suite, tmp_path):
    suite, base = load_suite(tiny_suite, ["policies=[none]", "training.selection=[source_val, last, oracle]",
                                          "data.targets.0.synth.subjects=6"])
    out = tmp_path / "out"
    res = run_suite(suite, base, out)
    sel = res.cases.groupby("selection").apply(lambda g: g.dataset.unique().tolist(), include_groups=False)
    assert sorted(sel["source_val"]) == sorted(sel["last"]) == ["bscmr", "ukbb"]
    assert sel["oracle"] == ["bscmr"]  # oracle selects on a target's own labelled part: targets only
    splits = pd.read_csv(out / "splits.csv", dtype=str)
    bscmr = splits[splits.dataset == "bscmr"].split.value_counts().to_dict()
    assert bscmr == {"test": 5, "oracle_val": 1}
    scored = res.cases[res.cases.dataset == "bscmr"].groupby("selection").subject.nunique().to_dict()
    assert scored == {"source_val": 5, "last": 5, "oracle": 5}  # every rule scores the same target subjects
    assert len(list(out.glob("jobs/*/snapshots/step_*.pt"))) == 3  # validations at steps 3, 6, 8
    last = res.cases[res.cases.selection == "last"]
    assert not last.empty


def test_several_sources_train_together(tiny_suite, tmp_path):
    suite, base = load_suite(tiny_suite, ["policies=[none]"])
    raw = suite.model_dump()
    raw["data"]["source"] = [raw["data"]["source"],
                             {"name": "acdc", "synth": {"cohort": "acdc", "subjects": 3, "seed": 4},
                              "split": {"train": 2, "val": 1, "test": 0}}]
    both = type(suite).model_validate(raw)
    res = run_suite(both, base, tmp_path / "out")
    config = next((tmp_path / "out").glob("jobs/*/config.json")).read_text()
    assert '"heldout": ""' in config
    assert set(res.cases.dataset) == {"ukbb", "bscmr"}  # acdc's test part is empty: nothing to score there
    log = next((tmp_path / "out").glob("jobs/*/log.jsonl")).read_text()
    assert log.count('"step"') >= 1


def test_leave_one_domain_out_trains_once_per_held_out_domain(tiny_suite, tmp_path):
    suite, base = load_suite(tiny_suite, ["policies=[none]", "protocol=leave_one_domain_out"])
    raw = suite.model_dump()
    raw["data"]["source"] = [raw["data"]["source"],
                             {"name": "acdc", "synth": {"cohort": "acdc", "subjects": 4, "seed": 4},
                              "split": {"train": 2, "val": 1, "test": 1}}]
    res = run_suite(type(suite).model_validate(raw), base, tmp_path / "out")
    assert sorted(res.jobs.method) == ["unet_test + none (without acdc)", "unet_test + none (without ukbb)"]
    assert dict(zip(res.jobs.method, res.jobs.heldout)) == {"unet_test + none (without acdc)": "acdc",
                                                           "unet_test + none (without ukbb)": "ukbb"}
    without_acdc = res.jobs.set_index("heldout").loc["acdc", "job"]
    on_acdc = res.cases[(res.cases.job == without_acdc) & (res.cases.dataset == "acdc")]
    assert on_acdc.subject.nunique() == 4  # every subject of the held-out domain, none seen in training
