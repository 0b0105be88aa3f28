"""Selection rules side by side, several sources trained on together, leave-one-domain-out."""
from __future__ import annotations

import pandas as pd

from benchmark.run.runner import run_suite
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


def test_two_seeds_give_n_subjects_a_seed_spread_and_compare_pairs_subjects(tiny_suite, tmp_path):
    from benchmark.compare import compare

    suite, base = load_suite(tiny_suite, ["policies=[none]", "seeds=[0, 1]"])
    out = tmp_path / "out"
    res = run_suite(suite, base, out)
    assert sorted(res.jobs.seed.astype(int)) == [0, 1]
    t3 = pd.read_csv(out / "leaderboards" / "table3_methods.csv")
    ukbb = t3[(t3.dataset == "ukbb") & (t3.structure == "LV")].iloc[0]
    assert ukbb.n_subjects == 2 and ukbb.n_seeds == 2 and ukbb.n_scored == 8  # 2 subjects x 2 phases x 2 seeds
    assert ukbb.ci_low <= ukbb["mean"] <= ukbb.ci_high and ukbb.seed_se >= 0
    md = (out / "leaderboards" / "table3_methods.md").read_text()
    assert "n=2" in md and "(2 seeds)" in md and "source_val" in md
    row = compare(res, res)["table3_methods"].query("dataset == 'ukbb' and structure == 'LV'").iloc[0]
    assert row.n == 2 and row["diff"] == 0


def test_unknown_loss_is_named_and_the_loss_changes_training(tiny_suite, tmp_path):
    from typer.testing import CliRunner

    from benchmark.cli import app

    bad = CliRunner().invoke(app, ["validate", str(tiny_suite), "--set", "training.loss=dicee"])
    assert bad.exit_code == 2 and "did you mean 'dice'" in bad.output
    weights = {}
    for loss in ("ce", "dice"):
        suite, base = load_suite(tiny_suite, ["policies=[none]", f"training.loss={loss}"])
        run_suite(suite, base, tmp_path / loss)
        import torch

        weights[loss] = torch.load(next((tmp_path / loss).glob("jobs/*/last.pt")), weights_only=True)["model"]
    diff = [k for k in weights["ce"] if not torch.equal(weights["ce"][k], weights["dice"][k])]
    assert diff  # release 0.1 accepted training.loss and trained with cross-entropy whatever it said


def test_clean_lists_and_removes_what_the_suite_no_longer_uses(tiny_suite, tmp_path):
    from typer.testing import CliRunner

    from benchmark.cli import app

    out = tmp_path / "out"
    run_suite(*load_suite(tiny_suite, ["policies=[none]"]), out)
    old = {p.name for p in (out / "jobs").iterdir()}
    run_suite(*load_suite(tiny_suite, ["policies=[none]", "training.iterations=4"]), out)
    listed = CliRunner().invoke(app, ["clean", str(out)])
    assert listed.exit_code == 0 and "1 folder(s)" in listed.output and old.pop() in listed.output
    removed = CliRunner().invoke(app, ["clean", str(out), "--remove"])
    assert removed.exit_code == 0 and len(list((out / "jobs").iterdir())) == 1
    assert "0 folder(s)" in CliRunner().invoke(app, ["clean", str(out)]).output


def _run_in_fresh_process(job, ctx):  # module level: picklable for a spawned worker
    from benchmark.run.job import run_job

    return run_job((job, ctx), "cpu")


def test_a_fresh_worker_process_loads_the_suites_plugin_files(tiny_suite, tmp_path):
    """--launcher gpus starts workers with spawn: they must load plugins: themselves (0.1's never did)."""
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor

    import yaml

    from benchmark.run.datasets import resolve_data
    from benchmark.run.job import Context
    from benchmark.run.runner import plan_run

    (tmp_path / "nets.py").write_text(
        "from benchmark.models import register_model, create_model\n"
        "@register_model('plugnet')\n"
        "def plugnet(in_channels=1, num_classes=4):\n"
        "    return create_model('unet_test', in_channels=in_channels, num_classes=num_classes)\n")
    raw = yaml.safe_load(tiny_suite.read_text())
    raw.update(plugins=[str(tmp_path / "nets.py")], models=[{"name": "plugnet"}], policies=["none"])
    path = tmp_path / "plug.yaml"
    path.write_text(yaml.safe_dump(raw))
    suite, base = load_suite(path)
    from benchmark.plugins import load_plugin_file

    load_plugin_file(tmp_path / "nets.py")
    cache = tmp_path / "out" / "cache"
    data, _ = resolve_data(suite, base, cache, tmp_path / "out", lambda what: iter)
    job = plan_run(suite, data, "fp32")[0]
    from benchmark.run.runner import _prepare

    _prepare(suite, [job], data, cache)
    ctx = Context(suite, base, tmp_path / "out", cache, data, "fp32")
    with ProcessPoolExecutor(1, mp_context=mp.get_context("spawn")) as pool:
        summary = pool.submit(_run_in_fresh_process, job, ctx).result()
    assert "failed" not in summary, summary.get("failed")
    assert (tmp_path / "out" / "jobs" / job.train.id / "trained").is_file()


def test_leave_one_vendor_out_holds_out_a_metadata_column(tiny_suite, tmp_path):
    suite, base = load_suite(tiny_suite, ["policies=[none]", "protocol={name: leave_one_domain_out, by: vendor}",
                                          "data.targets=[]", "training.iterations=2"])
    raw = suite.model_dump()
    raw["data"]["source"] = {"name": "mnms", "synth": {"cohort": "mnms", "subjects": 8, "seed": 2},
                             "split": {"val": 2, "test": 2}}
    res = run_suite(type(suite).model_validate(raw), base, tmp_path / "out")
    vendors = sorted(res.cases.vendor.unique())
    assert len(vendors) >= 2 and sorted(res.jobs.heldout) == vendors  # one training per vendor in the data
    cases = res.cases.merge(res.jobs[["job", "heldout"]], on="job")
    held = cases[cases.part == "heldout"]
    assert (held.vendor == held.heldout).all()  # scored on the vendor it never saw, and only on that one
    seen = cases[cases.part == "test"]
    assert (seen.vendor != seen.heldout).all()  # the in-domain test split leaves the held-out vendor out
    lodo = pd.read_csv(tmp_path / "out" / "leaderboards" / "table_lodo.csv")
    assert sorted(lodo.heldout.unique()) == vendors
