"""The archive: a damaged file is never written to, daily backups, `igconnect archive check|backup|
restore`, and a full or read-only data dir explained (issue 15, cases 2 and 4)."""

from __future__ import annotations

import hashlib
import os
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from igconnect.errors import ExitCode
from igconnect.export.archive import Archive, StoryRecord
from igconnect.export.backup import backup_name
from igconnect.runtime import Runtime
from tests.realparts import fill


def _paths() -> Any:
    return Runtime().paths


def _fill_archive(stories: int = 400) -> Path:
    """An archive of `stories` rows: enough pages that damage can miss the header."""
    now = datetime.now(UTC)
    path = _paths().archive_file
    with Archive(path) as archive:
        run_id = archive.start_run(now)
        archive.record_account(
            run_id=run_id,
            connection="acme",
            account_id="17841400000000001",
            username="acme_shop",
            api_version="v25.0",
            observed_at=now,
            stories=[
                StoryRecord(
                    story_id=f"{i:017d}",
                    media_type="IMAGE",
                    media_product_type="STORY",
                    permalink=f"https://www.instagram.com/stories/acme_shop/{i}/",
                    posted_at=now - timedelta(minutes=i),
                    status="ok",
                    values={"reach": i, "views": 2 * i},
                    read=True,
                    insights_read=True,
                )
                for i in range(stories)
            ],
        )
    return path


def _damage(path: Path) -> None:
    """Overwrite pages in the middle of the file; the header (page 1) stays intact."""
    size = path.stat().st_size
    assert size > 16 * 4096
    with open(path, "r+b") as handle:
        handle.seek(4 * 4096)
        handle.write(os.urandom(8 * 4096))


def _digest(path: Path) -> str:
    files = [path, Path(f"{path}-wal")]
    return hashlib.sha256(b"".join(f.read_bytes() for f in files if f.exists())).hexdigest()


def test_a_damaged_archive_is_refused_and_never_written_to(cli: Any, tmp_path: Path) -> None:
    path = _fill_archive()
    _damage(path)
    before = _digest(path)
    for _ in range(2):  # hourly runs: every one refuses, none writes
        result = cli("export", "stories", "--no-fetch", "--out", str(tmp_path / "s.csv"))
        assert result.exit_code == ExitCode.DAMAGED, result.output
        assert result.stderr.count("\n") == 1
        assert "is damaged" in result.stderr and "igconnect archive restore" in result.stderr
        assert "unexpected" not in result.stderr
    assert _digest(path) == before
    assert not (tmp_path / "s.csv").exists()
    checked = cli("archive", "check")
    assert checked.exit_code == ExitCode.DAMAGED
    assert "is damaged" in checked.stderr


