"""Several connections per account, over HTTP against the sandbox: two people reaching one account
both connect, the same person twice is refused (naming their connection, and the fix works), and a
Business Manager system user's token from stdin becomes a connection that exports stories."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from igconnect.errors import ExitCode
from igconnect.runtime import Runtime
from igconnect.sandbox import Sandbox
from igconnect.sandbox.world import ADA_ID, BOB_ID
from igconnect.secretstore import token_key
from igconnect.trackers.model import Tracker
from tests import stored
from tests.e2e.conftest import new_system_user_token, suggested_command
from tests.login.conftest import FakeBrowser


def test_two_people_reaching_one_account_both_connect(
    sandbox_env: Callable[..., Sandbox], browser: FakeBrowser, cli: Any
) -> None:
    sb = sandbox_env(accounts=2, scenarios=["already-connected"])
    assert cli("login", "--name", "ada").exit_code == 0
    sb.set_session_user(BOB_ID)
    bob = cli("login", "--name", "bob")
    assert bob.exit_code == 0, bob.stderr
    assert "Connection 'bob' added (Bob Brand)" in bob.stderr
    connections = stored.connections()
    assert {c.user_id for c in connections.values()} == {ADA_ID, BOB_ID}
    both = {a.username for a in stored.reach("ada").accounts} & {
        a.username for a in stored.reach("bob").accounts
    }
    assert both == {"acme_1"}
    listed = json.loads(cli("connections", "list", "--json").stdout)["connections"]
    assert [row["name"] for row in listed if "acme_1" in row["accounts"]] == ["ada", "bob"]


def test_the_same_person_twice_is_refused_and_the_suggested_reconnect_works(
    sandbox_env: Callable[..., Sandbox], browser: FakeBrowser, cli: Any
) -> None:
    sandbox_env(accounts=2, scenarios=["already-connected"])
    assert cli("login", "--name", "ada").exit_code == 0
    again = cli("login", "--name", "ada-again")
    assert again.exit_code == ExitCode.CONFLICT
    assert "Ada Agency (10000000000000001) is already connected as 'ada'" in again.stderr
    suggested = suggested_command(again.stderr)
    assert suggested == "igconnect login --reconnect ada"
    followed = cli(*suggested.split()[1:])
    assert followed.exit_code == 0, followed.stderr
    assert "Connection 'ada' renewed" in followed.stderr
    assert list(stored.connections()) == ["ada"]


# -- system users ---------------------------------------------------------------------------------
def test_system_user_token_from_stdin_connects_lists_and_exports(
    sandbox_env: Callable[..., Sandbox], browser: FakeBrowser, cli: Any, tmp_path: Any
) -> None:
    sb = sandbox_env(accounts=2, stories=3)
    token = sb.issue_system_user_token(pages=["acme_1", "acme_2"], name="Agency Bot")
    added = cli("login", "--system-user", "--name", "bot", input=token + "\n")
    assert added.exit_code == 0, added.stderr
    assert "Connection 'bot' added (system user Agency Bot; never expires)" in added.stderr
    connection = stored.connection("bot")
    assert connection.kind == "system_user" and connection.origin == "stdin"
    assert connection.token_expires_at is None
    assert {a.username for a in stored.reach("bot").accounts} == {"acme_1", "acme_2"}
    assert Runtime().secret_store.get(token_key(connection.id)) == token
    listed = cli("connections", "list")
    row = next(line for line in listed.stdout.splitlines() if " bot " in line)
    assert "system user" in row and "never" in row
    (data,) = json.loads(cli("connections", "list", "--json").stdout)["connections"]
    assert data["kind"] == "system_user" and data["token_days_left"] is None
    # A person's login next to it reaches the same accounts: both connect.
    assert cli("login", "--name", "ada").exit_code == 0
    for username in ("acme_1", "acme_2"):
        stored.save_tracker(Tracker("account", username, connection="bot"))
    out = tmp_path / "stories.csv"
    exported = cli("export", "stories", "--out", str(out), "--json")
    assert exported.exit_code == 0, exported.stderr
    summary = json.loads(exported.stdout)
    assert {a["connection"] for a in summary["accounts"]} == {"bot"}
    assert all(a["state"] == "collected" and a["stories"] == 3 for a in summary["accounts"])
    # The token never reaches the screen, a file or the state store.
    everything = added.stdout + added.stderr + listed.stdout + listed.stderr + exported.stderr
    assert token not in everything
    assert token not in stored.written_text()
    with open(summary["log_file"], encoding="utf-8") as log:
        assert token not in log.read()


@pytest.mark.parametrize(
    ("mint", "exit_code", "said"),
    [
        (lambda sb: "EAAnot-a-real-token-0123456789", ExitCode.LOGIN_FAILED, "Cannot parse"),
        (
            lambda sb: sb.issue_system_user_token(app_id="9999999999999999"),
            ExitCode.LOGIN_FAILED,
            "issued for app 9999999999999999, not for igconnect's Meta app 1000000000000001",
        ),
        (
            lambda sb: _expired_system_user_token(sb),
            ExitCode.LOGIN_FAILED,
            "the token expired",
        ),
        (
            lambda sb: sb.issue_system_user_token(scopes=["instagram_basic", "pages_show_list"]),
            ExitCode.PERMISSION_MISSING,
            "lacks instagram_manage_insights (story insights), pages_read_engagement",
        ),
    ],
    ids=["bad", "wrong-app", "expired", "missing-permission"],
)
def test_a_system_user_token_meta_refuses_is_refused_with_the_reason(
    sandbox_env: Callable[..., Sandbox],
    cli: Any,
    mint: Callable[[Sandbox], str],
    exit_code: ExitCode,
    said: str,
) -> None:
    sb = sandbox_env()
    token = mint(sb)
    refused = cli("login", "--system-user", "--name", "bot", input=token + "\n")
    assert refused.exit_code == exit_code, refused.stderr
    assert said in refused.stderr
    assert token not in refused.stderr + refused.stdout
    assert stored.connections() == {}
    assert token not in stored.written_text()


def _expired_system_user_token(sb: Sandbox) -> str:
    token = sb.issue_system_user_token(expires_in_60_days=True)
    sb.advance_clock(days=61)
    return token


def test_a_system_user_token_is_never_taken_from_the_command_line(cli: Any) -> None:
    result = cli("login", "--system-user", "EAAsecret-token-on-argv")
    assert result.exit_code == ExitCode.USAGE
    empty = cli("login", "--system-user", "--name", "bot", input="")
    assert empty.exit_code == ExitCode.USAGE
    assert "no system-user token on standard input" in empty.stderr


def test_a_system_user_reconnects_with_a_new_token_on_stdin(
    sandbox_env: Callable[..., Sandbox], cli: Any
) -> None:
    sb = sandbox_env()
    old = sb.issue_system_user_token(expires_in_60_days=True, name="Agency Bot")
    assert cli("login", "--system-user", "--name", "bot", input=old).exit_code == 0
    assert stored.connection("bot").token_expires_at is not None
    user_id = stored.connection("bot").user_id
    # `login --reconnect` knows it is a system user's connection: it reads the new token.
    new = new_system_user_token(sb, user_id)
    renewed = cli("login", "--reconnect", "bot", input=new)
    assert renewed.exit_code == 0, renewed.stderr
    assert "Connection 'bot' renewed (system user Agency Bot; never expires)" in renewed.stderr
    assert stored.connection("bot").token_expires_at is None
    assert Runtime().secret_store.get(token_key(stored.connection("bot").id)) == new
    # Another system user's token is another user: refused without --force.
    other = sb.issue_system_user_token(name="Other Bot")
    refused = cli("login", "--reconnect", "bot", input=other)
    assert refused.exit_code == ExitCode.CONFLICT, refused.stderr
    assert "a different Meta user came back: Other Bot" in refused.stderr
    forced = cli("login", "--reconnect", "bot", "--force", input=other)
    assert forced.exit_code == 0, forced.stderr
    assert stored.connection("bot").user_name == "Other Bot"
