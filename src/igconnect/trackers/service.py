"""Tracker operations that change assignments: add, assign, unassign, remove, move, rebalance.

Each returns data; the CLI renders it. Every change happens inside one state-store transaction, so a
refused change writes nothing and a reader never sees half of a move or a rebalance. Adding or
assigning one tracker reads only what it needs (the connections that could carry it and their
counts), so it costs the same at 10 trackers or 10,000. Listing is in listing.py, classifying in
classify.py, the CSV file in transfer.py.

Refusals (documented in docs/trackers.md): an assignment Meta cannot serve (an account the
connection does not reach, a hashtag on Instagram Login or past the hashtag budget) is a
ConflictError; going over capacity, sharing with a high-volume tracker or assigning to a broken
connection only warns, and `strict=True` turns those warnings into ConflictErrors.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from igconnect.connections.model import Account
from igconnect.connections.store import ConnectionStore
from igconnect.errors import ConflictError, ExitCode, NotFoundError
from igconnect.trackers.model import (
    KIND_ACCOUNT,
    KIND_HASHTAG,
    VOLUME_HIGH,
    VOLUME_NORMAL,
    Tracker,
    parse_tracker_ref,
    tracker_key,
)
from igconnect.trackers.rebalance import Proposal, propose
from igconnect.trackers.rules import (
    Carrier,
    Choice,
    ConnectionLoad,
    Limits,
    LoadSummary,
    MemoryLookup,
    choose_connection,
    connection_load,
    ineligible_reason,
    limits_from,
    load_summary,
)
from igconnect.trackers.store import Load, TrackerStore

if TYPE_CHECKING:
    import sqlite3

    from igconnect.runtime import Runtime


# -- the connections as the rules see them ---------------------------------------------------------
class StoreLookup:
    """One connection's accounts, asked of the store one at a time (indexed)."""

    def __init__(self, store: ConnectionStore, connection_id: str) -> None:
        self.store = store
        self.connection_id = connection_id

    def find(self, username_or_id: str) -> Account | None:
        return self.store.account(self.connection_id, username_or_id)

    def sample(self, limit: int) -> list[str]:
        return self.store.usernames(self.connection_id, limit)


def carriers(db: sqlite3.Connection) -> dict[str, Carrier]:
    """Every connection, with its accounts looked up in the store as needed."""
    store = ConnectionStore(db)
    return {c.name: Carrier(c, StoreLookup(store, c.id)) for c in store.all()}


@dataclass
class Picture:
    """Everything the rules look at, read at one moment: for listing, rebalance and doctor."""

    trackers: dict[str, Tracker]
    carriers: dict[str, Carrier]
    limits: Limits


def picture(runtime: Runtime) -> Picture:
    limits = limits_from(runtime.settings)
    with runtime.state.snapshot() as db:
        return _picture(db, limits)


def _picture(db: sqlite3.Connection, limits: Limits) -> Picture:
    store = ConnectionStore(db)
    accounts: dict[str, list[Account]] = {}
    for connection_id, account in store.all_accounts():
        accounts.setdefault(connection_id, []).append(account)
    conns = {c.name: Carrier(c, MemoryLookup(accounts.get(c.id, []))) for c in store.all()}
    return Picture({t.key: t for t in TrackerStore(db).all()}, conns, limits)


def tracker_load(runtime: Runtime) -> LoadSummary:
    """The per-connection load summary (for doctor)."""
    p = picture(runtime)
    return load_summary(p.trackers, p.carriers, p.limits)


def current_loads(
    db: sqlite3.Connection, conns: dict[str, Carrier], limits: Limits, *, without: str | None = None
) -> dict[str, ConnectionLoad]:
    """What each connection carries now (leaving out the tracker `without`)."""
    counts = TrackerStore(db).loads()
    if without is not None:
        moving = TrackerStore(db).find(without)
        if moving is not None and moving.connection_id in counts:
            load = counts[moving.connection_id]
            counts[moving.connection_id] = Load(
                load.count - 1,
                load.hashtags - (moving.kind == KIND_HASHTAG),
                [k for k in load.high_volume if k != moving.key],
            )
    out = {}
    for name, carrier in conns.items():
        load = counts.get(carrier.connection.id, Load())
        out[name] = connection_load(
            carrier, limits, count=load.count, hashtags=load.hashtags, high_volume=load.high_volume
        )
    return out


