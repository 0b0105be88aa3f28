"""Atomic writes: a temporary name unique to this process and thread, then a rename."""
from __future__ import annotations

import os
import threading
from pathlib import Path


def temporary_name(target: Path) -> Path:
    """A sibling of `target` that no other process or thread writes (keeps the suffix for numpy/pandas)."""
    return target.with_name(f".{target.stem}.{os.getpid()}.{threading.get_ident()}.tmp{target.suffix}")


def write_text_atomic(target: Path, text: str) -> None:
    """Write text to `target` so that readers see the old or the new file, never half of one."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = temporary_name(target)
    tmp.write_text(text)
    tmp.replace(target)
