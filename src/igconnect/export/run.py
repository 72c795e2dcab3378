"""One export run: lock, plan the accounts, collect them concurrently, archive, then write the file.

    export_stories(runtime, ExportOptions(...)) -> ExportResult

Nothing here prints; the CLI (and `igconnect demo`) render the result. The output file is replaced
atomically and only once the run has collected something (or with `fetch=False`), so a failed run
leaves the previous file as it was.
"""

from __future__ import annotations

import itertools
import logging
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from igconnect.errors import (
    ExitCode,
    IgconnectError,
    NotFoundError,
    SecretStoreError,
    UnsafeSetupError,
    UsageError,
)
from igconnect.export import collector as col
from igconnect.export.pool import batching_client as _client
from igconnect.export.pool import mark_broken as _mark_broken
from igconnect.export.writer import FORMATS

if TYPE_CHECKING:
    import sqlite3

    from igconnect.connections.model import Connection
    from igconnect.export.archive import Archive
    from igconnect.meta.client import GraphClient
    from igconnect.runtime import Runtime

log = logging.getLogger("igconnect.export")

BREAKDOWN_MODES = col.BREAKDOWN_MODES
KNOWN_STORY_HORIZON = timedelta(hours=48)  # archive rows the collector needs about live stories


@dataclass
class ExportOptions:
    out: str | None = None  # a path, "-" for stdout, None for `export_path` or the default file
    format: str | None = None  # csv | jsonl; None: `export_format` (or .jsonl from the file name)
    since: datetime | None = None  # stories posted at or after (None: `export_window_days` back)
    until: datetime | None = None  # stories posted before
    snapshots: bool = False  # every observation instead of the latest values per story
    fetch: bool = True  # False: write from the archive only
    accounts: list[str] = field(default_factory=list)  # usernames (with or without @)
    connections: list[str] = field(default_factory=list)
    breakdowns: str = "auto"  # auto: at each story's final read; now: for every story; never
    clock: Callable[[], datetime] | None = None  # the time "now" (tests and the sandbox move it)
    on_planned: Callable[[int], None] | None = None  # how many accounts will be collected
    on_account: Callable[[AccountReport], None] | None = None  # each account as it finishes


@dataclass(frozen=True)
class AccountReport:
    connection: str | None
    username: str
    account_id: str | None
    state: str  # collected | throttled | broken | error | skipped
    reason: str | None
    stories: int
    requests: int

    @property
    def ok(self) -> bool:
        return self.state == col.COLLECTED

    def to_json(self) -> dict[str, Any]:
        return {
            "connection": self.connection,
            "username": self.username,
            "account_id": self.account_id,
            "state": self.state,
            "reason": self.reason,
            "stories": self.stories,
            "requests": self.requests,
        }


@dataclass
class ExportResult:
    output: str  # the file written, or "-" for stdout, or "" when nothing was written
    format: str
    rows: int
    accounts: list[AccountReport]
    requests: int
    warnings: list[str]
    log_file: str
    fetched: bool
    seconds: float
    broken_connections: list[str] = field(default_factory=list)
    missed_final_reads: int = 0  # stories that expired since the last run without a final read
    moved_trackers: list[dict[str, str]] = field(default_factory=list)  # failover, this run
    round_trips: int = 0  # HTTP round trips; `requests` counts the calls Meta counts
    problems: list[Any] = field(default_factory=list)  # results.ConnectionProblem, one per dead one
    kind = "stories"

    def to_json(self) -> dict[str, Any]:
        """The `--json` summary (keys pinned by tests/cli/test_json_contract.py and
        tests/export/test_export_all.py)."""
        return {
            "kind": self.kind,
            "exit_code": int(self.exit_code),
            "output": self.output,
            "format": self.format,
            "rows": self.rows,
            "requests": self.requests,
            "round_trips": self.round_trips,
            "seconds": round(self.seconds, 3),
            "log_file": self.log_file,
            "warnings": list(self.warnings),
            "broken_connections": list(self.broken_connections),
            "connection_problems": [p.to_json() for p in self.problems],
            "missed_final_reads": self.missed_final_reads,
            "moved_trackers": list(self.moved_trackers),
            "accounts": [a.to_json() for a in self.accounts],
        }

    @property
    def failed(self) -> list[AccountReport]:
        return [a for a in self.accounts if not a.ok]

    @property
    def collected(self) -> list[AccountReport]:
        return [a for a in self.accounts if a.ok]

    @property
    def exit_code(self) -> ExitCode:
        from igconnect.export.results import collection_exit_code

        return collection_exit_code(self.fetched, len(self.collected), len(self.failed))


