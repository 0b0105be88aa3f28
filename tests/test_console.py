"""Off a terminal: plain progress lines every N steps, tables never cut; --quiet and --version."""
from __future__ import annotations

import re

from rich.table import Table
from typer.testing import CliRunner

import benchmark
from benchmark.cli import app
from benchmark.console import console
from benchmark.run.progress import training_progress

LINE = re.compile(r"^training unet16 \+ paper seed 0: step (\d+)/40 loss 0\.5000 lr 0\.002 elapsed \d+s eta \d+s$")


def run_progress() -> None:
    with training_progress("unet16 + paper seed 0", 40, lr=lambda step: 0.002) as update:
        for step in range(1, 41):
            update(step, 40, 0.5)


def test_plain_lines_every_twentieth_of_the_training(capsys, monkeypatch):
    monkeypatch.delenv("CMRBENCH_NO_PROGRESS", raising=False)
    run_progress()
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 20 and all(LINE.match(line) for line in lines), lines[:3]
    assert [int(LINE.match(line).group(1)) for line in lines][:3] == [2, 4, 6]
    monkeypatch.setenv("CMRBENCH_PROGRESS_EVERY", "15")
    run_progress()
    assert [int(LINE.match(line).group(1)) for line in capsys.readouterr().out.splitlines()] == [15, 30, 40]


def test_no_progress_and_quiet_print_nothing(capsys, monkeypatch):
    monkeypatch.setenv("CMRBENCH_NO_PROGRESS", "1")
    run_progress()
    assert capsys.readouterr().out == ""
    monkeypatch.delenv("CMRBENCH_NO_PROGRESS")
    monkeypatch.setattr(console, "quiet", True)
    run_progress()
    assert capsys.readouterr().out == ""


def test_a_wide_table_is_printed_whole_off_a_terminal(capsys):
    table = Table("method", *[f"acdc {s} dice" for s in ("LV", "MYO", "RV")] * 4)
    table.add_row("unet16 + paper + adv_bias-no-affine", *["0.961 [0.93, 0.98] n=10"] * 12)
    console.print(table)
    out = capsys.readouterr().out
    assert "…" not in out and out.count("0.961 [0.93, 0.98] n=10") == 12
    assert "unet16 + paper + adv_bias-no-affine" in out


def test_version_and_quiet_options():
    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0 and result.output.strip() == f"cmrbench {benchmark.__version__}"
    quiet = CliRunner().invoke(app, ["--quiet", "list", "algorithms"])
    assert quiet.exit_code == 0 and quiet.output == ""
    console.quiet = False
    assert "mixstyle" in CliRunner().invoke(app, ["list", "algorithms"]).output
