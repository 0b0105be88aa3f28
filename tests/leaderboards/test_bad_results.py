"""`leaderboard` and `compare` on damaged result sets: one `error:` line naming the file and what is wrong, exit 2."""
from __future__ import annotations

import errno
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from toy_results import toy_results
from typer.testing import CliRunner

from benchmark.atomic import WriteError
from benchmark.cli import app
from benchmark.leaderboards import write_leaderboards

runner = CliRunner()


def _rewrite(name: str, change: Callable[[bytes], bytes]) -> Callable[[Path], Path]:
    def damage(out: Path) -> Path:
        path = out / "results" / name
        path.write_bytes(change(path.read_bytes()))
        return path

    return damage


def _field(name: str, value: str, row: int = 1) -> Callable[[bytes], bytes]:
    """Set column `name` of data row `row` (1 = first after the header) to `value`."""

    def change(data: bytes) -> bytes:
        lines = data.decode().split("\n")
        col = lines[0].split(",").index(name)
        cells = lines[row].split(",")
        cells[col] = value
        lines[row] = ",".join(cells)
        return "\n".join(lines).encode()

    return change


def _drop_column(name: str) -> Callable[[bytes], bytes]:
    def change(data: bytes) -> bytes:
        rows = [line.split(",") for line in data.decode().split("\n")]
        col = rows[0].index(name)
        return "\n".join(",".join(r[:col] + r[col + 1:]) if r != [""] else "" for r in rows).encode()

    return change


def _missing_results(out: Path) -> Path:
    shutil.rmtree(out)
    return out


# (damage, what the message says); each damage returns the path the message must name
DAMAGES = {
    "cut mid-row": (_rewrite("cases.csv", lambda d: d[:-25]), "the last line has no line end"),
    "number cut short": (_rewrite("cases.csv", lambda d: d.rstrip(b"\n").rsplit(b",", 1)[0] + b",L"),
                         "the last line has no line end"),
    "row with too few fields": (_rewrite("cases.csv", lambda d: d[:-25] + b"\n"),
                                "line 9 has 15 field(s), the header 20"),
    "no dice column": (_rewrite("cases.csv", _drop_column("dice")), "no column(s) dice"),
    "not UTF-8": (_rewrite("cases.csv", lambda d: d.replace(b"S003", "S\xe9".encode("latin-1"), 1)),
                  "not UTF-8 text (byte 0xe9"),
    "binary": (_rewrite("cases.csv", lambda d: bytes(range(256)) * 4), "a binary file, not a CSV"),
    "empty": (_rewrite("cases.csv", lambda d: b""), "an empty file"),
    "dice abc": (_rewrite("cases.csv", _field("dice", "abc", row=3)), "line 4: dice 'abc' is not a number"),
    "dice 1.7": (_rewrite("cases.csv", _field("dice", "1.7", row=2)), "line 3: dice 1.7 is outside [0, 1]"),
    "dice -0.2": (_rewrite("cases.csv", _field("dice", "-0.2", row=2)), "line 3: dice -0.2 is outside [0, 1]"),
    "dice empty (NaN)": (_rewrite("cases.csv", _field("dice", "", row=5)), "line 6: no dice"),
    "dice NaN": (_rewrite("cases.csv", _field("dice", "NaN", row=5)), "line 6: no dice"),
    "volume abc": (_rewrite("cases.csv", _field("vol_ref_ml", "12.x")), "line 2: vol_ref_ml '12.x' is not a number"),
    "no subject": (_rewrite("cases.csv", _field("subject", "", row=4)), "line 5: no subject"),
    "jobs.csv cut short": (_rewrite("jobs.csv", lambda d: d[:-3]), "the last line has no line end"),
    "expected.csv without job": (_rewrite("expected.csv", _drop_column("job")), "no column(s) job"),
    "meta.json binary": (_rewrite("meta.json", lambda d: b"\xff\xfe\x00{"), 'not a JSON object like {"name": ...}'),
    "no results folder": (_missing_results, "no such folder"),
}


def _out(result) -> str:  # type: ignore[no-untyped-def]
    return " ".join(result.output.split())  # the one line, however the terminal wrapped it


@pytest.fixture
def result_sets(tmp_path) -> tuple[Path, Path]:
    good, bad = tmp_path / "good", tmp_path / "bad"
    toy_results(subjects=4, method="unet + paper").write(good)
    toy_results(subjects=4, method="unet + none").write(bad)
    return good, bad


@pytest.mark.parametrize("damage", list(DAMAGES))
@pytest.mark.parametrize("command", ["leaderboard", "compare"])
def test_a_damaged_result_set_is_one_error_line_naming_the_file(result_sets, command, damage):
    good, bad = result_sets
    change, message = DAMAGES[damage]
    path = change(bad)
    args = ["leaderboard", str(good), str(bad)] if command == "leaderboard" else ["compare", str(good), str(bad)]
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output and isinstance(result.exception, SystemExit)
    assert _out(result).startswith(f"error: {path}: ") and message in _out(result), result.output


def test_leaderboards_cut_by_a_full_disk_keep_the_previous_tables(tmp_path, monkeypatch):
    write_leaderboards(toy_results(subjects=4), tmp_path)
    md = tmp_path / "leaderboards" / "table3_methods.md"
    before = md.read_text()
    assert "0.9" in before
    real = Path.write_text

    def full(self, text, *args, **kwargs):  # type: ignore[no-untyped-def]
        real(self, text[: len(text) // 2])
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(Path, "write_text", full)
    with pytest.raises(WriteError, match="table3_methods.md: cannot write \\(No space left on device\\)"):
        write_leaderboards(toy_results(subjects=4, dice=lambda *a: 0.5), tmp_path)
    assert md.read_text() == before
    assert sorted(p.name for p in md.parent.iterdir() if p.name.startswith(".")) == []  # no temporary left


def test_leaderboard_out_that_is_a_file_is_one_error_line(result_sets, tmp_path):
    good, _ = result_sets
    notes = tmp_path / "notes.txt"
    notes.write_text("keep me\n")
    result = runner.invoke(app, ["leaderboard", str(good), "--out", str(notes)])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert _out(result) == f"error: {notes / 'leaderboards'}: cannot write (Not a directory)"
    assert notes.read_text() == "keep me\n"
