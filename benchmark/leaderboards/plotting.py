"""What every leaderboard figure shares: the Agg backend, a colour-blind-safe palette and PNG + PDF + SVG output."""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..atomic import replace_atomic

# Okabe and Ito (2008), "Color Universal Design": distinguishable with every common colour-vision deficiency.
# Ordered so that the first colours contrast best on white (yellow late, black last: black is the median line).
OKABE_ITO = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000")
HATCHES = ("", "//", "..", "xx")  # a ninth method and beyond: the palette again, with a hatch to tell them apart
FORMATS = ("png", "pdf", "svg")  # every figure, same basename: PNG for the report, PDF and SVG for papers
DPI = 150

# text stays text in the vector files (editable, searchable); no date or random id, so a rerun writes the same bytes
RC = {"svg.fonttype": "none", "svg.hashsalt": "cmrbench", "pdf.fonttype": 42, "font.size": 8,
      "axes.titlesize": 8, "axes.labelsize": 8, "xtick.labelsize": 7, "ytick.labelsize": 7, "legend.fontsize": 7}
_METADATA = {"png": {"Software": None}, "pdf": {"CreationDate": None, "Producer": None},
             "svg": {"Date": None, "Creator": None}}


def _plt():  # type: ignore[no-untyped-def]
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update(RC)
    return plt


def colour(i: int) -> str:
    """The i-th colour of the Okabe-Ito palette (cycling)."""
    return OKABE_ITO[i % len(OKABE_ITO)]


def hatch(i: int) -> str:
    """The hatch that tells apart the i-th and (i + 8)-th item, which share a colour."""
    return HATCHES[(i // len(OKABE_ITO)) % len(HATCHES)]


def figure_paths(path: Path) -> list[Path]:
    """The PNG, PDF and SVG files of the figure whose PNG is `path`."""
    return [Path(path).with_suffix(f".{ext}") for ext in FORMATS]


def save_figure(fig: Any, path: Path) -> Path:
    """Write a figure as PNG, PDF and SVG (same basename), each through a temporary name, free it; the PNG path."""
    plt = _plt()

    def writer(fmt: str) -> Callable[[Path], None]:
        return lambda tmp: fig.savefig(tmp, format=fmt, dpi=DPI, metadata=_METADATA[fmt])

    try:
        for target in figure_paths(path):
            replace_atomic(target, writer(target.suffix[1:]))
    finally:
        plt.close(fig)
    return Path(path).with_suffix(".png")
