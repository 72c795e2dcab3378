"""The secret store against a real Secret Service (gnome-keyring over D-Bus), and its failure modes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import keyring
import pytest

from igconnect.errors import ExitCode, KeyringLockedError, NoKeyringError
from igconnect.secretstore import APP_SECRET_KEY, SERVICE, KeyringStore

SECRET = "5f2b9c1e7d4a4b0c9e8f7a6b5c4d3e2f"


def _cli_env(tmp_path: Path, extra: dict[str, str]) -> dict[str, str]:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path / "home"),
        "IGCONNECT_CONFIG_DIR": str(tmp_path / "config"),
        "IGCONNECT_DATA_DIR": str(tmp_path / "data"),
        "NO_COLOR": "1",
    }
    env.update(extra)
    return env


def _igconnect(
    args: list[str], env: dict[str, str], stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "igconnect", *args],
        input=stdin,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.keyring
def test_store_read_and_delete_in_the_real_keyring(secret_service: dict[str, str]) -> None:
    store = KeyringStore(timeout=10)
    store.set("token:c-1", "EAAGtokenvalue1234567890abcdef")
    assert store.get("token:c-1") == "EAAGtokenvalue1234567890abcdef"
    assert "SecretService" in store.description
    found = subprocess.run(
        ["secret-tool", "lookup", "service", SERVICE, "username", "token:c-1"],
        env={**os.environ, **secret_service},
        capture_output=True,
        text=True,
    )
    if found.returncode == 0 or found.stdout:  # secret-tool is optional (libsecret-tools)
        assert found.stdout.strip() == "EAAGtokenvalue1234567890abcdef"
    assert store.delete("token:c-1") is True
    assert store.get("token:c-1") is None
    assert store.delete("token:c-1") is False


@pytest.mark.keyring
def test_app_set_stores_the_secret_in_the_keyring_and_never_prints_it(
    secret_service: dict[str, str], tmp_path: Path
) -> None:
    env = _cli_env(tmp_path, secret_service)
    result = _igconnect(
        ["app", "set", "--app-id", "1234567890", "--app-secret-stdin"], env, SECRET + "\n"
    )
    assert result.returncode == 0, result.stderr
    assert SECRET not in result.stdout + result.stderr
    assert SECRET not in (tmp_path / "config" / "config.toml").read_text()
    assert keyring.get_password(SERVICE, APP_SECRET_KEY) == SECRET
    shown = _igconnect(["app", "show"], env)
    assert "stored in the OS keyring" in shown.stdout
    assert SECRET not in shown.stdout + shown.stderr


@pytest.mark.keyring
def test_locked_keyring_is_its_own_error(secret_service: dict[str, str], tmp_path: Path) -> None:
    import secretstorage

    keyring.set_password(SERVICE, "probe", "x")
    connection = secretstorage.dbus_init()
    secretstorage.get_default_collection(connection).lock()
    with pytest.raises(KeyringLockedError, match="locked"):
        KeyringStore(timeout=10).get(APP_SECRET_KEY)
    result = _igconnect(["app", "show"], _cli_env(tmp_path, secret_service))
    assert "locked" in result.stdout
    result = _igconnect(
        ["app", "set", "--app-id", "1234567890", "--app-secret-stdin"],
        _cli_env(tmp_path, secret_service),
        SECRET,
    )
    assert result.returncode == ExitCode.SECRET_STORE
    assert "keyring is locked" in result.stderr
    assert "invalid" not in result.stderr.lower()
    assert not (tmp_path / "config" / "config.toml").exists()  # nothing half-stored


def test_no_dbus_session_is_explained_like_cron_sees_it(tmp_path: Path) -> None:
    """Cron and SSH: no DBUS_SESSION_BUS_ADDRESS, so keyring falls back to its fail backend."""
    env = _cli_env(tmp_path, {})
    result = _igconnect(["app", "set", "--app-id", "1234567890", "--app-secret-stdin"], env, SECRET)
    assert result.returncode == ExitCode.SECRET_STORE, result.stderr
    assert "no OS keyring is available" in result.stderr
    assert "cron or SSH" in result.stderr
    assert "token_store file" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert SECRET not in result.stdout + result.stderr


def test_plaintext_and_null_backends_are_refused(tmp_path: Path) -> None:
    for backend in (
        "keyring.backends.null.Keyring",
        "tests.secretstore.plaintext.PlaintextKeyring",
    ):
        env = _cli_env(tmp_path, {"PYTHON_KEYRING_BACKEND": backend, "PYTHONPATH": os.getcwd()})
        result = _igconnect(
            ["app", "set", "--app-id", "1234567890", "--app-secret-stdin"], env, SECRET
        )
        assert result.returncode == ExitCode.SECRET_STORE, (backend, result.stderr)
        assert "not a real OS keyring" in result.stderr
        assert not (tmp_path / "home" / "plaintext-keyring.txt").exists()


def test_no_keyring_error_in_process() -> None:
    from keyring.backends import fail

    keyring.set_keyring(fail.Keyring())
    with pytest.raises(NoKeyringError):
        KeyringStore(timeout=5).get("x")
