"""Method labels come from users: every format shows them as text and lets none of them run or break a table."""
from __future__ import annotations

import pandas as pd

from benchmark.leaderboards.formats import to_html, to_latex, to_markdown
from benchmark.leaderboards.tables import Table

LABEL = "evil\\input{/etc/passwd}\n| <script>alert(1)</script> 50%_^~"


def table() -> Table:
    wide = pd.DataFrame({"method": [LABEL], "acdc LV": ["0.900 [0.85, 0.95] n=10"]})
    return Table("t", "Table X: a title", pd.DataFrame(), wide, notes=["a note"])


def test_latex_escapes_every_special_character_so_no_command_runs():
    tex = to_latex(table())
    row = next(line for line in tex.splitlines() if line.startswith("evil"))
    assert row == (r"evil\textbackslash{}input\{/etc/passwd\} | <script>alert(1)</script> 50\%\_"
                   r"\textasciicircum{}\textasciitilde{} & 0.900 & [0.85, 0.95] n=10 \\")  # mean | interval and n


def test_markdown_keeps_one_row_per_method_and_html_escapes_markup():
    md = to_markdown(table()).splitlines()
    assert md[4] == ("| evil\\input{/etc/passwd} \\| <script>alert(1)</script> 50%_^~ | "
                     "0.900 [0.85, 0.95] n=10 |")
    html = to_html(table())
    assert "<script>" not in html and "&lt;script&gt;" in html
