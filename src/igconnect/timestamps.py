"""The one text form of a moment everywhere igconnect writes one (ISO 8601 UTC, `...Z`), and the
one reading of the moments users type (`--since 7d`, `--until yesterday`)."""

from __future__ import annotations

import re
from datetime import UTC, datetime


def iso_z(moment: datetime | None) -> str | None:
    """`2026-05-01T12:00:00Z` (whole seconds), or None. Sorts like time, as text."""
    if moment is None:
        return None
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(text: object) -> datetime | None:
    """The inverse of `iso_z`; also takes offsets and naive times (read as UTC)."""
    if text in (None, ""):
        return None
    if isinstance(text, datetime):
        moment = text
    else:
        moment = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


# -- what users type after --since / --until ------------------------------------------------------
_RELATIVE = re.compile(r"^(\d+)\s*(m|min|h|d|w)$")
_UNITS = {"m": 60, "min": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
DATE_FORMS = "YYYY-MM-DD, an ISO time (2026-11-22T09:00:00Z), 24h, 7d, 2w, today or yesterday"


def parse_moment(text: str, *, end: bool = False, now: datetime | None = None) -> datetime:
    """A moment as a user writes it, in UTC: a date (`end`: the day after, so the day is included),
    an ISO 8601 time, a span back from now (`90m`, `24h`, `7d`, `2w`), `today`, `yesterday`,
    `now`. Raises UsageError naming the forms."""
    from datetime import date, timedelta

    from igconnect.errors import UsageError

    now = (now or datetime.now(UTC)).astimezone(UTC)
    raw = text.strip().lower()
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    days = {"today": 0, "yesterday": -1}
    if raw in days:
        start = midnight + timedelta(days=days[raw])
        return start + timedelta(days=1) if end else start
    if raw == "now":
        return now
    relative = _RELATIVE.match(raw)
    if relative:
        return now - timedelta(seconds=int(relative[1]) * _UNITS[relative[2]])
    try:
        if len(raw) == 10:
            day = date.fromisoformat(raw)
            start = datetime(day.year, day.month, day.day, tzinfo=UTC)
            return start + timedelta(days=1) if end else start
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise UsageError(f"'{text}' is not a date", hint=f"write {DATE_FORMS}") from None
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


def parse_window(
    since: str | None,
    until: str | None,
    *,
    default_days: int = 0,
    now: datetime | None = None,
) -> tuple[datetime | None, datetime | None]:
    """`--since` / `--until` as moments; a window with nothing in it is a usage error, so an empty
    file is never written for a typo. Without --since the command looks `default_days` back (the
    export_window_days setting; 0: all), which an early --until can empty too."""
    from datetime import timedelta

    from igconnect.errors import UsageError

    now = now or datetime.now(UTC)
    start = parse_moment(since, now=now) if since else None
    stop = parse_moment(until, end=True, now=now) if until else None
    if start is None and stop is not None and default_days > 0:
        default_start = now - timedelta(days=default_days)
        if default_start >= stop:
            raise UsageError(
                f"--until {until} ({iso_z(stop)}) is before the default window of the last "
                f"{default_days} days: the window is empty",
                hint="give --since too, e.g. --since 2026-11-01",
            )
    if start is not None and stop is not None and start >= stop:
        raise UsageError(
            f"--since {since} ({iso_z(start)}) is not before --until {until} ({iso_z(stop)}): "
            "the window is empty",
            hint="swap the two dates, or leave one out",
        )
    if start is not None and start > now:
        raise UsageError(
            f"--since {since} ({iso_z(start)}) is in the future: nothing was posted yet",
            hint="give a date up to today, e.g. --since 7d",
        )
    return start, stop
