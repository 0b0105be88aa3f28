"""Every suite shipped in suites/ validates: its keys, plugins, cohorts and job grid are what the docs promise."""
from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from benchmark.cli import app

SUITES = sorted((Path(__file__).resolve().parents[1] / "suites").glob("*.yaml"))
JOBS = {"quickstart": 2, "sim2real": 2, "paper_synthetic": 12, "dg_algorithms": 5}


def test_the_suites_folder_is_found():
    assert {p.stem for p in SUITES} >= set(JOBS)


@pytest.mark.parametrize("path", SUITES, ids=[p.stem for p in SUITES])
def test_shipped_suite_validates(path: Path):
    result = CliRunner().invoke(app, ["validate", str(path)])
    assert result.exit_code == 0, result.output
    assert f"suite '{path.stem}' is valid" in result.output
    if path.stem in JOBS:
        assert f"is valid: {JOBS[path.stem]} job(s)" in result.output
