"""The randomised cohort: ukbb's anatomy with tissue contrast and imaging drawn per subject."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from benchmark.synth.profiles import SCANNERS
from benchmark.synth.randomised import TISSUES, Ranges, draw_contrast, randomise
from benchmark.synth.subject import SubjectSpec, generate_subject


def _blood_over_myo(cohort_site: str, scanner: str, n: int) -> list[float]:
    """Mean LV-blood over mean myocardium signal at ED, per subject."""
    out = []
    for i in range(n):
        s = generate_subject(SubjectSpec(f"s{i}", cohort_site, scanner, "NOR", (5, 1, i)))
        img, lab = s.images["ED"], s.labels["ED"]
        out.append(float(img[lab == 1].mean() / img[lab == 2].mean()))
    return out


def test_contrast_is_drawn_per_subject_and_lv_blood_stays_one():
    rng = np.random.default_rng(0)
    drawn = [draw_contrast(rng, Ranges()) for _ in range(200)]
    assert all(c["blood"] == 1.0 and set(c) == set(TISSUES) for c in drawn)
    myo = np.array([c["myo"] for c in drawn])
    assert (myo > 1).mean() > 0.3 and (myo < 1).mean() > 0.3  # myocardium brighter than blood in a third


def test_randomise_keeps_identity_and_changes_imaging():
    base = SCANNERS.get("randomised")
    a, b = (randomise(base, np.random.default_rng(s)) for s in (1, 2))
    assert (a.vendor, a.model) == (b.vendor, b.model) == ("Synthetic", "Randomised")
    assert not a.randomised and a.contrast != b.contrast and a.gamma != b.gamma


@pytest.mark.slow
def test_randomised_subjects_span_contrasts_a_fixed_scanner_does_not():
    fixed = _blood_over_myo("ukbb", "siemens-aera-1.5t", 6)
    drawn = _blood_over_myo("ukbb-randomised", "randomised", 6)
    assert max(fixed) / min(fixed) < 1.3 and min(fixed) > 2  # bSSFP: blood 2-3x myocardium
    assert min(drawn) < 1 < max(drawn) and max(drawn) / min(drawn) > 2.5  # here 0.88 to 2.58


def test_cohort_is_deterministic_and_written_as_ukbb(tmp_path):
    from benchmark.synth.cohorts import generate_cohort

    a = generate_cohort("ukbb-random", tmp_path / "a", 1, seed=4)
    b = generate_cohort("ukbb-random", tmp_path / "b", 1, seed=4, workers=1)
    pd.testing.assert_frame_equal(a, b)
    sid = str(a.subject.iloc[0])
    assert sid.isdigit() and (tmp_path / "a" / sid / "sa_ED.nii.gz").read_bytes() == \
        (tmp_path / "b" / sid / "sa_ED.nii.gz").read_bytes()
    assert set(a.scanner) == {"Synthetic Randomised"}


def test_brightest_tissue_not_blood_sets_the_stored_scale():
    for seed in range(50):
        sc = randomise(SCANNERS.get("randomised"), np.random.default_rng(seed))
        brightest = max(sc.contrast.values()) ** sc.gamma * sc.scale
        assert 200 <= brightest <= 3000  # far below int16's 32767 even with bias and ringing


def test_the_randomised_site_is_listed_without_importing_the_generator():
    import subprocess
    import sys

    code = ("from benchmark.synth.profiles import SCANNERS, SITES; "
            "print(SITES.get('ukbb-randomised').scanners, SCANNERS.get('randomised').randomised)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "{'randomised': 1.0} True"
