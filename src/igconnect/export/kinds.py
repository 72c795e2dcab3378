"""`export profiles`, `export hashtags`, and `export` with no kind: every kind that has trackers in
one locked run, with one summary and one exit code (the job cron runs).

    export_profiles(runtime, KindOptions(...)) -> KindResult
    export_hashtags(runtime, KindOptions(...)) -> KindResult
    export_all(runtime, AllOptions(...)) -> RunResult

Files: `--out` is a file for one kind; for the run of every kind it is a directory (each kind
writes `{kind}.csv` in it) or a template with `{kind}` (and optionally `{date}`, the run's UTC
day), e.g. `exports/{kind}-{date}.csv`. `export profiles` writes a second file for the public
accounts' posts: `{kind}` = `posts` in a template, else `NAME-posts.csv` beside `NAME.csv`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from igconnect.errors import ExitCode, IgconnectError, UsageError
from igconnect.export.results import KINDS, KindResult, RunResult, connection_problems

if TYPE_CHECKING:
    from igconnect.export.archive import Archive
    from igconnect.runtime import Runtime

log = logging.getLogger("igconnect.export")

PROFILE_COLUMNS = (
    "connection",
    "account_id",
    "username",
    "access",
    "observed_at",
    "followers_count",
    "follows_count",
    "media_count",
    "first_seen_at",
    "last_seen_at",
)
POST_COLUMNS = (
    "account_id",
    "username",
    "media_id",
    "media_type",
    "permalink",
    "posted_at",
    "caption",
    "like_count",
    "comments_count",
    "first_seen_at",
    "last_seen_at",
)
HASHTAG_COLUMNS = (
    "hashtag",
    "media_id",
    "media_type",
    "permalink",
    "posted_at",
    "caption",
    "like_count",
    "comments_count",
    "seen_in",
    "first_seen_at",
    "last_seen_at",
)


@dataclass
class KindOptions:
    out: str | None = None  # a file, "-" for stdout, None: the default file of the kind
    format: str | None = None
    fetch: bool = True
    targets: list[str] = field(default_factory=list)  # @accounts or #hashtags to limit it to
    snapshots: bool = False  # profiles: every observation instead of the latest
    clock: Callable[[], datetime] | None = None


@dataclass
class AllOptions:
    out: str | None = None  # a directory or a template with {kind}; None: each kind's default
    format: str | None = None
    fetch: bool = True
    breakdowns: str = "auto"
    clock: Callable[[], datetime] | None = None


# -- files ---------------------------------------------------------------------------------------
def kind_file(runtime: Runtime, kind: str, out: str | None, now: datetime, ext: str) -> Path:
    """The file of `kind` for `--out` (a directory, a template, or None for the default)."""
    if out is None:
        configured = runtime.settings.get("export_path")
        if configured and "{kind}" in configured:
            out = configured
        elif configured and kind == "stories":
            return Path(configured).expanduser()
        else:
            return runtime.paths.default_export_file.with_name(f"{kind}.{ext}")
    if "{" in out:
        try:
            return Path(out.format(kind=kind, date=now.strftime("%Y-%m-%d"))).expanduser()
        except (KeyError, IndexError, ValueError):
            raise UsageError(
                f"--out '{out}' is not a file-name template",
                hint="use {kind} and {date} only, e.g. `--out exports/{kind}-{date}.csv`",
            ) from None
    path = Path(out).expanduser()
    if path.is_dir() or out.endswith(("/", "\\")):
        return path / f"{kind}.{ext}"
    raise UsageError(
        f"--out {out} names one file, and this run writes one file per kind",
        hint="give a directory (`--out exports/`) or a template (`--out exports/{kind}-{date}.csv`)",
    )


def _single_file(
    runtime: Runtime, kind: str, out: str | None, now: datetime, ext: str
) -> Path | None:
    if out == "-":
        return None
    if out is None or "{" in out:
        return kind_file(runtime, kind, out, now, ext)
    path = Path(out).expanduser()
    if path.is_dir():
        raise UsageError(f"{path} is a directory", hint="give a file name with --out")
    return path


def _posts_file(
    main: Path | None, out: str | None, runtime: Runtime, now: datetime, ext: str
) -> Path | None:
    if main is None:
        return None  # stdout: the profiles only
    if out is not None and "{" in out:
        return kind_file(runtime, "posts", out, now, ext)
    return main.with_name(f"{main.stem}-posts{main.suffix}")


def _format(fmt: str | None, out: str | None, default: str) -> str:
    from igconnect.export.writer import FORMATS

    chosen = fmt or ("jsonl" if out and out.endswith(".jsonl") else default)
    if chosen not in FORMATS:
        raise UsageError(f"--format must be one of {', '.join(FORMATS)}, not '{chosen}'")
    return chosen


# -- one kind ------------------------------------------------------------------------------------
def export_profiles(runtime: Runtime, options: KindOptions) -> KindResult:
    return _alone(runtime, "profiles", options)


def export_hashtags(runtime: Runtime, options: KindOptions) -> KindResult:
    return _alone(runtime, "hashtags", options)


def _alone(runtime: Runtime, kind: str, options: KindOptions) -> KindResult:
    from igconnect.export.backup import backup_if_due
    from igconnect.export.session import locked_run

    clock = options.clock or (lambda: datetime.now(UTC))
    fmt = _format(options.format, options.out, runtime.settings.get("export_format"))
    out = _single_file(runtime, kind, options.out, clock(), fmt)
    with locked_run(runtime, clock(), writes=options.fetch) as (archive, log_file):
        result = kind_in_run(runtime, kind, options, archive, out, fmt, log_file)
        warning = backup_if_due(runtime, archive, clock())
        if warning:
            result.warnings.append(warning)
        return result


def kind_in_run(
    runtime: Runtime,
    kind: str,
    options: KindOptions,
    archive: Archive,
    out: Path | None,
    fmt: str,
    log_file: str,
) -> KindResult:
    """Collect one kind (profiles or hashtags) inside a locked run, archive it, write its file."""
    from igconnect.connections.store import ConnectionStore
    from igconnect.export.public import PublicArchive

    started = time.monotonic()
    clock = options.clock or (lambda: datetime.now(UTC))
    public = PublicArchive(archive)
    connections = {c.name: c for c in ConnectionStore(runtime.state.db).all()}
    result = KindResult(kind, "", fmt, 0, [], 0, 0, [], options.fetch, log_file=log_file)
    if options.fetch:
        if kind == "profiles":
            _collect_profiles(runtime, options, public, connections, result, clock)
        else:
            _collect_hashtags(runtime, options, public, connections, result, clock)
    if result.exit_code != ExitCode.NOTHING_COLLECTED:
        _write(runtime, kind, options, public, out, fmt, result, clock())
    result.seconds = time.monotonic() - started
    for item in result.failed:
        log.info(
            "not collected: %s (connection %s): %s: %s",
            item.target,
            item.connection or "-",
            item.state,
            item.reason,
        )
    log.info(
        "export %s finished: exit %d, %d collected, %d failed, %d requests, %d rows",
        kind,
        int(result.exit_code),
        len(result.collected),
        len(result.failed),
        result.requests,
        result.rows,
    )
    return result


def _targets(options: KindOptions, prefix: str) -> list[str]:
    from igconnect.connections.model import normalise_username

    out = []
    for t in options.targets:
        text = t.strip()
        if prefix == "#":
            out.append(text.lstrip("#").lower())
        else:
            out.append(normalise_username(text))
    return out


def _collect_profiles(
    runtime: Runtime,
    options: KindOptions,
    public: Any,
    connections: dict[str, Any],
    result: KindResult,
    clock: Callable[[], datetime],
) -> None:
    from igconnect.export.pool import run_pool
    from igconnect.export.profiles import collect_profile, plan_profiles

    jobs, skipped, broken = plan_profiles(runtime.state.db, connections, _targets(options, "@"))
    result.items.extend(skipped)
    clients = _clients(runtime, public, connections, clock)
    records = []
    try:
        for report, record in run_pool(
            jobs, lambda j: collect_profile(clients, j), runtime.settings.get("export_concurrency")
        ):
            result.items.append(report)
            if record is not None:
                records.append(record)
        if records:
            public.record_profiles(records, clock())
    finally:
        result.requests, result.round_trips = clients.counts
        clients.close()
    _settle(result, clients, broken, public, clock())


def _collect_hashtags(
    runtime: Runtime,
    options: KindOptions,
    public: Any,
    connections: dict[str, Any],
    result: KindResult,
    clock: Callable[[], datetime],
) -> None:
    from igconnect.export.hashtags import (
        BUDGET_FULL_PAUSE,
        budget_key,
        collect_hashtag,
        plan_hashtags,
    )
    from igconnect.export.pool import run_pool

    now = clock()
    jobs, skipped, warnings, broken = plan_hashtags(
        runtime.state.db, public, connections, _targets(options, "#"), now
    )
    result.items.extend(skipped)
    result.warnings.extend(warnings)
    runtime.warnings.extend(warnings)
    for job in jobs:  # counted before the call: Meta counts a query even when it fails
        public.record_query(job.account_id, job.hashtag, now)
    clients = _clients(runtime, public, connections, clock)
    try:
        for outcome in run_pool(
            jobs, lambda j: collect_hashtag(clients, j), runtime.settings.get("export_concurrency")
        ):
            result.items.append(outcome.report)
            tag = outcome.report.target.lstrip("#")
            if outcome.hashtag_id:
                public.save_hashtag_id(tag, outcome.hashtag_id, now)
            if outcome.media is not None:
                public.record_hashtag_media(tag, outcome.media, clock())
            if outcome.budget_full:  # not asked again before the pause ends
                public.forget_query(outcome.budget_full, tag, now)  # Meta did not count it
                public.archive.pause(
                    budget_key(outcome.budget_full),
                    now + BUDGET_FULL_PAUSE,
                    "Meta said its hashtag budget is spent",
                )
                result.warnings.append(f"{outcome.report.target}: {outcome.report.reason}")
    finally:
        result.requests, result.round_trips = clients.counts
        clients.close()
    _settle(result, clients, broken, public, clock())


def _clients(
    runtime: Runtime, public: Any, connections: dict[str, Any], clock: Callable[[], datetime]
) -> Any:
    from igconnect.export.archive import from_iso, iso
    from igconnect.export.pool import Clients

    # Read here, once: the workers run in threads, and the archive's connection is this thread's.
    rows = public.db.execute(
        "SELECT key, until, reason FROM pauses WHERE until > ?", (iso(clock()),)
    ).fetchall()
    active: dict[str, tuple[datetime, str]] = {}
    for r in rows:
        until = from_iso(r["until"])
        if until is not None:
            active[r["key"]] = (until, r["reason"])
    return Clients(runtime, connections, lambda key: active.get(key))


def _settle(
    result: KindResult, clients: Any, broken: dict[str, Any], public: Any, now: datetime
) -> None:
    """Throttles archived as pauses, broken connections said once with their fix."""
    from igconnect.connections.model import reconnect_hint

    for key, seconds, reason in clients.pauses:  # the next runs do not call before it ends
        public.archive.pause(key, now + timedelta(seconds=seconds), reason)

    fixes = dict(broken)
    for name in clients.broken:
        connection = clients.connections.get(name)
        if connection is not None:
            fixes[name] = (clients.broken_why.get(name) or "token dead", reconnect_hint(connection))
    result.items.sort(key=lambda i: i.target)
    result.problems = connection_problems(result.items, fixes)


def _write(
    runtime: Runtime,
    kind: str,
    options: KindOptions,
    public: Any,
    out: Path | None,
    fmt: str,
    result: KindResult,
    now: datetime,
) -> None:
    from igconnect.export.writer import write_table

    escape = runtime.settings.get("export_escape_formulas")
    days = runtime.settings.get("export_window_days")
    since = now - timedelta(days=days) if days else None
    if kind == "profiles":
        ids = _profile_ids(public, options) if options.targets else None
        rows = public.profile_rows(account_ids=ids, snapshots=options.snapshots)
        result.rows = write_table(rows, out, fmt, PROFILE_COLUMNS, escape_formulas=escape)
        posts = _posts_file(out, options.out, runtime, now, fmt)
        if posts is not None:
            write_table(
                public.post_rows(since=since, account_ids=ids),
                posts,
                fmt,
                POST_COLUMNS,
                escape_formulas=escape,
            )
            result.outputs["posts"] = str(posts)
    else:
        tags = _targets(options, "#") or None
        rows = public.hashtag_rows(since=since, hashtags=tags)
        result.rows = write_table(rows, out, fmt, HASHTAG_COLUMNS, escape_formulas=escape)
    result.output = str(out) if out else "-"


def _profile_ids(public: Any, options: KindOptions) -> list[str]:
    names = _targets(options, "@")
    rows = public.db.execute(
        f"SELECT account_id FROM profiles WHERE username IN ({','.join('?' * len(names))})",
        names,
    )
    return [r[0] for r in rows]


# -- every kind ----------------------------------------------------------------------------------
def kinds_with_trackers(runtime: Runtime) -> list[str]:
    """stories and profiles when there are account trackers, hashtags when there are hashtag ones."""
    db = runtime.state.db

    def some(kind: str) -> bool:  # stops at the first one: no scan of 10,000 trackers
        row = db.execute("SELECT 1 FROM trackers WHERE kind = ? LIMIT 1", (kind,)).fetchone()
        return row is not None

    out = []
    if some("account"):
        out += ["stories", "profiles"]
    if some("hashtag"):
        out.append("hashtags")
    return out


def export_all(runtime: Runtime, options: AllOptions) -> RunResult:
    """Every kind that has trackers, in one locked run: one archive, one log, one result."""
    from igconnect.export.backup import backup_if_due
    from igconnect.export.run import ExportOptions, prepare_stories, stories_in_run
    from igconnect.export.session import locked_run

    started = time.monotonic()
    clock = options.clock or (lambda: datetime.now(UTC))
    now = clock()
    fmt = _format(options.format, options.out, runtime.settings.get("export_format"))
    kinds = kinds_with_trackers(runtime)
    files = {k: kind_file(runtime, k, options.out, now, fmt) for k in (*KINDS, "posts")}
    story_options = ExportOptions(
        out=str(files["stories"]),
        format=fmt,
        fetch=options.fetch,
        breakdowns=options.breakdowns,
        clock=options.clock,
    )
    prepared = prepare_stories(runtime, story_options) if "stories" in kinds else None
    run = RunResult([])
    with locked_run(runtime, now, writes=options.fetch) as (archive, log_file):
        for kind in kinds:
            try:
                if kind == "stories" and prepared is not None:
                    run.kinds.append(
                        stories_in_run(runtime, story_options, prepared, archive, log_file)
                    )
                else:
                    kind_options = KindOptions(
                        out=_template_for(options.out, files, kind),
                        format=fmt,
                        fetch=options.fetch,
                        clock=options.clock,
                    )
                    run.kinds.append(
                        kind_in_run(
                            runtime, kind, kind_options, archive, files[kind], fmt, log_file
                        )
                    )
            except IgconnectError as exc:
                if exc.exit_code in _FATAL:
                    raise  # the secret store or unsafe files: every kind would fail alike
                run.failures[kind] = exc.message + (f" — {exc.hint}" if exc.hint else "")
                log.info("export %s failed: %s", kind, run.failures[kind])
        warning = backup_if_due(runtime, archive, clock())
        if warning:
            runtime.warnings.append(warning)
    run.seconds = time.monotonic() - started
    return run


def _template_for(out: str | None, files: dict[str, Path], kind: str) -> str | None:
    """What the profiles' posts file is named after: the template itself, or the kind's file."""
    if out is None:
        return None
    if "{" in out:
        return out
    return str(files[kind].with_name("{kind}" + files[kind].suffix))  # a directory


# Failures every kind would meet alike: said once, with their own exit code.
_FATAL = {
    ExitCode.SECRET_STORE,
    ExitCode.UNSAFE,
    ExitCode.FILESYSTEM,
    ExitCode.BUSY,
    ExitCode.DAMAGED,
    ExitCode.DISK_FULL,
}
