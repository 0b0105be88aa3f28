"""Content identity: file digests (memoised by path, size and modification time) and per-case digests."""
from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from pathlib import Path

from .atomic import write_text_atomic


def digest_bytes(path: Path, chunk: int = 1 << 20) -> str:
    """SHA-1 of a file's bytes."""
    h = hashlib.sha1()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()


def digest_json(obj: object, length: int = 12) -> str:
    """A stable short hash of a JSON-able object."""
    return hashlib.sha1(json.dumps(obj, sort_keys=True, default=str).encode()).hexdigest()[:length]


class FileDigests:
    """SHA-1 of files, read once: a memo keyed by absolute path, size and mtime lives in a JSON file."""

    def __init__(self, memo: Path | None = None) -> None:
        self.memo_path = memo
        self.memo: dict[str, list] = {}
        if memo is not None and memo.is_file():
            try:
                self.memo = json.loads(memo.read_text())
            except (OSError, ValueError):
                self.memo = {}  # a damaged memo only costs re-reading the files
        self.changed = False

    def __call__(self, path: str | Path) -> str:
        """The file's digest ('' for no file)."""
        if not str(path):
            return ""
        p = Path(path).resolve()
        try:
            st = p.stat()
        except OSError:
            return "missing"
        key = str(p)
        hit = self.memo.get(key)
        if hit and hit[0] == st.st_size and hit[1] == st.st_mtime_ns:
            return str(hit[2])
        value = digest_bytes(p)
        self.memo[key] = [st.st_size, st.st_mtime_ns, value]
        self.changed = True
        return value

    def save(self) -> None:
        """Write the memo back (atomically) when it changed."""
        if self.memo_path is not None and self.changed:
            write_text_atomic(self.memo_path, json.dumps(self.memo))
            self.changed = False


CASE_FIELDS = ("frame", "label_map", "labels_present")


def case_digest(row: Mapping, root: str | Path, files: FileDigests) -> str:
    """What a case is: the bytes of its image and label files and how they are read (frame, label map)."""
    def full(p: object) -> str:
        s = str(p or "")
        return s if not s or os.path.isabs(s) else str(Path(root) / s)

    parts = {"image": files(full(row.get("image"))), "label": files(full(row.get("label"))),
             **{k: str(row.get(k, "")) for k in CASE_FIELDS}}
    return digest_json(parts, 16)
