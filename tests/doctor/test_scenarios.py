"""Each sandbox scenario gives the expected failing check, evidence and fix, in text and JSON, with
the right exit code; a healthy account passes every check. Real HTTP against the sandbox."""

from __future__ import annotations

import json
from typing import Any

import keyring
import keyring.backends.fail
import pytest

from igconnect.trackers.model import Tracker
from tests import stored
from tests.doctor.conftest import connect


def _json(result: Any) -> dict[str, Any]:
    return json.loads(result.stdout)


def _all_checks(doc: dict[str, Any]) -> list[dict[str, Any]]:
    out = list(doc["environment"])
    for conn in doc["connections"]:
        out += conn["checks"]
        for acct in conn["accounts"]:
            out += [dict(c, account=acct["label"]) for c in acct["checks"]]
    return out


def _find(doc: dict[str, Any], check_id: str, account: str | None = None) -> dict[str, Any]:
    found = [
        c
        for c in _all_checks(doc)
        if c["id"] == check_id and (account is None or c.get("account") == account)
    ]
    assert found, f"{check_id} ({account}) not in report"
    return found[0]


def _run_both(cli: Any) -> tuple[Any, dict[str, Any]]:
    text = cli("doctor", "--all")
    as_json = cli("doctor", "--json")
    assert text.exit_code == as_json.exit_code
    return text, _json(as_json)


def _add_tracker(username: str, connection: str = "acme") -> None:
    stored.save_tracker(Tracker(kind="account", target=username, connection=connection))


def test_healthy_facebook_connection_passes_every_check(sandbox: Any, cli: Any) -> None:
    sb = sandbox()
    _conn, token = connect(sb)
    _add_tracker("acme_1")
    text, doc = _run_both(cli)
    statuses = {(c["id"], c.get("account")): c["status"] for c in _all_checks(doc)}
    assert set(statuses.values()) == {"ok"}, statuses
    assert text.exit_code == 0
    assert "No problems found" in text.stdout
    assert "✓ Story insights readable" in text.stdout
    assert len(doc["connections"][0]["accounts"]) == 2
    assert token not in text.stdout + text.stderr + json.dumps(doc)


def test_healthy_instagram_login_connection(sandbox: Any, cli: Any) -> None:
    sb = sandbox()
    connect(sb, "solo", provider="instagram", ig_username="acme_2")
    text, doc = _run_both(cli)
    assert text.exit_code == 0, text.stdout
    ids = [c["id"] for c in _all_checks(doc)]
    assert "conn.pages" not in ids and "account.page-role" not in ids
    assert _find(doc, "account.linked")["evidence"].startswith("@acme_2 is a")
    assert _find(doc, "account.insights")["status"] == "ok"


# (scenario, how the connection is made, failing check, account label, evidence, exit code)
def _plain(sb: Any) -> None:
    connect(sb)


def _expect_then(scenario: str, account: str) -> Any:
    def setup(sb: Any) -> None:
        connect(sb)  # recorded while all was well; the client breaks it afterwards
        sb.set_scenario(scenario, account)

    return setup


