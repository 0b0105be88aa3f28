"""LaTeX, Markdown and HTML tables ready for a paper: caption without 'Table III:', a label, booktabs, numbers
aligned, the best cell of each column bold (ties by interval), n in every cell, method names escaped."""
from __future__ import annotations

import re

import pytest
from toy_results import stack, toy_results

from benchmark.leaderboards import build_all
from benchmark.leaderboards.formats import caption, to_html, to_latex, to_markdown

A, B = "A_net & co #1 50%", "B"
A_TEX = r"A\_net \& co \#1 50\%"


def two_methods():
    """A: LV 0.95 on every subject, RV 0.80 + 0.01 i; B: LV 0.80, RV 0.81 + 0.01 i (8 subjects, ED and ES).

    LV: A is best and B's interval [0.80, 0.80] is far from A's [0.95, 0.95]; RV: the means differ by 0.01 and
    the intervals (about +-0.015) overlap, a tie."""
    a = toy_results(subjects=8, method=A, structures=("LV", "RV"),
                    dice=lambda seed, i, ph, s: 0.95 if s == "LV" else 0.80 + 0.01 * i)
    b = toy_results(subjects=8, method=B, structures=("LV", "RV"), prefix="b",
                    dice=lambda seed, i, ph, s: 0.80 if s == "LV" else 0.81 + 0.01 * i)
    return stack(a, b)


def table(name: str, res=None):
    return next(t for t in build_all(res or two_methods(), [name]))


def tex_row(tex: str, start: str) -> list[str]:
    line = next(line for line in tex.splitlines() if line.startswith(start))
    return [c.strip() for c in line.removesuffix(r"\\").split(" & ")]


def test_the_best_method_on_lv_is_bold_and_the_other_is_not():
    t = table("table3_methods")
    tex = to_latex(t)
    # columns: method, scored, then each Dice cell as mean & [interval] n (LV, MYO: a dash, RV)
    assert tex_row(tex, A_TEX)[2:4] == [r"\textbf{0.950}", r"\textbf{[0.95, 0.95] n=8}"]
    assert tex_row(tex, "B &")[2:4] == ["0.800", "[0.80, 0.80] n=8"]
    md = to_markdown(t)
    assert "| **0.950 [0.95, 0.95] n=8** |" in md and "| 0.800 [0.80, 0.80] n=8 |" in md
    assert "<strong>0.950 [0.95, 0.95] n=8</strong>" in to_html(t)
    assert any(n.startswith("bold: in each column, the highest mean Dice, and every row whose 95 % interval "
                            "overlaps") for n in t.notes)


def test_a_tie_by_interval_bolds_both_methods():
    t = table("table3_methods")
    a_rv = t.tidy[(t.tidy.method == A) & (t.tidy.structure == "RV")].iloc[0]
    b_rv = t.tidy[(t.tidy.method == B) & (t.tidy.structure == "RV")].iloc[0]
    assert b_rv["mean"] - a_rv["mean"] == pytest.approx(0.01) and a_rv.ci_high >= b_rv.ci_low  # overlapping
    tex = to_latex(t)
    assert tex_row(tex, A_TEX)[5].startswith(r"\textbf{0.835}") and tex_row(tex, "B &")[5] == r"\textbf{0.845}"
    assert tex_row(tex, A_TEX)[4] == "--"  # MYO is not annotated: a dash, never bold


def test_one_method_alone_is_never_bold():
    res = toy_results(subjects=6)
    t = table("table3_methods", res)
    assert r"\textbf" not in to_latex(t) and "**" not in to_markdown(t)


def test_captions_drop_the_table_prefix_and_every_table_has_a_label():
    res = two_methods()
    for t in build_all(res):
        tex = to_latex(t)
        if t.absent:
            continue
        assert not re.search(r"\\caption\{Table [IVX]+", tex), t.name
        assert f"\\label{{tab:{t.name}}}" in tex
    tex = to_latex(table("table3_methods", res))
    assert r"\caption{Dice per method, dataset and structure}" in tex
    assert tex.startswith("% table3_methods: Table III of the reference study")
    assert caption("Table III (oracle selection): Dice with X") == "Oracle selection: Dice with X"
    assert caption("Bland-Altman: mean difference") == "Bland-Altman: mean difference"
    assert caption("Table XI: classwise ECE") == "Classwise ECE"


def test_booktabs_rules_aligned_numbers_and_a_dataset_spanner():
    tex = to_latex(table("table3_methods"))
    # method left; scored right; each Dice column: its mean right-aligned against its interval and n;
    # MYO, not annotated: dashes, centred
    assert r"\begin{tabular}{lrr@{\ }lcr@{\ }l}" in tex
    lines = tex.splitlines()
    top, mid, bottom = lines.index(r"\toprule"), lines.index(r"\midrule"), lines.index(r"\bottomrule")
    assert top < mid < bottom
    assert lines[top + 1] == r" &  & \multicolumn{5}{c}{acdc} \\" and lines[top + 2] == r"\cmidrule(lr){3-7}"
    assert lines[top + 3] == r"method & scored & \multicolumn{2}{c}{LV} & MYO & \multicolumn{2}{c}{RV} \\"
    assert "|---|---:|---:|---:|---:|" in to_markdown(table("table3_methods"))


@pytest.mark.parametrize("name", ["table3_methods", "table4_architectures", "table5_ablation"])
def test_tables_iii_to_v_show_n_in_every_cell_in_markdown_and_latex(name):
    t = table(name)
    md, tex = to_markdown(t), to_latex(t)
    assert md.count("n=8") == 4 and tex.count("n=8") == 4  # two methods x (LV, RV); MYO is not annotated
    assert "n = subjects" in md and "n = subjects" in tex


def test_method_names_keep_latex_special_characters_as_text():
    tex = to_latex(table("table3_methods"))
    assert tex_row(tex, A_TEX)[0] == A_TEX


def _width(row: str) -> int:
    """Tabular columns a row fills: each cell one, a \\multicolumn{k} cell k."""
    cells = row.removesuffix(r"\\").split(" & ")
    return sum(int(m.group(1)) if (m := re.match(r"\\multicolumn\{(\d+)\}", c.strip())) else 1 for c in cells)


def test_every_row_of_every_table_fills_exactly_the_columns_its_tabular_declares():
    res = two_methods()
    for t in build_all(res):
        if t.absent:
            continue
        lines = to_latex(t).splitlines()
        spec = next(line for line in lines if line.startswith(r"\begin{tabular}"))[len(r"\begin{tabular}{"):-1]
        columns = len(re.sub(r"@\{[^}]*\}", "", spec))
        rows = [line for line in lines if line.endswith(r"\\")]
        assert rows and all(_width(r) == columns for r in rows), (t.name, spec, rows)
