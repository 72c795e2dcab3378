"""Medians and comparisons against an account's own median, ignoring missing values."""

from __future__ import annotations

import statistics
from collections.abc import Iterable


def median(values: Iterable[float | None]) -> float | None:
    """The median of the values that are there; None when none is."""
    present = [v for v in values if v is not None]
    return statistics.median(present) if present else None


def versus_median(value: float | None, typical: float | None) -> float | None:
    """How far `value` is from the median, relative to it: +0.25 is 25 % above. None when either is
    missing or the median is 0 (a relative difference from 0 means nothing)."""
    if value is None or typical is None or typical == 0:
        return None
    return round((value - typical) / typical, 6)
