"""Atomic writes: a temporary name unique to this process and thread, then a rename.

A reader sees the old file or the new one, never half of one; two processes writing the same target never share
a temporary file; a write that fails (full disk, read-only folder) leaves no temporary behind and raises
WriteError, which names the file and the reason in one line."""
from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .errors import CmrbenchError


class WriteError(CmrbenchError, OSError):
    """A file could not be written: shown as one line by the CLI, still an OSError to code that catches those."""

    def __init__(self, target: Path, exc: OSError) -> None:
        reason = exc.strerror or str(exc) or type(exc).__name__
        super().__init__(f"{target}: cannot write ({reason})")
        self.errno = exc.errno
        self.strerror = exc.strerror
        self.filename = str(target)

    def __str__(self) -> str:  # OSError would format the errno instead of the message
        return str(self.args[0])


def temporary_name(target: Path) -> Path:
    """A sibling of `target` that no other process or thread writes (keeps the suffix for numpy/pandas)."""
    return target.with_name(f".{target.stem}.{os.getpid()}.{threading.get_ident()}.tmp{target.suffix}")


def replace_atomic(target: Path, write: Callable[[Path], Any]) -> None:
    """Call `write(tmp)` on a temporary sibling of `target`, then rename it over `target`."""
    target = Path(target)
    tmp = temporary_name(target)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        write(tmp)
        os.replace(tmp, target)
    except BaseException as exc:
        try:
            tmp.unlink(missing_ok=True)
        except OSError:
            pass
        if isinstance(exc, OSError) and not isinstance(exc, WriteError):
            raise WriteError(target, exc) from exc
        raise


def write_text_atomic(target: Path, text: str) -> None:
    """Write text (UTF-8) to `target` so that readers see the old or the new file, never half of one."""
    replace_atomic(target, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def write_csv_atomic(df: Any, target: Path, **kwargs: Any) -> None:
    """`df.to_csv(target, **kwargs)` through a temporary name and a rename."""
    replace_atomic(target, lambda tmp: df.to_csv(tmp, **kwargs))
