"""Provenance stamped on every result: cmrbench version and commit, package versions, device."""
from __future__ import annotations

import platform
import subprocess
from importlib import metadata
from pathlib import Path

PACKAGES = ("torch", "numpy", "scipy", "pandas", "nibabel", "segmentation-models-pytorch", "timm", "pingouin")


def git_commit() -> str:
    """The commit of the cmrbench checkout, with '+dirty' when it has uncommitted changes ('' if unknown)."""
    root = Path(__file__).resolve().parent.parent
    try:
        sha = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True,
                             timeout=5).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=5).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""
    return f"{sha}{'+dirty' if dirty else ''}" if sha else ""


def provenance(**extra: object) -> dict[str, str]:
    """Version, commit, Python and package versions, plus anything passed (seed, device)."""
    from . import __version__

    info = {"cmrbench": __version__, "commit": git_commit() or "unknown", "python": platform.python_version()}
    for pkg in PACKAGES:
        try:
            info[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            info[pkg] = "not installed"
    info.update({k: str(v) for k, v in extra.items()})
    return info
