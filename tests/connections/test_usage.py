"""Rate-limit usage: kept in memory while a command runs, written once when it ends."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

from igconnect.connections.model import Connection
from igconnect.connections.usage import UsageRecorder, UsageStore
from igconnect.meta.usage import AccountUsage, Usage
from igconnect.runtime import Runtime
from tests import stored


def usage(percent: float, at: datetime | None = None) -> Usage:
    account = AccountUsage("1784", "instagram", percent, 1, 2, 0)
    return Usage(at or datetime.now(UTC), {"call_count": percent / 2}, {"1784": account})


def test_the_newest_usage_per_connection_and_scope_is_written_when_the_runtime_closes() -> None:
    acme = stored.save_connection(Connection("acme", "facebook"))
    runtime = Runtime()
    now = datetime.now(UTC)
    runtime.usage_recorder.record(acme.id, usage(40, now))
    runtime.usage_recorder.record(acme.id, usage(10, now - timedelta(seconds=5)))  # older
    assert UsageStore(runtime.state.db).latest(acme.id) == []  # nothing written yet
    runtime.close()
    seen = {u.scope: u for u in UsageStore(Runtime().state.db).latest(acme.id)}
    assert seen["1784"].percent == 40 and seen["app"].percent == 20


def test_usage_follows_a_rename_and_goes_with_the_connection(cli) -> None:  # type: ignore[no-untyped-def]
    acme = stored.save_connection(Connection("acme", "facebook"))
    runtime = Runtime()
    runtime.usage_recorder.record(acme.id, usage(10))
    runtime.close()
    assert cli("connections", "rename", "acme", "acme-2").exit_code == 0
    assert len(UsageStore(Runtime().state.db).latest(acme.id)) == 2
    assert cli("logout", "acme-2", "--yes").exit_code == 0
    assert UsageStore(Runtime().state.db).latest(acme.id) == []


def test_many_threads_record_at_once() -> None:
    recorder = UsageRecorder()

    def write(i: int) -> None:
        recorder.record(f"c{i % 4}", usage(i))

    with ThreadPoolExecutor(16) as pool:
        list(pool.map(write, range(200)))
    rows = recorder.take()
    assert {r.connection_id for r in rows} == {"c0", "c1", "c2", "c3"}
    assert len(rows) == 8 and recorder.take() == []
