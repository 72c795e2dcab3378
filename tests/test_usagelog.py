from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

from igconnect.meta.usage import AccountUsage, Usage
from igconnect.usagelog import UsageLog


def usage(percent: float) -> Usage:
    account = AccountUsage("1784", "instagram", percent, 1, 2, 0)
    return Usage(datetime.now(UTC), {"call_count": percent / 2}, {"1784": account})


def test_latest_usage_per_connection_and_scope(tmp_path: Path) -> None:
    log = UsageLog(tmp_path / "state" / "usage.sqlite")
    assert log.latest("acme") == []
    log.record("acme", usage(10))
    log.record("acme", usage(40))
    seen = {u.scope: u for u in log.latest("acme")}
    assert seen["1784"].percent == 40 and seen["app"].percent == 20
    log.rename("acme", "acme-2")
    assert log.latest("acme") == [] and len(log.latest("acme-2")) == 2
    log.forget("acme-2")
    assert log.latest("acme-2") == []


def test_many_writers_on_a_new_log_at_once(tmp_path: Path) -> None:
    """Threads sharing one log, and separate logs on one file (as separate processes would be)."""
    path = tmp_path / "usage.sqlite"
    shared = UsageLog(path)

    def write(i: int) -> None:
        log = shared if i % 2 else UsageLog(path)
        log.record(f"c{i % 4}", usage(i))

    with ThreadPoolExecutor(16) as pool:
        list(pool.map(write, range(200)))
    assert all(shared.latest(f"c{i}") for i in range(4))
