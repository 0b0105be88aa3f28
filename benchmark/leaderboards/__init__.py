"""Leaderboards: the study's tables and figures built from any result set."""
from . import clinical_tables, lodo, shifts  # noqa: F401  (register Table IX, Bland-Altman, table_lodo, Table X)
from .report import write_leaderboards
from .tables import LEADERBOARDS, MIN_GROUP_N, Table, build_all

__all__ = ["LEADERBOARDS", "MIN_GROUP_N", "Table", "build_all", "write_leaderboards"]