def parse_date(text: str, *, end: bool = False) -> datetime:
    """A date as users write it (igconnect.timestamps.parse_moment)."""
    from igconnect.timestamps import parse_moment

    return parse_moment(text, end=end)


# -- planning -------------------------------------------------------------------------------------
@dataclass
class _Plan:
    jobs: list[col.AccountJob]
    skipped: list[AccountReport]
    connections: dict[str, Connection]
    account_ids: list[str] | None  # the accounts the output is limited to (None: all)


def _plan(runtime: Runtime, options: ExportOptions) -> _Plan:
    from igconnect.connections.model import normalise_username, reconnect_hint
    from igconnect.connections.store import ConnectionStore

    db = runtime.state.db
    connections = {c.name: c for c in ConnectionStore(db).all()}
    for name in options.connections:
        if name not in connections:
            raise NotFoundError(
                "connection", name, connections, hint="run `igconnect connections list`"
            )
    wanted = [normalise_username(a) for a in options.accounts]
    rows = list(_account_trackers(db, wanted, options.connections))
    missing = set(wanted) - {r["target"] for r in rows}
    if missing:
        name = sorted(missing)[0]
        if options.connections:  # the tracker may exist on another connection
            raise NotFoundError(
                "account tracker",
                f"@{name} on {', '.join(options.connections)}",
                [],
                hint="run `igconnect trackers list` to see which connection carries it",
            )
        known = [r[0] for r in db.execute("SELECT key FROM trackers WHERE kind = 'account'")]
        raise NotFoundError(
            "account tracker",
            "@" + name,
            known,
            hint="run `igconnect trackers list`, or add it with `igconnect trackers add @NAME`",
        )
    jobs: list[col.AccountJob] = []
    skipped: list[AccountReport] = []
    account_ids: list[str] = []
    for row in rows:
        connection = connections.get(row["connection"] or "")
        account_id = row["account_id"] or row["reached_id"]
        target = row["target"]
        if not row["managed"] and target not in wanted:
            # No connection reaches it: a public account, read by `export profiles` through
            # business discovery. Meta shows no one else's stories, so there is nothing to miss.
            log.info("stories: @%s is a public account (no connection reaches it)", target)
            continue
        reason: str | None = None
        state = col.SKIPPED
        if connection is None:
            reason = f"no connection assigned ({_placement_fix(runtime, db, target)})"
        elif connection.is_broken:  # the summary says it once for the connection (results.py)
            state = col.BROKEN
            reason = (
                f"connection '{connection.name}' is broken"
                f" ({connection.broken_reason or 'token dead'}); {reconnect_hint(connection)}"
            )
        elif row["reached_id"] is None:
            reason = f"connection '{connection.name}' does not reach @{target}"
        if account_id:
            account_ids.append(account_id)
        if reason is not None or connection is None or account_id is None:
            skipped.append(
                AccountReport(row["connection"], target, account_id, state, reason, 0, 0)
            )
            continue
        jobs.append(col.AccountJob(connection.name, connection.provider, target, account_id))
    filtered = bool(options.accounts or options.connections)
    return _Plan(jobs, skipped, connections, account_ids if filtered else None)


def _placement_fix(runtime: Runtime, db: sqlite3.Connection, target: str) -> str:
    """The complete command that puts an unassigned tracker where it collects (trackers rules)."""
    from igconnect.trackers.rules import limits_from
    from igconnect.trackers.service import fix_for

    return fix_for(db, "@" + target, limits_from(runtime.settings))


