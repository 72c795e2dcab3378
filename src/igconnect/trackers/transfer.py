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
from igconnect.trackers.model import KIND_HASHTAG, VOLUMES, Tracker, parse_tracker_ref
from igconnect.trackers.rules import Carrier, ConnectionLoad, Limits, choose_connection, limits_from
from igconnect.trackers.service import account_id_of, carriers, check_assignment, current_loads
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
    runtime: Runtime, text: str, *, source: str, sync: bool = False, dry_run: bool = False
) -> ImportResult:
    """Apply a trackers file in one transaction (see the module docstring)."""
    problems: list[str] = []
    lines = _parse(text, problems)
    limits = limits_from(runtime.settings)
    result = ImportResult(applied=not dry_run)
    with runtime.state.transaction(commit=not dry_run) as db:
        store = TrackerStore(db)
        conns = carriers(db)
        loads = current_loads(db, conns, limits)
        current = {t.key: t for t in store.all()}
        for line in lines:
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
            raise ImportRefused(source, problems)  # the transaction rolls back
    return result


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
        target = choose_connection(tracker, loads, conns).connection
        if target is None:
            result.unassigned.append(tracker.key)
    tracker.account_id = account_id_of(tracker, conns)
    if existing is not None:
        _leave(loads, existing)
    tracker.connection = target
    tracker.connection_id = conns[target].connection.id if target else None
    if target is not None:
        _arrive(loads[target], tracker)
    if existing is None:
        store.add(tracker)
        result.added.append(tracker.key)
    else:
        store.save(tracker)
        result.updated.append(tracker.key)


def _arrive(load: ConnectionLoad, tracker: Tracker) -> None:
    """Count `tracker` on the connection whose load it is, so the next line sees it there."""
    load.count += 1
    load.trackers.append(tracker.key)
    load.hashtags_used += tracker.kind == KIND_HASHTAG
    if tracker.is_high_volume:
        load.high_volume.append(tracker.key)
    load.high_volume_shared = bool(load.high_volume) and load.count > 1


def _leave(loads: dict[str, ConnectionLoad], tracker: Tracker) -> None:
    load = loads.get(tracker.connection or "")
    if load is None:
        return
    load.count -= 1
    load.hashtags_used -= tracker.kind == KIND_HASHTAG
    if tracker.key in load.high_volume:
        load.high_volume.remove(tracker.key)
    load.high_volume_shared = bool(load.high_volume) and load.count > 1
