# ruff: noqa: F811 (the fixtures imported from tests/login/conftest.py are used as arguments)
"""Live status against the sandbox: `connections list --check` / `show --check` confirm each token
with one cheap call each, in parallel, and record it; without --check the list says when each status
was last confirmed; from cron (no TTY, no D-Bus, the file store) it works and never hangs."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
import webbrowser
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from igconnect.errors import ExitCode
from igconnect.sandbox import Sandbox
from igconnect.sandbox.config import DEFAULT_APP_ID, DEFAULT_APP_SECRET
from tests import stored
from tests.login.conftest import (  # noqa: F401 (fixtures)
    FakeBrowser,
    login_port,
    make_sandbox,
    sandbox_env,
)


@pytest.fixture
def browser(monkeypatch: pytest.MonkeyPatch) -> FakeBrowser:
    fake = FakeBrowser()
    monkeypatch.setattr(webbrowser, "open", fake)
    monkeypatch.setenv("BROWSER", "fake-browser")
    return fake


def _three_kinds(sb: Sandbox, cli: Any) -> None:
    """A person's Facebook login, a system user, and an Instagram Login."""
    assert cli("login", "--name", "ada").exit_code == 0
    token = sb.issue_system_user_token(name="Agency Bot")
    assert cli("login", "--system-user", "--name", "bot", input=token).exit_code == 0
    assert cli("login", "--provider", "instagram", "--name", "shop").exit_code == 0


def _rows(result: Any) -> dict[str, dict[str, Any]]:
    return {row["name"]: row for row in json.loads(result.stdout)["connections"]}


def test_check_confirms_every_kind_with_one_call_each_and_records_it(
    sandbox_env: Callable[..., Sandbox], browser: FakeBrowser, cli: Any
) -> None:
    sb = sandbox_env(accounts=2)
    _three_kinds(sb, cli)
    long_ago = datetime.now(UTC) - timedelta(days=2)
    for name, connection in stored.connections().items():
        connection.checked_at = long_ago
        stored.save_connection(connection, stored.reach(name).accounts)
    calls = sb.request_count()
    debug_tokens = sb.request_count("/graph/v25.0/debug_token")
    checked = cli("connections", "list", "--check", "--json")
    assert checked.exit_code == 0, checked.stderr
    rows = _rows(checked)
    assert {name: row["check"]["result"] for name, row in rows.items()} == {
        "ada": "ok",
        "bot": "ok",
        "shop": "ok",
    }
    assert sb.request_count() - calls == 3  # one cheap call per connection
    assert sb.request_count("/graph/v25.0/debug_token") - debug_tokens == 2
    after = stored.connections()
    for name, connection in after.items():
        assert connection.checked_at is not None and connection.checked_at > long_ago
        assert rows[name]["checked_at"] is not None


def test_a_password_change_shows_at_once_with_check(
    sandbox_env: Callable[..., Sandbox], browser: FakeBrowser, cli: Any
) -> None:
    sb = sandbox_env(accounts=2)
    _three_kinds(sb, cli)
    sb.set_scenario("password-changed")  # every person's token dies; the system user's lives
    unchecked = cli("connections", "list", "--json")
    assert {r["status"] for r in _rows(unchecked).values()} == {"ok"}  # nobody asked Meta yet
    checked = cli("connections", "list", "--check")
    assert checked.exit_code == ExitCode.AUTH, checked.stderr
    assert "'ada': the password was changed: run `igconnect login --reconnect ada`" in (
        checked.stderr
    )
    connections = stored.connections()
    assert connections["ada"].is_broken
    assert connections["ada"].broken_reason == "the password was changed"
    assert connections["shop"].is_broken and not connections["bot"].is_broken
    shown = cli("connections", "show", "bot", "--check")
    assert shown.exit_code == 0 and "ok: Meta accepts it (debug_token)" in shown.stdout


def test_a_checkpoint_is_held_then_ok_again_once_cleared(
    sandbox_env: Callable[..., Sandbox], browser: FakeBrowser, cli: Any
) -> None:
    sb = sandbox_env()
    assert cli("login", "--name", "ada").exit_code == 0
    sb.set_scenario("checkpoint")
    held = cli("connections", "show", "ada", "--check", "--json")
    assert held.exit_code == ExitCode.AUTH
    assert json.loads(held.stdout)["check"]["result"] == "checkpoint"
    assert stored.connection("ada").status == "checkpoint"
    sb.clear_checkpoint()
    cleared = cli("connections", "show", "ada", "--check", "--json")
    assert cleared.exit_code == 0 and json.loads(cleared.stdout)["status"] == "ok"


