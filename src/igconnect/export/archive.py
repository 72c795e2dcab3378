"""The SQLite archive of every story observation: the memory that outlives Meta's 24 hours.

One file in the data dir (`archive.sqlite`), in WAL mode. Each account's observations of a run
are written in one transaction, so a run killed at any moment leaves the archive as it was after
the last account it finished. Tables:

- `stories`: one row per story ever seen, with its latest status and when its breakdowns were read.
- `observations`: one row per story per run that read it (status, reason, API version, time).
- `observation_values`: the metric values of each observation (name, value), one row each.
- `latest_values`: the last value seen of each metric of each story (what a default export shows).
- `pauses`: accounts or connections Meta throttled, and until when (never call them before).
- `runs`: one row per export run.

Times are ISO 8601 UTC text (`2026-11-22T08:15:00Z`), which sorts like time.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from igconnect.errors import ConfigError, DamagedError, IgconnectError
from igconnect.redact import redact

if TYPE_CHECKING:
    import sqlite3

SCHEMA_VERSION = 1
WHAT = "the story archive"
RESTORE_HINT = (
    "restore the newest good backup with `igconnect archive restore FILE` (`igconnect archive "
    "check` lists them; the damaged file is kept aside)"
)

STATUS_OK = "ok"
STATUS_TOO_FEW_VIEWERS = "too_few_viewers"
STATUS_METRIC_UNAVAILABLE = "metric_unavailable"
STATUS_ERROR = "error"
STATUSES = (STATUS_OK, STATUS_TOO_FEW_VIEWERS, STATUS_METRIC_UNAVAILABLE, STATUS_ERROR)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS stories (
    story_id TEXT PRIMARY KEY,
    connection TEXT NOT NULL,
    account_id TEXT NOT NULL,
    username TEXT NOT NULL,
    media_type TEXT,
    media_product_type TEXT,
    permalink TEXT,
    posted_at TEXT,
    expires_at TEXT,
    first_seen_at TEXT NOT NULL,
    last_observed_at TEXT NOT NULL,
    api_version TEXT NOT NULL,
    status TEXT NOT NULL,
    reason TEXT,
    breakdowns_at TEXT
);
CREATE INDEX IF NOT EXISTS stories_by_account ON stories (account_id, posted_at);
CREATE INDEX IF NOT EXISTS stories_by_posted ON stories (posted_at);
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    outcome TEXT,
    requests INTEGER
);
CREATE TABLE IF NOT EXISTS observations (
    id INTEGER PRIMARY KEY,
    run_id INTEGER NOT NULL REFERENCES runs (id),
    story_id TEXT NOT NULL REFERENCES stories (story_id),
    observed_at TEXT NOT NULL,
    api_version TEXT NOT NULL,
    status TEXT NOT NULL,
    reason TEXT
);
CREATE INDEX IF NOT EXISTS observations_by_story ON observations (story_id, observed_at);
CREATE TABLE IF NOT EXISTS observation_values (
    observation_id INTEGER NOT NULL REFERENCES observations (id),
    name TEXT NOT NULL,
    value INTEGER NOT NULL,
    PRIMARY KEY (observation_id, name)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS latest_values (
    story_id TEXT NOT NULL REFERENCES stories (story_id),
    name TEXT NOT NULL,
    value INTEGER NOT NULL,
    observed_at TEXT NOT NULL,
    PRIMARY KEY (story_id, name)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS pauses (
    key TEXT PRIMARY KEY,
    until TEXT NOT NULL,
    reason TEXT NOT NULL
);
"""


def iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def from_iso(text: str | None) -> datetime | None:
    if not text:
        return None
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


@dataclass
class StoryRecord:
    """What one run learnt about one story."""

    story_id: str
    media_type: str | None
    media_product_type: str | None
    permalink: str | None
    posted_at: datetime | None
    status: str
    reason: str | None = None
    values: dict[str, int] = field(default_factory=dict)  # metric or breakdown column -> value
    breakdowns_read: bool = False

    @property
    def expires_at(self) -> datetime | None:
        from datetime import timedelta

        return self.posted_at + timedelta(hours=24) if self.posted_at else None


@dataclass(frozen=True)
class KnownStory:
    """What the archive remembers about a story, as the collector needs it."""

    status: str
    breakdowns_read: bool