# -- add / assign / unassign / remove / move -------------------------------------------------
@dataclass
class AddResult:
    tracker: Tracker
    connection: str | None
    reason: str  # one line: why this connection, or what to do when there is none
    warnings: list[str] = field(default_factory=list)

    exit_code = ExitCode.OK

    def to_json(self) -> dict[str, Any]:
        return {"tracker": self.tracker.key, "connection": self.connection, "reason": self.reason}


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
    connection: Carrier,
    load: ConnectionLoad,
    limits: Limits,
    *,
    strict: bool = False,
    also_arriving: int = 0,
) -> list[str]:
    """Refuse what Meta cannot serve; return warnings for what only breaks the vendors' advice.

    `load`: what the connection carries without `tracker`; `also_arriving`: other trackers moving
    to the same connection in the same operation.
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
    if tracker.kind == KIND_HASHTAG and not connection.is_broken:
        budget = limits.hashtag_budget(connection)
        if load.hashtags_used + 1 > budget:
            raise ConflictError(
                f"connection '{connection.name}' has no hashtag budget left "
                f"({load.hashtags_used}/{budget}: Meta allows 30 unique hashtags per Instagram "
                "account per 7 days)",
                hint="put the hashtag on another Facebook Login connection",
            )
    count = load.count + 1 + also_arriving
    if count > limits.capacity:
        warnings.append(
            f"connection '{connection.name}' will carry {count} trackers, more than "
            f"{limits.capacity} (tracker_capacity): it may run into Meta's rate limits"
        )
    if load.high_volume:
        warnings.append(
            f"connection '{connection.name}' carries high-volume {', '.join(load.high_volume)}, "
            "which needs it alone"
        )
    elif tracker.is_high_volume and (load.count or also_arriving):
        warnings.append(
            f"{tracker.key} is high-volume and should have a connection of its own "
            f"('{connection.name}' carries {load.count + also_arriving} other tracker(s))"
        )
    if strict and warnings:
        raise ConflictError(
            f"refused (--strict): {warnings[0]}",
            hint="run `igconnect trackers rebalance` to make room, or drop --strict",
        )
    return warnings


def account_id_of(tracker: Tracker, conns: dict[str, Carrier]) -> str | None:
    if tracker.kind != KIND_ACCOUNT:
        return None
    if tracker.account_id:
        return tracker.account_id
    for carrier in conns.values():
        account = carrier.reaches(tracker)
        if account is not None:
            return account.id
    return None


def add_tracker(
    runtime: Runtime,
    ref: str,
    connection: str | None = None,
    high_volume: bool = False,
    strict: bool = False,
) -> AddResult:
    """Add `@user` or `#tag`, on `connection` or on the best one by the rules (or unassigned)."""
    kind, target = parse_tracker_ref(ref)
    limits = limits_from(runtime.settings)
    tracker = Tracker(
        kind=kind,
        target=target,
        volume=VOLUME_HIGH if high_volume else VOLUME_NORMAL,
        volume_source="manual" if high_volume else "default",
    )
    key = tracker_key(kind, target)
    with runtime.state.transaction() as db:
        trackers = TrackerStore(db)
        existing = trackers.find(key)
        if existing is not None:
            trackers.add(existing)  # refuses, naming where it is
        conns = carriers(db)
        tracker.account_id = account_id_of(tracker, conns)
        loads = current_loads(db, conns, limits)
        warnings: list[str] = []
        if connection is not None:
            if connection not in conns:
                raise NotFoundError(
                    "connection", connection, conns, hint="run `igconnect connections list`"
                )
            carrier = conns[connection]
            warnings = check_assignment(tracker, carrier, loads[connection], limits, strict=strict)
            chosen: str | None = connection
            reason = f"on '{connection}', as asked"
        else:
            choice: Choice = choose_connection(tracker, loads, conns)
            chosen, reason = choice.connection, choice.reason
            if chosen is None:
                if strict:
                    raise ConflictError(
                        f"refused (--strict): {choice.reason}",
                        hint="connect an account that can carry it with `igconnect login`",
                    )
                reason += (
                    "; added unassigned: connect one with `igconnect login`, then run "
                    f"`igconnect trackers assign {key} CONNECTION` or `igconnect trackers "
                    "rebalance`"
                )
        tracker.connection = chosen
        tracker.connection_id = conns[chosen].connection.id if chosen else None
        trackers.add(tracker)
    return AddResult(tracker, tracker.connection, reason, warnings)


def assign_tracker(
    runtime: Runtime, ref: str, connection: str, strict: bool = False
) -> AssignResult:
    limits = limits_from(runtime.settings)
    with runtime.state.transaction() as db:
        trackers = TrackerStore(db)
        tracker = trackers.get(ref)
        conns = carriers(db)
        if connection not in conns:
            raise NotFoundError(
                "connection", connection, conns, hint="run `igconnect connections list`"
            )
        previous = tracker.connection
        if previous == connection:
            return AssignResult(tracker, previous, connection, changed=False)
        loads = current_loads(db, conns, limits, without=tracker.key)
        warnings = check_assignment(
            tracker, conns[connection], loads[connection], limits, strict=strict
        )
        trackers.assign(tracker.key, conns[connection].connection.id, account_id_of(tracker, conns))
        tracker.connection = connection
    return AssignResult(tracker, previous, connection, changed=True, warnings=warnings)


def unassign_tracker(runtime: Runtime, ref: str) -> AssignResult:
    with runtime.state.transaction() as db:
        trackers = TrackerStore(db)
        tracker = trackers.get(ref)
        previous = tracker.connection
        trackers.assign(tracker.key, None)
        tracker.connection = None
    return AssignResult(tracker, previous, None, changed=previous is not None)


def remove_tracker(runtime: Runtime, ref: str, *, dry_run: bool = False) -> Tracker:
    with runtime.state.transaction(commit=not dry_run) as db:
        trackers = TrackerStore(db)
        tracker = trackers.get(ref)
        trackers.remove(tracker.key)
    return tracker


def move_trackers(
    runtime: Runtime, source: str, target: str, strict: bool = False, *, dry_run: bool = False
) -> MoveResult:
    """Move every tracker of connection `source` to `target`. All or nothing: if one of them cannot
    go to `target`, none moves. `dry_run`: say what would move, move nothing."""
    limits = limits_from(runtime.settings)
    with runtime.state.transaction(commit=not dry_run) as db:
        conns = carriers(db)
        for name in (source, target):
            if name not in conns:
                raise NotFoundError(
                    "connection", name, conns, hint="run `igconnect trackers list` to see them"
                )
        trackers = TrackerStore(db)
        moving = trackers.on(conns[source].connection.id)
        if source == target or not moving:
            return MoveResult(source, target, [])
        load = current_loads(db, conns, limits)[target]
        warnings: list[str] = []
        refused: list[str] = []
        for tracker in moving:
            try:
                for w in check_assignment(
                    tracker,
                    conns[target],
                    load,
                    limits,
                    strict=strict,
                    also_arriving=len(moving) - 1,
                ):
                    if w not in warnings:
                        warnings.append(w)
            except ConflictError as exc:
                refused.append(exc.message)
        tags = sum(1 for t in moving if t.kind == KIND_HASHTAG) + load.hashtags_used
        budget = limits.hashtag_budget(conns[target])
        if not conns[target].is_broken and tags > budget and not refused:
            refused.append(
                f"connection '{target}' would carry {tags} hashtags, more than its budget of {budget}"
            )
        if refused:
            raise ConflictError(
                f"nothing moved: {refused[0]}"
                + (f" (and {len(refused) - 1} more)" if len(refused) > 1 else ""),
                hint=f"move the others one by one with `igconnect trackers assign TRACKER {target}`",
            )
        target_id = conns[target].connection.id
        for tracker in moving:
            trackers.assign(tracker.key, target_id, account_id_of(tracker, conns))
    return MoveResult(source, target, [t.key for t in moving], warnings)


# -- rebalance -----------------------------------------------------------------------------------
@dataclass
class RebalanceResult:
    proposal: Proposal
    applied: bool

    exit_code = ExitCode.OK

    def to_json(self) -> dict[str, Any]:
        return {**self.proposal.to_json(), "applied": self.applied}


def rebalance(runtime: Runtime, apply: bool = False) -> RebalanceResult:
    limits = limits_from(runtime.settings)
    if not apply:
        p = picture(runtime)
        return RebalanceResult(propose(p.trackers, p.carriers, limits), applied=False)
    with runtime.state.transaction() as db:  # decided and written at one moment
        p = _picture(db, limits)
        proposal = propose(p.trackers, p.carriers, limits)
        trackers = TrackerStore(db)
        for move in proposal.moves:
            target_id = p.carriers[move.target].connection.id if move.target else None
            trackers.assign(move.tracker, target_id)
    return RebalanceResult(proposal, applied=bool(proposal.moves))
