"""`--out`: what is at the path decides how it is written, and nothing but a regular file is ever
replaced (issue 15, case 1)."""

from __future__ import annotations

import os
import socket
import stat
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

from igconnect.errors import ExitCode
from tests.realparts import char_device, fill

IGCONNECT = Path(sys.executable).with_name("igconnect")
HEADER = "connection,account_id,username,story_id"


def _export(cli: Any, out: Path | str) -> Any:
    return cli("export", "stories", "--no-fetch", "--out", str(out))


def test_a_fifo_is_written_into_as_a_stream(cli: Any, tmp_path: Path) -> None:
    fifo = tmp_path / "rows.fifo"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()), daemon=True)
    reader.start()
    result = _export(cli, fifo)
    reader.join(10)
    assert result.exit_code == 0, result.output
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert received and received[0].decode().startswith(HEADER)


def test_a_character_device_is_written_into_never_replaced(cli: Any, tmp_path: Path) -> None:
    null = char_device(tmp_path / "null", 1, 3)
    assert _export(cli, null).exit_code == 0
    assert stat.S_ISCHR(os.lstat(null).st_mode)
    full = char_device(tmp_path / "full", 1, 7)  # like /dev/full: every write is ENOSPC
    result = _export(cli, full)
    assert result.exit_code == ExitCode.DISK_FULL, result.output
    assert "no space left" in result.stderr and "free space" in result.stderr
    assert stat.S_ISCHR(os.lstat(full).st_mode)


def test_a_link_to_the_process_stdout_streams_to_it(tmp_path: Path) -> None:
    """`--out /dev/stdout` in a pipe: /dev/stdout is a link to /proc/self/fd/1. A link of our own
    to the same place stands in for it, so the system's is never at risk."""
    link = tmp_path / "stdout"
    link.symlink_to("/proc/self/fd/1")
    result = subprocess.run(
        [str(IGCONNECT), "export", "stories", "--no-fetch", "--out", str(link)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(HEADER)
    assert link.is_symlink() and os.readlink(link) == "/proc/self/fd/1"


def test_dash_is_stdout(cli: Any) -> None:
    result = _export(cli, "-")
    assert result.exit_code == 0 and result.stdout.startswith(HEADER)


def test_a_symlink_to_a_file_replaces_the_target_atomically(cli: Any, tmp_path: Path) -> None:
    target = tmp_path / "reports" / "stories.csv"
    target.parent.mkdir()
    target.write_text("old\n")
    target.chmod(0o640)
    before = os.stat(target).st_ino
    link = tmp_path / "latest.csv"
    link.symlink_to(target)
    assert _export(cli, link).exit_code == 0
    assert link.is_symlink() and link.resolve() == target
    assert target.read_text().startswith(HEADER)
    assert os.stat(target).st_ino != before  # a new file renamed over the old one
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o640  # the mode the user gave it stays
    assert list(target.parent.iterdir()) == [target]  # no temporary file left behind


def test_a_socket_is_refused_and_left_alone(cli: Any, tmp_path: Path) -> None:
    path = tmp_path / "s.sock"
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(path))
    try:
        result = _export(cli, path)
        assert result.exit_code == ExitCode.FILESYSTEM, result.output
        assert "never replaces it" in result.stderr
        assert stat.S_ISSOCK(os.lstat(path).st_mode)
    finally:
        server.close()


def test_out_under_a_regular_file(cli: Any, tmp_path: Path) -> None:
    blocker = tmp_path / "report"
    blocker.write_text("a file, not a folder\n")
    result = _export(cli, blocker / "stories.csv")
    assert result.exit_code == ExitCode.FILESYSTEM, result.output
    assert f"{blocker} is a file, not a folder" in result.stderr
    assert blocker.read_text() == "a file, not a folder\n"


def test_a_read_only_output_folder(cli: Any, mounts: Any) -> None:
    folder = mounts("ro", read_only=True)
    result = _export(cli, folder / "stories.csv")
    assert result.exit_code == ExitCode.FILESYSTEM, result.output
    assert "read-only" in result.stderr
    assert result.stderr.count("\n") == 1  # one line: what happened — what to do


def test_a_full_output_disk_keeps_the_previous_file(cli: Any, mounts: Any) -> None:
    folder = mounts("full", size="64k")
    out = folder / "stories.csv"
    out.write_text("previous\n")
    fill(folder)
    result = _export(cli, out)
    assert result.exit_code == ExitCode.DISK_FULL, result.output
    assert "free space" in result.stderr
    assert out.read_text() == "previous\n"
    assert sorted(p.name for p in folder.iterdir()) == ["filler", "stories.csv"]


def test_temp_files_of_killed_runs_are_removed_by_the_next_run(cli: Any, tmp_path: Path) -> None:
    """Case 7: only igconnect's own names beside this output, and only when they are stale."""
    out = tmp_path / "out" / "stories.csv"
    out.parent.mkdir()
    stale = out.parent / ".stories.csv.k2x9_q1z.tmp"  # what mkstemp names them
    fresh = out.parent / ".stories.csv.a1b2c3d4.tmp"  # a writer that is still alive
    others = [
        out.parent / ".stories.csv.notours.tmp",  # not mkstemp's shape
        out.parent / ".other.csv.k2x9_q1z.tmp",  # another target's
        out.parent / "stories.csv.k2x9_q1z.tmp",
    ]
    for path in [stale, fresh, *others]:
        path.write_text("rows of a killed run\n")
    old = os.stat(stale).st_mtime - 600
    for path in [stale, *others]:
        os.utime(path, (old, old))
    assert _export(cli, out).exit_code == 0
    assert not stale.exists()
    assert fresh.exists() and all(p.exists() for p in others)