def _account_trackers(
    db: sqlite3.Connection, usernames: list[str], connections: list[str]
) -> Iterator[sqlite3.Row]:
    """The account trackers to collect, each with its connection and the account it reaches."""
    where = ["t.kind = 'account'"]
    params: list[str] = []
    if usernames:  # by key: the primary key's index finds them without a scan
        where.append(f"t.key IN ({', '.join('?' * len(usernames))})")
        params += ["@" + u for u in usernames]
    if connections:
        where.append(f"c.name IN ({', '.join('?' * len(connections))})")
        params += connections
    yield from db.execute(
        f"""
        SELECT t.target, t.account_id, c.name AS connection,
               coalesce(by_id.account_id, by_name.account_id) AS reached_id,
               EXISTS (SELECT 1 FROM accounts a WHERE a.username = t.target COLLATE NOCASE
                       OR a.account_id = t.account_id) AS managed
        FROM trackers t
        LEFT JOIN connections c ON c.id = t.connection_id
        LEFT JOIN accounts by_id
               ON by_id.connection_id = t.connection_id AND by_id.account_id = t.account_id
        LEFT JOIN accounts by_name
               ON by_name.username = t.target COLLATE NOCASE
              AND by_name.connection_id = t.connection_id
        WHERE {" AND ".join(where)}
        ORDER BY t.key
        """,
        params,
    )


# -- the run --------------------------------------------------------------------------------------
def export_stories(runtime: Runtime, options: ExportOptions) -> ExportResult:
    """Collect (unless `fetch` is off), archive, and write the stories file. See docs/export.md."""
    from igconnect.export.backup import backup_if_due
    from igconnect.export.session import locked_run

    clock = options.clock or (lambda: datetime.now(UTC))
    prepared = prepare_stories(runtime, options)
    with locked_run(runtime, clock(), writes=options.fetch) as (archive, log_file):
        result = stories_in_run(runtime, options, prepared, archive, log_file)
        backup_warning = backup_if_due(runtime, archive, clock())
        if backup_warning:
            log.info("%s", backup_warning)
            result.warnings.append(backup_warning)
            runtime.warnings.append(backup_warning)
        return result


@dataclass
class PreparedStories:
    """What a stories run decides before it takes the lock: format, file, failover, plan."""

    fmt: str
    out_path: Path | None
    started: float
    moved: list[dict[str, str]]
    plan: _Plan


def prepare_stories(runtime: Runtime, options: ExportOptions) -> PreparedStories:
    fmt = _format(options, runtime.settings.get("export_format"))
    if options.breakdowns not in BREAKDOWN_MODES:
        raise UsageError(f"--breakdowns must be one of {', '.join(BREAKDOWN_MODES)}")
    out_path = _out_path(runtime, options)
    started = time.monotonic()
    moved = _fail_over(runtime, options)
    return PreparedStories(fmt, out_path, started, moved, _plan(runtime, options))


def stories_in_run(
    runtime: Runtime,
    options: ExportOptions,
    prepared: PreparedStories,
    archive: Archive,
    log_file: str,
) -> ExportResult:
    """The stories part of a run that holds the lock and the archive (alone, or with the other
    kinds in `igconnect export`)."""
    settings = runtime.settings
    clock = options.clock or (lambda: datetime.now(UTC))
    plan, out_path, fmt = prepared.plan, prepared.out_path, prepared.fmt
    log.info(
        "export run started (fetch=%s, accounts=%d, skipped=%d, out=%s)",
        options.fetch,
        len(plan.jobs),
        len(plan.skipped),
        out_path or "-",
    )
    reports: list[AccountReport] = []
    warnings: list[str] = []
    broken: list[str] = []
    requests = round_trips = missed = 0
    if options.fetch:
        reports, (requests, round_trips), warnings, broken, missed = _collect_all(
            runtime, options, plan, archive, clock
        )
    result = ExportResult(
        output="",
        format=fmt,
        rows=0,
        accounts=reports,
        requests=requests,
        warnings=warnings,
        log_file=log_file,
        fetched=options.fetch,
        seconds=0.0,
        broken_connections=broken,
        missed_final_reads=missed,
        moved_trackers=prepared.moved,
        round_trips=round_trips,
    )
    result.problems = _problems(runtime, plan, reports)
    if missed:
        log.info("warning: %d stories expired without a final read since the last run", missed)
    if result.exit_code != ExitCode.NOTHING_COLLECTED:
        result.rows = _write(archive, options, plan, out_path, fmt, settings, clock)
        result.output = str(out_path) if out_path else "-"
    result.seconds = time.monotonic() - prepared.started
    for report in result.failed:  # at INFO: the CLI prints its own summary on stderr
        log.info(
            "not collected: @%s (connection %s): %s: %s",
            report.username,
            report.connection or "-",
            report.state,
            report.reason,
        )
    log.info(
        "export run finished: exit %d, %d collected, %d failed, %d requests, %d rows, %.1fs",
        int(result.exit_code),
        len(result.collected),
        len(result.failed),
        result.requests,
        result.rows,
        result.seconds,
    )
    return result


