"""Tracker operations on the runtime and the settings file: add, assign, unassign, remove, move,
list,
rebalance, classify. Each returns data; the CLI renders it. Every change happens inside one locked
`runtime.edit()`, so a refused change writes nothing.

Refusals (documented in docs/trackers.md): an assignment Meta cannot serve (an account the
connection
does not reach, a hashtag on Instagram Login or past the hashtag budget) is a ConflictError; going
over
capacity, sharing with a high-volume tracker or assigning to a broken connection only warns, and
`strict=True` turns those warnings into ConflictErrors.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from igconnect.connections import Connection, get_connection, load_connections
from igconnect.errors import ConflictError, IgconnectError, NotFoundError, UsageError
from igconnect.rebalance import Proposal, propose
from igconnect.tracker_rules import (
    Choice,
    Limits,
    LoadSummary,
    Violation,
    choose_connection,
    ineligible_reason,
    limits_from,
    load_summary,
    reaches,
    violations,
)
from igconnect.trackers import (
    KIND_ACCOUNT,
    KIND_HASHTAG,
    VOLUME_HIGH,
    VOLUME_NORMAL,
    Tracker,
    get_tracker,
    load_trackers,
    parse_tracker_ref,
    save_tracker,
    tracker_key,
)

if TYPE_CHECKING:
    from igconnect.runtime import Runtime

CLASSIFY_WINDOW_DAYS = 30
MEDIA_PAGE_SIZE = 100
HASHTAG_NOT_MEASURABLE = (
    "hashtag volume cannot be measured through the API: a hashtag has no post count, "
    "recent_media covers only the last 24 hours, and every query spends one of the account's "
    "30 hashtags a week"
)


def _limits(runtime: Runtime) -> Limits:
    return limits_from(runtime.settings)


# -- add / assign / unassign / remove / move -------------------------------------------------
@dataclass
class AddResult:
    tracker: Tracker
    connection: str | None
    reason: str  # one line: why this connection, or what to do when there is none
    warnings: list[str] = field(default_factory=list)


@dataclass
class AssignResult:
    tracker: Tracker
    previous: str | None
    connection: str | None
    changed: bool
    warnings: list[str] = field(default_factory=list)


@dataclass
class MoveResult:
    source: str
    target: str
    moved: list[str]
    warnings: list[str] = field(default_factory=list)


def check_assignment(
    tracker: Tracker,
    connection: Connection,
    trackers: Mapping[str, Tracker],
    limits: Limits,
    *,
    strict: bool = False,
    also_arriving: int = 0,
) -> list[str]:
    """Refuse what Meta cannot serve; return warnings for what only breaks the vendors' advice.

    `also_arriving`: other trackers moving to the same connection in the same operation.
    """
    if connection.is_broken:
        warnings = [ineligible_reason(tracker, connection) or ""]
    else:
        reason = ineligible_reason(tracker, connection)
        if reason:
            raise ConflictError(
                f"cannot put {tracker.key} on '{connection.name}': {reason}",
                hint="pick a connection that can (`igconnect trackers list`), or leave out "
                "--connection to let igconnect choose",
            )
        warnings = []
    others = [
        t for t in trackers.values() if t.connection == connection.name and t.key != tracker.key
    ]
    if tracker.kind == KIND_HASHTAG and not connection.is_broken:
        used = sum(1 for t in others if t.kind == KIND_HASHTAG)
        budget = limits.hashtag_budget(connection)
        if used + 1 > budget:
            raise ConflictError(
                f"connection '{connection.name}' has no hashtag budget left ({used}/{budget}: Meta "
                "allows 30 unique hashtags per Instagram account per 7 days)",
                hint="put the hashtag on another Facebook Login connection",
            )
    count = len(others) + 1 + also_arriving
    if count > limits.capacity:
        warnings.append(
            f"connection '{connection.name}' will carry {count} trackers, more than "
            f"{limits.capacity} "
            "(tracker_capacity): it may run into Meta's rate limits"
        )
    high = [t.key for t in others if t.is_high_volume]
    if high:
        warnings.append(
            f"connection '{connection.name}' carries high-volume {', '.join(high)}, which needs "
            f"it alone"
        )
    elif tracker.is_high_volume and (others or also_arriving):
        warnings.append(
            f"{tracker.key} is high-volume and should have a connection of its own "
            f"('{connection.name}' carries {len(others) + also_arriving} other tracker(s))"
        )
    if strict and warnings:
        raise ConflictError(
            f"refused (--strict): {warnings[0]}",
            hint="run `igconnect trackers rebalance` to make room, or drop --strict",
        )
    return warnings


def _fill_account_id(tracker: Tracker, connections: Mapping[str, Connection]) -> None:
    if tracker.kind != KIND_ACCOUNT or tracker.account_id:
        return
    for conn in connections.values():
        account = reaches(conn, tracker)
        if account is not None:
            tracker.account_id = account.id
            return


def add_tracker(
    runtime: Runtime,
    ref: str,
    connection: str | None = None,
    high_volume: bool = False,
    strict: bool = False,
) -> AddResult:
    """Add `@user` or `#tag`, on `connection` or on the best one by the rules (or unassigned)."""
    kind, target = parse_tracker_ref(ref)
    limits = _limits(runtime)
    with runtime.edit() as doc:
        trackers = load_trackers(doc)
        key = tracker_key(kind, target)
        if key in trackers:
            where = trackers[key].connection
            raise ConflictError(
                f"{key} is already tracked" + (f" (on '{where}')" if where else " (unassigned)"),
                hint=f"use `igconnect trackers assign {key} CONNECTION` to move it",
            )
        connections = load_connections(doc)
        tracker = Tracker(
            kind=kind,
            target=target,
            volume=VOLUME_HIGH if high_volume else VOLUME_NORMAL,
            volume_source="manual" if high_volume else "default",
        )
        _fill_account_id(tracker, connections)
        warnings: list[str] = []
        if connection is not None:
            conn = get_connection(doc, connection)
            warnings = check_assignment(tracker, conn, trackers, limits, strict=strict)
            tracker.connection = conn.name
            reason = f"on '{conn.name}', as asked"
        else:
            choice: Choice = choose_connection(tracker, trackers, connections, limits)
            tracker.connection = choice.connection
            reason = choice.reason
            if choice.connection is None:
                if strict:
                    raise ConflictError(
                        f"refused (--strict): {choice.reason}",
                        hint="connect an account that can carry it with `igconnect login`",
                    )
                reason += (
                    "; added unassigned: connect one with `igconnect login`, then run "
                    f"`igconnect trackers assign {key} CONNECTION` or `igconnect trackers "
                    f"rebalance`"
                )
        save_tracker(doc, tracker)
    return AddResult(tracker, tracker.connection, reason, warnings)


def assign_tracker(
    runtime: Runtime, ref: str, connection: str, strict: bool = False
) -> AssignResult:
    limits = _limits(runtime)
    with runtime.edit() as doc:
        tracker = get_tracker(doc, ref)
        conn = get_connection(doc, connection)
        previous = tracker.connection
        if previous == conn.name:
            return AssignResult(tracker, previous, conn.name, changed=False)
        warnings = check_assignment(tracker, conn, load_trackers(doc), limits, strict=strict)
        tracker.connection = conn.name
        _fill_account_id(tracker, load_connections(doc))
        save_tracker(doc, tracker)
    return AssignResult(tracker, previous, conn.name, changed=True, warnings=warnings)


def unassign_tracker(runtime: Runtime, ref: str) -> AssignResult:
    with runtime.edit() as doc:
        tracker = get_tracker(doc, ref)
        previous = tracker.connection
        tracker.connection = None
        save_tracker(doc, tracker)
    return AssignResult(tracker, previous, None, changed=previous is not None)


def remove_tracker(runtime: Runtime, ref: str) -> Tracker:
    with runtime.edit() as doc:
        tracker = get_tracker(doc, ref)
        del doc["trackers"][tracker.key]
    return tracker


def move_trackers(runtime: Runtime, source: str, target: str, strict: bool = False) -> MoveResult:
    """Move every tracker of `source` (a connection, or the name a removed one had) to `target`.

    All or nothing: if one of them cannot go to `target`, none moves.
    """
    limits = _limits(runtime)
    with runtime.edit() as doc:
        trackers = load_trackers(doc)
        connections = load_connections(doc)
        referenced = {t.connection for t in trackers.values() if t.connection}
        if source not in connections and source not in referenced:
            raise NotFoundError(
                "connection",
                source,
                sorted(set(connections) | referenced),
                hint="run `igconnect trackers list` to see the connections and their trackers",
            )
        conn = get_connection(doc, target)
        moving = sorted(
            (t for t in trackers.values() if t.connection == source), key=lambda t: t.key
        )
        if source == target or not moving:
            return MoveResult(source, target, [])
        warnings: list[str] = []
        refused: list[str] = []
        staying = {k: t for k, t in trackers.items() if t.connection != source}
        for tracker in moving:
            try:
                for w in check_assignment(
                    tracker, conn, staying, limits, strict=strict, also_arriving=len(moving) - 1
                ):
                    if w not in warnings:
                        warnings.append(w)
            except ConflictError as exc:
                refused.append(exc.message)
        tags = sum(1 for t in moving if t.kind == KIND_HASHTAG) + sum(
            1 for t in staying.values() if t.kind == KIND_HASHTAG and t.connection == target
        )
        if not conn.is_broken and tags > limits.hashtag_budget(conn) and not refused:
            refused.append(
                f"connection '{target}' would carry {tags} hashtags, more than its budget of "
                f"{limits.hashtag_budget(conn)}"
            )
        if refused:
            raise ConflictError(
                f"nothing moved: {refused[0]}"
                + (f" (and {len(refused) - 1} more)" if len(refused) > 1 else ""),
                hint=f"move the others one by one with `igconnect trackers assign TRACKER "
                f"{target}`",
            )
        for tracker in moving:
            tracker.connection = target
            _fill_account_id(tracker, connections)
            save_tracker(doc, tracker)
    return MoveResult(source, target, [t.key for t in moving], warnings)


# -- list ----------------------------------------------------------------------------------------
def _tracker_dict(t: Tracker) -> dict[str, Any]:
    return {
        "tracker": t.key,
        "kind": t.kind,
        "volume": t.volume,
        "volume_source": t.volume_source,
        "volume_measured_at": _iso(t.volume_measured_at),
        "created_at": _iso(t.created_at),
    }


def _iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


@dataclass
class ConnectionGroup:
    name: str
    provider: str
    status: str
    broken_reason: str | None
    collects: bool
    count: int
    capacity: int
    over_capacity: bool
    high_volume_shared: bool
    hashtags_used: int
    hashtag_budget: int
    usage: list[dict[str, Any]]
    trackers: list[Tracker]

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "provider": self.provider,
            "status": self.status,
            "broken_reason": self.broken_reason,
            "collects": self.collects,
            "count": self.count,
            "capacity": self.capacity,
            "over_capacity": self.over_capacity,
            "high_volume_shared": self.high_volume_shared,
            "hashtags_used": self.hashtags_used,
            "hashtag_budget": self.hashtag_budget,
            "usage": self.usage,
            "trackers": [_tracker_dict(t) for t in self.trackers],
        }


@dataclass
class TrackerListing:
    capacity: int
    connections: list[ConnectionGroup]
    unassigned: list[Tracker]
    orphaned: dict[str, list[Tracker]]
    violations: list[Violation]

    def to_dict(self) -> dict[str, Any]:
        return {
            "capacity": self.capacity,
            "connections": [c.to_dict() for c in self.connections],
            "unassigned": [_tracker_dict(t) for t in self.unassigned],
            "orphaned": [
                {"connection": name, "trackers": [_tracker_dict(t) for t in ts]}
                for name, ts in self.orphaned.items()
            ],
            "violations": [v.to_dict() for v in self.violations],
        }


def load_state(runtime: Runtime) -> tuple[dict[str, Tracker], dict[str, Connection], Limits]:
    doc = runtime.document()
    return load_trackers(doc), load_connections(doc), _limits(runtime)


def tracker_load(runtime: Runtime) -> LoadSummary:
    """The per-connection load summary (for doctor)."""
    trackers, connections, limits = load_state(runtime)
    return load_summary(trackers, connections, limits)


def list_trackers(runtime: Runtime) -> TrackerListing:
    trackers, connections, limits = load_state(runtime)
    summary = load_summary(trackers, connections, limits)
    groups = []
    for load in summary.connections:
        usage = [
            {
                "scope": u.scope,
                "percent": u.percent,
                "observed_at": _iso(u.observed_at),
                "regain_minutes": u.regain_minutes,
            }
            for u in _usage(runtime, load.name)
        ]
        groups.append(
            ConnectionGroup(
                name=load.name,
                provider=load.provider,
                status=load.status,
                broken_reason=load.broken_reason,
                collects=load.status != "broken",
                count=load.count,
                capacity=load.capacity,
                over_capacity=load.over_capacity,
                high_volume_shared=load.high_volume_shared,
                hashtags_used=load.hashtags_used,
                hashtag_budget=load.hashtag_budget,
                usage=usage,
                trackers=[trackers[k] for k in load.trackers],
            )
        )
    return TrackerListing(
        capacity=limits.capacity,
        connections=groups,
        unassigned=[trackers[k] for k in summary.unassigned],
        orphaned={n: [trackers[k] for k in ks] for n, ks in summary.orphaned.items()},
        violations=violations(trackers, connections, limits),
    )


def _usage(runtime: Runtime, name: str) -> list[Any]:
    try:
        return runtime.usage_log.latest(name)
    except Exception:  # a damaged usage log must not hide the trackers
        runtime.warnings.append(
            f"could not read the rate-limit usage log {runtime.paths.usage_file}"
        )
        return []


# -- rebalance -----------------------------------------------------------------------------------
@dataclass
class RebalanceResult:
    proposal: Proposal
    applied: bool


def rebalance(runtime: Runtime, apply: bool = False) -> RebalanceResult:
    if not apply:
        trackers, connections, limits = load_state(runtime)
        return RebalanceResult(propose(trackers, connections, limits), applied=False)
    limits = _limits(runtime)
    with runtime.edit() as doc:  # recompute under the lock: the file may have changed meanwhile
        trackers = load_trackers(doc)
        proposal = propose(trackers, load_connections(doc), limits)
        for move in proposal.moves:
            tracker = trackers[move.tracker]
            tracker.connection = move.target
            save_tracker(doc, tracker)
    return RebalanceResult(proposal, applied=bool(proposal.moves))


# -- classify --------------------------------------------------------------------------------------
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

    def to_dict(self) -> dict[str, Any]:
        return {
            "tracker": self.tracker,
            "status": self.status,
            "volume": self.volume,
            "previous_volume": self.previous_volume,
            "previous_source": self.previous_source,
            "connection": self.connection,
            "posts": self.posts,
            "likes": self.likes,
            "measured_at": _iso(self.measured_at),
            "note": self.note,
        }


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
    tracker: Tracker, connections: Mapping[str, Connection]
) -> tuple[Connection, str]:
    """The connection to measure through (the assigned one when it works) and the account id."""
    candidates = []
    if tracker.connection is not None and tracker.connection in connections:
        candidates.append(connections[tracker.connection])
    candidates += [c for n, c in sorted(connections.items()) if n != tracker.connection]
    for conn in candidates:
        if conn.is_broken:
            continue
        account = reaches(conn, tracker)
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
) -> list[ClassifyResult]:
    """Measure (accounts) or set by hand (`set_volume`) the volume class, and record it with the
    date.

    With `ref` None every tracker is classified and a failure of one is reported in its result;
    with a
    `ref` the failure is raised.
    """
    now = now or datetime.now(UTC)
    doc = runtime.document()
    trackers = load_trackers(doc)
    if set_volume is not None:
        if set_volume not in (VOLUME_HIGH, VOLUME_NORMAL):
            raise UsageError(
                f"'{set_volume}' is not a volume class", hint="use --set high or --set normal"
            )
        if ref is None:
            raise UsageError(
                "--set needs a TRACKER", hint="e.g. igconnect trackers classify '#food' --set high"
            )
    targets = (
        [get_tracker(doc, ref)]
        if ref is not None
        else sorted(trackers.values(), key=lambda t: t.key)
    )
    connections = load_connections(doc)
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
            results.append(
                replace(
                    base,
                    note=f"{HASHTAG_NOT_MEASURABLE}; kept {tracker.volume} "
                    f"({tracker.volume_source}); "
                    f"set it with `igconnect trackers classify {tracker.key} --set high|normal`",
                )
            )
            continue
        try:
            conn, account_id = _classify_connection(tracker, connections)
            with runtime.client_for(conn) as client:
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
        with runtime.edit() as edited:
            current = load_trackers(edited)
            for key, updated in updates.items():
                if key in current:  # removed meanwhile: nothing to record
                    # keep the assignment as it is now; only the volume fields are ours
                    updated = replace(updated, connection=current[key].connection)
                    save_tracker(edited, updated)
    return results
