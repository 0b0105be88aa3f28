"""Where a run's wall time goes: named phases timed with a stopwatch, summed across jobs, printed on request."""
from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager

PHASES: dict[str, float] = defaultdict(float)
TRAINING = "training"  # the phase that the harness exists for; everything else is overhead


@contextmanager
def phase(name: str, into: dict[str, float] | None = None) -> Iterator[None]:
    """Add the block's wall time to PHASES[name] (or to `into`, a job's own timings)."""
    start = time.perf_counter()
    try:
        yield
    finally:
        target = PHASES if into is None else into
        target[name] = target.get(name, 0.0) + time.perf_counter() - start


def add(timings: dict[str, float]) -> None:
    """Fold timings measured elsewhere (a job run in another process) into PHASES."""
    for name, seconds in timings.items():
        PHASES[name] += float(seconds)


def reset() -> None:
    """Start counting afresh (one run)."""
    PHASES.clear()


def breakdown(total: float) -> list[tuple[str, float, float]]:
    """(phase, seconds, share of total) in order of cost, with what no phase covered as 'other'."""
    rows = sorted(PHASES.items(), key=lambda kv: -kv[1])
    rest = total - sum(PHASES.values())
    if rest > 0.05:
        rows.append(("other", rest))
    return [(name, s, s / total if total else 0.0) for name, s in rows]
