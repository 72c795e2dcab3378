"""PYTHON_KEYRING_BACKEND pointing at nothing usable is a secret-store error (exit 5) for the
commands that need a secret, and nothing at all for those that do not (issue 15, case 5)."""

from __future__ import annotations

from typing import Any

import keyring.core
import pytest

from igconnect.errors import ExitCode

BACKENDS = {
    "an unknown module": "nosuch.module.Keyring",
    "an empty value": "",
    "Secret Service without D-Bus": "keyring.backends.SecretService.Keyring",
}
NEED_NO_SECRET = [
    ("config", "show"),
    ("app", "show"),
    ("connections", "list"),
    ("trackers", "list"),
    ("export", "stories", "--no-fetch"),
    ("schedule", "show"),
    ("archive", "check"),
    ("doctor", "--checklist"),
]


@pytest.fixture(params=list(BACKENDS))
def bad_backend(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", BACKENDS[request.param])
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)
    monkeypatch.setattr(keyring.core, "_keyring_backend", None)  # resolve afresh, from the env
    return str(request.param)


def test_commands_that_need_no_secret_are_unaffected(bad_backend: str, cli: Any) -> None:
    for argv in NEED_NO_SECRET:
        result = cli(*argv)
        assert result.exit_code == 0, (argv, result.output)


def test_commands_that_need_a_secret_say_so_with_exit_5(bad_backend: str, cli: Any) -> None:
    stored = cli(
        "app", "set", "--app-id", "1000000000000001", "--app-secret-stdin", input="s3cr3t\n"
    )
    assert stored.exit_code == ExitCode.SECRET_STORE, stored.output
    assert "PYTHON_KEYRING_BACKEND=" in stored.stderr
    assert "unexpected" not in stored.stderr
    assert len(stored.stderr.strip().splitlines()) == 1
    assert "s3cr3t" not in stored.output
