"""The SQLite archive of every story observation: the memory that outlives Meta's 24 hours.

One file in the data dir (`archive.sqlite`), in WAL mode. Each account's observations of a run
are written in one transaction, so a run killed at any moment leaves the archive as it was after
the last account it finished. Tables:

- `stories`: one row per story ever seen, with its latest status, when its insights and its
  breakdowns were last read, when its final read happened (the run before it expired), and when
  it was counted as expired without one.
- `observations`: one row per story per run that read it (status, reason, API version, time).
- `observation_values`: the metric values of each observation (name, value), one row each.
- `latest_values`: the last value seen of each metric of each story (what a default export shows).
- `pauses`: accounts or connections Meta throttled, and until when (never call them before).
- `runs`: one row per export run (with the stories that expired unread since the one before).
- `metric_rejections`: metrics Meta rejected lately, per login path: not asked for again for a while.
- `collect_hints`: per account, the page size and field expansion Meta last accepted.
- `profiles`, `profile_observations`: each tracked account (managed or public) with its first and
  last seen times, and its follower, follows and media counts at each run (`export profiles`).
- `public_posts`, `public_post_observations`: recent posts of public accounts (business
  discovery), their like and comment counts at each run.
- `hashtags` (the id each name was found to have: ids never change), `hashtag_queries` (which
  account queried which hashtag when: Meta's 30 unique hashtags per account per 7 days), and
  `hashtag_media` (each hashtag's recent and top media, first and last seen).

Times are ISO 8601 UTC text (`2026-11-22T08:15:00Z`), which sorts like time.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from igconnect.errors import ConfigError, DamagedError, IgconnectError
from igconnect.redact import redact

if TYPE_CHECKING:
    import sqlite3

WHAT = "the story archive"
RESTORE_HINT = (
    "restore the newest good backup with `igconnect archive restore FILE` (`igconnect archive "
    "check` lists them; the damaged file is kept aside)"
)
STORY_LIFETIME = timedelta(hours=24)
HINT_LIFETIME = timedelta(days=7)  # then the full request is tried again


STATUS_OK = "ok"
STATUS_TOO_FEW_VIEWERS = "too_few_viewers"
STATUS_METRIC_UNAVAILABLE = "metric_unavailable"
STATUS_ERROR = "error"
STATUSES = (STATUS_OK, STATUS_TOO_FEW_VIEWERS, STATUS_METRIC_UNAVAILABLE, STATUS_ERROR)

_SCHEMA_V1 = """
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

# Final reads and what Meta accepts (issue 13): when a story's insights were last read, whether its
# last read was its final one, and which expired without it.
_SCHEMA_V2 = """
ALTER TABLE stories ADD COLUMN insights_at TEXT;
ALTER TABLE stories ADD COLUMN final_read_at TEXT;
ALTER TABLE stories ADD COLUMN missed_at TEXT;
UPDATE stories SET insights_at = last_observed_at
    WHERE story_id IN (SELECT story_id FROM latest_values);
UPDATE stories SET missed_at = last_observed_at
    WHERE expires_at <= strftime('%Y-%m-%dT%H:%M:%SZ', 'now');
CREATE INDEX stories_by_expiry ON stories (expires_at);
ALTER TABLE runs ADD COLUMN missed_final INTEGER;
CREATE TABLE metric_rejections (
    provider TEXT NOT NULL,
    metric TEXT NOT NULL,
    rejected_at TEXT NOT NULL,
    reason TEXT NOT NULL,
    PRIMARY KEY (provider, metric)
);
CREATE TABLE collect_hints (
    account_id TEXT PRIMARY KEY,
    page_size INTEGER NOT NULL,
    expand INTEGER NOT NULL,
    updated_at TEXT NOT NULL
);
"""

