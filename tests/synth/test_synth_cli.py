"""`cmrbench synth`: writes a cohort and its preview; refuses to mix cohorts in one folder."""
from __future__ import annotations

from typer.testing import CliRunner

from benchmark.cli import app


def test_synth_writes_cohort_and_preview_then_refuses_non_empty(tmp_path):
    runner = CliRunner()
    out, png = tmp_path / "ukbb", tmp_path / "preview.png"
    result = runner.invoke(app, ["synth", "ukbb", "--out", str(out), "-n", "2", "--preview", str(png)])
    assert result.exit_code == 0, result.output
    assert len(list(out.glob("*/sa_ED.nii.gz"))) == 2 and (out / "truth.csv").is_file()
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    again = runner.invoke(app, ["synth", "ukbb", "--out", str(out), "-n", "2"])
    assert again.exit_code == 2 and "not empty" in again.output
    unknown = runner.invoke(app, ["synth", "ukbbb", "--out", str(tmp_path / "x")])
    assert unknown.exit_code == 2 and "did you mean 'ukbb'" in unknown.output
