"""Preprocessing: physical areas survive resampling, per-slice z-score, crop/pad, the settings-keyed cache."""
from __future__ import annotations

import numpy as np
import pytest
from layouts import write_ukbb

from benchmark.data.adapters import get_adapter
from benchmark.data.manifest import write_manifest
from benchmark.digest import FileDigests, case_digest
from benchmark.preprocess import PreparedStore, Preprocess, crop_or_pad, normalise_slices, resample_inplane


def disc(shape: tuple[int, int], spacing: float, radius_mm: float) -> np.ndarray:
    x, y = (np.mgrid[: shape[0], : shape[1]] + 0.5) * spacing
    c = np.array(shape) * spacing / 2
    return (np.hypot(x - c[0], y - c[1]) < radius_mm).astype(np.uint8)[..., None]


@pytest.mark.parametrize("radius", [12.0, 25.0])
def test_resampling_1_8_to_1_25_mm_keeps_physical_area_within_2_percent(radius):
    lab = disc((120, 110), 1.8, radius)
    out = resample_inplane(lab, (1.8, 1.8), 1.25, order=0)
    assert out.shape == (173, 158, 1)
    before, after = lab.sum() * 1.8**2, out.sum() * 1.25**2
    assert after == pytest.approx(before, rel=0.02)
    assert before == pytest.approx(np.pi * radius**2, rel=0.03)


def test_resampling_linear_keeps_intensity_and_zero_outside():
    img = np.full((40, 30, 2), 7.0)
    out = resample_inplane(img, (1.0, 1.0), 0.5, order=1)
    assert out.shape == (80, 60, 2)
    assert np.allclose(out[2:-2, 2:-2], 7.0) and out[0, 0, 0] < 7.0


def test_per_slice_zscore_and_percentile():
    vol = np.stack([np.arange(1600.0).reshape(40, 40), 5 + 3 * np.arange(1600.0).reshape(40, 40)], -1)
    z = normalise_slices(vol, "zscore")
    assert np.allclose(z.mean(axis=(0, 1)), 0, atol=1e-5) and np.allclose(z.std(axis=(0, 1)), 1, atol=1e-4)
    assert np.allclose(z[..., 0], z[..., 1], atol=1e-5)
    vol[0, 0, 0] = 1e6
    assert normalise_slices(vol, "zscore")[..., 0].max() > 30  # one outlier dominates a plain z-score
    assert normalise_slices(vol, "percentile")[..., 0].max() < 2  # clipped at the 99th percentile


def test_crop_or_pad_centres():
    a = np.arange(12).reshape(3, 4)
    assert crop_or_pad(a, (1, 2)).tolist() == [[5, 6]]
    padded = crop_or_pad(a, (5, 6), value=-1)
    assert padded.shape == (5, 6) and padded[1, 1] == 0 and padded[0, 0] == -1


def test_store_prepares_once_and_keys_on_settings(tmp_path):
    write_ukbb(tmp_path / "ukbb", ("1000001",))
    df = write_manifest(get_adapter("ukbb").index(tmp_path / "ukbb").rows, tmp_path / "m.csv")
    files = FileDigests()
    df["case_digest"] = [case_digest(r, df.attrs["root"], files) for r in df.to_dict("records")]
    store = PreparedStore(tmp_path / "cache", Preprocess(target_spacing=1.25))
    assert store.prepare(df) == []
    files = sorted(store.root.glob("*.npz"))
    stamps = [f.stat().st_mtime_ns for f in files]
    assert len(files) == df["case_digest"].nunique()  # identical ED and ES files share one prepared case
    assert store.prepare(df) == [] and [f.stat().st_mtime_ns for f in files] == stamps
    case = store.load(df.iloc[0])
    assert case.spacing[:2] == (1.25, 1.25) and case.image.shape[:2] == (32, 29)
    other = PreparedStore(tmp_path / "cache", Preprocess(target_spacing=None))
    assert other.root != store.root
    assert store.path(df.iloc[0]).stem == df.iloc[0]["case_digest"]  # named by content, never by subject
