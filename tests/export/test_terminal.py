"""On a terminal the export shows a progress bar; without one, not a single escape sequence."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

IGCONNECT = Path(sys.executable).with_name("igconnect")


def _run(args: list[str], *, tty: bool) -> tuple[int, str]:
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    env["IGCONNECT_EXPORT_CONCURRENCY"] = "1"  # one account at a time: the bar has time to draw
    if not tty:
        done = subprocess.run(
            [str(IGCONNECT), *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            stdin=subprocess.DEVNULL,
        )
        return done.returncode, done.stderr
    leader, follower = pty.openpty()
    process = subprocess.Popen(
        [str(IGCONNECT), *args],
        env=env,
        stdin=follower,
        stdout=subprocess.DEVNULL,
        stderr=follower,
    )
    os.close(follower)
    chunks = []
    while True:
        try:
            data = os.read(leader, 4096)
        except OSError:  # the terminal closed: the process is done
            break
        if not data:
            break
        chunks.append(data)
    os.close(leader)
    return process.wait(timeout=60), b"".join(chunks).decode("utf-8", "replace")


@pytest.mark.parametrize("tty", [True, False])
def test_progress_only_on_a_terminal(
    sandbox_factory: Any, tmp_path: Path, tty: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("IGCONNECT_TOKEN_STORE", "file")  # the child process has no test keyring
    setup = sandbox_factory(latency_ms=150)
    setup.connect("acme", "10000000000000001")
    code, stderr = _run(["export", "stories", "--out", str(tmp_path / "s.csv")], tty=tty)
    assert code == 0, stderr
    if tty:
        assert "collecting accounts" in stderr or "@acme_" in stderr
        assert "\x1b[" in stderr  # the bar is drawn and then cleared
    else:
        assert "\x1b[" not in stderr and "collecting accounts" not in stderr
    assert "Wrote 24 rows" in stderr
