"""Failover, over HTTP against the sandbox: a person's login breaks (password changed), the next
export moves its trackers to a system user that reaches the same accounts and says so; after the
reconnect they go back, unless a person moved them since."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from igconnect.errors import ExitCode
from igconnect.sandbox import Sandbox
from igconnect.trackers.model import Tracker
from tests import stored
from tests.login.conftest import FakeBrowser


def _export(cli: Any, tmp_path: Any) -> tuple[Any, dict[str, Any]]:
    result = cli("export", "stories", "--out", str(tmp_path / "stories.csv"), "--json")
    return result, json.loads(result.stdout)


def _agency(sb: Sandbox, cli: Any) -> None:
    """Ada's login carries the trackers; a system user reaches the same accounts."""
    assert cli("login", "--name", "ada").exit_code == 0
    token = sb.issue_system_user_token(name="Agency Bot")
    assert cli("login", "--system-user", "--name", "bot", input=token).exit_code == 0
    for username in ("acme_1", "acme_2"):
        stored.save_tracker(Tracker("account", username, connection="ada"))


def test_trackers_fail_over_after_a_password_change_and_come_back_after_the_reconnect(
    sandbox_env: Callable[..., Sandbox], browser: FakeBrowser, cli: Any, tmp_path: Any
) -> None:
    sb = sandbox_env(accounts=2, stories=2)
    _agency(sb, cli)
    sb.set_scenario("password-changed")  # Ada's tokens die; the system user's do not

    first, summary = _export(cli, tmp_path)
    assert first.exit_code == ExitCode.NOTHING_COLLECTED
    assert summary["broken_connections"] == ["ada"] and summary["moved_trackers"] == []
    assert stored.connection("ada").is_broken

    second, summary = _export(cli, tmp_path)
    assert second.exit_code == ExitCode.OK, second.stderr
    assert {
        (m["tracker"], m["from"], m["to"], m["direction"]) for m in summary["moved_trackers"]
    } == {
        ("@acme_1", "ada", "bot", "away"),
        ("@acme_2", "ada", "bot", "away"),
    }
    assert (
        "the password was changed) to 'bot'; it goes back once 'ada' works again: run "
        "`igconnect login --reconnect ada`" in second.stderr
    )
    assert {a["connection"] for a in summary["accounts"]} == {"bot"}
    assert all(a["state"] == "collected" for a in summary["accounts"])
    assert {t.connection for t in stored.trackers().values()} == {"bot"}

    # Ada logs in again with her new password (the hint in the summary, followed).
    sb.clear_scenarios()
    hint = second.stderr.split("`")[1]
    assert cli(*hint.split()[1:]).exit_code == 0

    third, summary = _export(cli, tmp_path)
    assert third.exit_code == ExitCode.OK, third.stderr
    assert {(m["tracker"], m["to"], m["direction"]) for m in summary["moved_trackers"]} == {
        ("@acme_1", "ada", "back"),
        ("@acme_2", "ada", "back"),
    }
    assert "moved @acme_1 back from 'bot' to 'ada' ('ada' works again)" in third.stderr
    assert {a["connection"] for a in summary["accounts"]} == {"ada"}
    assert {t.connection for t in stored.trackers().values()} == {"ada"}

    fourth, summary = _export(cli, tmp_path)
    assert summary["moved_trackers"] == [] and fourth.exit_code == ExitCode.OK


def test_a_tracker_a_person_moved_since_stays_where_they_put_it(
    sandbox_env: Callable[..., Sandbox], browser: FakeBrowser, cli: Any, tmp_path: Any
) -> None:
    from igconnect.sandbox.world import ADA_ID, BOB_ID

    sb = sandbox_env(accounts=2, stories=1, scenarios=["already-connected"])
    _agency(sb, cli)
    sb.set_session_user(BOB_ID)  # Bob Brand also manages acme_1's Page
    assert cli("login", "--name", "bob").exit_code == 0
    sb.set_session_user(ADA_ID)
    sb.set_scenario("password-changed@acme_2")  # Ada's tokens (she manages acme_2) die
    _export(cli, tmp_path)
    _, summary = _export(cli, tmp_path)
    moves = {m["tracker"]: m["to"] for m in summary["moved_trackers"]}
    assert moves == {"@acme_1": "bob", "@acme_2": "bot"}  # the least loaded, then by name
    # Someone moves @acme_1 from Bob's login to the system user, on purpose.
    moved = cli("trackers", "assign", "@acme_1", "bot")
    assert moved.exit_code == 0, moved.stderr
    sb.clear_scenarios()
    assert cli("login", "--reconnect", "ada").exit_code == 0
    _, summary = _export(cli, tmp_path)
    assert [(m["tracker"], m["direction"]) for m in summary["moved_trackers"]] == [
        ("@acme_2", "back")
    ]
    trackers = stored.trackers()
    assert trackers["@acme_1"].connection == "bot" and trackers["@acme_2"].connection == "ada"


def test_with_no_other_connection_the_tracker_waits_and_the_summary_says_how_to_fix_it(
    sandbox_env: Callable[..., Sandbox], browser: FakeBrowser, cli: Any, tmp_path: Any
) -> None:
    sb = sandbox_env(accounts=1, stories=1)
    assert cli("login", "--name", "ada").exit_code == 0
    stored.save_tracker(Tracker("account", "acme_1", connection="ada"))
    sb.set_scenario("password-changed")
    _export(cli, tmp_path)
    again, summary = _export(cli, tmp_path)
    assert summary["moved_trackers"] == []
    assert again.exit_code == ExitCode.NOTHING_COLLECTED
    (report,) = summary["accounts"]
    assert "connection 'ada' is broken (" in report["reason"]
    assert "the password was changed" in report["reason"]
    assert "`igconnect login --reconnect ada`" in report["reason"]
    sb.clear_scenarios()
    fix = report["reason"].split("`")[1]
    assert cli(*fix.split()[1:]).exit_code == 0
    assert _export(cli, tmp_path)[0].exit_code == ExitCode.OK


def test_a_filtered_export_does_not_fail_over(
    sandbox_env: Callable[..., Sandbox], browser: FakeBrowser, cli: Any, tmp_path: Any
) -> None:
    sb = sandbox_env(accounts=2, stories=1)
    _agency(sb, cli)
    sb.set_scenario("password-changed")
    _export(cli, tmp_path)
    filtered = cli(
        "export", "stories", "--account", "@acme_1", "--out", str(tmp_path / "one.csv"), "--json"
    )
    assert json.loads(filtered.stdout)["moved_trackers"] == []
    assert {t.connection for t in stored.trackers().values()} == {"ada"}
