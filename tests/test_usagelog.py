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


def test_many_threads_writing_a_new_log_at_once(tmp_path: Path) -> None:
    log = UsageLog(tmp_path / "usage.sqlite")
    with ThreadPoolExecutor(16) as pool:
        list(pool.map(lambda i: log.record(f"c{i % 4}", usage(i)), range(64)))
    assert all(log.latest(f"c{i}") for i in range(4))