def _problems(runtime: Runtime, plan: _Plan, reports: list[AccountReport]) -> list[Any]:
    """One line per broken connection, with its fix (the reason as the state store has it now)."""
    from igconnect.connections.model import reconnect_hint
    from igconnect.connections.store import ConnectionStore
    from igconnect.export.results import connection_problems

    names = {r.connection for r in reports if r.state == col.BROKEN and r.connection}
    fixes: dict[str, tuple[str, str]] = {}
    for name in names:
        connection = ConnectionStore(runtime.state.db).find(name) or plan.connections.get(name)
        if connection is not None:
            fixes[name] = (_why(connection.broken_reason), reconnect_hint(connection))
    return connection_problems(reports, fixes)


def _why(reason: str | None) -> str:
    text = reason or "token dead"
    marker = " is dead: "
    return text.split(marker, 1)[1] if marker in text else text


def _fail_over(runtime: Runtime, options: ExportOptions) -> list[dict[str, str]]:
    """Failover (trackers/failover.py) before planning an unfiltered run; said in the summary."""
    if not options.fetch or options.accounts or options.connections:
        return []
    from igconnect.trackers.failover import AWAY, fail_over

    result = fail_over(runtime)
    for move in result.moves:
        log.info("failover: %s", move.describe())
        target = runtime.warnings if move.direction == AWAY else runtime.notices
        target.append(move.describe())
    for line in result.stuck:
        log.info("failover: %s", line)
    return [m.to_json() for m in result.moves]


def _format(options: ExportOptions, default: str) -> str:
    fmt = options.format
    if fmt is None and options.out and options.out.endswith(".jsonl"):
        fmt = "jsonl"
    fmt = fmt or default
    if fmt not in FORMATS:
        raise UsageError(f"--format must be one of {', '.join(FORMATS)}, not '{fmt}'")
    return fmt


def _out_path(runtime: Runtime, options: ExportOptions) -> Path | None:
    if options.out == "-":
        return None
    if options.out:
        path = Path(options.out).expanduser()
    else:
        configured = runtime.settings.get("export_path")
        if configured and "{kind}" in configured:  # a template for every kind (export/kinds.py)
            configured = configured.replace("{kind}", "stories").replace(
                "{date}", datetime.now(UTC).strftime("%Y-%m-%d")
            )
        path = Path(configured).expanduser() if configured else runtime.paths.default_export_file
    if path.is_dir():
        raise UsageError(f"{path} is a directory", hint="give a file name with --out")
    return path