def test_damage_met_mid_run_makes_the_next_run_check_first(
    cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With checks spaced out, a run that meets damage forgets the last good check."""
    monkeypatch.setenv("IGCONNECT_ARCHIVE_CHECK_HOURS", "24")
    path = _fill_archive()
    assert cli("archive", "check").exit_code == 0  # a good check: none due for a day
    _damage(path)
    first = cli("export", "stories", "--no-fetch", "--out", str(tmp_path / "s.csv"))
    assert first.exit_code == ExitCode.DAMAGED, first.output  # the rows read were damaged
    before = _digest(path)
    second = cli("export", "stories", "--out", str(tmp_path / "s.csv"))  # a run that would write
    assert second.exit_code == ExitCode.DAMAGED
    assert "nothing was written to it" in second.stderr
    assert _digest(path) == before


def test_archive_check_on_a_sound_archive(cli: Any) -> None:
    empty = cli("archive", "check")
    assert empty.exit_code == 0 and "No archive yet" in empty.stderr
    _fill_archive(3)
    result = cli("archive", "check", "--json")
    assert result.exit_code == 0, result.output
    assert '"ok": true' in result.stdout and '"stories": 3' in result.stdout


def test_backup_restore_round_trip_keeps_the_damaged_file_aside(cli: Any, tmp_path: Path) -> None:
    path = _fill_archive()
    backup = tmp_path / "offsite" / "archive.sqlite"
    made = cli("archive", "backup", str(backup))
    assert made.exit_code == 0, made.output
    assert oct(backup.stat().st_mode & 0o777) == "0o600"
    again = cli("archive", "backup", str(backup))
    assert again.exit_code == ExitCode.CONFLICT  # a backup never overwrites
    _damage(path)
    restored = cli("archive", "restore", str(backup))
    assert restored.exit_code == 0, restored.output
    aside = list(path.parent.glob("archive-replaced-*.sqlite"))
    assert len(aside) == 1
    db = sqlite3.connect(path)
    assert db.execute("SELECT count(*) FROM stories").fetchone()[0] == 400
    db.close()
    out = tmp_path / "after.csv"
    assert cli("export", "stories", "--no-fetch", "--out", str(out)).exit_code == 0
    assert len(out.read_text().splitlines()) == 401


def test_restore_refuses_a_damaged_or_foreign_file(cli: Any, tmp_path: Path) -> None:
    path = _fill_archive()
    before = _digest(path)
    bad = tmp_path / "bad.sqlite"
    bad.write_bytes(path.read_bytes())
    _damage(bad)
    result = cli("archive", "restore", str(bad))
    assert result.exit_code == ExitCode.DAMAGED, result.output
    assert "nothing was changed" in result.stderr
    foreign = tmp_path / "foreign.sqlite"
    sqlite3.connect(foreign).execute("CREATE TABLE t (x)").connection.close()
    assert cli("archive", "restore", str(foreign)).exit_code == ExitCode.USAGE
    assert cli("archive", "restore", str(tmp_path / "missing.sqlite")).exit_code == (
        ExitCode.FILESYSTEM
    )
    assert _digest(path) == before


def test_a_daily_backup_is_taken_and_old_ones_pruned(
    cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("IGCONNECT_ARCHIVE_BACKUPS", "3")
    folder = tmp_path / "backups"
    monkeypatch.setenv("IGCONNECT_ARCHIVE_BACKUP_DIR", str(folder))
    _fill_archive(5)
    folder.mkdir()
    now = datetime.now(UTC)
    old = [folder / backup_name(now - timedelta(days=d)) for d in (2, 3, 4, 5)]
    for path in old:
        path.write_bytes(b"an old backup")
    out = str(tmp_path / "s.csv")
    assert cli("export", "stories", "--no-fetch", "--out", out).exit_code == 0
    kept = sorted(p.name for p in folder.iterdir() if p.name.startswith("archive-"))
    assert len(kept) == 3 and old[0].name in kept and old[1].name in kept
    # the state store beside it, so a damaged one costs at most a day as well
    (state_copy,) = folder.glob("state-*.sqlite")
    assert sqlite3.connect(state_copy).execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    newest = folder / kept[-1]
    db = sqlite3.connect(newest)
    assert db.execute("SELECT count(*) FROM stories").fetchone()[0] == 5
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "delete"  # one self-contained file
    db.close()
    assert cli("export", "stories", "--no-fetch", "--out", out).exit_code == 0
    assert sorted(p.name for p in folder.iterdir() if p.name.startswith("archive-")) == kept
    assert len(list(folder.glob("state-*.sqlite"))) == 1  # neither is due again the same day


def test_a_full_data_dir_says_free_space(
    cli: Any, mounts: Any, monkeypatch: Any, tmp_path: Path
) -> None:
    data = mounts("data", size="512k")
    monkeypatch.setenv("IGCONNECT_DATA_DIR", str(data))
    # The state store is opened first and explains its own errors: keep it off the full disk so
    # this test is about the archive.
    elsewhere = tmp_path / "state-store"
    elsewhere.mkdir()
    (data / "state.sqlite").symlink_to(elsewhere / "state.sqlite")
    monkeypatch.setenv("IGCONNECT_ARCHIVE_BACKUPS", "0")
    out = str(data.parent / "s.csv")
    assert cli("export", "stories", "--no-fetch", "--out", out).exit_code == 0
    fill(data)
    path = _paths().archive_file
    before = _digest(path)
    result = cli("export", "stories", "--no-fetch", "--out", out)
    assert result.exit_code == ExitCode.DISK_FULL, result.output
    assert "free space" in result.stderr and "aside" not in result.stderr
    assert _digest(path) == before


def test_a_full_data_dir_under_the_state_store_says_free_space(
    cli: Any, mounts: Any, monkeypatch: Any
) -> None:
    data = mounts("data", size="512k")
    monkeypatch.setenv("IGCONNECT_DATA_DIR", str(data))
    assert cli("trackers", "add", "#one").exit_code == 0  # no connection: kept on none
    fill(data)
    before = (data / "state.sqlite").read_bytes()
    result = cli(
        "trackers",
        "import",
        "-",
        input="tracker\n" + "".join(f"#tag_{i:05d}\n" for i in range(3000)),
    )
    assert result.exit_code == ExitCode.DISK_FULL, result.output
    assert "free space" in result.stderr and "aside" not in result.stderr
    assert (data / "state.sqlite").read_bytes() == before  # rolled back, untouched


def test_a_full_backup_folder_warns_and_the_run_succeeds(
    cli: Any, mounts: Any, monkeypatch: Any, tmp_path: Path
) -> None:
    folder = mounts("backups", size="64k")
    fill(folder)
    monkeypatch.setenv("IGCONNECT_ARCHIVE_BACKUP_DIR", str(folder))
    _fill_archive()
    result = cli("export", "stories", "--no-fetch", "--out", str(tmp_path / "s.csv"))
    assert result.exit_code == 0, result.output
    assert "daily backup of the story archive was not taken" in result.stderr
    assert "free space" in result.stderr
    assert sorted(p.name for p in folder.iterdir()) == ["filler"]


def test_a_read_only_data_dir(cli: Any, mounts: Any, monkeypatch: Any) -> None:
    data = mounts("data", size="1m", read_only=True)
    monkeypatch.setenv("IGCONNECT_DATA_DIR", str(data))
    result = cli("export", "stories", "--no-fetch", "--out", str(data.parent / "s.csv"))
    assert result.exit_code == ExitCode.FILESYSTEM, result.output
    assert "read-only" in result.stderr
