"""The one percentile every benchmark reports with, so a p95 in BENCHMARKS.md means the same
thing in every table: linear interpolation between closest ranks (numpy's default)."""
from __future__ import annotations

import math


def percentile(values: list[float], q: float) -> float | None:
    """The q-th percentile (q in 0..100) of values; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100.0
    low, high = math.floor(pos), math.ceil(pos)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


def pct(values: list[float], q: float) -> float:
    """percentile() for tables: NaN (printed "nan") where there are no values."""
    result = percentile(values, q)
    return math.nan if result is None else result
