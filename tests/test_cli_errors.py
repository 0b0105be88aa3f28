"""The CLI's promise: input errors are one line and exit 2, bugs a traceback with a request for a report."""
from __future__ import annotations

import errno

import pytest
from typer.testing import CliRunner

import benchmark.cli.data as data_cli
from benchmark.cli import BUG, USER_ERROR, app


def run(*args: object):
    return CliRunner().invoke(app, [str(a) for a in args])


@pytest.mark.parametrize("exc, text", [
    (OSError(errno.ENOSPC, "No space left on device", "/out/results/cases.csv"),
     "error: /out/results/cases.csv: the disk is full"),
    (PermissionError(errno.EACCES, "Permission denied", "/out"), "error: /out: Permission denied"),
    (NotADirectoryError(errno.ENOTDIR, "Not a directory", "/out/x"), "error: /out/x: Not a directory"),
    (MemoryError(), "error: not enough memory for this input"),
    (UnicodeDecodeError("utf-8", b"\xff", 0, 1, "invalid start byte"), "error: an input file is not UTF-8 text"),
])
def test_input_and_machine_errors_are_one_line_and_exit_2(monkeypatch, tmp_path, exc, text):
    def fail(*args, **kwargs):
        raise exc

    monkeypatch.setattr("benchmark.data.manifest.load_manifest", fail)
    result = run("data", "check", tmp_path / "m.csv")
    assert result.exit_code == USER_ERROR == 2
    assert result.output.startswith(text) and result.output.count("\n") == 1 and "Traceback" not in result.output


def test_a_bug_shows_its_traceback_and_asks_for_a_report(monkeypatch, tmp_path, capsys):
    def bug(*args, **kwargs):
        return {}["no such key"]

    monkeypatch.setattr("benchmark.data.manifest.load_manifest", bug)
    result = run("data", "check", tmp_path / "m.csv")
    assert result.exit_code == BUG == 3
    assert "KeyError: 'no such key'" in result.output and "This is a bug in cmrbench" in result.output


def test_usage_errors_stay_clicks_own(tmp_path):
    result = run("data", "check")
    assert result.exit_code == 2 and "Missing argument" in result.output
    assert data_cli.check  # the command under test exists
