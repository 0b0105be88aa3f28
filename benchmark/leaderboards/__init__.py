"""Leaderboards: the study's tables and figures built from any result set."""
from .report import write_leaderboards
from .tables import LEADERBOARDS, Table, build_all

__all__ = ["LEADERBOARDS", "Table", "build_all", "write_leaderboards"]
