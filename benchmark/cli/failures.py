"""Which exceptions come from the user's input or machine (one line) and which are bugs (a report)."""
from __future__ import annotations

import errno
import sys
import traceback

_DISK = {errno.ENOSPC: "the disk is full", errno.EDQUOT: "the disk quota is exceeded",
         errno.EROFS: "the file system is read-only"}


def user_error_message(exc: BaseException) -> str | None:
    """One line for an error the user can fix (a file, a disk, a format); None when it is a bug."""
    if isinstance(exc, OSError):
        what = _DISK.get(exc.errno or 0) or exc.strerror or str(exc)
        where = exc.filename or ""
        return f"{where}: {what}" if where else what
    if isinstance(exc, MemoryError):
        return "not enough memory for this input (a smaller batch, crop or fewer workers may help)"
    if isinstance(exc, UnicodeDecodeError):
        return f"an input file is not UTF-8 text ({exc.reason} at byte {exc.start})"
    import yaml

    if isinstance(exc, yaml.YAMLError):
        return f"not valid YAML ({' '.join(str(exc).split())})"
    import pandas as pd

    if isinstance(exc, (pd.errors.ParserError, pd.errors.EmptyDataError)):
        return f"a CSV input cannot be read ({' '.join(str(exc).split())})"
    return None


def report_bug(exc: BaseException) -> None:
    """The traceback, then a line saying this is cmrbench's fault and where to report it."""
    traceback.print_exception(exc, file=sys.stderr)
    print("\nThis is a bug in cmrbench, not in your input. Please report it on the issue tracker of the "
          "repository you installed cmrbench from, with the traceback above and the command you ran.",
          file=sys.stderr)
