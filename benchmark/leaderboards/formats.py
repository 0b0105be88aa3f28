"""Render a leaderboard Table as Markdown, CSV, LaTeX or HTML."""
from __future__ import annotations

import html
import re

import pandas as pd

from .cells import DASH
from .tables import Table


def _one_line(value: object) -> str:
    return " ".join(str(value).split())  # a name holding a newline must not end a table row or a comment


def _cells(df: pd.DataFrame) -> tuple[list[str], list[list[str]]]:
    return [_one_line(c) for c in df.columns], [[_one_line(v) for v in row] for row in df.itertuples(index=False)]


def to_markdown(t: Table) -> str:
    """A GitHub-flavoured Markdown table with title and notes; numeric columns right-aligned, the best cells bold."""
    lines = [f"### {t.title}", ""]
    if t.absent:
        return "\n".join(lines + [f"_No data: {t.absent}._", ""])
    head, rows = _cells(t.wide)
    esc = lambda s: s.replace("|", "\\|")  # noqa: E731
    numeric = [_numeric(col) for col in zip(*rows)] if rows else [False] * len(head)
    lines.append("| " + " | ".join(map(esc, head)) + " |")
    lines.append("|" + "|".join("---:" if n else "---" for n in numeric) + "|")
    for label, row in zip(t.wide.index, rows):
        cells = [f"**{esc(v)}**" if t.is_bold(label, c) and v != DASH else esc(v) for c, v in zip(t.wide.columns, row)]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines + [""] + [f"{n}  " for n in t.notes] + [""])


_TEX = {"\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "&": r"\&", "%": r"\%", "_": r"\_", "#": r"\#",
        "$": r"\$", "^": r"\textasciicircum{}", "~": r"\textasciitilde{}", "–": "--", "—": "---", "±": r"$\pm$"}
_TEX_CHARS = re.compile("|".join(re.escape(c) for c in _TEX))
_NUMBER = re.compile(r"^[-+]?\d")
_PREFIX = re.compile(r"^Table\s+(?:[IVXLC]+|\d+)\s*(?:\(([^)]*)\))?\s*:\s*")
PACKAGES = "booktabs"  # \toprule, \midrule, \bottomrule, \cmidrule: nothing else beyond plain LaTeX


def _tex(s: str) -> str:
    """Text as LaTeX that typesets it and runs nothing (every special character escaped in one pass)."""
    return _TEX_CHARS.sub(lambda m: _TEX[m.group()], _one_line(s))


def _numeric(values: tuple[str, ...] | list[str]) -> bool:
    """A column whose every cell with a value starts with a number (a dash has none: a column of dashes counts)."""
    return bool(values) and all(_NUMBER.match(v) for v in values if v.split(" ")[0] != DASH)


def caption(title: str) -> str:
    """The title without its 'Table III:' prefix (LaTeX numbers the table itself); a '(qualifier)' leads instead,
    capitalised."""
    m = _PREFIX.match(_one_line(title))
    if not m:
        return _one_line(title)
    text = _one_line(title)[m.end():]
    text = f"{m.group(1)}: {text}" if m.group(1) else text
    return text[:1].upper() + text[1:]  # a caption is a sentence: 'classwise ECE' -> 'Classwise ECE'


def _study_number(title: str) -> str:
    m = _PREFIX.match(_one_line(title))
    return m.group(0).split(":")[0].split("(")[0].strip() if m else ""


class _Column:
    """One column of the grid in LaTeX: text ('l'), marks ('c'), a number ('r') or a number and its text ('r@{ }l')."""

    def __init__(self, header: str, values: list[str]) -> None:
        self.header, self.numeric = header, _numeric(values)
        self.split = self.numeric and any(" " in v for v in values)
        self.flag = bool(values) and set(values) <= {"on", DASH}  # Table V's operations: centred marks
        self.width = 2 if self.split else 1

    def spec(self) -> str:
        """The tabular column specification."""
        return r"r@{\ }l" if self.split else ("c" if self.flag else "r" if self.numeric else "l")

    def cells(self, value: str, bold: bool) -> list[str]:
        """The value as one or two tabular cells, bold where it is one of the best."""
        parts = value.split(" ", 1) if self.split else [value]
        parts += [""] * (self.width - len(parts))
        return [f"\\textbf{{{_tex(p)}}}" if bold and p and value != DASH else _tex(p) for p in parts]

    def head(self, text: str) -> str:
        """A header cell that spans the column's width."""
        return f"\\multicolumn{{{self.width}}}{{c}}{{{_tex(text)}}}" if self.width > 1 else _tex(text)


