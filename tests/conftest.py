"""Hermetic tests: every path in tmp_path, no IGCONNECT_* from the outside, no colours, and an
in-memory keyring so no test touches a real keychain by accident (the real Secret Service has its own
marked tests in tests/secretstore/test_secret_service.py)."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import keyring
import keyring.backend
import pytest
from typer.testing import CliRunner

from igconnect import secretstore


class MemoryKeyring(keyring.backend.KeyringBackend):
    """A keyring backend that keeps passwords in a dict (unit tests only)."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.passwords: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.passwords.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.passwords[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        import keyring.errors

        if (service, username) not in self.passwords:
            raise keyring.errors.PasswordDeleteError("not found")
        del self.passwords[(service, username)]


MEMORY_BACKEND = f"{MemoryKeyring.__module__}.{MemoryKeyring.__qualname__}"


@pytest.fixture(autouse=True)
def hermetic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in list(os.environ):
        if name.startswith("IGCONNECT_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("IGCONNECT_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("IGCONNECT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "200")
    yield


@pytest.fixture(autouse=True)
def memory_keyring(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> Iterator[MemoryKeyring | None]:
    if request.node.get_closest_marker("keyring"):
        yield None  # the test uses the real Secret Service
        return
    backend = MemoryKeyring()
    previous = keyring.get_keyring()
    keyring.set_keyring(backend)
    monkeypatch.setattr(
        secretstore, "ALLOWED_BACKENDS", secretstore.ALLOWED_BACKENDS | {MEMORY_BACKEND}
    )
    yield backend
    keyring.set_keyring(previous)


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def cli(runner: CliRunner):  # type: ignore[no-untyped-def]
    """Run `igconnect ARGS...` in-process; returns typer's Result (exit_code, stdout, stderr)."""
    from igconnect.cli.app import app

    def run(*args: str, input: str | None = None, env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
        return runner.invoke(app, list(args), input=input, env=env)

    return run


@pytest.fixture
def secret_service(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """A real Secret Service for this test: gnome-keyring, unlocked, in a private D-Bus session.

    Use with @pytest.mark.keyring (so the in-memory backend is not installed). The returned env
    reaches the keyring from subprocesses too.
    """
    import keyring.core

    from tests.realparts import secret_service_session

    with secret_service_session(tmp_path / "keyring-home") as env:
        for key in ("DBUS_SESSION_BUS_ADDRESS", "XDG_RUNTIME_DIR"):
            monkeypatch.setenv(key, env[key])
        keyring.core.set_keyring(
            keyring.core.load_keyring("keyring.backends.SecretService.Keyring")
        )
        yield env
        keyring.core._keyring_backend = None  # let the next test resolve afresh


@pytest.fixture
def mounts(tmp_path: Path) -> Iterator[Callable[..., Path]]:
    """`mounts(name, size=, read_only=)`: a tmpfs of its own under tmp_path, for a disk that fills
    up or a folder read-only even for root; all are unmounted after the test."""
    from tests.realparts import tmpfs

    with contextlib.ExitStack() as stack:

        def mount(name: str, *, size: str = "64k", read_only: bool = False) -> Path:
            return stack.enter_context(tmpfs(tmp_path / name, size=size, read_only=read_only))

        yield mount


@pytest.fixture
def handmade(tmp_path: Path) -> Iterator[Any]:
    """A hand-made story archive at the data dir's archive.sqlite (tests/archives.py)."""
    from tests.archives import HandMadeArchive

    archive = HandMadeArchive(tmp_path / "data" / "archive.sqlite")
    yield archive
    archive.close()


@pytest.fixture
def fake_crontab(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A `crontab` on PATH that keeps the table in a file (the cron daemon is not needed)."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    table = tmp_path / "crontab.txt"
    script = bindir / "crontab"
    script.write_text(
        "#!/bin/sh\n"
        f'T="{table}"\n'
        'if [ "$1" = "-l" ]; then\n'
        '  if [ -f "$T" ]; then cat "$T"; exit 0; fi\n'
        '  echo "no crontab for $USER" >&2; exit 1\n'
        "fi\n"
        'if [ "$1" = "-" ]; then cat > "$T"; exit 0; fi\n'
        "exit 2\n"
    )
    script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bindir}:{os.environ['PATH']}")
    return table
