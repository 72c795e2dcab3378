"""`igconnect export stories` end to end: the CLI against a real sandbox over HTTP."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from igconnect.errors import ExitCode

from .conftest import read_csv

ADA = "10000000000000001"
METRICS = ("reach", "views", "replies", "shares", "total_interactions", "follows", "profile_visits")


def _stamp(ts: float) -> str:
    return datetime.fromtimestamp(int(ts), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_csv_columns_and_values_equal_the_sandbox(setup: Any, cli: Any) -> None:
    sb = setup.sb
    before = sb.state.now()
    result = cli("export", "stories", "--out", str(setup.out), "--breakdowns", "now")
    after = sb.state.now()
    assert result.exit_code == 0, result.output
    rows = read_csv(setup.out)
    header = setup.out.read_text().splitlines()[0].split(",")
    assert header[:13] == [
        "connection",
        "account_id",
        "username",
        "story_id",
        "media_type",
        "permalink",
        "posted_at",
        "expires_at",
        "observed_at",
        "api_version",
        "status",
        "reason",
        "value_source",
    ]
    assert header[13:20] == list(METRICS)
    world = sb.world
    live = {s.id: s for a in world.accounts.values() for s in world.stories(a.id, after)}
    assert {r["story_id"] for r in rows} == set(live)
    for row in rows:
        story = live[row["story_id"]]
        acct = world.accounts[story.account_id]
        assert row["connection"] == "acme"
        assert row["username"] == acct.username and row["account_id"] == acct.id
        assert row["media_type"] == story.media_type
        assert row["posted_at"] == _stamp(story.posted_at)
        assert row["expires_at"] == _stamp(story.expires_at)
        assert row["status"] == "ok" and row["reason"] == ""
        assert row["api_version"] == "v25.0"
        # a story that expires before the next (hourly) run got its final read
        final = story.expires_at - before <= 3600 + 120
        assert row["value_source"] == ("final" if final else "live"), row
        low, high = world.story_values(story, before), world.story_values(story, after)
        for name in METRICS:
            assert low[name] <= int(row[name]) <= high[name], (name, row)
        if row["link_clicks"]:  # Meta may leave it out (no link sticker): never required
            assert low["link_clicks"] <= int(row["link_clicks"]) <= high["link_clicks"]
        nav_low = world.navigation(story, before)
        nav_high = world.navigation(story, after)
        for key in nav_low:
            value = int(row[f"navigation_{key.lower()}"])
            assert nav_low[key] <= value <= nav_high[key]
    assert "Wrote 24 rows" in result.stderr


def test_a_story_that_expired_keeps_its_last_values(setup: Any, cli: Any) -> None:
    sb = setup.sb
    assert cli("export", "stories", "--out", str(setup.out)).exit_code == 0
    first = {r["story_id"]: r for r in read_csv(setup.out)}
    sb.advance_clock(hours=25)
    now = sb.state.now()
    live_now = {s.id for a in sb.world.accounts.values() for s in sb.world.stories(a.id, now)}
    assert not (set(first) & live_now)  # Meta forgot them all
    result = cli("export", "stories", "--out", str(setup.out))
    assert result.exit_code == 0, result.output
    second = {r["story_id"]: r for r in read_csv(setup.out)}
    assert live_now <= set(second)
    # Still there, with its last values; only its sequence grew (stories posted later that day).
    from igconnect.analytics.sequences import SEQUENCE_COLUMNS

    def kept(row: dict[str, str]) -> dict[str, str]:
        return {k: v for k, v in row.items() if k not in SEQUENCE_COLUMNS}

    for story_id, row in first.items():
        assert kept(second[story_id]) == kept(row)


def test_too_few_viewers_is_recorded_and_asked_again_cheaply(
    sandbox_factory: Any, cli: Any
) -> None:
    setup = sandbox_factory(scenarios=["few-viewers@acme_1"])
    setup.connect("acme", ADA)
    first = cli("export", "stories", "--out", str(setup.out), "--json")
    assert first.exit_code == 0, first.output
    rows = [r for r in read_csv(setup.out) if r["username"] == "acme_1"]
    few = {
        s.id
        for s in setup.sb.world.stories("17841400000000001", setup.sb.state.now())
        if s.few_viewers
    }
    assert few
    for row in rows:
        if row["story_id"] in few:
            assert row["status"] == "too_few_viewers"
            assert "asked again" in row["reason"]
            assert row["reach"] == "" and row["views"] == ""  # empty, never 0
            assert row["value_source"] == "none"
        else:
            assert row["status"] == "ok" and row["reach"] != ""
    prefix = "/graph/v25.0/"
    count = {sid: setup.sb.request_count(f"{prefix}{sid}/insights") for sid in few}
    second = cli("export", "stories", "--out", str(setup.out), "--json")
    assert second.exit_code == 0
    now = setup.sb.state.now()
    final = {
        s.id for s in setup.sb.world.stories("17841400000000001", now) if s.expires_at - now <= 3720
    }
    for sid in (
        few - final
    ):  # asked again through the listing, not one by one (until its final read)
        assert setup.sb.request_count(f"{prefix}{sid}/insights") == count[sid]
    import json

    report = {a["username"]: a for a in json.loads(second.stdout)["accounts"]}
    # the expanded listing (which Meta fails for such a story), then the plain one, and the final
    # reads of the stories that expire before the next run (plain metrics and two breakdowns)
    due = len(final)
    assert report["acme_1"]["requests"] in range(2, 2 + 3 * due + 1)
    # the listing, and the breakdowns of a story due now whose final read was not in run one
    assert report["acme_2"]["requests"] in (1, 3)


def test_a_removed_metric_is_dropped_with_a_warning(
    setup: Any, cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from igconnect.meta import metrics

    monkeypatch.setattr(
        metrics, "STORY_METRICS", (*metrics.STORY_METRICS, metrics.Metric("impressions"))
    )
    result = cli("export", "stories", "--out", str(setup.out))
    assert result.exit_code == 0, result.output
    assert "Warning: Meta rejected the story metric 'impressions'" in result.stderr
    assert result.stderr.count("'impressions'") == 1  # once per run, not per account
    rows = read_csv(setup.out)
    assert len(rows) == 24
    for row in rows:  # dropped: it no longer makes a row incomplete
        assert row["status"] == "ok" and row["reach"] != "" and row["views"] != ""
    again = cli("export", "stories", "--out", str(setup.out))  # remembered: not asked again
    assert again.exit_code == 0 and "impressions" not in again.stderr


def test_throttling_mid_run_pauses_only_that_account(sandbox_factory: Any, cli: Any) -> None:
    setup = sandbox_factory(scenarios=["throttled@acme_2"])
    setup.connect("acme", ADA)
    result = cli("export", "stories", "--out", str(setup.out))
    assert result.exit_code == ExitCode.PARTIAL, result.output
    assert "@acme_2 (connection acme): throttled" in result.stderr
    users = {r["username"] for r in read_csv(setup.out)}
    assert users == {"acme_1", "acme_3"}
    calls = setup.sb.request_count("/graph/v25.0/17841400000000002")
    again = cli("export", "stories", "--out", str(setup.out))
    assert again.exit_code == ExitCode.PARTIAL
    assert "not called" in again.stderr
    assert setup.sb.request_count("/graph/v25.0/17841400000000002") == calls  # no call while paused


def test_a_dead_token_breaks_its_connection_and_the_others_complete(
    sandbox_factory: Any, cli: Any
) -> None:
    # Bob (a second Facebook user) manages bobs_bakery; his password changed, Ada's did not.
    setup = sandbox_factory(scenarios=["already-connected@acme_1", "password-changed@bobs_bakery"])
    setup.connect("ada", ADA, usernames=["acme_1", "acme_2", "acme_3"])
    setup.connect("bob", "10000000000000002", usernames=["bobs_bakery"])
    result = cli("export", "stories", "--out", str(setup.out))
    assert result.exit_code == ExitCode.PARTIAL, result.output
    # One line for the dead connection, with the command that fixes it (issue 16).
    assert (
        "connection 'bob' is broken (the password was changed): 1 tracker not collected "
        "(@bobs_bakery); run `igconnect login --reconnect bob`" in result.stderr
    )
    assert {r["username"] for r in read_csv(setup.out)} == {"acme_1", "acme_2", "acme_3"}
    from tests import stored

    connection = stored.connection("bob")
    assert connection.is_broken and "password" in (connection.broken_reason or "")
    assert not stored.connection("ada").is_broken
    again = cli("export", "stories", "--out", str(setup.out))  # broken: skipped without a call
    assert again.exit_code == ExitCode.PARTIAL
    assert "is broken" in again.stderr and "login --reconnect bob" in again.stderr


def test_nothing_collected_leaves_the_previous_file(sandbox_factory: Any, cli: Any) -> None:
    setup = sandbox_factory(scenarios=["password-changed"])
    setup.connect("acme", ADA)
    setup.out.parent.mkdir(parents=True)
    setup.out.write_text("previous\n")
    result = cli("export", "stories", "--out", str(setup.out))
    assert result.exit_code == ExitCode.NOTHING_COLLECTED, result.output
    assert setup.out.read_text() == "previous\n"
    assert "previous export file was left as it was" in result.stderr


def test_two_runs_at_once_the_second_is_busy(setup: Any, cli: Any, monkeypatch: Any) -> None:
    from igconnect.export.runlock import export_lock
    from igconnect.runtime import Runtime

    monkeypatch.setenv("IGCONNECT_EXPORT_LOCK_WAIT", "0.3")
    with export_lock(Runtime().paths.lock_dir, 1):
        result = cli("export", "stories", "--out", str(setup.out))
    assert result.exit_code == ExitCode.BUSY
    assert "in use by another igconnect process (waited 0.3 s)" in result.stderr
    assert not setup.out.exists()


def test_stdout_jsonl_and_no_secret_anywhere(setup: Any, cli: Any) -> None:
    import json

    from igconnect.runtime import Runtime

    token = setup.connect("acme2", ADA, usernames=[])  # a second token the run never uses
    result = cli("export", "stories", "--out", "-", "--format", "jsonl")
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(records) == 24 and all(isinstance(r["reach"], int) for r in records)
    paths = Runtime().paths
    log_text = (paths.log_dir / "export.log").read_text()
    assert "export run finished: exit 0" in log_text
    secrets = [token, "sandbox-app-secret", *setup.sb.state.tokens]
    for text in (result.stdout, result.stderr, log_text):
        for secret in secrets:
            assert secret not in text


def test_no_fetch_and_window(setup: Any, cli: Any) -> None:
    assert cli("export", "stories", "--out", str(setup.out)).exit_code == 0
    calls = setup.sb.request_count()
    out2 = setup.tmp / "again.csv"
    result = cli("export", "stories", "--no-fetch", "--out", str(out2), "--account", "@acme_1")
    assert result.exit_code == 0, result.output
    assert setup.sb.request_count() == calls
    assert {r["username"] for r in read_csv(out2)} == {"acme_1"}
    window = ["--since", "1999-01-01", "--until", "2000-01-01"]  # a window with no story in it
    empty = cli("export", "stories", "--no-fetch", "--out", str(out2), *window)
    assert empty.exit_code == 0 and read_csv(out2) == []
    # before the default window (export_window_days back): nothing can be in it
    before = cli("export", "stories", "--no-fetch", "--out", str(out2), "--until", "2000-01-01")
    assert before.exit_code == ExitCode.USAGE and "the window is empty" in before.stderr
    bad = cli("export", "stories", "--since", "soon")
    assert bad.exit_code == ExitCode.USAGE and "is not a date" in bad.stderr
    unknown = cli("export", "stories", "--account", "acme_9")
    assert unknown.exit_code == ExitCode.NOT_FOUND


def test_snapshots_list_every_observation(setup: Any, cli: Any) -> None:
    for _ in range(2):
        assert cli("export", "stories", "--out", str(setup.out)).exit_code == 0
        setup.sb.advance_clock(hours=1)
    result = cli("export", "stories", "--no-fetch", "--snapshots", "--out", str(setup.out))
    assert result.exit_code == 0
    rows = read_csv(setup.out)
    per_story: dict[str, int] = {}
    for row in rows:
        per_story[row["story_id"]] = per_story.get(row["story_id"], 0) + 1
    assert max(per_story.values()) == 2


def test_archive_is_consistent(setup: Any, cli: Any) -> None:
    import sqlite3

    from igconnect.export.archive import SCHEMA_VERSION
    from igconnect.runtime import Runtime

    assert cli("export", "stories", "--out", str(setup.out)).exit_code == 0
    db = sqlite3.connect(Runtime().paths.archive_file)
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert db.execute("SELECT count(*) FROM stories").fetchone()[0] == 24
    assert Path(setup.out).exists()
