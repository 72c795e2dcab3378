"""fileio: private folders, stale temporary files, and OS errors explained."""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

import pytest

from igconnect.errors import DiskFullError, ExitCode, FilesystemError
from igconnect.fileio import atomic_write_text, ensure_dir, os_failure, remove_stale_temps


def test_ensure_dir_creates_every_missing_part_0700(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b" / "c"
    ensure_dir(target)
    for part in (tmp_path / "a", tmp_path / "a" / "b", target):
        assert stat.S_IMODE(os.stat(part).st_mode) == 0o700
    ensure_dir(target)  # again: nothing to do


def test_ensure_dir_names_the_file_in_the_way(tmp_path: Path) -> None:
    (tmp_path / "a").write_text("")
    with pytest.raises(FilesystemError) as caught:
        ensure_dir(tmp_path / "a" / "b")
    assert f"{tmp_path / 'a'} is a file, not a folder" in caught.value.message
    assert caught.value.exit_code == ExitCode.FILESYSTEM


def test_os_failure_says_free_space_for_a_full_disk(tmp_path: Path) -> None:
    error = os_failure(OSError(errno.ENOSPC, "No space left on device"), tmp_path / "x")
    assert isinstance(error, DiskFullError) and error.exit_code == ExitCode.DISK_FULL
    assert "free space" in (error.hint or "") and "move" not in (error.hint or "")
    quota = os_failure(OSError(errno.EDQUOT, "Disk quota exceeded"), tmp_path / "x")
    assert isinstance(quota, DiskFullError)


def test_remove_stale_temps_only_touches_its_target(tmp_path: Path) -> None:
    target = tmp_path / "config.toml"
    ours = tmp_path / ".config.toml.abcdefgh.tmp"
    theirs = tmp_path / ".config.toml.abcdefgh.swp"
    for path in (ours, theirs):
        path.write_text("")
        os.utime(path, (0, 0))
    assert remove_stale_temps(target) == [ours]
    assert theirs.exists()


def test_an_atomic_write_cleans_up_after_a_killed_writer(tmp_path: Path) -> None:
    target = tmp_path / "config.toml"
    leftover = tmp_path / ".config.toml.zz9plur_.tmp"
    leftover.write_text("half")
    os.utime(leftover, (0, 0))
    atomic_write_text(target, "version = 1\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["config.toml"]
