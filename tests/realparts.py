"""Real parts for tests: a Secret Service (gnome-keyring in its own D-Bus session), small or
read-only filesystems (tmpfs mounts) and device nodes.

Recipe: ../shared/reference/testing-real-parts.md. When the binaries are missing the tests that need
them are skipped locally, but fail when IGCONNECT_REQUIRE_REAL_PARTS=1 (as `.ci/run` sets), so CI can
never pass by skipping them.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import NoReturn

import pytest

KEYRING_PASSWORD = "igconnect-test-keyring"


def require(binary: str) -> str:
    path = shutil.which(binary)
    if path:
        return path
    missing(f"{binary} is not installed (see .ci/run for the Debian packages)")


def missing(message: str) -> NoReturn:
    """A real part is not there: skip locally, fail where IGCONNECT_REQUIRE_REAL_PARTS=1."""
    if os.environ.get("IGCONNECT_REQUIRE_REAL_PARTS") == "1":
        pytest.fail(message)
    pytest.skip(message)


@contextlib.contextmanager
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


def _require_root(what: str) -> None:
    if os.geteuid() != 0:
        missing(f"{what} needs root (CI runs the tests as root)")


@contextlib.contextmanager
def tmpfs(mountpoint: Path, *, size: str = "64k", read_only: bool = False) -> Iterator[Path]:
    """A small filesystem of its own at `mountpoint`: a disk that fills up, or one that is read-only
    even for root (a chmod'ed folder does not stop root). Unmounted afterwards."""
    mount = require("mount")
    umount = require("umount")
    _require_root("mounting a tmpfs")
    mountpoint.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        [mount, "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(mountpoint)],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        missing(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        if read_only:
            remount_read_only(mountpoint)
        yield mountpoint
    finally:
        subprocess.run([umount, "-l", str(mountpoint)], check=False)


def remount_read_only(mountpoint: Path) -> None:
    subprocess.run([require("mount"), "-o", "remount,ro", str(mountpoint)], check=True)


def fill(mountpoint: Path) -> None:
    """Fill a filesystem to the last byte (one file, `filler`)."""
    fd = os.open(mountpoint / "filler", os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        for size in (65536, 4096, 512, 1):
            with contextlib.suppress(OSError):
                while True:
                    os.write(fd, b"\0" * size)
    finally:
        os.close(fd)


def char_device(path: Path, major: int, minor: int) -> Path:
    """A device node of our own (1,3 is null, 1,7 is full): the system's are never risked."""
    _require_root("creating a device node")
    os.mknod(path, 0o666 | stat.S_IFCHR, os.makedev(major, minor))
    return path
