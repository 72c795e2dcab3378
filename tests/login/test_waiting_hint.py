"""While igconnect waits for the browser it says how to stop and what else works; a dialog that
refuses ends the wait at once with the hint; only the true reason for pasting is printed."""

from __future__ import annotations

import io
import time
import webbrowser
from collections.abc import Callable

import pytest

from igconnect.errors import LoginFailed
from igconnect.login.flow import LoginOptions, run_login
from igconnect.runtime import Runtime
from igconnect.sandbox import Sandbox
from tests.login.conftest import FakeBrowser


def _refused(redirect: str) -> str:
    """The redirect Meta sends when its dialog refuses (not a cancel): an error, no code."""
    base, _, query = redirect.partition("?")
    state = next(p for p in query.split("&") if p.startswith("state="))
    return (
        f"{base}?error=invalid_request&error_reason=refused&error_description=Not+allowed&{state}"
    )


@pytest.mark.parametrize("provider", ["facebook", "instagram"])
def test_waiting_says_ctrl_c_and_no_browser(
    sandbox_env: Callable[..., Sandbox], provider: str
) -> None:
    sandbox_env()
    said: list[str] = []
    run_login(
        Runtime(),
        LoginOptions(name="acme", provider=provider),
        open_url=FakeBrowser(),
        notify=said.append,
    )
    waiting = next(m for m in said if m.startswith("Waiting up to 300 s"))
    assert "press Ctrl-C to cancel" in waiting
    assert "`igconnect login --no-browser`" in waiting


@pytest.mark.parametrize(
    ("browser", "message"),
    [
        (FakeBrowser(cancel=True), "cancelled"),
        (FakeBrowser(tamper=_refused), "Meta refused the login: Not allowed"),
    ],
    ids=["cancel", "refused"],
)
def test_a_refusing_instagram_dialog_ends_the_wait_at_once(
    sandbox_env: Callable[..., Sandbox], browser: FakeBrowser, message: str
) -> None:
    sandbox_env()
    started = time.monotonic()
    with pytest.raises(LoginFailed, match=message) as info:
        run_login(
            Runtime(),
            LoginOptions(name="acme", provider="instagram", timeout=120),
            open_url=browser,
        )
    assert time.monotonic() - started < 30  # not the 120 s timeout
    assert info.value.hint and "igconnect login" in info.value.hint


def test_an_opened_browser_is_not_called_no_display(
    sandbox_env: Callable[..., Sandbox], monkeypatch: pytest.MonkeyPatch
) -> None:
    sandbox_env()
    browser = FakeBrowser()
    monkeypatch.setattr(webbrowser, "open", browser)
    environ = dict(Runtime().environ)
    for key in ("DISPLAY", "WAYLAND_DISPLAY", "SSH_CONNECTION", "SSH_TTY"):
        environ.pop(key, None)
    environ["BROWSER"] = "w3m"  # a browser the user chose, with no display
    monkeypatch.setattr("sys.platform", "linux")
    said: list[str] = []
    run_login(
        Runtime(environ=environ),
        LoginOptions(name="acme"),
        paste_input=io.StringIO(""),
        notify=said.append,
    )
    text = "\n".join(said)
    assert "Opened your browser" in text
    assert "(no display)" not in text
    assert "paste that whole address here" in text  # pasting still works


def test_no_browser_says_why_it_prints_the_address(sandbox_env: Callable[..., Sandbox]) -> None:
    sandbox_env()
    said: list[str] = []
    with pytest.raises(LoginFailed, match="no login came back"):
        run_login(
            Runtime(),
            LoginOptions(name="acme", no_browser=True, timeout=1),
            open_url=lambda url: False,
            paste_input=io.StringIO(""),
            notify=said.append,
        )
    text = "\n".join(said)
    assert "Opened your browser" not in text
    assert "(--no-browser) When the browser ends" in text
    assert "Waiting up to 1 s for the login; press Ctrl-C to cancel." in text