# Profiles, public posts and hashtags (issue 12): what `export profiles` and `export hashtags`
# collect, with first and last seen times, and the hashtag queries Meta's 30-per-7-days budget
# counts (export/public.py reads and writes them).
_SCHEMA_V3 = """
CREATE TABLE profiles (
    account_id TEXT PRIMARY KEY,
    username TEXT NOT NULL,
    access TEXT NOT NULL,
    connection TEXT,
    first_seen_at TEXT NOT NULL,
    last_seen_at TEXT NOT NULL
);
CREATE TABLE profile_observations (
    account_id TEXT NOT NULL,
    observed_at TEXT NOT NULL,
    followers_count INTEGER,
    follows_count INTEGER,
    media_count INTEGER,
    PRIMARY KEY (account_id, observed_at)
);
CREATE TABLE public_posts (
    media_id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL,
    username TEXT NOT NULL,
    media_type TEXT,
    permalink TEXT,
    posted_at TEXT,
    caption TEXT,
    like_count INTEGER,
    comments_count INTEGER,
    first_seen_at TEXT NOT NULL,
    last_seen_at TEXT NOT NULL
);
CREATE INDEX public_posts_by_account ON public_posts (account_id, posted_at);
CREATE TABLE public_post_observations (
    media_id TEXT NOT NULL REFERENCES public_posts (media_id),
    observed_at TEXT NOT NULL,
    like_count INTEGER,
    comments_count INTEGER,
    PRIMARY KEY (media_id, observed_at)
) WITHOUT ROWID;
CREATE TABLE hashtags (
    name TEXT PRIMARY KEY,
    hashtag_id TEXT NOT NULL,
    found_at TEXT NOT NULL
);
CREATE TABLE hashtag_queries (
    account_id TEXT NOT NULL,
    first_queried_at TEXT NOT NULL,
    hashtag TEXT NOT NULL,
    PRIMARY KEY (account_id, first_queried_at, hashtag)
);
CREATE TABLE hashtag_media (
    hashtag TEXT NOT NULL,
    media_id TEXT NOT NULL,
    media_type TEXT,
    permalink TEXT,
    posted_at TEXT,
    caption TEXT,
    like_count INTEGER,
    comments_count INTEGER,
    first_seen_at TEXT NOT NULL,
    last_seen_at TEXT NOT NULL,
    recent_seen_at TEXT,
    top_seen_at TEXT,
    PRIMARY KEY (hashtag, media_id)
);
CREATE INDEX hashtag_media_by_seen ON hashtag_media (last_seen_at);
"""

# _MIGRATIONS[n - 1] takes the archive to version n (forward only; never edit a released one).
_MIGRATIONS = (_SCHEMA_V1, _SCHEMA_V2, _SCHEMA_V3)
SCHEMA_VERSION = len(_MIGRATIONS)


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
    read: bool = False  # its insights were asked for this run (an observation is written)
    insights_read: bool = False  # ...and Meta gave them
    final: bool = False  # this was its final read: it expires before the next run

    @property
    def expires_at(self) -> datetime | None:
        return self.posted_at + STORY_LIFETIME if self.posted_at else None


@dataclass(frozen=True)
class KnownStory:
    """What the archive remembers about a story, as the collector needs it."""

    status: str
    breakdowns_read: bool
    final_read: bool = False