def test_without_check_the_list_says_when_each_status_was_last_confirmed(
    sandbox_env: Callable[..., Sandbox], browser: FakeBrowser, cli: Any
) -> None:
    sb = sandbox_env()
    assert cli("login", "--name", "ada").exit_code == 0
    calls = sb.request_count()
    fresh = cli("connections", "list")
    assert "just now" in fresh.stdout
    connection = stored.connection("ada")
    connection.checked_at = datetime.now(UTC) - timedelta(hours=3, minutes=5)
    stored.save_connection(connection, stored.reach("ada").accounts)
    later = cli("connections", "list")
    assert "3 h ago" in later.stdout and "checked" in later.stdout
    assert sb.request_count() == calls  # without --check nobody calls Meta


def test_checks_run_in_parallel(
    sandbox_env: Callable[..., Sandbox], browser: FakeBrowser, cli: Any
) -> None:
    sb = sandbox_env(accounts=1)
    for n in range(4):
        token = sb.issue_system_user_token(name=f"Bot {n}")
        assert cli("login", "--system-user", "--name", f"bot{n}", input=token).exit_code == 0
    sb.state.cfg.latency_ms = 1000  # every answer now takes a second
    started = time.monotonic()
    checked = cli("connections", "list", "--check")
    elapsed = time.monotonic() - started
    assert checked.exit_code == 0, checked.stderr
    assert elapsed < 3.0, f"4 checks of 1 s each took {elapsed:.1f} s: not in parallel"


@pytest.fixture
def silent_meta() -> Iterator[str]:
    """A server on loopback that accepts connections and never answers."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = server.accept()
                held.append(conn)
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}"
    stop.set()
    thread.join(timeout=2)
    for conn in held:
        conn.close()
    server.close()


def test_a_meta_that_never_answers_cannot_make_the_check_hang(
    sandbox_env: Callable[..., Sandbox],
    browser: FakeBrowser,
    cli: Any,
    silent_meta: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sb = sandbox_env()
    assert cli("login", "--name", "ada").exit_code == 0
    token = sb.issue_system_user_token()
    assert cli("login", "--system-user", "--name", "bot", input=token).exit_code == 0
    monkeypatch.setenv("IGCONNECT_GRAPH_URL", silent_meta)
    monkeypatch.setenv("IGCONNECT_HTTP_TIMEOUT", "1")
    started = time.monotonic()
    checked = cli("connections", "list", "--check", "--json")
    assert time.monotonic() - started < 15
    assert checked.exit_code == ExitCode.NETWORK, checked.stderr
    rows = _rows(checked)
    assert {r["check"]["result"] for r in rows.values()} == {"unknown"}
    assert {r["status"] for r in rows.values()} == {"ok"}  # nothing definite: nothing recorded


def test_check_from_cron_with_the_file_store(
    sandbox_env: Callable[..., Sandbox],
    browser: FakeBrowser,
    cli: Any,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Any,
) -> None:
    monkeypatch.setenv("IGCONNECT_TOKEN_STORE", "file")
    sb = sandbox_env()
    monkeypatch.delenv("IGCONNECT_APP_SECRET")  # stored by `app set`, as a user would
    stored_app = cli(
        "app", "set", "--app-id", DEFAULT_APP_ID, "--app-secret-stdin", input=DEFAULT_APP_SECRET
    )
    assert stored_app.exit_code == 0, stored_app.stderr
    assert cli("login", "--name", "ada").exit_code == 0
    token = sb.issue_system_user_token()
    assert cli("login", "--system-user", "--name", "bot", input=token).exit_code == 0
    # What cron gives a job: a minimal environment, no TTY, no D-Bus session.
    env = {
        "HOME": str(tmp_path / "home"),
        "PATH": "/usr/bin:/bin",
        "SHELL": "/bin/sh",
        **{k: v for k, v in os.environ.items() if k.startswith("IGCONNECT_")},
    }
    igconnect = os.path.join(os.path.dirname(sys.executable), "igconnect")
    done = subprocess.run(
        [igconnect, "connections", "list", "--check"],
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "ada" in done.stdout and "bot" in done.stdout and "just now" in done.stdout
    assert token not in done.stdout + done.stderr
