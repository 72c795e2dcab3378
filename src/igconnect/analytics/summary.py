"""An account's period in a few figures: rate medians, drop-off by frame position, best and worst
sequences by completion. Pure functions over already derived story figures."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

from igconnect.analytics.rates import RATES, ratio
from igconnect.analytics.stats import median

T = TypeVar("T")


@dataclass(frozen=True)
class RateFigures:
    column: str
    label: str
    median: float | None  # the account's own median over the period
    counted: int  # stories that have this rate
    above: int  # stories strictly above the median


def rate_figures(stories: Sequence[Mapping[str, float | None]]) -> list[RateFigures]:
    """Each rate's median over the stories that have it, and how many are above it."""
    out = []
    for rate in RATES:
        values = [s.get(rate.column) for s in stories]
        present = [v for v in values if v is not None]
        typical = median(present)
        above = sum(1 for v in present if typical is not None and v > typical)
        out.append(RateFigures(rate.column, rate.label, typical, len(present), above))
    return out


@dataclass(frozen=True)
class PositionFigures:
    position: int  # 1-based frame position
    sequences: int  # sequences with a retention at this position
    median_retention: float | None  # this frame's reach / the first frame's reach
    median_dropoff: float | None  # from the previous frame


def retention_by_position(sequences: Sequence[Sequence[int | None]]) -> list[PositionFigures]:
    """How a typical sequence keeps its audience, frame by frame: for each position, the median
    over sequences of (reach / first frame's reach) and of the drop-off from the previous frame.
    A sequence whose first frame has no reach has no retention."""
    longest = max((len(s) for s in sequences), default=0)
    out = []
    for i in range(longest):
        retentions = [ratio(s[i], s[0]) for s in sequences if len(s) > i]
        dropoffs = [
            ratio(s[i - 1] - s[i], s[i - 1])  # type: ignore[operator]
            for s in sequences
            if i and len(s) > i and s[i] is not None and s[i - 1] is not None
        ]
        present = [r for r in retentions if r is not None]
        out.append(PositionFigures(i + 1, len(present), median(present), median(dropoffs)))
    return out


def best_and_worst(scored: Sequence[tuple[T, float]], n: int = 3) -> tuple[list[T], list[T]]:
    """The `n` items with the highest and the `n` with the lowest score, in that order; an item is
    never in both lists (ties keep the original order)."""
    order = sorted(range(len(scored)), key=lambda i: (-scored[i][1], i))
    best = order[:n]
    worst = [i for i in reversed(order) if i not in best][:n]
    return [scored[i][0] for i in best], [scored[i][0] for i in worst]