@dataclass(frozen=True)
class CollectHint:
    """How an account's listing last worked: the page size Meta accepted, and whether the insights
    could be expanded into it ("reduce the amount of data" makes both smaller)."""

    page_size: int
    expand: bool


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
        """A SQLite error met on the archive, as the user reads it (disk full, damaged, ...)."""
        from igconnect import sqlitefile

        return sqlitefile.failure(exc, self.path, what=WHAT, restore_hint=RESTORE_HINT)

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
                for number in range(version + 1, SCHEMA_VERSION + 1):
                    for statement in _MIGRATIONS[number - 1].split(";"):
                        if statement.strip():
                            db.execute(statement)
                    db.execute(f"PRAGMA user_version={number}")

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        import sqlite3

        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            with contextlib.suppress(sqlite3.Error):  # a full disk may have ended it already
                self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    # -- runs ------------------------------------------------------------------------------------
    def start_run(self, started_at: datetime) -> int:
        with self.transaction() as db:
            cursor = db.execute("INSERT INTO runs (started_at) VALUES (?)", (iso(started_at),))
            return int(cursor.lastrowid or 0)

    def finish_run(
        self, run_id: int, finished_at: datetime, outcome: str, requests: int, missed_final: int = 0
    ) -> None:
        with self.transaction() as db:
            db.execute(
                "UPDATE runs SET finished_at = ?, outcome = ?, requests = ?, missed_final = ? "
                "WHERE id = ?",
                (iso(finished_at), outcome, requests, missed_final, run_id),
            )

    # -- what the collector needs to know --------------------------------------------------------
    def known_stories_of(
        self, account_ids: Sequence[str], since: datetime
    ) -> dict[str, dict[str, KnownStory]]:
        """`known_stories` of several accounts in one query."""
        out: dict[str, dict[str, KnownStory]] = {a: {} for a in account_ids}
        if not account_ids:
            return out
        rows = self.db.execute(
            "SELECT account_id, story_id, status, breakdowns_at, final_read_at FROM stories "
            f"WHERE account_id IN ({','.join('?' * len(account_ids))}) "
            "AND (posted_at IS NULL OR posted_at >= ?)",
            (*account_ids, iso(since)),
        )
        for r in rows:
            out[r["account_id"]][r["story_id"]] = KnownStory(
                r["status"], r["breakdowns_at"] is not None, r["final_read_at"] is not None
            )
        return out

    def collect_hints_of(self, account_ids: Sequence[str], now: datetime) -> dict[str, CollectHint]:
        if not account_ids:
            return {}
        rows = self.db.execute(
            "SELECT account_id, page_size, expand, updated_at FROM collect_hints "
            f"WHERE account_id IN ({','.join('?' * len(account_ids))})",
            tuple(account_ids),
        )
        return {
            r["account_id"]: CollectHint(int(r["page_size"]), bool(r["expand"]))
            for r in rows
            if (from_iso(r["updated_at"]) or now) >= now - HINT_LIFETIME
        }

    def known_stories(self, account_id: str, since: datetime) -> dict[str, KnownStory]:
        rows = self.db.execute(
            "SELECT story_id, status, breakdowns_at, final_read_at FROM stories "
            "WHERE account_id = ? AND (posted_at IS NULL OR posted_at >= ?)",
            (account_id, iso(since)),
        )
        return {
            r["story_id"]: KnownStory(
                r["status"], r["breakdowns_at"] is not None, r["final_read_at"] is not None
            )
            for r in rows
        }

    def collect_hint(self, account_id: str, now: datetime) -> CollectHint | None:
        row = self.db.execute(
            "SELECT page_size, expand, updated_at FROM collect_hints WHERE account_id = ?",
            (account_id,),
        ).fetchone()
        if row is None or (from_iso(row["updated_at"]) or now) < now - HINT_LIFETIME:
            return None
        return CollectHint(int(row["page_size"]), bool(row["expand"]))

    def save_collect_hint(self, account_id: str, hint: CollectHint | None, now: datetime) -> None:
        with self.transaction() as db:
            if hint is None:
                db.execute("DELETE FROM collect_hints WHERE account_id = ?", (account_id,))
                return
            db.execute(
                "INSERT INTO collect_hints (account_id, page_size, expand, updated_at) "
                "VALUES (?, ?, ?, ?) ON CONFLICT (account_id) DO UPDATE SET "
                "page_size = excluded.page_size, expand = excluded.expand, "
                "updated_at = excluded.updated_at",
                (account_id, hint.page_size, int(hint.expand), iso(now)),
            )

    def metric_rejections(self, since: datetime) -> dict[tuple[str, str], str]:
        """(provider, metric) -> reason, for the metrics Meta rejected since `since`."""
        rows = self.db.execute(
            "SELECT provider, metric, reason FROM metric_rejections WHERE rejected_at >= ?",
            (iso(since),),
        )
        return {(r["provider"], r["metric"]): r["reason"] for r in rows}

    def reject_metrics(self, rejected: dict[tuple[str, str], str], at: datetime) -> None:
        with self.transaction() as db:
            db.executemany(
                "INSERT INTO metric_rejections (provider, metric, rejected_at, reason) "
                "VALUES (?, ?, ?, ?) ON CONFLICT (provider, metric) DO UPDATE SET "
                "rejected_at = excluded.rejected_at, reason = excluded.reason",
                [(p, m, iso(at), reason) for (p, m), reason in rejected.items()],
            )

    def count_missed_finals(self, now: datetime) -> int:
        """Stories that expired without their final read and were not counted yet: counts them
        once (so every run reports what expired since the one before)."""
        with self.transaction() as db:
            cursor = db.execute(
                "UPDATE stories SET missed_at = ? WHERE expires_at <= ? AND final_read_at IS NULL "
                "AND missed_at IS NULL",
                (iso(now), iso(now)),
            )
            return int(cursor.rowcount)

    def missed_finals_since(self, since: datetime) -> int:
        row = self.db.execute(
            "SELECT coalesce(sum(missed_final), 0) FROM runs WHERE started_at >= ?", (iso(since),)
        ).fetchone()
        return int(row[0])

    def paused_until(self, key: str, now: datetime) -> tuple[datetime, str] | None:
        row = self.db.execute("SELECT until, reason FROM pauses WHERE key = ?", (key,)).fetchone()
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
        """Write what one run learnt of one account's stories in one transaction: every story it
        listed, and an observation of each whose insights it asked for.

        Every text is redacted first: Meta may echo a token inside a field (a permalink, say).
        """
        with self.transaction() as db:
            self._record(
                db, run_id, connection, account_id, username, api_version, observed_at, stories
            )

    def record_accounts(
        self, *, run_id: int, api_version: str, observed_at: datetime, accounts: Sequence[Any]
    ) -> None:
        """`record_account` for several accounts (each with `connection`, `account_id`,
        `username`, `stories`) in one transaction: a run's writes keep up with its collectors."""
        with self.transaction() as db:
            for a in accounts:
                self._record(
                    db,
                    run_id,
                    a.connection,
                    a.account_id or "",
                    a.username,
                    api_version,
                    observed_at,
                    a.stories,
                )

    def _record(
        self,
        db: sqlite3.Connection,
        run_id: int,
        connection: str,
        account_id: str,
        username: str,
        api_version: str,
        observed_at: datetime,
        stories: Sequence[StoryRecord],
    ) -> None:
        seen = iso(observed_at)
        connection, account_id, username = redact(connection), redact(account_id), redact(username)
        read = [story for story in stories if story.read]
        db.executemany(
            """
            INSERT INTO stories (story_id, connection, account_id, username, media_type,
                media_product_type, permalink, posted_at, expires_at, first_seen_at,
                last_observed_at, api_version, status, reason, breakdowns_at,
                insights_at, final_read_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
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
                status = CASE WHEN ? THEN excluded.status ELSE status END,
                reason = CASE WHEN ? THEN excluded.reason ELSE reason END,
                breakdowns_at = coalesce(excluded.breakdowns_at, breakdowns_at),
                insights_at = coalesce(excluded.insights_at, insights_at),
                final_read_at = coalesce(excluded.final_read_at, final_read_at)
            """,
            [
                (
                    redact(story.story_id),
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
                    _text(story.reason),
                    seen if story.breakdowns_read else None,
                    seen if story.insights_read else None,
                    seen if story.final else None,
                    story.read,
                    story.read,
                )
                for story in stories
            ],
        )
        if not read:
            return  # listed only: what the archive knows of them stands
        # Observation ids handed out here, under the write lock, so the values can be
        # inserted in one statement each instead of one per story.
        first = int(db.execute("SELECT coalesce(max(id), 0) FROM observations").fetchone()[0])
        ids = range(first + 1, first + 1 + len(read))
        db.executemany(
            "INSERT INTO observations (id, run_id, story_id, observed_at, api_version, status, "
            "reason) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    oid,
                    run_id,
                    redact(story.story_id),
                    seen,
                    api_version,
                    story.status,
                    _text(story.reason),
                )
                for oid, story in zip(ids, read, strict=True)
            ],
        )
        db.executemany(
            "INSERT INTO observation_values (observation_id, name, value) VALUES (?, ?, ?)",
            [
                (oid, redact(name), value)
                for oid, story in zip(ids, read, strict=True)
                for name, value in story.values.items()
            ],
        )
        db.executemany(
            "INSERT INTO latest_values (story_id, name, value, observed_at) "
            "VALUES (?, ?, ?, ?) ON CONFLICT (story_id, name) DO UPDATE SET "
            "value = excluded.value, observed_at = excluded.observed_at",
            [
                (redact(story.story_id), redact(name), value, seen)
                for story in read
                for name, value in story.values.items()
            ],
        )

    # -- reading for the export ------------------------------------------------------------------
    def latest_rows(
        self,
        *,
        since: datetime | None,
        until: datetime | None,
        account_ids: Sequence[str] | None = None,
        now: datetime | None = None,
    ) -> Iterator[dict[str, Any]]:
        """One dict per story posted in [since, until): its columns and latest values (streamed),
        `observed_at` being when those values were read, and where they come from (`value_source`:
        final, live, last_seen or none; docs/export.md)."""
        where, params = _window("s", since, until, account_ids)
        query = f"""
            SELECT s.*, coalesce(s.insights_at, s.last_observed_at) AS observed_at,
                   CASE WHEN s.insights_at IS NULL THEN 'none'
                        WHEN s.final_read_at IS NOT NULL AND s.insights_at >= s.final_read_at
                             THEN 'final'
                        WHEN s.expires_at > ? THEN 'live'
                        ELSE 'last_seen' END AS value_source,
                   v.name AS name, v.value AS value
            FROM stories s LEFT JOIN latest_values v ON v.story_id = s.story_id
            {where}
            ORDER BY s.posted_at, s.story_id
        """
        moment = iso(now or datetime.now(UTC))
        yield from _grouped(self.db.execute(query, [moment, *params]), key="story_id")

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
                   CASE WHEN NOT EXISTS (SELECT 1 FROM observation_values x
                                         WHERE x.observation_id = o.id) THEN 'none'
                        WHEN s.final_read_at = o.observed_at THEN 'final'
                        ELSE 'live' END AS value_source,
                   v.name AS name, v.value AS value
            FROM observations o JOIN stories s ON s.story_id = o.story_id
            LEFT JOIN observation_values v ON v.observation_id = o.id
            {where}
            ORDER BY s.posted_at, s.story_id, o.observed_at, o.id
        """
        yield from _grouped(self.db.execute(query, params), key="observation_id")

    def story_count(self) -> int:
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