class Archive:
    """The archive file, opened for a run. With `verify`, `PRAGMA quick_check` runs before anything
    is written, and a damaged file is refused (DamagedError) with nothing written to it."""

    def __init__(self, path: Path, *, verify: bool = False) -> None:
        import sqlite3

        from igconnect import sqlitefile

        self.path = path
        self.db = sqlitefile.connect(path, what=WHAT, restore_hint=RESTORE_HINT)
        try:
            if verify:
                problems = sqlitefile.check(self.db)
                if problems:
                    raise damaged(path, problems)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
            self.db.execute("PRAGMA foreign_keys=ON")
            self._migrate()
        except sqlite3.Error as exc:
            self.db.close()
            raise self.failure(exc) from None
        except BaseException:
            self.db.close()
            raise

    def failure(self, exc: sqlite3.Error) -> IgconnectError:
        from igconnect import sqlitefile

        return sqlitefile.failure(exc, self.path, what=WHAT, restore_hint=RESTORE_HINT)

    @contextlib.contextmanager
    def explained(self) -> Iterator[None]:
        """Any SQLite error inside the block as the user reads it (disk full, damaged, ...)."""
        import sqlite3

        try:
            yield
        except sqlite3.Error as exc:
            raise self.failure(exc) from None

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Archive:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _migrate(self) -> None:
        version = self.db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise ConfigError(
                f"the story archive {self.path} was written by a newer igconnect "
                f"(schema {version}, this one knows {SCHEMA_VERSION})",
                hint="upgrade igconnect",
            )
        if version < SCHEMA_VERSION:
            with self.transaction() as db:
                for statement in _SCHEMA.split(";"):
                    if statement.strip():
                        db.execute(statement)
                db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        import sqlite3

        with self.explained():
            self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except sqlite3.Error as exc:
            with contextlib.suppress(sqlite3.Error):
                self.db.execute("ROLLBACK")
            raise self.failure(exc) from None
        except BaseException:
            with contextlib.suppress(sqlite3.Error):
                self.db.execute("ROLLBACK")
            raise
        with self.explained():
            self.db.execute("COMMIT")

    # -- runs ------------------------------------------------------------------------------------
    def start_run(self, started_at: datetime) -> int:
        with self.transaction() as db:
            cursor = db.execute("INSERT INTO runs (started_at) VALUES (?)", (iso(started_at),))
            return int(cursor.lastrowid or 0)

    def finish_run(self, run_id: int, finished_at: datetime, outcome: str, requests: int) -> None:
        with self.transaction() as db:
            db.execute(
                "UPDATE runs SET finished_at = ?, outcome = ?, requests = ? WHERE id = ?",
                (iso(finished_at), outcome, requests, run_id),
            )

    # -- what the collector needs to know --------------------------------------------------------
    def known_stories(self, account_id: str, since: datetime) -> dict[str, KnownStory]:
        with self.explained():
            rows = self.db.execute(
                "SELECT story_id, status, breakdowns_at FROM stories "
                "WHERE account_id = ? AND (posted_at IS NULL OR posted_at >= ?)",
                (account_id, iso(since)),
            ).fetchall()
        return {
            r["story_id"]: KnownStory(r["status"], r["breakdowns_at"] is not None) for r in rows
        }

    def paused_until(self, key: str, now: datetime) -> tuple[datetime, str] | None:
        with self.explained():
            row = self.db.execute(
                "SELECT until, reason FROM pauses WHERE key = ?", (key,)
            ).fetchone()
        if row is None:
            return None
        until = from_iso(row["until"])
        if until is None or until <= now:
            return None
        return until, row["reason"]

    def pause(self, key: str, until: datetime, reason: str) -> None:
        with self.transaction() as db:
            db.execute(
                "INSERT INTO pauses (key, until, reason) VALUES (?, ?, ?) "
                "ON CONFLICT (key) DO UPDATE SET until = excluded.until, reason = excluded.reason",
                (key, iso(until), redact(reason)),
            )

    # -- writing one account's batch -------------------------------------------------------------
    def record_account(
        self,
        *,
        run_id: int,
        connection: str,
        account_id: str,
        username: str,
        api_version: str,
        observed_at: datetime,
        stories: Sequence[StoryRecord],
    ) -> None:
        """Write every story observation of one account in one transaction.

        Every text is redacted first: Meta may echo a token inside a field (a permalink, say).
        """
        seen = iso(observed_at)
        connection, account_id, username = redact(connection), redact(account_id), redact(username)
        with self.transaction() as db:
            for story in stories:
                story_id, reason = redact(story.story_id), _text(story.reason)
                db.execute(
                    """
                    INSERT INTO stories (story_id, connection, account_id, username, media_type,
                        media_product_type, permalink, posted_at, expires_at, first_seen_at,
                        last_observed_at, api_version, status, reason, breakdowns_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT (story_id) DO UPDATE SET
                        connection = excluded.connection,
                        username = excluded.username,
                        media_type = coalesce(excluded.media_type, media_type),
                        media_product_type = coalesce(excluded.media_product_type,
                                                      media_product_type),
                        permalink = coalesce(excluded.permalink, permalink),
                        posted_at = coalesce(excluded.posted_at, posted_at),
                        expires_at = coalesce(excluded.expires_at, expires_at),
                        last_observed_at = excluded.last_observed_at,
                        api_version = excluded.api_version,
                        status = CASE WHEN status = 'too_few_viewers' THEN status
                                      ELSE excluded.status END,
                        reason = CASE WHEN status = 'too_few_viewers' THEN reason
                                      ELSE excluded.reason END,
                        breakdowns_at = coalesce(excluded.breakdowns_at, breakdowns_at)
                    """,
                    (
                        story_id,
                        connection,
                        account_id,
                        username,
                        _text(story.media_type),
                        _text(story.media_product_type),
                        _text(story.permalink),
                        iso(story.posted_at),
                        iso(story.expires_at),
                        seen,
                        seen,
                        api_version,
                        story.status,
                        reason,
                        seen if story.breakdowns_read else None,
                    ),
                )
                cursor = db.execute(
                    "INSERT INTO observations (run_id, story_id, observed_at, api_version, status, "
                    "reason) VALUES (?, ?, ?, ?, ?, ?)",
                    (run_id, story_id, seen, api_version, story.status, reason),
                )
                observation_id = cursor.lastrowid
                if story.values:
                    db.executemany(
                        "INSERT INTO observation_values (observation_id, name, value) "
                        "VALUES (?, ?, ?)",
                        [(observation_id, redact(k), v) for k, v in story.values.items()],
                    )
                    db.executemany(
                        "INSERT INTO latest_values (story_id, name, value, observed_at) "
                        "VALUES (?, ?, ?, ?) ON CONFLICT (story_id, name) DO UPDATE SET "
                        "value = excluded.value, observed_at = excluded.observed_at",
                        [(story_id, redact(k), v, seen) for k, v in story.values.items()],
                    )

    # -- reading for the export ------------------------------------------------------------------
    def latest_rows(
        self,
        *,
        since: datetime | None,
        until: datetime | None,
        account_ids: Sequence[str] | None = None,
    ) -> Iterator[dict[str, Any]]:
        """One dict per story posted in [since, until): its columns and latest values (streamed)."""
        where, params = _window("s", since, until, account_ids)
        query = f"""
            SELECT s.*, s.last_observed_at AS observed_at, v.name AS name, v.value AS value
            FROM stories s LEFT JOIN latest_values v ON v.story_id = s.story_id
            {where}
            ORDER BY s.posted_at, s.story_id
        """
        with self.explained():
            yield from _grouped(self.db.execute(query, params), key="story_id")

    def snapshot_rows(
        self,
        *,
        since: datetime | None,
        until: datetime | None,
        account_ids: Sequence[str] | None = None,
    ) -> Iterator[dict[str, Any]]:
        """One dict per observation of a story posted in [since, until) (streamed)."""
        where, params = _window("s", since, until, account_ids)
        query = f"""
            SELECT s.story_id, s.connection, s.account_id, s.username, s.media_type,
                   s.media_product_type, s.permalink, s.posted_at, s.expires_at,
                   o.id AS observation_id, o.observed_at, o.api_version, o.status, o.reason,
                   v.name AS name, v.value AS value
            FROM observations o JOIN stories s ON s.story_id = o.story_id
            LEFT JOIN observation_values v ON v.observation_id = o.id
            {where}
            ORDER BY s.posted_at, s.story_id, o.observed_at, o.id
        """
        with self.explained():
            yield from _grouped(self.db.execute(query, params), key="observation_id")

    def story_count(self) -> int:
        with self.explained():
            return int(self.db.execute("SELECT count(*) FROM stories").fetchone()[0])


