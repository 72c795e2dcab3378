"""Trackers as a CSV file, for agencies that keep their list in git or a spreadsheet.

    tracker,connection,volume
    @acme_shop,acme,normal
    #food,,high

`export` writes every tracker; `import` adds the trackers of a file and sets the connection and
volume of those already tracked (an empty cell leaves the choice to igconnect, or the value as it
is), all in one transaction: one bad line and nothing is imported, and every bad line is reported
with its number. With `sync`, trackers the file does not list are removed too.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from igconnect.errors import ExitCode, IgconnectError, NotFoundError, UsageError
from igconnect.trackers.access import Access, resolve_access, unreadable
from igconnect.trackers.model import KIND_ACCOUNT, VOLUMES, Tracker, parse_tracker_ref
from igconnect.trackers.rules import Carrier, ConnectionLoad, Limits, choose_connection, limits_from
from igconnect.trackers.service import (
    account_id_of,
    arrive,
    carriers,
    check_assignment,
    current_loads,
    leave,
)
from igconnect.trackers.store import TrackerStore

if TYPE_CHECKING:
    from igconnect.runtime import Runtime

COLUMNS = ("tracker", "connection", "volume")


class ImportRefused(UsageError):
    """A file with bad lines: nothing was imported; `problems` has one line per bad line."""

    def __init__(self, source: str, problems: list[str]) -> None:
        super().__init__(
            f"{len(problems)} bad line(s) in {source}; nothing was imported",
            hint="fix the lines listed above and import the file again",
        )
        self.problems = problems


@dataclass
class ImportResult:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: int = 0
    unassigned: list[str] = field(
        default_factory=list
    )  # added with no connection that can carry it
    warnings: list[str] = field(default_factory=list)
    applied: bool = True  # False for a dry run

    exit_code = ExitCode.OK

    def to_json(self) -> dict[str, Any]:
        return {
            "applied": self.applied,
            "added": self.added,
            "updated": self.updated,
            "removed": self.removed,
            "unchanged": self.unchanged,
            "unassigned": self.unassigned,
            "warnings": self.warnings,
        }


def export_rows(runtime: Runtime) -> Iterator[list[str]]:
    """The header, then one row per tracker, in key order."""
    yield list(COLUMNS)
    for tracker in TrackerStore(runtime.state.db).all():
        yield [tracker.key, tracker.connection or "", tracker.volume]


def export_csv(runtime: Runtime) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(export_rows(runtime))
    return out.getvalue()


@dataclass
class _Line:
    number: int
    tracker: Tracker
    connection: str | None  # None: empty cell
    volume: str | None  # None: empty cell


def _parse(text: str, problems: list[str]) -> list[_Line]:
    rows = csv.reader(io.StringIO(text))
    header = next(rows, None)
    if header is None:
        problems.append("line 1: the file is empty (it needs the header tracker,connection,volume)")
        return []
    names = [h.strip().lower() for h in header]
    unknown = [h for h in names if h not in COLUMNS]
    if "tracker" not in names or unknown:
        problems.append(
            f"line 1: the header must name the columns tracker, connection, volume (got "
            f"{', '.join(header) or 'nothing'})"
        )
        return []
    lines: list[_Line] = []
    seen: dict[str, int] = {}
    for number, row in enumerate(rows, start=2):
        if not any(cell.strip() for cell in row):
            continue
        cells = dict(zip(names, (c.strip() for c in row), strict=False))
        if len(row) > len(names):
            problems.append(f"line {number}: {len(row)} cells, the header has {len(names)}")
            continue
        try:
            kind, target = parse_tracker_ref(cells.get("tracker", ""))
        except UsageError as exc:
            problems.append(f"line {number}: {exc.message}")
            continue
        volume = cells.get("volume") or None
        if volume is not None and volume.lower() not in VOLUMES:
            problems.append(f"line {number}: volume '{volume}' is not one of {', '.join(VOLUMES)}")
            continue
        tracker = Tracker(kind=kind, target=target)
        if tracker.key in seen:
            problems.append(f"line {number}: {tracker.key} is already on line {seen[tracker.key]}")
            continue
        seen[tracker.key] = number
        lines.append(
            _Line(number, tracker, cells.get("connection") or None, volume and volume.lower())
        )
    return lines


def import_csv(
    runtime: Runtime,
    text: str,
    *,
    source: str,
    sync: bool = False,
    dry_run: bool = False,
    pending: bool = False,
) -> ImportResult:
    """Apply a trackers file in one transaction (see the module docstring). `pending`: keep the
    accounts nothing can read yet (as `trackers add --pending`) instead of refusing their lines."""
    problems: list[str] = []
    lines = _parse(text, problems)
    limits = limits_from(runtime.settings)
    result = ImportResult(applied=not dry_run)
    # Meta is asked before the transaction
    access = _access_of_new(runtime, lines, problems, pending=pending)
    with runtime.state.transaction(commit=not dry_run) as db:
        store = TrackerStore(db)
        conns = carriers(db)
        loads = current_loads(db, conns, limits)
        current = {t.key: t for t in store.all()}
        for line in lines:
            found = access.get(line.tracker.key)
            if found is not None:
                line.tracker.access, line.tracker.account_id = found.access, found.account_id
            try:
                _apply(line, current.get(line.tracker.key), conns, loads, limits, store, result)
            except IgconnectError as exc:
                problems.append(f"line {line.number}: {exc.message}")
        if sync:
            listed = {line.tracker.key for line in lines}
            for key in sorted(set(current) - listed):
                store.remove(key)
                result.removed.append(key)
        if problems:
            problems.sort(key=_line_number)
            raise ImportRefused(source, problems)  # the transaction rolls back
    return result


def _line_number(problem: str) -> int:
    head = problem.split(":", 1)[0].removeprefix("line ")
    return int(head) if head.isdigit() else 0


def _access_of_new(
    runtime: Runtime, lines: list[_Line], problems: list[str], *, pending: bool
) -> dict[str, Access]:
    """How each new account of the file is read; a bad line for those nothing can read (kept
    pending with `pending`)."""
    store = TrackerStore(runtime.state.db)
    conns = carriers(runtime.state.db)
    out: dict[str, Access] = {}
    for line in lines:
        tracker = line.tracker
        if tracker.kind != KIND_ACCOUNT or store.find(tracker.key) is not None:
            continue
        if line.connection is not None and line.connection not in conns:
            continue  # the line is bad for that already (see _apply)
        try:
            found = resolve_access(runtime, tracker, conns, prefer=line.connection)
        except IgconnectError as exc:
            if pending:
                tracker.pending = True
                continue
            problems.append(f"line {line.number}: {tracker.key}: business discovery: {exc.message}")
            continue
        if not found.readable and pending:
            tracker.pending = True
            continue
        if not found.readable:
            why = unreadable(tracker, found, keep="igconnect trackers import FILE --pending")
            problems.append(f"line {line.number}: {why.message} ({why.hint})")
            continue
        out[tracker.key] = found
    return out


def _apply(
    line: _Line,
    existing: Tracker | None,
    conns: dict[str, Carrier],
    loads: dict[str, ConnectionLoad],
    limits: Limits,
    store: TrackerStore,
    result: ImportResult,
) -> None:
    tracker = existing or line.tracker
    volume = line.volume or tracker.volume
    changed_volume = existing is not None and volume != existing.volume
    if line.volume and (existing is None or changed_volume):
        tracker = replace(tracker, volume=volume, volume_source="manual")
    if existing is not None and (line.connection is None or line.connection == existing.connection):
        if changed_volume:
            store.save(tracker)
            result.updated.append(tracker.key)
        else:
            result.unchanged += 1
        return
    target: str | None
    if line.connection is not None:
        if line.connection not in conns:
            raise NotFoundError("connection", line.connection, conns)
        target = line.connection
        warnings = check_assignment(tracker, conns[target], loads[target], limits)
        result.warnings += [f"{tracker.key}: {w}" for w in warnings]
    else:
        choice = choose_connection(tracker, loads, conns)
        target = choice.connection
        result.warnings += [f"{tracker.key}: {w}" for w in choice.warnings]
        if target is None:
            result.unassigned.append(tracker.key)
    tracker.account_id = tracker.account_id or account_id_of(tracker, conns)
    if existing is not None:
        leave(loads.get(existing.connection or ""), existing)
    tracker.connection = target
    tracker.connection_id = conns[target].connection.id if target else None
    if target is not None:
        tracker.pending = False
        arrive(loads[target], tracker)
    if existing is None:
        store.add(tracker)
        result.added.append(tracker.key)
    else:
        store.save(tracker)
        result.updated.append(tracker.key)
