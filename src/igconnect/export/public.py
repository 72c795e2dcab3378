"""Profiles, public posts and hashtag media in the archive (schema 3): what `export profiles` and
`export hashtags` write, and the rows their files are made of.

Every text is redacted before it is stored (Meta may echo a token inside a field). A run's writes
for many accounts or hashtags go in one transaction each. Reads for the files are streamed.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from igconnect.export.archive import from_iso, iso
from igconnect.redact import redact

if TYPE_CHECKING:
    from igconnect.export.archive import Archive

ACCESS_MANAGED = "managed"  # read through the account's own node (a connection reaches it)
ACCESS_PUBLIC = "public"  # read through business discovery
CAPTION_EXCERPT = 100  # characters of a caption kept: enough to recognise a post
HASHTAG_WINDOW = timedelta(days=7)  # Meta counts unique hashtags per account over 7 rolling days
HASHTAGS_PER_WINDOW = 30
EDGES = ("recent", "top")


@dataclass
class MediaItem:
    """A post as Meta lists it (business discovery's media, a hashtag's recent or top media)."""

    media_id: str
    media_type: str | None
    permalink: str | None
    posted_at: str | None  # already ISO UTC
    caption: str | None
    like_count: int | None
    comments_count: int | None


@dataclass
class ProfileRecord:
    account_id: str
    username: str
    access: str
    connection: str
    followers_count: int | None
    follows_count: int | None
    media_count: int | None
    posts: list[MediaItem] = field(default_factory=list)


def excerpt(text: Any) -> str | None:
    if not isinstance(text, str):
        return None
    one_line = " ".join(text.split())
    return one_line if len(one_line) <= CAPTION_EXCERPT else one_line[: CAPTION_EXCERPT - 1] + "…"


def _t(value: str | None) -> str | None:
    return None if value is None else redact(value)


class PublicArchive:
    """The schema-3 tables of an open Archive."""

    def __init__(self, archive: Archive) -> None:
        self.archive = archive
        self.db = archive.db

    # -- profiles and public posts ---------------------------------------------------------------
    def record_profiles(self, records: Sequence[ProfileRecord], at: datetime) -> None:
        seen = iso(at)
        with self.archive.transaction() as db:
            db.executemany(
                "INSERT INTO profiles (account_id, username, access, connection, first_seen_at, "
                "last_seen_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (account_id) DO UPDATE SET "
                "username = excluded.username, access = excluded.access, "
                "connection = excluded.connection, last_seen_at = excluded.last_seen_at",
                [
                    (
                        redact(r.account_id),
                        redact(r.username),
                        r.access,
                        redact(r.connection),
                        seen,
                        seen,
                    )
                    for r in records
                ],
            )
            db.executemany(
                "INSERT OR REPLACE INTO profile_observations (account_id, observed_at, "
                "followers_count, follows_count, media_count) VALUES (?, ?, ?, ?, ?)",
                [
                    (redact(r.account_id), seen, r.followers_count, r.follows_count, r.media_count)
                    for r in records
                ],
            )
            posts = [(r, p) for r in records for p in r.posts]
            db.executemany(
                "INSERT INTO public_posts (media_id, account_id, username, media_type, permalink, "
                "posted_at, caption, like_count, comments_count, first_seen_at, last_seen_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (media_id) DO UPDATE SET "
                "username = excluded.username, "
                "media_type = coalesce(excluded.media_type, media_type), "
                "permalink = coalesce(excluded.permalink, permalink), "
                "posted_at = coalesce(excluded.posted_at, posted_at), "
                "caption = coalesce(excluded.caption, caption), "
                "like_count = coalesce(excluded.like_count, like_count), "
                "comments_count = coalesce(excluded.comments_count, comments_count), "
                "last_seen_at = excluded.last_seen_at",
                [
                    (
                        redact(p.media_id),
                        redact(r.account_id),
                        redact(r.username),
                        _t(p.media_type),
                        _t(p.permalink),
                        p.posted_at,
                        _t(p.caption),
                        p.like_count,
                        p.comments_count,
                        seen,
                        seen,
                    )
                    for r, p in posts
                ],
            )
            db.executemany(
                "INSERT OR REPLACE INTO public_post_observations (media_id, observed_at, "
                "like_count, comments_count) VALUES (?, ?, ?, ?)",
                [(redact(p.media_id), seen, p.like_count, p.comments_count) for _, p in posts],
            )

    def profile_rows(
        self, *, account_ids: Sequence[str] | None, snapshots: bool
    ) -> Iterator[dict[str, Any]]:
        """One row per account (its latest observation), or per observation with `snapshots`."""
        where, params = _in("p.account_id", account_ids)
        latest = (
            ""
            if snapshots
            else "AND o.observed_at = (SELECT max(x.observed_at) FROM profile_observations x "
            "WHERE x.account_id = p.account_id)"
        )
        query = f"""
            SELECT p.connection, p.account_id, p.username, p.access, o.observed_at,
                   o.followers_count, o.follows_count, o.media_count,
                   p.first_seen_at, p.last_seen_at
            FROM profiles p JOIN profile_observations o ON o.account_id = p.account_id {latest}
            {where}
            ORDER BY p.username, o.observed_at
        """
        for row in self.db.execute(query, params):
            yield dict(zip(row.keys(), tuple(row), strict=True))

    def post_rows(
        self, *, since: datetime | None, account_ids: Sequence[str] | None
    ) -> Iterator[dict[str, Any]]:
        """One row per public post seen at or after `since`, with its latest counts."""
        where, params = _seen_since_in(since, "account_id", account_ids)
        query = f"""
            SELECT account_id, username, media_id, media_type, permalink, posted_at, caption,
                   like_count, comments_count, first_seen_at, last_seen_at
            FROM public_posts {where}
            ORDER BY username, posted_at, media_id
        """
        for row in self.db.execute(query, params):
            yield dict(zip(row.keys(), tuple(row), strict=True))

    # -- hashtags --------------------------------------------------------------------------------
    def hashtag_ids(self, names: Sequence[str]) -> dict[str, str]:
        """The ids already found for these hashtags (an id never changes: searched once)."""
        if not names:
            return {}
        rows = self.db.execute(
            f"SELECT name, hashtag_id FROM hashtags WHERE name IN ({','.join('?' * len(names))})",
            tuple(names),
        )
        return {r["name"]: r["hashtag_id"] for r in rows}

    def save_hashtag_id(self, name: str, hashtag_id: str, at: datetime) -> None:
        with self.archive.transaction() as db:
            db.execute(
                "INSERT OR IGNORE INTO hashtags (name, hashtag_id, found_at) VALUES (?, ?, ?)",
                (name, redact(hashtag_id), iso(at)),
            )

    def open_queries(self, account_ids: Sequence[str], now: datetime) -> dict[str, set[str]]:
        """Per account, the hashtags it queried in the 7 days before `now` (its used budget)."""
        out: dict[str, set[str]] = {a: set() for a in account_ids}
        if not account_ids:
            return out
        rows = self.db.execute(
            "SELECT account_id, hashtag FROM hashtag_queries "
            f"WHERE account_id IN ({','.join('?' * len(account_ids))}) AND first_queried_at > ?",
            (*account_ids, iso(now - HASHTAG_WINDOW)),
        )
        for r in rows:
            out[r["account_id"]].add(r["hashtag"])
        return out

    def next_free_slot(self, account_ids: Sequence[str], now: datetime) -> datetime | None:
        """When the first of these accounts' hashtag slots frees (its oldest query in the 7 days
        before `now` leaves the window); None when none of them queried in the window."""
        if not account_ids:
            return None
        row = self.db.execute(
            "SELECT min(first_queried_at) FROM hashtag_queries "
            f"WHERE account_id IN ({','.join('?' * len(account_ids))}) AND first_queried_at > ?",
            (*account_ids, iso(now - HASHTAG_WINDOW)),
        ).fetchone()
        oldest = from_iso(row[0]) if row else None
        return oldest + HASHTAG_WINDOW if oldest else None

    def record_query(self, account_id: str, hashtag: str, at: datetime) -> None:
        """A query of `hashtag` by `account_id`; one already counted in the window stays as is
        (Meta: a repeated query does not restart the 7 days)."""
        with self.archive.transaction() as db:
            open_one = db.execute(
                "SELECT 1 FROM hashtag_queries WHERE account_id = ? AND hashtag = ? "
                "AND first_queried_at > ?",
                (account_id, hashtag, iso(at - HASHTAG_WINDOW)),
            ).fetchone()
            if open_one is None:
                db.execute(
                    "INSERT OR IGNORE INTO hashtag_queries (account_id, hashtag, first_queried_at) "
                    "VALUES (?, ?, ?)",
                    (account_id, hashtag, iso(at)),
                )

    def forget_query(self, account_id: str, hashtag: str, at: datetime) -> None:
        """Take back the query recorded at `at`: Meta refused it, so it did not count."""
        with self.archive.transaction() as db:
            db.execute(
                "DELETE FROM hashtag_queries WHERE account_id = ? AND hashtag = ? "
                "AND first_queried_at = ?",
                (account_id, hashtag, iso(at)),
            )

    def record_hashtag_media(
        self, hashtag: str, media: dict[str, list[MediaItem]], at: datetime
    ) -> None:
        """The media of one hashtag read this run, by edge (`recent`, `top`)."""
        seen = iso(at)
        rows = []
        for edge, items in media.items():
            for m in items:
                rows.append(
                    (
                        hashtag,
                        redact(m.media_id),
                        _t(m.media_type),
                        _t(m.permalink),
                        m.posted_at,
                        _t(m.caption),
                        m.like_count,
                        m.comments_count,
                        seen,
                        seen,
                        seen if edge == "recent" else None,
                        seen if edge == "top" else None,
                    )
                )
        with self.archive.transaction() as db:
            db.executemany(
                "INSERT INTO hashtag_media (hashtag, media_id, media_type, permalink, posted_at, "
                "caption, like_count, comments_count, first_seen_at, last_seen_at, "
                "recent_seen_at, top_seen_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (hashtag, media_id) DO UPDATE SET "
                "media_type = coalesce(excluded.media_type, media_type), "
                "permalink = coalesce(excluded.permalink, permalink), "
                "posted_at = coalesce(excluded.posted_at, posted_at), "
                "caption = coalesce(excluded.caption, caption), "
                "like_count = coalesce(excluded.like_count, like_count), "
                "comments_count = coalesce(excluded.comments_count, comments_count), "
                "last_seen_at = excluded.last_seen_at, "
                "recent_seen_at = coalesce(excluded.recent_seen_at, recent_seen_at), "
                "top_seen_at = coalesce(excluded.top_seen_at, top_seen_at)",
                rows,
            )

    def hashtag_rows(
        self, *, since: datetime | None, hashtags: Sequence[str] | None
    ) -> Iterator[dict[str, Any]]:
        """One row per (hashtag, media) last seen at or after `since`."""
        where, params = _seen_since_in(since, "hashtag", hashtags)
        query = f"""
            SELECT hashtag, media_id, media_type, permalink, posted_at, caption, like_count,
                   comments_count, first_seen_at, last_seen_at,
                   CASE WHEN recent_seen_at IS NOT NULL AND top_seen_at IS NOT NULL
                        THEN 'recent+top'
                        WHEN top_seen_at IS NOT NULL THEN 'top' ELSE 'recent' END AS seen_in
            FROM hashtag_media {where}
            ORDER BY hashtag, posted_at, media_id
        """
        for row in self.db.execute(query, params):
            yield dict(zip(row.keys(), tuple(row), strict=True))


def _in(column: str, values: Sequence[str] | None) -> tuple[str, list[Any]]:
    if values is None:
        return "", []
    return f"WHERE {column} IN ({','.join('?' * len(values)) or 'NULL'})", list(values)


def _seen_since_in(
    since: datetime | None, column: str, values: Sequence[str] | None
) -> tuple[str, list[Any]]:
    """WHERE for rows last seen at or after `since` (when given) whose `column` is in `values`."""
    clauses, params = [], []
    if since is not None:
        clauses.append("last_seen_at >= ?")
        params.append(iso(since))
    where, more = _in(column, values)
    if where:
        clauses.append(where.removeprefix("WHERE "))
        params += more
    return ("WHERE " + " AND ".join(clauses)) if clauses else "", params