def _write(
    archive: Archive,
    options: ExportOptions,
    plan: _Plan,
    out_path: Path | None,
    fmt: str,
    settings: object,
    clock: Callable[[], datetime],
) -> int:
    from igconnect.export.derived import DERIVED_COLUMNS, sequence_windows, with_derived
    from igconnect.export.writer import write_rows
    from igconnect.meta.metrics import metric_columns

    version = settings.get("graph_version")  # type: ignore[attr-defined]
    since = options.since
    if since is None:
        days = settings.get("export_window_days")  # type: ignore[attr-defined]
        since = clock() - timedelta(days=days) if days else None
    if options.snapshots:
        rows = archive.snapshot_rows(since=since, until=options.until, account_ids=plan.account_ids)
    else:
        rows = archive.latest_rows(
            since=since, until=options.until, account_ids=plan.account_ids, now=clock()
        )
    # Derived columns (rates, sequences) follow the metric columns; see export/derived.py.
    rows = with_derived(
        archive.db,
        rows,
        since=since,
        until=options.until,
        account_ids=plan.account_ids,
        windows=sequence_windows(settings),  # type: ignore[arg-type]
    )
    escape = settings.get("export_escape_formulas")  # type: ignore[attr-defined]
    columns = [*metric_columns(version), *DERIVED_COLUMNS]
    return write_rows(rows, out_path, fmt, columns, escape_formulas=escape)


def _collect_all(
    runtime: Runtime,
    options: ExportOptions,
    plan: _Plan,
    archive: Archive,
    clock: Callable[[], datetime],
) -> tuple[list[AccountReport], tuple[int, int], list[str], list[str], int]:
    from igconnect.meta.errors import TokenDead

    settings = runtime.settings
    version = settings.get("graph_version")
    now = clock()
    run = col.RunContext(
        version=version,
        interval=timedelta(minutes=settings.get("schedule_interval_minutes")),
        breakdowns=options.breakdowns,
        clock=clock,
        rejected=archive.metric_rejections(
            now - timedelta(days=settings.get("metric_recheck_days"))
        ),
    )
    reports: list[AccountReport] = list(plan.skipped)
    broken: list[str] = []
    for report in plan.skipped:
        _notify(options, report)
    clients: dict[str, GraphClient] = {}
    gates: dict[str, col.ConnectionGate] = {}
    jobs: list[col.AccountJob] = []
    for job in plan.jobs:
        pause = (
            archive.paused_until("app", now)
            or archive.paused_until(f"connection:{job.connection}", now)
            or archive.paused_until(f"account:{job.account_id}", now)
        )
        if pause is not None:
            until, why = pause
            report = AccountReport(
                job.connection,
                job.username,
                job.account_id,
                col.THROTTLED,
                f"{why} (paused until {until:%Y-%m-%d %H:%M} UTC, not called)",
                0,
                0,
            )
            reports.append(report)
            _notify(options, report)
            continue
        if job.connection not in gates:
            gates[job.connection] = col.ConnectionGate()
            try:
                # client_for refreshes a due Instagram Login token first.
                clients[job.connection] = _client(runtime, plan.connections[job.connection])
            except (SecretStoreError, UnsafeSetupError):
                raise  # every connection needs the store and safe files: say so once, with its code
            except TokenDead as exc:  # the refresh found the token dead
                reason = f"the token of connection '{job.connection}' is dead: {exc.reason}"
                gates[job.connection].close(reason, col.BROKEN)
                broken.append(job.connection)
                _mark_broken(runtime, job.connection, reason)
            except IgconnectError as exc:
                gates[job.connection].close(_one_line(exc))
        jobs.append(job)
    if options.on_planned is not None:
        options.on_planned(len(jobs))
    requests = round_trips = 0
    run_id = archive.start_run(now)
    # Before this run reads anything: what expired since the last one without its final read.
    missed = archive.count_missed_finals(now)
    try:
        for finished in _run_pool(
            jobs, run, clients, gates, archive, now, settings.get("export_concurrency")
        ):
            # The accounts that finished together are written in one transaction, so the
            # archive keeps up with dozens of collectors (a kill loses only what was in flight).
            archive.record_accounts(
                run_id=run_id,
                api_version=version,
                observed_at=clock(),
                accounts=[o for o in finished if o.stories],
            )
            for outcome in finished:
                _settle(runtime, archive, options, outcome, now, broken, reports)
    finally:
        for client in clients.values():
            requests += client.api_calls
            round_trips += client.request_count
            client.close()
    collected = sum(1 for r in reports if r.ok)
    _cleared_checkpoints(runtime, plan, reports, broken)
    if run.newly_rejected:
        archive.reject_metrics(run.newly_rejected, now)
    archive.finish_run(
        run_id, clock(), f"{collected}/{len(reports)} accounts", requests, missed_final=missed
    )
    runtime.warnings.extend(run.warnings)
    return reports, (requests, round_trips), run.warnings, broken, missed


