"""Result sets on disk (expected.csv, meta.json) and safe merging: labels, refusal, fingerprint conflicts."""
from __future__ import annotations

import json

import pytest
from toy_results import toy_results

from benchmark.errors import CmrbenchError
from benchmark.leaderboards.tables import table3, table4
from benchmark.merge import fingerprint, fingerprint_mismatches
from benchmark.results import EXPECTED_COLUMNS, Results, combine, load_results


def test_expected_and_name_round_trip_through_disk(tmp_path):
    res = toy_results(subjects=3, missing=((0, 1, "ES"),))
    res.write(tmp_path / "run_a")
    back = load_results(tmp_path / "run_a")
    assert back.name == "run_a" and json.loads((tmp_path / "run_a/results/meta.json").read_text()) == {"name": "run_a"}
    assert list(back.expected.columns) == EXPECTED_COLUMNS and len(back.expected) == 6
    (tmp_path / "run_a/results/meta.json").write_text('{"name": "baseline"}')
    assert load_results(tmp_path / "run_a/results").name == "baseline"


def test_results_keep_the_four_argument_api_with_expected_optional():
    res = toy_results()
    plain = Results(res.cases, res.clinical, res.errors, res.jobs)
    assert plain.expected.empty and list(plain.expected.columns) == EXPECTED_COLUMNS
    assert len(plain.expected_cases()) == 16  # derived: every case scored


def test_older_result_set_without_expected_csv_derives_it(tmp_path):
    res = toy_results(subjects=4, missing=((0, 2, "ED"), (0, 3, "ED"), (0, 3, "ES")),
                      meta=lambda i: {"vendor": f"V{i}"})
    res.write(tmp_path / "old")
    (tmp_path / "old/results/expected.csv").unlink()
    exp = load_results(tmp_path / "old").expected.set_index(["subject", "phase"])
    assert len(exp) == 8
    assert exp.loc[("S002", "ED"), "vendor"] == "V2"  # from the subject's other phase
    assert exp.loc[("S003", "ES"), "labels_present"] == "LV"  # from the dataset's same phase


def test_fingerprint_survives_the_csv_round_trip(tmp_path):
    res = toy_results(subjects=2, vol_ref=lambda i, ph, s: 1234.56789 + i)
    res.write(tmp_path / "fp")
    assert fingerprint(res.cases).equals(fingerprint(load_results(tmp_path / "fp").cases))
    assert fingerprint(res.cases).iloc[0] == pytest.approx(1234.57)
    assert fingerprint_mismatches(res.cases, load_results(tmp_path / "fp").cases).empty


def named(res: Results, name: str) -> Results:
    res.name = name
    return res


def test_two_sets_with_the_same_method_name_are_refused():
    a, b = named(toy_results(), "run_a"), named(toy_results(dice=lambda *x: 0.5), "run_b")
    with pytest.raises(CmrbenchError, match="'run_a' and 'run_b' both contain method 'unet \\+ paper'.*--label"):
        combine([a, b])


def test_labels_keep_two_sets_apart_in_every_table():
    a, b = named(toy_results(), "run_a"), named(toy_results(dice=lambda *x: 0.5), "run_b")
    res = combine([a, b], ["A", "B"])
    t3 = table3(res)
    assert list(t3.wide["method"]) == ["A: unet + paper", "B: unet + paper"]
    assert list(t3.wide["acdc LV"].str[:5]) == ["0.900", "0.500"]
    assert t3.tidy["n_subjects"].tolist() == [8, 8]
    assert table4(res).wide["model"].tolist() == ["A: unet", "B: unet"]
    assert set(res.jobs.job) == {"A: unet+paper-s0", "B: unet+paper-s0"} and len(res.expected) == 32


def test_same_model_and_policy_under_two_method_names_are_not_pooled_in_table_4():
    a = named(toy_results(), "run_a")
    b = named(toy_results(dice=lambda *x: 0.5, prefix="b"), "run_b")
    b.jobs["method"] = "my unet"
    t4 = table4(combine([a, b]))
    assert t4.wide["method"].tolist() == ["my unet", "unet + paper"]


def test_fingerprint_conflicts_are_named_in_a_note():
    a = named(toy_results(subjects=3), "run_a")
    b = named(toy_results(subjects=3, method="fcn + none", vol_ref=lambda i, ph, s: 200.0 + i), "run_b")
    res = combine([a, b])
    note = "result sets 'run_a' and 'run_b' disagree on the reference volume of 6 of 6 shared cases " \
           "(first: acdc S000 ED LV: 100 vs 200 mL)"
    assert any(n.startswith(note) for n in res.notes)
    assert any(n.startswith(note) for n in table3(res).notes)


def test_duplicate_labels_are_refused():
    with pytest.raises(CmrbenchError, match="same label"):
        combine([toy_results(), toy_results()], ["X", "X"])
