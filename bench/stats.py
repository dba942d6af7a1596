"""Small timing helpers shared by the benchmarks."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def measure(label: str, action: Callable[[int], object], runs: int) -> dict[str, float]:
    """Run ``action(i)`` ``runs`` times; return p50/p95/mean in seconds."""
    times = []
    for i in range(runs):
        started = time.perf_counter()
        action(i)
        times.append(time.perf_counter() - started)
    summary = {"p50": statistics.median(times), "p95": percentile(times, 0.95), "mean": statistics.fmean(times)}
    print(f"  {label:<44} p50 {summary['p50'] * 1000:8.0f} ms   p95 {summary['p95'] * 1000:8.0f} ms   (n={runs})")
    return summary
