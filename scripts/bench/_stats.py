"""Order statistics and fits: the benchmark quotes medians, p10-p90 spreads and ratios, never means."""

from __future__ import annotations

import math
from collections.abc import Sequence

__all__ = ["linear_fit", "percentile", "summary"]


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0..100) of ``values``, interpolating linearly; ``ValueError`` when empty."""
    if not values:
        raise ValueError("no values")
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def summary(values: Sequence[float]) -> dict[str, float]:
    """``median``, ``p10``, ``p90`` and ``n`` of ``values`` (rounded to 3 decimals)."""
    return {
        "median": round(percentile(values, 50), 3),
        "p10": round(percentile(values, 10), 3),
        "p90": round(percentile(values, 90), 3),
        "n": len(values),
    }


def linear_fit(xs: Sequence[float], ys: Sequence[float]) -> tuple[float, float]:
    """Least-squares ``(intercept, slope)`` of ``ys`` on ``xs``; ``ValueError`` with fewer than two distinct xs."""
    if len(set(xs)) < 2 or len(xs) != len(ys):
        raise ValueError("need at least two distinct x values, one y each")
    mean_x, mean_y = sum(xs) / len(xs), sum(ys) / len(ys)
    slope = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / sum((x - mean_x) ** 2 for x in xs)
    return mean_y - slope * mean_x, slope
