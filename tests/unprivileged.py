"""Run a check as a user without root's power to write anywhere: permissions tests must run in CI, as root too."""
from __future__ import annotations

import contextlib
import io
import os
import tempfile
import traceback
from collections.abc import Callable
from pathlib import Path

NOBODY = 65534


def shared_folder() -> Path:
    """A new folder under the system temp dir that an unprivileged user can enter and write into."""
    folder = Path(tempfile.mkdtemp(prefix="cmrbench-perm-"))
    folder.chmod(0o777)
    return folder


def run_unprivileged(check: Callable[[], None]) -> str:
    """Run `check` in a forked child as `nobody` when we are root (else here); its stderr, or raise its failure."""
    if os.geteuid() != 0:
        err = io.StringIO()
        with contextlib.redirect_stderr(err):
            check()
        return err.getvalue()
    import colorsys  # noqa: F401  (the child cannot read root's interpreter: import what printing needs here)

    import rich.text  # noqa: F401

    import benchmark.console  # noqa: F401

    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: drop root, run the check, report through the pipe, never return to pytest
        os.close(read)
        status, text = 0, ""
        try:
            os.setgid(NOBODY)
            os.setuid(NOBODY)
            err = io.StringIO()
            with contextlib.redirect_stderr(err):
                check()
            text = err.getvalue()
        except BaseException:
            status, text = 1, traceback.format_exc()
        with os.fdopen(write, "w") as fh:
            fh.write(f"{status}\n{text}")
        os._exit(0)
    os.close(write)
    with os.fdopen(read) as fh:
        status, _, text = fh.read().partition("\n")
    os.waitpid(pid, 0)
    if status != "0":
        raise AssertionError(f"the unprivileged check failed:\n{text}")
    return text
