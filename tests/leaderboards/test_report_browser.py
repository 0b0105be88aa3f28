"""report.html in a real browser (headless Chromium): every table and image renders, tables sort on a click, no
console errors; a screenshot is saved (to CMRBENCH_SCREENSHOTS if set)."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from browser import Browser, chromium_path
from toy_results import stack, subject_values, toy_results

from benchmark.clinical import clinical_measures
from benchmark.leaderboards import write_leaderboards

pytestmark = pytest.mark.skipif(chromium_path() is None, reason="Debian's chromium is not installed "
                                "(.ci/run installs it; locally: apt-get install chromium)")
pytest.importorskip("websocket", reason="websocket-client (a dev dependency) drives Chromium")


def results():
    a, b = subject_values(1, 10), subject_values(2, 10)
    worse = toy_results(subjects=10, method="unet16 + none", structures=("LV", "MYO", "RV"),
                        dice=lambda seed, i, ph, s: a[i] - 0.2, missing=((0, 3, "ES"),),
                        vol_ref=lambda i, ph, s: 150.0 - 40 * (ph == "ES") + i)
    better = toy_results(subjects=10, method="unet16 + paper", structures=("LV", "MYO", "RV"),
                         dice=lambda seed, i, ph, s: b[i], vol_ref=lambda i, ph, s: 150.0 - 40 * (ph == "ES") + i)
    res = stack(worse, better)
    res.clinical = clinical_measures(res.cases)  # LV/RV volumes and EF, LV mass: Table IX and Bland-Altman
    return res


def test_report_renders_in_chromium(tmp_path):
    res = results()
    tables = write_leaderboards(res, tmp_path, {"cmrbench": "0.2.0.dev0", "commit": "abc123", "suite": "toy",
                                                "seeds": "0", "selection": "source_val", "device": "cpu"})
    page = tmp_path / "leaderboards" / "report.html"
    shots = Path(os.environ.get("CMRBENCH_SCREENSHOTS", tmp_path))
    shots.mkdir(parents=True, exist_ok=True)
    with Browser() as browser:
        browser.open(page.as_uri())
        seen = browser.evaluate("""(() => ({
            boards: [...document.querySelectorAll('table.board')].map(t => t.tBodies[0].rows.length),
            sections: [...document.querySelectorAll('h2[id]')].map(h => h.id),
            images: [...document.images].map(i => [i.alt, i.naturalWidth, i.naturalHeight]),
            links: [...document.querySelectorAll('nav a')].map(a => a.getAttribute('href')),
            provenance: document.querySelector('#provenance').innerText,
            external: [...document.querySelectorAll('[src]:not(img), link[href]')].length,
        }))()""")
        first = "document.querySelector('#table3_methods').parentElement.querySelector('table.board tbody tr td')"
        before = browser.evaluate(f"{first}.textContent")
        browser.evaluate("document.querySelector('#table3_methods').parentElement"
                         ".querySelector('table.board thead th').click()")  # sort by method, ascending...
        browser.evaluate("document.querySelector('#table3_methods').parentElement"
                         ".querySelector('table.board thead th').click()")  # ...then descending
        after = browser.evaluate(f"{first}.textContent")
        shot = browser.screenshot(shots / "report.png")
        errors = browser.console_errors()
    assert errors == []
    present = [t.name for t in tables if not t.absent]
    assert set(present) <= set(seen["sections"]) and {"table9_correlation", "bland_altman"} <= set(present)
    assert len(seen["boards"]) >= len(present) and all(n > 0 for n in seen["boards"])
    assert seen["images"] and all(w > 0 and h > 0 for _, w, h in seen["images"]), seen["images"]
    assert all(f"#{name}" in seen["links"] for name in present) and "#errors" in seen["links"]
    for label in ("version", "commit", "suite", "seeds", "selection rule", "device"):
        assert label in seen["provenance"]
    assert seen["external"] == 0  # self-contained: no script, style or image fetched from elsewhere
    assert (before, after) == ("unet16 + none", "unet16 + paper")
    assert shot.stat().st_size > 10_000
    assert np.frombuffer(shot.read_bytes()[:8], np.uint8).tolist() == [137, 80, 78, 71, 13, 10, 26, 10]
