from __future__ import annotations

import os
import stat
import threading
from pathlib import Path

import pytest

from igconnect.errors import ExitCode, FileStoreError, KeyringTimeoutError
from igconnect.redact import redact
from igconnect.secretstore import FileStore, KeyringStore, MemoryStore


class HangingBackend:
    def __init__(self) -> None:
        self.release = threading.Event()

    def get_password(self, service: str, username: str) -> str | None:
        self.release.wait(10)
        return None


def test_keyring_calls_are_bounded_by_the_timeout() -> None:
    backend = HangingBackend()
    store = KeyringStore(timeout=0.2, backend=backend)
    with pytest.raises(KeyringTimeoutError, match=r"did not answer within 0\.2 s"):
        store.get("token:x")
    backend.release.set()


def test_memory_keyring_round_trip_and_values_are_redacted(memory_keyring) -> None:  # type: ignore[no-untyped-def]
    store = KeyringStore(timeout=5)
    store.set("token:c-1", "plain-looking-secret-value")
    assert store.get("token:c-1") == "plain-looking-secret-value"
    assert redact("oops plain-looking-secret-value leaked") == "oops *** leaked"


def test_file_store_is_created_0600_and_round_trips(tmp_path: Path) -> None:
    store = FileStore(tmp_path / "data" / "secrets.json")
    store.set("token:c-1", "EAAtokensecretvalue0123456789")
    mode = stat.S_IMODE(os.stat(store.path).st_mode)
    assert mode == 0o600
    assert FileStore(store.path).get("token:c-1") == "EAAtokensecretvalue0123456789"
    assert store.delete("token:c-1") is True
    assert store.get("token:c-1") is None


def test_file_store_refuses_a_loose_mode(tmp_path: Path) -> None:
    store = FileStore(tmp_path / "secrets.json")
    store.set("k", "value-123456")
    os.chmod(store.path, 0o644)
    with pytest.raises(FileStoreError, match="readable by others") as info:
        store.get("k")
    assert "chmod 600" in (info.value.hint or "")
    assert info.value.exit_code == ExitCode.SECRET_STORE
    before = store.path.read_text()
    with pytest.raises(FileStoreError):
        store.set("k2", "another-value-1234")
    assert store.path.read_text() == before  # nothing overwritten


def test_file_store_via_cli_warns_on_every_use(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    env = {"IGCONNECT_TOKEN_STORE": "file"}
    result = cli(
        "app",
        "set",
        "--app-id",
        "1234567890",
        "--app-secret-stdin",
        input="s3cr3t-app-secret\n",
        env=env,
    )
    assert result.exit_code == 0, result.output
    assert "plaintext file" in result.stderr
    assert "s3cr3t-app-secret" not in result.output
    shown = cli("app", "show", env=env)
    assert "plaintext file" in shown.stderr
    secrets_file = tmp_path / "data" / "secrets.json"
    assert stat.S_IMODE(os.stat(secrets_file).st_mode) == 0o600
    os.chmod(secrets_file, 0o640)
    refused = cli("app", "show", env=env)
    assert "readable by others" in refused.stdout


def test_memory_store() -> None:
    store = MemoryStore()
    store.set("a", "value-abcdef")
    assert store.get("a") == "value-abcdef"
    assert store.delete("a") and not store.delete("a")
