"""The derived figures as pure functions: rates, frames of a sequence, windows, medians, finality."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from igconnect.analytics.finality import value_source
from igconnect.analytics.rates import RATE_COLUMNS, ratio, story_rates
from igconnect.analytics.sequences import SequenceWindows, sequence_frames, zone
from igconnect.analytics.stats import median, versus_median

FULL = {
    "reach": 200,
    "replies": 4,
    "shares": 10,
    "navigation_tap_exit": 30,
    "navigation_tap_forward": 120,
    "navigation_tap_back": 6,
}


@pytest.mark.parametrize(
    ("numerator", "denominator", "expected"),
    [
        (1, 4, 0.25),
        (0, 4, 0.0),
        (2, 3, 0.666667),  # rounded to 6 decimals
        (5, 0, None),  # zero reach: no rate, not infinity
        (0, 0, None),
        (5, -1, None),
        (None, 4, None),
        (4, None, None),
        (7, 5, 1.4),  # a rate may pass 1 (more taps than accounts reached)
    ],
)
def test_ratio(numerator: int | None, denominator: int | None, expected: float | None) -> None:
    assert ratio(numerator, denominator) == expected


def test_story_rates_with_every_input() -> None:
    assert story_rates(FULL, 1000) == {
        "exit_rate": 0.15,
        "tap_forward_rate": 0.6,
        "tap_back_rate": 0.03,
        "reply_rate": 0.02,
        "share_rate": 0.05,
        "reach_rate": 0.2,
    }


def test_zero_reach_empties_every_rate_over_reach_but_not_the_reach_rate() -> None:
    rates = story_rates({**FULL, "reach": 0}, 1000)
    assert rates.pop("reach_rate") == 0.0
    assert set(rates.values()) == {None}


def test_missing_breakdowns_empty_only_the_navigation_rates() -> None:
    plain = {k: v for k, v in FULL.items() if not k.startswith("navigation_")}
    rates = story_rates(plain, None)
    assert rates["exit_rate"] is rates["tap_forward_rate"] is rates["tap_back_rate"] is None
    assert rates["reply_rate"] == 0.02 and rates["share_rate"] == 0.05
    assert rates["reach_rate"] is None  # no follower count


def test_too_few_viewers_story_has_no_rates() -> None:
    assert story_rates({}, 1000) == dict.fromkeys(RATE_COLUMNS)


def test_sequence_frames_of_one_story() -> None:
    (only,) = sequence_frames([50])
    assert (only.position, only.length, only.completion, only.dropoff) == (1, 1, 1.0, None)
    (empty,) = sequence_frames([0])
    assert empty.completion is None  # 0 / 0 is not a completion


def test_sequence_frames_drop_off_and_completion() -> None:
    frames = sequence_frames([200, 150, None, 90, 100])
    assert [f.position for f in frames] == [1, 2, 3, 4, 5]
    assert {f.length for f in frames} == {5}
    assert {f.completion for f in frames} == {0.5}  # 100 / 200, on every frame
    # The frame after a frame without reach has no drop-off; a gain is a negative drop-off.
    assert [f.dropoff for f in frames] == [None, 0.25, None, None, -0.111111]
    assert sequence_frames([None, 10])[0].completion is None
    assert sequence_frames([]) == []


def test_windows_are_local_calendar_days() -> None:
    utc = SequenceWindows()
    paris = SequenceWindows(default_zone=zone("Europe/Paris"))
    late = datetime(2026, 11, 22, 23, 30, tzinfo=UTC)  # 00:30 on the 23rd in Paris
    assert utc.key("a", late) == "2026-11-22"
    assert paris.key("a", late) == "2026-11-23"
    per_account = SequenceWindows(zones={"ny": zone("America/New_York")})
    assert per_account.key("ny", late) == "2026-11-22"
    assert per_account.key("ny", datetime(2026, 11, 23, 3, 0, tzinfo=UTC)) == "2026-11-22"
    assert per_account.key("other", datetime(2026, 11, 23, 3, 0, tzinfo=UTC)) == "2026-11-23"


def test_windows_of_hours_start_at_local_midnight() -> None:
    six = SequenceWindows(window="6h", default_zone=zone("Europe/Paris"))
    assert six.key("a", datetime(2026, 11, 22, 4, 59, tzinfo=UTC)) == "2026-11-22T00"
    assert six.key("a", datetime(2026, 11, 22, 5, 0, tzinfo=UTC)) == "2026-11-22T06"
    # The night clocks go back (Paris, 2026-10-25): both 02:30s are in the same block.
    assert six.key("a", datetime(2026, 10, 25, 0, 30, tzinfo=UTC)) == "2026-10-25T00"
    assert six.key("a", datetime(2026, 10, 25, 1, 30, tzinfo=UTC)) == "2026-10-25T00"
    with pytest.raises(ValueError):
        SequenceWindows(window="5h")
    with pytest.raises(ValueError):
        zone("Mars/Olympus_Mons")


def test_median_and_versus_median() -> None:
    assert median([3, None, 1, 2]) == 2
    assert median([None]) is None
    assert versus_median(0.3, 0.2) == 0.5
    assert versus_median(0.1, 0.2) == -0.5
    assert versus_median(0.1, 0) is None
    assert versus_median(None, 0.2) is None


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        ({"expires_at": "2026-11-23T08:00:00Z"}, "live"),
        ({"expires_at": "2026-11-22T08:00:00Z"}, "last_seen"),
        ({"expires_at": None}, "last_seen"),
        ({"expires_at": "2026-11-23T08:00:00Z", "value_source": "final"}, "final"),
        ({"expires_at": "2026-11-20T08:00:00Z", "value_source": "none"}, "none"),
        ({"expires_at": "2026-11-23T08:00:00Z", "value_source": None}, "live"),
    ],
)
def test_value_source(row: dict[str, str | None], expected: str) -> None:
    now = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
    assert value_source(row, now) == expected
