"""Leaderboards: the study's tables and figures built from any result set."""
# each module registers its tables: III against erm, IX and Bland-Altman, leave-one-domain-out, X-XIII
from . import algorithms, clinical_tables, lodo, robustness, shifts  # noqa: F401
from .report import write_leaderboards
from .tables import LEADERBOARDS, MIN_GROUP_N, Table, build_all

__all__ = ["LEADERBOARDS", "MIN_GROUP_N", "Table", "build_all", "write_leaderboards"]
