"""Leaderboards: the study's tables and figures built from any result set."""
from . import clinical_tables, lodo, robustness, shifts  # noqa: F401  (register IX, Bland-Altman, lodo, X-XIII)
from .report import write_leaderboards
from .tables import LEADERBOARDS, MIN_GROUP_N, Table, build_all

__all__ = ["LEADERBOARDS", "MIN_GROUP_N", "Table", "build_all", "write_leaderboards"]
