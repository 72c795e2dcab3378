"""`trackers add`: one tracker, many (`add @a @b '#c'`), or every account a connection reaches
(`add --all --connection NAME`), with one report for the batch.

Each tracker is checked before anything is written: an account a connection reaches is managed
and always goes on a working connection that reaches it; one no connection reaches is asked of
business discovery (access.py) and, when found, is a public account on a Facebook connection; one
that nothing can read is refused with the reason and the close matches, or kept pending with
`pending=True`. Meta is asked outside the write transaction; then the accepted trackers are written
in one transaction, each seeing the load of those before it. The report's exit code is the worst
of its items' (`WORST_FIRST`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from igconnect.connections.store import ConnectionStore
from igconnect.errors import ConflictError, ExitCode, IgconnectError, NotFoundError, UsageError
from igconnect.trackers.access import Access, resolve_access, similar_usernames, unreadable
from igconnect.trackers.model import (
    ACCESS_MANAGED,
    KIND_ACCOUNT,
    VOLUME_HIGH,
    VOLUME_NORMAL,
    Tracker,
    parse_tracker_ref,
)
from igconnect.trackers.rules import (
    MORE_CONNECTIONS,
    Carrier,
    ConnectionLoad,
    choose_connection,
)
from igconnect.trackers.service import (
    arrive,
    carriers,
    check_assignment,
    current_loads,
    limits_from,
)
from igconnect.trackers.store import TrackerStore

if TYPE_CHECKING:
    from igconnect.runtime import Runtime

ADDED = "added"  # tracked, on a connection (or unassigned when nothing can carry it yet)
PENDING = "pending"  # kept with --pending: nothing reads it yet
EXISTS = "exists"  # already tracked
REFUSED = "refused"  # nothing written: it cannot work (the reason says why)
FAILED = "failed"  # nothing written: Meta could not be asked (the reason says why)
# Exit codes from the worst down: could not ask Meta, then cannot work, then already there.
WORST_FIRST = (
    ExitCode.AUTH,
    ExitCode.NETWORK,
    ExitCode.RATE_LIMITED,
    ExitCode.SECRET_STORE,
    ExitCode.ERROR,
    ExitCode.NOT_FOUND,
    ExitCode.CONFLICT,
)


@dataclass
class AddItem:
    tracker: str
    outcome: str  # added | pending | exists | refused | failed
    connection: str | None = None
    access: str | None = None  # managed | public (accounts)
    reason: str = ""  # why this connection, or why not
    hint: str | None = None  # what to do next, with the command
    warnings: list[str] = field(default_factory=list)
    close_matches: list[str] = field(default_factory=list)
    exit_code: ExitCode = ExitCode.OK

    def to_json(self) -> dict[str, Any]:
        return {
            "tracker": self.tracker,
            "outcome": self.outcome,
            "connection": self.connection,
            "access": self.access,
            "reason": self.reason,
            "hint": self.hint,
            "warnings": list(self.warnings),
            "close_matches": list(self.close_matches),
            "exit_code": int(self.exit_code),
        }


@dataclass
class AddReport:
    items: list[AddItem]

    def count(self, outcome: str) -> int:
        return sum(1 for i in self.items if i.outcome == outcome)

    @property
    def exit_code(self) -> ExitCode:
        codes = {i.exit_code for i in self.items}
        return next((c for c in WORST_FIRST if c in codes), ExitCode.OK)

    def to_json(self) -> dict[str, Any]:
        first = self.items[0] if self.items else AddItem("", "")
        return {
            # the first tracker's, as `trackers add` of one tracker always answered
            "tracker": first.tracker,
            "connection": first.connection,
            "reason": first.reason,
            "items": [i.to_json() for i in self.items],
            "added": self.count(ADDED),
            "pending": self.count(PENDING),
            "exists": self.count(EXISTS),
            "refused": self.count(REFUSED),
            "failed": self.count(FAILED),
            "exit_code": int(self.exit_code),
        }


@dataclass
class _Wanted:
    tracker: Tracker
    item: AddItem
    access: Access | None = None


def add_trackers(
    runtime: Runtime,
    refs: list[str],
    connection: str | None = None,
    *,
    every_account: bool = False,
    high_volume: bool = False,
    strict: bool = False,
    pending: bool = False,
) -> AddReport:
    """Add `refs` (`@user`, `user` or `#tag`), or with `every_account` each account `connection`
    reaches; see the module docstring."""
    db = runtime.state.db
    conns = carriers(db)
    if connection is not None and connection not in conns:
        raise NotFoundError(
            "connection", connection, conns, hint="run `igconnect connections list`"
        )
    if every_account:
        if connection is None:
            raise UsageError(
                "--all needs the connection whose accounts to track",
                hint="e.g. `igconnect trackers add --all --connection NAME`",
            )
        if refs:
            raise UsageError(
                "give either trackers or --all, not both",
                hint=f"`igconnect trackers add --all --connection {connection}` adds every account",
            )
        carrier = conns[connection]
        refs = ["@" + a.username for a in ConnectionStore(db).reach(carrier.connection.id).accounts]
    elif not refs:
        raise UsageError(
            "no tracker given", hint="e.g. `igconnect trackers add @USERNAME '#HASHTAG'`"
        )
    wanted = _parse(runtime, refs, every_account=every_account, high_volume=high_volume)
    for w in wanted:
        if w.item.outcome:
            continue
        try:
            w.access = resolve_access(runtime, w.tracker, conns, prefer=connection)
        except IgconnectError as exc:
            if not pending:
                _fail(w.item, FAILED, exc.exit_code, exc.message, _retry(exc, w.tracker))
                continue
            w.access = Access(None, close=similar_usernames(runtime.state.db, w.tracker.target))
            w.item.warnings.append(f"business discovery could not be asked: {exc.message}")
        if w.tracker.kind == KIND_ACCOUNT and not w.access.readable:
            if pending:
                w.tracker.pending = True
                w.item.outcome = PENDING
                w.item.close_matches = list(w.access.close)
                why = unreadable(w.tracker, w.access, keep=None)
                w.item.reason = f"kept pending: {why.message}"
                w.item.hint = why.hint
                continue
            keep = f"igconnect trackers add {w.tracker.key} --pending"
            why = unreadable(w.tracker, w.access, keep=keep)
            _fail(w.item, REFUSED, why.exit_code, why.message, why.hint)
            w.item.close_matches = list(w.access.close)
            continue
        w.tracker.access = w.access.access
        w.tracker.account_id = w.access.account_id
        w.item.access = w.access.access
        if w.tracker.is_public:  # public, yet spelt like one the agency manages: say so
            near = similar_usernames(runtime.state.db, w.tracker.target)
            if near:
                w.item.close_matches = near
                w.item.warnings.append(
                    f"{w.tracker.key} is tracked as a public account (no stories, no insights); "
                    f"did you mean @{near[0]}, which a connection manages? if so: "
                    f"`igconnect trackers remove {w.tracker.key} --yes`, then "
                    f"`igconnect trackers add @{near[0]}`"
                )
    _write(runtime, wanted, connection, strict=strict)
    return AddReport([w.item for w in wanted])


def _parse(
    runtime: Runtime, refs: list[str], *, every_account: bool, high_volume: bool
) -> list[_Wanted]:
    """One entry per distinct tracker; bad names refuse the whole batch before anything."""
    parsed = [parse_tracker_ref(r) for r in refs]
    store = TrackerStore(runtime.state.db)
    out: dict[str, _Wanted] = {}
    for kind, target in parsed:
        tracker = Tracker(
            kind=kind,
            target=target,
            volume=VOLUME_HIGH if high_volume else VOLUME_NORMAL,
            volume_source="manual" if high_volume else "default",
        )
        if tracker.key in out:
            continue
        item = AddItem(tracker.key, "")
        existing = store.find(tracker.key)
        if existing is not None:
            where = f"on '{existing.connection}'" if existing.connection else "on no connection"
            item.outcome, item.connection, item.access = (
                EXISTS,
                existing.connection,
                existing.access,
            )
            item.reason = f"already tracked ({where})"
            if not every_account:  # asked for by name: say so in the exit code
                item.exit_code = ExitCode.CONFLICT
                item.hint = f"to move it: `igconnect trackers assign {tracker.key} CONNECTION`"
        out[tracker.key] = _Wanted(tracker, item)
    return list(out.values())


def _fail(item: AddItem, outcome: str, code: ExitCode, reason: str, hint: str | None) -> None:
    item.outcome, item.exit_code, item.reason, item.hint = outcome, code, reason, hint


def _retry(exc: IgconnectError, tracker: Tracker) -> str:
    keep = f"`igconnect trackers add {tracker.key} --pending`"
    return (
        f"{exc.hint}; or keep it now with {keep}"
        if exc.hint
        else f"try again, or keep it now with {keep}"
    )


def _write(
    runtime: Runtime, wanted: list[_Wanted], connection: str | None, *, strict: bool
) -> None:
    limits = limits_from(runtime.settings)
    todo = [w for w in wanted if w.item.outcome in ("", PENDING)]
    if not todo:
        return
    with runtime.state.transaction() as db:
        trackers = TrackerStore(db)
        conns = carriers(db)
        loads = current_loads(db, conns, limits)
        for w in todo:
            if trackers.find(w.tracker.key) is not None:  # added meanwhile by another process
                _fail(w.item, EXISTS, ExitCode.CONFLICT, "already tracked", None)
                continue
            if w.item.outcome != PENDING:
                try:
                    _place(w, conns, loads, limits, connection, strict=strict)
                except ConflictError as exc:
                    _fail(w.item, REFUSED, exc.exit_code, exc.message, exc.hint)
                    continue
            trackers.add(w.tracker)
            if w.tracker.connection is not None:
                arrive(loads[w.tracker.connection], w.tracker)


def _place(
    w: _Wanted,
    conns: dict[str, Carrier],
    loads: dict[str, ConnectionLoad],
    limits: Any,
    connection: str | None,
    *,
    strict: bool,
) -> None:
    tracker, item = w.tracker, w.item
    item.outcome = ADDED
    if connection is not None:
        item.warnings += check_assignment(
            tracker,
            conns[connection],
            loads[connection],
            limits,
            strict=strict,
            retry=f"igconnect trackers add {tracker.key}",
        )
        chosen: str | None = connection
        item.reason = f"on '{connection}', as asked"
    else:
        choice = choose_connection(tracker, loads, conns)
        chosen, item.reason = choice.connection, choice.reason
        if strict and choice.warnings:
            raise ConflictError(
                f"refused (--strict): {choice.warnings[0]}",
                hint="drop --strict to add it anyway",
            )
        item.warnings += choice.warnings
        if chosen is None and tracker.access == ACCESS_MANAGED:
            # Only broken connections reach it: it waits there and collects once one is repaired.
            broken = sorted(c.name for c in conns.values() if c.reaches(tracker) is not None)
            if broken:
                chosen = broken[0]
                item.reason = (
                    f"on '{chosen}', which reaches it but is broken: it collects once that one is "
                    f"reconnected (`igconnect login --reconnect {chosen}`)"
                )
        if chosen is None:
            if strict:
                raise ConflictError(
                    f"refused (--strict): {choice.reason}", hint=MORE_CONNECTIONS.capitalize()
                )
            item.reason = f"added on no connection: {choice.reason}"
            item.hint = f"{MORE_CONNECTIONS}, then run `igconnect trackers assign {tracker.key}`"
    tracker.connection = chosen
    tracker.connection_id = conns[chosen].connection.id if chosen else None
    item.connection = chosen
