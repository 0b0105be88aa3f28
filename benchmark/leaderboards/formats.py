"""Render a leaderboard Table as Markdown, CSV, LaTeX or HTML."""
from __future__ import annotations

import html
import re

import pandas as pd

from .tables import Table


def _one_line(value: object) -> str:
    return " ".join(str(value).split())  # a name holding a newline must not end a table row or a comment


def _cells(df: pd.DataFrame) -> tuple[list[str], list[list[str]]]:
    return [_one_line(c) for c in df.columns], [[_one_line(v) for v in row] for row in df.itertuples(index=False)]


def to_markdown(t: Table) -> str:
    """A GitHub-flavoured Markdown table with title and notes."""
    lines = [f"### {t.title}", ""]
    if t.absent:
        return "\n".join(lines + [f"_No data: {t.absent}._", ""])
    head, rows = _cells(t.wide)
    esc = lambda s: s.replace("|", "\\|")  # noqa: E731
    lines.append("| " + " | ".join(map(esc, head)) + " |")
    lines.append("|" + "|".join("---" for _ in head) + "|")
    lines += ["| " + " | ".join(map(esc, r)) + " |" for r in rows]
    return "\n".join(lines + [""] + [f"{n}  " for n in t.notes] + [""])


_TEX = {"\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "&": r"\&", "%": r"\%", "_": r"\_", "#": r"\#",
        "$": r"\$", "^": r"\textasciicircum{}", "~": r"\textasciitilde{}", "–": "--", "—": "---", "±": r"$\pm$"}
_TEX_CHARS = re.compile("|".join(re.escape(c) for c in _TEX))


def _tex(s: str) -> str:
    """Text as LaTeX that typesets it and runs nothing (every special character escaped in one pass)."""
    return _TEX_CHARS.sub(lambda m: _TEX[m.group()], _one_line(s))


def to_latex(t: Table) -> str:
    """A booktabs tabular with caption and notes."""
    if t.absent:
        return f"% {_one_line(t.title)}\n% No data: {_one_line(t.absent)}.\n"
    head, rows = _cells(t.wide)
    out = [r"\begin{table}[ht]", r"\centering", f"\\caption{{{_tex(t.title)}}}", r"\small",
           f"\\begin{{tabular}}{{{'l' * len(head)}}}", r"\toprule", " & ".join(map(_tex, head)) + r" \\",
           r"\midrule"]
    out += [" & ".join(map(_tex, r)) + r" \\" for r in rows]
    out += [r"\bottomrule", r"\end{tabular}"]
    out += [f"\\par\\footnotesize {_tex(n)}" for n in t.notes]
    return "\n".join(out + [r"\end{table}", ""])


def to_html(t: Table) -> str:
    """An HTML section for the report."""
    title = f"<h2 id='{t.name}'>{html.escape(t.title)}</h2>"
    if t.absent:
        return f"{title}<p class='absent'>No data: {html.escape(t.absent)}.</p>"
    notes = "".join(f"<p class='note'>{html.escape(n)}</p>" for n in t.notes)
    return title + t.wide.to_html(index=False, escape=True, border=0, classes="board") + notes
