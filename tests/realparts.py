"""Real parts for tests: a Secret Service (gnome-keyring in its own D-Bus session).

Recipe: ../shared/reference/testing-real-parts.md. When the binaries are missing the tests that need
them are skipped locally, but fail when IGCONNECT_REQUIRE_REAL_PARTS=1 (as `.ci/run` sets), so CI can
never pass by skipping them.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

KEYRING_PASSWORD = "igconnect-test-keyring"


def require(binary: str) -> str:
    path = shutil.which(binary)
    if path:
        return path
    message = f"{binary} is not installed (see .ci/run for the Debian packages)"
    if os.environ.get("IGCONNECT_REQUIRE_REAL_PARTS") == "1":
        pytest.fail(message)
    pytest.skip(message)


@contextmanager
def secret_service_session(home: Path) -> Iterator[dict[str, str]]:
    """Start a private D-Bus session with an unlocked gnome-keyring; yield the env that reaches it.

    A fresh HOME per session: an existing login keyring with another password would stay locked.
    """
    dbus = require("dbus-daemon")
    gkd = require("gnome-keyring-daemon")
    home.mkdir(parents=True, exist_ok=True)
    env = {
        "HOME": str(home),
        "XDG_DATA_HOME": str(home / "share"),
        "XDG_RUNTIME_DIR": str(home),
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
    }
    bus = subprocess.Popen(
        [dbus, "--session", "--nofork", "--print-address=1"],
        stdout=subprocess.PIPE,
        env=env,
        text=True,
    )
    keyring_daemon = None
    try:
        assert bus.stdout is not None
        env["DBUS_SESSION_BUS_ADDRESS"] = bus.stdout.readline().strip()
        keyring_daemon = subprocess.Popen(
            [gkd, "--foreground", "--unlock", "--components=secrets"],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=env,
            text=True,
        )
        assert keyring_daemon.stdin is not None
        keyring_daemon.stdin.write(KEYRING_PASSWORD)
        keyring_daemon.stdin.close()
        _wait_for_name(env, "org.freedesktop.secrets")
        yield env
    finally:
        for process in (keyring_daemon, bus):
            if process is not None and process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    process.kill()


def _wait_for_name(env: dict[str, str], name: str, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        probe = subprocess.run(
            [
                "dbus-send",
                "--session",
                "--print-reply",
                "--dest=org.freedesktop.DBus",
                "/org/freedesktop/DBus",
                "org.freedesktop.DBus.NameHasOwner",
                f"string:{name}",
            ],
            env=env,
            capture_output=True,
            text=True,
        )
        if "boolean true" in probe.stdout:
            return
        time.sleep(0.1)
    pytest.fail(f"{name} did not appear on the test D-Bus session")
