"""Whether a story's values are final: one function, so the source of truth is easy to switch.

The archive's rows carry `value_source` (`live`, `final`, `last_seen`, `none`; issue 13, computed
by `Archive.latest_rows` from when the story's insights and its final read happened). A row without
it (an older archive reader, a hand-made row) falls back to time: a story that has not expired is
`live` and any other `last_seen`, since nothing says its last read came after Meta stopped counting.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

FINAL = "final"
LIVE = "live"
LAST_SEEN = "last_seen"
NONE = "none"


def value_source(story: Mapping[str, Any], now: datetime) -> str:
    """`story` is an archive row (`value_source` if the archive has it, `expires_at` ISO text)."""
    source = story.get("value_source")
    if source:
        return str(source)
    expires = story.get("expires_at")
    if expires:
        moment = datetime.fromisoformat(str(expires).replace("Z", "+00:00"))
        if moment > now:
            return LIVE
    return LAST_SEEN


def is_final(source: str) -> bool:
    return source == FINAL
