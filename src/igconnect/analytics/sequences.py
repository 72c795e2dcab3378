"""Sequences: an account's stories posted within one window, and how each frame keeps viewers.

A window is a calendar day in the account's time zone (`day`, the default) or a block of N hours
starting at local midnight (`12h`, `6h`, ...). Zones come per account so that a per-account setting
can be plugged in later; today every account gets `report_timezone`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo

from igconnect.analytics.rates import ratio

WINDOWS: tuple[str, ...] = ("day", "12h", "8h", "6h", "4h", "3h", "2h", "1h")

SEQUENCE_COLUMNS = (
    "sequence_id",
    "sequence_position",
    "sequence_length",
    "sequence_completion",
    "sequence_dropoff",
)


def zone(name: str) -> tzinfo:
    """The tzinfo of an IANA name; raises ValueError for an unknown one."""
    if name.upper() == "UTC":
        return UTC  # needs no tz database
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r}") from None


def window_hours(window: str) -> int:
    if window not in WINDOWS:
        raise ValueError(f"unknown sequence window {window!r}")
    return 24 if window == "day" else int(window[:-1])


@dataclass(frozen=True)
class SequenceWindows:
    """Which window a story falls in: its account's zone and the window length."""

    window: str = "day"
    default_zone: tzinfo = UTC
    zones: Mapping[str, tzinfo] = field(default_factory=dict)  # account_id -> zone

    def __post_init__(self) -> None:
        window_hours(self.window)  # validate early

    def zone_of(self, account_id: str) -> tzinfo:
        return self.zones.get(account_id, self.default_zone)

    def key(self, account_id: str, posted_at: datetime) -> str:
        """The window's id, its local start: `2026-11-22` for a day, `2026-11-22T06` for 6 h."""
        local = posted_at.astimezone(self.zone_of(account_id))
        hours = window_hours(self.window)
        if hours == 24:
            return local.date().isoformat()
        return f"{local.date().isoformat()}T{local.hour // hours * hours:02d}"

    @property
    def span(self) -> timedelta:
        """How far apart two stories of one sequence can be: the window plus a DST hour."""
        return timedelta(hours=window_hours(self.window) + 1)


@dataclass(frozen=True)
class Frame:
    """One story's place in its sequence."""

    position: int  # 1-based
    length: int
    completion: float | None  # last frame's reach / first frame's reach (same on every frame)
    dropoff: float | None  # (previous frame's reach - this reach) / previous frame's reach


def frame(
    *,
    position: int,
    length: int,
    reach: int | None,
    first_reach: int | None,
    last_reach: int | None,
    previous_reach: int | None,
) -> Frame:
    """The figures of one frame, from its reach and its neighbours'. The first frame has no
    drop-off; a drop-off below 0 means the frame reached more accounts than the one before."""
    dropoff = None
    if position > 1 and reach is not None and previous_reach is not None:
        dropoff = ratio(previous_reach - reach, previous_reach)
    return Frame(position, length, ratio(last_reach, first_reach), dropoff)


def sequence_frames(reaches: Sequence[int | None]) -> list[Frame]:
    """The frames of one sequence, given each story's reach in posting order."""
    if not reaches:
        return []
    return [
        frame(
            position=i + 1,
            length=len(reaches),
            reach=reach,
            first_reach=reaches[0],
            last_reach=reaches[-1],
            previous_reach=reaches[i - 1] if i else None,
        )
        for i, reach in enumerate(reaches)
    ]
