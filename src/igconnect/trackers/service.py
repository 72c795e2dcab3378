"""Tracker operations that change assignments: assign, unassign, remove, move, rebalance (adding
is in adding.py).

Each returns data; the CLI renders it. Every change happens inside one state-store transaction, so a
refused change writes nothing and a reader never sees half of a move or a rebalance. Adding or
assigning one tracker reads only what it needs (the connections that could carry it and their
counts), so it costs the same at 10 trackers or 10,000. Listing is in listing.py, classifying in
classify.py, the CSV file in transfer.py.

Refusals (documented in docs/trackers.md): an assignment Meta cannot serve (a managed account the
connection does not reach, a public account or a hashtag on Instagram Login or on a connection
with no account, a hashtag past the hashtag budget) is a ConflictError; an account nothing can
read is a NotFoundError with the close matches; going over capacity, sharing with a high-volume
tracker or assigning to a broken connection only warns, and `strict=True` turns those warnings
into ConflictErrors.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from igconnect.connections.model import Account
from igconnect.connections.store import ConnectionStore
from igconnect.errors import ConflictError, ExitCode, NotFoundError
from igconnect.trackers.access import resolve_access, unreadable
from igconnect.trackers.model import (
    ACCESS_MANAGED,
    KIND_ACCOUNT,
    KIND_HASHTAG,
    Tracker,
)
from igconnect.trackers.rebalance import Proposal, propose
from igconnect.trackers.rules import (
    MORE_CONNECTIONS,
    Carrier,
    ConnectionLoad,
    Limits,
    LoadSummary,
    MemoryLookup,
    choose_connection,
    close_matches,
    connection_load,
    ineligible_reason,
    limits_from,
    load_summary,
    placement_fix,
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

    def similar(self, username: str, limit: int) -> list[str]:
        candidates = self.store.username_candidates(username, self.connection_id)
        return close_matches(username, candidates, limit)


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
                load.shared - moving.shares_budget,
            )
    out = {}
    for name, carrier in conns.items():
        load = counts.get(carrier.connection.id, Load())
        out[name] = connection_load(
            carrier,
            limits,
            count=load.count,
            hashtags=load.hashtags,
            shared=load.shared,
            high_volume=load.high_volume,
        )
    return out


def arrive(load: ConnectionLoad, tracker: Tracker) -> None:
    """Count `tracker` on the connection whose load it is, so the next one in a batch sees it."""
    load.count += 1
    load.trackers.append(tracker.key)
    load.hashtags_used += tracker.kind == KIND_HASHTAG
    load.shared += tracker.shares_budget
    if tracker.is_high_volume and tracker.shares_budget:
        load.high_volume.append(tracker.key)
    load.high_volume_shared = bool(load.high_volume) and load.shared > 1


def leave(load: ConnectionLoad | None, tracker: Tracker) -> None:
    if load is None:
        return
    load.count -= 1
    load.hashtags_used -= tracker.kind == KIND_HASHTAG
    load.shared -= tracker.shares_budget
    if tracker.key in load.high_volume:
        load.high_volume.remove(tracker.key)
    load.high_volume_shared = bool(load.high_volume) and load.shared > 1


def fix_for(db: sqlite3.Connection, key: str, limits: Limits) -> str:
    """What to run so the tracker `key`, on no connection or one that cannot read it, collects
    (for messages elsewhere, such as the export's)."""
    tracker = TrackerStore(db).find(key)
    if tracker is None:
        return f"add it with `igconnect trackers add {key}`"
    conns = carriers(db)
    return placement_fix(tracker, current_loads(db, conns, limits, without=key), conns)


# -- assign / unassign / remove / move -------------------------------------------------------
@dataclass
class AssignResult:
    tracker: Tracker
    previous: str | None
    connection: str | None
    changed: bool
    warnings: list[str] = field(default_factory=list)
    reason: str = ""  # why this connection, when igconnect chose it

    exit_code = ExitCode.OK

    def to_json(self) -> dict[str, Any]:
        return {
            "tracker": self.tracker.key,
            "previous": self.previous,
            "connection": self.connection,
            "access": self.tracker.access,
            "changed": self.changed,
            "reason": self.reason,
            "warnings": list(self.warnings),
        }


@dataclass
class MoveResult:
    """`trackers move`: what moved (with `dry_run`, what would)."""

    source: str
    target: str
    moved: list[str]
    warnings: list[str] = field(default_factory=list)
    dry_run: bool = False

    exit_code = ExitCode.OK

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "target": self.target,
            "moved": list(self.moved),
            "warnings": list(self.warnings),
            "dry_run": self.dry_run,
        }


@dataclass
class RemoveResult:
    """`trackers remove`: the tracker no longer tracked (with `dry_run`, the one that would not be)."""

    tracker: Tracker
    dry_run: bool = False

    exit_code = ExitCode.OK

    def to_json(self) -> dict[str, Any]:
        return {
            "tracker": self.tracker.key,
            "kind": self.tracker.kind,
            "connection": self.tracker.connection,
            "dry_run": self.dry_run,
        }


