"""Clinical decisions from automatic measures: LVEF heart-failure category, its agreement, errors past observer limits.

LVEF categories follow the 2021 ESC heart failure guideline (McDonagh, Metra et al., Eur Heart J 2021;42:3599-3726,
doi:10.1093/eurheartj/ehab368): HFrEF LVEF <= 40 %, HFmrEF 41-49 %, HFpEF >= 50 %; on a continuous EF that is
<= 40, (40, 50) and >= 50.

Inter-observer limits (INTEROBSERVER): Lawton, Imobeke, McAlindon, Harris, Bucciarelli-Ducci, "Inter- and intra-study
reproducibility of LV volume analysis performed by technologists", J Cardiovasc Magn Reson 2012;14(Suppl 1):T11,
doi:10.1186/1532-429X-14-S1-T11: Bland-Altman of two observers on 20 cine CMR studies (ischaemic heart disease),
mean (SD) difference LVEDV 2.4 (6.1) mL and LV mass 5.1 (11.3) g. A subject is past the limit when
|auto - manual| > 1.96 SD (11.96 mL, 22.15 g): the half-width of the 95 % limits of agreement, without the bias,
whose sign depends only on which observer came first. For scale, Suinesiaputra et al. (J Cardiovasc Magn Reson
2015;17:63, seven core laboratories, 15 cases) report inter-reader agreement of 15.2-28.4 mL (EDV) and 20.2-34.5 g
(LV mass).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..bootstrap import LEVEL, N_RESAMPLES, SEED, percentile_interval

CATEGORIES = ("HFrEF", "HFmrEF", "HFpEF")
REDUCED_MAX, PRESERVED_MIN = 40.0, 50.0


@dataclass(frozen=True)
class Limit:
    """A published inter-observer Bland-Altman result: mean and SD of the differences, unit and source."""

    bias: float
    sd: float
    unit: str
    source: str

    @property
    def half_width(self) -> float:
        """Half the width of the 95 % limits of agreement (1.96 SD)."""
        return 1.96 * self.sd


_LAWTON = "Lawton et al., J Cardiovasc Magn Reson 2012;14(Suppl 1):T11"
INTEROBSERVER: dict[str, Limit] = {"LVEDV": Limit(2.4, 6.1, "mL", _LAWTON), "LVM": Limit(5.1, 11.3, "g", _LAWTON)}


def ef_category(ef: np.ndarray) -> np.ndarray:
    """ESC 2021 category of each LVEF in %: 'HFrEF' (<= 40), 'HFmrEF' (40-50), 'HFpEF' (>= 50), '' if NaN."""
    x = np.asarray(ef, float)
    out = np.where(x <= REDUCED_MAX, CATEGORIES[0], np.where(x < PRESERVED_MIN, CATEGORIES[1], CATEGORIES[2]))
    return np.where(np.isnan(x), "", out).astype(object)


def _codes(labels: np.ndarray, categories: tuple[str, ...]) -> np.ndarray:
    index = {c: i for i, c in enumerate(categories)}
    return np.array([index.get(x, -1) for x in labels], int)


def _confusion_codes(a: np.ndarray, b: np.ndarray, k: int) -> np.ndarray:
    ok = (a >= 0) & (b >= 0)
    return np.bincount(a[ok] * k + b[ok], minlength=k * k).reshape(k, k)


def confusion(a: np.ndarray, b: np.ndarray, categories: tuple[str, ...] = CATEGORIES) -> np.ndarray:
    """Counts of (a category, b category) pairs: rows a, columns b, in the order of `categories`."""
    return _confusion_codes(_codes(a, categories), _codes(b, categories), len(categories))


def kappa_from_confusion(m: np.ndarray) -> float:
    """Cohen's unweighted kappa (p_o - p_e) / (1 - p_e); NaN without pairs or when p_e = 1 (one category only)."""
    m = np.asarray(m, float)
    n = m.sum()
    if n == 0:
        return float("nan")
    po = np.trace(m) / n
    pe = float((m.sum(axis=1) * m.sum(axis=0)).sum() / n**2)
    return float((po - pe) / (1 - pe)) if pe < 1 else float("nan")


def cohen_kappa(a: np.ndarray, b: np.ndarray, categories: tuple[str, ...] = CATEGORIES) -> float:
    """Cohen's unweighted kappa of two category labellings of the same subjects (pairs with '' left out)."""
    return kappa_from_confusion(confusion(a, b, categories))


def flip_share(auto_ef: np.ndarray, manual_ef: np.ndarray) -> tuple[float, int]:
    """Share of subjects whose automatic LVEF category differs from the manual one, and n (both EFs known)."""
    a, m = ef_category(auto_ef), ef_category(manual_ef)
    ok = (a != "") & (m != "")
    return (float((a[ok] != m[ok]).mean()) if ok.any() else float("nan")), int(ok.sum())


def beyond_limit_share(auto: np.ndarray, manual: np.ndarray, limit: Limit) -> tuple[float, int]:
    """Share of subjects with |auto - manual| > the limit's 1.96 SD, and n (both values known)."""
    a, m = np.asarray(auto, float), np.asarray(manual, float)
    ok = np.isfinite(a) & np.isfinite(m)
    share = float((np.abs(a[ok] - m[ok]) > limit.half_width).mean()) if ok.any() else float("nan")
    return share, int(ok.sum())


def bootstrap_stat(stat: Callable[[np.ndarray], float], n: int, n_resamples: int = N_RESAMPLES, seed: int = SEED,
                   level: float = LEVEL) -> tuple[float, float]:
    """Percentile bootstrap interval of stat(indices) over n subjects resampled with replacement (NaN draws dropped)."""
    if n < 2:
        return float("nan"), float("nan")
    rng = np.random.default_rng(seed)
    return percentile_interval(np.array([stat(idx) for idx in rng.integers(0, n, size=(n_resamples, n))]), level)


def kappa_interval(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """95 % percentile bootstrap interval of Cohen's kappa, resampling subjects (seeded)."""
    ca, cb = _codes(a, CATEGORIES), _codes(b, CATEGORIES)
    ok = (ca >= 0) & (cb >= 0)
    ca, cb = ca[ok], cb[ok]
    return bootstrap_stat(lambda idx: kappa_from_confusion(_confusion_codes(ca[idx], cb[idx], len(CATEGORIES))),
                          len(ca))
