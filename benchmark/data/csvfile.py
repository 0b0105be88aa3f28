"""Reading a user's CSV as text: UTF-8 (with or without BOM) and a comma, semicolon or tab separator."""
from __future__ import annotations

import codecs
import csv
import io
from pathlib import Path

import pandas as pd

from .problems import DataError, Problem

SEPARATORS = ",;\t"
MAX_BYTES = 64 * 2**20  # a manifest of 100,000 cases is about 30 MB


def _fail(path: Path, why: str) -> DataError:
    return DataError(Problem(str(path), "unreadable table", why))


def read_csv_text(path: Path) -> pd.DataFrame:
    """All cells as strings; any defect raises DataError naming the file and the reason."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise _fail(path, f"{size:,} bytes; a table larger than {MAX_BYTES:,} bytes is not read")
        raw = path.read_bytes()
    except OSError as exc:
        raise _fail(path, exc.strerror or str(exc)) from None
    text = decode_text(path, raw)
    header = text.lstrip().split("\n", 1)[0]
    if not header.strip():
        raise _fail(path, "empty file: no header line")
    sep = max(SEPARATORS, key=header.count)
    _check_fields(path, text, sep)
    try:
        df = pd.read_csv(io.StringIO(text), sep=sep, dtype=str, keep_default_na=False, index_col=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, csv.Error, ValueError) as exc:
        raise _fail(path, f"not a readable CSV ({' '.join(str(exc).split())})") from None
    df.columns = [str(c).strip() for c in df.columns]
    twice = sorted({c for c in df.columns if list(df.columns).count(c) > 1})
    if twice:
        raise _fail(path, f"column(s) {', '.join(twice)} given more than once")
    return df


def decode_text(path: Path, raw: bytes) -> str:
    """UTF-8 (BOM or not), or UTF-16 with its BOM (as spreadsheets save 'Unicode text'); never binary."""
    try:
        if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            text = raw.decode("utf-16")
        else:
            text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _fail(path, f"not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset {exc.start}); "
                          "save it as UTF-8") from None
    if "\x00" in text:
        raise _fail(path, "binary content (NUL bytes), not a CSV")
    return text


def _check_fields(path: Path, text: str, sep: str) -> None:
    """Refuse a row with more fields than the header: its values would shift into the wrong columns."""
    rows = csv.reader(io.StringIO(text), delimiter=sep)
    try:
        width = len(next(rows))
        for row in rows:
            if len(row) > width:
                raise _fail(path, f"line {rows.line_num} has {len(row)} fields, the header {width} "
                                  f"(separator {sep!r}; a value holding {sep!r} must be quoted)")
    except csv.Error as exc:
        raise _fail(path, f"not a readable CSV (line {rows.line_num}: {exc})") from None
