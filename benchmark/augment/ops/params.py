"""Validation of operation parameters: each op checks its own at construction, errors name the key.

Conventions for a single number x given where a range is expected (TorchIO's, where it has one):
- symmetric (rotate degrees, brightness): x means [-x, x], x >= 0;
- multiplicative (gamma, contrast, scale): x means [1/x, x], x >= 1; ranges must be > 0;
- magnitude (noise sd, blur sigma, sharpen amount, spike intensity, ghost strength, motion fraction):
  x means [0, x], x >= 0;
- at-least-m (low_resolution factor from 1, ghosting period from 2): x means [m, x], x >= m.
A [low, high] pair is taken as given once it is ordered and inside the parameter's domain.
"""
from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from typing import Any

from ...errors import CmrbenchError

Range = tuple[float, float]


class ParameterError(CmrbenchError):
    """A parameter outside its domain: `op` and `key` name it, `reason` says why."""

    def __init__(self, op: str, key: str, reason: str) -> None:
        self.op, self.key, self.reason = op, key, reason
        super().__init__(f"{op}.{key}: {reason}")


def _is_number(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value)


def _show(value: Any) -> str:
    return repr(list(value)) if isinstance(value, tuple) else repr(value)


class Check:
    """Validators for one operation's parameters; each returns the value in its normal form."""

    def __init__(self, op: str) -> None:
        self.op = op

    def fail(self, key: str, reason: str) -> ParameterError:
        """The error for `key` (raise it)."""
        return ParameterError(self.op, key, reason)

    def number(self, key: str, value: Any, *, low: float | None = None, high: float | None = None) -> float:
        """A finite number in [low, high]."""
        if not _is_number(value):
            raise self.fail(key, f"must be a number, got {_show(value)}")
        if (low is not None and value < low) or (high is not None and value > high):
            raise self.fail(key, f"must be in {_interval(low, high)}, got {value}")
        return float(value)

    def probability(self, key: str, value: Any) -> float:
        """A probability in [0, 1]."""
        return self.number(key, value, low=0.0, high=1.0)

    def integer(self, key: str, value: Any, *, low: int = 1) -> int:
        """A whole number >= low (a size, a count)."""
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < low:
            raise self.fail(key, f"must be a whole number >= {low}, got {_show(value)}")
        return int(value)

    def pair(self, key: str, value: Any, *, low: float | None = None, high: float | None = None,
             positive: bool = False) -> Range:
        """An ordered [low, high] pair of numbers inside [low, high] (> 0 when `positive`)."""
        if not isinstance(value, Sequence) or isinstance(value, str) or len(value) != 2 \
                or not all(_is_number(v) for v in value):
            raise self.fail(key, f"must be a number or a [low, high] pair of numbers, got {_show(value)}")
        lo, hi = float(value[0]), float(value[1])
        if lo > hi:
            raise self.fail(key, f"range must be ordered [low, high], got {_show(value)}")
        if positive and lo <= 0:
            raise self.fail(key, f"a multiplicative range must be > 0, got {_show(value)}")
        if (low is not None and lo < low) or (high is not None and hi > high):
            raise self.fail(key, f"must lie in {_interval(low, high)}, got {_show(value)}")
        return lo, hi

    def symmetric(self, key: str, value: Any) -> Range:
        """x -> [-x, x] (x >= 0), or an ordered pair."""
        if _is_number(value):
            x = self.number(key, value, low=0.0)
            return -x, x
        return self.pair(key, value)

    def multiplicative(self, key: str, value: Any) -> Range:
        """x -> [1/x, x] (x >= 1), or an ordered pair of positive factors."""
        if _is_number(value):
            if value < 1:
                raise self.fail(key, f"a single value x means [1/x, x] and must be >= 1, got {value} "
                                     "(write [low, high] for another range)")
            return 1 / float(value), float(value)
        return self.pair(key, value, positive=True)

    def magnitude(self, key: str, value: Any, *, high: float | None = None) -> Range:
        """x -> [0, x] (x >= 0), or an ordered pair in [0, high]."""
        return self.at_least(key, value, 0.0, high=high)

    def at_least(self, key: str, value: Any, low: float, *, high: float | None = None) -> Range:
        """x -> [low, x] (x >= low), or an ordered pair in [low, high]."""
        if _is_number(value):
            x = self.number(key, value, low=low, high=high)
            return low, x
        return self.pair(key, value, low=low, high=high)


def _interval(low: float | None, high: float | None) -> str:
    return f"[{'-inf' if low is None else f'{low:g}'}, {'inf' if high is None else f'{high:g}'}]"