def damaged(path: Path, problems: list[str]) -> DamagedError:
    first = " ".join(problems[0].split())  # SQLite's report spans lines; ours is one
    more = f" and {len(problems) - 1} more problem(s)" if len(problems) > 1 else ""
    return DamagedError(
        f"the story archive {path} is damaged ({first}{more}); nothing was written to it",
        hint=RESTORE_HINT,
    )


def _text(value: str | None) -> str | None:
    return None if value is None else redact(value)


def _window(
    alias: str,
    since: datetime | None,
    until: datetime | None,
    account_ids: Sequence[str] | None,
) -> tuple[str, list[Any]]:
    clauses: list[str] = []
    params: list[Any] = []
    if since is not None:
        clauses.append(f"{alias}.posted_at >= ?")
        params.append(iso(since))
    if until is not None:
        clauses.append(f"{alias}.posted_at < ?")
        params.append(iso(until))
    if account_ids is not None:
        clauses.append(f"{alias}.account_id IN ({','.join('?' * len(account_ids))})")
        params.extend(account_ids)
    return ("WHERE " + " AND ".join(clauses)) if clauses else "", params


def _grouped(cursor: sqlite3.Cursor, *, key: str) -> Iterator[dict[str, Any]]:
    """Fold consecutive (row, name, value) rows of the same `key` into one dict with `values`."""
    current: dict[str, Any] | None = None
    for row in cursor:
        if current is None or current[key] != row[key]:
            if current is not None:
                yield current
            names = row.keys()  # a Row iterates its values, not its column names
            current = {k: row[k] for k in names if k not in ("name", "value")}
            current["values"] = {}
        if row["name"] is not None:
            current["values"][row["name"]] = row["value"]
    if current is not None:
        yield current
