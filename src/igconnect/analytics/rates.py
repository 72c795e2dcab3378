"""Per-story rates: a metric over reach (or reach over followers), empty when an input is missing.

A rate is None (empty in CSV, null in JSONL) when its numerator or denominator is missing, or when
the denominator is 0 or less: never a division by zero, never a made-up 0.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

DIGITS = 6  # rates are rounded to 6 decimals so files are stable and diffable


@dataclass(frozen=True)
class Rate:
    column: str  # the export column
    label: str  # what the report calls it
    numerator: str  # a metric column of the archive
    denominator: str  # "reach", or FOLLOWERS for the reach rate


FOLLOWERS = "followers_at_post"  # not a metric: the follower count at posting time (profiles)

RATES: tuple[Rate, ...] = (
    Rate("exit_rate", "Exit rate", "navigation_tap_exit", "reach"),
    Rate("tap_forward_rate", "Tap-forward rate", "navigation_tap_forward", "reach"),
    Rate("tap_back_rate", "Tap-back rate", "navigation_tap_back", "reach"),
    Rate("reply_rate", "Reply rate", "replies", "reach"),
    Rate("share_rate", "Share rate", "shares", "reach"),
    Rate("reach_rate", "Reach rate", "reach", FOLLOWERS),
)
RATE_COLUMNS = tuple(r.column for r in RATES)


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    """numerator / denominator, or None when either is missing or the denominator is not > 0."""
    if numerator is None or denominator is None or denominator <= 0:
        return None
    return round(numerator / denominator, DIGITS)


def story_rates(values: Mapping[str, int | None], followers: int | None) -> dict[str, float | None]:
    """Every rate of one story from its metric values and its follower count at posting time."""
    inputs = {**values, FOLLOWERS: followers}
    return {r.column: ratio(inputs.get(r.numerator), inputs.get(r.denominator)) for r in RATES}
