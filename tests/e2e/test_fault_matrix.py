# ruff: noqa: F811 (the fixtures imported from tests/login/conftest.py are used as arguments)
"""The fault matrix (issue 15): every command that works offline, run under each hostile condition
cron and hand-editing produce, must end with a documented exit code and a one-line message: never
exit 1 ("unexpected ... report it"), never a traceback.

Faults are data (FAULTS: a name and how to bring it about); commands are data (COMMANDS: argv).
Each fault is one test that runs every command in-process, so a tmpfs is mounted once per fault.
Meta refusing the code exchange is a fault of one command, `login`: LOGIN_FAULTS.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import keyring.core
import pytest

from igconnect.connections.model import Account, Connection
from igconnect.errors import ExitCode
from igconnect.export.archive import Archive, StoryRecord
from igconnect.runtime import Runtime
from igconnect.trackers.model import Tracker
from tests import stored
from tests.login.conftest import (  # noqa: F401 (fixtures)
    login_port,
    make_sandbox,
    sandbox_env,
)
from tests.realparts import fill

COMMANDS: list[tuple[str, ...]] = [
    ("config", "show"),
    ("config", "path", "-v"),
    ("config", "get", "graph_version"),
    ("app", "show"),
    ("connections", "list"),
    ("connections", "show", "acme"),
    ("trackers", "list"),
    ("trackers", "add", "@matrix_shop"),
    ("export", "stories", "--no-fetch"),
    ("export", "stories", "--quiet"),
    ("doctor", "--checklist"),
    ("doctor",),
    ("archive", "check"),
    ("archive", "backup"),
    ("report", "--out", "report.html"),
    ("schedule", "show"),
    ("logout", "nobody"),
    ("config", "set", "login_port", "9002"),  # last: it rewrites the file a fault may be in
]

Fault = Callable[[Path, pytest.MonkeyPatch, Any], None]
FAULTS: dict[str, Fault] = {}


def fault(name: str) -> Callable[[Fault], Fault]:
    def register(function: Fault) -> Fault:
        FAULTS[name] = function
        return function

    return register


def _home() -> None:
    """What a working agency home holds: settings, a connection with a tracker, an archive."""
    runtime = Runtime()
    with runtime.edit() as doc:
        doc["app_id"] = "1000000000000001"
    runtime.close()
    token = "EAAGmatrixtokenmatrixtokenmatrix"
    stored.save_connection(
        Connection(name="acme", provider="facebook", user_id="10000000000000001"),
        [Account(id="17841400000000001", username="acme_shop")],
        token=token,
    )
    stored.save_tracker(Tracker(kind="account", target="acme_shop", connection="acme"))
    now = datetime.now(UTC)
    with Archive(Runtime().paths.archive_file) as archive:
        run_id = archive.start_run(now)
        archive.record_account(
            run_id=run_id,
            connection="acme",
            account_id="17841400000000001",
            username="acme_shop",
            api_version="v25.0",
            observed_at=now,
            stories=[
                StoryRecord(f"{i:017d}", "IMAGE", "STORY", None, now - timedelta(minutes=i), "ok")
                for i in range(300)
            ],
        )


def _move_home(monkeypatch: pytest.MonkeyPatch, mounts: Any, name: str, **kw: Any) -> Path:
    """A populated data dir on a tmpfs of its own (what `fill` or read-only then acts on)."""
    folder = mounts(name, size=kw.pop("size", "2m"))
    monkeypatch.setenv("IGCONNECT_DATA_DIR", str(folder))
    _home()
    return folder


@fault("none")
def _none(tmp: Path, monkeypatch: pytest.MonkeyPatch, mounts: Any) -> None:
    _home()


@fault("disk full in the data dir")
def _data_full(tmp: Path, monkeypatch: pytest.MonkeyPatch, mounts: Any) -> None:
    fill(_move_home(monkeypatch, mounts, "data"))


@fault("read-only data dir")
def _data_read_only(tmp: Path, monkeypatch: pytest.MonkeyPatch, mounts: Any) -> None:
    from tests.realparts import remount_read_only

    remount_read_only(_move_home(monkeypatch, mounts, "data"))


@fault("empty read-only data dir")
def _data_read_only_empty(tmp: Path, monkeypatch: pytest.MonkeyPatch, mounts: Any) -> None:
    monkeypatch.setenv("IGCONNECT_DATA_DIR", str(mounts("data", read_only=True) / "igconnect"))


@fault("read-only config dir")
def _config_read_only(tmp: Path, monkeypatch: pytest.MonkeyPatch, mounts: Any) -> None:
    from tests.realparts import remount_read_only

    folder = mounts("config")
    monkeypatch.setenv("IGCONNECT_CONFIG_DIR", str(folder))
    _home()
    remount_read_only(folder)


@fault("config dir is a file")
def _config_is_a_file(tmp: Path, monkeypatch: pytest.MonkeyPatch, mounts: Any) -> None:
    blocker = tmp / "config-file"
    blocker.write_text("")
    monkeypatch.setenv("IGCONNECT_CONFIG_DIR", str(blocker))


def _home_at(monkeypatch: pytest.MonkeyPatch, home: Path) -> None:
    for name in ("IGCONNECT_CONFIG_DIR", "IGCONNECT_DATA_DIR"):
        monkeypatch.delenv(name, raising=False)
    for name in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(home))


@fault("missing HOME")
def _home_missing(tmp: Path, monkeypatch: pytest.MonkeyPatch, mounts: Any) -> None:
    _home_at(monkeypatch, tmp / "no-such-home")


@fault("HOME under a file")
def _home_under_a_file(tmp: Path, monkeypatch: pytest.MonkeyPatch, mounts: Any) -> None:
    (tmp / "file").write_text("")
    _home_at(monkeypatch, tmp / "file" / "home")


@fault("HOME on a read-only filesystem")
def _home_read_only(tmp: Path, monkeypatch: pytest.MonkeyPatch, mounts: Any) -> None:
    _home_at(monkeypatch, mounts("ro-home", read_only=True) / "home")


SETTINGS_FILES = {
    "a key repeated in a table": '[connections.acme]\nid = "c-1"\nid = "c-2"\n',
    "a malformed date": "version = 1\nexport_path = 2026-13-45\n",
    "a non-string field": "version = 1\napp_id = 17841400\n",
    "a connection that is not a table": "version = 1\n[connections]\nacme = 5\n",
    "an unknown table": "version = 1\n[conections.acme]\nid = 1\n",
    "a value out of range": "version = 1\nlogin_port = 99999\n",
    "not UTF-8": "version = 1\napp_id = '\udcff'\n",
    "half a file": "version = 1\nlogin_port = [\n",
}


def _settings_fault(content: str) -> Fault:
    def bring_about(tmp: Path, monkeypatch: pytest.MonkeyPatch, mounts: Any) -> None:
        _home()
        Runtime().paths.config_file.write_bytes(content.encode("utf-8", "surrogateescape"))

    return bring_about


for _name, _content in SETTINGS_FILES.items():
    FAULTS[f"settings: {_name}"] = _settings_fault(_content)


@fault("a damaged archive")
def _damaged_archive(tmp: Path, monkeypatch: pytest.MonkeyPatch, mounts: Any) -> None:
    _home()
    path = Runtime().paths.archive_file
    with open(path, "r+b") as handle:
        handle.seek(2 * 4096)
        handle.write(os.urandom(4 * 4096))


@fault("an archive that is not a database")
def _foreign_archive(tmp: Path, monkeypatch: pytest.MonkeyPatch, mounts: Any) -> None:
    _home()
    Runtime().paths.archive_file.write_bytes(b"not a database at all" * 500)


def _keyring_fault(backend: str) -> Fault:
    def bring_about(tmp: Path, monkeypatch: pytest.MonkeyPatch, mounts: Any) -> None:
        _home()
        monkeypatch.setenv("PYTHON_KEYRING_BACKEND", backend)
        monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)
        monkeypatch.setattr(keyring.core, "_keyring_backend", None)

    return bring_about


FAULTS["keyring: unknown backend module"] = _keyring_fault("nosuch.module.Keyring")
FAULTS["keyring: empty backend"] = _keyring_fault("")
FAULTS["keyring: Secret Service without D-Bus"] = _keyring_fault(
    "keyring.backends.SecretService.Keyring"
)


@fault("a config writable by others")
def _loose_config(tmp: Path, monkeypatch: pytest.MonkeyPatch, mounts: Any) -> None:
    _home()
    Runtime().paths.config_file.chmod(0o666)


@fault("an endpoint off Meta's hosts")
def _foreign_endpoint(tmp: Path, monkeypatch: pytest.MonkeyPatch, mounts: Any) -> None:
    _home()
    monkeypatch.setenv("IGCONNECT_GRAPH_URL", "https://collector.evil.example")


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """Meta is a loopback port nobody listens on: what calls it fails at once, and is explained."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{s.getsockname()[1]}"
    for key in ("GRAPH", "FACEBOOK", "INSTAGRAM_GRAPH", "INSTAGRAM", "INSTAGRAM_API"):
        monkeypatch.setenv(f"IGCONNECT_{key}_URL", closed)
    monkeypatch.setenv("IGCONNECT_HTTP_RETRIES", "0")
    monkeypatch.setenv("IGCONNECT_APP_SECRET", "matrix-app-secret")
    monkeypatch.setenv("IGCONNECT_EXPORT_LOCK_WAIT", "1")


