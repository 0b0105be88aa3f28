"""Errors that cmrbench reports to the user as one clear line."""
from __future__ import annotations


class CmrbenchError(Exception):
    """A user error (bad path, unknown name, bad YAML): shown as one line, never a traceback."""


class UnknownNameError(CmrbenchError, KeyError):
    """A name that no registry knows."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""