NOT_LINKED = "Page 'Acme Client 2' has no linked Instagram account"
CASES = [
    ("personal-account@acme_2", _plain, "account.linked", "Page 'Acme Client 2'", NOT_LINKED),
    ("page-not-linked@acme_2", _plain, "account.linked", "Page 'Acme Client 2'", NOT_LINKED),
    ("link-unconfirmed@acme_2", _plain, "account.linked", "Page 'Acme Client 2'", NOT_LINKED),
    ("no-page", _plain, "conn.pages", None, "Meta lists no Facebook Page for Ada Agency"),
    (
        "",
        _expect_then("no-page", "acme_2"),
        "account.linked",
        "@acme_2",
        "Instagram account @acme_2 is not linked to any Page this login can see",
    ),
    (
        "",
        _expect_then("wrong-page", "acme_2"),
        "account.linked",
        "@acme_2",
        "Page 'Acme Client 2' is linked to @acme_2_old",
    ),
    (
        "page-not-picked@acme_2",
        _plain,
        "account.linked",
        "@acme_2",
        "Page 'Acme Client 2' was not picked in the login dialog",
    ),
    (
        "declined-permission",
        _plain,
        "conn.permissions",
        None,
        "declined: instagram_manage_insights",
    ),
    (
        "declined-permission@acme_2",
        _plain,
        "account.insights",
        "@acme_2",
        "instagram_manage_insights was granted without @acme_2",
    ),
    ("password-changed", _plain, "conn.token-valid", None, "the password was changed"),
    ("token-expired", _plain, "conn.token-valid", None, "the token expired"),
    ("app-removed", _plain, "conn.token-valid", None, "the app was removed from the account"),
    ("throttled@acme_1", _plain, "account.rate-limit", "@acme_1", "Meta throttles this account"),
]


@pytest.mark.parametrize(
    ("scenario", "setup", "check_id", "account", "evidence"),
    CASES,
    ids=[c[0] or c[1].__qualname__ + "-" + c[4][:20] for c in CASES],
)
def test_scenario_gives_failing_check_with_fix(
    sandbox: Any,
    cli: Any,
    scenario: str,
    setup: Any,
    check_id: str,
    account: str | None,
    evidence: str,
) -> None:
    sb = sandbox(*([scenario] if scenario else []))
    setup(sb)
    text, doc = _run_both(cli)
    assert text.exit_code == 21, text.stdout
    found = _find(doc, check_id, account)
    assert found["status"] == "failure", found
    assert evidence in found["evidence"]
    assert found["fix"], found
    assert found["command"] and found["fix"][-1] == f"Run: {found['command']}"
    assert "igconnect " in found["command"]
    # the text output has the same evidence and the command as the last numbered step
    assert evidence in text.stdout
    assert f". Run: {found['command']}" in text.stdout
    assert doc["summary"]["failure"] >= 1 and doc["summary"]["exit_code"] == 21
    assert "1 connection" in text.stdout.splitlines()[-1]


@pytest.mark.parametrize("scenario", ["password-changed", "token-expired", "app-removed"])
def test_dead_token_says_reconnect_and_marks_connection_broken(
    sandbox: Any, cli: Any, scenario: str
) -> None:
    sb = sandbox(scenario)
    connect(sb)
    result = cli("doctor", "--json")
    doc = _json(result)
    found = _find(doc, "conn.token-valid")
    assert found["command"] == "igconnect login --reconnect acme"
    # everything that needs a valid token is skipped, with the reason
    stories = [c for c in _all_checks(doc) if c["id"] == "account.stories"]
    assert stories and all(c["status"] == "skipped" for c in stories)
    assert "Token valid" in stories[0]["evidence"]
    assert doc["connections"][0]["status"] == "broken"
    assert stored.connection("acme").is_broken


def test_connection_marked_ok_again_once_token_works(sandbox: Any, cli: Any) -> None:
    sb = sandbox("password-changed")
    connect(sb)
    assert cli("doctor").exit_code == 21
    assert stored.connection("acme").is_broken
    sb.clear_scenarios()
    result = cli("doctor")
    assert result.exit_code == 0, result.stdout
    assert not stored.connection("acme").is_broken


def test_wrong_page_tracker_is_reported(sandbox: Any, cli: Any) -> None:
    sb = sandbox()
    connect(sb)
    _add_tracker("acme_2")
    sb.set_scenario("wrong-page", "acme_2")
    text, doc = _run_both(cli)
    found = _find(doc, "trackers.reachable")
    assert found["status"] == "failure"
    assert found["evidence"] == (
        "Instagram account @acme_2 is not linked to any Page this login can see"
    )
    assert any("unlink" in step for step in found["fix"])
    assert text.exit_code == 21