def _groups(columns: list[_Column]) -> list[tuple[str, list[int]]]:
    """Runs of two or more numeric columns whose headers share a first word ('acdc LV', 'acdc MYO'): one spanner."""
    runs: list[tuple[str, list[int]]] = []
    for i, c in enumerate(columns):
        first = c.header.split(" ", 1)[0] if c.numeric and " " in c.header else None
        if first is not None and runs and runs[-1][0] == first and runs[-1][1][-1] == i - 1:
            runs[-1][1].append(i)
        else:
            runs.append((first or "", [i]))
    return [(name, idx) for name, idx in runs if name and len(idx) >= 2]


def _header(columns: list[_Column]) -> list[str]:
    """One header row, or two: spanners (with \\cmidrule) over grouped columns, then each column's own name."""
    groups = _groups(columns)
    grouped = {i: name for name, idx in groups for i in idx}
    own = [c.head(c.header.split(" ", 1)[1] if i in grouped else c.header) for i, c in enumerate(columns)]
    if not groups:
        return [" & ".join(own) + r" \\"]
    starts = [sum(c.width for c in columns[:i]) + 1 for i in range(len(columns))]
    top, rules, i = [], [], 0
    while i < len(columns):
        name, idx = next(((n, x) for n, x in groups if x[0] == i), ("", [i]))
        width = sum(columns[k].width for k in idx)
        top.append(f"\\multicolumn{{{width}}}{{c}}{{{_tex(name)}}}" if name else "")
        top += [""] * (columns[i].width - 1 if not name else 0)
        if name:
            rules.append(f"\\cmidrule(lr){{{starts[i]}-{starts[i] + width - 1}}}")
        i = idx[-1] + 1
    return [" & ".join(top) + r" \\", " ".join(rules), " & ".join(own) + r" \\"]


def to_latex(t: Table) -> str:
    """A booktabs table: caption without 'Table III:', \\label{tab:<name>}, numbers right-aligned, best cells bold."""
    if t.absent:
        return f"% {_one_line(t.title)}\n% No data: {_one_line(t.absent)}.\n"
    head, rows = _cells(t.wide)
    columns = [_Column(h, [r[j] for r in rows]) for j, h in enumerate(head)]
    study = _study_number(t.title)
    out = [f"% {t.name}" + (f": {study} of the reference study (Chen et al. 2020)" if study else "")
           + f"; needs \\usepackage{{{PACKAGES}}}",
           r"\begin{table}[ht]", r"\centering", f"\\caption{{{_tex(caption(t.title))}}}",
           f"\\label{{tab:{re.sub(r'[^A-Za-z0-9_:.-]', '-', t.name)}}}", r"\small",
           f"\\begin{{tabular}}{{{''.join(c.spec() for c in columns)}}}", r"\toprule", *_header(columns), r"\midrule"]
    for label, row in zip(t.wide.index, rows):
        cells = [x for c, name, v in zip(columns, t.wide.columns, row) for x in c.cells(v, t.is_bold(label, name))]
        out.append(" & ".join(cells) + r" \\")
    out += [r"\bottomrule", r"\end{tabular}"]
    out += [f"\\par\\footnotesize {_tex(n)}" for n in t.notes]
    return "\n".join(out + [r"\end{table}", ""])


def to_html(t: Table) -> str:
    """An HTML section for the report."""
    title = f"<h2 id='{t.name}'>{html.escape(t.title)}</h2>"
    if t.absent:
        return f"{title}<p class='absent'>No data: {html.escape(t.absent)}.</p>"
    notes = "".join(f"<p class='note'>{html.escape(n)}</p>" for n in t.notes)
    head, rows = _cells(t.wide)  # escaped here, each cell once, so that the best ones can carry <strong>
    cells = [[f"<strong>{html.escape(v)}</strong>" if t.is_bold(label, c) and v != DASH else html.escape(v)
              for c, v in zip(t.wide.columns, row)] for label, row in zip(t.wide.index, rows)]
    grid = pd.DataFrame(cells, columns=[html.escape(h) for h in head])
    return title + grid.to_html(index=False, escape=False, border=0, classes="board") + notes
