"""`trackers classify`: measure an account's volume (posts and likes over 30 days) or set it.

Measuring reads the account's media newest first through a working connection that reaches it;
hashtags cannot be measured (see HASHTAG_NOT_MEASURABLE) and keep their class unless set by hand.
The result is recorded with its date in one transaction, leaving the assignment alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from igconnect.connections.clients import client_for
from igconnect.errors import ConflictError, ExitCode, IgconnectError, PartialFailure, UsageError
from igconnect.timestamps import iso_z
from igconnect.trackers.model import KIND_HASHTAG, VOLUME_HIGH, VOLUME_NORMAL, Tracker
from igconnect.trackers.rules import Carrier
from igconnect.trackers.service import carriers
from igconnect.trackers.store import TrackerStore

if TYPE_CHECKING:
    from igconnect.runtime import Runtime

CLASSIFY_WINDOW_DAYS = 30
MEDIA_PAGE_SIZE = 100
HASHTAG_NOT_MEASURABLE = (
    "hashtag volume cannot be measured through the API: a hashtag has no post count, "
    "recent_media covers only the last 24 hours, and every query spends one of the account's "
    "30 hashtags a week"
)


@dataclass
class ClassifyResult:
    tracker: str
    status: str  # measured | set | kept | failed
    volume: str
    previous_volume: str
    previous_source: str
    connection: str | None = None
    posts: int | None = None
    likes: int | None = None
    measured_at: datetime | None = None
    note: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "tracker": self.tracker,
            "status": self.status,
            "volume": self.volume,
            "previous_volume": self.previous_volume,
            "previous_source": self.previous_source,
            "connection": self.connection,
            "posts": self.posts,
            "likes": self.likes,
            "measured_at": iso_z(self.measured_at),
            "note": self.note,
        }


@dataclass
class ClassifyRun:
    """`trackers classify`: one result per tracker, and the notes that apply to several of them,
    said once; exit 8 when any could not be measured."""

    results: list[ClassifyResult]
    notes: list[str] = field(default_factory=list)

    @property
    def failed(self) -> list[ClassifyResult]:
        return [r for r in self.results if r.status == "failed"]

    def failure(self) -> IgconnectError | None:
        if not self.failed:
            return None
        return PartialFailure(
            f"{len(self.failed)} of {len(self.results)} tracker(s) could not be measured",
            hint="see the notes above; fix their connections and run "
            "`igconnect trackers classify` again",
        )

    @property
    def exit_code(self) -> ExitCode:
        failure = self.failure()
        return failure.exit_code if failure is not None else ExitCode.OK

    def to_json(self) -> dict[str, Any]:
        return {"results": [r.to_json() for r in self.results], "notes": list(self.notes)}


@dataclass(frozen=True)
class Measurement:
    posts: int
    likes: int
    comments: int
    pages: int


def _parse_timestamp(text: str) -> datetime:
    try:
        return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S%z")
    except ValueError:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))


def measure_account(client: Any, account_id: str, since: datetime) -> Measurement:
    """Posts and likes of an account since `since`, from its media (newest first), page by page.

    Stops at the first post older than `since`, so a busy account costs few calls.
    """
    posts = likes = comments = pages = 0
    params = {
        "fields": "id,timestamp,like_count,comments_count",
        "limit": str(MEDIA_PAGE_SIZE),
    }
    for page in client.pages(f"{account_id}/media", params):
        pages += 1
        older = False
        for item in page.get("data", []) if isinstance(page, dict) else []:
            stamp = item.get("timestamp")
            if not stamp:
                continue
            if _parse_timestamp(str(stamp)) < since:
                older = True
                continue  # Meta lists newest first, but do not trust the order within a page
            posts += 1
            likes += int(item.get("like_count") or 0)  # absent when the owner hides likes
            comments += int(item.get("comments_count") or 0)
        if older:
            break
    return Measurement(posts, likes, comments, pages)


def _classify_connection(
    tracker: Tracker, connections: Mapping[str, Carrier]
) -> tuple[Carrier, str]:
    """The connection to measure through (the assigned one when it works) and the account id."""
    candidates = []
    if tracker.connection is not None and tracker.connection in connections:
        candidates.append(connections[tracker.connection])
    candidates += [c for n, c in sorted(connections.items()) if n != tracker.connection]
    for conn in candidates:
        if conn.is_broken:
            continue
        account = conn.reaches(tracker)
        if account is not None:
            return conn, account.id
    raise ConflictError(
        f"no working connection reaches {tracker.key}, so its volume cannot be measured",
        hint=f"reconnect its connection, or set it by hand: `igconnect trackers classify "
        f"{tracker.key} --set high|normal`",
    )


def classify(
    runtime: Runtime,
    ref: str | None = None,
    set_volume: str | None = None,
    now: datetime | None = None,
) -> ClassifyRun:
    """Measure (accounts) or set by hand (`set_volume`) the volume class; record it with the date.

    With `ref` None every tracker is classified and a failure of one is reported in its result;
    with a `ref` the failure is raised. Why hashtags are kept is one note, not one per hashtag.
    """
    now = now or datetime.now(UTC)
    store = TrackerStore(runtime.state.db)
    if set_volume is not None:
        if set_volume not in (VOLUME_HIGH, VOLUME_NORMAL):
            raise UsageError(
                f"'{set_volume}' is not a volume class", hint="use --set high or --set normal"
            )
        if ref is None:
            raise UsageError(
                "--set needs a TRACKER", hint="e.g. igconnect trackers classify '#food' --set high"
            )
    targets = [store.get(ref)] if ref is not None else store.all()
    connections = carriers(runtime.state.db)
    settings = runtime.settings
    results: list[ClassifyResult] = []
    updates: dict[str, Tracker] = {}
    for tracker in targets:
        base = ClassifyResult(
            tracker.key,
            "kept",
            tracker.volume,
            tracker.volume,
            tracker.volume_source,
            tracker.connection,
        )
        if set_volume is not None:
            updates[tracker.key] = replace(
                tracker, volume=set_volume, volume_source="manual", volume_measured_at=now
            )
            results.append(replace(base, status="set", volume=set_volume, measured_at=now))
            continue
        if tracker.kind == KIND_HASHTAG:
            results.append(replace(base, note="not measurable (see the note below)"))
            continue
        try:
            conn, account_id = _classify_connection(tracker, connections)
            with client_for(runtime, conn.connection) as client:
                measured = measure_account(
                    client, account_id, now - timedelta(days=CLASSIFY_WINDOW_DAYS)
                )
        except IgconnectError as exc:
            if ref is not None:
                raise
            results.append(replace(base, status="failed", note=exc.message))
            continue
        high = measured.posts > settings.get("high_volume_posts") or measured.likes > settings.get(
            "high_volume_likes"
        )
        volume = VOLUME_HIGH if high else VOLUME_NORMAL
        updates[tracker.key] = replace(
            tracker,
            volume=volume,
            volume_source="measured",
            volume_measured_at=now,
            measured_posts=measured.posts,
            measured_likes=measured.likes,
            account_id=account_id,
        )
        results.append(
            replace(
                base,
                status="measured",
                volume=volume,
                connection=conn.name,
                posts=measured.posts,
                likes=measured.likes,
                measured_at=now,
                note=f"{measured.posts} posts, {measured.likes} likes in {CLASSIFY_WINDOW_DAYS} "
                f"days "
                f"(high-volume above {settings.get('high_volume_posts')} posts or "
                f"{settings.get('high_volume_likes')} likes)",
            )
        )
    if updates:
        with runtime.state.transaction() as db:
            trackers = TrackerStore(db)
            for key, updated in updates.items():
                current = trackers.find(key)
                if current is not None:  # removed meanwhile: nothing to record
                    # keep the assignment as it is now; only the volume fields are ours
                    updated.connection_id = current.connection_id
                    trackers.save(updated)
    notes = []
    if any(r.tracker.startswith("#") and r.status == "kept" for r in results):
        notes.append(
            f"{HASHTAG_NOT_MEASURABLE}: hashtags keep their class; set one with "
            "`igconnect trackers classify '#HASHTAG' --set high` (or normal)"
        )
    return ClassifyRun(results, notes)
