"""Without a usable keyring, `connections list` and `connections show` say the tokens cannot be
read (title, status, one error line with the fix) and exit SECRET_STORE, not 0."""

from __future__ import annotations

import json
from typing import Any

import keyring
import keyring.backends.fail
import pytest

from igconnect.connections.model import Connection
from igconnect.errors import ExitCode
from tests import stored


@pytest.fixture
def no_keyring(monkeypatch: pytest.MonkeyPatch) -> None:
    stored.save_connection(
        Connection(name="acme", provider="facebook", user_id="1", user_name="Ada Agency"),
        token="EAAB-test-token",
    )
    keyring.set_keyring(keyring.backends.fail.Keyring())  # what cron without D-Bus gets
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)


def test_list_says_the_tokens_cannot_be_read(no_keyring: None, cli: Any) -> None:
    result = cli("connections", "list")
    assert result.exit_code == ExitCode.SECRET_STORE
    title = result.stdout.splitlines()[0]
    assert title == "Connections (their tokens cannot be read: the secret store is unavailable)"
    assert "tokens in the unavailable" not in result.stdout
    row = next(line for line in result.stdout.splitlines() if "acme" in line)
    assert "token unreadable" in row and " ok " not in row
    (error,) = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert error.startswith("Error: the tokens cannot be read: ")
    assert " — " in error and "token_store file" in error  # the fix on the same line


def test_list_json_and_show_exit_secret_store(no_keyring: None, cli: Any) -> None:
    result = cli("connections", "list", "--json")
    assert result.exit_code == ExitCode.SECRET_STORE
    (row,) = json.loads(result.stdout)["connections"]
    assert row["secret_store"].startswith("unavailable: ")
    show = cli("connections", "show", "acme")
    assert show.exit_code == ExitCode.SECRET_STORE
    assert "status:              token unreadable" in show.stdout
    assert "Error: the tokens cannot be read: " in show.stderr


def test_list_with_a_keyring_names_it(cli: Any) -> None:
    stored.save_connection(
        Connection(name="acme", provider="facebook", user_id="1", user_name="Ada Agency"),
        token="EAAB-test-token",
    )
    result = cli("connections", "list")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines()[0].startswith("Connections (tokens in the ")
