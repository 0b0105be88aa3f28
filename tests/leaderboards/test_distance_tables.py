"""HD95 and ASSD in Table III's layout: the mean over subjects in mm, lower is better, no Dice-0 rule for misses."""
from __future__ import annotations

import pytest
from toy_results import stack, toy_results

from benchmark.leaderboards import build_all
from benchmark.leaderboards.formats import to_latex
from benchmark.leaderboards.tables import table3_assd, table3_hd95


def cell(t, method: str, structure: str = "LV"):
    hit = t.tidy[(t.tidy.method == method) & (t.tidy.structure == structure)]
    assert len(hit) == 1
    return hit.iloc[0]


def distances():
    """A: HD95 2 + i mm at ED, 4 + i at ES (subject mean 3 + i), ASSD half of it; B: HD95 20 + i, 6 subjects."""
    a = toy_results(subjects=6, method="A", hd95=lambda seed, i, ph, s: (2.0 if ph == "ED" else 4.0) + i,
                    assd=lambda seed, i, ph, s: ((2.0 if ph == "ED" else 4.0) + i) / 2)
    b = toy_results(subjects=6, method="B", prefix="b", hd95=lambda seed, i, ph, s: 20.0 + i,
                    assd=lambda seed, i, ph, s: 10.0 + i / 2)
    return stack(a, b)


def test_hd95_and_assd_cells_are_the_known_means_over_subjects():
    res = distances()
    hd, assd = table3_hd95(res), table3_assd(res)
    assert cell(hd, "A")["mean"] == pytest.approx(5.5)  # mean of 3 + i, i = 0..5
    assert cell(hd, "B")["mean"] == pytest.approx(22.5)
    assert cell(assd, "A")["mean"] == pytest.approx(2.75) and cell(assd, "B")["mean"] == pytest.approx(11.25)
    assert cell(hd, "A").n_subjects == 6
    row = hd.wide.set_index("method").loc["A", "acdc LV"]
    assert row.startswith("5.50 [") and row.endswith("] n=6")


def test_the_lowest_distance_is_bold():
    hd = table3_hd95(distances())
    hd.title = "Table III (HD95): x"
    tex = to_latex(hd)
    a_row = next(line for line in tex.splitlines() if line.startswith("A &"))
    b_row = next(line for line in tex.splitlines() if line.startswith("B &"))
    assert r"\textbf{5.50}" in a_row and r"\textbf" not in b_row
    assert any(n.startswith("bold: in each column, the lowest mean HD95") for n in hd.notes)
    assert any("cell: mean HD95 in mm over subjects" in n for n in hd.notes)


def test_a_missing_case_is_counted_and_never_scored_0_mm_even_with_missing_fail():
    res = toy_results(subjects=4, hd95=lambda seed, i, ph, s: 10.0 + i, missing=((0, 0, "ED"), (0, 0, "ES")))
    for rule in ("exclude", "fail"):
        t = table3_hd95(res, missing=rule)
        c = t.tidy.iloc[0]
        assert (c["mean"], c.n_subjects, c.n_scored, c.n_expected) == (pytest.approx(12.0), 3, 6, 8)
        assert any("--missing fail scores Dice only" in n for n in t.notes)


def test_the_distance_tables_follow_table_iii():
    names = [t.name for t in build_all(distances())]
    assert names[:3] == ["table3_methods", "table3_hd95", "table3_assd"]
