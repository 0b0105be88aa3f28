"""The hostile-input corpus: each case writes one bad input into a sandbox and says which command to run on it.

A case's `build(env)` returns a `Call`: the command's arguments, the folders it may write to, and the names
(file names, keys) that its error message or errors.csv row must contain. test_corpus.py runs every call and
checks the promise (README.md). Nothing here knows how the product should word a message.

`env` holds the registry (`Env`, `Call`, `Case`, `CASES`, `case`/`add`), `tools` the low-level writers that damage a
file, `calls` the commands and the suite they run; each other module is one family (two for `suite`: `suite` and
`set`) and registers its cases when imported, in the order below, so `CASES` keeps the order of `FAMILIES`.
"""
from __future__ import annotations

from importlib import import_module

from .calls import TINY
from .env import CASES, FAMILIES, Call, Case, Env, add, case

# imported in FAMILIES order (an import sorter must not reorder them): CASES is filled as each module loads
for _module in ("nifti", "layout", "manifest", "suite", "checkpoint", "prediction", "runstate"):
    import_module(f".{_module}", __name__)

__all__ = ["CASES", "FAMILIES", "TINY", "Call", "Case", "Env", "add", "case"]
