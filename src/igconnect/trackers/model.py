"""A tracker: an Instagram account or a hashtag the agency follows, and the connection it uses."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from igconnect.errors import UsageError

KIND_ACCOUNT = "account"
KIND_HASHTAG = "hashtag"
VOLUME_NORMAL = "normal"
VOLUME_HIGH = "high"
VOLUMES = (VOLUME_NORMAL, VOLUME_HIGH)


@dataclass
class Tracker:
    kind: str  # account | hashtag
    target: str  # username without '@', or hashtag without '#', lower-case
    connection: str | None = None  # the assigned connection's name; None when unassigned
    volume: str = VOLUME_NORMAL  # normal | high
    volume_source: str = "default"  # default | manual | measured
    volume_measured_at: datetime | None = None
    account_id: str | None = None  # Instagram user id, once known
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    measured_posts: int | None = None  # posts in the 30 days before volume_measured_at
    measured_likes: int | None = None  # likes on those posts
    connection_id: str | None = None  # the assigned connection's id (what the store keeps)

    @property
    def key(self) -> str:
        return tracker_key(self.kind, self.target)

    @property
    def is_high_volume(self) -> bool:
        return self.volume == VOLUME_HIGH


def tracker_key(kind: str, target: str) -> str:
    return ("@" if kind == KIND_ACCOUNT else "#") + target


def parse_tracker_ref(text: str) -> tuple[str, str]:
    """'@name' → (account, name); '#tag' → (hashtag, tag). Names are compared lower-case."""
    text = text.strip()
    if len(text) > 1 and text[0] == "@":
        kind, target = KIND_ACCOUNT, text[1:]
    elif len(text) > 1 and text[0] == "#":
        kind, target = KIND_HASHTAG, text[1:]
    else:
        raise UsageError(
            f"'{text}' is neither @USERNAME nor #HASHTAG",
            hint="write accounts as @username and hashtags as #hashtag (quote # in the shell)",
        )
    return kind, target.lower()
