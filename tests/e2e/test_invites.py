"""A login link for the client, over HTTP against the sandbox: made here, followed "on the client's
device" (the consent page over HTTP, as the client's browser would), the address sent back and
completed; expired, altered, cancelled and twice-used ones refused clearly; no secret shown or kept
outside the secret store."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from igconnect.errors import ExitCode
from igconnect.runtime import Runtime
from igconnect.sandbox import Sandbox
from igconnect.sandbox.consent import follow_consent
from igconnect.sandbox.world import BOB_ID
from igconnect.timestamps import iso_z
from tests import stored
from tests.e2e.conftest import suggested_command


def _secrets() -> dict[str, str]:
    import keyring

    backend = keyring.get_keyring()
    return {user: value for (_service, user), value in getattr(backend, "passwords", {}).items()}


def _invite(cli: Any, *args: str) -> tuple[str, Any]:
    made = cli("login", "--invite", *args)
    assert made.exit_code == 0, made.stderr
    return made.stdout.strip(), made


def _client_logs_in(sb: Sandbox, url: str, **choices: Any) -> str:
    """The client, on their own device, logged in to Facebook as themselves."""
    sb.set_session_user(BOB_ID)
    return follow_consent(url, **choices)


def test_an_invite_completed_by_the_client(sandbox_env: Callable[..., Sandbox], cli: Any) -> None:
    sb = sandbox_env(accounts=2, scenarios=["already-connected"])
    url, made = _invite(cli, "--name", "bobs")
    query = parse_qs(urlsplit(url).query)
    assert query["client_id"] == ["1000000000000001"] and query["code_challenge_method"] == ["S256"]
    assert "login --complete" in made.stderr and "expires" not in made.stdout
    (invite,) = json.loads(cli("connections", "invites", "--json").stdout)["invites"]
    assert invite["name"] == "bobs" and invite["status"] == "pending"
    secret = json.loads(_secrets()[f"invite:{invite['id']}"])
    # The state is in the URL by design; the verifier never is, and neither is in a file.
    assert secret["verifier"] not in url + made.stderr
    assert secret["state"] not in stored.written_text()
    assert secret["verifier"] not in stored.written_text()

    address = _client_logs_in(sb, url)
    done = cli("login", "--complete", address)
    assert done.exit_code == 0, done.stderr
    assert "Connection 'bobs' added (Bob Brand)" in done.stderr
    connection = stored.connection("bobs")
    assert connection.origin == "invite" and connection.user_name == "Bob Brand"
    assert f"invite:{invite['id']}" not in _secrets()  # used: its secret is gone
    assert cli("connections", "invites").stderr.startswith("No pending invites")
    (used,) = json.loads(cli("connections", "invites", "--all", "--json").stdout)["invites"]
    assert used["status"] == "used" and used["connection"] == "bobs"

    again = cli("login", "--complete", address)
    assert again.exit_code == ExitCode.LOGIN_FAILED
    assert "the invite for 'bobs' was already used (connection 'bobs')" in again.stderr
    followed = cli(*suggested_command(again.stderr).split()[1:])
    assert followed.exit_code == 0 and "bobs" in followed.stdout
    code = parse_qs(urlsplit(address).query)["code"][0]
    for output in (made, done, again):
        assert code not in output.stdout + output.stderr
        assert secret["verifier"] not in output.stdout + output.stderr


def test_an_instagram_invite_from_stdin_with_the_trailing_fragment(
    sandbox_env: Callable[..., Sandbox], cli: Any
) -> None:
    sandbox_env(accounts=2)
    url, _ = _invite(cli, "--name", "shop", "--provider", "instagram")
    assert parse_qs(urlsplit(url).query)["client_id"] == ["1000000000000002"]
    address = follow_consent(url)
    assert address.endswith("#_")
    done = cli("login", "--complete", "-", input=address + "\n")
    assert done.exit_code == 0, done.stderr
    assert stored.connection("shop").provider == "instagram"


def test_an_expired_invite_is_refused_and_a_new_one_works(
    sandbox_env: Callable[..., Sandbox], cli: Any
) -> None:
    sb = sandbox_env(scenarios=["already-connected"])
    url, _ = _invite(cli, "--name", "bobs")
    runtime = Runtime()
    with runtime.state.transaction() as db:
        db.execute("UPDATE invites SET expires_at = ?", (iso_z(datetime.now(UTC) - timedelta(1)),))
    address = _client_logs_in(sb, url)
    refused = cli("login", "--complete", address)
    assert refused.exit_code == ExitCode.LOGIN_FAILED
    assert "the invite for 'bobs' expired on" in refused.stderr
    assert "(invites last 7 days)" in refused.stderr
    assert not [k for k in _secrets() if k.startswith("invite:")]  # its secret is forgotten
    assert stored.connections() == {}
    suggested = suggested_command(refused.stderr)
    assert suggested == "igconnect login --invite --name bobs"
    new_url = cli(*suggested.split()[1:]).stdout.strip()
    assert cli("login", "--complete", _client_logs_in(sb, new_url)).exit_code == 0
    assert "bobs" in stored.connections()


@pytest.mark.parametrize(
    ("tamper", "said"),
    [
        (
            lambda a: a.replace("state=", "state=x"),
            "that address does not belong to any invite made here: it was altered",
        ),
        (
            lambda a: a.replace("localhost:", "evil.example:"),
            "that address does not lead to the invite's redirect URI",
        ),
        (lambda a: a.replace("code=", "code=x"), "Meta refused the code in that address"),
        (lambda a: a.split("?")[0], "carries no single state"),
    ],
    ids=["state", "host", "code", "no-query"],
)
def test_an_altered_address_is_refused_and_the_invite_stays_open(
    sandbox_env: Callable[..., Sandbox], cli: Any, tamper: Callable[[str], str], said: str
) -> None:
    sb = sandbox_env(scenarios=["already-connected"])
    url, _ = _invite(cli, "--name", "bobs")
    address = _client_logs_in(sb, url)
    refused = cli("login", "--complete", tamper(address))
    assert refused.exit_code != 0
    assert said in refused.stderr, refused.stderr
    assert stored.connections() == {}
    # The real address still completes it: a refused one used nothing up.
    assert cli("login", "--complete", address).exit_code == 0
    assert "bobs" in stored.connections()


def test_a_cancelled_invite_stays_open_for_another_try(
    sandbox_env: Callable[..., Sandbox], cli: Any
) -> None:
    sb = sandbox_env(scenarios=["already-connected"])
    url, _ = _invite(cli, "--name", "bobs")
    cancelled = cli("login", "--complete", _client_logs_in(sb, url, cancel=True))
    assert cancelled.exit_code == ExitCode.LOGIN_FAILED
    assert "cancelled" in cancelled.stderr and "the invite is still open" in cancelled.stderr
    assert cli("login", "--complete", _client_logs_in(sb, url)).exit_code == 0


def test_an_invite_renews_a_clients_connection(
    sandbox_env: Callable[..., Sandbox], cli: Any
) -> None:
    sb = sandbox_env(scenarios=["already-connected"])
    url, _ = _invite(cli, "--name", "bobs")
    assert cli("login", "--complete", _client_logs_in(sb, url)).exit_code == 0
    before = stored.connection("bobs")
    pending = cli("login", "--invite", "--name", "other")
    assert pending.exit_code == 0
    twice = cli("login", "--invite", "--name", "other")
    assert twice.exit_code == ExitCode.USAGE and "already pending" in twice.stderr
    renew_url, _ = _invite(cli, "--reconnect", "bobs")
    assert parse_qs(urlsplit(renew_url).query)["auth_type"] == ["rerequest"]
    renewed = cli("login", "--complete", _client_logs_in(sb, renew_url))
    assert renewed.exit_code == 0, renewed.stderr
    assert "Connection 'bobs' renewed" in renewed.stderr
    after = stored.connection("bobs")
    assert after.id == before.id and after.renewed_at is not None


def test_invites_need_a_name_and_refuse_a_taken_one(
    sandbox_env: Callable[..., Sandbox], cli: Any
) -> None:
    sandbox_env()
    nameless = cli("login", "--invite")
    assert nameless.exit_code == ExitCode.USAGE and "--name" in nameless.stderr
    url, _ = _invite(cli, "--name", "shop")
    assert cli("login", "--complete", follow_consent(url)).exit_code == 0
    taken = cli("login", "--invite", "--name", "shop")
    assert taken.exit_code == ExitCode.CONFLICT
    both = cli("login", "--invite", "--complete", "x")
    assert both.exit_code == ExitCode.USAGE and "cannot be combined" in both.stderr