def check_assignment(
    tracker: Tracker,
    connection: Carrier,
    load: ConnectionLoad,
    limits: Limits,
    *,
    strict: bool = False,
    also_arriving: int = 0,
    retry: str | None = None,
) -> list[str]:
    """Refuse what Meta cannot serve; return warnings for what only breaks the vendors' advice.

    `load`: what the connection carries without `tracker`; `also_arriving`: other trackers moving
    to the same connection in the same operation (counted only when they share its budget);
    `retry`: the command that lets igconnect choose instead (default: `trackers assign KEY`).
    """
    if connection.is_broken:
        warnings = [ineligible_reason(tracker, connection) or ""]
    else:
        reason = ineligible_reason(tracker, connection)
        if reason:
            retry = retry or f"igconnect trackers assign {tracker.key}"
            raise ConflictError(
                f"cannot put {tracker.key} on '{connection.name}': {reason}",
                hint=f"let igconnect pick a connection that can: `{retry}`",
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
    if not tracker.shares_budget:  # a managed account spends its own account's budget
        if strict and warnings:
            raise ConflictError(
                f"refused (--strict): {warnings[0]}",
                hint=f"reconnect it first: `igconnect login --reconnect {connection.name}`",
            )
        return warnings
    count = load.shared + 1 + also_arriving
    if count > limits.capacity:
        warnings.append(
            f"connection '{connection.name}' will carry {count} trackers sharing its token's "
            f"platform budget (public accounts, hashtags), more than {limits.capacity} "
            f"(tracker_capacity): they may be throttled; {MORE_CONNECTIONS}, then run "
            "`igconnect trackers rebalance --apply`"
        )
    if load.high_volume:
        warnings.append(
            f"connection '{connection.name}' carries high-volume {', '.join(load.high_volume)}, "
            "which needs its platform budget alone"
        )
    elif tracker.is_high_volume and (load.shared or also_arriving):
        warnings.append(
            f"{tracker.key} is high-volume and should have a platform budget of its own "
            f"('{connection.name}' carries {load.shared + also_arriving} other shared-budget "
            "tracker(s))"
        )
    if strict and warnings:
        raise ConflictError(
            f"refused (--strict): {warnings[0]}",
            hint="drop --strict to accept it with the warning",
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


def assign_tracker(
    runtime: Runtime, ref: str, connection: str | None = None, strict: bool = False
) -> AssignResult:
    """Put a tracker on `connection`, or (None) on the best one by the rules. An account tracker
    is read again as managed or public (business discovery is asked when no connection reaches
    it); one nothing can read is refused with the close matches."""
    limits = limits_from(runtime.settings)
    tracker = TrackerStore(runtime.state.db).get(ref)
    conns = carriers(runtime.state.db)
    if connection is not None and connection not in conns:
        raise NotFoundError(
            "connection", connection, conns, hint="run `igconnect connections list`"
        )
    found = resolve_access(runtime, tracker, conns, prefer=connection)  # outside the transaction
    if tracker.kind == KIND_ACCOUNT:
        if not found.readable:
            why = unreadable(tracker, found, keep=None)
            if found.close:
                why.hint = (
                    f"did you mean @{found.close[0]}? run `igconnect trackers remove "
                    f"{tracker.key} --yes`, then `igconnect trackers add @{found.close[0]}`"
                )
            raise why
        tracker.access, tracker.account_id = found.access, found.account_id or tracker.account_id
    with runtime.state.transaction() as db:
        trackers = TrackerStore(db)
        previous = trackers.get(ref).connection
        conns = carriers(db)
        loads = current_loads(db, conns, limits, without=tracker.key)
        reason = ""
        if connection is None:
            choice = choose_connection(tracker, loads, conns)
            if choice.connection is None:
                raise ConflictError(
                    f"cannot place {tracker.key}: {choice.reason}",
                    hint=MORE_CONNECTIONS.capitalize(),
                )
            if strict and choice.warnings:
                raise ConflictError(
                    f"refused (--strict): {choice.warnings[0]}", hint="drop --strict to accept it"
                )
            connection, reason = choice.connection, choice.reason
            warnings = list(choice.warnings)
        else:
            warnings = check_assignment(
                tracker, conns[connection], loads[connection], limits, strict=strict
            )
        if previous == connection and not tracker.pending:
            trackers.assign(
                tracker.key, conns[connection].connection.id, tracker.account_id, tracker.access
            )
            return AssignResult(tracker, previous, connection, changed=False, reason=reason)
        trackers.assign(
            tracker.key, conns[connection].connection.id, tracker.account_id, tracker.access
        )
        tracker.connection, tracker.pending = connection, False
    return AssignResult(
        tracker, previous, connection, changed=True, warnings=warnings, reason=reason
    )


def unassign_tracker(runtime: Runtime, ref: str) -> AssignResult:
    with runtime.state.transaction() as db:
        trackers = TrackerStore(db)
        tracker = trackers.get(ref)
        previous = tracker.connection
        trackers.assign(tracker.key, None)
        tracker.connection = None
    return AssignResult(tracker, previous, None, changed=previous is not None)


def remove_tracker(runtime: Runtime, ref: str, *, dry_run: bool = False) -> RemoveResult:
    with runtime.state.transaction(commit=not dry_run) as db:
        trackers = TrackerStore(db)
        tracker = trackers.get(ref)
        trackers.remove(tracker.key)
    return RemoveResult(tracker, dry_run=dry_run)


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
            return MoveResult(source, target, [], dry_run=dry_run)
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
                    also_arriving=sum(t.shares_budget for t in moving) - tracker.shares_budget,
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
    return MoveResult(source, target, [t.key for t in moving], warnings, dry_run=dry_run)


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
            moved = p.trackers[move.tracker]
            # an account placed where a connection reaches it is read as managed from now on
            managed = moved.kind == KIND_ACCOUNT and not moved.is_public and target_id is not None
            trackers.assign(move.tracker, target_id, access=ACCESS_MANAGED if managed else None)
    return RebalanceResult(proposal, applied=bool(proposal.moves))
