"""Hand-made story archives: stories, latest values and profile observations written with plain SQL,
so tests of the derived figures do not depend on the collector or the sandbox."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

PROFILES_SCHEMA = """
CREATE TABLE IF NOT EXISTS profile_observations (
    account_id TEXT NOT NULL,
    observed_at TEXT NOT NULL,
    followers_count INTEGER,
    follows_count INTEGER,
    media_count INTEGER,
    PRIMARY KEY (account_id, observed_at)
)
"""


def stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class HandMadeArchive:
    """An archive file at `path` with the real schema (made by `Archive`), filled by hand."""

    def __init__(self, path: Path) -> None:
        from igconnect.export.archive import Archive

        Archive(path).close()  # the schema, exactly as igconnect makes it
        self.path = path
        self.db = sqlite3.connect(path, isolation_level=None)

    def close(self) -> None:
        self.db.close()

    def story(
        self,
        story_id: str,
        posted_at: datetime | str,
        values: dict[str, int] | None = None,
        *,
        account_id: str = "17841400000000001",
        username: str = "acme_shop",
        connection: str = "acme",
        permalink: str | None = None,
        media_type: str = "IMAGE",
        status: str = "ok",
        observed_at: datetime | str | None = None,
        final: bool = False,
    ) -> None:
        posted = posted_at if isinstance(posted_at, str) else stamp(posted_at)
        expires = stamp(datetime.fromisoformat(posted.replace("Z", "+00:00")) + timedelta(days=1))
        seen = (
            observed_at
            if isinstance(observed_at, str) or observed_at is None
            else stamp(observed_at)
        )
        seen = seen or expires
        self.db.execute(
            "INSERT INTO stories (story_id, connection, account_id, username, media_type, "
            "permalink, posted_at, expires_at, first_seen_at, last_observed_at, api_version, status) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'v25.0', ?)",
            (
                story_id,
                connection,
                account_id,
                username,
                media_type,
                permalink if permalink is not None else f"https://instagram.com/stories/{story_id}",
                posted,
                expires,
                posted,
                seen,
                status,
            ),
        )
        for name, value in (values or {}).items():
            self.db.execute(
                "INSERT INTO latest_values (story_id, name, value, observed_at) VALUES (?, ?, ?, ?)",
                (story_id, name, value, seen),
            )
        # As the collector leaves it (issue 13): insights_at when values were read, final_read_at
        # when that read was the story's final one; the archive derives `value_source` from them.
        if values:
            self.db.execute(
                "UPDATE stories SET insights_at = ? WHERE story_id = ?", (seen, story_id)
            )
        if final:
            self.db.execute(
                "UPDATE stories SET final_read_at = ? WHERE story_id = ?", (seen, story_id)
            )

    def profile(
        self,
        observed_at: datetime | str,
        followers: int | None,
        *,
        account_id: str = "17841400000000001",
    ) -> None:
        """A profile observation as `igconnect export profiles` (issue 12) archives it."""
        self.db.execute(PROFILES_SCHEMA)
        when = observed_at if isinstance(observed_at, str) else stamp(observed_at)
        self.db.execute(
            "INSERT INTO profile_observations (account_id, observed_at, followers_count) "
            "VALUES (?, ?, ?)",
            (account_id, when, followers),
        )

    def query(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        return list(self.db.execute(sql, params))