def _assert_explained(argv: tuple[str, ...], result: Any) -> None:
    where = f"`igconnect {' '.join(argv)}` -> {result.exit_code}:\n{result.output}"
    assert result.exit_code != ExitCode.ERROR, where
    assert result.exit_code in {int(c) for c in ExitCode}, where
    assert "Error: unexpected" not in result.stderr and "Traceback" not in result.output, where
    if result.exit_code != 0:
        errors = [line for line in result.stderr.splitlines() if line.startswith("Error: ")]
        assert len(errors) <= 1, where


@pytest.mark.parametrize("name", list(FAULTS))
def test_no_command_exits_1(
    name: str, cli: Any, offline: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mounts: Any
) -> None:
    FAULTS[name](tmp_path, monkeypatch, mounts)
    monkeypatch.chdir(tmp_path)  # `export stories` without --out writes in the data dir
    for argv in COMMANDS:
        _assert_explained(argv, cli(*argv, input=""))
    out = ("export", "stories", "--no-fetch", "--out")
    (tmp_path / "file").write_text("")
    for target in (tmp_path / "file" / "under-a-file.csv", tmp_path):  # under a file; a folder
        _assert_explained((*out, str(target)), cli(*out, str(target)))


def test_a_full_output_disk(cli: Any, offline: None, mounts: Any) -> None:
    _home()
    folder = mounts("out")
    fill(folder)
    argv = ("export", "stories", "--no-fetch", "--out", str(folder / "s.csv"))
    result = cli(*argv)
    _assert_explained(argv, result)
    assert result.exit_code == ExitCode.DISK_FULL