def _run_pool(
    jobs: list[col.AccountJob],
    run: col.RunContext,
    clients: dict[str, GraphClient],
    gates: dict[str, col.ConnectionGate],
    archive: Archive,
    now: datetime,
    concurrency: int,
) -> Iterator[list[col.AccountOutcome]]:
    """Collect the accounts on a bounded pool, yielding the outcomes that finished together. At
    most twice the pool size is in flight, so memory does not grow with the number of accounts."""
    from concurrent.futures import FIRST_COMPLETED, wait

    def task(job: col.AccountJob) -> col.AccountOutcome:
        gate = gates[job.connection]
        client = clients.get(job.connection)
        if client is None:
            return col.AccountOutcome(
                job.connection, job.username, job.account_id, gate.state, gate.reason
            )
        return col.AccountCollector(run, client, gate).collect(job)

    pending: set[Future[col.AccountOutcome]] = set()
    queue = iter(jobs)
    with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="export") as pool:
        while True:
            room = 2 * concurrency - len(pending)
            batch = [job for job in itertools.islice(queue, room)] if room > 0 else []
            if batch:  # what the archive knows of them, in two queries for the lot
                ids = [job.account_id for job in batch]
                known = archive.known_stories_of(ids, now - KNOWN_STORY_HORIZON)
                hints = archive.collect_hints_of(ids, now)
                for job in batch:
                    job.known, job.hint = known[job.account_id], hints.get(job.account_id)
                    pending.add(pool.submit(task, job))
            if not pending:
                return
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            yield [future.result() for future in done]


def _settle(
    runtime: Runtime,
    archive: Archive,
    options: ExportOptions,
    outcome: col.AccountOutcome,
    now: datetime,
    broken: list[str],
    reports: list[AccountReport],
) -> None:
    """What an account's outcome leaves behind besides its stories: a hint, a pause, a broken
    connection, and its line of the report."""
    if outcome.hint is not None and outcome.account_id:
        archive.save_collect_hint(outcome.account_id, outcome.hint, now)
    if outcome.pause_key and outcome.pause_until:
        archive.pause(outcome.pause_key, outcome.pause_until, outcome.reason or "throttled")
    if outcome.token_dead and outcome.connection not in broken:
        broken.append(outcome.connection)
        _mark_broken(
            runtime,
            outcome.connection,
            outcome.reason or "token dead",
            may_recover=outcome.checkpoint,
        )
    report = AccountReport(
        outcome.connection,
        outcome.username,
        outcome.account_id,
        outcome.state,
        outcome.reason,
        len(outcome.stories),
        outcome.requests,
    )
    outcome.stories = []  # archived: let them go (memory stays flat)
    reports.append(report)
    _notify(options, report)


def _cleared_checkpoints(
    runtime: Runtime, plan: _Plan, reports: list[AccountReport], broken: list[str]
) -> None:
    """A connection held by a checkpoint that worked again this run is ok again."""
    from igconnect.connections.model import STATUS_CHECKPOINT
    from igconnect.connections.store import ConnectionStore

    worked = {r.connection for r in reports if r.ok} - set(broken)
    held = [c for c in plan.connections.values() if c.status == STATUS_CHECKPOINT]
    cleared = [c for c in held if c.name in worked]
    if not cleared:
        return
    with runtime.state.transaction() as db:
        for connection in cleared:
            ConnectionStore(db).mark_ok(connection.id)
            log.info("connection %s works again: its checkpoint was cleared", connection.name)


def _notify(options: ExportOptions, report: AccountReport) -> None:
    if options.on_account is not None:
        options.on_account(report)


def _one_line(exc: IgconnectError) -> str:
    return f"{exc.message} — {exc.hint}" if exc.hint else exc.message
