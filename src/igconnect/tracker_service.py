"""Tracker operations that change assignments: add, assign, unassign, remove, move, rebalance.

Each returns data; the CLI renders it. Every change happens inside one locked `runtime.edit()`, so
a refused change writes nothing. Listing is in tracker_listing.py, classifying in
tracker_classify.py.

Refusals (documented in docs/trackers.md): an assignment Meta cannot serve (an account the
connection does not reach, a hashtag on Instagram Login or past the hashtag budget) is a
ConflictError; going over capacity, sharing with a high-volume tracker or assigning to a broken
connection only warns, and `strict=True` turns those warnings into ConflictErrors.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from igconnect.connections import Connection, get_connection, load_connections
from igconnect.errors import ConflictError, NotFoundError
from igconnect.rebalance import Proposal, propose
from igconnect.tracker_rules import (
    Choice,
    Limits,
    LoadSummary,
    choose_connection,
    ineligible_reason,
    limits_from,
    load_summary,
    reaches,
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


# -- reading ------------------------------------------------------------------------------------
def load_state(runtime: Runtime) -> tuple[dict[str, Tracker], dict[str, Connection], Limits]:
    """Trackers, connections and limits as the settings file has them now (no lock)."""
    doc = runtime.document()
    return load_trackers(doc), load_connections(doc), _limits(runtime)


def tracker_load(runtime: Runtime) -> LoadSummary:
    """The per-connection load summary (for doctor)."""
    trackers, connections, limits = load_state(runtime)
    return load_summary(trackers, connections, limits)


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
