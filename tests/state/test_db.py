"""The state store file: created private, migrated forward in one transaction, refused when newer
or damaged with a message that says what to do."""

from __future__ import annotations

import sqlite3
import stat
from pathlib import Path

import pytest

from igconnect.errors import BusyError, ConfigError, DamagedError, ExitCode
from igconnect.state import schema
from igconnect.state.db import StateStore


def test_a_new_store_is_private_and_at_the_current_version(tmp_path: Path) -> None:
    path = tmp_path / "data" / "state.sqlite"
    with StateStore(path) as store:
        assert store.db.execute("PRAGMA user_version").fetchone()[0] == schema.SCHEMA_VERSION
        assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert store.db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700


def test_migrations_run_forward_in_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "state.sqlite"
    with StateStore(path) as store:
        store.db.execute("INSERT INTO meta VALUES ('kept', 'yes')")
    extra = "ALTER TABLE trackers ADD COLUMN note TEXT;\nCREATE INDEX trackers_by_note ON trackers (note);"
    import igconnect.state.db as db_module

    monkeypatch.setattr(db_module, "MIGRATIONS", (*schema.MIGRATIONS, extra))
    monkeypatch.setattr(db_module, "SCHEMA_VERSION", schema.SCHEMA_VERSION + 1)
    with StateStore(path) as store:
        assert store.db.execute("PRAGMA user_version").fetchone()[0] == schema.SCHEMA_VERSION + 1
        columns = [r[1] for r in store.db.execute("PRAGMA table_info(trackers)")]
        assert "note" in columns
        assert store.db.execute("SELECT value FROM meta WHERE key = 'kept'").fetchone()[0] == "yes"


def test_a_failed_migration_leaves_the_store_at_its_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import igconnect.state.db as db_module

    path = tmp_path / "state.sqlite"
    StateStore(path).db.close()
    broken = "ALTER TABLE trackers ADD COLUMN note TEXT;\nTHIS IS NOT SQL;"
    monkeypatch.setattr(db_module, "MIGRATIONS", (*schema.MIGRATIONS, broken))
    monkeypatch.setattr(db_module, "SCHEMA_VERSION", schema.SCHEMA_VERSION + 1)
    with pytest.raises(sqlite3.OperationalError):  # a broken migration is a bug, reported as one
        StateStore(path).db.close()
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA user_version").fetchone()[0] == schema.SCHEMA_VERSION
    assert "note" not in [r[1] for r in db.execute("PRAGMA table_info(trackers)")]


def test_a_store_from_a_newer_igconnect_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite"
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version={schema.SCHEMA_VERSION + 1}")
    db.close()
    with pytest.raises(ConfigError, match="newer igconnect") as info:
        StateStore(path).db.close()
    assert "upgrade igconnect" in (info.value.hint or "")


def test_a_file_that_is_not_a_store_says_what_to_do(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite"
    path.write_bytes(b"not a database, just text " * 100)
    with pytest.raises(DamagedError, match="is damaged") as info:
        StateStore(path).db.close()
    assert info.value.exit_code == ExitCode.DAMAGED
    assert f"mv {path} {path}.damaged" in (info.value.hint or "")
    assert path.read_bytes().startswith(b"not a database")  # left as it was


def test_a_writer_waits_for_another_then_gives_up_clearly(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite"
    holder = StateStore(path)
    waiter = StateStore(path, busy_timeout=0.2)
    with (
        holder.transaction(),
        pytest.raises(BusyError, match="stayed locked"),
        waiter.transaction(),
    ):
        pass
    with waiter.transaction():  # free again
        pass


def test_the_switch_to_wal_waits_out_a_busy_file_by_its_error_code(tmp_path: Path) -> None:
    """SQLite answers SQLITE_BUSY at once while another connection holds the file; the switch
    retries on that code (not on the words of the message) and gives up on anything else."""
    import threading

    path = tmp_path / "busy.sqlite"
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    holder.execute("CREATE TABLE t (x)")
    holder.execute("BEGIN EXCLUSIVE")
    waiting = sqlite3.connect(path, timeout=0, isolation_level=None)
    with pytest.raises(sqlite3.OperationalError) as busy:
        waiting.execute("PRAGMA journal_mode=WAL")
    assert busy.value.sqlite_errorcode == sqlite3.SQLITE_BUSY
    release = threading.Timer(0.3, lambda: holder.execute("COMMIT"))
    release.start()
    StateStore._wal(waiting)
    release.join()
    assert waiting.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    holder.close()
    waiting.close()

    class Worded:  # an error that only says "locked", without SQLite's code
        calls = 0

        def execute(self, sql: str) -> None:
            self.calls += 1
            raise sqlite3.OperationalError("database is locked")

    worded = Worded()
    with pytest.raises(sqlite3.OperationalError):
        StateStore._wal(worded)  # type: ignore[arg-type]
    assert worded.calls == 1


def test_migration_3_records_how_each_account_tracker_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A store of version 2: a reached account becomes managed; one nothing reaches and on no
    connection (what older versions accepted silently) becomes pending; hashtags stay NULL."""
    import igconnect.state.db as db_module

    path = tmp_path / "state.sqlite"
    monkeypatch.setattr(db_module, "MIGRATIONS", schema.MIGRATIONS[:2])
    monkeypatch.setattr(db_module, "SCHEMA_VERSION", 2)
    with StateStore(path) as store:
        db = store.db
        db.execute(
            "INSERT INTO connections (id, name, provider, created_at) VALUES ('c1', 'ada', "
            "'facebook', '2026-01-01T00:00:00Z')"
        )
        db.execute("INSERT INTO accounts VALUES ('c1', '178', 'Acme_1', NULL, NULL, NULL)")
        rows = [
            ("@acme_1", "account", "acme_1", "c1"),
            ("@acme_8", "account", "acme_8", None),
            ("@nike", "account", "nike", "c1"),
            ("#food", "hashtag", "food", "c1"),
        ]
        db.executemany(
            "INSERT INTO trackers (key, kind, target, connection_id, created_at) "
            "VALUES (?, ?, ?, ?, '2026-01-01T00:00:00Z')",
            rows,
        )
        db.commit()
    monkeypatch.setattr(db_module, "MIGRATIONS", schema.MIGRATIONS)
    monkeypatch.setattr(db_module, "SCHEMA_VERSION", schema.SCHEMA_VERSION)
    with StateStore(path) as store:
        got = {
            r[0]: (r[1], r[2])
            for r in store.db.execute("SELECT key, access, pending FROM trackers")
        }
    assert got == {
        "@acme_1": ("managed", 0),
        "@acme_8": (None, 1),
        "@nike": (None, 0),  # on a connection that does not reach it: doctor's `unreachable`
        "#food": (None, 0),
    }
