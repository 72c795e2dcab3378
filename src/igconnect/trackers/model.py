"""A tracker: an Instagram account or a hashtag the agency follows, and the connection it uses.

An account tracker is *managed* (a connection reaches the account: its stories and insights are read
through its own node, on the account's own budget) or *public* (a professional account no connection
manages, read through business discovery on the token's platform budget). A *pending* one was kept
with `--pending` although nothing can read it yet.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime

from igconnect.errors import UsageError

KIND_ACCOUNT = "account"
KIND_HASHTAG = "hashtag"
VOLUME_NORMAL = "normal"
VOLUME_HIGH = "high"
VOLUMES = (VOLUME_NORMAL, VOLUME_HIGH)
ACCESS_MANAGED = "managed"  # a connection reaches the account
ACCESS_PUBLIC = "public"  # business discovery finds it; no connection manages it
ACCESSES = (ACCESS_MANAGED, ACCESS_PUBLIC)
# Instagram usernames: letters, digits, '.' and '_', at most 30 characters.
USERNAME_RE = re.compile(r"^[a-z0-9._]{1,30}$")


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
    access: str | None = None  # accounts: managed | public (None: not known yet); hashtags: None
    pending: bool = False  # kept with --pending: nothing reaches or discovers it yet

    @property
    def key(self) -> str:
        return tracker_key(self.kind, self.target)

    @property
    def is_high_volume(self) -> bool:
        return self.volume == VOLUME_HIGH

    @property
    def is_public(self) -> bool:
        return self.kind == KIND_ACCOUNT and self.access == ACCESS_PUBLIC

    @property
    def shares_budget(self) -> bool:
        """Whether it spends a budget other trackers of its connection spend too: a hashtag or a
        public account (the token's platform budget). A managed account spends its own."""
        return self.kind == KIND_HASHTAG or self.is_public


def tracker_key(kind: str, target: str) -> str:
    return ("@" if kind == KIND_ACCOUNT else "#") + target


def parse_tracker_ref(text: str) -> tuple[str, str]:
    """'@name' or 'name' → (account, name); '#tag' → (hashtag, tag). Compared lower-case."""
    text = text.strip()
    if len(text) > 1 and text[0] == "#" and not any(c.isspace() for c in text):
        return KIND_HASHTAG, text[1:].lower()
    name = text[1:] if text.startswith("@") else text
    if not USERNAME_RE.match(name.lower()):
        raise UsageError(
            f"'{text}' is neither an Instagram username nor #HASHTAG",
            hint="write accounts as @username or username (letters, digits, '.' and '_') and "
            "hashtags as '#hashtag' (quote # in the shell)",
        )
    return KIND_ACCOUNT, name.lower()
