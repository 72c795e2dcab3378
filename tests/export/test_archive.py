"""The archive moves forward: a file written by the first schema opens, migrated, with its rows."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from igconnect.export import archive as archive_module
from igconnect.export.archive import SCHEMA_VERSION, Archive


def test_a_version_1_archive_is_migrated_in_place(tmp_path: Path) -> None:
    path = tmp_path / "archive.sqlite"
    db = sqlite3.connect(path)
    for statement in archive_module._SCHEMA_V1.split(";"):
        if statement.strip():
            db.execute(statement)
    db.execute(
        "INSERT INTO stories (story_id, connection, account_id, username, posted_at, expires_at, "
        "first_seen_at, last_observed_at, api_version, status) VALUES ('s1', 'acme', 'a1', 'shop', "
        "'2026-11-01T08:00:00Z', '2026-11-02T08:00:00Z', '2026-11-01T09:00:00Z', "
        "'2026-11-02T07:30:00Z', 'v25.0', 'ok')"
    )
    db.execute("INSERT INTO latest_values VALUES ('s1', 'reach', 42, '2026-11-02T07:30:00Z')")
    db.execute("PRAGMA user_version=1")
    db.commit()
    db.close()
    with Archive(path) as archive:
        assert archive.db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        (row,) = archive.latest_rows(since=None, until=None, now=datetime.now(UTC))
    # Values read before this version: the last observation stands for their read time; whether
    # it was a final read is not known, so they are what was last seen (and not counted as missed).
    assert row["values"] == {"reach": 42}
    assert row["value_source"] == "last_seen" and row["observed_at"] == "2026-11-02T07:30:00Z"
    with Archive(path) as archive:
        assert archive.count_missed_finals(datetime.now(UTC)) == 0
