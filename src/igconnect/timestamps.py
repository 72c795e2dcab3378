"""The one text form of a moment everywhere igconnect writes one: ISO 8601 UTC, `...Z`."""

from __future__ import annotations

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
