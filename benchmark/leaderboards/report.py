"""Write every leaderboard (.md, .csv, .tex), the figures and a self-contained report.html."""
from __future__ import annotations

from pathlib import Path

from ..atomic import WriteError, write_csv_atomic, write_text_atomic
from ..results import Results
from .figures import fig4_boxplots, fig8_bland_altman
from .formats import to_latex, to_markdown
from .html_report import report_page
from .robustness import fig_reliability
from .shifts import fig_shift_curves
from .tables import Table, build_all

# file stem -> (title, builder(res, path) -> path or None when there is no data); drawn in this order
FIGURES = {"fig4_boxplots": ("Figure 4: Dice per dataset and structure", fig4_boxplots),
           "fig8_bland_altman": ("Figure 8: Bland-Altman", fig8_bland_altman),
           "fig_shift_curves": ("Dice against shift severity", fig_shift_curves),
           "fig_reliability": ("Reliability diagram per target (calibration)", fig_reliability)}

def write_leaderboards(res: Results, out: Path, provenance: dict | None = None,
                       names: list[str] | None = None, missing: str = "exclude") -> list[Table]:
    """Write OUT/leaderboards/: each table as .md/.csv/.tex, fig4, fig8 and reliability PNGs and report.html.

    `missing` says what the tables do with expected cases that were not scored: 'exclude' or 'fail' (Dice 0)."""
    folder = Path(out) / "leaderboards"
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:  # OUT is a file, read-only or on a full disk: one line, not a traceback
        raise WriteError(folder, exc) from None
    tables = build_all(res, names, missing)
    for t in tables:  # each file through a temporary name: a reader never sees half a table
        write_text_atomic(folder / f"{t.name}.md", to_markdown(t))
        write_text_atomic(folder / f"{t.name}.tex", to_latex(t))
        if t.absent:
            write_text_atomic(folder / f"{t.name}.csv", f"# no data: {t.absent}\n")
        else:
            write_csv_atomic(t.tidy, folder / f"{t.name}.csv", index=False, float_format="%.6g")
    figures = {title: build(res, folder / f"{stem}.png") for stem, (title, build) in FIGURES.items()}
    shift_curves = FIGURES["fig_shift_curves"][0]  # a run without shifts has no such figure to miss
    figures = {title: path for title, path in figures.items() if path is not None or title != shift_curves}
    write_text_atomic(folder / "report.html", report_page(tables, figures, res, provenance or {}))
    return tables
