"""Trackers: the Instagram accounts and hashtags an agency follows, and the connection each uses.

Stored in the settings file under `[trackers."@username"]` / `[trackers."#hashtag"]`.
The assignment rules live in tracker_rules.py, `rebalance` in rebalance.py, the operations the CLI
runs in tracker_service.py, the listing in tracker_listing.py and volume measurement in
tracker_classify.py.
"""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from igconnect.errors import NotFoundError, UsageError

KIND_ACCOUNT = "account"
KIND_HASHTAG = "hashtag"
VOLUME_NORMAL = "normal"
VOLUME_HIGH = "high"


@dataclass
class Tracker:
    kind: str  # account | hashtag
    target: str  # username without '@', or hashtag without '#', lower-case
    connection: str | None = None  # assigned connection name; None when unassigned
    volume: str = VOLUME_NORMAL  # normal | high
    volume_source: str = "default"  # default | manual | measured
    volume_measured_at: datetime | None = None
    account_id: str | None = None  # Instagram user id, once known
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    measured_posts: int | None = None  # posts in the 30 days before volume_measured_at
    measured_likes: int | None = None  # likes on those posts

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


def _plain(value: Any) -> Any:
    unwrap = getattr(value, "unwrap", None)
    return unwrap() if callable(unwrap) else value


def _time(value: Any) -> datetime | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def tracker_from_table(key: str, table: Mapping[str, Any]) -> Tracker:
    data = dict(_plain(table))
    kind, target = parse_tracker_ref(key)
    return Tracker(
        kind=kind,
        target=target,
        connection=data.get("connection") or None,
        volume=str(data.get("volume", VOLUME_NORMAL)),
        volume_source=str(data.get("volume_source", "default")),
        volume_measured_at=_time(data.get("volume_measured_at")),
        account_id=data.get("account_id"),
        created_at=_time(data.get("created_at")) or datetime.now(UTC),
        measured_posts=data.get("measured_posts"),
        measured_likes=data.get("measured_likes"),
    )


def tracker_to_table(tracker: Tracker) -> dict[str, Any]:
    data = asdict(tracker)
    data.pop("kind")
    data.pop("target")
    data["kind"] = tracker.kind
    out: dict[str, Any] = {}
    for k, v in data.items():
        if v is None:
            continue
        out[k] = (
            v.astimezone(UTC).isoformat().replace("+00:00", "Z") if isinstance(v, datetime) else v
        )
    return out


def load_trackers(doc: Mapping[str, Any]) -> dict[str, Tracker]:
    tables = doc.get("trackers") or {}
    return {key: tracker_from_table(key, table) for key, table in tables.items()}


def get_tracker(doc: Mapping[str, Any], ref: str) -> Tracker:
    kind, target = parse_tracker_ref(ref)
    trackers = load_trackers(doc)
    key = tracker_key(kind, target)
    if key not in trackers:
        raise NotFoundError(
            "tracker", key, trackers, hint="run `igconnect trackers list` to see them"
        )
    return trackers[key]


def save_tracker(doc: MutableMapping[str, Any], tracker: Tracker) -> None:
    import tomlkit

    if "trackers" not in doc:
        doc["trackers"] = tomlkit.table(is_super_table=True)
    doc["trackers"][tracker.key] = tracker_to_table(tracker)


def trackers_on(doc: Mapping[str, Any], connection: str) -> list[Tracker]:
    return [t for t in load_trackers(doc).values() if t.connection == connection]
