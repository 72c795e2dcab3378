"""Several igconnect processes on one state store: nothing lost, nothing half-seen, nothing broken
by a kill."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

from igconnect.connections.model import Account, Connection
from igconnect.runtime import Runtime
from igconnect.trackers.service import picture
from tests import stored


def _python(code: str, **kw: Any) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kw,
    )


def test_eight_processes_adding_at_the_same_moment_lose_none(tmp_path: Path) -> None:
    accounts = [Account(f"id-u{i}", f"u{i}") for i in range(8)]
    stored.save_connection(Connection("acme", "facebook"), accounts)
    stored.save_connection(Connection("acme-b", "facebook"), accounts)
    go = tmp_path / "go"
    procs = [
        _python(
            f"""
            import os, sys, time
            from igconnect.cli.app import main  # everything imported before the start signal
            while not os.path.exists({str(go)!r}):
                time.sleep(0.001)
            sys.argv = ["igconnect", "trackers", "add", "@u{i}"]
            main()
            """
        )
        for i in range(8)
    ]
    time.sleep(1.0)
    go.touch()
    for proc in procs:
        _out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
    assert sorted(stored.trackers()) == [f"@u{i}" for i in range(8)]
    # Each saw the others' trackers when it chose the one carrying the fewest: 4 on each.
    on = [t.connection for t in stored.trackers().values()]
    assert (on.count("acme"), on.count("acme-b")) == (4, 4)


def test_a_reader_never_sees_half_of_a_move() -> None:
    accounts = [Account(f"id-u{i}", f"u{i}") for i in range(40)]
    stored.save_connection(Connection("a", "facebook"), accounts)
    stored.save_connection(Connection("b", "facebook"), accounts)
    from igconnect.trackers.model import Tracker

    for account in accounts:
        stored.save_tracker(Tracker("account", account.username, connection="a"))
    writer = _python(
        """
        from igconnect.runtime import Runtime
        from igconnect.trackers.service import move_trackers
        for i in range(30):
            runtime = Runtime()
            move_trackers(runtime, "a", "b") if i % 2 == 0 else move_trackers(runtime, "b", "a")
            runtime.close()
        """
    )
    seen: set[str] = set()
    while writer.poll() is None:
        runtime = Runtime()
        where = {t.connection for t in picture(runtime).trackers.values()}
        runtime.close()
        assert len(where) == 1, f"a read saw trackers on {where} at once"
        seen |= where
    assert writer.returncode == 0, writer.stderr.read() if writer.stderr else ""
    assert seen <= {"a", "b"}


def test_a_killed_writer_leaves_the_store_as_it_was() -> None:
    stored.save_connection(Connection("acme", "facebook"))
    state_file = Runtime().paths.state_file
    writer = _python(
        """
        import sys, time
        from igconnect.runtime import Runtime
        from igconnect.trackers.model import Tracker
        from igconnect.trackers.store import TrackerStore
        runtime = Runtime()
        with runtime.state.transaction() as db:
            store = TrackerStore(db)
            for i in range(2000):
                store.add(Tracker("account", f"u{i}"))
            print("inside", flush=True)
            time.sleep(60)
        """
    )
    assert writer.stdout is not None
    assert writer.stdout.readline().strip() == "inside"
    os.kill(writer.pid, signal.SIGKILL)
    writer.wait(timeout=30)
    db = sqlite3.connect(state_file)
    try:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert db.execute("SELECT count(*) FROM trackers").fetchone()[0] == 0
    finally:
        db.close()
    # ...and the next process works on it as if nothing happened.
    assert list(stored.connections()) == ["acme"]
    assert stored.trackers() == {}
