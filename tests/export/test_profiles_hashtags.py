"""`igconnect export profiles` and `export hashtags` end to end, against the sandbox over HTTP."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from igconnect.errors import ExitCode
from igconnect.trackers.model import Tracker
from tests import stored

from .conftest import read_csv

ADA = "10000000000000001"


def _stamp(ts: float) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(int(ts), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _run(kind: str, sb: Any, out: Any, **options: Any) -> Any:
    """The export on the sandbox's clock (the CLI runs on the machine's), as a run an hour or a
    week later sees it."""
    from igconnect.export.kinds import KindOptions, export_hashtags, export_profiles
    from igconnect.runtime import Runtime

    runtime = Runtime()
    try:
        run = export_profiles if kind == "profiles" else export_hashtags
        return run(runtime, KindOptions(out=str(out), clock=sb.now, **options))
    finally:
        runtime.close()


def _archive(setup: Any) -> sqlite3.Connection:
    db = sqlite3.connect(setup.tmp / "data" / "archive.sqlite")
    db.row_factory = sqlite3.Row
    return db


def test_managed_and_public_profiles_with_public_posts(setup: Any, cli: Any) -> None:
    sb = setup.sb
    stored.save_tracker(Tracker(kind="account", target="nike", connection="acme"))
    out = setup.tmp / "out" / "profiles.csv"
    result = cli("export", "profiles", "--out", str(out), "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    access = {i["target"]: i["access"] for i in summary["items"]}
    assert access == {
        "@acme_1": "managed",
        "@acme_2": "managed",
        "@acme_3": "managed",
        "@nike": "public",
    }
    rows = {r["username"]: r for r in read_csv(out)}
    assert set(rows) == {"acme_1", "acme_2", "acme_3", "nike"}
    now = sb.state.now()
    for name, row in rows.items():
        acct = sb.world.by_username[name]
        assert row["account_id"] == acct.id
        assert int(row["followers_count"]) == acct.followers
        assert int(row["follows_count"]) == acct.follows
        assert int(row["media_count"]) == sb.world.media_count(acct.id, now)
        assert row["first_seen_at"] == row["last_seen_at"] == row["observed_at"]
        assert row["access"] == ("public" if name == "nike" else "managed")
    # Managed accounts through their own node, the public one through business discovery.
    posts = read_csv(out.with_name("profiles-posts.csv"))
    nike = sb.world.by_username["nike"]
    expected = sb.world.posts(nike.id, now, None, 12)
    assert [p["media_id"] for p in sorted(posts, key=lambda p: p["posted_at"], reverse=True)] == [
        p.id for p in expected
    ]
    by_id = {p.id: p for p in expected}
    for post in posts:
        assert post["username"] == "nike"
        assert int(post["like_count"]) == by_id[post["media_id"]].like_count
        assert int(post["comments_count"]) == by_id[post["media_id"]].comments_count
        assert post["posted_at"] == _stamp(by_id[post["media_id"]].posted_at)
    assert {p["username"] for p in posts} == {"nike"}  # managed accounts' posts are not in it


def test_profiles_archive_each_observation_and_feed_followers_at_posting(
    setup: Any, cli: Any
) -> None:
    sb = setup.sb
    stored.save_tracker(Tracker(kind="account", target="public_1", connection="acme"))
    out = setup.tmp / "p.csv"
    assert _run("profiles", sb, out).exit_code == 0
    sb.advance_clock(hours=1)
    assert _run("profiles", sb, out).exit_code == 0
    db = _archive(setup)
    counts = dict(
        db.execute("SELECT account_id, count(*) FROM profile_observations GROUP BY account_id")
    )
    assert len(counts) == 4 and set(counts.values()) == {2}
    first, last = db.execute(
        "SELECT first_seen_at, last_seen_at FROM profiles WHERE username = 'public_1'"
    ).fetchone()
    assert first < last
    post_obs = db.execute("SELECT count(*) FROM public_post_observations").fetchone()[0]
    assert post_obs >= 2 * 12 - 2  # each post once per run (a new post may push one out)
    snapshots = read_csv(
        cli("export", "profiles", "--no-fetch", "--snapshots", "--out", "-").stdout
    )
    assert len(snapshots) == 8
    # The stories export now finds a follower count at posting time (reach rate).
    stories = setup.tmp / "stories.csv"
    assert cli("export", "stories", "--out", str(stories)).exit_code == 0
    rows = read_csv(stories)
    followers = {r["username"]: r["followers_at_post"] for r in rows}
    for name, value in followers.items():
        if value:
            assert int(value) == sb.world.by_username[name].followers
    assert any(followers.values())


def test_a_public_account_business_discovery_cannot_find(setup: Any, cli: Any) -> None:
    stored.save_tracker(Tracker(kind="account", target="personal_1", connection="acme"))
    result = cli("export", "profiles", "--out", str(setup.tmp / "p.csv"))
    assert result.exit_code == ExitCode.PARTIAL, result.output
    assert "@personal_1" in result.stderr and "business discovery does not find" in result.stderr


def _hashtags(*tags: str, connection: str = "acme") -> None:
    for tag in tags:
        stored.save_tracker(Tracker(kind="hashtag", target=tag, connection=connection))


def test_hashtag_recent_and_top_media_with_first_and_last_seen(setup: Any, cli: Any) -> None:
    sb = setup.sb
    _hashtags("coffee", "sandbox")
    out = setup.tmp / "hashtags.csv"
    first = _run("hashtags", sb, out)
    assert first.exit_code == 0, first.to_json()
    rows = read_csv(out)
    assert {r["hashtag"] for r in rows} == {"coffee", "sandbox"}
    assert {r["seen_in"] for r in rows} >= {"recent", "top"} or "recent+top" in {
        r["seen_in"] for r in rows
    }
    for row in rows:
        assert row["media_id"] and row["permalink"].startswith("https://www.instagram.com/p/")
        assert row["media_type"] in ("IMAGE", "VIDEO", "CAROUSEL_ALBUM")
        assert int(row["like_count"]) >= 3 and row["comments_count"] != ""
        assert f"#{row['hashtag']}" in row["caption"]
        assert row["first_seen_at"] == row["last_seen_at"]
    sb.advance_clock(hours=2)
    sb.reset_counters()
    second = _run("hashtags", sb, out)
    assert second.exit_code == 0, second.to_json()
    # The ids were kept: no search this time, only recent and top media of each hashtag.
    assert sb.counters()["api_calls"] == 4
    again = {(r["hashtag"], r["media_id"]): r for r in read_csv(out)}
    kept = [r for r in again.values() if r["first_seen_at"] < r["last_seen_at"]]
    new = [r for r in again.values() if r["first_seen_at"] == r["last_seen_at"]]
    assert kept and new  # seen in both runs, and posted since
    old = {(r["hashtag"], r["media_id"]) for r in rows}
    assert {(r["hashtag"], r["media_id"]) for r in kept} <= old


def test_the_31st_hashtag_in_7_days_is_skipped_before_any_call(
    sandbox_factory: Any, cli: Any
) -> None:
    setup = sandbox_factory()
    setup.connect("acme", ADA, usernames=["acme_1"])  # one account: one budget of 30
    sb = setup.sb
    _hashtags(*(f"tag{i}" for i in range(30)))
    out = setup.tmp / "h.csv"
    first = _run("hashtags", sb, out)
    assert first.exit_code == 0, first.to_json()
    account = sb.world.by_username["acme_1"].id
    assert len(sb.state.hashtags[account]) == 30
    _hashtags("tag30")
    sb.reset_counters()
    second = cli("export", "hashtags", "--out", str(out), "--json")
    assert second.exit_code == ExitCode.PARTIAL, second.output
    summary = json.loads(second.stdout)
    skipped = [i for i in summary["items"] if i["target"] == "#tag30"]
    assert skipped[0]["state"] == "skipped" and "nothing was sent to Meta" in skipped[0]["reason"]
    assert any("#tag30 skipped" in w for w in summary["warnings"])
    assert "#tag30 skipped" in second.stderr
    # Only the 30 known hashtags' media went out; Meta never heard of tag30.
    assert sb.counters()["api_calls"] == 60
    assert "tag30" not in sb.state.hashtags[account] and len(sb.state.hashtags[account]) == 30
    # Seven days later the budget is free again.
    sb.advance_clock(days=7, minutes=5)
    third = _run("hashtags", sb, out, targets=["#tag30"])
    assert third.exit_code == 0, third.to_json()
    assert "tag30" in sb.state.hashtags[account]


def test_hashtags_spread_over_the_accounts_a_connection_reaches(setup: Any, cli: Any) -> None:
    sb = setup.sb
    _hashtags(*(f"t{i}" for i in range(45)))
    sb.reset_counters()
    result = cli("export", "hashtags", "--out", str(setup.tmp / "h.csv"), "--json")
    assert result.exit_code == 0, result.output
    # A search and two media reads per hashtag, sent in batches: fewer round trips than calls.
    counters = sb.counters()
    summary = json.loads(result.stdout)
    assert counters["api_calls"] == summary["requests"] == 45 * 3
    assert summary["round_trips"] == counters["round_trips"] < counters["api_calls"]
    used = {a: len(tags) for a, tags in sb.state.hashtags.items()}
    assert sum(used.values()) == 45 and max(used.values()) <= 30 and len(used) == 3
    queries = _archive(setup).execute("SELECT count(*) FROM hashtag_queries").fetchone()[0]
    assert queries == 45


def test_sandbox_answers_the_31st_hashtag_as_meta_would(setup: Any) -> None:
    """If another tool spent the budget, Meta answers the 31st search; the sandbox says it the
    way tests/meta_answers.py records it."""
    import httpx

    from tests.meta_answers import BY_ID

    sb = setup.sb
    token = sb.issue_token(ADA)
    user = sb.world.by_username["acme_1"].id
    want = BY_ID["hashtag-limit"].fields
    with httpx.Client(base_url=sb.base_url, timeout=10) as http:
        for i in range(31):
            r = http.get(
                "/graph/v25.0/ig_hashtag_search",
                params={"user_id": user, "q": f"x{i}"},
                headers={"Authorization": f"OAuth {token}"},
            )
    err = r.json()["error"]
    assert (err["code"], err.get("error_subcode"), err["message"]) == (
        want["code"],
        want["error_subcode"],
        want["message"],
    )


def test_a_budget_spent_elsewhere_is_learnt_from_meta_and_not_asked_again(
    sandbox_factory: Any, cli: Any
) -> None:
    """Another tool used acme_1's 30 hashtags: Meta's answer (code 4, naming hashtags) skips the
    hashtag with a warning, without pausing the app, and the next runs leave the account alone."""
    import httpx

    setup = sandbox_factory()
    setup.connect("acme", ADA, usernames=["acme_1"])
    sb = setup.sb
    account = sb.world.by_username["acme_1"].id
    token = sb.issue_token(ADA)
    with httpx.Client(base_url=sb.base_url, timeout=10) as http:
        for i in range(30):
            http.get(
                "/graph/v25.0/ig_hashtag_search",
                params={"user_id": account, "q": f"elsewhere{i}"},
                headers={"Authorization": f"OAuth {token}"},
            )
    _hashtags("coffee")
    first = cli("export", "--out", str(setup.tmp) + "/", "--json")
    assert first.exit_code == ExitCode.PARTIAL, first.output
    hashtags = json.loads(first.stdout)["kinds"]["hashtags"]
    (item,) = hashtags["items"]
    assert item["state"] == "skipped" and "used its 30 unique hashtags" in item["reason"]
    stories = json.loads(first.stdout)["kinds"]["stories"]
    assert stories["exit_code"] == 0  # code 4 here is not an app throttle: nothing else paused
    sb.reset_counters()
    second = cli("export", "hashtags", "--out", str(setup.tmp / "h.csv"))
    assert second.exit_code == ExitCode.NOTHING_COLLECTED  # its only hashtag waits
    assert "#coffee skipped" in second.stderr and sb.counters()["api_calls"] == 0


def test_two_connections_reaching_one_account_share_its_budget(
    sandbox_factory: Any, cli: Any
) -> None:
    setup = sandbox_factory()
    setup.connect("acme", ADA, usernames=["acme_1"])
    setup.connect("acme2", ADA, usernames=["acme_1"])  # the same account, another connection
    _hashtags(*(f"a{i:02}" for i in range(16)), connection="acme")
    _hashtags(*(f"b{i:02}" for i in range(15)), connection="acme2")
    result = cli("export", "hashtags", "--out", str(setup.tmp / "h.csv"), "--json")
    assert result.exit_code == ExitCode.PARTIAL, result.output
    items = json.loads(result.stdout)["items"]
    assert [i["target"] for i in items if i["state"] == "skipped"] == ["#b14"]
    account = setup.sb.world.by_username["acme_1"].id
    assert len(setup.sb.state.hashtags[account]) == 30  # Meta was never asked a 31st


def test_a_managed_account_on_instagram_login_is_read_through_its_own_node(
    sandbox_factory: Any, cli: Any
) -> None:
    setup = sandbox_factory()
    setup.connect("insta", "acme_1", provider="instagram")
    result = cli("export", "profiles", "--out", "-")
    assert result.exit_code == 0, result.output
    (row,) = read_csv(result.stdout)
    acct = setup.sb.world.by_username["acme_1"]
    assert (row["username"], row["access"], row["connection"]) == ("acme_1", "managed", "insta")
    assert int(row["followers_count"]) == acct.followers


def test_a_throttled_account_is_paused_and_not_called_again(sandbox_factory: Any, cli: Any) -> None:
    setup = sandbox_factory(scenarios=["throttled@acme_2"])
    setup.connect("acme", ADA)
    sb = setup.sb
    out = str(setup.tmp / "p.csv")
    first = cli("export", "profiles", "--out", out)
    assert first.exit_code == ExitCode.PARTIAL, first.output
    assert "@acme_2 (connection acme): throttled: Meta throttled the account" in first.stderr
    assert {r["username"] for r in read_csv(setup.tmp / "p.csv")} == {"acme_1", "acme_3"}
    sb.reset_counters()
    again = cli("export", "profiles", "--out", out)
    assert again.exit_code == ExitCode.PARTIAL
    assert "not called" in again.stderr
    assert sb.counters()["api_calls"] == 2  # acme_1 and acme_3 only


def test_an_app_throttle_stops_every_call_of_the_run_and_the_next(
    sandbox_factory: Any, cli: Any
) -> None:
    setup = sandbox_factory(scenarios=["app-throttled"])
    setup.connect("acme", ADA)
    _hashtags("coffee", "tea")
    sb = setup.sb
    first = cli("export", "hashtags", "--out", str(setup.tmp / "h.csv"))
    assert first.exit_code == ExitCode.NOTHING_COLLECTED, first.output
    assert "Meta throttled the app" in first.stderr
    sb.reset_counters()
    again = cli("export", "hashtags", "--out", str(setup.tmp / "h.csv"))
    assert again.exit_code == ExitCode.NOTHING_COLLECTED
    assert "not called" in again.stderr and sb.counters()["api_calls"] == 0
