"""`trackers classify`: posts and likes over 30 days from the account's media."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import pytest
from pytest_httpx import HTTPXMock

from igconnect.errors import ExitCode
from igconnect.runtime import Runtime
from igconnect.secretstore import token_key
from tests import stored
from tests.trackers.conftest import conn

TOKEN = "EAAGtesttokenvalue1234567890abcdef"
MEDIA = re.compile(r"https://graph\.facebook\.com/v\d+\.\d+/id-shop/media.*")


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S+0000")


def _media(start: int, n: int, likes: int, now: datetime, step_hours: float) -> list[dict]:
    return [
        {
            "id": str(start + i),
            "timestamp": _stamp(now - timedelta(hours=(start + i) * step_hours)),
            "like_count": likes,
            "comments_count": 1,
        }
        for i in range(n)
    ]


@pytest.fixture
def shop(save_connections, cli):  # type: ignore[no-untyped-def]
    (acme,) = save_connections(conn("acme", ["shop"]))
    Runtime().secret_store.set(token_key(acme.id), TOKEN)
    assert cli("trackers", "add", "@shop").exit_code == 0
    return acme


def test_classify_follows_paging_stops_at_30_days_and_records(
    cli, shop, httpx_mock: HTTPXMock
) -> None:  # type: ignore[no-untyped-def]
    now = datetime.now(UTC)
    # 120 posts, one every 5 h (25 days), then older ones: > 100 posts → high-volume
    first = {
        "data": _media(0, 100, 10, now, 5),
        "paging": {
            "next": f"https://graph.facebook.com/v25.0/id-shop/media?access_token={TOKEN}&after=X"
        },
    }
    second = {
        "data": _media(100, 50, 10, now, 5),
        "paging": {"next": "https://graph.facebook.com/v25.0/id-shop/media?after=Y"},
    }
    httpx_mock.add_response(url=MEDIA, json=first)
    httpx_mock.add_response(url=MEDIA, json=second)
    result = cli("trackers", "classify", "@shop", "--json")
    assert result.exit_code == 0, result.output
    (row,) = json.loads(result.stdout)["results"]
    assert (row["status"], row["volume"], row["posts"], row["likes"]) == (
        "measured",
        "high",
        144,
        1440,
    )
    requests = httpx_mock.get_requests()
    assert len(requests) == 2  # stopped at the first post older than 30 days: no third page
    assert requests[0].url.params["fields"] == "id,timestamp,like_count,comments_count"
    assert "access_token" not in str(requests[1].url)  # the token was stripped from paging.next
    tracker = stored.trackers()["@shop"]
    assert (tracker.volume, tracker.volume_source, tracker.measured_posts) == (
        "high",
        "measured",
        144,
    )
    assert tracker.volume_measured_at is not None
    paths = Runtime().paths
    for written in (paths.config_file, paths.state_file):
        assert not written.exists() or TOKEN.encode() not in written.read_bytes()
    assert TOKEN not in result.output


def test_classify_by_likes_and_normal(cli, shop, httpx_mock: HTTPXMock) -> None:  # type: ignore[no-untyped-def]
    now = datetime.now(UTC)
    httpx_mock.add_response(url=MEDIA, json={"data": _media(0, 20, 2000, now, 24)})
    row = json.loads(cli("trackers", "classify", "--json").stdout)["results"][0]
    assert (row["volume"], row["posts"], row["likes"]) == ("high", 20, 40000)  # 40000 > 25000 likes
    httpx_mock.add_response(url=MEDIA, json={"data": _media(0, 20, 100, now, 24)})
    row = json.loads(cli("trackers", "classify", "--json").stdout)["results"][0]
    assert (row["volume"], row["previous_volume"], row["previous_source"]) == (
        "normal",
        "high",
        "measured",
    )


def test_classify_failure_is_partial_and_redacted(cli, shop, httpx_mock: HTTPXMock) -> None:  # type: ignore[no-untyped-def]
    httpx_mock.add_response(
        url=MEDIA,
        status_code=400,
        json={
            "error": {
                "message": f"Error validating access token {TOKEN}",
                "code": 190,
                "error_subcode": 460,
            }
        },
    )
    result = cli("trackers", "classify")
    assert result.exit_code == ExitCode.PARTIAL
    assert TOKEN not in result.output
    assert stored.trackers()["@shop"].volume_source == "default"


def test_hashtags_keep_the_manual_value_and_say_why(cli, save_connections) -> None:  # type: ignore[no-untyped-def]
    save_connections(conn("acme", ["shop"]))
    cli("trackers", "add", "#food", "--high-volume")
    data = json.loads(cli("trackers", "classify", "#food", "--json").stdout)
    row = data["results"][0]
    assert (row["status"], row["volume"]) == ("kept", "high")
    assert "cannot be measured through the API" in data["notes"][0]
    # Said once for every hashtag, not once per hashtag (issue 16).
    for tag in ("#drink", "#cake", "#tea"):
        assert cli("trackers", "add", tag).exit_code == 0
    table = cli("trackers", "classify", "#food")
    everything = cli("trackers", "classify")
    assert everything.exit_code == 0, everything.output
    assert everything.stderr.count("cannot be measured through the API") == 1
    assert table.stderr.count("cannot be measured through the API") == 1
    set_normal = cli("trackers", "classify", "#food", "--set", "normal")
    assert set_normal.exit_code == 0
    tracker = stored.trackers()["#food"]
    assert (tracker.volume, tracker.volume_source) == ("normal", "manual")
    assert cli("trackers", "classify", "--set", "high").exit_code == ExitCode.USAGE
    assert cli("trackers", "classify", "#food", "--set", "huge").exit_code == ExitCode.USAGE


def test_classify_against_the_sandbox(cli) -> None:  # type: ignore[no-untyped-def]
    from igconnect.connections.model import Account, Connection
    from igconnect.sandbox import Sandbox, SandboxConfig

    with Sandbox(
        SandboxConfig(port=0, seed=1, accounts=2, stories=2, scenarios=["high-volume@acme_1"])
    ) as sb:
        accounts = {a.username: a for a in sb.world.accounts.values()}
        token = sb.issue_token(
            next(iter(sb.world.users)), provider="facebook"
        )  # Ada, who manages both
        connection = Connection("acme", "facebook")
        stored.save_connection(
            connection, [Account(accounts[u].id, u) for u in ("acme_1", "acme_2")], token=token
        )
        env = sb.env()
        assert cli("trackers", "add", "@acme_1", env=env).exit_code == 0
        assert cli("trackers", "add", "@acme_2", env=env).exit_code == 0
        result = cli("trackers", "classify", "--json", env=env)
        assert result.exit_code == 0, result.output
        rows = {r["tracker"]: r for r in json.loads(result.stdout)["results"]}
        assert rows["@acme_1"]["volume"] == "high" and rows["@acme_1"]["posts"] > 100
        assert rows["@acme_2"]["volume"] == "normal" and 0 < rows["@acme_2"]["posts"] <= 100
        assert sb.request_count("/graph") >= 3  # acme_1 needed more than one page
        assert token not in result.output
