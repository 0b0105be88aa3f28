"""The study's figures (Figure 4 box plots, Figure 8 Bland-Altman) and the plotting helpers every figure shares."""
from __future__ import annotations

from .fig4_boxplots import fig4_boxplots
from .fig8_bland_altman import fig8_bland_altman
from .plotting import OKABE_ITO, _plt, colour, figure_paths, save_figure

__all__ = ["OKABE_ITO", "_plt", "colour", "fig4_boxplots", "fig8_bland_altman", "figure_paths", "save_figure"]