def test_throttled_account_says_when_access_returns(sandbox: Any, cli: Any) -> None:
    sb = sandbox("throttled@acme_1")
    connect(sb)
    doc = _json(cli("doctor", "--json"))
    rate = _find(doc, "account.rate-limit", "@acme_1")
    assert "access returns in about 60 min" in rate["evidence"]
    assert rate["details"]["access_returns_at"]
    stories = _find(doc, "account.stories", "@acme_1")
    assert stories["status"] == "could_not_check"
    assert _find(doc, "account.rate-limit", "@acme_2")["status"] == "ok"


def test_few_viewers_story_is_fine(sandbox: Any, cli: Any) -> None:
    sb = sandbox("few-viewers@acme_1")
    acct = sb.world.by_username["acme_1"]
    for _ in range(10):  # move the clock until the newest story is one with few viewers
        newest = sb.world.stories(acct.id, sb.state.now())[0]
        if newest.few_viewers:
            break
        sb.advance_clock(seconds=acct.story_period)
    else:
        pytest.fail("no few-viewers story came up")
    connect(sb)
    text, doc = _run_both(cli)
    found = _find(doc, "account.insights", "@acme_1")
    assert found["status"] == "ok"
    assert "fewer than 5 viewers" in found["evidence"]
    assert text.exit_code == 0, text.stdout


def test_keyring_unavailable_explains_session_keyring(
    sandbox: Any, cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    sb = sandbox()
    connect(sb)
    keyring.set_keyring(keyring.backends.fail.Keyring())  # what cron without D-Bus gets
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)
    text, doc = _run_both(cli)
    found = _find(doc, "env.secret-store")
    assert found["status"] == "failure"
    assert "DBUS_SESSION_BUS_ADDRESS is not set" in found["evidence"]
    assert found["command"] == "igconnect config set token_store file"
    assert any("export DBUS_SESSION_BUS_ADDRESS" in step for step in found["fix"])
    readable = _find(doc, "conn.token-readable")
    assert readable["status"] == "skipped" and "Secret store usable" in readable["evidence"]
    assert text.exit_code == 21
    assert "no OS keyring is available" in text.stdout


def test_plaintext_store_is_a_warning_every_run(
    sandbox: Any, cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("IGCONNECT_TOKEN_STORE", "file")
    sb = sandbox()
    _conn, token = connect(sb)
    for _ in range(2):
        text, doc = _run_both(cli)
        found = _find(doc, "env.secret-store")
        assert found["status"] == "warning"
        assert "plaintext" in found["evidence"]
        assert text.exit_code == 20
        assert "1 warning" in text.stdout.splitlines()[-1]
        assert token not in text.stdout + text.stderr


def test_meta_unreachable_is_could_not_check_never_invalid(
    sandbox: Any, cli: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import socket

    sb = sandbox()
    connect(sb)
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("IGCONNECT_GRAPH_URL", f"http://127.0.0.1:{port}/graph")
    text, doc = _run_both(cli)
    assert _find(doc, "env.meta")["status"] == "could_not_check"
    valid = _find(doc, "conn.token-valid")
    assert valid["status"] == "skipped"
    assert text.exit_code == 20
    assert not stored.connection("acme").is_broken


def test_token_expiring_soon_is_a_warning(sandbox: Any, cli: Any) -> None:
    from datetime import UTC, datetime, timedelta

    sb = sandbox()
    connect(
        sb,
        "solo",
        provider="instagram",
        ig_username="acme_1",
        token_expires_at=datetime.now(UTC) + timedelta(days=3),
    )
    text, doc = _run_both(cli)
    found = _find(doc, "conn.expiry")
    assert found["status"] == "warning"
    assert found["evidence"].startswith("token expires in 3 days")
    assert found["command"] == "igconnect login --reconnect solo"
    assert text.exit_code == 20
