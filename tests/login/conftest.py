"""Fixtures for the login tests: a sandbox on a free port, the env pointing igconnect at it, and a
browser stand-in that follows the sandbox's consent page over HTTP and lands on our loopback server."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from igconnect.sandbox import Sandbox, SandboxConfig

APP_SECRET = "sandbox-app-secret"
INSTAGRAM_APP_SECRET = "sandbox-instagram-app-secret"


def free_port() -> int:
    """A port free on 127.0.0.1 (and on ::1 when there is one)."""
    for _ in range(20):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.bind(("127.0.0.1", 0))
            port = int(s.getsockname()[1])
        try:
            with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s6:
                s6.bind(("::1", port))
        except OSError as exc:
            if exc.errno == 98:  # EADDRINUSE: try another
                continue
        return port
    raise RuntimeError("no free port")


@dataclass
class FakeBrowser:
    """Follows the consent page like a person clicking, then requests our callback."""

    decline_scopes: tuple[str, ...] = ()
    cancel: bool = False
    pages: list[str] | None = None
    opened: list[str] = field(default_factory=list)
    final_pages: list[httpx.Response] = field(default_factory=list)
    tamper: Callable[[str], str] | None = None

    def __call__(self, url: str) -> bool:
        import threading

        from igconnect.sandbox.consent import follow_consent

        self.opened.append(url)

        def run() -> None:
            redirect = follow_consent(
                url, decline_scopes=self.decline_scopes, pages=self.pages, cancel=self.cancel
            )
            if self.tamper is not None:
                redirect = self.tamper(redirect)
            with httpx.Client(timeout=30) as client:
                self.final_pages.append(client.get(redirect.split("#", 1)[0]))

        # A real browser returns at once; the page loads while igconnect waits.
        self.thread = threading.Thread(target=run, daemon=True)
        self.thread.start()
        return True

    def wait(self) -> None:
        self.thread.join(timeout=30)


@pytest.fixture
def make_sandbox() -> Iterator[Callable[..., Sandbox]]:
    started: list[Sandbox] = []

    def make(**kw: Any) -> Sandbox:
        sb = Sandbox(SandboxConfig(**kw)).start()
        started.append(sb)
        return sb

    yield make
    for sb in started:
        sb.stop()


@pytest.fixture
def login_port() -> int:
    return free_port()


@pytest.fixture
def sandbox_env(
    make_sandbox: Callable[..., Sandbox], login_port: int, monkeypatch: pytest.MonkeyPatch
) -> Callable[..., Sandbox]:
    """Start a sandbox and point this process's igconnect at it (app id/secret, login port)."""

    def start(**kw: Any) -> Sandbox:
        sb = make_sandbox(**kw)
        sb.add_redirect_uri(f"http://localhost:{login_port}/callback")
        for key, value in sb.env().items():
            monkeypatch.setenv(key, value)
        monkeypatch.setenv("IGCONNECT_APP_SECRET", APP_SECRET)
        monkeypatch.setenv("IGCONNECT_INSTAGRAM_APP_SECRET", INSTAGRAM_APP_SECRET)
        monkeypatch.setenv("IGCONNECT_LOGIN_PORT", str(login_port))
        monkeypatch.setenv("IGCONNECT_HTTP_RETRIES", "0")
        return sb

    return start


@pytest.fixture
def login_process(
    make_sandbox: Callable[..., Sandbox], login_port: int, tmp_path: Any
) -> Callable[..., Any]:
    """A sandbox plus a way to run `igconnect` in a subprocess against it (file token store unless
    `extra_env` says otherwise)."""
    from tests.login.harness import LoginProcess

    def start(extra_env: dict[str, str] | None = None, **kw: Any) -> LoginProcess:
        sb = make_sandbox(**kw)
        sb.add_redirect_uri(f"http://localhost:{login_port}/callback")
        env = {"IGCONNECT_TOKEN_STORE": "file"} if extra_env is None else dict(extra_env)
        return LoginProcess(sb, tmp_path, login_port, env)

    return start