LOGIN_FAULTS = ["a code already used", "a code Meta does not know", "a PKCE mismatch", "garbage"]


@pytest.mark.parametrize("name", LOGIN_FAULTS)
def test_login_when_meta_refuses_the_exchange(
    name: str, cli: Any, monkeypatch: pytest.MonkeyPatch, sandbox_env: Any
) -> None:
    import re
    import webbrowser

    from igconnect.login import flow
    from igconnect.meta import client as meta_client
    from igconnect.meta.oauth import Pkce, new_pkce
    from tests.login.conftest import FakeBrowser

    sandbox_env()
    used: list[str] = []

    def code_of(url: str) -> str:
        found = re.search(r"[?&]code=([^&#]+)", url)
        assert found is not None
        return found[1]

    if name == "a code already used":
        first = FakeBrowser(tamper=lambda url: (used.append(code_of(url)), url)[1])
        monkeypatch.setattr(webbrowser, "open", first)
        monkeypatch.setenv("BROWSER", "fake-browser")
        assert cli("login", "--name", "first").exit_code == 0
        first.wait()
    replace = {"a code already used": lambda: used[0], "a code Meta does not know": lambda: "x"}
    tamper = None
    if name in replace:
        code = replace[name]()
        tamper = lambda url: url.replace(code_of(url), code)  # noqa: E731
    if name == "a PKCE mismatch":
        other = new_pkce()
        monkeypatch.setattr(flow, "new_pkce", lambda: Pkce(new_pkce().verifier, other.challenge))
    if name == "garbage":
        real = meta_client._decode

        def garbled(response: Any) -> Any:
            if response.request.url.path.endswith("access_token"):
                response._content = b"{not json"
            return real(response)

        monkeypatch.setattr(meta_client, "_decode", garbled)
    browser = FakeBrowser(tamper=tamper)
    monkeypatch.setattr(webbrowser, "open", browser)
    monkeypatch.setenv("BROWSER", "fake-browser")
    result = cli("login", "--name", "acme")
    browser.wait()
    _assert_explained(("login",), result)
    assert result.exit_code == ExitCode.LOGIN_FAILED
