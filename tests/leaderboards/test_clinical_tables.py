"""Table IX and Bland-Altman: one point per subject (seeds averaged), exact Spearman p for small n."""
from __future__ import annotations

import pandas as pd
import pytest
from toy_results import toy_results

from benchmark.clinical import clinical_measures
from benchmark.leaderboards.clinical_tables import bland_altman_table, table9


def with_clinical(seeds: tuple = (0, 1), subjects: int = 5, selection: str | None = None):
    """LVEDV per job and subject: manual 100 + 10 i; auto adds +4 (seed 0) or -2 (seed 1), so +1 on average."""
    res = toy_results(subjects=subjects, seeds=seeds, selection=selection)
    rows = []
    for job, seed in zip(res.jobs.job, res.jobs.seed):
        for i in range(subjects):
            manual = 100.0 + 10 * i
            rows.append({"job": job, "dataset": "acdc", "subject": f"S{i:03d}", "measure": "LVEDV",
                         "auto": manual + (4.0 if seed == "0" else -2.0), "manual": manual,
                         **({"selection": selection} if selection else {})})
    res.clinical = pd.DataFrame(rows)
    return res


def test_spearman_averages_seeds_per_subject_and_gives_the_exact_p():
    t = table9(with_clinical())
    row = t.tidy.iloc[0]
    assert row.n == 5 and row.rho == pytest.approx(1.0)
    assert row.p == pytest.approx(2 / 120, abs=1e-9)  # exact: 2 of the 5! orderings are as extreme
    assert t.wide.loc[0, "LVEDV"] == "1.000 (p=0.017, n=5)"
    assert any("averaged over seeds first" in n for n in t.notes)
    assert any(n.startswith("p: two-sided; exact permutation") for n in t.notes)
    assert "seeds: 0, 1" in t.notes


def test_bland_altman_uses_the_seed_average_of_each_subject():
    t = bland_altman_table(with_clinical())
    row = t.tidy.iloc[0]
    assert row.n == 5 and row.mean_diff == pytest.approx(1.0) and row.sd == pytest.approx(0.0)
    assert any("averaged over seeds first" in n for n in t.notes)


def test_oracle_clinical_rows_are_left_out():
    res = with_clinical(selection="oracle")
    assert table9(res).absent and bland_altman_table(res).absent


def test_clinical_measures_keep_each_selection_rule_apart():
    cases = toy_results(subjects=2, structures=("LV",), vol_ref=lambda i, ph, s: 100.0 if ph == "ED" else 40.0).cases
    both = pd.concat([cases.assign(selection="source_val"),
                      cases.assign(selection="last", vol_pred_ml=cases.vol_pred_ml * 0.5)], ignore_index=True)
    clin = clinical_measures(both).set_index(["selection", "subject", "measure"])
    assert clin.loc[("source_val", "S000", "LVEDV"), "auto"] == pytest.approx(100.0)
    assert clin.loc[("last", "S000", "LVEDV"), "auto"] == pytest.approx(50.0)
    assert clin.loc[("last", "S000", "LVEF"), "auto"] == pytest.approx(60.0)
